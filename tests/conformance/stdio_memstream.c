/* fmemopen (read, write, NUL termination) and open_memstream (growing buffer, size updates). */
#include "check.h"

int main(void) {
    char src[] = "12 abc 3.5";
    FILE *f = fmemopen(src, strlen(src), "r");
    CHECK(f != NULL);
    int i;
    char w[8];
    double d;
    CHECK_EQ(fscanf(f, "%d %7s %lf", &i, w, &d), 3);
    CHECK_EQ(i, 12);
    CHECK_STR(w, "abc");
    CHECK(d == 3.5);
    CHECK_EQ(fgetc(f), EOF);
    CHECK(feof(f));
    fclose(f);

    char out[16];
    memset(out, 'X', sizeof out);
    f = fmemopen(out, sizeof out, "w");
    CHECK(f != NULL);
    fprintf(f, "hi %d", 42);
    fflush(f);
    CHECK_STR(out, "hi 42"); /* NUL written after the data */
    CHECK_EQ(ftell(f), 5);
    fclose(f);

    char *buf = NULL;
    size_t size = 12345;
    f = open_memstream(&buf, &size);
    CHECK(f != NULL);
    fflush(f);
    CHECK(buf != NULL);
    CHECK_EQ(size, 0);
    for (int k = 0; k < 1000; k++) fprintf(f, "%03d,", k);
    fflush(f);
    CHECK_EQ(size, 4000);
    CHECK(strncmp(buf, "000,001,002,", 12) == 0);
    CHECK_STR(buf + 3996, "999,");
    /* After seeking back, the size is the current position. */
    CHECK_ZERO(fseek(f, 4, SEEK_SET));
    fputs("AAA", f);
    CHECK_ZERO(fclose(f));
    CHECK_EQ(size, 7);
    CHECK(strncmp(buf, "000,AAA", 7) == 0);
    free(buf);
    return check_done();
}
