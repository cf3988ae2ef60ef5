/* O_NONBLOCK pipes: EAGAIN on empty read and full write; pipe2 flags; partial writes. */
#include "check.h"

int main(void) {
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    char buf[4096];
    CHECK_ERRNO(read(p[0], buf, sizeof buf), EAGAIN);
    memset(buf, 'x', sizeof buf);
    size_t total = 0;
    for (;;) {
        ssize_t n = write(p[1], buf, sizeof buf);
        if (n < 0) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        total += n;
        CHECK(total < (1 << 24));
    }
    /* Linux's default capacity is 64 KiB; at least PIPE_BUF. */
    CHECK(total >= 4096);
    CHECK_ERRNO(write(p[1], "y", 1), EAGAIN);
    /* Draining gives every byte back, then EAGAIN again. */
    size_t got = 0;
    for (;;) {
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n < 0) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        got += n;
    }
    CHECK_EQ(got, total);
    /* With the write end closed, a non-blocking read returns 0 (EOF), not EAGAIN. */
    close(p[1]);
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);
    CHECK_ERRNO(pipe2(p, 0x12345678 & ~(O_NONBLOCK | O_CLOEXEC)), EINVAL);
    return check_done();
}
