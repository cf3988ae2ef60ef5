/* getopt_long: --name, --name=value, --name value, abbreviations, flag pointers, longindex. */
#include "check.h"
#include <getopt.h>

int main(void) {
    int verbose = 0;
    struct option opts[] = {
        {"verbose", no_argument, &verbose, 1},
        {"output", required_argument, NULL, 'o'},
        {"level", optional_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    char *av[] = {"prog", "--verbose", "--output=out.txt", "--level", "-h", "--outp", "second",
                  "--level=3", "operand", NULL};
    int ac = 9;
    opterr = 0;
    int idx = -1, opt;
    const char *outs[2] = {0};
    int nout = 0, helps = 0, levels = 0;
    const char *level_arg[2] = {"unset", "unset"};
    while ((opt = getopt_long(ac, av, "+o:l::h", opts, &idx)) != -1) {
        switch (opt) {
        case 0: CHECK_EQ(idx, 0); break;
        case 'o': outs[nout++] = optarg; break;
        case 'l': level_arg[levels++] = optarg; break;
        case 'h': helps++; break;
        default: FAIL("unexpected %d", opt);
        }
    }
    CHECK_EQ(verbose, 1);
    CHECK_EQ(nout, 2);
    CHECK_STR(outs[0], "out.txt");
    CHECK_STR(outs[1], "second"); /* abbreviation, separate argument */
    CHECK_EQ(levels, 2);
    CHECK(level_arg[0] == NULL); /* optional argument only with '=' */
    CHECK_STR(level_arg[1], "3");
    CHECK_EQ(helps, 1);
    CHECK_EQ(optind, 8);
    CHECK_STR(av[optind], "operand");

    /* Unknown and ambiguous long options. */
    struct option amb[] = {{"alpha", 0, 0, 'a'}, {"alps", 0, 0, 'b'}, {0, 0, 0, 0}};
    char *av2[] = {"prog", "--nope", "--alp", "--alpha", NULL};
    optind = 1;
    CHECK_EQ(getopt_long(4, av2, "+", amb, NULL), '?');
    CHECK_EQ(getopt_long(4, av2, "+", amb, NULL), '?');
    CHECK_EQ(getopt_long(4, av2, "+", amb, NULL), 'a');
    CHECK_EQ(getopt_long(4, av2, "+", amb, NULL), -1);
    return check_done();
}
