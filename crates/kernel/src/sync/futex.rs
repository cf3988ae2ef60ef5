//! futex(2): waiting on and waking user-space words.
//!
//! `futex(uaddr, futex_op, val, timeout_or_val2, uaddr2, val3)` — the
//! asm-generic argument order; `timeout` is a `struct timespec` with 64-bit
//! `tv_sec` (the `futex_time64` number is an alias of this call).
//!
//! Operations: `FUTEX_WAIT`, `FUTEX_WAKE`, `FUTEX_REQUEUE`,
//! `FUTEX_CMP_REQUEUE`, `FUTEX_WAKE_OP`, `FUTEX_WAIT_BITSET`,
//! `FUTEX_WAKE_BITSET`, each with or without `FUTEX_PRIVATE_FLAG` (keys are
//! the same either way, see [`super::FutexKey`]). The PI operations and
//! `FUTEX_FD` are `ENOSYS`.
//!
//! Waiting and interruption (futex(2), signal(7)): a wait without timeout
//! that a handler interrupts restarts when the handler has `SA_RESTART`
//! (Linux returns `ERESTARTSYS`); a wait with a timeout restarts only when
//! no handler ran (Linux's `ERESTART_RESTARTBLOCK`), and otherwise fails
//! with `EINTR`. A restarted relative `FUTEX_WAIT` waits its full timeout
//! again (Linux's restart block would keep the original deadline).
//!
//! Not atomic against user code: comparisons and `FUTEX_WAKE_OP`'s
//! read-modify-write happen under the kernel lock through `UserMemory`,
//! which serialises them against every other futex operation but not
//! against plain atomics of threads running guest code. That is enough for
//! the way libc uses futexes (the word is re-checked after every wake-up).

use wasmpod_abi::misc::*;
use wasmpod_abi::time::timespec;

use super::Waiter;
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::platform::ClockKind;
use crate::process::Pid;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Wakes up to `n` waiters on word `addr` of process `pid` whose bitset
/// meets `bitset`; returns how many. Used by FUTEX_WAKE and by thread exit
/// (`clear_child_tid`).
pub fn wake(ctx: &mut Ctx, pid: Pid, addr: u32, n: usize, bitset: u32) -> usize {
    let k = ctx.st.futex.wake((pid, addr), n, bitset);
    if k > 0 {
        ctx.notify();
    }
    k
}

