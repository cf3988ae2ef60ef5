/* posix_spawn + waitpid of a trivial program (this program again, exiting at once). */
#include "bench.h"
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) return 0;
    long n = bench_iters(argc, argv, 200);
    char *cargv[] = {argv[0], "child", NULL};
    char *cenv[] = {NULL};
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        pid_t pid;
        if ((errno = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, cargv, cenv))) BENCH_DIE("posix_spawn");
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) BENCH_DIE("child");
    }
    double t1 = bench_now();
    bench_report("spawn_wait", (t1 - t0) * 1e6 / n, "us/op", n);
    return 0;
}
