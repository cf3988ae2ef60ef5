/* SA_SIGINFO: si_signo, si_code SI_USER/SI_QUEUE/SI_TKILL, si_pid, si_uid, sigqueue values. */
#include "check.h"
#include <signal.h>

static volatile sig_atomic_t got_signo, got_code, got_pid, got_uid, got_val, calls;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    calls++;
    got_signo = si->si_signo == sig ? sig : -1;
    got_code = si->si_code;
    got_pid = si->si_pid;
    got_uid = si->si_uid;
    got_val = si->si_value.sival_int;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(sigaction(SIGRTMIN + 1, &sa, NULL));

    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_EQ(calls, 1);
    CHECK_EQ(got_signo, SIGUSR1);
    CHECK_EQ(got_code, SI_USER);
    CHECK_EQ(got_pid, getpid());
    CHECK_EQ(got_uid, getuid());

    union sigval v;
    v.sival_int = 12345;
    CHECK_OK(sigqueue(getpid(), SIGUSR1, v));
    CHECK_EQ(calls, 2);
    CHECK_EQ(got_code, SI_QUEUE);
    CHECK_EQ(got_val, 12345);

    /* raise() in a single-threaded process is tgkill: SI_TKILL. */
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(calls, 3);
    CHECK_EQ(got_code, SI_TKILL);

    /* Realtime signals queue: three sent while blocked arrive three times, in order. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
    for (int i = 0; i < 3; i++) {
        v.sival_int = 100 + i;
        CHECK_OK(sigqueue(getpid(), SIGRTMIN + 1, v));
    }
    CHECK_EQ(calls, 3);
    /* sigwaitinfo takes them one at a time, in order. */
    siginfo_t si;
    CHECK_EQ(sigwaitinfo(&set, &si), SIGRTMIN + 1);
    CHECK_EQ(si.si_value.sival_int, 100);
    CHECK_EQ(si.si_code, SI_QUEUE);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK_EQ(calls, 5);
    CHECK_EQ(got_val, 102);
    return check_done();
}
