/* getopt: clustered flags, required arguments (attached and separate), "--", unknown options, optind reset. */
#include "check.h"

int main(void) {
    opterr = 0;
    char *av1[] = {"prog", "-ab", "-c", "val", "-dattached", "file1", "--", "-x", NULL};
    int ac1 = 8;
    int a = 0, b = 0;
    const char *c = NULL, *d = NULL;
    int opt;
    /* POSIX mode: stop at the first non-option (a leading '+' asks glibc for it too). */
    while ((opt = getopt(ac1, av1, "+abc:d:")) != -1) {
        switch (opt) {
        case 'a': a++; break;
        case 'b': b++; break;
        case 'c': c = optarg; break;
        case 'd': d = optarg; break;
        default: FAIL("unexpected option %c", opt);
        }
    }
    CHECK_EQ(a, 1);
    CHECK_EQ(b, 1);
    CHECK_STR(c, "val");
    CHECK_STR(d, "attached");
    CHECK_EQ(optind, 5);
    CHECK_STR(av1[optind], "file1");

    /* Unknown option and missing argument. */
    optind = 1;
    char *av2[] = {"prog", "-z", "-c", NULL};
    CHECK_EQ(getopt(3, av2, "+c:"), '?');
    CHECK_EQ(optopt, 'z');
    CHECK_EQ(getopt(3, av2, "+c:"), '?');
    CHECK_EQ(optopt, 'c');
    CHECK_EQ(getopt(3, av2, "+c:"), -1);
    /* A leading ':' makes a missing argument ':'. */
    optind = 1;
    char *av3[] = {"prog", "-c", NULL};
    CHECK_EQ(getopt(2, av3, "+:c:"), ':');

    /* "--" ends options; a lone "-" is an operand. */
    optind = 1;
    char *av4[] = {"prog", "-a", "--", "-b", NULL};
    CHECK_EQ(getopt(4, av4, "+ab"), 'a');
    CHECK_EQ(getopt(4, av4, "+ab"), -1);
    CHECK_EQ(optind, 3);
    optind = 1;
    char *av5[] = {"prog", "-", "-a", NULL};
    CHECK_EQ(getopt(3, av5, "+a"), -1);
    CHECK_EQ(optind, 1);
    return check_done();
}
