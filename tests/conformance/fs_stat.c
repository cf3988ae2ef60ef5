/* stat/fstat/fstatat: types, sizes, modes, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, dirfd-relative. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    write_file("f", "12345");
    CHECK_OK(mkdir("d", 0750));
    CHECK_OK(symlink("f", "l"));
    struct stat st;
    CHECK_OK(stat("f", &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 5);
    CHECK_EQ(st.st_nlink, 1);
    CHECK_EQ(st.st_uid, geteuid());
    CHECK(st.st_blksize > 0);
    CHECK_OK(stat("d", &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_EQ(st.st_mode & 07777, 0750 & ~0); /* umask 022 does not touch 0750 */

    int dfd = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
    CHECK_OK(fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
    CHECK(S_ISLNK(st.st_mode));
    CHECK_OK(fstatat(dfd, "l", &st, 0));
    CHECK(S_ISREG(st.st_mode));
    CHECK_ERRNO(fstatat(dfd, "nope", &st, 0), ENOENT);
    CHECK_ERRNO(fstatat(dfd, "f", &st, 0x12345678), EINVAL);

    int fd = CHECK_OK(open("f", O_RDONLY));
    struct stat a, b;
    CHECK_OK(fstat(fd, &a));
    CHECK_OK(fstatat(fd, "", &b, AT_EMPTY_PATH));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(a.st_dev, b.st_dev);
    CHECK_ERRNO(fstatat(fd, "x", &b, 0), ENOTDIR);
    CHECK_ERRNO(fstat(999, &st), EBADF);

    /* fstat of a pipe and of /dev/null. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_OK(fstat(p[0], &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_OK(stat("/dev/null", &st));
    CHECK(S_ISCHR(st.st_mode));
    return check_done();
}
