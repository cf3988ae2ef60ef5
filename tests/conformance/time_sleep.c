/* nanosleep, clock_nanosleep (relative and TIMER_ABSTIME), usleep: sleep at least as long as asked. */
#include "check.h"
#include <time.h>

static long long now_ns(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    long long t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec req = {0, 20 * 1000 * 1000}, rem = {7, 7};
    CHECK_OK(nanosleep(&req, &rem));
    long long t1 = now_ns(CLOCK_MONOTONIC);
    CHECK(t1 - t0 >= 20 * 1000 * 1000);

    CHECK_ZERO(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
    long long t2 = now_ns(CLOCK_MONOTONIC);
    CHECK(t2 - t1 >= 20 * 1000 * 1000);

    /* Absolute: wake at (or after) a given monotonic instant. */
    long long target = t2 + 30 * 1000 * 1000;
    struct timespec abs = {target / 1000000000LL, target % 1000000000LL};
    CHECK_ZERO(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
    CHECK(now_ns(CLOCK_MONOTONIC) >= target);
    /* An absolute time in the past returns at once. */
    abs.tv_sec = 0;
    abs.tv_nsec = 1;
    CHECK_ZERO(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
    /* Realtime absolute sleep too. */
    long long rt = now_ns(CLOCK_REALTIME) + 10 * 1000 * 1000;
    struct timespec rabs = {rt / 1000000000LL, rt % 1000000000LL};
    CHECK_ZERO(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &rabs, NULL));
    CHECK(now_ns(CLOCK_REALTIME) >= rt);

    long long t3 = now_ns(CLOCK_MONOTONIC);
    CHECK_OK(usleep(10000));
    CHECK(now_ns(CLOCK_MONOTONIC) - t3 >= 10 * 1000 * 1000);
    /* Zero sleeps are fine; bad values are EINVAL. */
    struct timespec zero = {0, 0};
    CHECK_OK(nanosleep(&zero, NULL));
    struct timespec bad = {0, 1000000000};
    CHECK_ERRNO(nanosleep(&bad, NULL), EINVAL);
    struct timespec neg = {-1, 0};
    CHECK_ERRNO(nanosleep(&neg, NULL), EINVAL);
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL);
    CHECK_EQ(clock_nanosleep(12345, 0, &req, NULL), EINVAL);
    CHECK_EQ(sleep(0), 0);
    return check_done();
}
