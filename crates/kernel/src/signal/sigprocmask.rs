//! Masks and waiting for signals: rt_sigprocmask, rt_sigpending,
//! rt_sigsuspend, rt_sigtimedwait, and the alternate stack (sigaltstack).

use wasmpod_abi::signal::{self as sig, sigset_t, stack_t};
use wasmpod_abi::time::timespec;
use wasmpod_abi::Errno;

use super::{set_temporary_mask, SigInfo, UNBLOCKABLE};
use crate::error::{Error, Restart, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// The only `sigsetsize` the rt_sig* calls accept: 64 signals.
const SIGSET_SIZE: usize = 8;

fn check_size(size: usize) -> Result<()> {
    if size != SIGSET_SIZE {
        return_errno!(EINVAL, "sigsetsize must be 8");
    }
    Ok(())
}

/// Implements rt_sigprocmask(2): `(how, set, oldset, sigsetsize)`.
/// SIGKILL and SIGSTOP are silently kept unblocked; `how` is only checked
/// when `set` is given (as Linux does).
pub fn sys_rt_sigprocmask(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (how, set, oset, size) = (a.u32(0), a.ptr(1), a.ptr(2), a.usize(3));
    check_size(size)?;
    let old = ctx.thread().signals.mask;
    if set != 0 {
        let s = ctx.read_u64(set)?;
        let new = match how {
            sig::SIG_BLOCK => old | s,
            sig::SIG_UNBLOCK => old & !s,
            sig::SIG_SETMASK => s,
            _ => return_errno!(EINVAL, "rt_sigprocmask: bad how"),
        };
        ctx.thread_mut().signals.mask = new & !UNBLOCKABLE;
    }
    if oset != 0 {
        ctx.write_u64(oset, old)?;
    }
    Ok(0)
}

/// Implements rt_sigpending(2): `(set, sigsetsize)`. The set is "the
/// signals that are pending for delivery to the calling thread" — the
/// thread's and the process's pending signals that are blocked (Linux
/// intersects with the mask). `sigsetsize` may be at most 8; that many
/// bytes are written.
pub fn sys_rt_sigpending(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (set, size) = (a.ptr(0), a.usize(1));
    if size > SIGSET_SIZE {
        return_errno!(EINVAL, "rt_sigpending: sigsetsize too large");
    }
    let t = &ctx.thread().signals;
    let pending = (t.pending.bits | ctx.process().signals.pending.bits) & t.mask;
    ctx.write_user(set, &pending.to_le_bytes()[..size])?;
    Ok(0)
}

/// Implements rt_sigsuspend(2): `(mask, sigsetsize)`. Replaces the mask
/// and sleeps until a signal runs a handler or ends the process; always
/// fails with `EINTR`. The handler frame saves the *previous* mask, so
/// the caller's mask is back once the handler returns. Restarted (with
/// the previous mask kept aside) when the waking signal runs no handler,
/// e.g. a stop and continue.
pub fn sys_rt_sigsuspend(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    check_size(a.usize(1))?;
    let mask = ctx.read_u64(a.ptr(0))?;
    set_temporary_mask(ctx, mask);
    ctx.wait_until(None, Restart::IfNoHandler, |_| Ok(None::<()>))?;
    Err(Error::interrupted(Restart::IfNoHandler))
}

/// Removes the lowest pending signal of `set` for the calling thread
/// (thread-directed first).
pub(crate) fn dequeue_from(ctx: &mut Ctx, set: sigset_t) -> Option<SigInfo> {
    let tid = ctx.tid;
    let t = ctx.st.procs.threads.get_mut(&tid)?;
    if let Some(s) = t.signals.pending.next_in(set) {
        return t.signals.pending.take(s);
    }
    let pid = t.pid;
    let p = ctx.st.procs.procs.get_mut(&pid)?;
    let s = p.signals.pending.next_in(set)?;
    p.signals.pending.take(s)
}

/// Implements rt_sigtimedwait(2): `(set, info, timeout, sigsetsize)`.
/// Takes the lowest pending signal of `set` (blocked or not), writes its
/// `siginfo_t` to `info` if given and returns its number. `EAGAIN` when
/// `timeout` (relative, NULL = forever) passes first, `EINTR` when a
/// signal outside the set is delivered (never restarted, as on Linux).
pub fn sys_rt_sigtimedwait(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (set, uinfo, timeout, size) = (a.ptr(0), a.ptr(1), a.ptr(2), a.usize(3));
    check_size(size)?;
    let set = ctx.read_u64(set)? & !UNBLOCKABLE;
    let deadline = if timeout != 0 {
        let ts: timespec = ctx.read_struct(timeout)?;
        if !ts.is_valid() {
            return_errno!(EINVAL, "rt_sigtimedwait: invalid timeout");
        }
        Some(ctx.now().saturating_add(ts.as_nanos()))
    } else {
        None
    };
    let info = match ctx.wait_until(deadline, Restart::No, |ctx| Ok(dequeue_from(ctx, set))) {
        Ok(i) => i,
        Err(e) if e.errno() == Errno::ETIMEDOUT => return_errno!(EAGAIN, "rt_sigtimedwait: timed out"),
        Err(e) => return Err(e),
    };
    if uinfo != 0 {
        ctx.write_struct(uinfo, &info.to_abi())?;
    }
    Ok(i64::from(info.signo))
}

/// Implements sigaltstack(2): `(ss, old_ss)`. `EPERM` to change the stack
/// while a handler runs on it, `EINVAL` for flags other than 0,
/// `SS_ONSTACK` (treated as 0) or `SS_DISABLE` (each optionally with
/// `SS_AUTODISARM`), `ENOMEM` for a size below `MINSIGSTKSZ`.
pub fn sys_sigaltstack(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (ss, old_ss) = (a.ptr(0), a.ptr(1));
    let cur = ctx.thread().signals.altstack;
    let on = ctx.thread().signals.on_altstack;
    let old = stack_t {
        ss_sp: cur.sp,
        ss_size: cur.size,
        ss_flags: if on {
            sig::SS_ONSTACK as i32
        } else if !cur.enabled() {
            sig::SS_DISABLE as i32
        } else {
            (cur.flags & sig::SS_AUTODISARM) as i32
        },
    };
    if ss != 0 {
        let new: stack_t = ctx.read_struct(ss)?;
        if on {
            return_errno!(EPERM, "sigaltstack: running on the alternate stack");
        }
        let flags = new.ss_flags as u32;
        let mode = flags & !sig::SS_AUTODISARM;
        let stack = match mode {
            sig::SS_DISABLE => super::AltStack::default(),
            0 | sig::SS_ONSTACK => {
                if new.ss_size < sig::MINSIGSTKSZ {
                    return_errno!(ENOMEM, "sigaltstack: stack smaller than MINSIGSTKSZ");
                }
                super::AltStack { sp: new.ss_sp, size: new.ss_size, flags: flags & sig::SS_AUTODISARM }
            }
            _ => return_errno!(EINVAL, "sigaltstack: bad ss_flags"),
        };
        ctx.thread_mut().signals.altstack = stack;
    }
    if old_ss != 0 {
        ctx.write_struct(old_ss, &old)?;
    }
    Ok(0)
}
