/* waitpid: WNOHANG, specific pid vs -1, exit codes 0..255, termination by signal, ECHILD. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

static pid_t run(char *argv0, const char *mode, const char *arg) {
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv0, mode, arg, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    return pid;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "exit")) exit(atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "signal")) {
        signal(atoi(argv[2]), SIG_DFL);
        raise(atoi(argv[2]));
        return 100;
    }
    if (argc == 3 && !strcmp(argv[1], "block")) {
        /* Wait until the parent closes the pipe on fd 3... simpler: read stdin. */
        char c;
        read(0, &c, 1);
        return 7;
    }
    int st;
    pid_t a = run(argv[0], "exit", "0");
    pid_t b = run(argv[0], "exit", "255");
    pid_t c = run(argv[0], "exit", "256"); /* truncated to 0 */
    CHECK_EQ(waitpid(b, &st, 0), b);
    CHECK(WIFEXITED(st) && !WIFSIGNALED(st) && !WIFSTOPPED(st));
    CHECK_EQ(WEXITSTATUS(st), 255);
    CHECK_EQ(waitpid(c, &st, 0), c);
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_EQ(waitpid(-1, &st, 0), a);
    CHECK_EQ(st, 0);

    pid_t s = run(argv[0], "signal", "15");
    CHECK_EQ(waitpid(s, &st, 0), s);
    CHECK(WIFSIGNALED(st) && !WIFEXITED(st));
    CHECK_EQ(WTERMSIG(st), SIGTERM);
    s = run(argv[0], "signal", "6");
    CHECK_EQ(waitpid(s, &st, 0), s);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGABRT);

    /* WNOHANG on a running child returns 0; kill it and reap it. */
    int p[2];
    CHECK_OK(pipe(p));
    pid_t blk = vfork();
    if (blk == 0) {
        dup2(p[0], 0);
        close(p[1]);
        execl("/proc/self/exe", argv[0], "block", "x", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    CHECK_EQ(waitpid(blk, &st, WNOHANG), 0);
    CHECK_OK(kill(blk, SIGKILL));
    CHECK_EQ(waitpid(blk, &st, 0), blk);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGKILL);

    CHECK_ERRNO(waitpid(-1, &st, WNOHANG), ECHILD);
    CHECK_ERRNO(waitpid(getpid(), &st, 0), ECHILD);
    CHECK_ERRNO(waitpid(-1, &st, 0x10000), EINVAL);
    return check_done();
}
