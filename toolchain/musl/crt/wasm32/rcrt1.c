/* No position-independent executables on wasmpod: same as crt1. */
#include "crt1.c"
