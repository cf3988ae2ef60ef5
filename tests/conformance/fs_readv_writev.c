/* readv/writev/preadv/pwritev: scatter-gather in order, short last buffer, offsets untouched by p-variants. */
#include "check.h"
#include <sys/uio.h>

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
    struct iovec w[3] = {{"hello", 5}, {" ", 1}, {"world!", 6}};
    CHECK_EQ(writev(fd, w, 3), 12);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 12);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    char a[4] = {0}, b[4] = {0}, c[16] = {0};
    struct iovec r[3] = {{a, 3}, {b, 3}, {c, sizeof c - 1}};
    CHECK_EQ(readv(fd, r, 3), 12);
    CHECK_STR(a, "hel");
    CHECK_STR(b, "lo ");
    CHECK_STR(c, "world!");
    /* Zero-length entries are skipped. */
    struct iovec z[2] = {{NULL, 0}, {"Z", 1}};
    CHECK_EQ(pwritev(fd, z, 2, 0), 1);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 12);
    memset(a, 0, sizeof a);
    struct iovec one = {a, 3};
    CHECK_EQ(preadv(fd, &one, 1, 0), 3);
    CHECK_STR(a, "Zel");
    struct iovec bad = {a, 3};
    volatile int negative = -1;
    CHECK_ERRNO(readv(fd, &bad, negative), EINVAL);
    /* writev to a pipe is atomic for small totals. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(writev(p[1], w, 3), 12);
    char all[13] = {0};
    CHECK_EQ(read(p[0], all, 12), 12);
    CHECK_STR(all, "hello world!");
    return check_done();
}
