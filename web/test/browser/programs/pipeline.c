/* Browser test program: a pipe between two processes in two workers.
 * `pipeline UPPER BYTES` posix_spawns the program UPPER (upper.c) with its
 * stdin and stdout on two pipes, pushes BYTES bytes of lower-case text
 * through it with poll(2) (more than a pipe buffer, so both sides block
 * and wake each other), checks every byte that comes back, and waits for
 * the child. Prints `pipeline: N bytes ok` and exits 0, or says what
 * differed and exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char pattern(long i) { return (char)('a' + i % 26); }

static int fail(const char *what) {
    printf("pipeline: %s failed: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: pipeline UPPER BYTES\n");
        return 2;
    }
    long total = atol(argv[2]);
    int to_child[2], from_child[2];
    if (pipe(to_child) || pipe(from_child)) return fail("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
    posix_spawn_file_actions_addclose(&fa, to_child[1]);
    posix_spawn_file_actions_addclose(&fa, from_child[0]);
    pid_t pid;
    char *cargv[] = {argv[1], NULL};
    if ((errno = posix_spawn(&pid, argv[1], &fa, NULL, cargv, environ))) return fail("posix_spawn");
    close(to_child[0]);
    close(from_child[1]);
    fcntl(to_child[1], F_SETFL, O_NONBLOCK);
    long sent = 0, got = 0;
    char buf[8192];
    while (got < total) {
        struct pollfd p[2] = {{from_child[0], POLLIN, 0}, {sent < total ? to_child[1] : -1, POLLOUT, 0}};
        if (poll(p, 2, -1) < 0) return fail("poll");
        if (p[1].revents & POLLOUT) {
            long n = total - sent < (long)sizeof buf ? total - sent : (long)sizeof buf;
            for (long i = 0; i < n; i++) buf[i] = pattern(sent + i);
            ssize_t w = write(to_child[1], buf, (size_t)n);
            if (w < 0 && errno != EAGAIN) return fail("write");
            if (w > 0) sent += w;
            if (sent == total) close(to_child[1]);
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            ssize_t r = read(from_child[0], buf, sizeof buf);
            if (r < 0) return fail("read");
            if (r == 0) break;
            for (ssize_t i = 0; i < r; i++) {
                char want = (char)(pattern(got + i) - 'a' + 'A');
                if (buf[i] != want) {
                    printf("pipeline: byte %ld is %d, want %d\n", got + i, buf[i], want);
                    return 1;
                }
            }
            got += r;
        }
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) return fail("waitpid");
    if (got != total || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("pipeline: got %ld of %ld bytes, child status %#x\n", got, total, st);
        return 1;
    }
    printf("pipeline: %ld bytes ok\n", got);
    return 0;
}
