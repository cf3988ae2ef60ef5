/* fcntl record locks and flock between processes: conflicts (EAGAIN), F_GETLK reports the holder. */
#include "check.h"
#include <sys/file.h>
#include <sys/wait.h>

/* Child: try the locks the parent holds and report by exit code. */
static int child(void) {
    int fd = open("f", O_RDWR);
    if (fd < 0) return 10;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    if (fcntl(fd, F_SETLK, &fl) != -1 || (errno != EAGAIN && errno != EACCES)) return 11;
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    if (fcntl(fd, F_GETLK, &q) < 0) return 12;
    if (q.l_type != F_RDLCK || q.l_pid != getppid()) return 13;
    /* A read lock is compatible with the parent's read lock. */
    struct flock rd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    if (fcntl(fd, F_SETLK, &rd) != 0) return 14;
    /* A range the parent does not hold is free. */
    struct flock other = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10};
    if (fcntl(fd, F_SETLK, &other) != 0) return 15;
    /* flock conflicts with the parent's exclusive flock. */
    int fd2 = open("f", O_RDWR);
    if (flock(fd2, LOCK_EX | LOCK_NB) != -1 || errno != EWOULDBLOCK) return 16;
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "child")) {
        if (chdir(argv[2])) return 9;
        return child();
    }
    const char *dir = enter_tmpdir();
    write_file("f", "0123456789abcdefghij");
    int fd = CHECK_OK(open("f", O_RDWR));
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    CHECK_OK(fcntl(fd, F_SETLK, &fl));
    /* Our own locks never conflict with us. */
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    CHECK_OK(fcntl(fd, F_GETLK, &q));
    CHECK_EQ(q.l_type, F_UNLCK);
    int fd2 = CHECK_OK(open("f", O_RDWR));
    CHECK_OK(flock(fd2, LOCK_EX));

    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", dir, (char *)NULL);
        _exit(127);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_OK(flock(fd2, LOCK_UN));
    fl.l_type = F_UNLCK;
    CHECK_OK(fcntl(fd, F_SETLK, &fl));
    struct flock bad = {.l_type = 77, .l_whence = SEEK_SET};
    CHECK_ERRNO(fcntl(fd, F_SETLK, &bad), EINVAL);
    return check_done();
}
