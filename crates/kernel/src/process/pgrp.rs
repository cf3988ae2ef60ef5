//! Process groups and sessions: setpgid, getpgid, getsid, setsid
//! (`getpgrp` is musl's `getpgid(0)`).
//!
//! A new session has no controlling terminal; the tty subsystem keeps the
//! terminal ↔ session link and learns of a leader's death through
//! `tty::session_leader_exited`.

use super::Pid;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements setpgid(2).
///
/// setpgid(2): `pid` 0 is the caller, `pgid` 0 is `pid`. ESRCH if `pid` is
/// neither the caller nor a child of it; EACCES for a child that has done
/// an execve; EPERM for a session leader, for a child in another session,
/// or when no group `pgid` exists in the caller's session.
pub fn sys_setpgid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, pgid) = (a.i32(0), a.i32(1));
    if pgid < 0 {
        return_errno!(EINVAL, "setpgid: negative pgid");
    }
    let me = ctx.pid();
    let my_sid = ctx.process().sid;
    let target = if pid == 0 { me } else { pid };
    if pid < 0 {
        return_errno!(ESRCH, "setpgid: no such process");
    }
    let pgid = if pgid == 0 { target } else { pgid };
    let Some(t) = ctx.st.procs.procs.get(&target) else {
        return_errno!(ESRCH, "setpgid: no such process");
    };
    if t.exiting.is_some() {
        return_errno!(ESRCH, "setpgid: process is exiting");
    }
    if target != me {
        if t.ppid != me {
            return_errno!(ESRCH, "setpgid: not the caller or a child of it");
        }
        if t.sid != my_sid {
            return_errno!(EPERM, "setpgid: child in another session");
        }
        if t.did_exec {
            return_errno!(EACCES, "setpgid: child has already called execve");
        }
    }
    if t.sid == target {
        return_errno!(EPERM, "setpgid: process is a session leader");
    }
    if pgid != target && !ctx.st.procs.procs.values().any(|p| p.pgid == pgid && p.sid == my_sid && p.exiting.is_none())
    {
        return_errno!(EPERM, "setpgid: no such process group in the session");
    }
    if let Some(t) = ctx.st.procs.procs.get_mut(&target) {
        t.pgid = pgid;
    }
    ctx.notify();
    Ok(0)
}

/// `pid` 0 means the caller; ESRCH when there is no such process.
fn lookup<'a>(ctx: &'a Ctx, pid: Pid) -> Result<&'a super::Process> {
    let pid = if pid == 0 { ctx.pid() } else { pid };
    match ctx.st.procs.procs.get(&pid) {
        Some(p) if pid > 0 => Ok(p),
        _ => return_errno!(ESRCH, "no such process"),
    }
}

/// Implements getpgid(2).
pub fn sys_getpgid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(lookup(ctx, a.i32(0))?.pgid))
}

/// Implements getsid(2).
pub fn sys_getsid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(lookup(ctx, a.i32(0))?.sid))
}

