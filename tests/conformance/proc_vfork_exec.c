/* vfork + execve of /proc/self/exe with arguments and environment; exit codes; execve errors. */
#include "check.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "child")) {
        if (argc != 4 || strcmp(argv[2], "two") || strcmp(argv[3], "three four")) return 10;
        const char *v = getenv("CHILD_VAR");
        if (!v || strcmp(v, "value=with=equals")) return 11;
        if (getenv("PARENT_ONLY")) return 12;
        return 42;
    }
    setenv("PARENT_ONLY", "1", 1);
    char *cargv[] = {argv[0], "child", "two", "three four", NULL};
    char *cenv[] = {"CHILD_VAR=value=with=equals", NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve("/proc/self/exe", cargv, cenv);
        _exit(127);
    }
    CHECK(pid > 0);
    CHECK_NE(pid, getpid());
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 42);

    /* execve failure is seen by the vfork child, which reports it via _exit. */
    pid = vfork();
    if (pid == 0) {
        execve("/nonexistent/program", cargv, cenv);
        _exit(errno == ENOENT ? 99 : 98);
    }
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 99);

    /* execve of a directory: EACCES. */
    CHECK_ERRNO(execve("/tmp", cargv, cenv), EACCES);
    /* No children left. */
    CHECK_ERRNO(wait(&st), ECHILD);
    return check_done();
}
