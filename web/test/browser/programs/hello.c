/* Browser test program: argv, environment, cwd, stdout and stderr, and an
 * exit status chosen by the caller (`hello CODE [WORDS...]`). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *g = getenv("GREETING");
    char cwd[256];
    printf("hello from wasmpod: argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("GREETING=%s\n", g ? g : "(unset)");
    printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    printf("pid>1=%d\n", getpid() > 1);
    fprintf(stderr, "to stderr\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
