/* TLS on wasm32. The compiler addresses thread-locals from the global
 * __tls_base (one per instance, so one per thread); the linker's
 * __wasm_init_tls(block) copies the TLS image into a block and points
 * __tls_base at it. The main thread uses the image in the data segment
 * as its block; a new thread gets a block below its struct pthread,
 * recorded in dtv[1], and initialises it itself in
 * __wasmpod_thread_start (src/thread/wasm32/thread_start.c).
 *
 * Layout of libc.tls_size bytes at `mem` (what pthread_create carves
 * out of the thread's mapping):
 *   mem:                 dtv[0] = 1, dtv[1] = block
 *   block (aligned):     the TLS image's copy, __builtin_wasm_tls_size()
 *   td (aligned, at end): struct pthread */
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include "pthread_impl.h"
#include "libc.h"
#include "atomic.h"
#include "syscall.h"

volatile int __thread_list_lock;

int __init_tp(void *p)
{
	pthread_t td = p;
	td->self = td;
	int r = __set_thread_area(TP_ADJ(p));
	if (r < 0) return -1;
	if (!r) libc.can_do_threads = 1;
	td->detach_state = DT_JOINABLE;
	td->tid = __syscall(SYS_set_tid_address, &__thread_list_lock);
	td->locale = &libc.global_locale;
	td->robust_list.head = &td->robust_list.head;
	td->sysinfo = __sysinfo;
	td->next = td->prev = td;
	return 0;
}

static struct pthread main_thread;
static uintptr_t main_dtv[2];
static struct tls_module main_tls;

void *__copy_tls(unsigned char *mem)
{
	uintptr_t *dtv = (uintptr_t *)mem;
	uintptr_t end = (uintptr_t)mem + libc.tls_size;
	pthread_t td = (pthread_t)((end - sizeof(struct pthread)) & -(uintptr_t)libc.tls_align);
	uintptr_t block = ((uintptr_t)td - main_tls.size) & -(uintptr_t)main_tls.align;
	dtv[0] = 1;
	dtv[1] = block;
	td->dtv = dtv;
	return td;
}

static void static_init_tls(size_t *aux)
{
	(void)aux;
	main_tls.size = __builtin_wasm_tls_size();
	main_tls.align = __builtin_wasm_tls_align();
	if (main_tls.align < _Alignof(struct pthread)) main_tls.align = _Alignof(struct pthread);
	main_tls.len = 0;
	main_tls.image = 0;
	main_tls.offset = main_tls.size;
	libc.tls_cnt = 1;
	libc.tls_head = &main_tls;
	libc.tls_align = main_tls.align;
	libc.tls_size = 2*sizeof(uintptr_t) + main_tls.size + sizeof(struct pthread)
		+ 2*main_tls.align + 15 & -16;

	main_dtv[0] = 1;
	main_dtv[1] = (uintptr_t)__builtin_wasm_tls_base();
	main_thread.dtv = main_dtv;
	if (__init_tp(&main_thread) < 0)
		a_crash();
}

weak_alias(static_init_tls, __init_tls);
