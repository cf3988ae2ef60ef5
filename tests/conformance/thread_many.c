/* Many threads: 200 created and joined in waves, 32 alive at once, small and large stacks. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>

static void *work(void *arg) {
    volatile char stackuse[8192];
    for (size_t i = 0; i < sizeof stackuse; i += 512) stackuse[i] = (char)i;
    return (void *)((intptr_t)arg + stackuse[512]);
}

static void *deep(void *arg) {
    /* Uses about 512 KiB of stack: needs the larger stack size. */
    volatile char big[512 * 1024];
    big[0] = 1;
    big[sizeof big - 1] = 2;
    return (void *)((intptr_t)arg + big[0] + big[sizeof big - 1]);
}

int main(void) {
    intptr_t total = 0, want = 0;
    for (int wave = 0; wave < 200 / 32 + 1; wave++) {
        pthread_t th[32];
        int n = 0;
        for (; n < 32 && wave * 32 + n < 200; n++) {
            intptr_t id = wave * 32 + n;
            want += id + 0; /* stackuse[512] == 0 (512 & 0xff) */
            CHECK_ZERO(pthread_create(&th[n], NULL, work, (void *)id));
        }
        for (int i = 0; i < n; i++) {
            void *r;
            CHECK_ZERO(pthread_join(th[i], &r));
            total += (intptr_t)r;
        }
    }
    CHECK_EQ(total, want);

    pthread_attr_t at;
    CHECK_ZERO(pthread_attr_init(&at));
    CHECK_ZERO(pthread_attr_setstacksize(&at, 2 * 1024 * 1024));
    size_t sz;
    CHECK_ZERO(pthread_attr_getstacksize(&at, &sz));
    CHECK_EQ(sz, 2 * 1024 * 1024);
    pthread_t t;
    void *r;
    CHECK_ZERO(pthread_create(&t, &at, deep, (void *)10));
    CHECK_ZERO(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 13);
    CHECK_EQ(pthread_attr_setstacksize(&at, 1), EINVAL);
    return check_done();
}
