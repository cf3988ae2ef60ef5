/* rename: replace a file atomically, directories, EISDIR/ENOTDIR/ENOTEMPTY, same name. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    char buf[32];
    write_file("a", "A");
    write_file("b", "B");
    CHECK_OK(rename("a", "b"));
    CHECK_ERRNO(access("a", F_OK), ENOENT);
    read_file("b", buf, sizeof buf);
    CHECK_STR(buf, "A");
    CHECK_OK(rename("b", "b")); /* same file: no-op */
    CHECK_EQ(access("b", F_OK), 0);

    CHECK_OK(mkdir("d1", 0755));
    CHECK_OK(mkdir("d2", 0755));
    CHECK_ERRNO(rename("b", "d1"), EISDIR);
    CHECK_ERRNO(rename("d1", "b"), ENOTDIR);
    CHECK_OK(rename("b", "d1/b"));
    read_file("d1/b", buf, sizeof buf);
    CHECK_STR(buf, "A");
    /* A directory can replace an empty directory, not a non-empty one. */
    CHECK_ERRNO(rename("d2", "d1"), ENOTEMPTY);
    CHECK_OK(rename("d1", "d2"));
    CHECK_ERRNO(access("d1", F_OK), ENOENT);
    read_file("d2/b", buf, sizeof buf);
    CHECK_STR(buf, "A");
    /* A directory cannot move below itself. */
    CHECK_OK(mkdir("d2/sub", 0755));
    CHECK_ERRNO(rename("d2", "d2/sub/x"), EINVAL);
    CHECK_ERRNO(rename("missing", "x"), ENOENT);
    return check_done();
}
