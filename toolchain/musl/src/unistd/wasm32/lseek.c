/* lseek on wasmpod: (fd, off_lo, off_hi, whence, &result) returns 0 and
 * writes the new 64-bit offset, as _llseek does elsewhere. */
#include <unistd.h>
#include "syscall.h"

off_t __lseek(int fd, off_t offset, int whence)
{
	off_t result;
	long r = __syscall(SYS_lseek, fd, __SYSCALL_LL_E(offset), whence, &result);
	return r ? __syscall_ret(r) : result;
}

weak_alias(__lseek, lseek);
weak_alias(__lseek, lseek64);
