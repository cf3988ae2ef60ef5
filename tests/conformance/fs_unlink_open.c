/* unlink of an open file: the data lives on through the fd; nlink drops to 0. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    CHECK_EQ(write(fd, "data", 4), 4);
    CHECK_OK(unlink("f"));
    CHECK_ERRNO(access("f", F_OK), ENOENT);
    CHECK_ERRNO(unlink("f"), ENOENT);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_nlink, 0);
    CHECK_EQ(st.st_size, 4);
    char buf[8] = {0};
    CHECK_EQ(pread(fd, buf, sizeof buf, 0), 4);
    CHECK_STR(buf, "data");
    CHECK_EQ(write(fd, "more", 4), 4);
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 8);
    /* A new file with the same name is a different file. */
    int fd2 = CHECK_OK(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
    struct stat st2;
    CHECK_OK(fstat(fd2, &st2));
    CHECK_EQ(st2.st_size, 0);
    CHECK_NE(st2.st_ino, st.st_ino);
    close(fd);
    close(fd2);
    /* unlink of a directory is EISDIR on Linux. */
    CHECK_OK(mkdir("d", 0755));
    CHECK_ERRNO(unlink("d"), EISDIR);
    return check_done();
}
