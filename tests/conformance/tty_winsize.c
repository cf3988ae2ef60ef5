/* TIOCGWINSZ/TIOCSWINSZ on a pty (either side), and SIGWINCH to the foreground group of a controlling tty. */
#include "check.h"
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static volatile sig_atomic_t winch;
static void on_winch(int s) { (void)s; winch++; }

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "child")) {
        /* New session; the pty slave (fd 0) becomes our controlling terminal. */
        int s = 0;
        if (setsid() < 0) return 10;
        if (ioctl(s, TIOCSCTTY, 0) < 0) return 11;
        if (tcgetpgrp(s) != getpid()) return 12;
        signal(SIGWINCH, on_winch);
        sigset_t block, empty;
        sigemptyset(&block);
        sigaddset(&block, SIGWINCH);
        sigemptyset(&empty);
        sigprocmask(SIG_BLOCK, &block, NULL);
        if (write(s, "R", 1) != 1) return 13; /* ready */
        while (!winch) sigsuspend(&empty);
        struct winsize ws;
        if (ioctl(s, TIOCGWINSZ, &ws) < 0) return 14;
        return ws.ws_row == 50 && ws.ws_col == 132 ? 0 : 15;
    }
    struct winsize ws = {.ws_row = 24, .ws_col = 80}, got;
    int m, s;
    CHECK_OK(openpty(&m, &s, NULL, NULL, &ws));
    CHECK_OK(ioctl(s, TIOCGWINSZ, &got));
    CHECK_EQ(got.ws_row, 24);
    CHECK_EQ(got.ws_col, 80);
    ws.ws_row = 30;
    ws.ws_col = 100;
    CHECK_OK(ioctl(m, TIOCSWINSZ, &ws));
    CHECK_OK(ioctl(s, TIOCGWINSZ, &got));
    CHECK_EQ(got.ws_row, 30);
    CHECK_EQ(got.ws_col, 100);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERRNO(ioctl(p[0], TIOCGWINSZ, &got), ENOTTY);

    /* Raw mode so the child's "R" comes through as is. */
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    cfmakeraw(&t);
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(s, 0);
        close(m);
        execl("/proc/self/exe", argv[0], "child", "x", (char *)NULL);
        _exit(127);
    }
    close(s);
    char c;
    CHECK_EQ(read(m, &c, 1), 1);
    CHECK_EQ(c, 'R');
    ws.ws_row = 50;
    ws.ws_col = 132;
    CHECK_OK(ioctl(m, TIOCSWINSZ, &ws));
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    return check_done();
}
