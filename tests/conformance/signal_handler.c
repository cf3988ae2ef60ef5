/* sigaction handlers: raise runs the handler before returning, sa_mask and the
 * signal itself are blocked inside the handler, SA_RESETHAND, SA_NODEFER, old action. */
#include "check.h"
#include <signal.h>

static volatile sig_atomic_t hits, nested_blocked, self_blocked, depth, max_depth, runs;

static void on_usr1(int sig) {
    (void)sig;
    hits++;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    self_blocked = sigismember(&cur, SIGUSR1);
    nested_blocked = sigismember(&cur, SIGUSR2);
}

static void on_usr2(int sig) {
    depth++;
    runs++;
    if (depth > max_depth) max_depth = depth;
    if (runs < 3) raise(sig); /* re-enters only with SA_NODEFER */
    depth--;
}

int main(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(hits, 1);
    CHECK_EQ(self_blocked, 1);
    CHECK_EQ(nested_blocked, 1);
    /* The mask is back to normal afterwards. */
    sigset_t cur;
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &cur));
    CHECK(!sigismember(&cur, SIGUSR1));
    CHECK(!sigismember(&cur, SIGUSR2));
    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_EQ(hits, 2);

    /* The old action comes back from sigaction. */
    sa.sa_handler = SIG_IGN;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    CHECK(old.sa_handler == on_usr1);
    CHECK(sigismember(&old.sa_mask, SIGUSR2));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(hits, 2);

    /* SA_RESETHAND: one shot, then default (checked without dying: SIG_DFL read back). */
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(hits, 3);
    CHECK_OK(sigaction(SIGUSR1, NULL, &old));
    CHECK(old.sa_handler == SIG_DFL);

    /* SA_NODEFER lets the handler re-enter. */
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_NODEFER;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    CHECK_OK(raise(SIGUSR2));
    CHECK_EQ(max_depth, 3);
    CHECK_EQ(runs, 3);
    /* Without it, the nested raise stays pending until the handler returns:
     * each run is depth 1, and the pending one runs right after. */
    max_depth = 0;
    depth = 0;
    runs = 0;
    sa.sa_flags = 0;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));
    CHECK_OK(raise(SIGUSR2));
    CHECK_EQ(max_depth, 1);
    CHECK_EQ(runs, 3);

    /* SIGKILL and SIGSTOP cannot be caught; bad signal numbers are EINVAL. */
    CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(0, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(1000, &sa, NULL), EINVAL);
    CHECK_ERRNO(kill(getpid(), 1000), EINVAL);
    CHECK_OK(kill(getpid(), 0)); /* existence check */
    return check_done();
}
