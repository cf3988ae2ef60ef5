/* exit runs atexit handlers in reverse order and flushes stdio; _exit does neither. Checked through a child's stdout. */
#include "check.h"
#include <sys/wait.h>

static void h1(void) { fputs("h1\n", stdout); }
static void h2(void) { fputs("h2\n", stdout); }

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "exit")) {
        atexit(h1);
        atexit(h2);
        fputs("buffered ", stdout); /* a pipe: fully buffered */
        exit(3);
    }
    if (argc == 2 && !strcmp(argv[1], "_exit")) {
        atexit(h1);
        fputs("lost", stdout);
        _exit(4);
    }
    if (argc == 2 && !strcmp(argv[1], "return")) {
        atexit(h1);
        printf("ret ");
        return 5;
    }
    const char *modes[] = {"exit", "_exit", "return"};
    const char *want[] = {"buffered h2\nh1\n", "", "ret h1\n"};
    int codes[] = {3, 4, 5};
    for (int i = 0; i < 3; i++) {
        int p[2];
        CHECK_OK(pipe(p));
        pid_t pid = vfork();
        if (pid == 0) {
            dup2(p[1], 1);
            close(p[0]);
            close(p[1]);
            execl("/proc/self/exe", argv[0], modes[i], (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        char buf[64];
        size_t got = 0;
        for (;;) {
            ssize_t n = read(p[0], buf + got, sizeof buf - 1 - got);
            CHECK(n >= 0);
            if (n == 0) break;
            got += n;
        }
        buf[got] = 0;
        close(p[0]);
        int st;
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st));
        CHECK_EQ(WEXITSTATUS(st), codes[i]);
        CHECK_STR(buf, want[i]);
    }
    return check_done();
}
