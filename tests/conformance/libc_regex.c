/* POSIX regex: basic and extended syntax, subexpression offsets, REG_ICASE, REG_NOSUB,
 * REG_NEWLINE, no-match, compile errors. */
#include "check.h"
#include <regex.h>

int main(void) {
    regex_t re;
    regmatch_t m[4];
    CHECK_ZERO(regcomp(&re, "([a-z]+)@([a-z]+)\\.com", REG_EXTENDED));
    CHECK_EQ(re.re_nsub, 2);
    const char *s = "mail: alice@example.com!";
    CHECK_ZERO(regexec(&re, s, 4, m, 0));
    CHECK_EQ(m[0].rm_so, 6);
    CHECK_EQ(m[0].rm_eo, 23);
    CHECK_EQ(m[1].rm_so, 6);
    CHECK_EQ(m[1].rm_eo, 11);
    CHECK_EQ(m[2].rm_so, 12);
    CHECK_EQ(m[2].rm_eo, 19);
    CHECK_EQ(m[3].rm_so, -1);
    CHECK_EQ(regexec(&re, "no address here", 0, NULL, 0), REG_NOMATCH);
    regfree(&re);

    /* Basic syntax: \( \) groups, backreference, * */
    CHECK_ZERO(regcomp(&re, "\\(ab*\\)c\\1", 0));
    CHECK_ZERO(regexec(&re, "xxabbcabb", 2, m, 0));
    CHECK_EQ(m[0].rm_so, 2);
    CHECK_EQ(m[0].rm_eo, 9);
    CHECK_EQ(regexec(&re, "abbcab", 0, NULL, 0), REG_NOMATCH);
    regfree(&re);

    /* Leftmost-longest alternation, optional group not taken. */
    CHECK_ZERO(regcomp(&re, "(a|ab)(c|bcd)(x)?", REG_EXTENDED));
    CHECK_ZERO(regexec(&re, "abcd", 4, m, 0));
    CHECK_EQ(m[0].rm_so, 0);
    CHECK_EQ(m[0].rm_eo, 4);
    CHECK_EQ(m[3].rm_so, -1);
    regfree(&re);

    CHECK_ZERO(regcomp(&re, "^hello$", REG_EXTENDED | REG_ICASE | REG_NOSUB));
    CHECK_ZERO(regexec(&re, "HeLLo", 0, NULL, 0));
    CHECK_EQ(regexec(&re, "hello!", 0, NULL, 0), REG_NOMATCH);
    CHECK_EQ(regexec(&re, "x\nhello", 0, NULL, 0), REG_NOMATCH);
    regfree(&re);
    CHECK_ZERO(regcomp(&re, "^hello$", REG_EXTENDED | REG_NEWLINE));
    CHECK_ZERO(regexec(&re, "x\nhello\ny", 1, m, 0));
    CHECK_EQ(m[0].rm_so, 2);
    regfree(&re);

    /* Bracket expressions and classes, intervals. */
    CHECK_ZERO(regcomp(&re, "^[[:digit:]]{3}-[^[:space:]]+$", REG_EXTENDED));
    CHECK_ZERO(regexec(&re, "123-abc", 0, NULL, 0));
    CHECK_EQ(regexec(&re, "12-abc", 0, NULL, 0), REG_NOMATCH);
    CHECK_EQ(regexec(&re, "123-a c", 0, NULL, 0), REG_NOMATCH);
    regfree(&re);

    CHECK_NE(regcomp(&re, "(unclosed", REG_EXTENDED), 0);
    CHECK_NE(regcomp(&re, "a{2,1}", REG_EXTENDED), 0);
    int err = regcomp(&re, "[z-a]", REG_EXTENDED);
    CHECK_NE(err, 0);
    char msg[128];
    CHECK(regerror(err, &re, msg, sizeof msg) > 1);
    return check_done();
}
