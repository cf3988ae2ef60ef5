/* getrandom and /dev/urandom: full lengths, different results, flags validation. */
#include "check.h"
#include <sys/random.h>

int main(void) {
    unsigned char a[64], b[64];
    CHECK_EQ(getrandom(a, sizeof a, 0), 64);
    CHECK_EQ(getrandom(b, sizeof b, GRND_NONBLOCK), 64);
    CHECK(memcmp(a, b, sizeof a) != 0);
    /* Not all zero, and not constant. */
    int distinct = 0;
    for (int i = 1; i < 64; i++) distinct += a[i] != a[0];
    CHECK(distinct > 0);
    CHECK_EQ(getrandom(a, 0, 0), 0);
    CHECK_ERRNO(getrandom(a, sizeof a, 0x1234), EINVAL);
    static unsigned char big[1 << 16];
    ssize_t n = CHECK_OK(getrandom(big, sizeof big, 0));
    CHECK(n > 0);

    int fd = CHECK_OK(open("/dev/urandom", O_RDONLY));
    CHECK_EQ(read(fd, a, sizeof a), 64);
    CHECK_EQ(read(fd, b, sizeof b), 64);
    CHECK(memcmp(a, b, sizeof a) != 0);
    close(fd);
    /* /dev/zero and /dev/null. */
    fd = CHECK_OK(open("/dev/zero", O_RDONLY));
    memset(a, 1, sizeof a);
    CHECK_EQ(read(fd, a, sizeof a), 64);
    for (int i = 0; i < 64; i++) CHECK_EQ(a[i], 0);
    close(fd);
    fd = CHECK_OK(open("/dev/null", O_RDWR));
    CHECK_EQ(write(fd, a, 64), 64);
    CHECK_EQ(read(fd, a, 64), 0);
    return check_done();
}
