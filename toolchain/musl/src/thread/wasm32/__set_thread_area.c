/* The thread pointer is a thread-local (see arch/wasm32/pthread_arch.h). */
#include "pthread_impl.h"

hidden __thread uintptr_t __wasmpod_tp;

int __set_thread_area(void *p)
{
	__wasmpod_tp = (uintptr_t)p;
	return 0;
}
