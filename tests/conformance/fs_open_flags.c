/* open(2): O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_RDONLY/O_WRONLY access checks. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    char buf[64];

    CHECK_ERRNO(open("missing", O_RDONLY), ENOENT);
    int fd = CHECK_OK(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
    CHECK_EQ(write(fd, "hello", 5), 5);
    CHECK_ERRNO(read(fd, buf, 1), EBADF); /* write-only */
    close(fd);
    CHECK_ERRNO(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);

    /* O_APPEND: every write goes to the end, whatever the offset. */
    fd = CHECK_OK(open("f", O_WRONLY | O_APPEND));
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(write(fd, " world", 6), 6);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
    close(fd);
    CHECK_EQ(read_file("f", buf, sizeof buf), 11);
    CHECK_STR(buf, "hello world");

    /* O_RDONLY: writes fail with EBADF. */
    fd = CHECK_OK(open("f", O_RDONLY));
    CHECK_ERRNO(write(fd, "x", 1), EBADF);
    close(fd);

    /* O_TRUNC empties the file. */
    fd = CHECK_OK(open("f", O_RDWR | O_TRUNC));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0);
    close(fd);

    /* O_DIRECTORY on a regular file, O_CREAT on a path whose parent is missing. */
    CHECK_ERRNO(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERRNO(open("nodir/f", O_WRONLY | O_CREAT, 0644), ENOENT);
    CHECK_ERRNO(open("f/x", O_RDONLY), ENOTDIR);
    /* Opening a directory for writing. */
    CHECK_ERRNO(open(".", O_WRONLY), EISDIR);
    return check_done();
}
