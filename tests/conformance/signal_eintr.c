/* A handler interrupting a blocking pipe read: EINTR without SA_RESTART,
 * transparent restart with it. A 10 ms interval timer provides the signals. */
#include "check.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static int pipefd[2];
static volatile sig_atomic_t ticks;

static void on_alarm(int s) {
    (void)s;
    ticks++;
    /* With SA_RESTART the read only ends once data arrives: send it after a few ticks. */
    if (ticks == 5) write(pipefd[1], "!", 1);
}

static void arm(long usec) {
    struct itimerval it = {{0, usec}, {0, usec}};
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
}

int main(void) {
    CHECK_OK(pipe(pipefd));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);

    /* Without SA_RESTART. */
    sa.sa_flags = 0;
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    char c;
    arm(10000);
    CHECK_ERRNO(read(pipefd[0], &c, 1), EINTR);
    arm(0);
    CHECK(ticks >= 1);
    /* If the read saw EINTR before tick 5, the byte may still come: drain it. */
    CHECK_OK(fcntl(pipefd[0], F_SETFL, O_NONBLOCK));
    while (read(pipefd[0], &c, 1) == 1) {}
    CHECK_OK(fcntl(pipefd[0], F_SETFL, 0));

    /* With SA_RESTART: the read sleeps through the ticks and returns the byte. */
    ticks = 0;
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    arm(10000);
    CHECK_EQ(read(pipefd[0], &c, 1), 1);
    arm(0);
    CHECK_EQ(c, '!');
    CHECK(ticks >= 5);

    /* nanosleep is never restarted: EINTR with the remaining time. */
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    struct itimerval once = {{0, 0}, {0, 20000}};
    CHECK_OK(setitimer(ITIMER_REAL, &once, NULL));
    struct timespec req = {5, 0}, rem = {0, 0};
    CHECK_ERRNO(nanosleep(&req, &rem), EINTR);
    CHECK(rem.tv_sec > 0 && rem.tv_sec <= 5);
    return check_done();
}
