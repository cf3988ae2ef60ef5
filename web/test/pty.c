/* Smoke test program for terminals in the browser host
 * (web/test/node-smoke.mjs, run with wasmpod_spawn_on_pty): fds 0-2 are a
 * pty slave and its controlling terminal, typed input arrives through the
 * line discipline (echoed by it), the window size comes from TIOCGWINSZ,
 * and a resize sends SIGWINCH to the foreground process group. Also runs
 * on Linux under a pty (e.g. `script -qc ./pty`), typing the same input. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t winch;

static void on_winch(int sig) {
    (void)sig;
    winch++;
}

static void print_size(const char *what) {
    struct winsize ws;
    if (ioctl(1, TIOCGWINSZ, &ws) != 0) {
        printf("%s: TIOCGWINSZ failed\n", what);
        return;
    }
    printf("%s %dx%d\n", what, ws.ws_row, ws.ws_col);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, NULL);
    /* SIGWINCH stays blocked except inside sigsuspend, so that a resize
     * between the check and the wait is not lost. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGWINCH);
    sigprocmask(SIG_BLOCK, &block, &old);

    printf("isatty %d %d %d\n", isatty(0), isatty(1), isatty(2));
    print_size("size");
    printf("%s %s\n", tcgetpgrp(0) == getpgrp() ? "foreground" : "background",
           getsid(0) == getpid() ? "leader" : "member");
    printf("ready> ");
    fflush(stdout);

    char line[128];
    if (!fgets(line, sizeof line, stdin)) return 1;
    line[strcspn(line, "\n")] = 0;
    printf("got [%s]\n", line);
    printf("resize me\n");
    fflush(stdout);
    while (!winch) sigsuspend(&old);
    print_size("winch");

    printf("type EOF\n");
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL && feof(stdin)) printf("eof\n");
    return 3;
}
