/* printf of floating point: %f/%e/%g/%a, rounding (round-half-even on exact binary values),
 * inf/nan, signed zero, precision and widths. */
#include "check.h"
#include <math.h>

#include <stdarg.h>
#include <stddef.h>

static char buf[256];
__attribute__((format(printf, 1, 2))) static const char *FMT(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

int main(void) {
    CHECK_STR(FMT("%f", 1.5), "1.500000");
    CHECK_STR(FMT("%.2f", 2.675), "2.67"); /* 2.675 is 2.67499999... in binary */
    CHECK_STR(FMT("%.0f", 0.5), "0");
    CHECK_STR(FMT("%.0f", 1.5), "2");
    CHECK_STR(FMT("%.0f", 2.5), "2");
    CHECK_STR(FMT("%.1f", 0.25), "0.2");
    CHECK_STR(FMT("%.1f", 0.35), "0.3"); /* 0.34999... */
    CHECK_STR(FMT("%.3f", -0.0005), "-0.001"); /* -0.000500000000000000010... */
    CHECK_STR(FMT("%e", 12345.678), "1.234568e+04");
    CHECK_STR(FMT("%.3E", 0.000123456), "1.235E-04");
    CHECK_STR(FMT("%e", 0.0), "0.000000e+00");
    CHECK_STR(FMT("%g", 100000.0), "100000");
    CHECK_STR(FMT("%g", 1000000.0), "1e+06");
    CHECK_STR(FMT("%g", 0.0001), "0.0001");
    CHECK_STR(FMT("%g", 0.00001), "1e-05");
    CHECK_STR(FMT("%.3g", 3.14159), "3.14");
    CHECK_STR(FMT("%#g", 1.0), "1.00000");
    CHECK_STR(FMT("%g", 1e100), "1e+100");
    CHECK_STR(FMT("%a", 1.0), "0x1p+0");
    CHECK_STR(FMT("%a", 0.5), "0x1p-1");
    CHECK_STR(FMT("%a", -3.0), "-0x1.8p+1");
    CHECK_STR(FMT("%.2a", 1.0), "0x1.00p+0");
    CHECK_STR(FMT("%f", INFINITY), "inf");
    CHECK_STR(FMT("%F", -INFINITY), "-INF");
    CHECK_STR(FMT("%e", NAN), "nan");
    CHECK_STR(FMT("%5.1f|%-7.2f|%+f", 3.14159, 2.5, 1.0), "  3.1|2.50   |+1.000000");
    CHECK_STR(FMT("%08.3f", -3.5), "-003.500");
    CHECK_STR(FMT("% f", 1.0), " 1.000000");
    CHECK_STR(FMT("%f", -0.0), "-0.000000");
    CHECK_STR(FMT("%.17g", 0.1), "0.10000000000000001");
    CHECK_STR(FMT("%.20f", 1e-20), "0.00000000000000000001");
    CHECK_STR(FMT("%f", 1e20), "100000000000000000000.000000");
    CHECK_STR(FMT("%.0e", 5e-324), "5e-324");
    CHECK_STR(FMT("%g", 1.7976931348623157e308), "1.79769e+308");
    CHECK_STR(FMT("%*.*f", 8, 2, 1.0), "    1.00");
    CHECK_STR(FMT("%Lf", 1.5L), "1.500000");
    /* snprintf returns the full length even when truncating. */
    char small[4];
    volatile size_t cap = sizeof small;
    CHECK_EQ(snprintf(small, cap, "%f", 1.0), 8);
    CHECK_STR(small, "1.0");
    return check_done();
}
