//! Scheduling knobs: sched_yield, affinity, policies and priorities, nice
//! values, getcpu.
//!
//! The pod shows one CPU (CPU 0, node 0) and the `SCHED_OTHER` policy.
//! Nice values are stored and reported (getpriority/setpriority) but the
//! host's scheduler does not see them.

use wasmpod_abi::sched::*;

use super::Pid;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Bytes of the affinity mask the kernel reports: one `unsigned long`
/// (ILP32) covers the single CPU (Linux returns `cpumask_size()`).
const CPUMASK_SIZE: usize = 4;

/// Implements sched_yield(2). Yielding inside the kernel would only keep
/// the kernel lock longer: the call returns at once and the host thread
/// competes for the CPU as usual.
pub fn sys_sched_yield(_ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(0)
}

/// A thread id (0 = the caller) that must exist (`ESRCH`), negative `EINVAL`.
fn check_tid(ctx: &Ctx, tid: i32) -> Result<()> {
    if tid < 0 {
        return_errno!(EINVAL, "sched: negative pid");
    }
    if tid != 0 && ctx.st.procs.threads.get(&tid).is_none_or(|t| t.exited) {
        return_errno!(ESRCH, "sched: no such thread");
    }
    Ok(())
}

/// Implements sched_getaffinity(2): `(pid, len, mask)`; returns the bytes
/// written. `len` must hold the CPU mask and be a multiple of `long`.
pub fn sys_sched_getaffinity(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, len, mask) = (a.i32(0), a.usize(1), a.ptr(2));
    if len < CPUMASK_SIZE || len % 4 != 0 {
        return_errno!(EINVAL, "sched_getaffinity: buffer too small or unaligned size");
    }
    check_tid(ctx, pid)?;
    ctx.write_user(mask, &1u32.to_le_bytes())?;
    Ok(CPUMASK_SIZE as i64)
}

/// Implements sched_setaffinity(2): the mask must contain CPU 0 (`EINVAL`:
/// "The affinity bit mask contains no processors that are currently
/// physically on the system").
pub fn sys_sched_setaffinity(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, len, mask) = (a.i32(0), a.usize(1), a.ptr(2));
    check_tid(ctx, pid)?;
    if len == 0 {
        return_errno!(EINVAL, "sched_setaffinity: empty mask");
    }
    let mut b = [0u8; 1];
    ctx.read_user(mask, &mut b)?;
    if b[0] & 1 == 0 {
        return_errno!(EINVAL, "sched_setaffinity: mask has no online CPU");
    }
    Ok(0)
}

/// Implements sched_getscheduler(2): always `SCHED_OTHER`.
pub fn sys_sched_getscheduler(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    check_tid(ctx, a.i32(0))?;
    Ok(i64::from(SCHED_OTHER))
}

/// Implements sched_setscheduler(2): `(pid, policy, param)`. The normal
/// policies with priority 0 are accepted; real-time ones need privilege
/// (`EPERM`) and are then refused anyway (`EINVAL` is not right for a valid
/// request, so privileged callers get `EPERM` too: we can't honour them).
pub fn sys_sched_setscheduler(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, policy, param) = (a.i32(0), a.u32(1), a.ptr(2));
    if param == 0 {
        return_errno!(EINVAL, "sched_setscheduler: NULL param");
    }
    check_tid(ctx, pid)?;
    let prio = ctx.read_u32(param)? as i32;
    // SCHED_RESET_ON_FORK may be or-ed in.
    match policy & !0x4000_0000 {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE if prio == 0 => Ok(0),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => return_errno!(EINVAL, "sched_setscheduler: priority must be 0"),
        SCHED_FIFO | SCHED_RR if !(1..=99).contains(&prio) => return_errno!(EINVAL, "sched_setscheduler: bad priority"),
        SCHED_FIFO | SCHED_RR => return_errno!(EPERM, "sched_setscheduler: real-time policies are not available"),
        _ => return_errno!(EINVAL, "sched_setscheduler: unknown policy"),
    }
}

/// Implements sched_getparam(2): priority 0.
pub fn sys_sched_getparam(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, param) = (a.i32(0), a.ptr(1));
    if param == 0 {
        return_errno!(EINVAL, "sched_getparam: NULL param");
    }
    check_tid(ctx, pid)?;
    ctx.write_u32(param, 0)?;
    Ok(0)
}

