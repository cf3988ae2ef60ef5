/* lseek (SET/CUR/END, holes, EINVAL), pread/pwrite leave the offset alone. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    CHECK_EQ(write(fd, "0123456789", 10), 10);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
    CHECK_EQ(lseek(fd, -3, SEEK_END), 7);
    char buf[16] = {0};
    CHECK_EQ(read(fd, buf, sizeof buf), 3);
    CHECK_STR(buf, "789");
    CHECK_EQ(read(fd, buf, sizeof buf), 0); /* EOF */
    CHECK_ERRNO(lseek(fd, -100, SEEK_SET), EINVAL);
    CHECK_ERRNO(lseek(fd, 0, 12345), EINVAL);

    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(fd, buf, 4, 2), 4);
    CHECK_STR(buf, "2345");
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
    CHECK_EQ(pwrite(fd, "AB", 2, 0), 2);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);

    /* A hole past the end reads back as zeros. */
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
    CHECK_EQ(write(fd, "Z", 1), 1);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 101);
    char hole[90];
    CHECK_EQ(pread(fd, hole, sizeof hole, 10), 90);
    for (int i = 0; i < 90; i++) CHECK_EQ(hole[i], 0);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(fd, buf, 3, 0), 3);
    CHECK_STR(buf, "AB2");

    /* pread on a pipe: ESPIPE. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERRNO(pread(p[0], buf, 1, 0), ESPIPE);
    CHECK_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
    return check_done();
}
