//! ppoll(2), and the pieces poll, select and epoll share: timeouts on the
//! monotonic clock, the temporary signal mask of the `p*` variants, and
//! asking a file for its readiness.
//!
//! Waiting is the kernel's one primitive (`Ctx::wait_until`): every wake-up
//! re-polls all files, so nothing needs per-file wait queues.

use wasmpod_abi::poll::{pollfd, POLLERR, POLLHUP, POLLNVAL};
use wasmpod_abi::time::timespec;
use wasmpod_abi::AbiStruct;

use crate::error::{Error, Restart, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// The validated length of a timeout: `EINVAL` for negative seconds or
/// nanoseconds outside `0..1e9`.
pub fn timespec_ns(ts: &timespec) -> Result<u64> {
    if ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1_000_000_000 {
        return_errno!(EINVAL, "invalid timespec");
    }
    Ok((ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64))
}

/// A timeout read from user memory: `None` for a NULL pointer (wait
/// forever), else the monotonic deadline.
pub fn read_timeout(ctx: &Ctx, ptr: u32) -> Result<Option<u64>> {
    if ptr == 0 {
        return Ok(None);
    }
    let ts: timespec = ctx.read_struct(ptr)?;
    let ns = timespec_ns(&ts)?;
    Ok(Some(ctx.now().saturating_add(ns)))
}

/// Writes the time left until `deadline` back to the user's timespec (ppoll
/// and pselect6 do, Linux's `poll_select_finish`), unless the timeout was
/// zero to begin with. A fault here is ignored, as Linux does after the
/// call has done its work.
pub fn write_remaining(ctx: &mut Ctx, ptr: u32, deadline: Option<u64>, was_zero: bool) {
    let (Some(d), false) = (deadline, ptr == 0 || was_zero) else { return };
    let left = d.saturating_sub(ctx.now());
    let ts = timespec { tv_sec: (left / 1_000_000_000) as i64, tv_nsec: (left % 1_000_000_000) as i32 };
    let _ = ctx.write_struct(ptr, &ts);
}

/// Installs the temporary signal mask of ppoll/pselect6/epoll_pwait
/// ([`crate::signal::set_temporary_mask`]): `ptr` NULL means none; else
/// `size` must be 8 (`EINVAL`). Returns whether a mask was installed.
pub fn set_temp_sigmask(ctx: &mut Ctx, ptr: u32, size: usize) -> Result<bool> {
    if ptr == 0 {
        return Ok(false);
    }
    if size != 8 {
        return_errno!(EINVAL, "sigsetsize must be 8");
    }
    let set = ctx.read_u64(ptr)?;
    crate::signal::set_temporary_mask(ctx, set);
    Ok(true)
}

/// Ends the temporary mask after the wait: on success or timeout the
/// caller's mask is back at once; after `EINTR` it stays until the signal
/// is delivered (the handler frame saves the caller's mask, Linux's
/// `restore_saved_sigmask`), so a signal the temporary mask unblocked
/// still runs its handler.
pub fn restore_sigmask<T>(ctx: &mut Ctx, installed: bool, r: Result<T>) -> Result<T> {
    let interrupted = matches!(&r, Err(e) if e.errno() == wasmpod_abi::Errno::EINTR);
    if installed && !interrupted {
        crate::signal::restore_temporary_mask(ctx);
    }
    r
}

/// The readiness of `fd` in the calling process, masked like Linux's
/// `do_pollfd`: the requested events plus `POLLERR`/`POLLHUP` always;
/// `POLLNVAL` for an fd that is not open or is an `O_PATH` fd (Linux's
/// `fdget` in `do_pollfd` does not return those).
pub fn poll_fd(ctx: &mut Ctx, fd: i32, events: u16) -> u16 {
    match ctx.file(fd) {
        Ok(file) if !file.is_path_only() => file.ops.poll(ctx, &file) & (events | POLLERR | POLLHUP),
        _ => POLLNVAL,
    }
}

/// The open file behind `fd` for calls that refuse `O_PATH` fds with
/// `EBADF` (Linux's `fdget`, as opposed to `fdget_raw`).
pub fn file_no_path(ctx: &Ctx, fd: i32) -> Result<std::sync::Arc<super::OpenFile>> {
    let f = ctx.file(fd)?;
    if f.is_path_only() {
        return_errno!(EBADF, "O_PATH fd");
    }
    Ok(f)
}

/// Implements ppoll(2): `(fds, nfds, tmo_p, sigmask, sigsetsize)`. poll(2):
/// "If the value of fd is less than zero, then events is ignored and
/// revents returns 0"; an fd that is not open reports `POLLNVAL`; `EINVAL`
/// if nfds exceeds `RLIMIT_NOFILE`. Interrupted: `EINTR`, restarted only
/// when no handler runs (`ERESTARTNOHAND`), with the remaining time written
/// back to `tmo_p`.
pub fn sys_ppoll(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fds, nfds, tmo, mask, masksize) = (a.ptr(0), a.u32(1), a.ptr(2), a.ptr(3), a.usize(4));
    if u64::from(nfds) > super::dup::nofile_limit(ctx) {
        return_errno!(EINVAL, "ppoll: nfds over RLIMIT_NOFILE");
    }
    let bytes = (nfds as usize).checked_mul(pollfd::SIZE).ok_or(crate::errno!(EINVAL, "ppoll: nfds too large"))?;
    let raw = ctx.read_user_vec(fds, bytes)?;
    let mut pfds: Vec<pollfd> = raw.chunks_exact(pollfd::SIZE).map(pollfd::decode).collect();
    let deadline = read_timeout(ctx, tmo)?;
    let zero = deadline.is_some_and(|d| d <= ctx.now());
    let old = set_temp_sigmask(ctx, mask, masksize)?;
    let r = ctx.wait_until(deadline, Restart::IfNoHandler, |ctx| {
        let mut n = 0i64;
        for p in pfds.iter_mut() {
            p.revents = if p.fd < 0 { 0 } else { poll_fd(ctx, p.fd, p.events) };
            if p.revents != 0 {
                n += 1;
            }
        }
        Ok((n > 0 || zero).then_some(n))
    });
    let r = restore_sigmask(ctx, old, r);
    let n = match r {
        Ok(n) => n,
        Err(e) if e.errno() == wasmpod_abi::Errno::ETIMEDOUT => {
            pfds.iter_mut().for_each(|p| p.revents = 0);
            0
        }
        Err(e) => {
            write_remaining(ctx, tmo, deadline, zero);
            return Err(e);
        }
    };
    let mut out = vec![0u8; raw.len()];
    for (p, chunk) in pfds.iter().zip(out.chunks_exact_mut(pollfd::SIZE)) {
        p.encode(chunk);
    }
    ctx.write_user(fds, &out)?;
    write_remaining(ctx, tmo, deadline, zero);
    Ok(n)
}

/// An `ETIMEDOUT` from `wait_until` (a poll-like call's "nothing happened").
pub fn is_timeout(e: &Error) -> bool {
    e.errno() == wasmpod_abi::Errno::ETIMEDOUT
}

#[cfg(test)]
#[path = "poll_tests.rs"]
mod tests;
