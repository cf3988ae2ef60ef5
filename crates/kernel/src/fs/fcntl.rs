//! fcntl(2): fd duplication, fd and status flags, record locks (in
//! [`super::lock`]), pipe capacity, and the SIGIO owner (stored only).
//!
//! Not done: leases, notify, seals (all `EINVAL`, as
//! Linux says for commands a file doesn't support); `O_ASYNC` sends no SIGIO.

use wasmpod_abi::fcntl::*;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements fcntl(2): `(fd, cmd, arg)` (the 64-bit `fcntl64` of 32-bit
/// Linux: `struct flock` has 64-bit offsets).
///
/// `F_GETLK64`/`F_SETLK64`/`F_SETLKW64` (12–14, what musl on ILP32 calls
/// `F_GETLK`...) are the same commands: our `struct flock` is always the
/// 64-bit one.
pub fn sys_fcntl(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, cmd, arg) = (a.fd(0), a.u32(1), a.u32(2));
    let cmd = match cmd {
        F_GETLK64 => F_GETLK,
        F_SETLK64 => F_SETLK,
        F_SETLKW64 => F_SETLKW,
        c => c,
    };
    let file = ctx.file(fd)?;
    match cmd {
        // fcntl(2): "Duplicate the file descriptor fd using the lowest-numbered
        // available file descriptor greater than or equal to arg"; "EINVAL
        // ... arg is negative or is greater than the maximum allowable value".
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let limit = super::dup::nofile_limit(ctx);
            let min = arg as i32;
            if min < 0 || u64::from(arg) >= limit {
                return_errno!(EINVAL, "F_DUPFD: arg out of range");
            }
            let cloexec = cmd == F_DUPFD_CLOEXEC;
            ctx.process_mut().files.alloc(file, cloexec, min as usize, limit).map(i64::from)
        }
        F_GETFD => Ok(if ctx.process().files.entry(fd)?.cloexec { i64::from(FD_CLOEXEC) } else { 0 }),
        F_SETFD => {
            ctx.process_mut().files.entry_mut(fd)?.cloexec = arg & FD_CLOEXEC != 0;
            Ok(0)
        }
        F_GETFL => Ok(i64::from(file.flags())),
        // fcntl(2): "On Linux, this command can change only the O_APPEND,
        // O_ASYNC, O_DIRECT, O_NOATIME, and O_NONBLOCK flags."
        F_SETFL => {
            file.set_status_flags(arg);
            ctx.notify();
            Ok(0)
        }
        F_GETLK | F_OFD_GETLK => {
            reject_path_only(&file)?;
            super::lock::fcntl_getlk(ctx, &file, arg, cmd == F_OFD_GETLK)
        }
        F_SETLK | F_SETLKW | F_OFD_SETLK | F_OFD_SETLKW => {
            reject_path_only(&file)?;
            let wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
            super::lock::fcntl_setlk(ctx, &file, wait, arg, cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW)
        }
        F_GETOWN => Ok(i64::from(ctx.st.fs.locks.owner(&file))),
        F_SETOWN => {
            ctx.st.fs.locks.set_owner(&file, arg as i32);
            Ok(0)
        }
        F_GETSIG => Ok(i64::from(ctx.st.fs.locks.sig(&file))),
        F_SETSIG => {
            if arg > 64 {
                return_errno!(EINVAL, "F_SETSIG: not a signal");
            }
            ctx.st.fs.locks.set_sig(&file, arg as i32);
            Ok(0)
        }
        // fcntl(2): "EBADF ... fd is not a pipe" (Linux's pipe_fcntl).
        // Linux's pipe_fcntl uses fdget (no O_PATH files) and says EBADF.
        F_GETPIPE_SZ | F_SETPIPE_SZ if file.is_path_only() => return_errno!(EBADF, "pipe fcntl on an O_PATH fd"),
        F_GETPIPE_SZ => {
            let pipe = super::pipe::pipe_of(&file).ok_or(crate::errno!(EBADF, "F_GETPIPE_SZ: not a pipe"))?;
            Ok(pipe.capacity() as i64)
        }
        F_SETPIPE_SZ => {
            let pipe = super::pipe::pipe_of(&file).ok_or(crate::errno!(EBADF, "F_SETPIPE_SZ: not a pipe"))?.clone();
            let privileged = ctx.process().creds.is_root();
            let n = pipe.set_capacity(u64::from(arg), privileged)?;
            ctx.notify();
            Ok(n as i64)
        }
        F_GETLEASE => Ok(i64::from(F_UNLCK as u16)),
        _ => return_errno!(EINVAL, "fcntl: unknown or unsupported command"),
    }
}

