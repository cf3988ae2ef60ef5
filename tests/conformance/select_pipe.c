/* select/pselect on pipes: readiness sets, timeouts, EBADF, pselect's signal mask. */
#include "check.h"
#include <signal.h>
#include <sys/select.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void) {
    int p[2];
    CHECK_OK(pipe(p));
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    int maxfd = (p[0] > p[1] ? p[0] : p[1]) + 1;
    CHECK_EQ(select(maxfd, &r, &w, NULL, &tv), 1);
    CHECK(!FD_ISSET(p[0], &r));
    CHECK(FD_ISSET(p[1], &w));

    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    CHECK_EQ(select(maxfd, &r, NULL, NULL, &tv), 0);
    CHECK(!FD_ISSET(p[0], &r));
    /* (Whether the time left is written back depends on the libc: not checked.) */

    CHECK_EQ(write(p[1], "ab", 2), 2);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ(select(maxfd, &r, NULL, NULL, NULL), 1);
    CHECK(FD_ISSET(p[0], &r));

    /* A closed fd in a set: EBADF. */
    int closed = CHECK_OK(dup(p[0]));
    CHECK_OK(close(closed));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(closed, &r);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    CHECK_ERRNO(select(closed + 1, &r, NULL, NULL, &tv), EBADF);
    CHECK_ERRNO(select(-1, NULL, NULL, NULL, &tv), EINVAL);

    /* pselect: SIGUSR1 blocked outside, unblocked during the wait. */
    signal(SIGUSR1, on_usr1);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(got, 0);
    char c[2];
    CHECK_EQ(read(p[0], c, 2), 2);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_ERRNO(pselect(maxfd, &r, NULL, NULL, NULL, &empty), EINTR);
    CHECK_EQ(got, 1);
    return check_done();
}
