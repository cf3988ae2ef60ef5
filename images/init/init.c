/*
 * /sbin/init of the wasmpod root image.
 *
 *   init [-u USER] [CMD [ARGS...]]
 *
 * As root (the pod's first program), it mounts the kernel's filesystems
 * where nothing is mounted yet: devtmpfs on /dev, devpts on /dev/pts, proc
 * on /proc and a tmpfs on /tmp (a directory that already is a mount point,
 * e.g. because the host mounted its devfs there, is left alone), and sets
 * the hostname from /etc/hostname. Then it starts CMD (default: USER's
 * login shell, `SHELL -l`) as USER (default `user`, from /etc/passwd) in
 * USER's home, with HOME, USER, LOGNAME, SHELL, PATH and TERM set, reaps
 * every orphan that reaches it (it is a child subreaper, so this works even
 * when it is not pid 1), and exits with CMD's status (128+n when signal n
 * killed it).
 *
 * Not as root (e.g. started by a host that runs programs as the pod user)
 * it skips the mounts and the identity change and does the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

static void warn(const char *what, const char *path)
{
	fprintf(stderr, "init: %s %s: %s\n", what, path, strerror(errno));
}

/* Whether `path` is the root of a mount: its device differs from its parent's. */
static int is_mount_point(const char *path)
{
	char parent[256];
	struct stat a, b;
	if (stat(path, &a) != 0 || !S_ISDIR(a.st_mode))
		return -1;
	snprintf(parent, sizeof parent, "%s/..", path);
	if (stat(parent, &b) != 0)
		return -1;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static void mount_once(const char *fstype, const char *path, unsigned long flags)
{
	int m = is_mount_point(path);
	if (m < 0) {
		if (mkdir(path, 0755) != 0) {
			warn("cannot create", path);
			return;
		}
	} else if (m > 0) {
		return;
	}
	if (mount(fstype, path, fstype, flags, NULL) != 0)
		warn("cannot mount", path);
}

static void set_hostname(void)
{
	char name[65];
	int fd = open("/etc/hostname", O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, name, sizeof name - 1);
	close(fd);
	if (n <= 0)
		return;
	name[n] = 0;
	name[strcspn(name, " \t\r\n")] = 0;
	if (name[0] && sethostname(name, strlen(name)) != 0)
		warn("cannot set hostname", name);
}

static void setenv_default(const char *name, const char *value)
{
	if (!getenv(name) || !*getenv(name))
		setenv(name, value, 1);
}

int main(int argc, char **argv)
{
	const char *user = "user";
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "-u") == 0) {
		user = argv[i + 1];
		i += 2;
	} else if (i < argc && strcmp(argv[i], "--") == 0) {
		i++;
	}
	if (i < argc && argv[i][0] == '-' && strcmp(argv[i], "-") != 0) {
		fprintf(stderr, "usage: init [-u USER] [CMD [ARGS...]]\n");
		return 2;
	}

	int root = geteuid() == 0;
	if (root) {
		mount_once("devtmpfs", "/dev", MS_NOSUID);
		mount_once("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC);
		mount_once("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
		mount_once("tmpfs", "/tmp", MS_NOSUID | MS_NODEV);
		chmod("/tmp", 01777);
		set_hostname();
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		warn("cannot become a subreaper", "");

	struct passwd *pw = getpwnam(user);
	if (!pw) {
		char *end;
		unsigned long uid = strtoul(user, &end, 10);
		if (*user && !*end)
			pw = getpwuid((uid_t)uid);
	}
	if (!pw) {
		fprintf(stderr, "init: no user %s in /etc/passwd\n", user);
		return 1;
	}
	const char *shell = pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh";
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
	setenv("SHELL", shell, 1);
	setenv_default("PATH", DEFAULT_PATH);
	setenv_default("TERM", isatty(0) ? "xterm-256color" : "dumb");

	char *login[] = { (char *)shell, "-l", NULL };
	char **cmd = i < argc ? argv + i : login;
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	const char *home = pw->pw_dir;

	/* Terminal signals are for the command, not for init. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, dfl = { .sa_handler = SIG_DFL };
	int sigs[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP };
	for (unsigned k = 0; k < sizeof sigs / sizeof *sigs; k++)
		sigaction(sigs[k], &ign, NULL);

	fflush(NULL);
	pid_t child = vfork();
	if (child < 0) {
		warn("cannot start", cmd[0]);
		return 1;
	}
	if (child == 0) {
		for (unsigned k = 0; k < sizeof sigs / sizeof *sigs; k++)
			sigaction(sigs[k], &dfl, NULL);
		if (root) {
			/* Raw calls: no libc bookkeeping in a vfork child. */
			gid_t groups[1] = { gid };
			if (syscall(SYS_setgroups, 1, groups) != 0 || syscall(SYS_setresgid, gid, gid, gid) != 0 ||
			    syscall(SYS_setresuid, uid, uid, uid) != 0) {
				warn("cannot become", pw->pw_name);
				_exit(126);
			}
		}
		if (chdir(home) != 0 && chdir("/") != 0)
			_exit(126);
		execvp(cmd[0], cmd);
		int e = errno;
		warn("cannot run", cmd[0]);
		_exit(e == ENOENT ? 127 : 126);
	}

	/* Reap everything; leave when the command has ended. */
	for (;;) {
		int status;
		pid_t p = waitpid(-1, &status, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			warn("wait", "");
			return 1;
		}
		if (p != child)
			continue;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
	}
}
