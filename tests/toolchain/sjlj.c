/* setjmp/longjmp across frames, sigsetjmp/siglongjmp restoring the mask,
 * longjmp out of a signal handler. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf jb;
static sigjmp_buf sjb;
static volatile int depth;

static void deep(int n)
{
	depth = n;
	if (n == 0) longjmp(jb, 42);
	deep(n - 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	siglongjmp(sjb, 1);
}

int main(void)
{
	int fails = 0;
	int r = setjmp(jb);
	if (r == 0) deep(10);
	if (r != 42) fails++;

	sigset_t s, cur;
	signal(SIGUSR1, on_usr1);
	if (sigsetjmp(sjb, 1) == 0) {
		raise(SIGUSR1);
		fails++;  /* not reached */
	} else {
		sigprocmask(SIG_SETMASK, 0, &cur);
		if (sigismember(&cur, SIGUSR1)) fails++;  /* mask restored */
	}
	(void)s;
	printf("%s\n", fails ? "FAIL" : "ok");
	return fails;
}
