/* posix_spawnp searches PATH (skipping missing directories); execvp too. */
#include "check.h"
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) return 21;
    const char *dir = enter_tmpdir();
    char self[512];
    ssize_t n = CHECK_OK(readlink("/proc/self/exe", self, sizeof self - 1));
    self[n] = 0;
    CHECK_OK(mkdir("bin", 0755));
    CHECK_OK(symlink(self, "bin/myprog"));
    char path[600];
    snprintf(path, sizeof path, "/nonexistent-dir:%s/bin", dir);
    CHECK_OK(setenv("PATH", path, 1));

    char *cargv[] = {"myprog", "child", NULL};
    pid_t pid;
    CHECK_ZERO(posix_spawnp(&pid, "myprog", NULL, NULL, cargv, environ));
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 21);

    pid = vfork();
    if (pid == 0) {
        execvp("myprog", cargv);
        _exit(errno == ENOENT ? 98 : 97);
    }
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 21);

    /* Not found anywhere. */
    int r = posix_spawnp(&pid, "no-such-prog", NULL, NULL, cargv, environ);
    if (r == 0) {
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
    } else {
        CHECK_EQ(r, ENOENT);
    }
    return check_done();
}
