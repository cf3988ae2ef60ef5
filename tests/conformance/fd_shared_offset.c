/* Separate opens have separate offsets; dup'ed fds and a child's inherited fds share one. */
#include "check.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "child")) {
        int fd = atoi(argv[2]);
        /* Inherited across exec: write at the shared offset. */
        if (write(fd, "child", 5) != 5) return 2;
        return 0;
    }
    enter_tmpdir();
    int a = CHECK_OK(open("f", O_RDWR | O_CREAT, 0644));
    int b = CHECK_OK(open("f", O_RDWR));
    CHECK_EQ(write(a, "AAAA", 4), 4);
    CHECK_EQ(lseek(b, 0, SEEK_CUR), 0);
    CHECK_EQ(write(b, "BB", 2), 2);
    char buf[32] = {0};
    CHECK_EQ(pread(a, buf, sizeof buf, 0), 4);
    CHECK_STR(buf, "BBAA");

    CHECK_EQ(lseek(a, 4, SEEK_SET), 4);
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", a);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", "fd_shared_offset", "child", fdarg, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    /* The child's write moved our offset too. */
    CHECK_EQ(lseek(a, 0, SEEK_CUR), 9);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(pread(b, buf, sizeof buf, 0), 9);
    CHECK_STR(buf, "BBAAchild");
    return check_done();
}
