/* fopen modes, fread/fwrite, fseek/ftell/rewind, fgets, feof, "a" appends, "w+" truncates, ungetc. */
#include "check.h"

int main(void) {
    enter_tmpdir();
    FILE *f = fopen("f", "w+");
    CHECK(f != NULL);
    CHECK_EQ(fwrite("line1\nline2\nlast", 1, 16, f), 16);
    CHECK_EQ(ftell(f), 16);
    rewind(f);
    char buf[64];
    CHECK(fgets(buf, sizeof buf, f) != NULL);
    CHECK_STR(buf, "line1\n");
    CHECK(fgets(buf, 4, f) != NULL);
    CHECK_STR(buf, "lin");
    CHECK(fgets(buf, sizeof buf, f) != NULL);
    CHECK_STR(buf, "e2\n");
    CHECK(fgets(buf, sizeof buf, f) != NULL);
    CHECK_STR(buf, "last");
    CHECK(!feof(f) || feof(f)); /* may or may not be set yet */
    CHECK(fgets(buf, sizeof buf, f) == NULL);
    CHECK(feof(f));
    CHECK_ZERO(fseek(f, -4, SEEK_END));
    CHECK_EQ(fgetc(f), 'l');
    CHECK(!feof(f));
    /* ungetc pushes back one character (even one that was not read). */
    CHECK_EQ(ungetc('Z', f), 'Z');
    CHECK_EQ(fgetc(f), 'Z');
    CHECK_EQ(fgetc(f), 'a');
    CHECK_EQ(ftell(f), 14);
    CHECK_ZERO(fclose(f));

    f = fopen("f", "a");
    CHECK(f != NULL);
    fputs("+app", f);
    CHECK_ZERO(fclose(f));
    f = fopen("f", "r");
    size_t n = fread(buf, 1, sizeof buf, f);
    buf[n] = 0;
    CHECK_EQ(n, 20);
    CHECK_STR(buf + 12, "last+app");
    CHECK(feof(f));
    fclose(f);

    /* "r+" does not truncate; "w" does. */
    f = fopen("f", "r+");
    fputs("LINE", f);
    fclose(f);
    read_file("f", buf, sizeof buf);
    CHECK(strncmp(buf, "LINE1\n", 6) == 0);
    f = fopen("f", "w");
    fclose(f);
    read_file("f", buf, sizeof buf);
    CHECK_STR(buf, "");
    CHECK(fopen("missing", "r") == NULL);
    CHECK_EQ(errno, ENOENT);
    CHECK(fopen("f", "q") == NULL);
    CHECK_EQ(errno, EINVAL);
    /* fdopen/fileno round trip. */
    int fd = CHECK_OK(open("f", O_RDWR));
    f = fdopen(fd, "r+");
    CHECK(f != NULL);
    CHECK_EQ(fileno(f), fd);
    fclose(f);
    CHECK_ERRNO(fcntl(fd, F_GETFD), EBADF);
    return check_done();
}
