/* rwlocks: many readers at once, writers exclusive, try variants. */
#include "check.h"
#include <pthread.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long value;

static void *tryread(void *a) { (void)a; int r = pthread_rwlock_tryrdlock(&rw); if (!r) pthread_rwlock_unlock(&rw); return (void *)(long)r; }
static void *trywrite(void *a) { (void)a; int r = pthread_rwlock_trywrlock(&rw); if (!r) pthread_rwlock_unlock(&rw); return (void *)(long)r; }

static void *writer(void *a) {
    (void)a;
    for (int i = 0; i < 5000; i++) {
        pthread_rwlock_wrlock(&rw);
        value++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *reader(void *a) {
    (void)a;
    long last = 0;
    for (int i = 0; i < 5000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (value < last) return (void *)1L; /* never goes backwards */
        last = value;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static long run(void *(*f)(void *)) {
    pthread_t t;
    void *r;
    CHECK_ZERO(pthread_create(&t, NULL, f, NULL));
    CHECK_ZERO(pthread_join(t, &r));
    return (long)r;
}

int main(void) {
    CHECK_ZERO(pthread_rwlock_rdlock(&rw));
    CHECK_EQ(run(tryread), 0);
    CHECK_EQ(run(trywrite), EBUSY);
    CHECK_ZERO(pthread_rwlock_unlock(&rw));
    CHECK_ZERO(pthread_rwlock_wrlock(&rw));
    CHECK_EQ(run(tryread), EBUSY);
    CHECK_EQ(run(trywrite), EBUSY);
    CHECK_ZERO(pthread_rwlock_unlock(&rw));
    CHECK_EQ(run(trywrite), 0);

    pthread_t w[2], r[3];
    for (int i = 0; i < 2; i++) CHECK_ZERO(pthread_create(&w[i], NULL, writer, NULL));
    for (int i = 0; i < 3; i++) CHECK_ZERO(pthread_create(&r[i], NULL, reader, NULL));
    for (int i = 0; i < 2; i++) CHECK_ZERO(pthread_join(w[i], NULL));
    for (int i = 0; i < 3; i++) {
        void *res;
        CHECK_ZERO(pthread_join(r[i], &res));
        CHECK(res == NULL);
    }
    CHECK_EQ(value, 10000);
    return check_done();
}
