/* ISIG: ^C typed on the master sends SIGINT to the tty's foreground process group. */
#include "check.h"
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        if (setsid() < 0) return 10;
        if (ioctl(0, TIOCSCTTY, 0) < 0) return 11;
        if (write(1, "R", 1) != 1) return 12;
        char buf[16];
        read(0, buf, sizeof buf); /* interrupted by SIGINT (default action: die) */
        return 13;
    }
    int m, s;
    CHECK_OK(openpty(&m, &s, NULL, NULL, NULL));
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    CHECK(t.c_lflag & ISIG);
    CHECK_EQ(t.c_cc[VINTR], 3);
    t.c_lflag &= ~ECHO;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    pid_t pid = vfork();
    if (pid == 0) {
        dup2(s, 0);
        dup2(s, 1);
        close(m);
        close(s);
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    close(s);
    char c;
    CHECK_EQ(read(m, &c, 1), 1);
    CHECK_EQ(c, 'R');
    CHECK_EQ(write(m, "\x03", 1), 1);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGINT);
    return check_done();
}
