/* Mutexes: a contended counter, trylock EBUSY, error-checking and recursive types. */
#include "check.h"
#include <pthread.h>

#define THREADS 4
#define ITERS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *bump(void *arg) {
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        long v = counter;
        if ((i & 255) == 0) sched_yield();
        counter = v + 1;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *try_other(void *arg) {
    int r = pthread_mutex_trylock((pthread_mutex_t *)arg);
    if (r == 0) pthread_mutex_unlock((pthread_mutex_t *)arg);
    return (void *)(long)r;
}

int main(void) {
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) CHECK_ZERO(pthread_create(&th[i], NULL, bump, NULL));
    for (int i = 0; i < THREADS; i++) CHECK_ZERO(pthread_join(th[i], NULL));
    CHECK_EQ(counter, THREADS * ITERS);

    CHECK_ZERO(pthread_mutex_lock(&mu));
    pthread_t t;
    void *r;
    CHECK_ZERO(pthread_create(&t, NULL, try_other, &mu));
    CHECK_ZERO(pthread_join(t, &r));
    CHECK_EQ((long)r, EBUSY);
    CHECK_ZERO(pthread_mutex_unlock(&mu));

    pthread_mutexattr_t a;
    CHECK_ZERO(pthread_mutexattr_init(&a));
    CHECK_ZERO(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    pthread_mutex_t ec;
    CHECK_ZERO(pthread_mutex_init(&ec, &a));
    CHECK_EQ(pthread_mutex_unlock(&ec), EPERM);
    CHECK_ZERO(pthread_mutex_lock(&ec));
    CHECK_EQ(pthread_mutex_lock(&ec), EDEADLK);
    CHECK_ZERO(pthread_mutex_unlock(&ec));
    CHECK_ZERO(pthread_mutex_destroy(&ec));

    CHECK_ZERO(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
    pthread_mutex_t rec;
    CHECK_ZERO(pthread_mutex_init(&rec, &a));
    CHECK_ZERO(pthread_mutex_lock(&rec));
    CHECK_ZERO(pthread_mutex_lock(&rec));
    CHECK_ZERO(pthread_mutex_trylock(&rec));
    /* Held three times: another thread cannot take it until all three unlocks. */
    CHECK_ZERO(pthread_create(&t, NULL, try_other, &rec));
    CHECK_ZERO(pthread_join(t, &r));
    CHECK_EQ((long)r, EBUSY);
    CHECK_ZERO(pthread_mutex_unlock(&rec));
    CHECK_ZERO(pthread_mutex_unlock(&rec));
    CHECK_ZERO(pthread_create(&t, NULL, try_other, &rec));
    CHECK_ZERO(pthread_join(t, &r));
    CHECK_EQ((long)r, EBUSY);
    CHECK_ZERO(pthread_mutex_unlock(&rec));
    CHECK_EQ(pthread_mutex_unlock(&rec), EPERM);
    CHECK_ZERO(pthread_create(&t, NULL, try_other, &rec));
    CHECK_ZERO(pthread_join(t, &r));
    CHECK_EQ((long)r, 0);
    CHECK_ZERO(pthread_mutex_destroy(&rec));
    pthread_mutexattr_destroy(&a);
    return check_done();
}
