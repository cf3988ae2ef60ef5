/* opendir/readdir (getdents64): all entries once, including . and .., rewinddir, d_type. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    char name[32];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "file%02d", i);
        write_file(name, "x");
    }
    CHECK_OK(mkdir("subdir", 0755));
    CHECK_OK(symlink("file00", "link"));
    for (int round = 0; round < 2; round++) {
        DIR *d = opendir(".");
        CHECK(d != NULL);
        int seen[50] = {0};
        int dots = 0, sub = 0, lnk = 0, total = 0;
        struct dirent *e;
        errno = 0;
        while ((e = readdir(d)) != NULL) {
            total++;
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
                dots++;
                if (e->d_type != DT_UNKNOWN) CHECK_EQ(e->d_type, DT_DIR);
            } else if (!strcmp(e->d_name, "subdir")) {
                sub++;
                if (e->d_type != DT_UNKNOWN) CHECK_EQ(e->d_type, DT_DIR);
            } else if (!strcmp(e->d_name, "link")) {
                lnk++;
                if (e->d_type != DT_UNKNOWN) CHECK_EQ(e->d_type, DT_LNK);
            } else {
                int i;
                CHECK_EQ(sscanf(e->d_name, "file%d", &i), 1);
                CHECK(i >= 0 && i < 50);
                seen[i]++;
                if (e->d_type != DT_UNKNOWN) CHECK_EQ(e->d_type, DT_REG);
            }
            CHECK(e->d_ino != 0);
        }
        CHECK_EQ(errno, 0);
        CHECK_EQ(dots, 2);
        CHECK_EQ(sub, 1);
        CHECK_EQ(lnk, 1);
        CHECK_EQ(total, 54);
        for (int i = 0; i < 50; i++) CHECK_EQ(seen[i], 1);
        if (round == 0) {
            rewinddir(d);
            int again = 0;
            while (readdir(d)) again++;
            CHECK_EQ(again, 54);
        }
        closedir(d);
    }
    CHECK(opendir("missing") == NULL && errno == ENOENT);
    CHECK(opendir("file00") == NULL && errno == ENOTDIR);
    return check_done();
}
