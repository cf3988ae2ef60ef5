/* File mmap: MAP_SHARED writes reach the file (msync, munmap), MAP_PRIVATE
 * copy-on-write stays private, offsets, mapping past EOF reads zeros within the last page. */
#include "check.h"
#include <sys/mman.h>

int main(void) {
    enter_tmpdir();
    int fd = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    char page[4096 * 3];
    for (size_t i = 0; i < sizeof page; i++) page[i] = 'a' + (char)(i / 4096);
    CHECK_EQ(write(fd, page, sizeof page), (long)sizeof page);

    char *s = mmap(NULL, sizeof page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED);
    CHECK_EQ(s[0], 'a');
    CHECK_EQ(s[4096], 'b');
    CHECK_EQ(s[8191 + 1], 'c');
    memcpy(s + 10, "SHARED", 6);
    CHECK_OK(msync(s, sizeof page, MS_SYNC));
    char buf[16] = {0};
    CHECK_EQ(pread(fd, buf, 6, 10), 6);
    CHECK_STR(buf, "SHARED");

    /* Private mapping at an offset: changes stay private. */
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
    CHECK(p != MAP_FAILED);
    CHECK_EQ(p[0], 'b');
    p[0] = 'Z';
    CHECK_EQ(s[4096], 'b');
    CHECK_EQ(pread(fd, buf, 1, 4096), 1);
    CHECK_EQ(buf[0], 'b');
    CHECK_OK(munmap(p, 4096));

    /* Changes made through the shared mapping persist after munmap and close. */
    s[8192] = 'Q';
    CHECK_OK(munmap(s, sizeof page));
    close(fd);
    fd = CHECK_OK(open("f", O_RDONLY));
    CHECK_EQ(pread(fd, buf, 1, 8192), 1);
    CHECK_EQ(buf[0], 'Q');

    /* A short file: the rest of the last page reads as zeros. */
    write_file("short", "xyz");
    int sfd = CHECK_OK(open("short", O_RDONLY));
    char *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, sfd, 0);
    CHECK(q != MAP_FAILED);
    CHECK_MEM(q, "xyz", 3);
    for (int i = 3; i < 4096; i++) CHECK_EQ(q[i], 0);
    CHECK_OK(munmap(q, 4096));

    /* Errors: unaligned offset, write-shared on a read-only fd, a pipe. */
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 100) == MAP_FAILED);
    CHECK_EQ(errno, EINVAL);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
    CHECK_EQ(errno, EACCES);
    int pp[2];
    CHECK_OK(pipe(pp));
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, pp[0], 0) == MAP_FAILED);
    CHECK_EQ(errno, ENODEV);
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED);
    CHECK_EQ(errno, EBADF);
    return check_done();
}
