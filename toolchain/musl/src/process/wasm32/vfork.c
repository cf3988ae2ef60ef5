/* vfork on wasmpod (docs/program-abi.md, "vfork and posix_spawn").
 * <unistd.h>'s vfork() macro takes setjmp(__wasmpod_vfork_buf()) in the
 * caller's frame and passes the result to __wasmpod_vfork_enter. The first
 * return (0) makes the SYS_vfork call: from then on this thread runs the
 * child. The child's execve or _exit returns the child's pid (> 0) from
 * the kernel, and __wasmpod_vfork_return longjmps to the buffer with it,
 * so setjmp returns the pid and vfork() returns it in the parent. Nested
 * vforks (a child that vforks) use the next buffer. */
#define _GNU_SOURCE
#include <unistd.h>
#include <setjmp.h>
#include <errno.h>
#include "syscall.h"

#define VFORK_MAX_DEPTH 16

/* The wasm setjmp runtime (src/setjmp/wasm32/rt.c) uses only the first 16
 * bytes of a jmp_buf, and vfork never saves a signal mask, so each buffer
 * is that prefix: every thread's TLS block carries 256 bytes, not 16 full
 * jmp_bufs. */
typedef struct { unsigned long w[4]; } vfork_buf;
static __thread vfork_buf vfork_bufs[VFORK_MAX_DEPTH];
static __thread int vfork_depth;

struct __jmp_buf_tag *__wasmpod_vfork_buf(void)
{
	int d = vfork_depth < VFORK_MAX_DEPTH ? vfork_depth : VFORK_MAX_DEPTH-1;
	return (struct __jmp_buf_tag *)&vfork_bufs[d];
}

pid_t __wasmpod_vfork_enter(int r)
{
	if (r) return r;
	if (vfork_depth >= VFORK_MAX_DEPTH) {
		errno = EAGAIN;
		return -1;
	}
	long ret = __syscall(SYS_vfork);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	vfork_depth++;
	return 0;
}

/* Called by execve and _exit with the kernel's result: a pid means the
 * vfork child is done and this thread is the parent again. */
hidden void __wasmpod_vfork_return(long r)
{
	if (r > 0 && vfork_depth > 0) {
		vfork_depth--;
		longjmp((struct __jmp_buf_tag *)&vfork_bufs[vfork_depth], r);
	}
}

/* The function itself can't work (the setjmp would be in its own frame). */
pid_t (vfork)(void)
{
	errno = ENOSYS;
	return -1;
}
