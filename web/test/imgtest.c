/* The root-image test program (web/test/node-image.mjs).
 *
 * `imgtest`: reads /etc/motd and /data/big from the ext2 root image (big
 * spans many chunks of the io worker's range requests), prints them and a
 * checksum, then writes /home/user/note.txt (into the copy-on-write
 * overlay) and reads it back.
 * `imgtest dirs`: the directories a pod without an image must have. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int dirs(void) {
	const char *want[] = {"/tmp", "/dev", "/proc", "/home/user"};
	for (unsigned i = 0; i < sizeof want / sizeof *want; i++) {
		struct stat st;
		if (stat(want[i], &st) != 0) {
			printf("%s: missing\n", want[i]);
			continue;
		}
		printf("%s: dir=%d uid=%d mode=%o\n", want[i], S_ISDIR(st.st_mode), (int)st.st_uid,
		       (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "dirs") == 0)
		return dirs();

	char line[256];
	FILE *f = fopen("/etc/motd", "r");
	if (!f || !fgets(line, sizeof line, f)) {
		perror("/etc/motd");
		return 1;
	}
	fclose(f);
	printf("motd: %s", line);

	int fd = open("/data/big", O_RDONLY);
	if (fd < 0) {
		perror("/data/big");
		return 1;
	}
	static unsigned char buf[65536];
	uint32_t h = 2166136261u; /* FNV-1a */
	long long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			perror("read /data/big");
			return 1;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 16777619u;
		total += n;
	}
	close(fd);
	printf("big: %lld bytes fnv1a=%08x\n", total, (unsigned)h);

	f = fopen("/home/user/note.txt", "w");
	if (!f || fprintf(f, "written on top of the image\n") < 0 || fclose(f) != 0) {
		perror("/home/user/note.txt");
		return 1;
	}
	f = fopen("/home/user/note.txt", "r");
	if (!f || !fgets(line, sizeof line, f)) {
		perror("/home/user/note.txt (read back)");
		return 1;
	}
	fclose(f);
	printf("note: %s", line);
	return 0;
}
