/* String and memory functions: overlapping memmove, strtok_r, strstr, strspn, strncpy padding, strdup, memchr. */
#include "check.h"
#include <strings.h>

int main(void) {
    char buf[32] = "0123456789";
    memmove(buf + 2, buf, 8);
    CHECK_STR(buf, "0101234567");
    memmove(buf, buf + 3, 5);
    CHECK_STR(buf, "1234534567");

    char s[] = "a,b,,c";
    char *save, *tok;
    const char *want[] = {"a", "b", "c"};
    int i = 0;
    for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) CHECK_STR(tok, want[i++]);
    CHECK_EQ(i, 3);

    CHECK(strstr("haystack", "st") != NULL);
    CHECK_STR(strstr("haystack", "st"), "stack");
    CHECK(strstr("abc", "abcd") == NULL);
    CHECK_STR(strstr("abc", ""), "abc");
    CHECK_EQ(strspn("aabbc", "ab"), 4);
    CHECK_EQ(strcspn("hello, world", ", "), 5);
    CHECK_STR(strpbrk("hello", "lo"), "llo");
    CHECK_STR(strrchr("a/b/c", '/'), "/c");
    CHECK(memchr("abc", 'c', 2) == NULL);

    char pad[8];
    memset(pad, 'X', sizeof pad);
    strncpy(pad, "ab", sizeof pad);
    for (int k = 2; k < 8; k++) CHECK_EQ(pad[k], 0);
    char *d = strdup("copy");
    CHECK_STR(d, "copy");
    free(d);
    d = strndup("truncate", 4);
    CHECK_STR(d, "trun");
    free(d);
    CHECK(strcmp("a", "b") < 0);
    CHECK(strcmp("b", "a") > 0);
    CHECK(strcmp("\x80", "a") > 0); /* compared as unsigned char */
    CHECK_EQ(strncmp("abcx", "abcy", 3), 0);
    CHECK_EQ(strcasecmp("HeLLo", "hello"), 0);
    CHECK(strncasecmp("abc", "ABD", 3) < 0);
    CHECK(memcmp("\xff", "\x01", 1) > 0);
    CHECK_EQ(strlen(""), 0);
    CHECK_EQ(strnlen("abcdef", 3), 3);
    CHECK_STR(strerror(ENOENT), strerror(ENOENT));
    CHECK(strlen(strerror(EINVAL)) > 0);
    return check_done();
}
