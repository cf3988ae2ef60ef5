/* The kernel's itimerval is the 64-bit one; no conversion. */
#include <sys/time.h>
#include "syscall.h"

int getitimer(int which, struct itimerval *old)
{
	return syscall(SYS_getitimer, which, old);
}
