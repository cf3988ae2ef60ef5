/* setjmp/longjmp: return values (0 becomes 1), volatile locals survive, nested frames unwind. */
#include "check.h"
#include <setjmp.h>

static jmp_buf env;
static int depth_reached;

static void recurse(int n) {
    char pad[128];
    pad[0] = (char)n;
    depth_reached = n + pad[0] - n;
    if (n == 50) longjmp(env, 7);
    if (n < 100) recurse(n + 1);
}

static void jump_zero(void) { longjmp(env, 0); }

int main(void) {
    volatile int counter = 0;
    int r = setjmp(env);
    counter++;
    if (r == 0) {
        recurse(0);
        FAIL("recurse returned");
    }
    CHECK_EQ(r, 7);
    CHECK_EQ(counter, 2);
    CHECK_EQ(depth_reached, 50);

    r = setjmp(env);
    if (r == 0) jump_zero();
    CHECK_EQ(r, 1); /* longjmp(env, 0) returns 1 */

    /* A loop through setjmp. */
    volatile int loops = 0;
    jmp_buf again;
    if (setjmp(again) < 5) {
        loops++;
        if (loops < 5) longjmp(again, loops);
    }
    CHECK_EQ(loops, 5);
    return check_done();
}
