/* A wasm instance can't be duplicated, so there is no fork on wasmpod
 * (yet): use posix_spawn, or vfork + exec. */
#include <unistd.h>
#include <errno.h>
#include "syscall.h"

pid_t _Fork(void)
{
	errno = ENOSYS;
	return -1;
}
