/* The signal trampoline the host calls on the signal frame's stack
 * (docs/program-abi.md, "Calls and results"): run the handler, then
 * rt_sigreturn with the ucontext so the kernel restores the mask and the
 * alternate-stack state. A handler may leave by longjmp instead. */
#include <signal.h>
#include "syscall.h"

__attribute__((export_name("__wasmpod_sigtramp")))
void __wasmpod_sigtramp(void *handler, int sig, siginfo_t *si, void *uc, int flags)
{
	if (flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))handler)(sig, si, uc);
	else
		((void (*)(int))handler)(sig);
	__syscall(SYS_rt_sigreturn, uc);
}
