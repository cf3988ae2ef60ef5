//! POSIX per-process timers: timer_create, timer_settime, timer_gettime,
//! timer_getoverrun, timer_delete.
//!
//! Clocks: REALTIME, MONOTONIC, BOOTTIME, TAI, and the alarm clocks for
//! root; the CPU-time clocks are `EINVAL` (no CPU accounting).
//! Notification: `SIGEV_SIGNAL` (to the process), `SIGEV_THREAD_ID` (to
//! one thread of the process: what musl's `SIGEV_THREAD` emulation
//! uses), `SIGEV_NONE`; plain `SIGEV_THREAD` is libc's business
//! (`EINVAL` here, as on Linux). The signal carries `si_code =
//! SI_TIMER`, the timer id, the overrun count and `sigev_value`. While
//! the timer's signal is still pending, further expirations only count
//! as overruns (one queued signal per timer, as Linux). Timers belong to
//! the process: not inherited, deleted at exit.

use wasmpod_abi::signal::{self as sig, sigbit, sigevent};
use wasmpod_abi::time::{self as t, itimerspec, timespec};

use super::clock::clock_now;
use super::{periodic_next, TimerEvent, TimerKey};
use crate::error::Result;
use crate::kernel::{Ctx, State};
use crate::process::{Pid, Tid};
use crate::return_errno;
use crate::signal::kill::{generate, Target};
use crate::signal::SigInfo;
use crate::syscall::SyscallArgs;
use wasmpod_abi::misc::RLIMIT_SIGPENDING;

/// How a timer tells its expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    None,
    /// A signal to the process (`Some(tid)`: to that thread).
    Signal {
        signo: u32,
        value: i32,
        thread: Option<Tid>,
    },
}

/// One timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixTimer {
    pub clock: u32,
    pub notify: Notify,
    /// The queued next expiry, when armed.
    pub key: Option<TimerKey>,
    pub interval: u64,
    /// Expirations not signalled because the signal was still pending.
    pub overrun_acc: u64,
    /// The overrun count of the last signalled expiry (timer_getoverrun).
    pub last_overrun: i32,
}

/// Whether the signal of timer `id` is still pending at its target.
fn signal_pending(st: &State, pid: Pid, id: i32, signo: u32, thread: Option<Tid>) -> bool {
    let set = match thread {
        Some(tid) => st.procs.threads.get(&tid).map(|t| &t.signals.pending),
        None => st.procs.procs.get(&pid).map(|p| &p.signals.pending),
    };
    set.is_some_and(|s| {
        s.bits & sigbit(signo) != 0
            && s.queue.iter().any(|i| i.code == sig::SI_TIMER && i.pid == id && i.signo == signo)
    })
}

/// Fires timer `id` of `pid` queued under `key`.
pub fn fire(st: &mut State, pid: Pid, id: i32, key: TimerKey, now: u64) {
    let Some(mut tm) = st.time.posix_timers.get(&(pid, id)).copied() else { return };
    if tm.key != Some(key) {
        return;
    }
    let n = if tm.interval > 0 {
        let (at, n) = periodic_next(key.0, tm.interval, now);
        tm.key = Some(st.time.add_timer(at, TimerEvent::Posix(pid, id)));
        n
    } else {
        tm.key = None;
        1
    };
    if let Notify::Signal { signo, value, thread } = tm.notify {
        if signal_pending(st, pid, id, signo, thread) {
            tm.overrun_acc = tm.overrun_acc.saturating_add(n);
        } else {
            let ov = tm.overrun_acc.saturating_add(n - 1);
            tm.last_overrun = ov.min(i32::MAX as u64) as i32;
            tm.overrun_acc = 0;
            let info =
                SigInfo { signo, code: sig::SI_TIMER, pid: id, uid: tm.last_overrun as u32, status: value, errno: 0 };
            let target = thread.map_or(Target::Process(pid), Target::Thread);
            let _ = generate(st, target, info);
        }
    }
    st.time.posix_timers.insert((pid, id), tm);
}

/// Drops every timer of `pid` (exit).
pub fn remove_all(st: &mut State, pid: Pid) {
    let ids: Vec<(Pid, i32)> = st.time.posix_timers.range((pid, 0)..=(pid, i32::MAX)).map(|(k, _)| *k).collect();
    for k in ids {
        if let Some(tm) = st.time.posix_timers.remove(&k) {
            if let Some(key) = tm.key {
                st.time.cancel_timer(key);
            }
        }
    }
}

fn timer_of(ctx: &Ctx, id: i32) -> Result<PosixTimer> {
    match ctx.st.time.posix_timers.get(&(ctx.pid(), id)) {
        Some(t) => Ok(*t),
        None => return_errno!(EINVAL, "no such timer"),
    }
}

fn signal_number(signo: i32) -> Result<u32> {
    if !(1..=sig::SIGRTMAX as i32).contains(&signo) {
        return_errno!(EINVAL, "sigev_signo out of range");
    }
    Ok(signo as u32)
}

