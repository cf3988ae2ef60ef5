/* vfork: the child shares memory until _exit; vfork() returns the child's
 * pid in the parent; nested use works; the vfork function itself (through
 * a pointer) fails with ENOSYS. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

static int run_child(int code)
{
	volatile int touched = 0;
	pid_t p = vfork();
	if (p == 0) {
		touched = 1;  /* the child runs in the parent's memory */
		_exit(code);
	}
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != code || !touched)
		return 1;
	return 0;
}

int main(void)
{
	int fails = 0;
	for (int i = 0; i < 3; i++) fails += run_child(5 + i);
	pid_t (*fn)(void) = vfork;
	errno = 0;
	if (fn() != -1 || errno != ENOSYS) fails++;
	printf("%s\n", fails ? "FAIL" : "ok");
	return fails;
}
