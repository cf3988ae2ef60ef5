/* Browser test program for the terminal: prints the window size
 * (`size ROWSxCOLS`) at start and again after each SIGWINCH, then reads
 * lines from the terminal (canonical mode, echo on) and answers each with
 * `got: LINE` in upper case; `quit` ends it with status 0. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t resized;

static void on_winch(int sig) {
    (void)sig;
    resized = 1;
}

static void print_size(void) {
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws)) {
        printf("size ?: %s\n", strerror(errno));
    } else {
        printf("size %dx%d\n", ws.ws_row, ws.ws_col);
    }
    fflush(stdout);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch; /* no SA_RESTART: read(2) returns EINTR */
    sigaction(SIGWINCH, &sa, NULL);
    printf("isatty=%d\n", isatty(0));
    print_size();
    char line[512];
    for (;;) {
        ssize_t n = read(0, line, sizeof line - 1);
        if (resized) {
            resized = 0;
            print_size();
        }
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 1;
        line[n] = 0;
        if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
        if (!strcmp(line, "quit")) return 0;
        for (ssize_t i = 0; i < n; i++) line[i] = (char)toupper((unsigned char)line[i]);
        printf("got: %s\n", line);
        fflush(stdout);
    }
}
