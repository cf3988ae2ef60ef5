/* posix_spawn on wasmpod is one kernel call, SYS_spawn (1025):
 * spawn(pid_out, path, file_actions, attr, argv, envp), the structs laid
 * out as wasmpod_abi::spawn says. musl keeps file actions as a list
 * (newest first); the kernel takes an array in the order they were
 * added. */
#define _GNU_SOURCE
#include <spawn.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "syscall.h"
#include "../fdop.h"

struct wasmpod_spawn_file_action {
	uint32_t kind;
	int32_t fd;
	uint32_t arg;
	uint32_t mode;
	uint32_t path;
};

struct wasmpod_spawn_file_actions {
	uint32_t count;
	uint32_t actions;
};

struct wasmpod_spawn_attr {
	uint32_t flags;
	int32_t pgroup;
	uint64_t sigmask;
	uint64_t sigdefault;
};

_Static_assert(sizeof(struct wasmpod_spawn_file_action) == 20, "spawn_file_action");
_Static_assert(sizeof(struct wasmpod_spawn_file_actions) == 8, "spawn_file_actions");
_Static_assert(sizeof(struct wasmpod_spawn_attr) == 24, "spawn_attr");

static uint64_t mask64(const sigset_t *set)
{
	uint64_t m;
	memcpy(&m, set, sizeof m);
	return m;
}

hidden int __wasmpod_spawn(pid_t *restrict res, const char *restrict path,
	const posix_spawn_file_actions_t *fa,
	const posix_spawnattr_t *restrict attr,
	char *const argv[restrict], char *const envp[restrict])
{
	struct wasmpod_spawn_file_actions kfa = { 0 }, *kfap = 0;
	struct wasmpod_spawn_attr kattr = { 0 }, *kattrp = 0;
	struct wasmpod_spawn_file_action *acts = 0;
	pid_t pid;
	long r;

	if (fa && fa->__actions) {
		struct fdop *op, *last;
		size_t n = 0, i;
		for (op = fa->__actions; op; op = op->next) {
			n++;
			last = op;
		}
		acts = __libc_calloc(n, sizeof *acts);
		if (!acts) return ENOMEM;
		for (op = last, i = 0; op; op = op->prev, i++) {
			acts[i].kind = op->cmd;
			acts[i].fd = op->fd;
			acts[i].mode = op->mode;
			switch (op->cmd) {
			case FDOP_DUP2:
				/* musl's record: dup2(srcfd, fd) */
				acts[i].fd = op->srcfd;
				acts[i].arg = op->fd;
				break;
			case FDOP_OPEN:
				acts[i].arg = op->oflag;
				acts[i].path = (uintptr_t)op->path;
				break;
			case FDOP_CHDIR:
				acts[i].path = (uintptr_t)op->path;
				break;
			}
		}
		kfa.count = n;
		kfa.actions = (uintptr_t)acts;
		kfap = &kfa;
	}
	if (attr) {
		kattr.flags = attr->__flags;
		kattr.pgroup = attr->__pgrp;
		kattr.sigmask = mask64(&attr->__mask);
		kattr.sigdefault = mask64(&attr->__def);
		kattrp = &kattr;
	}
	r = __syscall(SYS_spawn, &pid, path, kfap, kattrp, argv, envp);
	__libc_free(acts);
	if (r < 0) return -r;
	if (res) *res = pid;
	return 0;
}

int posix_spawn(pid_t *restrict res, const char *restrict path,
	const posix_spawn_file_actions_t *fa,
	const posix_spawnattr_t *restrict attr,
	char *const argv[restrict], char *const envp[restrict])
{
	return __wasmpod_spawn(res, path, fa, attr, argv, envp);
}
