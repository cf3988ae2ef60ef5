/* waitid: P_PID/P_ALL, WEXITED with siginfo (CLD_EXITED/CLD_KILLED), WNOWAIT leaves the zombie, WNOHANG. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

static pid_t spawn_self(char *argv0, const char *mode) {
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv0, mode, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    return pid;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "exit9")) return 9;
    if (argc == 2 && !strcmp(argv[1], "block")) {
        char c;
        read(0, &c, 1);
        return 0;
    }
    pid_t pid = spawn_self(argv[0], "exit9");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    /* WNOWAIT: report without reaping; a second waitid sees it again. */
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_signo, SIGCHLD);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_status, 9);
    memset(&si, 0, sizeof si);
    CHECK_OK(waitid(P_ALL, 0, &si, WEXITED));
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_status, 9);
    CHECK_ERRNO(waitid(P_PID, pid, &si, WEXITED), ECHILD);

    /* WNOHANG with a live child: 0 and si_pid == 0. */
    int p[2];
    CHECK_OK(pipe(p));
    pid = vfork();
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[1]);
        execl("/proc/self/exe", argv[0], "block", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    memset(&si, 0xff, sizeof si);
    si.si_pid = 1234;
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOHANG));
    CHECK_EQ(si.si_pid, 0);
    CHECK_OK(kill(pid, SIGTERM));
    memset(&si, 0, sizeof si);
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED));
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_status, SIGTERM);
    /* No wait-for option at all is EINVAL. */
    CHECK_ERRNO(waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
    return check_done();
}
