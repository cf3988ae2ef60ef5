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

/// `sizeof(struct robust_list_head)` on ILP32: three 32-bit words.
pub const ROBUST_LIST_HEAD_SIZE: u32 = 12;

/// Implements set_robust_list(2): `(head, len)`; `len` must be the size of
/// `struct robust_list_head` (`EINVAL`). The list is recorded for
/// get_robust_list; robust futexes are not released at thread exit yet.
pub fn sys_set_robust_list(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (head, len) = (a.ptr(0), a.u32(1));
    if len != ROBUST_LIST_HEAD_SIZE {
        return_errno!(EINVAL, "set_robust_list: wrong size");
    }
    ctx.thread_mut().robust_list = (head, len);
    Ok(0)
}

/// Implements get_robust_list(2): `(tid, head_ptr, len_ptr)`; tid 0 is the
/// caller; another thread must exist (`ESRCH`) and belong to the caller's
/// user unless the caller is root (`EPERM`).
pub fn sys_get_robust_list(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (tid, head_ptr, len_ptr) = (a.i32(0), a.ptr(1), a.ptr(2));
    let tid = if tid == 0 { ctx.tid } else { tid };
    let Some(t) = ctx.st.procs.threads.get(&tid).filter(|t| !t.exited) else {
        return_errno!(ESRCH, "get_robust_list: no such thread");
    };
    let (head, owner) = (t.robust_list, t.pid);
    let me = &ctx.process().creds;
    let same_user = ctx.st.procs.procs.get(&owner).is_some_and(|p| p.creds.uid == me.euid || p.creds.euid == me.euid);
    if !same_user && !me.is_root() {
        return_errno!(EPERM, "get_robust_list: another user's thread");
    }
    ctx.write_u32(head_ptr, head.0)?;
    ctx.write_u32(len_ptr, ROBUST_LIST_HEAD_SIZE)?;
    Ok(0)
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

#[cfg(test)]
mod tests {
    use wasmpod_abi::misc::*;
    use wasmpod_abi::sched::*;
    use wasmpod_abi::signal::{SA_RESTART, SIGUSR1};
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::time::timespec;
    use wasmpod_abi::Errno;

    use crate::kernel::{Action, SyscallReturn};
    use crate::process::testutil::*;
    use crate::testing::{Harness, Proc};

    const THREAD: u64 = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD) as u64;

    fn futex(p: &Proc, addr: u32, op: u32, val: u32, timeout: u32, addr2: u32, val3: u32) -> i64 {
        p.sys(
            SYS_futex,
            &[u64::from(addr), u64::from(op), u64::from(val), u64::from(timeout), u64::from(addr2), u64::from(val3)],
        )
    }

    fn threads(p: &Proc, n: usize) -> Vec<Proc> {
        (0..n).map(|_| p.as_thread(p.sys(SYS_clone, &[THREAD, 0x9000, 0, 0, 0]) as i32)).collect()
    }

    /// Starts `t` waiting on `addr` (value 0) with `op`, and waits until it sleeps.
    fn start_wait(h: &Harness, t: &Proc, addr: u32, op: u32, val3: u32) -> std::thread::JoinHandle<SyscallReturn> {
        let t2 = t.clone();
        let j = spawn(move || t2.call(SYS_futex, &[u64::from(addr), u64::from(op), 0, 0, 0, u64::from(val3)]));
        h.wait_sleeping(t.tid);
        j
    }

    fn waiters(h: &Harness, pid: i32, addr: u32) -> usize {
        st(h, |s| s.futex.waiters((pid, addr)))
    }

    #[test]
    fn wait_with_a_different_value_is_eagain() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.bytes(&5u32.to_le_bytes());
        assert_eq!(futex(&p, w, FUTEX_WAIT, 4, 0, 0, 0), e(Errno::EAGAIN));
    }

    #[test]
    fn wake_without_waiters_returns_zero() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        assert_eq!(futex(&p, w, FUTEX_WAKE, 10, 0, 0, 0), 0);
    }

    #[test]
    fn wake_counts_are_exact_with_several_waiters() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let ts = threads(&p, 3);
        let joins: Vec<_> = ts.iter().map(|t| start_wait(&h, t, w, FUTEX_WAIT, 0)).collect();
        assert_eq!(futex(&p, w, FUTEX_WAKE, 2, 0, 0, 0), 2);
        assert_eq!(waiters(&h, p.pid, w), 1);
        // The first two (FIFO) return 0.
        let mut joins = joins.into_iter();
        assert_eq!(joins.next().unwrap().join().unwrap().value, 0);
        assert_eq!(joins.next().unwrap().join().unwrap().value, 0);
        assert_eq!(futex(&p, w, FUTEX_WAKE, 5, 0, 0, 0), 1);
        assert_eq!(joins.next().unwrap().join().unwrap().value, 0);
        assert_eq!(futex(&p, w, FUTEX_WAKE, 5, 0, 0, 0), 0);
    }

    #[test]
    fn wake_with_private_flag_reaches_a_plain_waiter() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let t = threads(&p, 1).pop().unwrap();
        let j = start_wait(&h, &t, w, FUTEX_WAIT, 0);
        assert_eq!(futex(&p, w, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, 0, 0, 0), 1);
        assert_eq!(j.join().unwrap().value, 0);
    }

    #[test]
    fn relative_timeout_expires_with_the_clock() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let ts = p.put_struct(&timespec { tv_sec: 1, tv_nsec: 500_000_000 });
        let p2 = p.clone();
        let j = spawn(move || futex(&p2, w, FUTEX_WAIT, 0, ts, 0, 0));
        h.wait_sleeping(p.tid);
        h.advance_ns(1_500_000_000);
        assert_eq!(j.join().unwrap(), e(Errno::ETIMEDOUT));
        assert_eq!(waiters(&h, p.pid, w), 0, "a timed-out waiter leaves the queue");
    }

    #[test]
    fn absolute_bitset_timeout_in_the_past_times_out_at_once() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let ts = p.put_struct(&timespec { tv_sec: 0, tv_nsec: 1 });
        assert_eq!(futex(&p, w, FUTEX_WAIT_BITSET, 0, ts, 0, FUTEX_BITSET_MATCH_ANY), e(Errno::ETIMEDOUT));
        let rt = FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME;
        assert_eq!(futex(&p, w, rt, 0, ts, 0, FUTEX_BITSET_MATCH_ANY), e(Errno::ETIMEDOUT));
    }

    #[test]
    fn absolute_realtime_timeout_counts_from_the_wall_clock() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let now = crate::Platform::now(h.platform.as_ref(), crate::ClockKind::Realtime);
        let ts = p.put_struct(&timespec::from_nanos(now + 2_000_000_000));
        let p2 = p.clone();
        let op = FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME;
        let j = spawn(move || futex(&p2, w, op, 0, ts, 0, FUTEX_BITSET_MATCH_ANY));
        h.wait_sleeping(p.tid);
        h.advance_ns(2_000_000_000);
        assert_eq!(j.join().unwrap(), e(Errno::ETIMEDOUT));
    }

    #[test]
    fn invalid_timeout_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let ts = p.put_struct(&timespec { tv_sec: 0, tv_nsec: 1_000_000_000 });
        assert_eq!(futex(&p, w, FUTEX_WAIT, 0, ts, 0, 0), e(Errno::EINVAL));
    }

    #[test]
    fn requeue_moves_waiters_to_the_second_word() {
        let h = Harness::new();
        let p = h.process(None);
        let (a, b) = (p.alloc(4), p.alloc(4));
        let ts = threads(&p, 3);
        let joins: Vec<_> = ts.iter().map(|t| start_wait(&h, t, a, FUTEX_WAIT, 0)).collect();
        // Wake 1, requeue up to 5: the result counts both.
        assert_eq!(futex(&p, a, FUTEX_REQUEUE, 1, 5, b, 0), 3);
        assert_eq!(waiters(&h, p.pid, a), 0);
        assert_eq!(waiters(&h, p.pid, b), 2);
        assert_eq!(futex(&p, a, FUTEX_WAKE, 10, 0, 0, 0), 0);
        assert_eq!(futex(&p, b, FUTEX_WAKE, 10, 0, 0, 0), 2);
        for j in joins {
            assert_eq!(j.join().unwrap().value, 0);
        }
    }

    #[test]
    fn cmp_requeue_with_a_changed_value_is_eagain_and_moves_nothing() {
        let h = Harness::new();
        let p = h.process(None);
        let (a, b) = (p.alloc(4), p.alloc(4));
        let t = threads(&p, 1).pop().unwrap();
        let j = start_wait(&h, &t, a, FUTEX_WAIT, 0);
        assert_eq!(futex(&p, a, FUTEX_CMP_REQUEUE, 0, 1, b, 1), e(Errno::EAGAIN));
        assert_eq!(waiters(&h, p.pid, a), 1);
        assert_eq!(futex(&p, a, FUTEX_CMP_REQUEUE, 0, 1, b, 0), 1);
        assert_eq!(waiters(&h, p.pid, b), 1);
        assert_eq!(futex(&p, b, FUTEX_WAKE, 1, 0, 0, 0), 1);
        assert_eq!(j.join().unwrap().value, 0);
    }

    #[test]
    fn requeue_with_negative_counts_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let (a, b) = (p.alloc(4), p.alloc(4));
        assert_eq!(futex(&p, a, FUTEX_REQUEUE, u32::MAX, 1, b, 0), e(Errno::EINVAL));
        assert_eq!(futex(&p, a, FUTEX_CMP_REQUEUE, 1, u32::MAX, b, 0), e(Errno::EINVAL));
    }

    #[test]
    fn wake_bitset_only_wakes_matching_waiters() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let t = threads(&p, 1).pop().unwrap();
        let j = start_wait(&h, &t, w, FUTEX_WAIT_BITSET, 0b01);
        assert_eq!(futex(&p, w, FUTEX_WAKE_BITSET, 1, 0, 0, 0b10), 0);
        assert_eq!(futex(&p, w, FUTEX_WAKE_BITSET, 1, 0, 0, 0b11), 1);
        assert_eq!(j.join().unwrap().value, 0);
    }

    #[test]
    fn empty_bitsets_are_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        assert_eq!(futex(&p, w, FUTEX_WAKE_BITSET, 1, 0, 0, 0), e(Errno::EINVAL));
        assert_eq!(futex(&p, w, FUTEX_WAIT_BITSET, 0, 0, 0, 0), e(Errno::EINVAL));
    }

    #[test]
    fn unaligned_address_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(8);
        assert_eq!(futex(&p, w + 2, FUTEX_WAKE, 1, 0, 0, 0), e(Errno::EINVAL));
    }

    #[test]
    fn bad_address_is_efault() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(futex(&p, 0xffff_fff0, FUTEX_WAIT, 0, 0, 0, 0), e(Errno::EFAULT));
    }

    #[test]
    fn clock_realtime_with_wake_is_enosys_and_pi_ops_are_enosys() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        assert_eq!(futex(&p, w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0), e(Errno::ENOSYS));
        assert_eq!(futex(&p, w, FUTEX_LOCK_PI, 0, 0, 0, 0), e(Errno::ENOSYS));
        assert_eq!(futex(&p, w, 99, 0, 0, 0, 0), e(Errno::ENOSYS));
    }

    #[test]
    fn wait_without_timeout_interrupted_by_plain_handler_is_eintr() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        set_action(&h, p.pid, SIGUSR1, 0x100, 0);
        let j = start_wait(&h, &p, w, FUTEX_WAIT, 0);
        st(&h, |s| crate::signal::send_to_process(s, p.pid, crate::signal::SigInfo::kernel(SIGUSR1)));
        h.kernel.clock_changed();
        assert_eq!(j.join().unwrap().value, e(Errno::EINTR));
        assert_eq!(waiters(&h, p.pid, w), 0);
    }

    #[test]
    fn wait_without_timeout_restarts_after_sa_restart_handler() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        set_action(&h, p.pid, SIGUSR1, 0x100, SA_RESTART);
        let j = start_wait(&h, &p, w, FUTEX_WAIT, 0);
        st(&h, |s| crate::signal::send_to_process(s, p.pid, crate::signal::SigInfo::kernel(SIGUSR1)));
        h.kernel.clock_changed();
        assert!(matches!(j.join().unwrap().action, Action::Restart));
    }

    #[test]
    fn timed_wait_interrupted_by_sa_restart_handler_is_still_eintr() {
        let h = Harness::new();
        let p = h.process(None);
        let w = p.alloc(4);
        let ts = p.put_struct(&timespec { tv_sec: 100, tv_nsec: 0 });
        set_action(&h, p.pid, SIGUSR1, 0x100, SA_RESTART);
        let p2 = p.clone();
        let j = spawn(move || p2.call(SYS_futex, &[u64::from(w), u64::from(FUTEX_WAIT), 0, u64::from(ts)]));
        h.wait_sleeping(p.tid);
        st(&h, |s| crate::signal::send_to_process(s, p.pid, crate::signal::SigInfo::kernel(SIGUSR1)));
        h.kernel.clock_changed();
        assert_eq!(j.join().unwrap().value, e(Errno::EINTR));
    }

    #[test]
    fn wake_op_updates_the_second_word_and_wakes_on_both() {
        let h = Harness::new();
        let p = h.process(None);
        let (a, b) = (p.alloc(4), p.alloc(4));
        let ts = threads(&p, 2);
        let ja = start_wait(&h, &ts[0], a, FUTEX_WAIT, 0);
        let jb = start_wait(&h, &ts[1], b, FUTEX_WAIT, 0);
        // op ADD 5, cmp EQ 0: *b was 0, so waiters on b are woken too.
        let val3 = (1 << 28) | (5 << 12);
        assert_eq!(futex(&p, a, FUTEX_WAKE_OP, 1, 1, b, val3), 2);
        assert_eq!(p.read_u32(b), 5);
        assert_eq!(ja.join().unwrap().value, 0);
        assert_eq!(jb.join().unwrap().value, 0);
        // Again: *b is 5 now, EQ 0 fails, b's waiters stay.
        p.write(b, &0u32.to_le_bytes());
        let j2 = start_wait(&h, &ts[1], b, FUTEX_WAIT, 0);
        let val3 = (1 << 28) | (5 << 12) | 1; // ADD 5, EQ 1: *b was 0, so no wake on b
        assert_eq!(futex(&p, a, FUTEX_WAKE_OP, 1, 1, b, val3), 0);
        assert_eq!(waiters(&h, p.pid, b), 1);
        assert_eq!(futex(&p, b, FUTEX_WAKE, 1, 0, 0, 0), 1);
        assert_eq!(j2.join().unwrap().value, 0);
    }

    #[test]
    fn futexes_of_different_processes_do_not_meet() {
        let h = Harness::new();
        let p = h.process(None);
        let q = h.process(None);
        let w = p.alloc(4);
        let j = start_wait(&h, &p, w, FUTEX_WAIT, 0);
        assert_eq!(futex(&q, w, FUTEX_WAKE, 1, 0, 0, 0), 0);
        assert_eq!(futex(&p, w, FUTEX_WAKE, 1, 0, 0, 0), 1);
        assert_eq!(j.join().unwrap().value, 0);
    }

    #[test]
    fn robust_list_round_trips_and_checks_the_size() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_set_robust_list, &[0x4000, 24]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_set_robust_list, &[0x4000, 12]), 0);
        let b = p.alloc(8);
        assert_eq!(p.sys(SYS_get_robust_list, &[0, u64::from(b), u64::from(b + 4)]), 0);
        assert_eq!((p.read_u32(b), p.read_u32(b + 4)), (0x4000, 12));
        assert_eq!(p.sys(SYS_get_robust_list, &[4242, u64::from(b), u64::from(b + 4)]), e(Errno::ESRCH));
    }
}
