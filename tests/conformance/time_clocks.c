/* clock_gettime: monotonic never goes back, realtime agrees with gettimeofday and time(),
 * clock_getres, CLOCK_PROCESS_CPUTIME_ID, bad clock ids. */
#include "check.h"
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec a, b;
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
    for (int i = 0; i < 10000; i++) {
        CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
        CHECK(ns(b) >= ns(a));
        CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
        a = b;
    }
    struct timespec rt;
    struct timeval tv;
    CHECK_OK(clock_gettime(CLOCK_REALTIME, &rt));
    CHECK_OK(gettimeofday(&tv, NULL));
    time_t t = time(NULL);
    CHECK(rt.tv_sec > 1600000000); /* after 2020 */
    CHECK(tv.tv_sec >= rt.tv_sec && tv.tv_sec <= rt.tv_sec + 2);
    CHECK(t >= rt.tv_sec && t <= rt.tv_sec + 2);
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    struct timespec res;
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, &res));
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
    CHECK_OK(clock_getres(CLOCK_REALTIME, &res));
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0);

    struct timespec cpu1, cpu2;
    CHECK_OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1));
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 3000000; i++) x += i;
    CHECK_OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu2));
    CHECK(ns(cpu2) >= ns(cpu1));
    CHECK_OK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1));
    CHECK_OK(clock_gettime(CLOCK_BOOTTIME, &b));
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC_COARSE, &b));
    CHECK_ERRNO(clock_gettime(12345, &b), EINVAL);
    return check_done();
}
