/* MAP_SHARED file mappings are coherent with read()/write() without msync: stores through
 * the mapping are seen by read(), writes through the fd are seen in the mapping, and two
 * shared mappings of the same file see each other. */
#include "check.h"
#include <sys/mman.h>

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    CHECK_OK(ftruncate(fd, 8192));
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    char *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(b != MAP_FAILED);
    CHECK(a != b);

    /* Store through one mapping: the other mapping and read() see it. */
    memcpy(a + 100, "store", 5);
    CHECK_MEM(b + 100, "store", 5);
    char buf[8] = {0};
    CHECK_EQ(pread(fd, buf, 5, 100), 5);
    CHECK_STR(buf, "store");

    /* write() through the fd: both mappings see it. */
    CHECK_EQ(pwrite(fd, "write", 5, 5000), 5);
    CHECK_MEM(a + 5000, "write", 5);
    CHECK_MEM(b + 5000, "write", 5);
    CHECK_OK(munmap(a, 8192));
    CHECK_OK(munmap(b, 8192));
    return check_done();
}
