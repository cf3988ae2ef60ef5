/* Smoke test program for the browser host (web/test/node-smoke.mjs):
 * stdout, argv and environment from the startup block, stdin, exit status. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *g = getenv("GREETING");
    printf("hello from wasmpod: argc=%d pid=%d\n", argc, (int)getpid());
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("GREETING=%s\n", g ? g : "(unset)");
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
    printf("stdin=%s", buf);
    fprintf(stderr, "to stderr\n");
    char cwd[64];
    printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
    return argc > 1 ? atoi(argv[1]) : 0;
}
