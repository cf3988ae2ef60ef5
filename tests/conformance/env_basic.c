/* getenv/setenv/unsetenv/putenv/environ/clearenv-free semantics, and the environment passed to a child. */
#include "check.h"
#include <sys/wait.h>

extern char **environ;

static int in_environ(const char *entry) {
    for (char **e = environ; *e; e++)
        if (!strcmp(*e, entry)) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        const char *a = getenv("CONF_A"), *b = getenv("CONF_B");
        if (!a || strcmp(a, "2")) return 10;
        if (b) return 11;
        if (!getenv("CONF_PUT") || strcmp(getenv("CONF_PUT"), "p")) return 12;
        return 0;
    }
    CHECK(getenv("CONF_A") == NULL);
    CHECK_OK(setenv("CONF_A", "1", 0));
    CHECK_STR(getenv("CONF_A"), "1");
    CHECK_OK(setenv("CONF_A", "x", 0)); /* no overwrite */
    CHECK_STR(getenv("CONF_A"), "1");
    CHECK_OK(setenv("CONF_A", "2", 1));
    CHECK_STR(getenv("CONF_A"), "2");
    CHECK(in_environ("CONF_A=2"));
    CHECK_OK(setenv("CONF_B", "", 1));
    CHECK(getenv("CONF_B") != NULL);
    CHECK_STR(getenv("CONF_B"), "");
    CHECK_OK(unsetenv("CONF_B"));
    CHECK(getenv("CONF_B") == NULL);
    CHECK_OK(unsetenv("CONF_NEVER_SET"));
    CHECK_ERRNO(setenv("BAD=NAME", "v", 1), EINVAL);
    CHECK_ERRNO(setenv("", "v", 1), EINVAL);
    CHECK_ERRNO(unsetenv("BAD=NAME"), EINVAL);

    /* putenv uses the caller's string itself. */
    static char put[] = "CONF_PUT=q";
    CHECK_ZERO(putenv(put));
    CHECK_STR(getenv("CONF_PUT"), "q");
    put[9] = 'p';
    CHECK_STR(getenv("CONF_PUT"), "p");
    /* Prefixes do not match. */
    CHECK(getenv("CONF_") == NULL);
    CHECK(getenv("CONF_A=") == NULL);

    /* The child sees our environ through execv. */
    pid_t pid = vfork();
    if (pid == 0) {
        execv("/proc/self/exe", (char *[]){argv[0], "child", NULL});
        _exit(127);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    return check_done();
}
