/* Signals and threads: pthread_kill targets one thread, per-thread masks, sigwait in a dedicated thread. */
#include "check.h"
#include <pthread.h>
#include <signal.h>

static volatile pthread_t handled_by;
static volatile sig_atomic_t handled;

static void on_usr1(int s) {
    (void)s;
    handled_by = pthread_self();
    handled = 1;
}

static pthread_barrier_t bar;

static void *target(void *arg) {
    (void)arg;
    pthread_barrier_wait(&bar); /* main sends SIGUSR1 now */
    while (!handled) sched_yield();
    pthread_barrier_wait(&bar);
    return NULL;
}

static void *waiter(void *arg) {
    sigset_t *set = arg;
    int sig = 0;
    if (sigwait(set, &sig)) return (void *)-1L;
    return (void *)(long)sig;
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    CHECK_ZERO(pthread_barrier_init(&bar, NULL, 2));
    pthread_t t;
    CHECK_ZERO(pthread_create(&t, NULL, target, NULL));
    pthread_barrier_wait(&bar);
    CHECK_ZERO(pthread_kill(t, SIGUSR1));
    pthread_barrier_wait(&bar);
    CHECK(pthread_equal(handled_by, t));
    CHECK_ZERO(pthread_join(t, NULL));

    /* Block SIGUSR2 everywhere (threads inherit the mask); a sigwait thread takes it. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK_ZERO(pthread_sigmask(SIG_BLOCK, &set, NULL));
    CHECK_ZERO(pthread_create(&t, NULL, waiter, &set));
    CHECK_OK(kill(getpid(), SIGUSR2));
    void *r;
    CHECK_ZERO(pthread_join(t, &r));
    CHECK_EQ((long)r, SIGUSR2);
    CHECK_EQ(pthread_kill(pthread_self(), 12345), EINVAL);
    CHECK_ZERO(pthread_kill(pthread_self(), 0));
    return check_done();
}
