/* eventfd: counter adds up, read resets it, EFD_SEMAPHORE, EAGAIN, 8-byte size rule, poll. */
#include "check.h"
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>

int main(void) {
    int fd = CHECK_OK(eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC));
    uint64_t v = 4;
    CHECK_EQ(write(fd, &v, 8), 8);
    CHECK_EQ(read(fd, &v, 8), 8);
    CHECK_EQ(v, 7);
    CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
    CHECK_ERRNO(read(fd, &v, 4), EINVAL);
    uint32_t small = 1;
    CHECK_ERRNO(write(fd, &small, 4), EINVAL);
    v = UINT64_MAX;
    CHECK_ERRNO(write(fd, &v, 8), EINVAL);
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);
    v = 1;
    CHECK_EQ(write(fd, &v, 8), 8);
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLIN | POLLOUT);
    close(fd);

    fd = CHECK_OK(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
    CHECK_EQ(read(fd, &v, 8), 8);
    CHECK_EQ(v, 1);
    CHECK_EQ(read(fd, &v, 8), 8);
    CHECK_EQ(v, 1);
    CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
    /* A full counter makes a non-blocking write fail. */
    v = UINT64_MAX - 1;
    CHECK_EQ(write(fd, &v, 8), 8);
    v = 1;
    CHECK_ERRNO(write(fd, &v, 8), EAGAIN);
    return check_done();
}
