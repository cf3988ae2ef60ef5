/* /proc/self: exe link, fd/ entries as links to the open files, cmdline with NUL separators,
 * stat (pid, comm, state, ppid), status (Pid/PPid lines). */
#include "check.h"

int main(int argc, char **argv) {
    (void)argc;
    char buf[4096], path[256];
    ssize_t n = CHECK_OK(readlink("/proc/self/exe", buf, sizeof buf - 1));
    buf[n] = 0;
    CHECK_EQ(buf[0], '/');
    struct stat a, b;
    CHECK_OK(stat(buf, &a));
    CHECK_OK(stat("/proc/self/exe", &b));
    CHECK_EQ(a.st_ino, b.st_ino);

    /* /proc/self is our pid. */
    n = CHECK_OK(readlink("/proc/self", buf, sizeof buf - 1));
    buf[n] = 0;
    CHECK_EQ(atoi(buf), getpid());

    enter_tmpdir();
    int fd = CHECK_OK(open("target-file", O_WRONLY | O_CREAT, 0644));
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = CHECK_OK(readlink(path, buf, sizeof buf - 1));
    buf[n] = 0;
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd));
    char want[400];
    snprintf(want, sizeof want, "%s/target-file", cwd);
    CHECK_STR(buf, want);
    int p[2];
    CHECK_OK(pipe(p));
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
    n = CHECK_OK(readlink(path, buf, sizeof buf - 1));
    buf[n] = 0;
    CHECK(strncmp(buf, "pipe:[", 6) == 0);
    /* Listing /proc/self/fd shows our fds. */
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL);
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (atoi(e->d_name) == fd && e->d_name[0] != '.') found = 1;
    closedir(d);
    CHECK(found);
    /* Opening /proc/self/fd/N reopens the file. */
    CHECK_EQ(write(fd, "xyz", 3), 3);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int again = CHECK_OK(open(path, O_RDONLY));
    CHECK_EQ(read(again, buf, 3), 3);
    CHECK_MEM(buf, "xyz", 3);

    size_t len = read_file("/proc/self/cmdline", buf, sizeof buf);
    CHECK_EQ(len, strlen(argv[0]) + 1);
    CHECK_STR(buf, argv[0]);

    read_file("/proc/self/stat", buf, sizeof buf);
    int pid, ppid;
    char comm[64], state;
    char *close_paren = strrchr(buf, ')');
    CHECK(close_paren != NULL);
    CHECK_EQ(sscanf(buf, "%d (", &pid), 1);
    CHECK_EQ(pid, getpid());
    CHECK_EQ(sscanf(close_paren + 2, "%c %d", &state, &ppid), 2);
    CHECK_EQ(state, 'R');
    CHECK_EQ(ppid, getppid());
    char *open_paren = strchr(buf, '(');
    size_t clen = close_paren - open_paren - 1;
    CHECK(clen > 0 && clen < sizeof comm);
    memcpy(comm, open_paren + 1, clen);
    comm[clen] = 0;
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    CHECK(strncmp(comm, base, 15) == 0);

    read_file("/proc/self/status", buf, sizeof buf);
    char line[64];
    snprintf(line, sizeof line, "\nPid:\t%d\n", getpid());
    CHECK(strstr(buf, line) != NULL);
    snprintf(line, sizeof line, "\nPPid:\t%d\n", getppid());
    CHECK(strstr(buf, line) != NULL);
    CHECK(strncmp(buf, "Name:\t", 6) == 0);
    return check_done();
}
