/* wasm has no thread-pointer register. Every wasm thread is its own
 * instance with its own __tls_base, so the thread pointer is a TLS
 * variable (set by __set_thread_area, src/thread/wasm32). The thread's
 * static TLS block (what __tls_base points at) is separate and lives
 * below the struct pthread (dtv[1], see src/env/wasm32/__init_tls.c). */
extern __thread uintptr_t __wasmpod_tp;

static inline uintptr_t __get_tp(void)
{
	return __wasmpod_tp;
}

#define MC_PC __reserved
