/* strtol/strtoul/strtoll: bases 0/2/8/16/36, signs, whitespace, endptr, overflow to LONG_MAX/MIN with ERANGE. */
#include "check.h"
#include <limits.h>

int main(void) {
    char *end;
    CHECK_EQ(strtol("123", &end, 10), 123);
    CHECK_EQ(*end, 0);
    CHECK_EQ(strtol("  -42abc", &end, 10), -42);
    CHECK_STR(end, "abc");
    CHECK_EQ(strtol("0x1F", NULL, 0), 31);
    CHECK_EQ(strtol("0X1f", NULL, 16), 31);
    CHECK_EQ(strtol("017", NULL, 0), 15);
    CHECK_EQ(strtol("017", NULL, 10), 17);
    CHECK_EQ(strtol("1010", NULL, 2), 10);
    CHECK_EQ(strtol("zz", NULL, 36), 35 * 36 + 35);
    CHECK_EQ(strtol("+7", NULL, 10), 7);
    const char *s = "  xyz";
    CHECK_EQ(strtol(s, &end, 10), 0);
    CHECK(end == s);
    /* "0x" with no hex digits parses the 0. */
    CHECK_EQ(strtol("0xg", &end, 16), 0);
    CHECK_STR(end, "xg");
    CHECK_EQ(strtol("08", &end, 0), 0);
    CHECK_STR(end, "8");

    errno = 0;
    CHECK_EQ(strtoll("9223372036854775807", NULL, 10), LLONG_MAX);
    CHECK_EQ(errno, 0);
    CHECK_EQ(strtoll("9223372036854775808", NULL, 10), LLONG_MAX);
    CHECK_EQ(errno, ERANGE);
    errno = 0;
    CHECK_EQ(strtoll("-9223372036854775808", NULL, 10), LLONG_MIN);
    CHECK_EQ(errno, 0);
    CHECK_EQ(strtoll("-9223372036854775809", NULL, 10), LLONG_MIN);
    CHECK_EQ(errno, ERANGE);
    errno = 0;
    CHECK(strtoull("18446744073709551615", NULL, 10) == ULLONG_MAX);
    CHECK_EQ(errno, 0);
    CHECK(strtoull("18446744073709551616", NULL, 10) == ULLONG_MAX);
    CHECK_EQ(errno, ERANGE);
    /* strtoul accepts a minus sign and negates. */
    errno = 0;
    CHECK(strtoul("-1", NULL, 10) == ULONG_MAX);
    CHECK_EQ(errno, 0);
    errno = 0;
    CHECK(strtol("99999999999999999999999", NULL, 10) == LONG_MAX);
    CHECK_EQ(errno, ERANGE);
    errno = 0;
    CHECK_EQ(strtol("1", NULL, 1), 0);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(atoi("  -17x"), -17);
    CHECK_EQ(atol("2147483647"), 2147483647L);
    return check_done();
}
