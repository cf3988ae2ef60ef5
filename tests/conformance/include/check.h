/* check.h: the conformance suite's assertion header.
 *
 * Each test is one program: it checks Linux behaviour with the macros below
 * and ends with `return check_done();`, which prints one summary line
 * ("ok <file>") and returns 0. The first failed check prints file, line, the
 * expression and the values involved to stderr and exits with status 1.
 *
 * Only POSIX/Linux APIs that both glibc and musl provide are used. */
#ifndef WASMPOD_CHECK_H
#define WASMPOD_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static inline void check_fail_exit(void) {
    fflush(stdout);
    _exit(1);
}

/* cond must hold. */
#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            int e_ = errno;                                                      \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d: %s)\n", __FILE__, \
                    __LINE__, #cond, e_, strerror(e_));                          \
            check_fail_exit();                                                   \
        }                                                                        \
    } while (0)

/* a == b, compared as long long. */
#define CHECK_EQ(a, b)                                                            \
    do {                                                                          \
        long long a_ = (long long)(a), b_ = (long long)(b);                       \
        if (a_ != b_) {                                                           \
            int e_ = errno;                                                       \
            fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld (errno %d: %s)\n", \
                    __FILE__, __LINE__, #a, #b, a_, b_, e_, strerror(e_));        \
            check_fail_exit();                                                    \
        }                                                                         \
    } while (0)

/* a != b, compared as long long. */
#define CHECK_NE(a, b)                                                            \
    do {                                                                          \
        long long a_ = (long long)(a), b_ = (long long)(b);                       \
        if (a_ == b_) {                                                           \
            fprintf(stderr, "%s:%d: CHECK_NE(%s, %s) failed: both %lld\n",        \
                    __FILE__, __LINE__, #a, #b, a_);                              \
            check_fail_exit();                                                    \
        }                                                                         \
    } while (0)

/* A system call that must succeed (result != -1); evaluates to its result. */
#define CHECK_OK(expr)                                                           \
    ({                                                                           \
        long long r_ = (long long)(expr);                                        \
        if (r_ == -1) {                                                          \
            int e_ = errno;                                                      \
            fprintf(stderr, "%s:%d: %s failed: errno %d (%s)\n", __FILE__,       \
                    __LINE__, #expr, e_, strerror(e_));                          \
            check_fail_exit();                                                   \
        }                                                                        \
        r_;                                                                      \
    })

/* A call that must fail with -1 and errno == err. */
#define CHECK_ERRNO(expr, err)                                                    \
    do {                                                                          \
        errno = 0;                                                                \
        long long r_ = (long long)(expr);                                         \
        int e_ = errno;                                                           \
        if (r_ != -1 || e_ != (err)) {                                            \
            fprintf(stderr, "%s:%d: %s: expected -1 with %s (%d), got %lld with errno %d (%s)\n", \
                    __FILE__, __LINE__, #expr, #err, (err), r_, e_, strerror(e_)); \
            check_fail_exit();                                                    \
        }                                                                         \
    } while (0)

/* A call returning an error number (pthreads style) that must be 0. */
#define CHECK_ZERO(expr)                                                         \
    do {                                                                         \
        int r_ = (expr);                                                         \
        if (r_ != 0) {                                                           \
            fprintf(stderr, "%s:%d: %s returned %d (%s)\n", __FILE__, __LINE__,  \
                    #expr, r_, strerror(r_));                                    \
            check_fail_exit();                                                   \
        }                                                                        \
    } while (0)

/* Two C strings are equal (NULL is shown as (null)). */
#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        const char *a_ = (a), *b_ = (b);                                         \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                 \
            fprintf(stderr, "%s:%d: CHECK_STR(%s, %s) failed: \"%s\" != \"%s\"\n", \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",              \
                    b_ ? b_ : "(null)");                                         \
            check_fail_exit();                                                   \
        }                                                                        \
    } while (0)

/* n bytes at a and b are equal. */
#define CHECK_MEM(a, b, n)                                                       \
    do {                                                                         \
        if (memcmp((a), (b), (n)) != 0) {                                        \
            fprintf(stderr, "%s:%d: CHECK_MEM(%s, %s, %s) failed\n", __FILE__,   \
                    __LINE__, #a, #b, #n);                                       \
            check_fail_exit();                                                   \
        }                                                                        \
    } while (0)

/* Unconditional failure with a message. */
#define FAIL(...)                                                                \
    do {                                                                         \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                          \
        fprintf(stderr, __VA_ARGS__);                                            \
        fputc('\n', stderr);                                                     \
        check_fail_exit();                                                       \
    } while (0)

static inline int check_done_at(const char *file) {
    const char *base = strrchr(file, '/');
    printf("ok %s\n", base ? base + 1 : file);
    fflush(stdout);
    return 0;
}
#define check_done() check_done_at(__FILE__)

/* ---- a private scratch directory under /tmp, removed at exit ---- */

static char check_tmp_path[64];
static pid_t check_tmp_owner;

static inline void check_rm_tree(int dirfd) {
    DIR *d = fdopendir(dirfd);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (unlinkat(dirfd, e->d_name, 0) == 0) continue;
        int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (sub >= 0) {
            chmod(e->d_name, 0700);
            check_rm_tree(sub);
        }
        unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

static inline void check_tmp_cleanup(void) {
    if (!check_tmp_path[0] || getpid() != check_tmp_owner) return;
    chmod(check_tmp_path, 0700);
    int fd = open(check_tmp_path, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) check_rm_tree(fd);
    rmdir(check_tmp_path);
}

/* Creates a fresh directory under /tmp, makes it the cwd and removes it
 * (with its contents) when the process exits normally. Returns its path. */
static inline const char *enter_tmpdir(void) {
    strcpy(check_tmp_path, "/tmp/conformance-XXXXXX");
    if (!mkdtemp(check_tmp_path)) FAIL("mkdtemp: %s", strerror(errno));
    if (chdir(check_tmp_path) != 0) FAIL("chdir %s: %s", check_tmp_path, strerror(errno));
    check_tmp_owner = getpid();
    atexit(check_tmp_cleanup);
    return check_tmp_path;
}

/* Writes a whole string to a file (created/truncated), failing the test on error. */
static inline void write_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) FAIL("open %s: %s", path, strerror(errno));
    size_t n = strlen(s);
    if (write(fd, s, n) != (ssize_t)n) FAIL("write %s: %s", path, strerror(errno));
    close(fd);
}

/* Reads up to cap-1 bytes of a file into buf, NUL-terminated; returns the length. */
static inline size_t read_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) FAIL("open %s: %s", path, strerror(errno));
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0) FAIL("read %s: %s", path, strerror(errno));
        if (r == 0 || n + r == cap - 1) { n += r; break; }
        n += r;
    }
    buf[n] = 0;
    close(fd);
    return n;
}

#endif
