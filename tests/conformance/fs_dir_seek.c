/* telldir/seekdir resume a listing; entries created or removed during a listing do not repeat others;
 * readdir on an emptied-and-removed cwd. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    char name[32];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "e%02d", i);
        write_file(name, "");
    }
    DIR *d = opendir(".");
    CHECK(d != NULL);
    struct dirent *e;
    char first[8][256];
    long pos[8];
    for (int i = 0; i < 8; i++) {
        pos[i] = telldir(d);
        e = readdir(d);
        CHECK(e != NULL);
        snprintf(first[i], sizeof first[i], "%s", e->d_name);
    }
    /* Jump back to the 4th entry: the same names come again in the same order. */
    seekdir(d, pos[3]);
    for (int i = 3; i < 8; i++) {
        e = readdir(d);
        CHECK(e != NULL);
        CHECK_STR(e->d_name, first[i]);
    }
    /* Deleting entries while listing: no name is returned twice. */
    rewinddir(d);
    int seen[20] = {0};
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        int k;
        if (sscanf(e->d_name, "e%d", &k) != 1) continue;
        CHECK(k >= 0 && k < 20);
        CHECK_EQ(seen[k], 0);
        seen[k] = 1;
        n++;
        if (k % 2 == 0) {
            snprintf(name, sizeof name, "e%02d", k + 1);
            unlink(name); /* may or may not have been listed already */
        }
    }
    CHECK(n >= 10);
    closedir(d);

    /* A removed directory lists as empty (no . or .. either on Linux). */
    CHECK_OK(mkdir("gone", 0755));
    CHECK_OK(chdir("gone"));
    CHECK_OK(rmdir("../gone"));
    d = opendir(".");
    CHECK(d != NULL);
    int count = 0;
    while (readdir(d)) count++;
    CHECK_EQ(count, 0);
    closedir(d);
    CHECK_ERRNO(open("newfile", O_CREAT | O_WRONLY, 0644), ENOENT);
    CHECK_OK(chdir(".."));
    return check_done();
}
