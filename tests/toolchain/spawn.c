/* posix_spawn (SYS_spawn) with file actions, posix_spawnp's PATH search,
 * vfork + execve + waitpid, fork = ENOSYS, dlopen failing cleanly. The
 * children are this program again (/proc/self/exe) in "child" mode. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int child(const char *how)
{
	struct stat st, null;
	/* With the file action, fd 1 is /dev/null. */
	if (!strcmp(how, "devnull"))
		return fstat(1, &st) == 0 && stat("/dev/null", &null) == 0 && st.st_rdev == null.st_rdev ? 4 : 1;
	return atoi(how);
}

static int status_of(pid_t p)
{
	int st;
	if (p <= 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st)) return -1;
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child")) return child(argv[2]);

	int fails = 0;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) { printf("FAIL readlink /proc/self/exe\n"); return 1; }
	self[n] = 0;

	if (fork() != -1 || errno != ENOSYS) { printf("FAIL fork\n"); fails++; }
	if (dlopen("libm.so", RTLD_NOW) || !dlerror()) { printf("FAIL dlopen\n"); fails++; }

	pid_t p = vfork();
	if (p == 0) {
		execl(self, "spawn", "child", "3", (char *)0);
		_exit(127);
	}
	if (status_of(p) != 3) { printf("FAIL vfork+exec\n"); fails++; }

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char *cargv[] = { "spawn", "child", "devnull", 0 };
	if (posix_spawn(&p, self, &fa, 0, cargv, environ) || status_of(p) != 4) { printf("FAIL posix_spawn\n"); fails++; }

	/* posix_spawnp: the name is found through PATH, past a missing dir. */
	char *slash = strrchr(self, '/');
	*slash = 0;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "PATH=/nonexistent:%s", self);
	char *env[] = { path, 0 };
	char *pargv[] = { slash + 1, "child", "5", 0 };
	putenv(path);
	if (posix_spawnp(&p, slash + 1, 0, 0, pargv, env) || status_of(p) != 5) { printf("FAIL posix_spawnp\n"); fails++; }
	if (posix_spawnp(&p, "no-such-program", 0, 0, pargv, env) != ENOENT) { printf("FAIL posix_spawnp ENOENT\n"); fails++; }

	printf("%s\n", fails ? "FAIL" : "ok");
	return fails;
}
