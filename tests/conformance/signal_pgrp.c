/* Process groups: setpgid/getpgid, kill(-pgrp) reaches every member, killpg, ESRCH. */
#include "check.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "wait")) {
        char c;
        read(0, &c, 1); /* blocks until killed (the parent never writes) */
        return 3;
    }
    int p[2];
    CHECK_OK(pipe(p));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *cargv[] = {argv[0], "wait", NULL};
    char *cenv[] = {NULL};
    pid_t a, b;
    CHECK_ZERO(posix_spawn(&a, "/proc/self/exe", &fa, &at, cargv, cenv));
    /* The second child joins the first one's group. */
    posix_spawnattr_setpgroup(&at, a);
    CHECK_ZERO(posix_spawn(&b, "/proc/self/exe", &fa, &at, cargv, cenv));
    CHECK_EQ(getpgid(a), a);
    CHECK_EQ(getpgid(b), a);
    CHECK_NE(getpgid(0), a);
    CHECK_EQ(getpgid(0), getpgrp());

    /* A third child stays in our group; after its exec the parent may no longer move it. */
    pid_t c;
    posix_spawnattr_setflags(&at, 0);
    CHECK_ZERO(posix_spawn(&c, "/proc/self/exe", &fa, &at, cargv, cenv));
    CHECK_EQ(getpgid(c), getpgrp());
    CHECK_ERRNO(setpgid(c, a), EACCES);

    CHECK_OK(kill(-a, SIGTERM));
    int st;
    CHECK_EQ(waitpid(a, &st, 0), a);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    CHECK_EQ(waitpid(b, &st, 0), b);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    /* c was not in the group. */
    CHECK_EQ(waitpid(c, &st, WNOHANG), 0);
    CHECK_OK(kill(c, SIGKILL));
    CHECK_EQ(waitpid(c, &st, 0), c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    /* The group is gone. */
    CHECK_ERRNO(kill(-a, SIGTERM), ESRCH);
    CHECK_ERRNO(killpg(a, SIGTERM), ESRCH);
    CHECK_ERRNO(getpgid(a), ESRCH);
    CHECK_ERRNO(setpgid(0, -1), EINVAL);
    return check_done();
}
