//! kcmp(2): whether two processes share a kernel resource.
//!
//! In wasmpod every process has its own memory, fd table, fs context,
//! signal handlers and I/O context (threads share them as a whole), so two
//! processes compare equal for those exactly when they are the same
//! process. `KCMP_FILE` compares open file descriptions.

use std::sync::Arc;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::process::Pid;
use crate::return_errno;
use crate::syscall::{sup, Entry, SyscallArgs};

pub const KCMP_FILE: u32 = 0;
pub const KCMP_VM: u32 = 1;
pub const KCMP_FILES: u32 = 2;
pub const KCMP_FS: u32 = 3;
pub const KCMP_SIGHAND: u32 = 4;
pub const KCMP_IO: u32 = 5;
pub const KCMP_SYSVSEM: u32 = 6;
pub const KCMP_EPOLL_TFD: u32 = 7;

/// kcmp's ordering result: 0 equal, 1 less, 2 greater.
fn order<T: Ord>(a: T, b: T) -> i64 {
    match a.cmp(&b) {
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Less => 1,
        std::cmp::Ordering::Greater => 2,
    }
}

/// The process a pid names (threads name their process), checking the
/// caller may inspect it (ptrace access: same real uid, or root).
fn target(ctx: &Ctx, pid: i32) -> Result<Pid> {
    let Some(t) = ctx.st.procs.threads.get(&pid).filter(|t| !t.exited) else {
        return_errno!(ESRCH, "kcmp: no such process");
    };
    let Some(p) = ctx.st.procs.procs.get(&t.pid) else {
        return_errno!(ESRCH, "kcmp: no such process");
    };
    let me = &ctx.process().creds;
    if !me.is_root() && (p.creds.uid != me.uid || p.creds.euid != me.uid || p.creds.suid != me.uid) {
        return_errno!(EPERM, "kcmp: may not inspect that process");
    }
    Ok(p.pid)
}

/// Implements kcmp(2): `(pid1, pid2, type, idx1, idx2)`.
pub fn sys_kcmp(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let p1 = target(ctx, a.i32(0))?;
    let p2 = target(ctx, a.i32(1))?;
    match a.u32(2) {
        KCMP_FILE => {
            let f = |pid: Pid, fd: i32| ctx.st.procs.procs.get(&pid).map(|p| p.files.get(fd));
            let (Some(f1), Some(f2)) = (f(p1, a.i32(3)), f(p2, a.i32(4))) else {
                return_errno!(ESRCH, "kcmp: no such process");
            };
            let (f1, f2) = (f1?, f2?);
            Ok(order(Arc::as_ptr(&f1) as usize, Arc::as_ptr(&f2) as usize))
        }
        KCMP_VM | KCMP_FILES | KCMP_FS | KCMP_SIGHAND | KCMP_IO | KCMP_SYSVSEM => Ok(order(p1, p2)),
        KCMP_EPOLL_TFD => return_errno!(EOPNOTSUPP, "kcmp: KCMP_EPOLL_TFD is not supported"),
        _ => return_errno!(EINVAL, "kcmp: unknown type"),
    }
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[sup(SYS_kcmp, sys_kcmp)]
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;
    use wasmpod_abi::syscalls::*;

    #[test]
    fn kcmp_files_compares_open_file_descriptions() {
        let h = Harness::new();
        let p = h.process(None);
        let fds = p.alloc(8);
        assert_eq!(p.sys(SYS_pipe2, &[u64::from(fds), 0]), 0);
        let (r, w) = (p.read_u32(fds), p.read_u32(fds + 4));
        let d = p.sys(SYS_dup, &[u64::from(r)]);
        let pid = p.pid as u64;
        assert_eq!(p.sys(SYS_kcmp, &[pid, pid, u64::from(KCMP_FILE), u64::from(r), d as u64]), 0, "dup shares");
        assert_ne!(p.sys(SYS_kcmp, &[pid, pid, u64::from(KCMP_FILE), u64::from(r), u64::from(w)]), 0);
        assert_eq!(p.sys(SYS_kcmp, &[pid, pid, u64::from(KCMP_FILE), u64::from(r), 99]), -9);
    }

    #[test]
    fn kcmp_resources_equal_only_within_a_process() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process(Some(&a));
        let (pa, pb) = (a.pid as u64, b.pid as u64);
        assert_eq!(a.sys(SYS_kcmp, &[pa, pa, u64::from(KCMP_VM), 0, 0]), 0);
        assert_eq!(a.sys(SYS_kcmp, &[pa, pb, u64::from(KCMP_FILES), 0, 0]), 1);
        assert_eq!(a.sys(SYS_kcmp, &[pb, pa, u64::from(KCMP_FILES), 0, 0]), 2);
        assert_eq!(a.sys(SYS_kcmp, &[pa, 9999, u64::from(KCMP_VM), 0, 0]), -3);
        assert_eq!(a.sys(SYS_kcmp, &[pa, pa, 42, 0, 0]), -22);
    }

    #[test]
    fn kcmp_needs_permission_over_the_target() {
        let h = Harness::new();
        let root = h.process_as(None, crate::process::Credentials::root());
        let user = h.process(None);
        let (pr, pu) = (root.pid as u64, user.pid as u64);
        assert_eq!(user.sys(SYS_kcmp, &[pu, pr, u64::from(KCMP_VM), 0, 0]), -1);
        assert_eq!(root.sys(SYS_kcmp, &[pu, pr, u64::from(KCMP_VM), 0, 0]), 2);
    }
}
