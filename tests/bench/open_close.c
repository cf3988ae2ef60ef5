/* open + close of an existing file in a scratch directory under /tmp. */
#include "bench.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = bench_iters(argc, argv, 100000);
    char dir[] = "/tmp/bench-XXXXXX";
    if (!mkdtemp(dir)) BENCH_DIE("mkdtemp");
    char path[64];
    snprintf(path, sizeof path, "%s/file", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) BENCH_DIE("create");
    close(fd);
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0) BENCH_DIE("open");
        close(fd);
    }
    double t1 = bench_now();
    unlink(path);
    rmdir(dir);
    bench_report("open_close", (t1 - t0) * 1e9 / n, "ns/op", n);
    return 0;
}
