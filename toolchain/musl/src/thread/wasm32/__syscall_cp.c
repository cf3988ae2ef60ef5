/* The out-of-line cancellation point, for callers that pass a number
 * unknown at compile time (the inline form is in src/internal/syscall.h). */
#include "pthread_impl.h"
#include "syscall.h"

long (__syscall_cp)(syscall_arg_t nr,
                    syscall_arg_t u, syscall_arg_t v, syscall_arg_t w,
                    syscall_arg_t x, syscall_arg_t y, syscall_arg_t z)
{
	return __wasmpod_syscall_cp(nr, u, v, w, x, y, z);
}
