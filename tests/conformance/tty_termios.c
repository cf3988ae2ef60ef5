/* termios through posix_openpt: erase/kill editing, ICRNL, echo off, VEOF, raw mode with VMIN. */
#include "check.h"
#include <termios.h>

static int open_pair(int *slave) {
    int m = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY));
    CHECK_OK(grantpt(m));
    CHECK_OK(unlockpt(m));
    char *name = ptsname(m);
    CHECK(name != NULL);
    *slave = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    return m;
}

static void drain(int m) {
    char junk[256];
    int fl = fcntl(m, F_GETFL);
    fcntl(m, F_SETFL, fl | O_NONBLOCK);
    while (read(m, junk, sizeof junk) > 0) {}
    fcntl(m, F_SETFL, fl);
}

int main(void) {
    int s;
    int m = open_pair(&s);
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    char buf[64];

    /* Echo off: nothing comes back on the master. */
    t.c_lflag &= ~ECHO;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    struct termios back;
    CHECK_OK(tcgetattr(s, &back));
    CHECK(!(back.c_lflag & ECHO));
    /* Erase (VERASE) and kill (VKILL) editing; \r becomes \n (ICRNL). */
    char in[] = {'a', 'b', 'x', (char)t.c_cc[VERASE], 'c', '\r'};
    CHECK_EQ(write(m, in, sizeof in), (long)sizeof in);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(s, buf, sizeof buf), 4);
    CHECK_STR(buf, "abc\n");
    char in2[] = {'j', 'u', 'n', 'k', (char)t.c_cc[VKILL], 'o', 'k', '\n'};
    CHECK_EQ(write(m, in2, sizeof in2), (long)sizeof in2);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(s, buf, sizeof buf), 3);
    CHECK_STR(buf, "ok\n");
    /* VEOF ends a line without a newline; at line start it reads as 0 (EOF). */
    char in3[] = {'h', 'i', (char)t.c_cc[VEOF], (char)t.c_cc[VEOF]};
    CHECK_EQ(write(m, in3, sizeof in3), 4);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(s, buf, sizeof buf), 2);
    CHECK_STR(buf, "hi");
    CHECK_EQ(read(s, buf, sizeof buf), 0);
    drain(m);

    /* Raw mode: bytes pass untouched and reads return as soon as VMIN bytes are there. */
    struct termios raw = t;
    cfmakeraw(&raw);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    CHECK_OK(tcsetattr(s, TCSAFLUSH, &raw));
    CHECK_OK(tcgetattr(s, &back));
    CHECK(!(back.c_lflag & ICANON));
    CHECK(!(back.c_oflag & OPOST));
    char rin[] = {'q', '\r', 3, 0x7f};
    CHECK_EQ(write(m, rin, sizeof rin), 4);
    size_t got = 0;
    while (got < 4) {
        ssize_t n = read(s, buf + got, sizeof buf - got);
        CHECK(n > 0);
        got += n;
    }
    CHECK_MEM(buf, rin, 4);
    CHECK_EQ(write(s, "a\nb", 3), 3);
    got = 0;
    while (got < 3) {
        ssize_t n = read(m, buf + got, sizeof buf - got);
        CHECK(n > 0);
        got += n;
    }
    CHECK_MEM(buf, "a\nb", 3); /* no \r added without OPOST */

    /* Baud rate fields round-trip. */
    CHECK_OK(cfsetospeed(&raw, B9600));
    CHECK_EQ(cfgetospeed(&raw), B9600);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERRNO(tcgetattr(p[0], &t), ENOTTY);
    return check_done();
}
