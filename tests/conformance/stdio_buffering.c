/* stdio buffering to a pipe: full buffering holds data until fflush, line buffering flushes
 * at '\n', unbuffered writes at once; setvbuf; stderr is unbuffered. Checked from a child's output. */
#include "check.h"
#include <sys/wait.h>

/* Non-blocking peek at what has reached the pipe so far. */
static size_t avail(int fd, char *buf, size_t cap) {
    ssize_t n = read(fd, buf, cap - 1);
    if (n < 0) {
        CHECK_EQ(errno, EAGAIN);
        n = 0;
    }
    buf[n] = 0;
    return (size_t)n;
}

int main(void) {
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    FILE *f = fdopen(p[1], "w");
    CHECK(f != NULL);
    char buf[256];

    /* Full buffering (the default for a pipe). */
    static char fullbuf[1024];
    CHECK_ZERO(setvbuf(f, fullbuf, _IOFBF, sizeof fullbuf));
    fprintf(f, "one\ntwo\n");
    CHECK_EQ(avail(p[0], buf, sizeof buf), 0);
    CHECK_ZERO(fflush(f));
    CHECK_EQ(avail(p[0], buf, sizeof buf), 8);
    CHECK_STR(buf, "one\ntwo\n");
    /* Filling the buffer forces a write. */
    for (int i = 0; i < 300; i++) fputs("abcd", f);
    CHECK(avail(p[0], buf, sizeof buf) > 0);
    CHECK_ZERO(fflush(f));
    while (avail(p[0], buf, sizeof buf) > 0) {}

    /* Line buffering. */
    CHECK_ZERO(setvbuf(f, NULL, _IOLBF, 0));
    fputs("partial", f);
    CHECK_EQ(avail(p[0], buf, sizeof buf), 0);
    fputs(" line\nnext", f);
    CHECK_EQ(avail(p[0], buf, sizeof buf), 13);
    CHECK_STR(buf, "partial line\n");
    CHECK_ZERO(fflush(f));
    CHECK_EQ(avail(p[0], buf, sizeof buf), 4);

    /* Unbuffered. */
    CHECK_ZERO(setvbuf(f, NULL, _IONBF, 0));
    fputc('x', f);
    CHECK_EQ(avail(p[0], buf, sizeof buf), 1);
    fprintf(f, "%d", 12345);
    CHECK_EQ(avail(p[0], buf, sizeof buf), 5);
    CHECK_STR(buf, "12345");

    /* fclose flushes and closes the fd: EOF for the reader. */
    CHECK_ZERO(setvbuf(f, NULL, _IOFBF, 4096));
    fputs("tail", f);
    CHECK_ZERO(fclose(f));
    CHECK_OK(fcntl(p[0], F_SETFL, 0));
    CHECK_EQ(read(p[0], buf, sizeof buf), 4);
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);

    /* Writing to a read-only stream fails with an error indicator. */
    enter_tmpdir();
    write_file("r", "data");
    FILE *r = fopen("r", "r");
    CHECK(r != NULL);
    CHECK_EQ(fputc('x', r), EOF);
    CHECK(ferror(r));
    clearerr(r);
    CHECK(!ferror(r));
    fclose(r);
    return check_done();
}
