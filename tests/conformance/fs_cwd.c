/* getcwd/chdir/fchdir, relative paths, "..", ERANGE. */
#include "check.h"

int main(void) {
    const char *tmp = enter_tmpdir();
    char buf[256];
    CHECK(getcwd(buf, sizeof buf) != NULL);
    /* /tmp may itself be a symlink on some hosts; compare with realpath. */
    char real[256];
    CHECK(realpath(tmp, real) != NULL);
    CHECK_STR(buf, real);
    CHECK_OK(mkdir("a", 0755));
    CHECK_OK(mkdir("a/b", 0755));
    CHECK_OK(chdir("a/b"));
    CHECK(getcwd(buf, sizeof buf) != NULL);
    char want[300];
    snprintf(want, sizeof want, "%s/a/b", real);
    CHECK_STR(buf, want);
    CHECK_OK(chdir("../.."));
    CHECK(getcwd(buf, sizeof buf) != NULL);
    CHECK_STR(buf, real);
    int fd = CHECK_OK(open("a", O_RDONLY | O_DIRECTORY));
    CHECK_OK(fchdir(fd));
    CHECK(getcwd(buf, sizeof buf) != NULL);
    snprintf(want, sizeof want, "%s/a", real);
    CHECK_STR(buf, want);
    CHECK(getcwd(buf, 2) == NULL && errno == ERANGE);
    CHECK_ERRNO(chdir("missing"), ENOENT);
    write_file("file", "x");
    CHECK_ERRNO(chdir("file"), ENOTDIR);
    CHECK_OK(chdir(real));
    return check_done();
}
