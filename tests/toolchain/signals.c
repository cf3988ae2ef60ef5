/* sigaction with SA_SIGINFO, kill/raise, sigprocmask, alarm + pause. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t got, code;

static void h(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = sig;
	code = si->si_code;
}

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, 0);
	kill(getpid(), SIGUSR2);
	int ok = got == SIGUSR2 && code == SI_USER;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, 0);
	got = 0;
	raise(SIGUSR2);
	ok = ok && got == 0;
	sigprocmask(SIG_UNBLOCK, &m, 0);
	ok = ok && got == SIGUSR2;
	printf("%s\n", ok ? "ok" : "FAIL");
	return !ok;
}
