/* The kernel writes musl's struct rusage as is (64-bit timevals); no
 * 32-bit conversion. */
#include <sys/resource.h>
#include "syscall.h"

int getrusage(int who, struct rusage *ru)
{
	return syscall(SYS_getrusage, who, ru);
}
