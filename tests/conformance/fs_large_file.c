/* A 4 MiB file written in odd-sized chunks and read back in others; sizes and contents match. */
#include "check.h"

static unsigned char pattern(size_t i) { return (unsigned char)((i * 2654435761u) >> 13); }

int main(void) {
    enter_tmpdir();
    const size_t total = 4u << 20;
    int fd = CHECK_OK(open("big", O_RDWR | O_CREAT | O_TRUNC, 0644));
    static unsigned char buf[70001];
    size_t off = 0;
    while (off < total) {
        size_t n = sizeof buf - 7;
        if (n > total - off) n = total - off;
        for (size_t i = 0; i < n; i++) buf[i] = pattern(off + i);
        ssize_t w = write(fd, buf, n);
        CHECK(w > 0);
        off += (size_t)w;
    }
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, total);
    CHECK(st.st_blocks > 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    off = 0;
    for (;;) {
        ssize_t n = read(fd, buf, 4093);
        CHECK(n >= 0);
        if (n == 0) break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern(off + i)) FAIL("mismatch at %zu", off + i);
        off += n;
    }
    CHECK_EQ(off, total);
    /* Overwrite a range in the middle, check the boundaries. */
    memset(buf, 0xEE, 10000);
    CHECK_EQ(pwrite(fd, buf, 10000, 1000000), 10000);
    unsigned char edge[4];
    CHECK_EQ(pread(fd, edge, 4, 999998), 4);
    CHECK_EQ(edge[0], pattern(999998));
    CHECK_EQ(edge[1], pattern(999999));
    CHECK_EQ(edge[2], 0xEE);
    CHECK_EQ(pread(fd, edge, 2, 1009999), 2);
    CHECK_EQ(edge[0], 0xEE);
    CHECK_EQ(edge[1], pattern(1010000));
    CHECK_OK(ftruncate(fd, 0));
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0);
    return check_done();
}
