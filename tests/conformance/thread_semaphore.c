/* POSIX semaphores: post/wait across threads, trywait EAGAIN, sem_timedwait timeout, getvalue. */
#include "check.h"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

static sem_t items, done;

static void *poster(void *arg) {
    (void)arg;
    for (int i = 0; i < 100; i++) sem_post(&items);
    sem_post(&done);
    return NULL;
}

int main(void) {
    CHECK_OK(sem_init(&items, 0, 0));
    CHECK_OK(sem_init(&done, 0, 0));
    CHECK_ERRNO(sem_trywait(&items), EAGAIN);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK_ZERO(pthread_create(&t[i], NULL, poster, NULL));
    for (int i = 0; i < 200; i++) CHECK_OK(sem_wait(&items));
    CHECK_OK(sem_wait(&done));
    CHECK_OK(sem_wait(&done));
    for (int i = 0; i < 2; i++) CHECK_ZERO(pthread_join(t[i], NULL));
    int v = -1;
    CHECK_OK(sem_getvalue(&items, &v));
    CHECK_EQ(v, 0);
    CHECK_ERRNO(sem_trywait(&items), EAGAIN);

    /* Timed wait: nothing posted, ETIMEDOUT after the deadline. */
    struct timespec dl, now;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 20 * 1000 * 1000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    CHECK_ERRNO(sem_timedwait(&items, &dl), ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK(now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
    /* A bad deadline is EINVAL when it would block. */
    struct timespec bad = {0, 2000000000};
    CHECK_ERRNO(sem_timedwait(&items, &bad), EINVAL);
    /* Available: timedwait succeeds without looking at the clock. */
    CHECK_OK(sem_post(&items));
    CHECK_OK(sem_timedwait(&items, &dl));
    CHECK_OK(sem_destroy(&items));
    return check_done();
}
