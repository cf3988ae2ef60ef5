//! sched_rr_get_interval(2).

use wasmpod_abi::time::timespec;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::{sup, Entry, SyscallArgs};

/// The round-robin quantum reported: Linux's default `RR_TIMESLICE`
/// (100 ms). wasmpod schedules nothing itself (the host does), so this is
/// the value a program would see for the default time slice.
pub const RR_TIMESLICE_NS: u64 = 100_000_000;

/// Implements sched_rr_get_interval(2): `(pid, tp)`.
pub fn sys_sched_rr_get_interval(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let pid = a.i32(0);
    if pid < 0 {
        return_errno!(EINVAL, "sched_rr_get_interval: negative pid");
    }
    if pid != 0 && ctx.st.procs.threads.get(&pid).is_none_or(|t| t.exited) {
        return_errno!(ESRCH, "sched_rr_get_interval: no such process");
    }
    ctx.write_struct(a.ptr(1), &timespec::from_nanos(RR_TIMESLICE_NS))?;
    Ok(0)
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[sup(SYS_sched_rr_get_interval, sys_sched_rr_get_interval)]
};

#[cfg(test)]
mod tests {
    use crate::testing::Harness;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::time::timespec;

    #[test]
    fn rr_interval_is_the_default_timeslice() {
        let h = Harness::new();
        let p = h.process(None);
        let t = p.alloc(16);
        assert_eq!(p.sys(SYS_sched_rr_get_interval, &[0, u64::from(t)]), 0);
        assert_eq!(p.read_struct::<timespec>(t), timespec { tv_sec: 0, tv_nsec: 100_000_000 });
        assert_eq!(p.sys(SYS_sched_rr_get_interval, &[9999, u64::from(t)]), -3);
        assert_eq!(p.sys(SYS_sched_rr_get_interval, &[0xffff_ffff, u64::from(t)]), -22);
        assert_eq!(p.sys(SYS_sched_rr_get_interval, &[0, 0xffff_fff0]), -14);
    }
}
