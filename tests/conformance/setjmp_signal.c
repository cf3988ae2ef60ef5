/* sigsetjmp/siglongjmp restore the signal mask (savemask=1) or not (0);
 * longjmp out of a signal handler. */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>

static sigjmp_buf senv;
static volatile sig_atomic_t in_handler;

static void on_usr1(int s) {
    (void)s;
    in_handler++;
    siglongjmp(senv, 3);
}

static int blocked(int sig) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));

    /* savemask=1: leaving the handler by siglongjmp restores the mask saved
     * at sigsetjmp (SIGUSR1 and SIGUSR2, blocked during the handler, are unblocked again). */
    int r = sigsetjmp(senv, 1);
    if (r == 0) {
        raise(SIGUSR1);
        FAIL("handler returned");
    }
    CHECK_EQ(r, 3);
    CHECK_EQ(in_handler, 1);
    CHECK(!blocked(SIGUSR1));
    CHECK(!blocked(SIGUSR2));

    /* savemask=1 with a mask change after the jump point: undone. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    r = sigsetjmp(senv, 1);
    if (r == 0) {
        sigprocmask(SIG_BLOCK, &set, NULL);
        CHECK(blocked(SIGTERM));
        siglongjmp(senv, 1);
    }
    CHECK(!blocked(SIGTERM));

    /* savemask=0: the handler's mask stays in place after jumping out. */
    r = sigsetjmp(senv, 0);
    if (r == 0) {
        raise(SIGUSR1);
        FAIL("handler returned");
    }
    CHECK_EQ(in_handler, 2);
    CHECK(blocked(SIGUSR1));
    CHECK(blocked(SIGUSR2));
    sigemptyset(&set);
    CHECK_OK(sigprocmask(SIG_SETMASK, &set, NULL));

    /* Jumping out of a handler that interrupted a blocking read. */
    int p[2];
    CHECK_OK(pipe(p));
    struct sigaction al;
    memset(&al, 0, sizeof al);
    al.sa_handler = on_usr1; /* reused: counts and siglongjmps */
    sigemptyset(&al.sa_mask);
    CHECK_OK(sigaction(SIGALRM, &al, NULL));
    r = sigsetjmp(senv, 1);
    if (r == 0) {
        struct itimerval it = {{0, 0}, {0, 20000}};
        CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
        char c;
        read(p[0], &c, 1); /* blocks until SIGALRM */
        FAIL("read returned");
    }
    CHECK_EQ(r, 3);
    CHECK_EQ(in_handler, 3);
    CHECK(!blocked(SIGALRM));
    /* The pipe still works afterwards. */
    CHECK_EQ(write(p[1], "x", 1), 1);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    return check_done();
}
