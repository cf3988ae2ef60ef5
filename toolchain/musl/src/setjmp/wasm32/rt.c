/* The runtime LLVM's wasm setjmp/longjmp lowering (-mllvm
 * -wasm-enable-sjlj, LLVM 19) calls:
 *   __wasm_setjmp(env, label, func_invocation_id)  at each setjmp
 *   __wasm_setjmp_test(env, func_invocation_id)    -> label, or 0
 *   __wasm_longjmp(env, val)                       throws __c_longjmp
 * The thrown value is the address of {env, val}; the catching function
 * reads both from it. It lives in the jmp_buf, which stays valid because
 * the frame that called setjmp is still live. */
#include <setjmp.h>
#include <stdint.h>

struct wasm_jmp_buf {
	void *func_invocation_id;
	uint32_t label;
	struct { void *env; int val; } arg;
};

_Static_assert(sizeof(struct wasm_jmp_buf) <= sizeof(((jmp_buf){0})->__jb), "jmp_buf too small");
/* vfork's buffers (src/process/wasm32/vfork.c) hold only this much. */
_Static_assert(sizeof(struct wasm_jmp_buf) == 16, "vfork buffers are 16 bytes");

void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id)
{
	struct wasm_jmp_buf *jb = env;
	jb->func_invocation_id = func_invocation_id;
	jb->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id)
{
	struct wasm_jmp_buf *jb = env;
	return jb->func_invocation_id == func_invocation_id ? jb->label : 0;
}

_Noreturn void __wasm_longjmp(void *env, int val)
{
	struct wasm_jmp_buf *jb = env;
	jb->arg.env = env;
	jb->arg.val = val ? val : 1;
	__builtin_wasm_throw(1, &jb->arg);
}

/* longjmp and _longjmp reached through a pointer or from code built
 * without -wasm-enable-sjlj (direct calls are lowered by the compiler). */
_Noreturn void longjmp(jmp_buf env, int val)
{
	__wasm_longjmp(env, val);
}

_Noreturn void _longjmp(jmp_buf env, int val)
{
	__wasm_longjmp(env, val);
}
