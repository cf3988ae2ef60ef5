#include <unistd.h>
#include "syscall.h"

hidden void __wasmpod_vfork_return(long);

int execve(const char *path, char *const argv[], char *const envp[])
{
	long r = __syscall(SYS_execve, path, argv, envp);
	__wasmpod_vfork_return(r);
	return __syscall_ret(r);
}
