/* openpty: isatty, ttyname, canonical input with echo and ONLCR output processing. */
#include "check.h"
#include <pty.h>
#include <termios.h>

/* Reads from the master until `want` bytes arrived (the pty may split them). */
static void read_n(int fd, char *buf, size_t want) {
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        CHECK(n > 0);
        got += n;
    }
    buf[got] = 0;
}

int main(void) {
    int m, s;
    char name[64];
    CHECK_OK(openpty(&m, &s, name, NULL, NULL));
    CHECK(isatty(s));
    CHECK(isatty(m));
    int p[2];
    CHECK_OK(pipe(p));
    CHECK(!isatty(p[0]));
    CHECK_EQ(errno, ENOTTY);
    CHECK(strncmp(name, "/dev/pts/", 9) == 0);
    char *tn = ttyname(s);
    CHECK(tn != NULL);
    CHECK_STR(tn, name);
    struct stat a, b;
    CHECK_OK(stat(name, &a));
    CHECK_OK(fstat(s, &b));
    CHECK(S_ISCHR(a.st_mode));
    CHECK_EQ(a.st_rdev, b.st_rdev);

    /* Canonical mode: the slave sees nothing until a newline. */
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    CHECK(t.c_lflag & ICANON);
    CHECK(t.c_lflag & ECHO);
    CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
    CHECK_EQ(write(m, "abc", 3), 3);
    char buf[64];
    CHECK_ERRNO(read(s, buf, sizeof buf), EAGAIN);
    /* Echo comes back on the master. */
    read_n(m, buf, 3);
    CHECK_STR(buf, "abc");
    CHECK_EQ(write(m, "d\n", 2), 2);
    read_n(m, buf, 3); /* "d" then "\n" echoed as "\r\n" (ONLCR) */
    CHECK_STR(buf, "d\r\n");
    CHECK_OK(fcntl(s, F_SETFL, 0));
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(s, buf, sizeof buf), 5);
    CHECK_STR(buf, "abcd\n");

    /* Output: "\n" becomes "\r\n" on the way to the master. */
    CHECK_EQ(write(s, "x\ny", 3), 3);
    read_n(m, buf, 4);
    CHECK_STR(buf, "x\r\ny");

    /* One line per read in canonical mode. */
    CHECK_EQ(write(m, "l1\nl2\n", 6), 6);
    read_n(m, buf, 8); /* echo */
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(s, buf, sizeof buf), 3);
    CHECK_STR(buf, "l1\n");
    memset(buf, 0, sizeof buf);
    CHECK_EQ(read(s, buf, sizeof buf), 3);
    CHECK_STR(buf, "l2\n");
    return check_done();
}
