// fsyncloop DIR COUNT: for i = 1..COUNT (0: until killed), appends the line
// "record i" to DIR/log, writes a new file DIR/f<i> of 3000 bytes, fsyncs
// both and DIR, then prints "synced i". Every record it reported must
// survive a crash of the page (the storage tests).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what) {
  perror(what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fsyncloop DIR COUNT\n");
    return 2;
  }
  const char *dir = argv[1];
  long count = atol(argv[2]);
  char path[512];
  snprintf(path, sizeof path, "%s/log", dir);
  int log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (log < 0 || dfd < 0) return fail(dir);
  char body[3000];
  for (long i = 1; count == 0 || i <= count; i++) {
    char line[64];
    int n = snprintf(line, sizeof line, "record %ld\n", i);
    if (write(log, line, n) != n) return fail("write log");
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail(path);
    memset(body, 'a' + (int)(i % 26), sizeof body);
    if (write(fd, body, sizeof body) != (ssize_t)sizeof body) return fail("write file");
    if (fsync(fd) || fsync(log) || fsync(dfd)) return fail("fsync");
    close(fd);
    printf("synced %ld\n", i);
    fflush(stdout);
  }
  return 0;
}
