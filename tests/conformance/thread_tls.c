/* Thread-local storage: __thread variables (initialised per thread) and pthread keys with destructors. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>

static __thread int tls_counter = 5;
static __thread char tls_buf[64] = "initial";
static pthread_key_t key;
static int destructed;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void dtor(void *p) {
    pthread_mutex_lock(&mu);
    destructed += (int)(intptr_t)p;
    pthread_mutex_unlock(&mu);
}

static void *worker(void *arg) {
    intptr_t id = (intptr_t)arg;
    if (tls_counter != 5) return (void *)1;
    if (strcmp(tls_buf, "initial")) return (void *)2;
    if (pthread_getspecific(key) != NULL) return (void *)3;
    for (int i = 0; i < 1000; i++) tls_counter++;
    snprintf(tls_buf, sizeof tls_buf, "thread %d", (int)id);
    pthread_setspecific(key, (void *)(id + 1));
    sched_yield();
    if (tls_counter != 1005) return (void *)4;
    char want[64];
    snprintf(want, sizeof want, "thread %d", (int)id);
    if (strcmp(tls_buf, want)) return (void *)5;
    if (pthread_getspecific(key) != (void *)(id + 1)) return (void *)6;
    return &tls_counter; /* each thread's own address */
}

int main(void) {
    CHECK_ZERO(pthread_key_create(&key, dtor));
    tls_counter = 99;
    strcpy(tls_buf, "main");
    CHECK_ZERO(pthread_setspecific(key, (void *)1000));
    pthread_t th[6];
    for (intptr_t i = 0; i < 6; i++) CHECK_ZERO(pthread_create(&th[i], NULL, worker, (void *)i));
    void *addr[6];
    for (int i = 0; i < 6; i++) {
        CHECK_ZERO(pthread_join(th[i], &addr[i]));
        CHECK((uintptr_t)addr[i] > 100);
        CHECK(addr[i] != (void *)&tls_counter);
        for (int j = 0; j < i; j++) CHECK(addr[i] != addr[j]);
    }
    CHECK_EQ(tls_counter, 99);
    CHECK_STR(tls_buf, "main");
    CHECK(pthread_getspecific(key) == (void *)1000);
    /* Destructors ran for each thread's non-NULL value: 1+2+...+6. */
    CHECK_EQ(destructed, 21);
    CHECK_ZERO(pthread_key_delete(key));
    return check_done();
}
