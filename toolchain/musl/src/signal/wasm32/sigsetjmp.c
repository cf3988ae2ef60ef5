/* sigsetjmp's half that can be a function (the setjmp itself is the macro
 * in <setjmp.h>): remember whether to restore the mask, and which. */
#include <setjmp.h>
#include <signal.h>
#include "syscall.h"

void __wasmpod_sigsetjmp_save(sigjmp_buf buf, int save)
{
	buf->__fl = save != 0;
	if (save)
		__syscall(SYS_rt_sigprocmask, SIG_SETMASK, 0, buf->__ss, _NSIG/8);
}
