/* link, symlink, readlink, lstat vs stat, dangling links, ELOOP. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    write_file("f", "content");
    CHECK_OK(link("f", "hard"));
    struct stat a, b;
    CHECK_OK(stat("f", &a));
    CHECK_OK(stat("hard", &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(a.st_nlink, 2);
    CHECK_ERRNO(link("f", "hard"), EEXIST);
    CHECK_ERRNO(link("missing", "x"), ENOENT);

    CHECK_OK(symlink("f", "sym"));
    char buf[64];
    ssize_t n = CHECK_OK(readlink("sym", buf, sizeof buf));
    CHECK_EQ(n, 1);
    CHECK_MEM(buf, "f", 1);
    /* readlink truncates silently. */
    CHECK_OK(symlink("a-long-target-name", "long"));
    CHECK_EQ(readlink("long", buf, 4), 4);
    CHECK_MEM(buf, "a-lo", 4);
    CHECK_ERRNO(readlink("f", buf, sizeof buf), EINVAL);

    CHECK_OK(lstat("sym", &b));
    CHECK(S_ISLNK(b.st_mode));
    CHECK_EQ(b.st_size, 1);
    CHECK_OK(stat("sym", &b));
    CHECK(S_ISREG(b.st_mode));
    CHECK_EQ(b.st_ino, a.st_ino);
    read_file("sym", buf, sizeof buf);
    CHECK_STR(buf, "content");

    /* Dangling link: lstat works, stat/open fail with ENOENT. */
    CHECK_OK(symlink("nowhere", "dangling"));
    CHECK_OK(lstat("dangling", &b));
    CHECK_ERRNO(stat("dangling", &b), ENOENT);
    /* O_CREAT through a dangling link creates the target. */
    int fd = CHECK_OK(open("dangling", O_WRONLY | O_CREAT, 0644));
    close(fd);
    CHECK_OK(stat("nowhere", &b));
    /* Loops. */
    CHECK_OK(symlink("loop2", "loop1"));
    CHECK_OK(symlink("loop1", "loop2"));
    CHECK_ERRNO(open("loop1", O_RDONLY), ELOOP);
    CHECK_ERRNO(open("sym", O_RDONLY | O_NOFOLLOW), ELOOP);
    /* Relative targets resolve from the link's directory. */
    CHECK_OK(mkdir("d", 0755));
    CHECK_OK(symlink("../f", "d/up"));
    read_file("d/up", buf, sizeof buf);
    CHECK_STR(buf, "content");
    CHECK_OK(unlink("hard"));
    CHECK_OK(stat("f", &a));
    CHECK_EQ(a.st_nlink, 1);
    return check_done();
}
