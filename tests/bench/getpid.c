/* getpid in a loop: the cost of one trivial system call. */
#include "bench.h"
#include <unistd.h>

int main(int argc, char **argv) {
    long n = bench_iters(argc, argv, 1000000);
    volatile long sink = 0;
    double t0 = bench_now();
    for (long i = 0; i < n; i++) sink += getpid();
    double t1 = bench_now();
    if (sink == 0) return 1;
    bench_report("getpid", (t1 - t0) * 1e9 / n, "ns/op", n);
    return 0;
}
