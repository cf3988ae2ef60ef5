//! unshare(2).
//!
//! A wasmpod process's fd table, filesystem context and SysV semaphore undo
//! list belong to the whole process, never to another one (there is no
//! fork that could share them), so `CLONE_FILES`, `CLONE_FS` and
//! `CLONE_SYSVSEM` are already unshared for a single-threaded process.
//! Threads of one process share them by construction and cannot be split:
//! asking from a multi-threaded process is `EINVAL` (as Linux says for
//! `CLONE_SIGHAND`/`CLONE_VM` in that situation). Namespaces are not
//! available: `EPERM` for an unprivileged caller (as Linux), `EINVAL` for
//! root.

use wasmpod_abi::sched::*;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::{partial, Entry, SyscallArgs};

const CLONE_NEWNS_ETC: u32 = 0x0002_0000 /* NEWNS */
    | 0x0200_0000 /* NEWCGROUP */
    | 0x0400_0000 /* NEWUTS */
    | 0x0800_0000 /* NEWIPC */
    | 0x1000_0000 /* NEWUSER */
    | 0x2000_0000 /* NEWPID */
    | 0x4000_0000 /* NEWNET */
    | 0x0000_0080 /* NEWTIME */;

/// Implements unshare(2).
pub fn sys_unshare(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(0);
    let plain = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    if flags & !(plain | CLONE_NEWNS_ETC) != 0 {
        return_errno!(EINVAL, "unshare: unknown flags");
    }
    if flags & CLONE_NEWNS_ETC != 0 {
        if !ctx.process().creds.is_root() {
            return_errno!(EPERM, "unshare: namespaces need privilege");
        }
        return_errno!(EINVAL, "unshare: namespaces are not available in wasmpod");
    }
    let threads =
        ctx.process().threads.iter().filter(|t| ctx.st.procs.threads.get(t).is_some_and(|t| !t.exited)).count();
    if flags != 0 && threads > 1 {
        return_errno!(EINVAL, "unshare: threads of one process cannot stop sharing");
    }
    Ok(0)
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[partial(
        SYS_unshare,
        sys_unshare,
        "no namespaces; fd table/fs context already private to a single-threaded process",
    )]
};

#[cfg(test)]
mod tests {
    use crate::process::Credentials;
    use crate::testing::Harness;
    use wasmpod_abi::sched::*;
    use wasmpod_abi::syscalls::*;

    #[test]
    fn unshare_files_and_fs_in_a_single_threaded_process() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_unshare, &[0]), 0);
        assert_eq!(p.sys(SYS_unshare, &[u64::from(CLONE_FILES | CLONE_FS)]), 0);
        assert_eq!(p.sys(SYS_unshare, &[0x8000_0000]), -22, "unknown flag");
    }

    #[test]
    fn namespaces_are_eperm_for_users_einval_for_root() {
        let h = Harness::new();
        let user = h.process(None);
        let root = h.process_as(None, Credentials::root());
        assert_eq!(user.sys(SYS_unshare, &[0x2_0000]), -1);
        assert_eq!(root.sys(SYS_unshare, &[0x2_0000]), -22);
    }
}
