#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("Hello, world!\n");
	fflush(stdout);
	char *argv[] = { "sh", "-c", "echo Hello World | sha1sum | tr /a-z/ /A-Z/", NULL };
	char *envp[] = { "PATH=/bin", NULL };
	execve("/bin/sh", argv, envp);
	perror("execve");
	return 127;
}
