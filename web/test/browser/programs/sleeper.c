/* Browser test program: says it is about to sleep, then sleeps in the
 * kernel (nanosleep) for ten minutes; SIGINT's default action ends it. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("sleeping\n");
    fflush(stdout);
    sleep(600);
    printf("woke up\n");
    return 0;
}
