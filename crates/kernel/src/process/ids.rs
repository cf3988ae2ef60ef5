//! Identity calls: getpid, getppid, gettid.

use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;

/// Implements getpid(2).
pub fn sys_getpid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(ctx.pid()))
}

/// Implements gettid(2).
pub fn sys_gettid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(ctx.tid))
}

/// Implements getppid(2): the parent's pid, or 0 for a process whose parent
/// is outside the pod.
pub fn sys_getppid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    let pid = ctx.pid();
    Ok(i64::from(ctx.st.procs.procs.get(&pid).map_or(0, |p| p.ppid)))
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;

    use crate::testing::Harness;

    #[test]
    fn getpid_gettid_getppid() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid));
        assert_eq!(child.sys(SYS_gettid, &[]), i64::from(child.pid));
        assert_eq!(child.sys(SYS_getppid, &[]), i64::from(parent.pid));
        assert_eq!(parent.sys(SYS_getppid, &[]), 0);
        assert_ne!(parent.pid, child.pid);
    }

    #[test]
    fn unknown_syscall_is_enosys() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_io_setup, &[]), -38);
        assert_eq!(p.sys(9999, &[]), -38);
    }

    #[test]
    fn trace_lines_name_the_call() {
        let platform = crate::testing::FakePlatform::new();
        let k = crate::Kernel::new(platform.clone(), crate::KernelConfig { trace: true, ..Default::default() });
        let pid =
            k.with_state(|st| crate::process::new_process(st, None, crate::process::Credentials::user(), 0)).unwrap();
        let mut mem = crate::testing::FakeMemory::new(1 << 16, 1 << 16);
        let r = k.syscall(pid, SYS_getpid, [0; 6], &mut mem);
        assert_eq!(r.value, i64::from(pid));
        let log = platform.log.lock();
        assert!(log.last().unwrap().contains("getpid("), "{log:?}");
    }
}
