/* bench.h: timing helpers for the syscall benchmarks (cargo xtask bench syscalls).
 * Each program takes an iteration count, times itself with CLOCK_MONOTONIC and
 * prints one machine-readable line: "BENCH <name> <value> <unit> <iterations>". */
#ifndef WASMPOD_BENCH_H
#define WASMPOD_BENCH_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline long bench_iters(int argc, char **argv, long dflt) {
    if (argc >= 2 && argv[1][0] >= '0' && argv[1][0] <= '9') return atol(argv[1]);
    return dflt;
}

#define BENCH_DIE(what)                                                  \
    do {                                                                 \
        fprintf(stderr, "bench: %s failed: %s\n", what, strerror(errno)); \
        exit(1);                                                         \
    } while (0)

static inline void bench_report(const char *name, double value, const char *unit, long iters) {
    printf("BENCH %s %.3f %s %ld\n", name, value, unit, iters);
    fflush(stdout);
}
#endif
