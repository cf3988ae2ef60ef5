//! Clocks: clock_gettime, clock_getres, clock_settime, gettimeofday,
//! settimeofday.
//!
//! - `CLOCK_REALTIME` (and `_COARSE`, `_ALARM`, `CLOCK_TAI`, whose offset
//!   is 0 as on a Linux without a leap-second table): the host's wall
//!   clock plus the offset root set.
//! - `CLOCK_MONOTONIC` (and `_RAW`, `_COARSE`, `CLOCK_BOOTTIME`,
//!   `_ALARM`): the platform's monotonic clock (the pod never suspends).
//! - `CLOCK_PROCESS_CPUTIME_ID`, `CLOCK_THREAD_CPUTIME_ID`: approximated
//!   by the monotonic time since the process started (no CPU accounting).
//!
//! Resolution: 1 ns for all clocks but the `_COARSE` ones, which read in
//! 4 ms steps (a 250 Hz tick, the Debian kernel's `CONFIG_HZ`).

use wasmpod_abi::time::{self as t, timespec, timeval, timezone};

use crate::error::Result;
use crate::kernel::Ctx;
use crate::platform::ClockKind;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// The resolution of the `_COARSE` clocks.
pub const COARSE_RES_NS: u64 = 4_000_000;

/// The pod's wall clock (ns since the epoch).
pub fn realtime_now(ctx: &Ctx) -> u64 {
    let host = i128::from(ctx.platform().now(ClockKind::Realtime));
    (host + i128::from(ctx.st.time.realtime_offset)).clamp(0, i128::from(u64::MAX)) as u64
}

/// Reads clock `clk` in ns (`EINVAL` for an unknown clock).
pub fn clock_now(ctx: &Ctx, clk: u32) -> Result<u64> {
    Ok(match clk {
        t::CLOCK_REALTIME | t::CLOCK_REALTIME_ALARM | t::CLOCK_TAI => realtime_now(ctx),
        t::CLOCK_REALTIME_COARSE => realtime_now(ctx) / COARSE_RES_NS * COARSE_RES_NS,
        t::CLOCK_MONOTONIC | t::CLOCK_MONOTONIC_RAW | t::CLOCK_BOOTTIME | t::CLOCK_BOOTTIME_ALARM => ctx.now(),
        t::CLOCK_MONOTONIC_COARSE => ctx.now() / COARSE_RES_NS * COARSE_RES_NS,
        t::CLOCK_PROCESS_CPUTIME_ID | t::CLOCK_THREAD_CPUTIME_ID => ctx.now().saturating_sub(ctx.process().start_time),
        _ => return_errno!(EINVAL, "unknown clock"),
    })
}

/// Implements clock_gettime(2): `(clockid, tp)`.
pub fn sys_clock_gettime(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let now = clock_now(ctx, a.u32(0))?;
    ctx.write_struct(a.ptr(1), &timespec::from_nanos(now))?;
    Ok(0)
}

/// Implements clock_getres(2): `(clockid, res)`; `res` may be NULL.
pub fn sys_clock_getres(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let clk = a.u32(0);
    clock_now(ctx, clk)?;
    let res = if matches!(clk, t::CLOCK_REALTIME_COARSE | t::CLOCK_MONOTONIC_COARSE) { COARSE_RES_NS } else { 1 };
    if a.ptr(1) != 0 {
        ctx.write_struct(a.ptr(1), &timespec::from_nanos(res))?;
    }
    Ok(0)
}

/// Sets the pod's wall clock to `ns` (root only: `EPERM`).
fn set_realtime(ctx: &mut Ctx, ns: u64) -> Result<()> {
    if !ctx.process().creds.is_root() {
        return_errno!(EPERM, "setting the clock needs root");
    }
    let host = i128::from(ctx.platform().now(ClockKind::Realtime));
    let off = (i128::from(ns) - host).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    ctx.st.time.realtime_offset = off;
    ctx.notify();
    Ok(())
}

/// Implements clock_settime(2): `(clockid, tp)`. Only `CLOCK_REALTIME`
/// can be set (`EINVAL` for the others), only by root (`EPERM`), after
/// the timespec is checked (`EINVAL`).
pub fn sys_clock_settime(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let clk = a.u32(0);
    let ts: timespec = ctx.read_struct(a.ptr(1))?;
    clock_now(ctx, clk)?;
    if clk != t::CLOCK_REALTIME {
        return_errno!(EINVAL, "clock_settime: clock can't be set");
    }
    if !ts.is_valid() {
        return_errno!(EINVAL, "clock_settime: invalid timespec");
    }
    set_realtime(ctx, ts.as_nanos())?;
    Ok(0)
}

/// Implements gettimeofday(2): `(tv, tz)`, either may be NULL; the
/// timezone is always UTC (zeros).
pub fn sys_gettimeofday(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let now = realtime_now(ctx);
    if a.ptr(0) != 0 {
        let tv = timeval { tv_sec: (now / 1_000_000_000) as i64, tv_usec: ((now % 1_000_000_000) / 1000) as i64 };
        ctx.write_struct(a.ptr(0), &tv)?;
    }
    if a.ptr(1) != 0 {
        ctx.write_struct(a.ptr(1), &timezone::default())?;
    }
    Ok(0)
}

/// Implements settimeofday(2): `(tv, tz)`. `EINVAL` for a bad timeval,
/// `EPERM` for non-root; the timezone is ignored.
pub fn sys_settimeofday(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let tv = if a.ptr(0) != 0 { Some(ctx.read_struct::<timeval>(a.ptr(0))?) } else { None };
    if let Some(tv) = tv {
        if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
            return_errno!(EINVAL, "settimeofday: invalid timeval");
        }
    }
    if !ctx.process().creds.is_root() {
        return_errno!(EPERM, "setting the clock needs root");
    }
    if let Some(tv) = tv {
        let ns = (tv.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(tv.tv_usec as u64 * 1000);
        set_realtime(ctx, ns)?;
    }
    Ok(0)
}
