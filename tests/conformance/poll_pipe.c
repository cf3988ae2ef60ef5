/* poll on pipes: timeout 0, POLLIN, POLLOUT, POLLHUP after the writer closes, POLLERR, POLLNVAL. */
#include "check.h"
#include <poll.h>

int main(void) {
    int p[2];
    CHECK_OK(pipe(p));
    struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    CHECK_EQ(poll(fds, 2, 0), 1);
    CHECK_EQ(fds[0].revents, 0);
    CHECK_EQ(fds[1].revents, POLLOUT);
    /* A short timeout with nothing ready returns 0. */
    CHECK_EQ(poll(fds, 1, 20), 0);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(poll(fds, 2, -1), 2);
    CHECK_EQ(fds[0].revents, POLLIN);
    /* Writer closed: POLLHUP (and POLLIN while data remains). */
    close(p[1]);
    fds[1].fd = -1; /* ignored entries report nothing */
    CHECK_EQ(poll(fds, 2, -1), 1);
    CHECK(fds[0].revents & POLLHUP);
    CHECK(fds[0].revents & POLLIN);
    CHECK_EQ(fds[1].revents, 0);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    CHECK_EQ(poll(fds, 1, -1), 1);
    CHECK_EQ(fds[0].revents, POLLHUP);

    /* Reader closed: the write end reports POLLERR. */
    CHECK_OK(pipe(p));
    close(p[0]);
    struct pollfd w = {p[1], POLLOUT, 0};
    CHECK_EQ(poll(&w, 1, 0), 1);
    CHECK(w.revents & POLLERR);

    /* A closed fd number: POLLNVAL. */
    struct pollfd bad = {999, POLLIN, 0};
    CHECK_EQ(poll(&bad, 1, 0), 1);
    CHECK_EQ(bad.revents, POLLNVAL);
    /* No fds: just a sleep. */
    CHECK_EQ(poll(NULL, 0, 1), 0);
    return check_done();
}
