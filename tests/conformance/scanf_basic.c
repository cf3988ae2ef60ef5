/* sscanf: integers in bases, floats (inf/nan/hex), %s/%c/%[...], %n, widths, return counts. */
#include "check.h"
#include <math.h>

int main(void) {
    int a, b, c;
    CHECK_EQ(sscanf("10 0x1f 017", "%d %x %o", &a, &b, &c), 3);
    CHECK_EQ(a, 10);
    CHECK_EQ(b, 31);
    CHECK_EQ(c, 15);
    CHECK_EQ(sscanf("0x10 010 10", "%i %i %i", &a, &b, &c), 3);
    CHECK_EQ(a, 16);
    CHECK_EQ(b, 8);
    CHECK_EQ(c, 10);
    double d;
    float f;
    CHECK_EQ(sscanf("3.25e2 -0.5", "%lf %f", &d, &f), 2);
    CHECK(d == 325.0);
    CHECK(f == -0.5f);
    CHECK_EQ(sscanf("inf", "%lf", &d), 1);
    CHECK(isinf(d) && d > 0);
    CHECK_EQ(sscanf("-nan", "%lf", &d), 1);
    CHECK(isnan(d));
    CHECK_EQ(sscanf("0x1.8p1", "%lf", &d), 1);
    CHECK(d == 3.0);
    char s[16], t[16];
    CHECK_EQ(sscanf("  hello   world", "%15s %15s", s, t), 2);
    CHECK_STR(s, "hello");
    CHECK_STR(t, "world");
    CHECK_EQ(sscanf("abcdef", "%3s", s), 1);
    CHECK_STR(s, "abc");
    CHECK_EQ(sscanf("key=value;rest", "%[^=]=%[^;]", s, t), 2);
    CHECK_STR(s, "key");
    CHECK_STR(t, "value");
    char ch[3] = {0};
    CHECK_EQ(sscanf(" xy", "%2c", ch), 1);
    CHECK_STR(ch, " x");
    int n;
    CHECK_EQ(sscanf("12 34", "%d%n", &a, &n), 1);
    CHECK_EQ(n, 2);
    CHECK_EQ(sscanf("abc", "%d", &a), 0);
    CHECK_EQ(sscanf("", "%d", &a), EOF);
    CHECK_EQ(sscanf("12345", "%2d%3d", &a, &b), 2);
    CHECK_EQ(a, 12);
    CHECK_EQ(b, 345);
    CHECK_EQ(sscanf("5 6", "%d %*d %d", &a, &b), 1);
    return check_done();
}
