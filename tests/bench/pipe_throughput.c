/* 64 KiB writes into a pipe read by a child process (this program again): MB/s. */
#include "bench.h"
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 65536

int main(int argc, char **argv) {
    static char buf[CHUNK];
    if (argc == 2 && !strcmp(argv[1], "child")) {
        long total = 0;
        for (;;) {
            ssize_t r = read(0, buf, sizeof buf);
            if (r < 0) return 1;
            if (r == 0) break;
            total += r;
        }
        return total > 0 ? 0 : 2;
    }
    long n = bench_iters(argc, argv, 4096); /* chunks */
    int p[2];
    if (pipe(p)) BENCH_DIE("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    char *cargv[] = {argv[0], "child", NULL};
    char *cenv[] = {NULL};
    pid_t pid;
    if ((errno = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, cargv, cenv))) BENCH_DIE("posix_spawn");
    close(p[0]);
    memset(buf, 'x', sizeof buf);
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        size_t off = 0;
        while (off < CHUNK) {
            ssize_t w = write(p[1], buf + off, CHUNK - off);
            if (w <= 0) BENCH_DIE("write");
            off += w;
        }
    }
    close(p[1]);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) BENCH_DIE("child");
    double t1 = bench_now();
    bench_report("pipe_64k_throughput", (double)n * CHUNK / (t1 - t0) / 1e6, "MB/s", n);
    return 0;
}
