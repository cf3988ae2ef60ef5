/* Condition variables: producer/consumer queue, broadcast wakes all, timedwait times out. */
#include "check.h"
#include <pthread.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int queue[16], head, tail, produced_all;
static long consumed_sum;
static int go, woken;

static void *consumer(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (head == tail && !produced_all) pthread_cond_wait(&cv, &mu);
        if (head == tail && produced_all) break;
        consumed_sum += queue[head % 16];
        head++;
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!go) pthread_cond_wait(&cv, &mu);
    woken++;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void) {
    pthread_t c[3];
    for (int i = 0; i < 3; i++) CHECK_ZERO(pthread_create(&c[i], NULL, consumer, NULL));
    long want = 0;
    for (int v = 1; v <= 1000; v++) {
        pthread_mutex_lock(&mu);
        while (tail - head == 16) pthread_cond_wait(&cv, &mu);
        queue[tail % 16] = v;
        tail++;
        want += v;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    produced_all = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 3; i++) CHECK_ZERO(pthread_join(c[i], NULL));
    CHECK_EQ(consumed_sum, want);

    pthread_t w[5];
    for (int i = 0; i < 5; i++) CHECK_ZERO(pthread_create(&w[i], NULL, waiter, NULL));
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 5; i++) CHECK_ZERO(pthread_join(w[i], NULL));
    CHECK_EQ(woken, 5);

    /* Timed wait with nobody signalling: ETIMEDOUT, not before the deadline. */
    struct timespec start, deadline, end;
    clock_gettime(CLOCK_REALTIME, &start);
    deadline = start;
    deadline.tv_nsec += 30 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&mu);
    int r;
    do r = pthread_cond_timedwait(&cv, &mu, &deadline);
    while (r == 0);
    pthread_mutex_unlock(&mu);
    CHECK_EQ(r, ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &end);
    CHECK(end.tv_sec > deadline.tv_sec || (end.tv_sec == deadline.tv_sec && end.tv_nsec >= deadline.tv_nsec));

    /* A condvar on CLOCK_MONOTONIC, deadline already past. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    CHECK_ZERO(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    pthread_cond_t mcv;
    CHECK_ZERO(pthread_cond_init(&mcv, &ca));
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    pthread_mutex_lock(&mu);
    CHECK_EQ(pthread_cond_timedwait(&mcv, &mu, &deadline), ETIMEDOUT);
    pthread_mutex_unlock(&mu);
    return check_done();
}
