/* For programs whose main takes (argc, argv); see crt/wasm32/crt1.c. */
#include "libc.h"

int __main_argc_argv(int, char **);
extern hidden int __wasmpod_argc;
extern hidden char **__wasmpod_argv;

weak int __main_void(void)
{
	return __main_argc_argv(__wasmpod_argc, __wasmpod_argv);
}
