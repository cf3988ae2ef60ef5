/* One byte back and forth between two processes over two pipes: ns per round trip.
 * The child is this program again (posix_spawn of /proc/self/exe) with the pipes on fds 0 and 1. */
#include "bench.h"
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        char c;
        while (read(0, &c, 1) == 1)
            if (write(1, &c, 1) != 1) return 1;
        return 0;
    }
    long n = bench_iters(argc, argv, 20000);
    int to[2], from[2];
    if (pipe(to) || pipe(from)) BENCH_DIE("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from[1], 1);
    posix_spawn_file_actions_addclose(&fa, to[1]);
    posix_spawn_file_actions_addclose(&fa, from[0]);
    char *cargv[] = {argv[0], "child", NULL};
    char *cenv[] = {NULL};
    pid_t pid;
    if ((errno = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, cargv, cenv))) BENCH_DIE("posix_spawn");
    close(to[0]);
    close(from[1]);
    char c = 'x';
    /* One warm-up round trip so the child is running. */
    if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1) BENCH_DIE("warm-up");
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        if (write(to[1], &c, 1) != 1) BENCH_DIE("write");
        if (read(from[0], &c, 1) != 1) BENCH_DIE("read");
    }
    double t1 = bench_now();
    close(to[1]);
    int st;
    waitpid(pid, &st, 0);
    bench_report("pipe_pingpong", (t1 - t0) * 1e9 / n, "ns/roundtrip", n);
    return 0;
}
