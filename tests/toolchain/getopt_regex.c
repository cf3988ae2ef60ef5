/* getopt_long, regcomp/regexec, qsort, strftime. */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void)
{
	char *argv[] = { "prog", "-v", "--name=x", "-n", "5", "rest", 0 };
	int argc = 6, fails = 0, verbose = 0, n = 0;
	const char *name = 0;
	static struct option lo[] = { { "name", required_argument, 0, 'N' }, { 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "vn:", lo, 0)) != -1) {
		if (c == 'v') verbose = 1;
		else if (c == 'n') n = atoi(optarg);
		else if (c == 'N') name = optarg;
	}
	if (!verbose || n != 5 || !name || strcmp(name, "x") || optind != 5) fails++;

	regex_t re;
	regmatch_t mt[2];
	if (regcomp(&re, "([a-z]+)@example\\.org", REG_EXTENDED)) fails++;
	else if (regexec(&re, "mail bob@example.org now", 2, mt, 0) || mt[1].rm_so != 5 || mt[1].rm_eo != 8) fails++;

	int v[] = { 5, 3, 9, 1 };
	qsort(v, 4, sizeof *v, cmp);
	if (v[0] != 1 || v[3] != 9) fails++;

	struct tm tm = { .tm_year = 124, .tm_mon = 1, .tm_mday = 29 };
	char buf[32];
	strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
	if (strcmp(buf, "2024-02-29")) fails++;
	printf("%s\n", fails ? "FAIL" : "ok");
	return fails;
}
