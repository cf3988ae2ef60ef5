/* SIGCHLD on child exit with siginfo (CLD_EXITED/CLD_KILLED, pid, status);
 * SA_NOCLDWAIT / SIG_IGN reaps automatically. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t chld, code, status, who;

static void on_chld(int s, siginfo_t *si, void *uc) {
    (void)s;
    (void)uc;
    chld++;
    code = si->si_code;
    status = si->si_status;
    who = si->si_pid;
}

static pid_t spawn_self(char *argv0, const char *arg) {
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv0, arg, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    return pid;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "exit5")) return 5;
    if (argc == 2 && !strcmp(argv[1], "die")) {
        raise(SIGKILL);
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigemptyset(&empty);
    CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));

    pid_t pid = spawn_self(argv[0], "exit5");
    while (!chld) sigsuspend(&empty);
    CHECK_EQ(who, pid);
    CHECK_EQ(code, CLD_EXITED);
    CHECK_EQ(status, 5);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK_EQ(WEXITSTATUS(st), 5);

    chld = 0;
    pid = spawn_self(argv[0], "die");
    while (!chld) sigsuspend(&empty);
    CHECK_EQ(who, pid);
    CHECK_EQ(code, CLD_KILLED);
    CHECK_EQ(status, SIGKILL);
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st));

    /* SIGCHLD ignored: children are reaped by the kernel, wait gives ECHILD. */
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
    signal(SIGCHLD, SIG_IGN);
    pid = spawn_self(argv[0], "exit5");
    CHECK_ERRNO(waitpid(pid, &st, 0), ECHILD);
    return check_done();
}
