//! timerfd: timers read through a file descriptor (timerfd_create(2)).
//!
//! A read returns the number of expirations since the last read (or
//! settime) as an 8-byte integer, blocking until the first one unless the
//! file is non-blocking (`EAGAIN`); buffers under 8 bytes are `EINVAL`.
//! The file polls readable while expirations are unread. Expirations are
//! counted from the clock on every look, and a queued kernel timer wakes
//! readers and pollers at each expiry.

use std::any::Any;
use std::sync::Arc;

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::{O_NONBLOCK, O_RDWR};
use wasmpod_abi::misc::RLIMIT_NOFILE;
use wasmpod_abi::poll::POLLIN;
use wasmpod_abi::time::{self as t, itimerspec, timespec};
use wasmpod_abi::Errno;

use super::clock::clock_now;
use super::{periodic_next, TimerEvent, TimerKey};
use crate::error::{Restart, Result};
use crate::fs::{FileOps, Metadata, OpenFile};
use crate::kernel::{Ctx, State};
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// The timer state (shared with the timer queue through a `Weak`).
#[derive(Debug, Default)]
struct TimerState {
    /// Next expiry (monotonic ns), when armed.
    deadline: Option<u64>,
    interval: u64,
    /// Expirations not yet read.
    ticks: u64,
    /// The queued wake-up for `deadline`.
    key: Option<TimerKey>,
}

impl TimerState {
    /// Counts the expirations up to `now`.
    fn update(&mut self, now: u64) {
        let Some(d) = self.deadline else { return };
        if now < d {
            return;
        }
        if self.interval > 0 {
            let (next, n) = periodic_next(d, self.interval, now);
            self.ticks = self.ticks.saturating_add(n);
            self.deadline = Some(next);
        } else {
            self.ticks = self.ticks.saturating_add(1);
            self.deadline = None;
        }
    }
}

/// The part of a timerfd the timer queue points at.
#[derive(Debug)]
pub struct TimerFdShared {
    clock: u32,
    state: Mutex<TimerState>,
}

impl TimerFdShared {
    /// The queued wake-up `key` expired: count, and queue the next one.
    pub fn fire(self: &Arc<Self>, st: &mut State, key: TimerKey, now: u64) {
        let mut s = self.state.lock();
        if s.key != Some(key) {
            return;
        }
        s.update(now);
        s.key = s.deadline.map(|d| st.time.add_timer(d, TimerEvent::TimerFd(Arc::downgrade(self))));
    }
}

/// An open timerfd.
pub struct TimerFd {
    shared: Arc<TimerFdShared>,
}

