/* access, chmod/fchmod, umask affects creation modes. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    mode_t old = umask(022);
    (void)old;
    CHECK_EQ(umask(027), 022);
    int fd = CHECK_OK(open("f", O_WRONLY | O_CREAT, 0666));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode & 0777, 0640);
    CHECK_OK(mkdir("d", 0777));
    CHECK_OK(stat("d", &st));
    CHECK_EQ(st.st_mode & 0777, 0750);
    umask(0);
    CHECK_OK(fchmod(fd, 04755));
    CHECK_OK(stat("f", &st));
    CHECK_EQ(st.st_mode & 07777, 04755);
    CHECK_OK(chmod("f", 0600));
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode & 07777, 0600);
    CHECK(S_ISREG(st.st_mode));
    close(fd);

    CHECK_EQ(access("f", F_OK), 0);
    CHECK_EQ(access("f", R_OK | W_OK), 0);
    CHECK_ERRNO(access("missing", F_OK), ENOENT);
    CHECK_ERRNO(access("f", 0x40), EINVAL);
    CHECK_ERRNO(chmod("missing", 0644), ENOENT);
    if (geteuid() != 0) {
        CHECK_ERRNO(access("f", X_OK), EACCES);
        CHECK_OK(chmod("f", 0000));
        CHECK_ERRNO(open("f", O_RDONLY), EACCES);
    } else {
        /* root: X_OK still needs some execute bit on a regular file. */
        CHECK_ERRNO(access("f", X_OK), EACCES);
        CHECK_OK(chmod("f", 0100));
        CHECK_EQ(access("f", X_OK), 0);
    }
    CHECK_OK(faccessat(AT_FDCWD, "d", X_OK, 0));
    return check_done();
}
