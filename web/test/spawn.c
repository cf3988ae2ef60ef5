/* Smoke test for the browser host: posix_spawn of a second program (in a
 * second worker), a pipe from this process to its stdin, waitpid. */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void) {
    int p[2];
    if (pipe(p) != 0) { perror("pipe"); return 1; }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    char *argv[] = {"/bin/hello", "3", NULL};
    pid_t child;
    int err = posix_spawn(&child, "/bin/hello", &fa, NULL, argv, environ);
    if (err) { fprintf(stderr, "posix_spawn: %s\n", strerror(err)); return 1; }
    close(p[0]);
    const char *msg = "through a pipe\n";
    if (write(p[1], msg, strlen(msg)) != (ssize_t)strlen(msg)) { perror("write"); return 1; }
    close(p[1]);
    int status = 0;
    if (waitpid(child, &status, 0) != child) { perror("waitpid"); return 1; }
    printf("child %s %d\n", WIFEXITED(status) ? "exited" : "died", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return 0;
}
