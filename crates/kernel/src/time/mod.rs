//! Clocks, sleeps and kernel timers: clock_gettime/getres/settime,
//! gettimeofday/settimeofday (`clock.rs`), nanosleep and clock_nanosleep
//! (`nanosleep.rs`), interval timers (`itimer.rs`, which also serve
//! alarm(3): musl implements it with setitimer) and timerfd
//! (`timerfd.rs`).
//!
//! All time comes from the [`crate::Platform`] clock, so tests move it
//! with the fake platform. Kernel timers sit in one deadline-ordered queue
//! in [`TimeGlobal`]; [`run_expired_timers`] fires the due ones at every
//! syscall entry and after every wake-up, and sleepers bound their sleep
//! by [`TimeGlobal::next_deadline`], so a timer fires on time even when
//! no thread enters the kernel.
//!
//! POSIX timers (timer_create & co.) are in `posix_timer.rs`.
//!
//! Not done: CPU-time accounting (ITIMER_VIRTUAL/ITIMER_PROF are stored but never
//! fire; the CPU-time clocks report time since the process started),
//! `TFD_TIMER_CANCEL_ON_SET` (accepted, never cancels), absolute
//! CLOCK_REALTIME timers and sleeps following a later clock_settime (their
//! deadline is fixed on the monotonic clock when armed), clocks of other
//! processes (negative clock ids are EINVAL), adjtimex.

pub mod clock;
pub mod itimer;
pub mod nanosleep;
pub mod posix_timer;
pub mod timerfd;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Weak;

use wasmpod_abi::syscalls::*;

use crate::kernel::Ctx;
use crate::process::Pid;
use crate::syscall::{partial, sup, Entry};

/// A key in the timer queue: `(deadline, sequence number)`.
pub type TimerKey = (u64, u64);

/// What a queued timer does when it expires.
#[derive(Clone, Debug)]
pub enum TimerEvent {
    /// The ITIMER_REAL timer of a process: SIGALRM (and re-arm).
    ItimerReal(Pid),
    /// A timerfd: count expirations, wake readers and pollers.
    TimerFd(Weak<timerfd::TimerFdShared>),
    /// POSIX timer `(pid, timer id)`.
    Posix(Pid, i32),
}

/// Kernel-wide time state.
pub struct TimeGlobal {
    /// Monotonic ns at boot (uptime is measured from here).
    pub boot: u64,
    /// Nanoseconds added to the platform's wall clock: what root's
    /// clock_settime/settimeofday changed (the host clock is never set).
    pub realtime_offset: i64,
    /// Interval timers per process.
    pub itimers: BTreeMap<Pid, itimer::ProcessItimers>,
    /// POSIX timers by `(pid, timer id)`.
    pub posix_timers: BTreeMap<(Pid, i32), posix_timer::PosixTimer>,
    timers: BTreeMap<TimerKey, TimerEvent>,
    seq: u64,
}

impl TimeGlobal {
    pub fn new(boot: u64) -> Self {
        TimeGlobal {
            boot,
            realtime_offset: 0,
            itimers: BTreeMap::new(),
            posix_timers: BTreeMap::new(),
            timers: BTreeMap::new(),
            seq: 0,
        }
    }

    /// The earliest pending timer deadline (monotonic ns).
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.first_key_value().map(|(k, _)| k.0)
    }

    /// Queues `ev` at monotonic `deadline`.
    pub fn add_timer(&mut self, deadline: u64, ev: TimerEvent) -> TimerKey {
        self.seq += 1;
        let key = (deadline, self.seq);
        self.timers.insert(key, ev);
        key
    }

    /// Removes a queued timer (no-op if it already fired).
    pub fn cancel_timer(&mut self, key: TimerKey) {
        self.timers.remove(&key);
    }

    /// Number of queued timers (for tests and /proc).
    pub fn queued(&self) -> usize {
        self.timers.len()
    }
}

/// Drops the interval and POSIX timers of process `pid` (called when it
/// exits; execve keeps interval timers, as Linux does, and should call
/// [`posix_timer::remove_all`], as Linux deletes POSIX timers at exec).
pub fn on_exit(st: &mut crate::kernel::State, pid: Pid) {
    posix_timer::remove_all(st, pid);
    if let Some(it) = st.time.itimers.remove(&pid) {
        if let Some(k) = it.real.key {
            st.time.cancel_timer(k);
        }
    }
}

/// The next expiry of a periodic timer that was due at `due`: the first
/// `due + k * interval` after `now`, and the number of expirations
/// (`k`) that passed. `interval` must be non-zero.
pub fn periodic_next(due: u64, interval: u64, now: u64) -> (u64, u64) {
    let k = now.saturating_sub(due) / interval + 1;
    (due.saturating_add(k.saturating_mul(interval)), k)
}

/// Fires every timer whose deadline has passed.
pub fn run_expired_timers(ctx: &mut Ctx) {
    // Called on every syscall: without timers, don't even read the clock.
    if ctx.st.time.timers.is_empty() {
        return;
    }
    let now = ctx.now();
    while let Some((&key, _)) = ctx.st.time.timers.first_key_value() {
        if key.0 > now {
            break;
        }
        let Some(ev) = ctx.st.time.timers.remove(&key) else { break };
        match ev {
            TimerEvent::ItimerReal(pid) => itimer::fire_real(&mut ctx.st, pid, key, now),
            TimerEvent::Posix(pid, id) => posix_timer::fire(&mut ctx.st, pid, id, key, now),
            TimerEvent::TimerFd(weak) => {
                if let Some(tf) = weak.upgrade() {
                    tf.fire(&mut ctx.st, key, now);
                }
                ctx.notify();
            }
        }
    }
}

pub const SYSCALLS: &[Entry] = &[
    sup(SYS_clock_gettime, clock::sys_clock_gettime),
    sup(SYS_clock_getres, clock::sys_clock_getres),
    partial(SYS_clock_settime, clock::sys_clock_settime, "CLOCK_REALTIME only; shifts the pod's wall clock"),
    sup(SYS_gettimeofday, clock::sys_gettimeofday),
    partial(SYS_settimeofday, clock::sys_settimeofday, "root only; shifts the pod's wall clock; timezone ignored"),
    sup(SYS_nanosleep, nanosleep::sys_nanosleep),
    partial(SYS_clock_nanosleep, nanosleep::sys_clock_nanosleep, "absolute REALTIME sleeps ignore later clock changes"),
    partial(SYS_getitimer, itimer::sys_getitimer, "ITIMER_VIRTUAL/ITIMER_PROF are stored but never run down"),
    partial(SYS_setitimer, itimer::sys_setitimer, "ITIMER_VIRTUAL/ITIMER_PROF are stored but never fire"),
    partial(SYS_timerfd_create, timerfd::sys_timerfd_create, "alarm clocks need root"),
    partial(SYS_timerfd_settime, timerfd::sys_timerfd_settime, "TFD_TIMER_CANCEL_ON_SET never cancels"),
    sup(SYS_timerfd_gettime, timerfd::sys_timerfd_gettime),
    partial(SYS_timer_create, posix_timer::sys_timer_create, "no CPU-time clocks; SIGEV_THREAD is libc's"),
    sup(SYS_timer_settime, posix_timer::sys_timer_settime),
    sup(SYS_timer_gettime, posix_timer::sys_timer_gettime),
    sup(SYS_timer_getoverrun, posix_timer::sys_timer_getoverrun),
    sup(SYS_timer_delete, posix_timer::sys_timer_delete),
];
