/* Writes of at most PIPE_BUF bytes from several processes never interleave. */
#include "check.h"
#include <limits.h>
#include <sys/wait.h>

#define WRITERS 4
#define RECORDS 200
#define RECLEN 512

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "writer")) {
        char rec[RECLEN];
        memset(rec, argv[2][0], sizeof rec);
        for (int i = 0; i < RECORDS; i++)
            if (write(1, rec, sizeof rec) != sizeof rec) return 2;
        return 0;
    }
    CHECK(RECLEN <= PIPE_BUF);
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        char tag[2] = {(char)('a' + w), 0};
        pid_t pid = vfork();
        if (pid == 0) {
            dup2(p[1], 1);
            close(p[0]);
            execl("/proc/self/exe", argv[0], "writer", tag, (char *)NULL);
            _exit(127);
        }
        CHECK(pid > 0);
        pids[w] = pid;
    }
    close(p[1]);
    int counts[WRITERS] = {0};
    char rec[RECLEN];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(p[0], rec + have, sizeof rec - have);
        CHECK(n >= 0);
        if (n == 0) break;
        have += n;
        if (have < sizeof rec) continue;
        int w = rec[0] - 'a';
        CHECK(w >= 0 && w < WRITERS);
        for (int i = 1; i < RECLEN; i++)
            if (rec[i] != rec[0]) FAIL("record from %c interleaved at byte %d", rec[0], i);
        counts[w]++;
        have = 0;
    }
    CHECK_EQ(have, 0);
    for (int w = 0; w < WRITERS; w++) {
        int st;
        CHECK_EQ(waitpid(pids[w], &st, 0), pids[w]);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_EQ(counts[w], RECORDS);
    }
    return check_done();
}