fn reject_path_only(file: &super::OpenFile) -> Result<()> {
    if file.is_path_only() {
        return_errno!(EBADF, "fcntl lock on an O_PATH fd");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::syscalls::*;

    use crate::fs::testfile::{install, pipe, MemFile};
    use crate::testing::Harness;

    const EBADF: i64 = -9;
    const EINVAL: i64 = -22;

    #[test]
    fn f_dupfd_returns_lowest_fd_at_or_above_arg() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, 5]), 5);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, 5]), 6);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, 0]), 2);
        assert_eq!(p.sys(SYS_fcntl, &[6, F_GETFD as u64]), 0);
    }

    #[test]
    fn f_dupfd_cloexec_sets_the_fd_flag() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        let fd = p.sys(SYS_fcntl, &[0, F_DUPFD_CLOEXEC as u64, 3]);
        assert_eq!(fd, 3);
        assert_eq!(p.sys(SYS_fcntl, &[3, F_GETFD as u64]), FD_CLOEXEC as i64);
    }

    #[test]
    fn f_dupfd_arg_at_or_above_rlimit_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, 1024]), EINVAL);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, -1i32 as u32 as u64]), EINVAL);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_DUPFD as u64, 1023]), 1023);
    }

    #[test]
    fn f_setfd_toggles_close_on_exec() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_SETFD as u64, FD_CLOEXEC as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETFD as u64]), FD_CLOEXEC as i64);
        assert_eq!(p.sys(SYS_fcntl, &[1, F_GETFD as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_SETFD as u64, 0]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETFD as u64]), 0);
    }

    #[test]
    fn f_getfl_reports_access_mode_and_status_flags() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, O_NONBLOCK);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETFL as u64]) as u32 & (O_ACCMODE | O_NONBLOCK), O_RDONLY | O_NONBLOCK);
        assert_eq!(p.sys(SYS_fcntl, &[1, F_GETFL as u64]) as u32 & (O_ACCMODE | O_NONBLOCK), O_WRONLY | O_NONBLOCK);
    }

    #[test]
    fn f_setfl_changes_only_settable_flags() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = install(&p, MemFile::new(b""), O_RDONLY);
        let r = p.sys(SYS_fcntl, &[fd as u64, F_SETFL as u64, (O_RDWR | O_APPEND | O_NONBLOCK | O_CREAT) as u64]);
        assert_eq!(r, 0);
        let fl = p.sys(SYS_fcntl, &[fd as u64, F_GETFL as u64]) as u32;
        assert_eq!(fl & O_ACCMODE, O_RDONLY);
        assert_eq!(fl & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK);
        assert_eq!(fl & O_CREAT, 0);
    }

    #[test]
    fn f_setfl_nonblock_makes_pipe_read_eagain() {
        let h = Harness::new();
        let p = h.process(None);
        let (r, _w) = pipe(&p, 0);
        assert_eq!(p.sys(SYS_fcntl, &[r as u64, F_SETFL as u64, O_NONBLOCK as u64]), 0);
        assert_eq!(crate::fs::testfile::read(&p, r, 4), Err(-11));
    }

    #[test]
    fn fcntl_unknown_command_is_einval_and_bad_fd_is_ebadf() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, 9999]), EINVAL);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_NOTIFY as u64, 0]), EINVAL);
        assert_eq!(p.sys(SYS_fcntl, &[42, F_GETFD as u64]), EBADF);
    }

    #[test]
    fn f_setown_is_stored_per_description() {
        let h = Harness::new();
        let p = h.process(None);
        pipe(&p, 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETOWN as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_SETOWN as u64, p.pid as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETOWN as u64]), p.pid as i64);
        let d = p.sys(SYS_dup, &[0]);
        assert_eq!(p.sys(SYS_fcntl, &[d as u64, F_GETOWN as u64]), p.pid as i64);
        assert_eq!(p.sys(SYS_fcntl, &[1, F_GETOWN as u64]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_SETSIG as u64, 10]), 0);
        assert_eq!(p.sys(SYS_fcntl, &[0, F_GETSIG as u64]), 10);
    }

    #[test]
    fn pipe_size_fcntls_on_a_regular_file_are_ebadf() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = install(&p, MemFile::new(b""), O_RDWR);
        assert_eq!(p.sys(SYS_fcntl, &[fd as u64, F_GETPIPE_SZ as u64]), EBADF);
        assert_eq!(p.sys(SYS_fcntl, &[fd as u64, F_SETPIPE_SZ as u64, 8192]), EBADF);
    }
}
