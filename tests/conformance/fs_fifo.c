/* mkfifo: a named pipe between two processes; O_NONBLOCK open rules (reader ok, writer ENXIO). */
#include "check.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "writer")) {
        int fd = open(argv[2], O_WRONLY); /* blocks until the parent opens for reading */
        if (fd < 0) return 10;
        if (write(fd, "through fifo", 12) != 12) return 11;
        return 0;
    }
    const char *dir = enter_tmpdir();
    CHECK_OK(mkfifo("ff", 0600));
    struct stat st;
    CHECK_OK(stat("ff", &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_ERRNO(mkfifo("ff", 0600), EEXIST);

    /* Non-blocking: opening for read succeeds at once; for write with no reader, ENXIO. */
    CHECK_ERRNO(open("ff", O_WRONLY | O_NONBLOCK), ENXIO);
    int r = CHECK_OK(open("ff", O_RDONLY | O_NONBLOCK));
    int w = CHECK_OK(open("ff", O_WRONLY | O_NONBLOCK));
    CHECK_EQ(write(w, "ab", 2), 2);
    char buf[32] = {0};
    CHECK_EQ(read(r, buf, sizeof buf), 2);
    CHECK_STR(buf, "ab");
    close(w);
    CHECK_EQ(read(r, buf, sizeof buf), 0);
    close(r);

    char path[128];
    snprintf(path, sizeof path, "%s/ff", dir);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "writer", path, (char *)NULL);
        _exit(127);
    }
    r = CHECK_OK(open("ff", O_RDONLY)); /* blocks until the writer opens */
    size_t got = 0;
    for (;;) {
        ssize_t n = read(r, buf + got, sizeof buf - 1 - got);
        CHECK(n >= 0);
        if (n == 0) break;
        got += n;
    }
    buf[got] = 0;
    CHECK_STR(buf, "through fifo");
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return check_done();
}
