/* sigprocmask: block/unblock/setmask, pending signals delivered on unblock,
 * standard signals do not queue, SIGKILL cannot be blocked, EINVAL. */
#include "check.h"
#include <signal.h>

static volatile sig_atomic_t usr1, usr2;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_usr2(int s) { (void)s; usr2++; }

int main(void) {
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    sigset_t set, old, cur, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(!sigismember(&old, SIGUSR1));
    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_EQ(usr1, 0);
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGUSR1));
    CHECK(!sigismember(&pend, SIGUSR2));
    /* Another signal is still delivered. */
    CHECK_OK(kill(getpid(), SIGUSR2));
    CHECK_EQ(usr2, 1);
    /* Unblocking delivers the pending one once (no queueing), before sigprocmask returns. */
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK_EQ(usr1, 1);
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR1));

    /* SIG_SETMASK; SIGKILL and SIGSTOP are silently left out. */
    sigfillset(&set);
    CHECK_OK(sigprocmask(SIG_SETMASK, &set, NULL));
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(sigismember(&cur, SIGUSR1));
    CHECK(sigismember(&cur, SIGTERM));
    CHECK(!sigismember(&cur, SIGKILL));
    CHECK(!sigismember(&cur, SIGSTOP));
    sigemptyset(&set);
    CHECK_OK(sigprocmask(SIG_SETMASK, &set, NULL));
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(!sigismember(&cur, SIGUSR1));
    CHECK_ERRNO(sigprocmask(12345, &set, NULL), EINVAL);

    /* A blocked signal is made pending even if ignored (the action may change
     * before it is unblocked); unblocked while ignored, it is discarded. */
    signal(SIGUSR2, SIG_IGN);
    sigaddset(&set, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
    CHECK_OK(kill(getpid(), SIGUSR2));
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGUSR2));
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR2));
    CHECK_EQ(usr2, 1);
    return check_done();
}