/// Implements sched_setparam(2): only priority 0 (SCHED_OTHER).
pub fn sys_sched_setparam(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, param) = (a.i32(0), a.ptr(1));
    if param == 0 {
        return_errno!(EINVAL, "sched_setparam: NULL param");
    }
    check_tid(ctx, pid)?;
    if ctx.read_u32(param)? != 0 {
        return_errno!(EINVAL, "sched_setparam: SCHED_OTHER priority must be 0");
    }
    Ok(0)
}

/// Implements sched_get_priority_max(2).
pub fn sys_sched_get_priority_max(_ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    match a.u32(0) {
        SCHED_FIFO | SCHED_RR => Ok(99),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => return_errno!(EINVAL, "sched_get_priority_max: unknown policy"),
    }
}

/// Implements sched_get_priority_min(2).
pub fn sys_sched_get_priority_min(_ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    match a.u32(0) {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => return_errno!(EINVAL, "sched_get_priority_min: unknown policy"),
    }
}

/// The processes `which`/`who` name (getpriority(2)); `who` 0 is the
/// caller, its process group, or its real user id.
fn prio_targets(ctx: &Ctx, which: u32, who: i32) -> Result<Vec<Pid>> {
    let me = ctx.process();
    let v: Vec<Pid> = match which {
        PRIO_PROCESS => {
            let pid = if who == 0 { me.pid } else { who };
            ctx.st.procs.procs.get(&pid).filter(|p| p.exiting.is_none()).map(|p| vec![p.pid]).unwrap_or_default()
        }
        PRIO_PGRP => {
            let g = if who == 0 { me.pgid } else { who };
            ctx.st.procs.procs.values().filter(|p| p.pgid == g && p.exiting.is_none()).map(|p| p.pid).collect()
        }
        PRIO_USER => {
            let u = if who == 0 { me.creds.uid } else { who as u32 };
            ctx.st.procs.procs.values().filter(|p| p.creds.uid == u && p.exiting.is_none()).map(|p| p.pid).collect()
        }
        _ => return_errno!(EINVAL, "priority: unknown which"),
    };
    if v.is_empty() {
        return_errno!(ESRCH, "priority: no such process");
    }
    Ok(v)
}

/// Implements getpriority(2). The raw syscall returns `20 - nice` (1..=40)
/// so that it is never negative; libc converts back.
pub fn sys_getpriority(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let targets = prio_targets(ctx, a.u32(0), a.i32(1))?;
    let best = targets.iter().filter_map(|p| ctx.st.procs.procs.get(p)).map(|p| p.misc.nice).min().unwrap_or(0);
    Ok(i64::from(20 - best))
}

/// Implements setpriority(2): `(which, who, nice)`, nice clamped to
/// -20..=19. Lowering a nice value needs privilege (`EACCES`); changing
/// another user's process needs privilege (`EPERM`).
pub fn sys_setpriority(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let nice = a.i32(2).clamp(-20, 19);
    let targets = prio_targets(ctx, a.u32(0), a.i32(1))?;
    let c = ctx.process().creds.clone();
    for pid in &targets {
        let Some(p) = ctx.st.procs.procs.get(pid) else { continue };
        if !c.is_root() && p.creds.uid != c.euid && p.creds.euid != c.euid {
            return_errno!(EPERM, "setpriority: another user's process");
        }
        if nice < p.misc.nice && !c.is_root() {
            return_errno!(EACCES, "setpriority: lowering nice needs privilege");
        }
    }
    for pid in targets {
        if let Some(p) = ctx.st.procs.procs.get_mut(&pid) {
            p.misc.nice = nice;
        }
    }
    Ok(0)
}

