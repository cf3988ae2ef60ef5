/* __clone for wasmpod threads (docs/program-abi.md, "Threads"): the start
 * function and its argument go in the 16 bytes at the new stack's top
 * (func, arg, 0, 0); the kernel asks the host to start a thread, which
 * calls the exported __wasmpod_thread_start(tls) with __stack_pointer set
 * to that address. Only threads (CLONE_VM|CLONE_THREAD) are supported:
 * a wasm instance can't be duplicated, so a process clone is ENOSYS. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sched.h>
#include "pthread_impl.h"
#include "syscall.h"

int __clone(int (*func)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	pid_t *ptid = 0, *ctid = 0;
	void *tls = 0;

	if (!(flags & CLONE_VM) || !(flags & CLONE_THREAD) || !stack)
		return -ENOSYS;
	va_start(ap, arg);
	ptid = va_arg(ap, pid_t *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, pid_t *);
	va_end(ap);

	uintptr_t sp = ((uintptr_t)stack & -(uintptr_t)16) - 16;
	void **start = (void **)sp;
	start[0] = (void *)func;
	start[1] = arg;
	start[2] = 0;
	start[3] = 0;
	/* asm-generic order: clone(flags, stack, parent_tid, tls, child_tid) */
	return __syscall(SYS_clone, flags, sp, ptid, tls, ctid);
}
