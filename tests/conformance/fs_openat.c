/* *at calls relative to a directory fd: openat, mkdirat, unlinkat, renameat, linkat, symlinkat, readlinkat. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    CHECK_OK(mkdir("d", 0755));
    int dfd = CHECK_OK(open("d", O_RDONLY | O_DIRECTORY));
    int fd = CHECK_OK(openat(dfd, "f", O_WRONLY | O_CREAT, 0644));
    CHECK_EQ(write(fd, "hi", 2), 2);
    close(fd);
    CHECK_EQ(access("d/f", F_OK), 0);
    CHECK_OK(mkdirat(dfd, "sub", 0755));
    CHECK_OK(renameat(dfd, "f", dfd, "sub/g"));
    CHECK_OK(linkat(dfd, "sub/g", AT_FDCWD, "h", 0));
    CHECK_OK(symlinkat("sub/g", dfd, "s"));
    char buf[32];
    ssize_t n = CHECK_OK(readlinkat(dfd, "s", buf, sizeof buf));
    CHECK_EQ(n, 5);
    read_file("d/s", buf, sizeof buf);
    CHECK_STR(buf, "hi");
    CHECK_ERRNO(unlinkat(dfd, "sub", 0), EISDIR);
    CHECK_ERRNO(unlinkat(dfd, "sub", AT_REMOVEDIR), ENOTEMPTY);
    CHECK_OK(unlinkat(dfd, "sub/g", 0));
    CHECK_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
    /* An absolute path ignores the dirfd; a bad dirfd with a relative path is EBADF. */
    int afd = CHECK_OK(openat(12345, "/dev/null", O_RDONLY));
    close(afd);
    CHECK_ERRNO(openat(12345, "x", O_RDONLY), EBADF);
    int ffd = CHECK_OK(open("h", O_RDONLY));
    CHECK_ERRNO(openat(ffd, "x", O_RDONLY), ENOTDIR);
    return check_done();
}
