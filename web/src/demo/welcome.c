/* The demo's terminal program until the root image brings a shell (issue
 * #6): a few built-in commands that show the pod's terminal, files,
 * processes and signals at work. Built with wasmpod-cc by `cargo xtask web`. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t interrupted, resized;

static void on_sigint(int sig) { (void)sig; interrupted = 1; }
static void on_sigwinch(int sig) { (void)sig; resized = 1; }

static void winsize(void) {
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0) printf("terminal: %s, %u rows x %u columns\n", ttyname(0), ws.ws_row, ws.ws_col);
    else perror("TIOCGWINSZ");
}

static void ls(const char *path) {
    DIR *d = opendir(path);
    if (!d) { printf("ls: %s: %s\n", path, strerror(errno)); return; }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        printf("%s%s  ", e->d_name, e->d_type == DT_DIR ? "/" : "");
    }
    printf("\n");
    closedir(d);
}

static void cat(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { printf("cat: %s: %s\n", path, strerror(errno)); return; }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
}

static void spin(void) {
    printf("spinning; press Ctrl-C to stop\n");
    fflush(stdout);
    interrupted = 0;
    unsigned long n = 0;
    while (!interrupted) { n++; if ((n & 0xfffff) == 0) getpid(); /* a kernel entry: signals are delivered here */ }
    printf("\ninterrupted after %lu iterations\n", n);
}

static void run(char *argv[]) {
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (err) { printf("%s: %s\n", argv[0], strerror(err)); return; }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) printf("[%d killed by signal %d]\n", pid, WTERMSIG(st));
    else if (WEXITSTATUS(st)) printf("[%d exited with %d]\n", pid, WEXITSTATUS(st));
}

static void help(void) {
    printf("commands: help, uname, tty, ls [dir], cat FILE, echo TEXT, date, spin, sleep N, run PROGRAM [ARGS], exit\n"
           "Ctrl-C interrupts spin and sleep; resizing the window changes the terminal size.\n");
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigwinch;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &sa, NULL);
    struct utsname u;
    uname(&u);
    printf("\033[1mwasmpod\033[0m: Linux-compatible processes in your browser tab (%s %s, %s)\n", u.sysname, u.release, u.machine);
    winsize();
    help();
    char line[1024];
    for (;;) {
        if (resized) { resized = 0; winsize(); }
        printf("\033[32muser@wasmpod\033[0m:\033[34m%s\033[0m$ ", getcwd(line, sizeof line) ? line : "?");
        fflush(stdout);
        interrupted = 0;
        if (!fgets(line, sizeof line, stdin)) {
            if (ferror(stdin) && errno == EINTR) { clearerr(stdin); printf("\n"); continue; }
            break;
        }
        char *argv[32];
        int argc = 0;
        for (char *t = strtok(line, " \t\n"); t && argc < 31; t = strtok(NULL, " \t\n")) argv[argc++] = t;
        argv[argc] = NULL;
        if (argc == 0) continue;
        const char *c = argv[0];
        if (!strcmp(c, "help")) help();
        else if (!strcmp(c, "uname")) printf("%s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
        else if (!strcmp(c, "tty")) winsize();
        else if (!strcmp(c, "ls")) ls(argc > 1 ? argv[1] : ".");
        else if (!strcmp(c, "cat") && argc > 1) cat(argv[1]);
        else if (!strcmp(c, "echo")) { for (int i = 1; i < argc; i++) printf("%s%s", argv[i], i + 1 < argc ? " " : ""); printf("\n"); }
        else if (!strcmp(c, "date")) { time_t t = time(NULL); printf("%s", ctime(&t)); }
        else if (!strcmp(c, "spin")) spin();
        else if (!strcmp(c, "sleep")) { unsigned left = sleep(argc > 1 ? (unsigned)atoi(argv[1]) : 1); if (left) printf("\ninterrupted with %u s left\n", left); }
        else if (!strcmp(c, "run") && argc > 1) run(argv + 1);
        else if (!strcmp(c, "exit")) break;
        else printf("%s: unknown command (try help)\n", c);
    }
    printf("bye\n");
    return 0;
}
