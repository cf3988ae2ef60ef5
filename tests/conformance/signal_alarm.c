/* alarm: returns the previous remaining seconds, alarm(0) cancels; setitimer/getitimer;
 * pause returns EINTR after a handled SIGALRM. */
#include "check.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t rang;
static void on_alarm(int s) { (void)s; rang++; }

int main(void) {
    signal(SIGALRM, on_alarm);
    CHECK_EQ(alarm(10), 0);
    unsigned left = alarm(20);
    CHECK(left >= 9 && left <= 10);
    left = alarm(0);
    CHECK(left >= 19 && left <= 20);
    CHECK_EQ(alarm(0), 0);

    struct itimerval it = {{0, 0}, {0, 50000}}, cur;
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    CHECK_OK(getitimer(ITIMER_REAL, &cur));
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 50000);
    CHECK_EQ(cur.it_interval.tv_usec, 0);
    CHECK_ERRNO(pause(), EINTR);
    CHECK_EQ(rang, 1);
    CHECK_OK(getitimer(ITIMER_REAL, &cur));
    CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    /* The old value comes back from setitimer. */
    struct itimerval far = {{0, 0}, {100, 0}}, old;
    CHECK_OK(setitimer(ITIMER_REAL, &far, NULL));
    struct itimerval zero = {{0, 0}, {0, 0}};
    CHECK_OK(setitimer(ITIMER_REAL, &zero, &old));
    CHECK(old.it_value.tv_sec >= 99 && old.it_value.tv_sec <= 100);
    struct itimerval badv = {{0, 0}, {0, 2000000}};
    CHECK_ERRNO(setitimer(ITIMER_REAL, &badv, NULL), EINVAL);
    return check_done();
}
