//! Duplicating and closing fds: dup, dup3 (and dup2 as musl builds it from
//! dup3 and fcntl), close_range.
//!
//! Duplicates share one open file description (offset, status flags, flock
//! locks); the close-on-exec flag belongs to each fd (dup(2)).
//!
//! Not done: `CLOSE_RANGE_UNSHARE` has nothing to unshare (fd tables are
//! never shared between processes here: clone(CLONE_FILES) without threads
//! is not supported), so it is accepted and ignored.

use wasmpod_abi::fcntl::{CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE, O_CLOEXEC};
use wasmpod_abi::misc::RLIMIT_NOFILE;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Linux's `fs.nr_open` default (1024 * 1024): no fd table grows past it,
/// whatever `RLIMIT_NOFILE` says (setrlimit refuses more; this also keeps
/// a huge limit from letting dup3/F_DUPFD allocate a giant table).
pub const NR_OPEN: u64 = 1 << 20;

/// The calling process's `RLIMIT_NOFILE` soft limit (at most [`NR_OPEN`]):
/// fds must be below it.
pub fn nofile_limit(ctx: &Ctx) -> u64 {
    ctx.process().rlimits[RLIMIT_NOFILE as usize].cur.min(NR_OPEN)
}

/// Removes `fd` from the calling process's table and finishes the close
/// (record locks, waking waiters). `EBADF` if it is not open.
pub fn close_fd(ctx: &mut Ctx, fd: i32) -> Result<()> {
    let entry = ctx.process_mut().files.remove(fd)?;
    super::close_hook(ctx, fd, &entry);
    drop(entry);
    ctx.notify();
    Ok(())
}

/// Implements dup(2): the lowest free fd, sharing the description, with
/// close-on-exec clear.
pub fn sys_dup(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let file = ctx.file(a.fd(0))?;
    let limit = nofile_limit(ctx);
    ctx.process_mut().files.alloc(file, false, 0, limit).map(i64::from)
}

/// Implements dup3(2): `(oldfd, newfd, flags)`. dup(2): "If oldfd equals
/// newfd, then dup3() fails with the error EINVAL"; flags other than
/// `O_CLOEXEC` are `EINVAL`; an open `newfd` is closed silently first
/// (atomically). `EBADF` if `newfd` is negative or not below
/// `RLIMIT_NOFILE`.
///
/// musl's dup2 calls dup3 with flags 0, and for `oldfd == newfd` checks
/// `oldfd` with `fcntl(F_GETFD)` instead (dup2's "does nothing, and returns
/// newfd").
pub fn sys_dup3(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (old, new, flags) = (a.fd(0), a.fd(1), a.u32(2));
    if flags & !O_CLOEXEC != 0 {
        return_errno!(EINVAL, "dup3: unknown flags");
    }
    let file = ctx.file(old)?;
    if old == new {
        return_errno!(EINVAL, "dup3: oldfd equals newfd");
    }
    if new < 0 || new as u64 >= nofile_limit(ctx) {
        return_errno!(EBADF, "dup3: newfd out of range");
    }
    let replaced = ctx.process_mut().files.install(new as usize, file, flags & O_CLOEXEC != 0);
    if let Some(old_entry) = replaced {
        super::close_hook(ctx, new, &old_entry);
        drop(old_entry);
        ctx.notify();
    }
    Ok(i64::from(new))
}

