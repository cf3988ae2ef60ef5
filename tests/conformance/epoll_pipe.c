/* epoll: level- and edge-triggered readiness on pipes, ONESHOT, MOD/DEL, data.u64, errors. */
#include "check.h"
#include <sys/epoll.h>

int main(void) {
    int ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
    CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
    int p[2];
    CHECK_OK(pipe(p));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
    struct epoll_event out[4];
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    CHECK_EQ(epoll_wait(ep, out, 4, 20), 0);
    CHECK_EQ(write(p[1], "xy", 2), 2);
    CHECK_EQ(epoll_wait(ep, out, 4, -1), 1);
    CHECK_EQ(out[0].events, EPOLLIN);
    CHECK(out[0].data.u64 == 0x1122334455667788ULL);
    /* Level-triggered: still ready. */
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);

    /* Edge-triggered: reported once per new arrival. */
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = p[0];
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
    CHECK_EQ(out[0].data.fd, p[0]);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    CHECK_EQ(write(p[1], "z", 1), 1);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    char buf[8];
    CHECK_EQ(read(p[0], buf, sizeof buf), 3);

    /* ONESHOT: disabled after one report until re-armed with MOD. */
    ev.events = EPOLLIN | EPOLLONESHOT;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK_EQ(write(p[1], "a", 1), 1);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);

    /* Write end: EPOLLOUT; hang-up after the writer closes. */
    struct epoll_event wev = {.events = EPOLLOUT, .data.fd = p[1]};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &wev));
    ev.events = EPOLLIN;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 2);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
    close(p[1]);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
    CHECK(out[0].events & EPOLLHUP);

    /* Closing the fd removes it from the set. */
    close(p[0]);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    CHECK_ERRNO(epoll_wait(ep, out, 0, 0), EINVAL);
    /* A regular file cannot be watched. */
    enter_tmpdir();
    int f = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
    return check_done();
}
