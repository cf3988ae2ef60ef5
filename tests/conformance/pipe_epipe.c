/* Writing to a pipe with no reader: SIGPIPE kills by default; ignored, EPIPE. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        /* Default SIGPIPE disposition: this write kills us. */
        int p[2];
        if (pipe(p)) return 2;
        close(p[0]);
        write(p[1], "x", 1);
        return 3;
    }
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGPIPE);

    signal(SIGPIPE, SIG_IGN);
    int p[2];
    CHECK_OK(pipe(p));
    close(p[0]);
    CHECK_ERRNO(write(p[1], "x", 1), EPIPE);

    /* Blocked SIGPIPE: EPIPE and the signal stays pending. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
    CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
    CHECK_OK(sigpending(&pending));
    CHECK(sigismember(&pending, SIGPIPE));
    signal(SIGPIPE, SIG_IGN); /* discards the pending one */
    CHECK_OK(sigpending(&pending));
    CHECK(!sigismember(&pending, SIGPIPE));
    return check_done();
}
