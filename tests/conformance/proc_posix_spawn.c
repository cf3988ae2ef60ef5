/* posix_spawn with file actions: open, dup2, close; argv/envp; the child's status. */
#include "check.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        /* stdout is the file opened by the file action; fd 5 is closed; fd 6 is a dup of the pipe. */
        if (fcntl(5, F_GETFD) != -1) return 10;
        if (write(6, "via-dup2", 8) != 8) return 11;
        const char *v = getenv("SPAWNED");
        printf("out:%s\n", v ? v : "none");
        return 3;
    }
    enter_tmpdir();
    int p[2];
    CHECK_OK(pipe(p));
    int five = CHECK_OK(dup2(p[0], 5));
    (void)five;

    posix_spawn_file_actions_t fa;
    CHECK_ZERO(posix_spawn_file_actions_init(&fa));
    CHECK_ZERO(posix_spawn_file_actions_addopen(&fa, 1, "out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    CHECK_ZERO(posix_spawn_file_actions_adddup2(&fa, p[1], 6));
    CHECK_ZERO(posix_spawn_file_actions_addclose(&fa, 5));
    char *cargv[] = {argv[0], "child", NULL};
    char *cenv[] = {"SPAWNED=yes", NULL};
    pid_t pid;
    CHECK_ZERO(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, cargv, cenv));
    CHECK_ZERO(posix_spawn_file_actions_destroy(&fa));
    close(p[1]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 3);
    char buf[64] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf), 8);
    CHECK_STR(buf, "via-dup2");
    read_file("out.txt", buf, sizeof buf);
    CHECK_STR(buf, "out:yes\n");
    /* Our fd 5 is untouched. */
    CHECK_EQ(fcntl(5, F_GETFD), 0);

    /* A missing program: posix_spawn reports the error (ENOENT) or the child exits 127. */
    int r = posix_spawn(&pid, "/nonexistent", NULL, NULL, cargv, environ);
    if (r == 0) {
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
    } else {
        CHECK_EQ(r, ENOENT);
    }
    /* A failing file action: the open fails in the child. */
    CHECK_ZERO(posix_spawn_file_actions_init(&fa));
    CHECK_ZERO(posix_spawn_file_actions_addopen(&fa, 0, "missing/file", O_RDONLY, 0));
    r = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, cargv, cenv);
    if (r == 0) {
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
    } else {
        CHECK_EQ(r, ENOENT);
    }
    posix_spawn_file_actions_destroy(&fa);
    return check_done();
}