impl FileOps for TimerFd {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < 8 {
            return_errno!(EINVAL, "timerfd read buffer under 8 bytes");
        }
        let ticks = loop {
            let deadline = self.shared.state.lock().deadline;
            let r = ctx.wait_until(deadline, Restart::IfSaRestart, |ctx| {
                let mut s = self.shared.state.lock();
                s.update(ctx.now());
                if s.ticks > 0 {
                    return Ok(Some(std::mem::take(&mut s.ticks)));
                }
                if file.nonblocking() {
                    return_errno!(EAGAIN, "no timerfd expirations");
                }
                Ok(None)
            });
            match r {
                Err(e) if e.errno() == Errno::ETIMEDOUT => continue,
                r => break r?,
            }
        };
        buf[..8].copy_from_slice(&ticks.to_le_bytes());
        Ok(8)
    }

    fn poll(&self, ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        let mut s = self.shared.state.lock();
        s.update(ctx.now());
        if s.ticks > 0 {
            POLLIN
        } else {
            0
        }
    }

    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        // An anonymous inode: mode 0600 and no file type bits, as Linux.
        Ok(Metadata { mode: 0o600, nlink: 1, blksize: 4096, ..Default::default() })
    }

    fn describe(&self) -> String {
        "anon_inode:[timerfd]".into()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Implements timerfd_create(2): `(clockid, flags)`. Clocks: REALTIME,
/// MONOTONIC, BOOTTIME, and the alarm clocks for root (`EPERM`
/// otherwise); `EINVAL` for others and for unknown flags.
pub fn sys_timerfd_create(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (clock, flags) = (a.u32(0), a.u32(1));
    match clock {
        t::CLOCK_REALTIME | t::CLOCK_MONOTONIC | t::CLOCK_BOOTTIME => {}
        t::CLOCK_REALTIME_ALARM | t::CLOCK_BOOTTIME_ALARM => {
            if !ctx.process().creds.is_root() {
                return_errno!(EPERM, "alarm clocks need CAP_WAKE_ALARM");
            }
        }
        _ => return_errno!(EINVAL, "timerfd_create: unsupported clock"),
    }
    if flags & !(t::TFD_CLOEXEC | t::TFD_NONBLOCK) != 0 {
        return_errno!(EINVAL, "timerfd_create: unknown flags");
    }
    let ops = Arc::new(TimerFd { shared: Arc::new(TimerFdShared { clock, state: Mutex::new(TimerState::default()) }) });
    let file = OpenFile::new(ops, O_RDWR | (flags & O_NONBLOCK));
    let limit = ctx.process().rlimits[RLIMIT_NOFILE as usize].cur;
    let fd = ctx.process_mut().files.alloc(file, flags & t::TFD_CLOEXEC != 0, 0, limit)?;
    Ok(i64::from(fd))
}

/// The timerfd behind `fd` (`EBADF`, or `EINVAL` for another kind of file).
fn timerfd_of(ctx: &Ctx, fd: i32) -> Result<Arc<TimerFdShared>> {
    let file = ctx.file(fd)?;
    let tf = file.ops.as_any().downcast_ref::<TimerFd>().ok_or(errno!(EINVAL, "fd is not a timerfd"))?;
    Ok(tf.shared.clone())
}

/// The current setting as an `itimerspec` (time left, interval).
fn current(ctx: &Ctx, tf: &TimerFdShared) -> itimerspec {
    let now = ctx.now();
    let mut s = tf.state.lock();
    s.update(now);
    let left = s.deadline.map_or(0, |d| d.saturating_sub(now));
    let (v, i) = (timespec::from_nanos(left), timespec::from_nanos(s.interval));
    itimerspec {
        it_interval_sec: i.tv_sec,
        it_interval_nsec: i.tv_nsec,
        it_value_sec: v.tv_sec,
        it_value_nsec: v.tv_nsec,
    }
}

/// Implements timerfd_settime(2): `(fd, flags, new_value, old_value)`.
/// A zero `it_value` disarms; `TFD_TIMER_ABSTIME` takes `it_value` as a
/// time on the timer's clock (in the past: expires at once). Arming or
/// disarming drops unread expirations.
pub fn sys_timerfd_settime(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, flags, new, old) = (a.fd(0), a.u32(1), a.ptr(2), a.ptr(3));
    let tf = timerfd_of(ctx, fd)?;
    if flags & !(t::TFD_TIMER_ABSTIME | t::TFD_TIMER_CANCEL_ON_SET) != 0 {
        return_errno!(EINVAL, "timerfd_settime: unknown flags");
    }
    let nv: itimerspec = ctx.read_struct(new)?;
    let value = timespec { tv_sec: nv.it_value_sec, tv_nsec: nv.it_value_nsec };
    let interval = timespec { tv_sec: nv.it_interval_sec, tv_nsec: nv.it_interval_nsec };
    if !value.is_valid() || !interval.is_valid() {
        return_errno!(EINVAL, "timerfd_settime: invalid itimerspec");
    }
    let prev = current(ctx, &tf);
    let now = ctx.now();
    let deadline = if value.as_nanos() == 0 {
        None
    } else if flags & t::TFD_TIMER_ABSTIME != 0 {
        let clk_now = clock_now(ctx, tf.clock)?;
        Some(now.saturating_add(value.as_nanos().saturating_sub(clk_now)))
    } else {
        Some(now.saturating_add(value.as_nanos()))
    };
    {
        let mut s = tf.state.lock();
        if let Some(k) = s.key.take() {
            ctx.st.time.cancel_timer(k);
        }
        *s = TimerState { deadline, interval: interval.as_nanos(), ticks: 0, key: None };
        s.key = deadline.map(|d| ctx.st.time.add_timer(d, TimerEvent::TimerFd(Arc::downgrade(&tf))));
    }
    if old != 0 {
        ctx.write_struct(old, &prev)?;
    }
    ctx.notify();
    Ok(0)
}

/// Implements timerfd_gettime(2): `(fd, curr_value)`: time to the next
/// expiry (zero when disarmed) and the interval.
pub fn sys_timerfd_gettime(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let tf = timerfd_of(ctx, a.fd(0))?;
    let cur = current(ctx, &tf);
    ctx.write_struct(a.ptr(1), &cur)?;
    Ok(0)
}