/// Implements futex(2).
pub fn sys_futex(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (uaddr, op, val, timeout, uaddr2, val3) = (a.ptr(0), a.u32(1), a.u32(2), a.ptr(3), a.ptr(4), a.u32(5));
    let cmd = op & FUTEX_CMD_MASK;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    if realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET {
        return_errno!(ENOSYS, "futex: FUTEX_CLOCK_REALTIME only with FUTEX_WAIT/FUTEX_WAIT_BITSET");
    }
    if uaddr % 4 != 0 {
        return_errno!(EINVAL, "futex: unaligned address");
    }
    let pid = ctx.pid();
    match cmd {
        FUTEX_WAIT => {
            let deadline = read_timeout(ctx, timeout, false, false)?;
            futex_wait(ctx, pid, uaddr, val, FUTEX_BITSET_MATCH_ANY, deadline)
        }
        FUTEX_WAIT_BITSET => {
            if val3 == 0 {
                return_errno!(EINVAL, "futex: empty bitset");
            }
            let deadline = read_timeout(ctx, timeout, true, realtime)?;
            futex_wait(ctx, pid, uaddr, val, val3, deadline)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE { FUTEX_BITSET_MATCH_ANY } else { val3 };
            if bitset == 0 {
                return_errno!(EINVAL, "futex: empty bitset");
            }
            // Linux's futex_wake counts after waking (`if (++ret >= nr_wake)
            // break`), so a count of 0 or less still wakes one waiter.
            let n = (val as i32).max(1) as usize;
            Ok(wake(ctx, pid, uaddr, n, bitset) as i64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let (nr_wake, nr_requeue) = (val as i32, timeout as i32);
            if nr_wake < 0 || nr_requeue < 0 {
                return_errno!(EINVAL, "futex: negative count");
            }
            if uaddr2 % 4 != 0 {
                return_errno!(EINVAL, "futex: unaligned address");
            }
            if cmd == FUTEX_CMP_REQUEUE {
                let cur = ctx.mem.load_u32(uaddr).map_err(|_| errno!(EFAULT, "futex: bad address"))?;
                if cur != val3 {
                    return_errno!(EAGAIN, "futex: value changed");
                }
            }
            // Like Linux's futex_requeue, the result counts woken and
            // requeued waiters.
            let woken = wake(ctx, pid, uaddr, nr_wake as usize, FUTEX_BITSET_MATCH_ANY);
            let moved = ctx.st.futex.requeue((pid, uaddr), (pid, uaddr2), nr_requeue as usize);
            Ok((woken + moved) as i64)
        }
        FUTEX_WAKE_OP => {
            let (nr_wake, nr_wake2) = (val as i32, timeout as i32);
            if uaddr2 % 4 != 0 {
                return_errno!(EINVAL, "futex: unaligned address");
            }
            let old = ctx.mem.load_u32(uaddr2).map_err(|_| errno!(EFAULT, "futex: bad address"))?;
            let (new, cond) = wake_op(val3, old)?;
            ctx.write_u32(uaddr2, new)?;
            let mut n = wake(ctx, pid, uaddr, nr_wake.max(0) as usize, FUTEX_BITSET_MATCH_ANY);
            if cond {
                n += wake(ctx, pid, uaddr2, nr_wake2.max(0) as usize, FUTEX_BITSET_MATCH_ANY);
            }
            Ok(n as i64)
        }
        FUTEX_LOCK_PI | FUTEX_UNLOCK_PI | FUTEX_TRYLOCK_PI | FUTEX_FD => {
            return_errno!(ENOSYS, "futex: PI futexes and FUTEX_FD are not supported")
        }
        _ => return_errno!(ENOSYS, "futex: unknown operation"),
    }
}

/// Decodes `FUTEX_WAKE_OP`'s `val3` (futex(2): `op` in bits 28–31 with
/// `FUTEX_OP_OPARG_SHIFT` = 8, `cmp` in 24–27, `oparg` in 12–23, `cmparg`
/// in 0–11, both sign-extended) and applies it to `old`: the new value and
/// whether the comparison holds. Unknown `op`/`cmp` are `ENOSYS`, as in
/// Linux.
fn wake_op(val3: u32, old: u32) -> Result<(u32, bool)> {
    let mut op = (val3 >> 28) & 0xf;
    let cmp = (val3 >> 24) & 0xf;
    let sext12 = |v: u32| (((v & 0xfff) << 20) as i32) >> 20;
    let mut oparg = sext12(val3 >> 12);
    let cmparg = sext12(val3);
    if op & 8 != 0 {
        op &= 7;
        if !(0..32).contains(&oparg) {
            // Linux warns and masks the shift.
            oparg &= 31;
        }
        oparg = 1i32 << oparg;
    }
    let oparg = oparg as u32;
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return_errno!(ENOSYS, "futex: unknown FUTEX_WAKE_OP operation"),
    };
    let o = old as i32;
    let cond = match cmp {
        0 => o == cmparg,
        1 => o != cmparg,
        2 => o < cmparg,
        3 => o <= cmparg,
        4 => o > cmparg,
        5 => o >= cmparg,
        _ => return_errno!(ENOSYS, "futex: unknown FUTEX_WAKE_OP comparison"),
    };
    Ok((new, cond))
}

/// Reads the timeout argument and turns it into a monotonic deadline.
/// `absolute`: the time is a point on CLOCK_MONOTONIC (or CLOCK_REALTIME
/// with `realtime`), else a duration from now.
fn read_timeout(ctx: &Ctx, addr: u32, absolute: bool, realtime: bool) -> Result<Option<u64>> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: timespec = ctx.read_struct(addr)?;
    if !ts.is_valid() {
        return_errno!(EINVAL, "futex: invalid timeout");
    }
    let now = ctx.now();
    let t = ts.as_nanos();
    Ok(Some(if !absolute {
        now.saturating_add(t)
    } else if realtime {
        let real = ctx.platform().now(ClockKind::Realtime);
        now.saturating_add(t.saturating_sub(real))
    } else {
        t
    }))
}

/// FUTEX_WAIT/FUTEX_WAIT_BITSET: sleeps while the word at `addr` holds
/// `val`, until woken (0), the deadline passes (`ETIMEDOUT`) or a signal
/// arrives (`EINTR`, restart behaviour as in the module docs).
fn futex_wait(ctx: &mut Ctx, pid: Pid, addr: u32, val: u32, bitset: u32, deadline: Option<u64>) -> Result<i64> {
    let cur = ctx.mem.load_u32(addr).map_err(|_| errno!(EFAULT, "futex: bad address"))?;
    if cur != val {
        return_errno!(EAGAIN, "futex: value changed");
    }
    let tid = ctx.tid;
    ctx.st.futex.enqueue((pid, addr), Waiter { tid, bitset });
    let restart = if deadline.is_some() { Restart::IfNoHandler } else { Restart::IfSaRestart };
    let r = ctx.wait_until(deadline, restart, |ctx| Ok(ctx.st.futex.take_woken(ctx.tid).then_some(())));
    if r.is_err() {
        ctx.st.futex.forget(tid);
    }
    r.map(|()| 0)
}
