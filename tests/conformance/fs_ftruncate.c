/* ftruncate/truncate: shrink, grow with zeros, EINVAL on read-only fd. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    CHECK_EQ(write(fd, "abcdefgh", 8), 8);
    CHECK_OK(ftruncate(fd, 3));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 3);
    /* The offset is unchanged (8): a write there leaves a zero-filled gap. */
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8);
    CHECK_OK(ftruncate(fd, 6));
    char buf[8];
    CHECK_EQ(pread(fd, buf, 8, 0), 6);
    CHECK_MEM(buf, "abc\0\0\0", 6);
    CHECK_ERRNO(ftruncate(fd, -1), EINVAL);
    close(fd);

    CHECK_OK(truncate("f", 1));
    CHECK_OK(stat("f", &st));
    CHECK_EQ(st.st_size, 1);
    CHECK_ERRNO(truncate("nope", 1), ENOENT);

    fd = CHECK_OK(open("f", O_RDONLY));
    CHECK(ftruncate(fd, 0) == -1 && (errno == EINVAL || errno == EBADF));
    close(fd);
    return check_done();
}
