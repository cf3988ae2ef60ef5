/* qsort (many sizes, duplicates, structs, stability not assumed) and bsearch hits and misses. */
#include "check.h"

struct rec { int key; char name[8]; };

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_rec_desc(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    return (y->key > x->key) - (y->key < x->key);
}

int main(void) {
    static int v[5000];
    unsigned seed = 12345;
    for (int n = 0; n <= 5000; n = n ? n * 3 : 1) {
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            v[i] = (int)(seed >> 16) % 100 - 50;
        }
        long sum = 0;
        for (int i = 0; i < n; i++) sum += v[i];
        qsort(v, n, sizeof v[0], cmp_int);
        long sum2 = 0;
        for (int i = 0; i < n; i++) {
            sum2 += v[i];
            if (i) CHECK(v[i - 1] <= v[i]);
        }
        CHECK_EQ(sum, sum2);
    }
    /* Already sorted and reversed inputs. */
    for (int i = 0; i < 1000; i++) v[i] = 1000 - i;
    qsort(v, 1000, sizeof v[0], cmp_int);
    for (int i = 0; i < 1000; i++) CHECK_EQ(v[i], i + 1);

    struct rec r[5] = {{3, "c"}, {1, "a"}, {5, "e"}, {2, "b"}, {4, "d"}};
    qsort(r, 5, sizeof r[0], cmp_rec_desc);
    for (int i = 0; i < 5; i++) CHECK_EQ(r[i].key, 5 - i);
    CHECK_STR(r[0].name, "e");

    int sorted[] = {1, 3, 5, 7, 9, 11};
    for (int k = 0; k <= 12; k++) {
        int *hit = bsearch(&k, sorted, 6, sizeof(int), cmp_int);
        if (k % 2 && k <= 11) {
            CHECK(hit != NULL);
            CHECK_EQ(*hit, k);
        } else {
            CHECK(hit == NULL);
        }
    }
    int key = 1;
    CHECK(bsearch(&key, sorted, 0, sizeof(int), cmp_int) == NULL);
    return check_done();
}
