/* mkdir/rmdir: EEXIST, ENOENT, ENOTEMPTY, ENOTDIR, nlink of directories. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    CHECK_OK(mkdir("d", 0755));
    CHECK_ERRNO(mkdir("d", 0755), EEXIST);
    CHECK_ERRNO(mkdir("x/y", 0755), ENOENT);
    struct stat st;
    CHECK_OK(stat("d", &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_EQ(st.st_nlink, 2);
    CHECK_OK(mkdir("d/sub", 0755));
    CHECK_OK(stat("d", &st));
    CHECK_EQ(st.st_nlink, 3);
    CHECK_ERRNO(rmdir("d"), ENOTEMPTY);
    write_file("file", "x");
    CHECK_ERRNO(rmdir("file"), ENOTDIR);
    CHECK_ERRNO(mkdir("file/sub", 0755), ENOTDIR);
    CHECK_ERRNO(mkdir("file", 0755), EEXIST);
    CHECK_ERRNO(rmdir("d/sub/."), EINVAL);
    CHECK_OK(rmdir("d/sub"));
    CHECK_OK(stat("d", &st));
    CHECK_EQ(st.st_nlink, 2);
    CHECK_OK(rmdir("d"));
    CHECK_ERRNO(rmdir("d"), ENOENT);
    /* mkdir with a trailing slash works. */
    CHECK_OK(mkdir("e/", 0755));
    CHECK_OK(rmdir("e/"));
    return check_done();
}
