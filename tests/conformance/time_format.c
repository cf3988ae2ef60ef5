/* gmtime/localtime/mktime/timegm-free arithmetic and strftime with TZ=UTC. */
#include "check.h"
#include <time.h>

int main(void) {
    CHECK_OK(setenv("TZ", "UTC", 1));
    tzset();
    time_t t = 1700000000; /* 2023-11-14 22:13:20 UTC, a Tuesday */
    struct tm tm;
    CHECK(gmtime_r(&t, &tm) != NULL);
    CHECK_EQ(tm.tm_year, 123);
    CHECK_EQ(tm.tm_mon, 10);
    CHECK_EQ(tm.tm_mday, 14);
    CHECK_EQ(tm.tm_hour, 22);
    CHECK_EQ(tm.tm_min, 13);
    CHECK_EQ(tm.tm_sec, 20);
    CHECK_EQ(tm.tm_wday, 2);
    CHECK_EQ(tm.tm_yday, 317);
    char buf[128];
    CHECK(strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a %b %j %u %%", &tm) > 0);
    CHECK_STR(buf, "2023-11-14 22:13:20 Tue Nov 318 2 %");
    CHECK(strftime(buf, sizeof buf, "%A %B %e %I %p %y %C %D %T %F", &tm) > 0);
    CHECK_STR(buf, "Tuesday November 14 10 PM 23 20 11/14/23 22:13:20 2023-11-14");
    CHECK_EQ(strftime(buf, 5, "%Y-%m-%d", &tm), 0); /* does not fit */

    struct tm lt;
    CHECK(localtime_r(&t, &lt) != NULL);
    CHECK(strftime(buf, sizeof buf, "%s %z %Z", &lt) > 0);
    CHECK_STR(buf, "1700000000 +0000 UTC");
    CHECK_EQ(lt.tm_hour, 22);
    CHECK_EQ(lt.tm_gmtoff, 0);

    /* mktime normalises out-of-range fields. */
    struct tm in = {0};
    in.tm_year = 100; /* 2000 */
    in.tm_mon = 1;    /* February */
    in.tm_mday = 30;  /* -> March 1st (leap year) */
    in.tm_hour = 25;  /* -> next day 01:00 */
    in.tm_isdst = 0;
    time_t r = mktime(&in);
    CHECK_EQ(r, 951958800); /* 2000-03-02 01:00:00 UTC */
    CHECK_EQ(in.tm_mon, 2);
    CHECK_EQ(in.tm_mday, 2);
    CHECK_EQ(in.tm_hour, 1);
    CHECK_EQ(in.tm_wday, 4);
    /* The epoch and dates before it. */
    time_t zero = 0;
    gmtime_r(&zero, &tm);
    CHECK_EQ(tm.tm_year, 70);
    CHECK_EQ(tm.tm_wday, 4);
    time_t neg = -86400;
    gmtime_r(&neg, &tm);
    CHECK_EQ(tm.tm_year, 69);
    CHECK_EQ(tm.tm_mday, 31);
    /* asctime-style output. */
    gmtime_r(&t, &tm);
    CHECK(asctime_r(&tm, buf) != NULL);
    CHECK_STR(buf, "Tue Nov 14 22:13:20 2023\n");
    /* difftime. */
    CHECK(difftime(t, t - 90) == 90.0);
    return check_done();
}
