/* Micro-benchmark for the browser host (web/test/node-bench.mjs): the
 * round trip of a trivial system call, in ns per call. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long sum = 0;
    for (long i = 0; i < n; i++) sum += getpid();
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("getpid %.1f ns/call (%ld calls, sum %ld)\n", ns / n, n, sum);
    return 0;
}
