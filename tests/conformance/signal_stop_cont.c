/* Job control signals: SIGSTOP/SIGCONT seen by waitpid with WUNTRACED/WCONTINUED; default actions. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "wait")) {
        char c;
        read(0, &c, 1);
        return 4;
    }
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[1]);
        execl("/proc/self/exe", argv[0], "wait", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    int st;
    CHECK_OK(kill(pid, SIGSTOP));
    CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
    CHECK(WIFSTOPPED(st));
    CHECK_EQ(WSTOPSIG(st), SIGSTOP);
    CHECK_OK(kill(pid, SIGCONT));
    CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
    CHECK(WIFCONTINUED(st));
    /* A default-ignored signal (SIGURG, SIGWINCH) does nothing; the child keeps running. */
    CHECK_OK(kill(pid, SIGWINCH));
    CHECK_OK(kill(pid, SIGURG));
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 4);

    /* SIGUSR1's default action terminates. */
    int q[2];
    CHECK_OK(pipe(q));
    pid = vfork();
    if (pid == 0) {
        dup2(q[0], 0);
        close(q[1]);
        execl("/proc/self/exe", argv[0], "wait", (char *)NULL);
        _exit(127);
    }
    close(q[0]);
    CHECK_OK(kill(pid, SIGUSR1));
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGUSR1);
    return check_done();
}
