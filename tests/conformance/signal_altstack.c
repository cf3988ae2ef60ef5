/* sigaltstack: SA_ONSTACK handlers run on the alternate stack; SS_ONSTACK inside; EINVAL/ENOMEM. */
#include "check.h"
#include <signal.h>
#include <stdint.h>

static char *alt;
static size_t alt_size;
static volatile sig_atomic_t on_alt, in_handler_flags;

static void handler(int s) {
    (void)s;
    char local;
    uintptr_t a = (uintptr_t)&local;
    on_alt = a >= (uintptr_t)alt && a < (uintptr_t)alt + alt_size;
    stack_t cur;
    sigaltstack(NULL, &cur);
    in_handler_flags = cur.ss_flags;
}

int main(void) {
    alt_size = 64 * 1024;
    alt = malloc(alt_size);
    CHECK(alt != NULL);
    stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0}, old;
    CHECK_OK(sigaltstack(&ss, &old));
    CHECK(old.ss_flags & SS_DISABLE);
    CHECK_OK(sigaltstack(NULL, &old));
    CHECK(old.ss_sp == alt);
    CHECK_EQ(old.ss_size, alt_size);
    CHECK_EQ(old.ss_flags, 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(on_alt, 1);
    CHECK_EQ(in_handler_flags, SS_ONSTACK);

    /* Without SA_ONSTACK the handler stays on the normal stack. */
    sa.sa_flags = 0;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(on_alt, 0);
    CHECK_EQ(in_handler_flags, 0);

    stack_t small = {.ss_sp = alt, .ss_size = 16, .ss_flags = 0};
    CHECK_ERRNO(sigaltstack(&small, NULL), ENOMEM);
    stack_t bad = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 12345};
    CHECK_ERRNO(sigaltstack(&bad, NULL), EINVAL);
    stack_t off = {.ss_flags = SS_DISABLE};
    CHECK_OK(sigaltstack(&off, NULL));
    CHECK_OK(sigaltstack(NULL, &old));
    CHECK(old.ss_flags & SS_DISABLE);
    return check_done();
}
