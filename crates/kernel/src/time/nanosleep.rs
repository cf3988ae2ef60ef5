//! Sleeping: nanosleep and clock_nanosleep.
//!
//! Both sleep with [`Restart::IfNoHandler`]: after a signal handler they
//! fail with `EINTR` (even with `SA_RESTART`, signal(7)) and write the
//! unslept time to `rem` for relative sleeps; after a signal that runs no
//! handler (a stop and continue) the call restarts and a relative sleep
//! sleeps only what was left (Linux's restart block, kept in
//! `ThreadSignals::restart_deadline`).

use wasmpod_abi::time::{self as t, timespec};
use wasmpod_abi::Errno;

use super::clock::clock_now;
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Sleeps until monotonic `deadline`. Interrupted: writes the rest to
/// `rem` (if non-zero) and remembers the deadline for a restart when
/// `relative`.
fn sleep_until(ctx: &mut Ctx, deadline: u64, rem: u32, relative: bool) -> Result<i64> {
    match ctx.wait_until(Some(deadline), Restart::IfNoHandler, |ctx| Ok((ctx.now() >= deadline).then_some(()))) {
        Ok(()) => Ok(0),
        Err(e) if e.errno() == Errno::ETIMEDOUT => Ok(0),
        Err(e) => {
            if e.errno() == Errno::EINTR && relative {
                let left = deadline.saturating_sub(ctx.now());
                ctx.thread_mut().signals.restart_deadline = Some(deadline);
                if rem != 0 {
                    ctx.write_struct(rem, &timespec::from_nanos(left))?;
                }
            }
            Err(e)
        }
    }
}

/// Reads and checks a sleep request (`EINVAL`: negative or `tv_nsec`
/// outside `0..1e9`).
fn read_request(ctx: &Ctx, req: u32) -> Result<u64> {
    let ts: timespec = ctx.read_struct(req)?;
    if !ts.is_valid() {
        return_errno!(EINVAL, "invalid timespec");
    }
    Ok(ts.as_nanos())
}

/// The deadline of a relative sleep of `ns`, or the remembered one when
/// this call is the restart of an interrupted sleep.
fn relative_deadline(ctx: &mut Ctx, ns: u64) -> u64 {
    match ctx.thread_mut().signals.restart_deadline.take() {
        Some(d) => d,
        None => ctx.now().saturating_add(ns),
    }
}

/// Implements nanosleep(2): `(req, rem)`.
pub fn sys_nanosleep(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let ns = read_request(ctx, a.ptr(0))?;
    let deadline = relative_deadline(ctx, ns);
    sleep_until(ctx, deadline, a.ptr(1), true)
}

/// Implements clock_nanosleep(2): `(clockid, flags, req, rem)`.
/// `TIMER_ABSTIME` sleeps until `req` on that clock (no `rem`); other
/// flag bits are ignored, as Linux does. Clocks: REALTIME, MONOTONIC,
/// BOOTTIME, TAI, PROCESS_CPUTIME_ID; `EINVAL` for THREAD_CPUTIME_ID and
/// unknown clocks, `EOPNOTSUPP` for clocks Linux can't sleep on
/// (MONOTONIC_RAW, the COARSE clocks), `EPERM` for the alarm clocks
/// without root.
pub fn sys_clock_nanosleep(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (clk, flags, req, rem) = (a.u32(0), a.u32(1), a.ptr(2), a.ptr(3));
    match clk {
        t::CLOCK_REALTIME | t::CLOCK_MONOTONIC | t::CLOCK_BOOTTIME | t::CLOCK_TAI | t::CLOCK_PROCESS_CPUTIME_ID => {}
        t::CLOCK_REALTIME_ALARM | t::CLOCK_BOOTTIME_ALARM => {
            if !ctx.process().creds.is_root() {
                return_errno!(EPERM, "alarm clocks need CAP_WAKE_ALARM");
            }
        }
        t::CLOCK_MONOTONIC_RAW | t::CLOCK_REALTIME_COARSE | t::CLOCK_MONOTONIC_COARSE => {
            return_errno!(EOPNOTSUPP, "clock_nanosleep: can't sleep on this clock")
        }
        _ => return_errno!(EINVAL, "clock_nanosleep: invalid clock"),
    }
    let ns = read_request(ctx, req)?;
    if flags & t::TIMER_ABSTIME != 0 {
        let now = ctx.now();
        let deadline = now.saturating_add(ns.saturating_sub(clock_now(ctx, clk)?));
        sleep_until(ctx, deadline, 0, false)
    } else {
        let deadline = relative_deadline(ctx, ns);
        sleep_until(ctx, deadline, rem, true)
    }
}
