/* A detached thread frees its own stack and exits. wasm code runs on the
 * engine's value stack plus the shadow stack in memory; from the munmap on,
 * nothing here touches the shadow stack, and wasm memory itself never goes
 * away, so the unmap can't fault under us. */
#include "pthread_impl.h"
#include "syscall.h"

void __unmapself(void *base, size_t size)
{
	__syscall(SYS_munmap, base, size);
	for (;;) __syscall(SYS_exit, 0);
}
