/* strtod/strtof: decimal and hex forms, inf/nan, endptr, overflow/underflow with ERANGE, correct rounding. */
#include "check.h"
#include <float.h>
#include <math.h>

int main(void) {
    char *end;
    CHECK(strtod("1.5", &end) == 1.5 && *end == 0);
    CHECK(strtod("  -2.5e-3xyz", &end) == -2.5e-3);
    CHECK_STR(end, "xyz");
    CHECK(strtod("0x1.8p3", &end) == 12.0 && *end == 0);
    CHECK(strtod(".5", NULL) == 0.5);
    CHECK(strtod("5.", NULL) == 5.0);
    const char *s = "abc";
    CHECK(strtod(s, &end) == 0.0 && end == s);
    s = "e5";
    CHECK(strtod(s, &end) == 0.0 && end == s);
    CHECK(strtod("1e", &end) == 1.0 && *end == 'e');
    CHECK(isinf(strtod("inf", NULL)));
    CHECK(isinf(strtod("-Infinity", &end)) && *end == 0);
    CHECK(isnan(strtod("nan", NULL)));
    CHECK(isnan(strtod("NAN(123)", &end)) && *end == 0);
    double nz = strtod("-0", NULL);
    CHECK(nz == 0.0 && signbit(nz));

    errno = 0;
    CHECK(strtod("1e400", NULL) == HUGE_VAL);
    CHECK_EQ(errno, ERANGE);
    errno = 0;
    CHECK(strtod("-1e400", NULL) == -HUGE_VAL);
    CHECK_EQ(errno, ERANGE);
    errno = 0;
    double tiny = strtod("1e-400", NULL);
    CHECK(tiny == 0.0);
    CHECK_EQ(errno, ERANGE);
    errno = 0;
    CHECK(strtod("4.9406564584124654e-324", NULL) == 4.9406564584124654e-324); /* denormal min */
    errno = 0; /* (whether a denormal result sets ERANGE differs between libcs) */
    CHECK(strtod("1.7976931348623157e308", NULL) == DBL_MAX);
    CHECK_EQ(errno, 0);

    /* Correct rounding of hard cases. */
    CHECK(strtod("0.1", NULL) == 0.1);
    CHECK(strtod("9007199254740993", NULL) == 9007199254740992.0); /* 2^53+1: ties to even */
    CHECK(strtod("9007199254740995", NULL) == 9007199254740996.0);
    CHECK(strtod("2.2250738585072011e-308", NULL) == 2.2250738585072011e-308);
    CHECK(strtod("123456789012345678901234567890", NULL) == 1.2345678901234568e29);
    CHECK(strtof("3.4028235e38", NULL) == FLT_MAX);
    CHECK(strtof("0.1", NULL) == 0.1f);
    CHECK(atof("  42.5abc") == 42.5);
    return check_done();
}