/// Implements close_range(2): `(first, last, flags)`. Closes (or, with
/// `CLOSE_RANGE_CLOEXEC`, marks close-on-exec) every open fd in
/// `first..=last`. `EINVAL` for unknown flags or `first > last`.
pub fn sys_close_range(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (first, last, flags) = (a.u32(0), a.u32(1), a.u32(2));
    if flags & !(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE) != 0 {
        return_errno!(EINVAL, "close_range: unknown flags");
    }
    if first > last {
        return_errno!(EINVAL, "close_range: first > last");
    }
    let end = ctx.process().files.end() as u64;
    let hi = u64::from(last).min(end.saturating_sub(1));
    let mut fd = u64::from(first);
    while fd <= hi && fd < end {
        let f = fd as i32;
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            if let Ok(e) = ctx.process_mut().files.entry_mut(f) {
                e.cloexec = true;
            }
        } else if ctx.process().files.entry(f).is_ok() {
            close_fd(ctx, f)?;
        }
        fd += 1;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::syscalls::*;

    use crate::fs::testfile::{install, pipe, MemFile};
    use crate::testing::Harness;

    const EBADF: i64 = -9;
    const EINVAL: i64 = -22;
    const EMFILE: i64 = -24;

    #[test]
    fn dup_returns_lowest_free_fd() {
        let h = Harness::new();
        let p = h.process(None);
        let (r, w) = pipe(&p, 0);
        assert_eq!((r, w), (0, 1));
        assert_eq!(p.sys(SYS_dup, &[1]), 2);
        assert_eq!(p.sys(SYS_close, &[0]), 0);
        assert_eq!(p.sys(SYS_dup, &[2]), 0);
    }

    #[test]
    fn dup_of_bad_fd_is_ebadf() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_dup, &[5]), EBADF);
        assert_eq!(p.sys(SYS_dup, &[-1i32 as u32 as u64]), EBADF);
    }

    #[test]
    fn dup_shares_file_offset() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = install(&p, MemFile::new(b"abcdefgh"), O_RDWR);
        let d = p.sys(SYS_dup, &[fd as u64]);
        let buf = p.alloc(4);
        assert_eq!(p.sys(SYS_read, &[fd as u64, buf as u64, 3]), 3);
        assert_eq!(p.sys(SYS_read, &[d as u64, buf as u64, 3]), 3);
        assert_eq!(p.read(buf, 3), b"def");
    }

    #[test]
    fn dup_shares_status_flags_but_not_cloexec() {
        let h = Harness::new();
        let p = h.process(None);
        let (r, _w) = pipe(&p, O_CLOEXEC);
        assert_eq!(p.sys(SYS_fcntl, &[r as u64, F_GETFD as u64]), FD_CLOEXEC as i64);
        let d = p.sys(SYS_dup, &[r as u64]);
        assert_eq!(p.sys(SYS_fcntl, &[d as u64, F_GETFD as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[d as u64, F_SETFL as u64, O_NONBLOCK as u64]), 0);
        assert_ne!(p.sys(SYS_fcntl, &[r as u64, F_GETFL as u64]) & O_NONBLOCK as i64, 0);
    }

    #[test]
    fn dup_fails_with_emfile_at_rlimit() {
        let h = Harness::new();
        let p = h.process(None);
        h.kernel.with_state(|st| {
            st.procs.procs.get_mut(&p.pid).unwrap().rlimits[wasmpod_abi::misc::RLIMIT_NOFILE as usize].cur = 3
        });
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_dup, &[0]), 2);
        assert_eq!(p.sys(SYS_dup, &[0]), EMFILE);
    }

    #[test]
    fn dup3_target_is_capped_by_nr_open_even_with_unlimited_rlimit() {
        let h = Harness::new();
        let p = h.process(None);
        h.kernel.with_state(|st| {
            st.procs.procs.get_mut(&p.pid).unwrap().rlimits[wasmpod_abi::misc::RLIMIT_NOFILE as usize].cur = u64::MAX
        });
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_dup3, &[0, 1 << 20, 0]), EBADF);
        assert_eq!(p.sys(SYS_dup3, &[0, (1 << 20) - 1, 0]), (1 << 20) - 1);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, 1 << 20]), EINVAL);
    }

    #[test]
    fn dup3_same_fd_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_dup3, &[0, 0, 0]), EINVAL);
    }

    #[test]
    fn dup3_unknown_flags_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_dup3, &[0, 5, O_NONBLOCK as u64]), EINVAL);
    }

    #[test]
    fn dup3_sets_cloexec_on_request() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_dup3, &[0, 7, O_CLOEXEC as u64]), 7);
        assert_eq!(p.sys(SYS_fcntl, &[7, F_GETFD as u64]), FD_CLOEXEC as i64);
        assert_eq!(p.sys(SYS_dup3, &[0, 8, 0]), 8);
        assert_eq!(p.sys(SYS_fcntl, &[8, F_GETFD as u64]), 0);
    }

    #[test]
    fn dup3_replaces_open_target_and_closes_old_description() {
        let h = Harness::new();
        let p = h.process(None);
        let (r1, w1) = pipe(&p, 0);
        let (r2, _w2) = pipe(&p, 0);
        // Make fd w1 point at the read end of pipe 2: pipe 1 loses its only
        // writer, so its reader sees EOF.
        assert_eq!(p.sys(SYS_dup3, &[r2 as u64, w1 as u64, 0]), w1 as i64);
        let buf = p.alloc(4);
        assert_eq!(p.sys(SYS_read, &[r1 as u64, buf as u64, 4]), 0);
    }

    #[test]
    fn dup3_bad_target_is_ebadf() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_dup3, &[0, -1i32 as u32 as u64, 0]), EBADF);
        assert_eq!(p.sys(SYS_dup3, &[0, 1 << 20, 0]), EBADF);
        assert_eq!(p.sys(SYS_dup3, &[9, 3, 0]), EBADF);
    }

    #[test]
    fn dup2_same_fd_as_musl_does_it_checks_validity() {
        // musl: dup2(fd, fd) → fcntl(fd, F_GETFD); EBADF if fd is not open.
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert!(p.sys(SYS_fcntl, &[0, F_GETFD as u64]) >= 0);
        assert_eq!(p.sys(SYS_fcntl, &[4, F_GETFD as u64]), EBADF);
    }

    #[test]
    fn close_range_closes_only_open_fds_in_range() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_close_range, &[1, 2, 0]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETFD as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[1, F_GETFD as u64]), EBADF);
        assert_eq!(p.sys(SYS_fcntl, &[2, F_GETFD as u64]), EBADF);
        assert_eq!(p.sys(SYS_fcntl, &[3, F_GETFD as u64]), 0);
        // An open-ended range.
        assert_eq!(p.sys(SYS_close_range, &[0, u32::MAX as u64, 0]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[3, F_GETFD as u64]), EBADF);
    }

    #[test]
    fn close_range_cloexec_marks_instead_of_closing() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_close_range, &[0, 10, CLOSE_RANGE_CLOEXEC as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETFD as u64]), FD_CLOEXEC as i64);
        assert_eq!(p.sys(SYS_fcntl, &[1, F_GETFD as u64]), FD_CLOEXEC as i64);
    }

    #[test]
    fn close_range_rejects_bad_arguments() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_close_range, &[5, 4, 0]), EINVAL);
        assert_eq!(p.sys(SYS_close_range, &[0, 4, 1]), EINVAL);
        assert_eq!(p.sys(SYS_close_range, &[0, 4, CLOSE_RANGE_UNSHARE as u64]), 0);
    }
}

#[cfg(test)]
#[path = "fd_vfs_tests.rs"]
mod vfs_tests;