/// Implements setsid(2): the caller leads a new session and a new group
/// with its pid as id, without a controlling terminal. EPERM when a
/// process group with the caller's pid exists (the caller leads one).
pub fn sys_setsid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    let me = ctx.pid();
    if ctx.st.procs.procs.values().any(|p| p.pgid == me) {
        return_errno!(EPERM, "setsid: caller is a process group leader");
    }
    let p = ctx.process_mut();
    p.sid = me;
    p.pgid = me;
    ctx.notify();
    Ok(i64::from(me))
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::testing::Harness;

    #[test]
    fn setpgid_zero_zero_makes_a_new_group() {
        let h = Harness::new();
        let init = h.process(None);
        let p = h.process(Some(&init));
        assert_eq!(p.sys(SYS_getpgid, &[0]), i64::from(init.pid));
        assert_eq!(p.sys(SYS_setpgid, &[0, 0]), 0);
        assert_eq!(p.sys(SYS_getpgid, &[0]), i64::from(p.pid));
        assert_eq!(init.sys(SYS_getpgid, &[p.pid as u64]), i64::from(p.pid));
    }

    #[test]
    fn parent_can_move_a_child_into_an_existing_group() {
        let h = Harness::new();
        let init = h.process(None);
        let shell = h.process(Some(&init));
        shell.sys(SYS_setsid, &[]);
        let a = h.process(Some(&shell));
        let b = h.process(Some(&shell));
        assert_eq!(shell.sys(SYS_setpgid, &[a.pid as u64, a.pid as u64]), 0);
        assert_eq!(shell.sys(SYS_setpgid, &[b.pid as u64, a.pid as u64]), 0);
        assert_eq!(b.sys(SYS_getpgid, &[0]), i64::from(a.pid));
    }

    #[test]
    fn setpgid_on_a_child_after_execve_is_eacces() {
        let h = Harness::new();
        let init = h.process(None);
        let child = h.process(Some(&init));
        st(&h, |s| s.procs.procs.get_mut(&child.pid).unwrap().did_exec = true);
        assert_eq!(init.sys(SYS_setpgid, &[child.pid as u64, 0]), e(Errno::EACCES));
        assert_eq!(child.sys(SYS_setpgid, &[0, 0]), 0, "the child itself still may");
    }

    #[test]
    fn setpgid_on_a_session_leader_is_eperm() {
        let h = Harness::new();
        let init = h.process(None);
        assert_eq!(init.sys(SYS_setpgid, &[0, 0]), e(Errno::EPERM));
        let child = h.process(Some(&init));
        child.sys(SYS_setsid, &[]);
        assert_eq!(child.sys(SYS_setpgid, &[0, 0]), e(Errno::EPERM));
    }

    #[test]
    fn setpgid_on_a_child_in_another_session_is_eperm() {
        let h = Harness::new();
        let init = h.process(None);
        let child = h.process(Some(&init));
        child.sys(SYS_setsid, &[]);
        assert_eq!(init.sys(SYS_setpgid, &[child.pid as u64, init.pid as u64]), e(Errno::EPERM));
    }

    #[test]
    fn setpgid_on_a_stranger_is_esrch() {
        let h = Harness::new();
        let init = h.process(None);
        let a = h.process(Some(&init));
        let b = h.process(Some(&init));
        assert_eq!(a.sys(SYS_setpgid, &[b.pid as u64, 0]), e(Errno::ESRCH));
        assert_eq!(a.sys(SYS_setpgid, &[9999, 0]), e(Errno::ESRCH));
    }

    #[test]
    fn setpgid_into_a_group_that_does_not_exist_is_eperm() {
        let h = Harness::new();
        let init = h.process(None);
        let a = h.process(Some(&init));
        assert_eq!(a.sys(SYS_setpgid, &[0, 4242]), e(Errno::EPERM));
        assert_eq!(a.sys(SYS_setpgid, &[0, u32::MAX as u64]), e(Errno::EINVAL), "negative pgid");
    }

    #[test]
    fn setsid_by_a_group_leader_is_eperm() {
        let h = Harness::new();
        let init = h.process(None);
        assert_eq!(init.sys(SYS_setsid, &[]), e(Errno::EPERM));
        let child = h.process(Some(&init));
        assert_eq!(child.sys(SYS_setsid, &[]), i64::from(child.pid));
        assert_eq!(child.sys(SYS_getsid, &[0]), i64::from(child.pid));
        assert_eq!(child.sys(SYS_getpgid, &[0]), i64::from(child.pid));
        assert_eq!(init.sys(SYS_getsid, &[child.pid as u64]), i64::from(child.pid));
    }

    #[test]
    fn getsid_and_getpgid_of_a_missing_process_are_esrch() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_getsid, &[777]), e(Errno::ESRCH));
        assert_eq!(p.sys(SYS_getpgid, &[777]), e(Errno::ESRCH));
        assert_eq!(p.sys(SYS_getpgid, &[u32::MAX as u64]), e(Errno::ESRCH));
    }
}
