/* printf/scanf of floats and integers, string formatting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

int main(void)
{
	char buf[128];
	int fails = 0;
	snprintf(buf, sizeof buf, "%.3f %g %e %Lf %lld %zu", 3.14159, 1e-5, 12345.678, (long double)2.5, -9000000000LL, sizeof(long));
	if (strcmp(buf, "3.142 1e-05 1.234568e+04 2.500000 -9000000000 4") != 0) { printf("bad: %s\n", buf); fails++; }
	double d = strtod("6.02214076e23", 0);
	if (fabs(d / 6.02214076e23 - 1) > 1e-15) { printf("strtod\n"); fails++; }
	if (sqrt(2.0) * sqrt(2.0) - 2.0 > 1e-15) fails++;
	printf("%s\n", fails ? "FAIL" : "ok");
	return fails != 0;
}
