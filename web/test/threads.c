/* Smoke test for the browser host: pthreads (one worker per thread on the
 * process memory), a mutex (futexes), join, and a signal handler run
 * through __wasmpod_sigtramp. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static int counter;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void *work(void *arg) {
    for (int i = 0; i < 1000; i++) { pthread_mutex_lock(&m); counter++; pthread_mutex_unlock(&m); }
    return arg;
}
static volatile sig_atomic_t got;
static void on_usr1(int s) { got = s; }
int main(void) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, work, (void *)(long)i);
    long sum = 0;
    for (int i = 0; i < 3; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("threads counter=%d sum=%ld signal=%d\n", counter, sum, (int)got);
    return 0;
}
