//! Accounting: getrusage(2) and times(2).
//!
//! There is no CPU accounting: a process's "user time" is the wall-clock
//! time since it started (until it exited), system time is zero, and the
//! other `rusage` fields are zero. Children's times are summed when they
//! are reaped.

use wasmpod_abi::misc::{rusage, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD};
use wasmpod_abi::time::{tms, CLK_TCK};

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

fn ns_to_rusage(ns: u64) -> rusage {
    rusage {
        ru_utime_sec: (ns / 1_000_000_000) as i64,
        ru_utime_usec: ((ns % 1_000_000_000) / 1000) as i64,
        ..Default::default()
    }
}

/// The caller's own run time so far.
fn self_ns(ctx: &Ctx) -> u64 {
    ctx.now().saturating_sub(ctx.process().start_time)
}

/// Implements getrusage(2): RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD.
pub fn sys_getrusage(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (who, ptr) = (a.i32(0), a.ptr(1));
    let ns = match who {
        RUSAGE_SELF | RUSAGE_THREAD => self_ns(ctx),
        RUSAGE_CHILDREN => ctx.process().misc.children_time_ns,
        _ => return_errno!(EINVAL, "getrusage: unknown who"),
    };
    ctx.write_struct(ptr, &ns_to_rusage(ns))?;
    Ok(0)
}

fn ticks(ns: u64) -> i32 {
    (ns / (1_000_000_000 / CLK_TCK)) as i32
}

/// Implements times(2): fills `struct tms` (if the pointer is not NULL) and
/// returns the clock ticks since boot (`clock_t` is a 32-bit `long`, so it
/// wraps like Linux's on 32-bit).
pub fn sys_times(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let ptr = a.ptr(0);
    if ptr != 0 {
        let t = tms {
            tms_utime: ticks(self_ns(ctx)),
            tms_stime: 0,
            tms_cutime: ticks(ctx.process().misc.children_time_ns),
            tms_cstime: 0,
        };
        ctx.write_struct(ptr, &t)?;
    }
    let up = ctx.now().saturating_sub(ctx.st.time.boot);
    Ok(i64::from(ticks(up)))
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::misc::rusage;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::time::tms;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::testing::Harness;

    #[test]
    fn rusage_self_counts_time_since_start_and_children_after_reap() {
        let h = Harness::new();
        let p = h.process(None);
        let c = h.process(Some(&p));
        h.advance_ns(3_000_000_000);
        let ru = p.alloc(152);
        assert_eq!(p.sys(SYS_getrusage, &[0, u64::from(ru)]), 0);
        assert_eq!(p.read_struct::<rusage>(ru).ru_utime_sec, 3);
        assert_eq!(p.sys(SYS_getrusage, &[u32::MAX as u64, u64::from(ru)]), 0);
        assert_eq!(p.read_struct::<rusage>(ru).ru_utime_sec, 0, "nothing reaped yet");
        c.call(SYS_exit_group, &[0]);
        p.sys(SYS_wait4, &[u32::MAX as u64, 0, 0, 0]);
        assert_eq!(p.sys(SYS_getrusage, &[u32::MAX as u64, u64::from(ru)]), 0);
        assert_eq!(p.read_struct::<rusage>(ru).ru_utime_sec, 3);
    }

    #[test]
    fn rusage_with_unknown_who_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let ru = p.alloc(152);
        assert_eq!(p.sys(SYS_getrusage, &[5, u64::from(ru)]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_getrusage, &[0, 0xffff_ff00]), e(Errno::EFAULT));
    }

    #[test]
    fn times_returns_ticks_since_boot() {
        let h = Harness::new();
        let p = h.process(None);
        h.advance_ns(2_000_000_000);
        let b = p.alloc(16);
        assert_eq!(p.sys(SYS_times, &[u64::from(b)]), 200);
        assert_eq!(p.read_struct::<tms>(b).tms_utime, 200);
        assert_eq!(p.sys(SYS_times, &[0]), 200, "NULL buffer is allowed");
    }
}
