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
