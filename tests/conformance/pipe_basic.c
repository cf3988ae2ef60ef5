/* pipe: data in order, EOF after the writer closes, partial reads, FIONREAD. */
#include "check.h"
#include <sys/ioctl.h>

int main(void) {
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(write(p[1], "hello", 5), 5);
    CHECK_EQ(write(p[1], "world", 5), 5);
    int avail = -1;
    CHECK_OK(ioctl(p[0], FIONREAD, &avail));
    CHECK_EQ(avail, 10);
    char buf[16] = {0};
    CHECK_EQ(read(p[0], buf, 3), 3);
    CHECK_STR(buf, "hel");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(p[0], buf, sizeof buf), 7);
    CHECK_STR(buf, "loworld");
    CHECK_OK(close(p[1]));
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);
    CHECK_ERRNO(write(p[0], "x", 1), EBADF);
    close(p[0]);

    /* A large transfer through a child process keeps every byte in order. */
    CHECK_OK(pipe(p));
    static char big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
    /* Write in one call from a thread-free loop: the pipe buffer fills, so
     * interleave writes and reads. */
    size_t wr = 0, rd = 0;
    static char got[200000];
    CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    while (rd < sizeof big) {
        if (wr < sizeof big) {
            ssize_t n = write(p[1], big + wr, sizeof big - wr);
            if (n < 0) CHECK_EQ(errno, EAGAIN); else wr += n;
        }
        ssize_t n = read(p[0], got + rd, sizeof got - rd);
        CHECK(n > 0);
        rd += n;
    }
    CHECK_MEM(big, got, sizeof big);
    return check_done();
}
