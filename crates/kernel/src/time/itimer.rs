//! Interval timers: setitimer and getitimer (alarm(3) is setitimer in
//! musl; asm-generic has no alarm syscall).
//!
//! `ITIMER_REAL` runs on the monotonic clock and sends SIGALRM to the
//! process when it expires, re-arming with the interval (expirations
//! missed while nobody ran coalesce into one signal, like Linux's
//! `hrtimer_forward`). `ITIMER_VIRTUAL` and `ITIMER_PROF` are stored and
//! read back but never run down: there is no CPU-time accounting.
//! Timers belong to the process (kept across execve, not inherited by
//! children).

use wasmpod_abi::signal as sig;
use wasmpod_abi::time::{self as t, itimerval};

use super::{periodic_next, TimerEvent, TimerKey};
use crate::error::Result;
use crate::kernel::{Ctx, State};
use crate::process::{Pid, ProcState};
use crate::return_errno;
use crate::signal::kill::{generate, Target};
use crate::signal::SigInfo;
use crate::syscall::SyscallArgs;

/// The ITIMER_REAL timer of a process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RealTimer {
    /// The queued expiry (its key in the timer queue), when armed.
    pub key: Option<TimerKey>,
    pub interval: u64,
}

/// A process's three interval timers. The CPU-time ones hold
/// `(value, interval)` as set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessItimers {
    pub real: RealTimer,
    pub virt: (u64, u64),
    pub prof: (u64, u64),
}

/// Fires the ITIMER_REAL timer of `pid` queued under `key`.
pub fn fire_real(st: &mut State, pid: Pid, key: TimerKey, now: u64) {
    let alive = st.procs.procs.get(&pid).is_some_and(|p| p.state == ProcState::Running && p.exiting.is_none());
    if !alive {
        st.time.itimers.remove(&pid);
        return;
    }
    let Some(it) = st.time.itimers.get(&pid).copied() else { return };
    if it.real.key != Some(key) {
        return;
    }
    let next = if it.real.interval > 0 {
        let (at, _) = periodic_next(key.0, it.real.interval, now);
        Some(st.time.add_timer(at, TimerEvent::ItimerReal(pid)))
    } else {
        None
    };
    if let Some(it) = st.time.itimers.get_mut(&pid) {
        it.real.key = next;
    }
    let _ = generate(st, Target::Process(pid), SigInfo::kernel(sig::SIGALRM));
}

fn tv_ns(sec: i64, usec: i64) -> Result<u64> {
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return_errno!(EINVAL, "invalid timeval");
    }
    Ok((sec as u64).saturating_mul(1_000_000_000).saturating_add(usec as u64 * 1000))
}

fn ns_tv(ns: u64) -> (i64, i64) {
    ((ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64)
}

/// The current `(value, interval)` of timer `which` of the caller.
fn current(ctx: &Ctx, which: u32) -> (u64, u64) {
    let it = ctx.st.time.itimers.get(&ctx.pid()).copied().unwrap_or_default();
    match which {
        t::ITIMER_REAL => {
            // Linux reports at least 1 µs for an armed timer that is due.
            let left = it.real.key.map_or(0, |k| k.0.saturating_sub(ctx.now()).max(1000));
            (left, it.real.interval)
        }
        t::ITIMER_VIRTUAL => it.virt,
        _ => it.prof,
    }
}

fn encode(v: (u64, u64)) -> itimerval {
    let (vs, vu) = ns_tv(v.0);
    let (is, iu) = ns_tv(v.1);
    itimerval { it_interval_sec: is, it_interval_usec: iu, it_value_sec: vs, it_value_usec: vu }
}

fn check_which(which: u32) -> Result<()> {
    if which > t::ITIMER_PROF {
        return_errno!(EINVAL, "invalid interval timer");
    }
    Ok(())
}

/// Implements getitimer(2): `(which, curr_value)`.
pub fn sys_getitimer(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let which = a.u32(0);
    check_which(which)?;
    let v = encode(current(ctx, which));
    ctx.write_struct(a.ptr(1), &v)?;
    Ok(0)
}

/// Implements setitimer(2): `(which, new_value, old_value)`. A zero
/// `it_value` disarms; a NULL `new_value` counts as zero (Linux's
/// historical behaviour). `EINVAL` for a bad `which` or timeval.
pub fn sys_setitimer(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (which, new, old) = (a.u32(0), a.ptr(1), a.ptr(2));
    check_which(which)?;
    let nv = if new != 0 { ctx.read_struct::<itimerval>(new)? } else { itimerval::default() };
    let value = tv_ns(nv.it_value_sec, nv.it_value_usec)?;
    let interval = tv_ns(nv.it_interval_sec, nv.it_interval_usec)?;
    let prev = current(ctx, which);
    let pid = ctx.pid();
    let now = ctx.now();
    let mut it = ctx.st.time.itimers.get(&pid).copied().unwrap_or_default();
    match which {
        t::ITIMER_REAL => {
            if let Some(k) = it.real.key.take() {
                ctx.st.time.cancel_timer(k);
            }
            it.real.interval = interval;
            if value > 0 {
                it.real.key = Some(ctx.st.time.add_timer(now.saturating_add(value), TimerEvent::ItimerReal(pid)));
            }
        }
        t::ITIMER_VIRTUAL => it.virt = if value > 0 { (value, interval) } else { (0, 0) },
        _ => it.prof = if value > 0 { (value, interval) } else { (0, 0) },
    }
    ctx.st.time.itimers.insert(pid, it);
    if old != 0 {
        ctx.write_struct(old, &encode(prev))?;
    }
    ctx.notify();
    Ok(0)
}
