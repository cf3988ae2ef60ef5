/* setsid in a child: new session and group led by it, no controlling tty; EPERM for a group leader. */
#include "check.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "child")) {
        pid_t me = getpid();
        if (getpgid(0) == me) return 10; /* spawned into our parent's group */
        pid_t sid = setsid();
        if (sid != me) return 11;
        if (getsid(0) != me || getpgid(0) != me || getpgrp() != me) return 12;
        if (setsid() != -1 || errno != EPERM) return 13;
        if (open("/dev/tty", O_RDWR) != -1 || errno != ENXIO) return 14;
        if (setpgid(0, getppid()) != -1 || errno != EPERM) return 15; /* session leader */
        return 0;
    }
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_EQ(getsid(0), getsid(getpid()));
    CHECK_ERRNO(getsid(999999), ESRCH);
    return check_done();
}
