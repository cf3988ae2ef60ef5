/* execve in place (not from a vfork child): runs itself again with "again". */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "again") == 0) {
		printf("second image, pid %d\n", (int)getpid());
		return 7;
	}
	printf("first image, pid %d\n", (int)getpid());
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "again", (char *)NULL);
	perror("execl");
	return 1;
}
