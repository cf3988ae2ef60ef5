/* utimensat/futimens: explicit times, UTIME_NOW, UTIME_OMIT. */
#include "check.h"
#include <time.h>

int main(void) {
    enter_tmpdir();
    write_file("f", "x");
    struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
    CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
    struct stat st;
    CHECK_OK(stat("f", &st));
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK_EQ(st.st_atim.tv_nsec, 123456789);
    CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
    CHECK_EQ(st.st_mtim.tv_nsec, 987654321);

    /* UTIME_OMIT keeps atime, UTIME_NOW sets mtime to about now. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec ts2[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    int fd = CHECK_OK(open("f", O_RDWR));
    CHECK_OK(futimens(fd, ts2));
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK(st.st_mtim.tv_sec >= now.tv_sec - 1);

    /* NULL sets both to now. */
    CHECK_OK(utimensat(AT_FDCWD, "f", NULL, 0));
    CHECK_OK(stat("f", &st));
    CHECK(st.st_atim.tv_sec >= now.tv_sec - 1);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    CHECK_ERRNO(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    CHECK_ERRNO(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);

    /* A write updates mtime. */
    CHECK_OK(futimens(fd, ts));
    CHECK_EQ(write(fd, "y", 1), 1);
    CHECK_OK(fstat(fd, &st));
    CHECK(st.st_mtim.tv_sec >= now.tv_sec - 1);
    return check_done();
}
