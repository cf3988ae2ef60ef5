/* wasmpod's program entry (docs/program-abi.md, "Starting a program").
 * The host calls the exported _start with nothing on the stack; the
 * kernel's startup call writes argc, argv, envp and auxv (Linux's
 * initial-stack layout with 4-byte words) at __heap_base and returns the
 * block's address, which is what _start_c reads on every other arch. */
#include <features.h>
#include "libc.h"

/* clang names main by its signature on wasm: main(void) becomes
 * __main_void and main(int, char **) becomes __main_argc_argv (calling a
 * function through the wrong type would trap). crt1 calls __main_void;
 * when the program has none, libc's (src/env/wasm32/__main_void.c) calls
 * __main_argc_argv. A three-argument main is not supported: use environ. */
int __main_void(void);
hidden int __wasmpod_argc;
hidden char **__wasmpod_argv;

static int start_main(int argc, char **argv, char **envp)
{
	(void)envp;
	__wasmpod_argc = argc;
	__wasmpod_argv = argv;
	return __main_void();
}

weak void _init();
weak void _fini();
int __libc_start_main(int (*)(), int, char **,
	void (*)(), void(*)(), void(*)());

extern unsigned char __heap_base;

__attribute__((import_module("env"), import_name("__syscall_wasmpod_startup")))
long __wasmpod_startup_import(long, long, long, long, long, long);

__attribute__((export_name("_start")))
void _start(void)
{
	long *p = (long *)__wasmpod_startup_import((long)&__heap_base, 0, 0, 0, 0, 0);
	int argc = p[0];
	char **argv = (void *)(p+1);
	__libc_start_main((int (*)())start_main, argc, argv, _init, _fini, 0);
}