/// Implements getcpu(2): CPU 0, node 0.
pub fn sys_getcpu(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (cpu, node) = (a.ptr(0), a.ptr(1));
    if cpu != 0 {
        ctx.write_u32(cpu, 0)?;
    }
    if node != 0 {
        ctx.write_u32(node, 0)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::sched::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::Harness;

    #[test]
    fn getaffinity_reports_one_cpu() {
        let h = Harness::new();
        let p = h.process(None);
        let m = p.bytes(&[0xff; 8]);
        assert_eq!(p.sys(SYS_sched_getaffinity, &[0, 8, u64::from(m)]), 4);
        assert_eq!(p.read(m, 8), [1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(p.sys(SYS_sched_getaffinity, &[0, 2, u64::from(m)]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_sched_getaffinity, &[0, 6, u64::from(m)]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_sched_getaffinity, &[4242, 8, u64::from(m)]), e(Errno::ESRCH));
    }

    #[test]
    fn setaffinity_needs_cpu_zero() {
        let h = Harness::new();
        let p = h.process(None);
        let ok = p.bytes(&[3, 0, 0, 0]);
        let none = p.bytes(&[2, 0, 0, 0]);
        assert_eq!(p.sys(SYS_sched_setaffinity, &[0, 4, u64::from(ok)]), 0);
        assert_eq!(p.sys(SYS_sched_setaffinity, &[0, 4, u64::from(none)]), e(Errno::EINVAL));
    }

    #[test]
    fn priority_ranges_per_policy() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_sched_get_priority_max, &[u64::from(SCHED_FIFO)]), 99);
        assert_eq!(p.sys(SYS_sched_get_priority_min, &[u64::from(SCHED_RR)]), 1);
        assert_eq!(p.sys(SYS_sched_get_priority_max, &[u64::from(SCHED_OTHER)]), 0);
        assert_eq!(p.sys(SYS_sched_get_priority_min, &[9]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_sched_getscheduler, &[0]), i64::from(SCHED_OTHER));
    }

    #[test]
    fn setscheduler_accepts_normal_policies_only() {
        let h = Harness::new();
        let p = h.process(None);
        let zero = p.bytes(&[0; 4]);
        let ten = p.bytes(&[10, 0, 0, 0]);
        assert_eq!(p.sys(SYS_sched_setscheduler, &[0, u64::from(SCHED_BATCH), u64::from(zero)]), 0);
        assert_eq!(p.sys(SYS_sched_setscheduler, &[0, u64::from(SCHED_OTHER), u64::from(ten)]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_sched_setscheduler, &[0, u64::from(SCHED_FIFO), u64::from(ten)]), e(Errno::EPERM));
        assert_eq!(p.sys(SYS_sched_setparam, &[0, u64::from(ten)]), e(Errno::EINVAL));
        let out = p.bytes(&[9; 4]);
        assert_eq!(p.sys(SYS_sched_getparam, &[0, u64::from(out)]), 0);
        assert_eq!(p.read_u32(out), 0);
    }

    #[test]
    fn raising_nice_is_free_lowering_needs_root() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_getpriority, &[u64::from(PRIO_PROCESS), 0]), 20, "nice 0");
        assert_eq!(p.sys(SYS_setpriority, &[u64::from(PRIO_PROCESS), 0, 5]), 0);
        assert_eq!(p.sys(SYS_getpriority, &[u64::from(PRIO_PROCESS), 0]), 15);
        assert_eq!(p.sys(SYS_setpriority, &[u64::from(PRIO_PROCESS), 0, 2]), e(Errno::EACCES));
        assert_eq!(p.sys(SYS_setpriority, &[u64::from(PRIO_PROCESS), 0, 100]), 0, "clamped to 19");
        assert_eq!(p.sys(SYS_getpriority, &[u64::from(PRIO_PROCESS), 0]), 1);
        let r = h.process_as(None, Credentials::root());
        assert_eq!(r.sys(SYS_setpriority, &[u64::from(PRIO_PROCESS), 0, (-20i32) as u32 as u64]), 0);
        assert_eq!(r.sys(SYS_getpriority, &[u64::from(PRIO_PROCESS), 0]), 40);
    }

    #[test]
    fn priority_of_missing_targets_is_esrch_and_bad_which_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let other = h.process_as(None, Credentials::with_ids(2000, 2000));
        assert_eq!(p.sys(SYS_getpriority, &[u64::from(PRIO_PROCESS), 4242]), e(Errno::ESRCH));
        assert_eq!(p.sys(SYS_getpriority, &[7, 0]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_setpriority, &[u64::from(PRIO_PROCESS), other.pid as u64, 10]), e(Errno::EPERM));
    }

    #[test]
    fn getcpu_says_cpu_zero_node_zero() {
        let h = Harness::new();
        let p = h.process(None);
        let b = p.bytes(&[0xff; 8]);
        assert_eq!(p.sys(SYS_getcpu, &[u64::from(b), u64::from(b + 4), 0]), 0);
        assert_eq!(p.read(b, 8), [0; 8]);
        assert_eq!(p.sys(SYS_sched_yield, &[]), 0);
    }
}
