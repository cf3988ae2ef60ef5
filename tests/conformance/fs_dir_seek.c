/* telldir/seekdir resume a listing; entries removed during a listing do not repeat others. */
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

    return check_done();
}
