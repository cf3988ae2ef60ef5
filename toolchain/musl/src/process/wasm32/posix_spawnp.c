/* posix_spawnp: SYS_spawn takes a path, so the PATH search happens here,
 * with execvp's rules: a name with a slash is used as is; otherwise each
 * PATH entry is tried; EACCES is remembered and reported if nothing else
 * is found; ENOENT/ENOTDIR move on; anything else stops the search. */
#define _GNU_SOURCE
#include <spawn.h>
#include <string.h>
#include <stdlib.h>
#include <limits.h>
#include <errno.h>
#include <unistd.h>

hidden int __wasmpod_spawn(pid_t *restrict, const char *restrict,
	const posix_spawn_file_actions_t *, const posix_spawnattr_t *restrict,
	char *const [restrict], char *const [restrict]);

int posix_spawnp(pid_t *restrict res, const char *restrict file,
	const posix_spawn_file_actions_t *fa,
	const posix_spawnattr_t *restrict attr,
	char *const argv[restrict], char *const envp[restrict])
{
	const char *p, *z, *path = getenv("PATH");
	size_t l, k;
	int seen_eacces = 0, r;

	if (!*file) return ENOENT;
	if (strchr(file, '/'))
		return __wasmpod_spawn(res, file, fa, attr, argv, envp);
	if (!path) path = "/usr/local/bin:/bin:/usr/bin";
	k = strnlen(file, NAME_MAX+1);
	if (k > NAME_MAX) return ENAMETOOLONG;
	l = strnlen(path, PATH_MAX-1)+1;

	for (p = path; ; p = z) {
		char b[l+k+1];
		z = __strchrnul(p, ':');
		if (z-p >= l) {
			if (!*z++) break;
			continue;
		}
		memcpy(b, p, z-p);
		b[z-p] = '/';
		memcpy(b+(z-p)+(z>p), file, k+1);
		r = __wasmpod_spawn(res, b, fa, attr, argv, envp);
		switch (r) {
		case EACCES:
			seen_eacces = 1;
		case ENOENT:
		case ENOTDIR:
			break;
		default:
			return r;
		}
		if (!*z++) break;
	}
	return seen_eacces ? EACCES : ENOENT;
}
