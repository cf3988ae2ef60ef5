/* uname, getrlimit/setrlimit (RLIMIT_NOFILE enforced by open), sysconf, getpagesize, ids. */
#include "check.h"
#include <sys/resource.h>
#include <sys/utsname.h>

int main(void) {
    struct utsname u;
    CHECK_OK(uname(&u));
    CHECK_STR(u.sysname, "Linux");
    CHECK(strlen(u.release) > 0);
    CHECK(strlen(u.machine) > 0);
    CHECK(strlen(u.nodename) > 0);

    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK(rl.rlim_cur > 3);
    CHECK(rl.rlim_cur <= rl.rlim_max);
    CHECK_OK(getrlimit(RLIMIT_STACK, &rl));
    CHECK(rl.rlim_cur > 0);
    CHECK_ERRNO(getrlimit(12345, &rl), EINVAL);

    /* Lower the fd limit: opening past it fails with EMFILE. */
    struct rlimit low = {16, 16};
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 16) low.rlim_max = rl.rlim_max;
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &low));
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK_EQ(rl.rlim_cur, 16);
    int last = -1;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            CHECK_EQ(errno, EMFILE);
            break;
        }
        CHECK(fd < 16);
        last = fd;
    }
    CHECK_EQ(last, 15);
    CHECK_ERRNO(dup2(0, 16), EBADF);
    struct rlimit bad = {32, 16};
    CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &bad), EINVAL);

    CHECK_EQ(sysconf(_SC_PAGESIZE), 4096);
    CHECK_EQ(getpagesize(), 4096);
    CHECK(sysconf(_SC_CLK_TCK) > 0);
    CHECK(sysconf(_SC_OPEN_MAX) == 16);
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    CHECK_EQ(getuid(), geteuid());
    CHECK_EQ(getgid(), getegid());
    CHECK(getpid() > 0);
    CHECK(getppid() >= 0);
    return check_done();
}
