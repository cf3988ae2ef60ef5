/* posix_spawnattr: setpgroup, setsigmask, setsigdef; the child reports what it sees. */
#include "check.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        sigset_t cur;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        if (!sigismember(&cur, SIGUSR2)) return 10;
        if (sigismember(&cur, SIGUSR1)) return 11;
        struct sigaction sa;
        sigaction(SIGTERM, NULL, &sa);
        if (sa.sa_handler != SIG_DFL) return 12;
        sigaction(SIGINT, NULL, &sa);
        if (sa.sa_handler != SIG_IGN) return 13; /* ignored stays ignored across exec */
        if (getpgid(0) != getpid()) return 14;
        return 0;
    }
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    sigset_t mask, def;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR2);
    sigemptyset(&def);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_t at;
    CHECK_ZERO(posix_spawnattr_init(&at));
    CHECK_ZERO(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
    CHECK_ZERO(posix_spawnattr_setpgroup(&at, 0));
    CHECK_ZERO(posix_spawnattr_setsigmask(&at, &mask));
    CHECK_ZERO(posix_spawnattr_setsigdefault(&at, &def));
    char *cargv[] = {argv[0], "child", NULL};
    char *cenv[] = {NULL};
    pid_t pid;
    CHECK_ZERO(posix_spawn(&pid, "/proc/self/exe", NULL, &at, cargv, cenv));
    posix_spawnattr_destroy(&at);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    return check_done();
}
