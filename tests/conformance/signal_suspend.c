/* sigsuspend: atomically unblocks, runs the handler, returns EINTR, restores the mask. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void on_sig(int s) { got = s; }

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "child")) {
        /* Signal the parent, which waits in sigsuspend. */
        return kill(getppid(), atoi(argv[2])) == 0 ? 0 : 1;
    }
    signal(SIGUSR1, on_sig);
    sigset_t block, empty, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));

    /* Already pending: sigsuspend returns at once. */
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(got, 0);
    CHECK_ERRNO(sigsuspend(&empty), EINTR);
    CHECK_EQ(got, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(sigismember(&cur, SIGUSR1));

    /* Sent by another process while we wait. */
    got = 0;
    char sig[8];
    snprintf(sig, sizeof sig, "%d", SIGUSR1);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", sig, (char *)NULL);
        _exit(127);
    }
    while (!got) CHECK_ERRNO(sigsuspend(&empty), EINTR);
    CHECK_EQ(got, SIGUSR1);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(sigismember(&cur, SIGUSR1));
    return check_done();
}
