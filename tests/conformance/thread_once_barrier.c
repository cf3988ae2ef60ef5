/* pthread_once runs exactly once under contention; barriers release all waiters with one SERIAL_THREAD. */
#include "check.h"
#include <pthread.h>

#define N 8
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_runs;
static pthread_barrier_t bar;
static int phase_counts[3];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void init(void) {
    sched_yield();
    init_runs++;
}

static void *worker(void *arg) {
    (void)arg;
    int serial = 0;
    pthread_once(&once, init);
    if (init_runs != 1) return (void *)-1;
    for (int phase = 0; phase < 3; phase++) {
        pthread_mutex_lock(&mu);
        phase_counts[phase]++;
        pthread_mutex_unlock(&mu);
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial++;
        else if (r != 0) return (void *)-2;
        /* Everyone has finished this phase's increment. */
        pthread_mutex_lock(&mu);
        int c = phase_counts[phase];
        pthread_mutex_unlock(&mu);
        if (c != N) return (void *)-3;
    }
    return (void *)(long)serial;
}

int main(void) {
    CHECK_ZERO(pthread_barrier_init(&bar, NULL, N));
    pthread_t th[N];
    for (int i = 0; i < N; i++) CHECK_ZERO(pthread_create(&th[i], NULL, worker, NULL));
    long serials = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        CHECK_ZERO(pthread_join(th[i], &r));
        CHECK((long)r >= 0);
        serials += (long)r;
    }
    CHECK_EQ(init_runs, 1);
    CHECK_EQ(serials, 3);
    CHECK_ZERO(pthread_barrier_destroy(&bar));
    CHECK_EQ(pthread_barrier_init(&bar, NULL, 0), EINVAL);
    return check_done();
}
