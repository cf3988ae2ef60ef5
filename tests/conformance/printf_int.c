/* printf of integers, strings and chars: flags, widths, lengths, %n, positional arguments. */
#include "check.h"
#include <limits.h>
#include <stdint.h>
#include <inttypes.h>

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
    CHECK_STR(FMT("%d %i %u", -42, 7, 42u), "-42 7 42");
    CHECK_STR(FMT("%x %X %o %#x %#o", 255, 255, 8, 255, 8), "ff FF 10 0xff 010");
    CHECK_STR(FMT("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42), "   42|42   |00042|+42| 42");
    CHECK_STR(FMT("%.3d|%.0d|%#.0o", 7, 0, 0), "007||0");
    CHECK_STR(FMT("%d", INT_MIN), "-2147483648");
    CHECK_STR(FMT("%lld", LLONG_MIN), "-9223372036854775808");
    CHECK_STR(FMT("%llu", ULLONG_MAX), "18446744073709551615");
    CHECK_STR(FMT("%hhd %hd", 300, 70000), "44 4464");
    CHECK_STR(FMT("%zu %td", (size_t)123, (ptrdiff_t)-5), "123 -5");
    CHECK_STR(FMT("%" PRId64 " %" PRIx32, (int64_t)-1, (uint32_t)0xdeadbeef), "-1 deadbeef");
    CHECK_STR(FMT("%s|%.2s|%5s|%-5s|", "abc", "abc", "ab", "ab"), "abc|ab|   ab|ab   |");
    CHECK_STR(FMT("%c%c%%", 'o', 'k'), "ok%");
    CHECK_STR(FMT("%2$s %1$s", "world", "hello"), "hello world");
    int n = 0;
    FMT("abc%ndef", &n);
    CHECK_EQ(n, 3);
    CHECK_STR(FMT("%p", (void *)0x1234), "0x1234");
    char *volatile nowhere = NULL;
    CHECK_EQ(snprintf(nowhere, 0, "%d", 123456), 6);
    return check_done();
}
