/* A directory removed while it is the cwd (and open): listing it gives no entries at all
 * (not even . and ..), and nothing can be created in it. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    /* A removed directory lists as empty (no . or .. either on Linux). */
    CHECK_OK(mkdir("gone", 0755));
    CHECK_OK(chdir("gone"));
    CHECK_OK(rmdir("../gone"));
    DIR *d = opendir(".");
    CHECK(d != NULL);
    int count = 0;
    while (readdir(d)) count++;
    CHECK_EQ(count, 0);
    closedir(d);
    CHECK_ERRNO(open("newfile", O_CREAT | O_WRONLY, 0644), ENOENT);
    CHECK_OK(chdir(".."));
    return check_done();
}
