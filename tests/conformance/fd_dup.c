/* dup/dup2/dup3/F_DUPFD: lowest free number, shared offset, dup2 onto itself, EBADF/EINVAL. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    int d = CHECK_OK(dup(fd));
    CHECK(d > fd);
    /* Lowest free number. */
    close(fd);
    int d2 = CHECK_OK(dup(d));
    CHECK_EQ(d2, fd);
    /* Shared offset through dups. */
    CHECK_EQ(write(d, "abc", 3), 3);
    CHECK_EQ(lseek(d2, 0, SEEK_CUR), 3);
    CHECK_EQ(dup2(d, 50), 50);
    CHECK_EQ(lseek(50, 1, SEEK_SET), 1);
    CHECK_EQ(lseek(d, 0, SEEK_CUR), 1);
    /* dup2 onto itself returns the fd; on a bad fd EBADF. */
    CHECK_EQ(dup2(d, d), d);
    CHECK_ERRNO(dup2(999, 60), EBADF);
    CHECK_ERRNO(dup2(d, -1), EBADF);
    /* dup3 onto itself is EINVAL; with O_CLOEXEC sets the flag. */
    CHECK_ERRNO(dup3(d, d, 0), EINVAL);
    CHECK_EQ(dup3(d, 51, O_CLOEXEC), 51);
    CHECK_EQ(fcntl(51, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(50, F_GETFD), 0);
    /* dup2 over an open fd closes it silently. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(dup2(p[0], 50), 50);
    struct stat st;
    CHECK_OK(fstat(50, &st));
    CHECK(S_ISFIFO(st.st_mode));
    /* F_DUPFD: lowest >= arg; F_DUPFD_CLOEXEC. */
    CHECK_EQ(fcntl(d, F_DUPFD, 40), 40);
    CHECK_EQ(fcntl(d, F_DUPFD, 40), 41);
    int c = CHECK_OK(fcntl(d, F_DUPFD_CLOEXEC, 40));
    CHECK_EQ(c, 42);
    CHECK_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
    CHECK_ERRNO(dup(999), EBADF);
    CHECK_ERRNO(close(999), EBADF);
    return check_done();
}
