/* Anonymous mmap: zero-filled, writable, munmap, mprotect, MAP_FIXED, large mappings, errors. */
#include "check.h"
#include <stdint.h>
#include <sys/mman.h>

int main(void) {
    size_t len = 1 << 20;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK_EQ((uintptr_t)p % 4096, 0);
    for (size_t i = 0; i < len; i += 4096) CHECK_EQ(p[i], 0);
    for (size_t i = 0; i < len; i++) p[i] = (unsigned char)i;
    for (size_t i = 0; i < len; i += 997) CHECK_EQ(p[i], (unsigned char)i);
    CHECK_OK(munmap(p, len));

    /* Several mappings do not overlap. */
    unsigned char *m[8];
    for (int i = 0; i < 8; i++) {
        m[i] = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(m[i] != MAP_FAILED);
        memset(m[i], i + 1, 65536);
    }
    for (int i = 0; i < 8; i++)
        for (size_t k = 0; k < 65536; k += 4096) CHECK_EQ(m[i][k], i + 1);
    /* Remapping at a fixed address replaces the contents with zeros. */
    unsigned char *f = mmap(m[3], 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == m[3]);
    CHECK_EQ(f[0], 0);
    CHECK_EQ(m[3][4096], 4);
    CHECK_OK(mprotect(m[4], 4096, PROT_READ));
    CHECK_OK(mprotect(m[4], 4096, PROT_READ | PROT_WRITE));
    m[4][0] = 9;
    CHECK_EQ(m[4][0], 9);
    for (int i = 0; i < 8; i++) CHECK_OK(munmap(m[i], 65536));

    /* A 64 MiB mapping, touched sparsely. */
    size_t big = 64u << 20;
    unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(b != MAP_FAILED);
    b[0] = 1;
    b[big - 1] = 2;
    CHECK_EQ(b[big / 2], 0);
    CHECK_OK(munmap(b, big));

    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED); /* neither private nor shared */
    CHECK_EQ(errno, EINVAL);
    CHECK_ERRNO(munmap((void *)(uintptr_t)4097, 4096), EINVAL);
    return check_done();
}
