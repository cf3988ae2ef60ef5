/* Browser test program: says it spins, then loops forever without a
 * single system call, so only SIGKILL (terminating its worker) ends it. */
#include <stdio.h>

int main(void) {
    printf("spinning\n");
    fflush(stdout);
    volatile unsigned long n = 0;
    for (;;) n++;
}
