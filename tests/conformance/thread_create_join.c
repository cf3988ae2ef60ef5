/* pthread_create/join: arguments and return values, pthread_self/equal, gettid differs, shared memory. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

static int shared[8];
static pthread_t seen_self[8];
static pid_t tids[8], pids[8];

static void *worker(void *arg) {
    intptr_t i = (intptr_t)arg;
    shared[i] = (int)(i * i);
    seen_self[i] = pthread_self();
    tids[i] = (pid_t)syscall(SYS_gettid);
    pids[i] = getpid();
    return (void *)(i + 100);
}

int main(void) {
    pthread_t th[8];
    for (intptr_t i = 0; i < 8; i++) CHECK_ZERO(pthread_create(&th[i], NULL, worker, (void *)i));
    for (int i = 0; i < 8; i++) {
        void *ret;
        CHECK_ZERO(pthread_join(th[i], &ret));
        CHECK_EQ((intptr_t)ret, i + 100);
        CHECK_EQ(shared[i], i * i);
        CHECK(pthread_equal(seen_self[i], th[i]));
        CHECK_EQ(pids[i], getpid());
        CHECK_NE(tids[i], getpid());
        for (int j = 0; j < i; j++) CHECK_NE(tids[i], tids[j]);
    }
    CHECK(pthread_equal(pthread_self(), pthread_self()));
    CHECK_EQ(syscall(SYS_gettid), getpid());
    return check_done();
}
