/* F_GETFD/F_SETFD and F_GETFL/F_SETFL: access mode, O_APPEND, O_NONBLOCK, per-description flags. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    int fl = CHECK_OK(fcntl(fd, F_GETFL));
    CHECK_EQ(fl & O_ACCMODE, O_WRONLY);
    CHECK(fl & O_APPEND);
    CHECK(!(fl & O_NONBLOCK));
    CHECK_OK(fcntl(fd, F_SETFD, 0));
    CHECK_EQ(fcntl(fd, F_GETFD), 0);

    /* File status flags belong to the open file description, shared by dups;
     * fd flags (CLOEXEC) do not. */
    int d = CHECK_OK(dup(fd));
    CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK_EQ(fcntl(d, F_GETFD), 0);
    CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
    fl = fcntl(d, F_GETFL);
    CHECK(fl & O_NONBLOCK);
    CHECK(!(fl & O_APPEND));
    /* F_SETFL cannot change the access mode. */
    CHECK_OK(fcntl(fd, F_SETFL, O_RDWR));
    CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);

    int rd = CHECK_OK(open("f", O_RDONLY));
    CHECK_EQ(fcntl(rd, F_GETFL) & O_ACCMODE, O_RDONLY);
    int rw = CHECK_OK(open("f", O_RDWR));
    CHECK_EQ(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
    CHECK_ERRNO(fcntl(999, F_GETFL), EBADF);

    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK | O_CLOEXEC));
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
    CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    return check_done();
}
