/* timerfd: relative one-shot and periodic timers, gettime, TFD_NONBLOCK EAGAIN, absolute time. */
#include "check.h"
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

int main(void) {
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    uint64_t n;
    CHECK_ERRNO(read(fd, &n, 8), EAGAIN);
    struct itimerspec its = {{0, 0}, {10, 0}}, cur;
    CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK(cur.it_value.tv_sec <= 10 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0));
    CHECK_ERRNO(read(fd, &n, 8), EAGAIN);
    /* Disarm. */
    struct itimerspec zero = {{0, 0}, {0, 0}}, old;
    CHECK_OK(timerfd_settime(fd, 0, &zero, &old));
    CHECK(old.it_value.tv_sec <= 10);
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK_EQ(cur.it_value.tv_sec, 0);
    CHECK_EQ(cur.it_value.tv_nsec, 0);
    close(fd);

    /* A blocking timer: the read waits for the first expiry. */
    fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    struct itimerspec shot = {{0, 0}, {0, 20 * 1000 * 1000}};
    CHECK_OK(timerfd_settime(fd, 0, &shot, NULL));
    CHECK_EQ(read(fd, &n, 8), 8);
    CHECK_EQ(n, 1);
    CHECK_ERRNO(read(fd, &n, 4), EINVAL);

    /* Periodic: expirations accumulate (at least 1 per read, reported by poll). */
    struct itimerspec per = {{0, 5 * 1000 * 1000}, {0, 5 * 1000 * 1000}};
    CHECK_OK(timerfd_settime(fd, 0, &per, NULL));
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(poll(&p, 1, -1), 1);
    CHECK_EQ(read(fd, &n, 8), 8);
    CHECK(n >= 1);
    CHECK_EQ(read(fd, &n, 8), 8);
    CHECK(n >= 1);

    /* Absolute time in the past fires at once. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec abs = {{0, 0}, now};
    CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &abs, NULL));
    CHECK_EQ(read(fd, &n, 8), 8);
    CHECK_EQ(n, 1);
    CHECK_ERRNO(timerfd_create(12345, 0), EINVAL);
    return check_done();
}
