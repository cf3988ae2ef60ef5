/* FD_CLOEXEC fds are closed by execve, others survive it with their offsets. */
#include "check.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "child")) {
        int keep = atoi(argv[2]), gone = atoi(argv[3]);
        if (fcntl(gone, F_GETFD) != -1 || errno != EBADF) return 2;
        if (fcntl(keep, F_GETFD) != 0) return 3;
        if (lseek(keep, 0, SEEK_CUR) != 3) return 4;
        return 0;
    }
    enter_tmpdir();
    write_file("f", "0123456789");
    int keep = CHECK_OK(open("f", O_RDONLY));
    int gone = CHECK_OK(open("f", O_RDONLY | O_CLOEXEC));
    CHECK_EQ(lseek(keep, 3, SEEK_SET), 3);
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", keep);
    snprintf(b, sizeof b, "%d", gone);
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", a, b, (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    /* Still open here. */
    CHECK_EQ(fcntl(gone, F_GETFD), FD_CLOEXEC);
    return check_done();
}
