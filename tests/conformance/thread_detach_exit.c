/* Detached threads, pthread_exit with a value, a thread calling exit() ends the process,
 * and the main thread's pthread_exit keeps other threads running. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>

static volatile int done_count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *detached(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    done_count++;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *exits_early(void *arg) {
    pthread_exit((void *)((intptr_t)arg * 2));
    return NULL;
}

static void *late_writer(void *arg) {
    (void)arg;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    write(1, "late\n", 5);
    exit(7); /* the process exits with 7 even though main is gone */
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        pthread_t t;
        pthread_create(&t, NULL, late_writer, NULL);
        pthread_exit(NULL);
    }
    pthread_attr_t at;
    CHECK_ZERO(pthread_attr_init(&at));
    CHECK_ZERO(pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED));
    int st;
    CHECK_ZERO(pthread_attr_getdetachstate(&at, &st));
    CHECK_EQ(st, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 10; i++) {
        pthread_t t;
        CHECK_ZERO(pthread_create(&t, &at, detached, NULL));
    }
    pthread_t t;
    CHECK_ZERO(pthread_create(&t, NULL, detached, NULL));
    CHECK_ZERO(pthread_detach(t));
    for (;;) {
        pthread_mutex_lock(&mu);
        int n = done_count;
        pthread_mutex_unlock(&mu);
        if (n == 11) break;
        sched_yield();
    }
    void *ret;
    CHECK_ZERO(pthread_create(&t, NULL, exits_early, (void *)21));
    CHECK_ZERO(pthread_join(t, &ret));
    CHECK_EQ((intptr_t)ret, 42);

    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(p[1], 1);
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[16] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf), 5);
    CHECK_STR(buf, "late\n");
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 7);
    return check_done();
}
