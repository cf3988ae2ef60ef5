/* vfork + execve + waitpid, posix_spawnp with file actions, fork = ENOSYS,
 * dlopen failing cleanly. Needs /bin/sh in the pod (prints "skip" if not). */
#include <spawn.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <dlfcn.h>
#include <sys/wait.h>

extern char **environ;

int main(void)
{
	int fails = 0, st;
	if (fork() != -1 || errno != ENOSYS) fails++;
	if (dlopen("libm.so", RTLD_NOW) || !dlerror()) fails++;
	if (access("/bin/sh", X_OK)) {
		printf("%s (skip: no /bin/sh)\n", fails ? "FAIL" : "ok");
		return fails;
	}
	pid_t p = vfork();
	if (p == 0) {
		execl("/bin/sh", "sh", "-c", "exit 3", (char *)0);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 3) fails++;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char *argv[] = { "sh", "-c", "echo hidden; exit 4", 0 };
	if (posix_spawnp(&p, "sh", &fa, 0, argv, environ)) fails++;
	else if (waitpid(p, &st, 0) != p || WEXITSTATUS(st) != 4) fails++;
	printf("%s\n", fails ? "FAIL" : "ok");
	return fails;
}