/// Implements timer_create(2): `(clockid, sevp, timerid)`. A NULL `sevp`
/// means SIGALRM with the timer id as value. `EAGAIN` beyond
/// `RLIMIT_SIGPENDING` timers per process (each holds a queued signal).
pub fn sys_timer_create(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (clock, sevp, idp) = (a.u32(0), a.ptr(1), a.ptr(2));
    match clock {
        t::CLOCK_REALTIME | t::CLOCK_MONOTONIC | t::CLOCK_BOOTTIME | t::CLOCK_TAI => {}
        t::CLOCK_REALTIME_ALARM | t::CLOCK_BOOTTIME_ALARM => {
            if !ctx.process().creds.is_root() {
                return_errno!(EPERM, "alarm clocks need CAP_WAKE_ALARM");
            }
        }
        _ => return_errno!(EINVAL, "timer_create: unsupported clock"),
    }
    let pid = ctx.pid();
    let used: Vec<i32> = ctx.st.time.posix_timers.range((pid, 0)..=(pid, i32::MAX)).map(|(k, _)| k.1).collect();
    let id = (0..).zip(used.iter()).find(|(i, u)| i != *u).map_or(used.len() as i32, |(i, _)| i);
    let notify = if sevp == 0 {
        Notify::Signal { signo: sig::SIGALRM, value: id, thread: None }
    } else {
        let ev: sigevent = ctx.read_struct(sevp)?;
        match ev.sigev_notify {
            sig::SIGEV_NONE => Notify::None,
            sig::SIGEV_SIGNAL => {
                Notify::Signal { signo: signal_number(ev.sigev_signo)?, value: ev.sigev_value, thread: None }
            }
            sig::SIGEV_THREAD_ID => {
                let tid = ev.sigev_notify_thread_id;
                let ok = ctx.st.procs.threads.get(&tid).is_some_and(|t| t.pid == pid && !t.exited);
                if !ok {
                    return_errno!(EINVAL, "sigev_notify_thread_id is not a thread of the caller");
                }
                Notify::Signal { signo: signal_number(ev.sigev_signo)?, value: ev.sigev_value, thread: Some(tid) }
            }
            _ => return_errno!(EINVAL, "timer_create: unsupported sigev_notify"),
        }
    };
    if used.len() as u64 >= ctx.process().rlimits[RLIMIT_SIGPENDING as usize].cur {
        return_errno!(EAGAIN, "timer_create: too many timers");
    }
    ctx.write_u32(idp, id as u32)?;
    let tm = PosixTimer { clock, notify, key: None, interval: 0, overrun_acc: 0, last_overrun: 0 };
    ctx.st.time.posix_timers.insert((pid, id), tm);
    Ok(0)
}

fn current(ctx: &Ctx, tm: &PosixTimer) -> itimerspec {
    let left = tm.key.map_or(0, |k| k.0.saturating_sub(ctx.now()));
    let (v, i) = (timespec::from_nanos(left), timespec::from_nanos(tm.interval));
    itimerspec {
        it_interval_sec: i.tv_sec,
        it_interval_nsec: i.tv_nsec,
        it_value_sec: v.tv_sec,
        it_value_nsec: v.tv_nsec,
    }
}

/// Implements timer_settime(2): `(timerid, flags, new_value, old_value)`;
/// `TIMER_ABSTIME` takes `it_value` as a time on the timer's clock.
pub fn sys_timer_settime(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (id, flags, new, old) = (a.i32(0), a.u32(1), a.ptr(2), a.ptr(3));
    let mut tm = timer_of(ctx, id)?;
    if new == 0 {
        return_errno!(EINVAL, "timer_settime: new_value is NULL");
    }
    let nv: itimerspec = ctx.read_struct(new)?;
    let value = timespec { tv_sec: nv.it_value_sec, tv_nsec: nv.it_value_nsec };
    let interval = timespec { tv_sec: nv.it_interval_sec, tv_nsec: nv.it_interval_nsec };
    if !value.is_valid() || !interval.is_valid() {
        return_errno!(EINVAL, "timer_settime: invalid itimerspec");
    }
    let prev = current(ctx, &tm);
    if let Some(k) = tm.key.take() {
        ctx.st.time.cancel_timer(k);
    }
    let now = ctx.now();
    let pid = ctx.pid();
    tm.interval = interval.as_nanos();
    tm.overrun_acc = 0;
    if value.as_nanos() > 0 {
        let at = if flags & t::TIMER_ABSTIME != 0 {
            now.saturating_add(value.as_nanos().saturating_sub(clock_now(ctx, tm.clock)?))
        } else {
            now.saturating_add(value.as_nanos())
        };
        tm.key = Some(ctx.st.time.add_timer(at, TimerEvent::Posix(pid, id)));
    }
    ctx.st.time.posix_timers.insert((pid, id), tm);
    if old != 0 {
        ctx.write_struct(old, &prev)?;
    }
    ctx.notify();
    Ok(0)
}

/// Implements timer_gettime(2): `(timerid, curr_value)`.
pub fn sys_timer_gettime(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let tm = timer_of(ctx, a.i32(0))?;
    let cur = current(ctx, &tm);
    ctx.write_struct(a.ptr(1), &cur)?;
    Ok(0)
}

/// Implements timer_getoverrun(2): the overrun count of the last
/// signalled expiry.
pub fn sys_timer_getoverrun(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(timer_of(ctx, a.i32(0))?.last_overrun))
}

/// Implements timer_delete(2). A signal already queued stays pending.
pub fn sys_timer_delete(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let id = a.i32(0);
    let tm = timer_of(ctx, id)?;
    if let Some(k) = tm.key {
        ctx.st.time.cancel_timer(k);
    }
    let pid = ctx.pid();
    ctx.st.time.posix_timers.remove(&(pid, id));
    Ok(0)
}
