#include "pthread_impl.h"
#include "syscall.h"

void __wasm_init_tls(void *);

hidden void __wasmpod_thread_start_c(void *tp, void **start)
{
	pthread_t td = tp;
	int (*func)(void *) = (int (*)(void *))start[0];
	void *arg = start[1];
	__wasm_init_tls((void *)td->dtv[1]);
	__set_thread_area(tp);
	int r = func(arg);
	for (;;) __syscall(SYS_exit, r);
}
