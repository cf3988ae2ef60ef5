//! Exit: exit (one thread), exit_group (the process), ending a process for
//! a fatal signal, and the zombie/reap bookkeeping around it.
//!
//! Analogous to Linux's `do_exit`/`exit_notify`/`release_task`:
//! - a thread's exit clears and futex-wakes its `clear_child_tid` word
//!   (set_tid_address(2)); the last thread's exit ends the process;
//! - [`exit_process`] marks the process exiting (every other thread leaves
//!   at its next kernel exit, and the host is asked to stop threads that run
//!   guest code), closes its fds, lets a session leader's terminal hang up,
//!   hands its children to a reaper (the nearest `PR_SET_CHILD_SUBREAPER`
//!   ancestor, else init), sends SIGHUP+SIGCONT to process groups that
//!   become orphaned with stopped members (POSIX job control), makes the
//!   process a zombie and notifies the parent (SIGCHLD with `CLD_EXITED`/
//!   `CLD_KILLED`, or an immediate reap when the parent ignores SIGCHLD, has
//!   `SA_NOCLDWAIT`, or is the kernel's program-less init: wait(2) NOTES);
//! - [`release`] removes a zombie for good (wait, auto-reap): its pid and
//!   its threads' ids become reusable.
//!
//! A vfork child's exit ends the lending of its parent's host thread (see
//! `vfork.rs`): the call returns the child's pid on that thread instead of
//! ending it.
//!
//! Not done: the zombie exists as soon as the process is marked exiting,
//! without waiting for other threads to leave guest code (the host stops
//! them); a thread of a reaped process that still runs is turned away at
//! its next call (`Kernel::syscall` checks `must_exit` first).

use wasmpod_abi::signal::{self as sig, CLD_DUMPED, CLD_EXITED, CLD_KILLED, SIGCHLD};
use wasmpod_abi::wait::w_exitcode;

use crate::error::Result;
use crate::kernel::{Action, Ctx, State};
use crate::process::{JobState, Pid, ProcState, Tid, INIT_PID};
use crate::signal::SigInfo;
use crate::syscall::SyscallArgs;

/// Implements exit(2) (the raw `SYS_exit`: ends the calling thread only).
pub fn sys_exit(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let code = a.i32(0);
    let tid = ctx.tid;
    let pid = ctx.pid();
    // A vfork child runs on its parent's host thread and has exactly one
    // thread: its exit is the process's.
    if let Some(lender) = super::vfork::lender_of(&ctx.st, tid) {
        return end_vfork_child(ctx, pid, lender, w_exitcode(code));
    }
    clear_child_tid(ctx, tid);
    let others_alive =
        ctx.st.procs.procs.get(&pid).is_some_and(|p| {
            p.threads.iter().any(|t| *t != tid && ctx.st.procs.threads.get(t).is_some_and(|t| !t.exited))
        });
    if others_alive {
        if let Some(t) = ctx.st.procs.threads.get_mut(&tid) {
            t.exited = true;
        }
        if tid != pid {
            // A non-leader thread is released at once (Linux autoreaps
            // non-leader threads); the leader stays until the process is
            // reaped, because its id is the pid.
            if let Some(p) = ctx.st.procs.procs.get_mut(&pid) {
                p.threads.retain(|t| *t != tid);
            }
            ctx.st.procs.threads.remove(&tid);
            ctx.st.futex.forget(tid);
        }
        ctx.notify();
    } else {
        exit_process(ctx, pid, w_exitcode(code));
    }
    ctx.action = Some(Action::ExitThread);
    Ok(0)
}

/// Implements exit_group(2): ends every thread of the process with status
/// `(code & 0xff) << 8`.
pub fn sys_exit_group(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let code = a.i32(0);
    let tid = ctx.tid;
    let pid = ctx.pid();
    if let Some(lender) = super::vfork::lender_of(&ctx.st, tid) {
        return end_vfork_child(ctx, pid, lender, w_exitcode(code));
    }
    clear_child_tid(ctx, tid);
    exit_process(ctx, pid, w_exitcode(code));
    ctx.action = Some(Action::ExitThread);
    Ok(0)
}

/// A vfork child's `_exit`: the child becomes a zombie and the host thread
/// goes back to the parent with the child's pid as the call's value.
fn end_vfork_child(ctx: &mut Ctx, pid: Pid, lender: Tid, status: i32) -> Result<i64> {
    exit_process(ctx, pid, status);
    super::vfork::end_lending(&mut ctx.st, ctx.tid);
    forget_orphan_lender(&mut ctx.st, lender);
    ctx.tid = super::vfork::resume_tid(&ctx.st, lender);
    Ok(i64::from(pid))
}

/// `set_tid_address`/`CLONE_CHILD_CLEARTID`: at thread exit, write 0 to the
/// word and wake one futex waiter on it (set_tid_address(2)). Errors
/// writing are ignored, as in Linux.
fn clear_child_tid(ctx: &mut Ctx, tid: Tid) {
    let Some(addr) = ctx.st.procs.threads.get(&tid).map(|t| t.clear_child_tid).filter(|a| *a != 0) else {
        return;
    };
    let pid = ctx.st.procs.pid_of(tid);
    if ctx.write_u32(addr, 0).is_ok() {
        crate::sync::futex::wake(ctx, pid, addr, 1, wasmpod_abi::misc::FUTEX_BITSET_MATCH_ANY);
    }
    if let Some(t) = ctx.st.procs.threads.get_mut(&tid) {
        t.clear_child_tid = 0;
    }
}

/// Runs `f` with `ctx.tid` set to `tid` (for hooks that act "as" a process
/// other than the caller's, like closing a killed process's fds). The
/// memory stays the caller's: hooks run this way must not touch user memory.
fn as_thread<R>(ctx: &mut Ctx, tid: Tid, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let saved = ctx.tid;
    ctx.tid = tid;
    let r = f(ctx);
    ctx.tid = saved;
    r
}

/// Ends process `pid` with wait status `status` (already encoded:
/// `w_exitcode(code)` or `w_termsig(sig, core)`): every thread leaves at
/// its next kernel exit, fds close, children go to a reaper, the parent
/// gets SIGCHLD, the process becomes a zombie. Called by exit_group, by the
/// last thread's exit and by fatal default signal actions. Idempotent: a
/// second call for an exiting process changes nothing.
pub fn exit_process(ctx: &mut Ctx, pid: Pid, status: i32) {
    let Some(p) = ctx.st.procs.procs.get_mut(&pid) else {
        return;
    };
    if p.exiting.is_some() || matches!(p.state, ProcState::Zombie { .. }) {
        return;
    }
    p.exiting = Some(status);
    p.job = JobState::default();
    p.misc.run_time_ns = ctx.kernel.platform().now(crate::ClockKind::Monotonic).saturating_sub(p.start_time);
    let threads = p.threads.clone();
    let sid = p.sid;
    let is_session_leader = p.sid == pid;
    let fds: Vec<i32> = p.files.iter().map(|(fd, _)| fd).collect();
    // Interval timers die with the process (signals' time hook).
    crate::time::on_exit(&mut ctx.st, pid);

    // Stop the other threads. One lent to a vfork child keeps running the
    // child's code; it is turned away at its first call as the parent.
    let caller_host = ctx.tid;
    for t in &threads {
        let (lent, gone) =
            ctx.st.procs.threads.get(t).map_or((false, true), |th| (th.vfork_child.is_some(), th.exited));
        if *t != caller_host && !lent && !gone {
            ctx.platform().kill_thread(*t);
        }
    }
    // A vfork child that dies here keeps its lending until its code, still
    // running on the lent thread, reaches _exit/execve (vfork.rs).

    // Shared file mappings go back to their files; the map is emptied.
    crate::mm::exit_mm(ctx, pid);
    // Close every fd (fcntl(2): closing releases the process's record
    // locks), with the context acting as a thread of the dying process.
    let hook_tid = threads.iter().copied().find(|t| ctx.st.procs.threads.contains_key(t)).unwrap_or(pid);
    as_thread(ctx, hook_tid, |ctx| {
        for fd in fds {
            let entry = ctx.st.procs.procs.get_mut(&pid).and_then(|p| p.files.remove(fd).ok());
            if let Some(entry) = entry {
                crate::fs::close_hook(ctx, fd, &entry);
                drop(entry);
            }
        }
    });
    if is_session_leader {
        crate::tty::session_leader_exited(ctx, sid);
    }
    for t in &threads {
        ctx.st.futex.forget(*t);
    }

    reparent_children(ctx, pid);

    let Some(p) = ctx.st.procs.procs.get_mut(&pid) else {
        return;
    };
    p.state = ProcState::Zombie { status };
    let (pgid, ppid) = (p.pgid, p.ppid);
    if let Some(w) = ctx.st.procs.host_watched.get_mut(&pid) {
        *w = Some(status);
    }
    // Our own group may become orphaned by our exit (the parent is in
    // another group of the same session).
    let parent_link = ctx.st.procs.procs.get(&ppid).map(|pp| (pp.pgid, pp.sid));
    if let Some((ppgid, psid)) = parent_link {
        if ppgid != pgid && psid == sid {
            hangup_if_orphaned(&mut ctx.st, pgid);
        }
    }
    notify_parent(ctx, pid);
    ctx.notify();
}

/// The process that adopts the children of `pid`: the nearest living
/// ancestor with `PR_SET_CHILD_SUBREAPER`, else init, else none (0).
pub(crate) fn find_reaper(st: &State, pid: Pid) -> Pid {
    let mut cur = st.procs.procs.get(&pid).map_or(0, |p| p.ppid);
    for _ in 0..st.procs.procs.len() {
        let Some(p) = st.procs.procs.get(&cur) else { break };
        if p.misc.child_subreaper && p.exiting.is_none() {
            return cur;
        }
        cur = p.ppid;
    }
    match st.procs.procs.get(&INIT_PID) {
        Some(init) if INIT_PID != pid && init.exiting.is_none() => INIT_PID,
        _ => 0,
    }
}

/// Hands the children of the exiting `pid` to their reaper; zombies among
/// them notify the new parent (which may reap them at once); children with
/// `PR_SET_PDEATHSIG` get their signal; their groups may become orphaned.
fn reparent_children(ctx: &mut Ctx, pid: Pid) {
    let reaper = find_reaper(&ctx.st, pid);
    let children = match ctx.st.procs.procs.get_mut(&pid) {
        Some(p) => std::mem::take(&mut p.children),
        None => return,
    };
    let mut groups = Vec::new();
    for c in &children {
        let Some(cp) = ctx.st.procs.procs.get_mut(c) else { continue };
        cp.ppid = reaper;
        let zombie = matches!(cp.state, ProcState::Zombie { .. });
        let pdeath = cp.misc.pdeath_signal;
        let (cpgid, csid) = (cp.pgid, cp.sid);
        if let Some(r) = ctx.st.procs.procs.get_mut(&reaper) {
            r.children.push(*c);
        }
        if pdeath != 0 && !zombie {
            crate::signal::send_to_process(&mut ctx.st, *c, SigInfo::kernel(pdeath));
        }
        if zombie {
            notify_parent(ctx, *c);
        }
        let dying_link = ctx.st.procs.procs.get(&pid).map(|p| (p.pgid, p.sid));
        if let Some((dpgid, dsid)) = dying_link {
            if dpgid != cpgid && dsid == csid && !groups.contains(&cpgid) {
                groups.push(cpgid);
            }
        }
    }
    for g in groups {
        hangup_if_orphaned(&mut ctx.st, g);
    }
}

/// Whether process group `pgid` is orphaned: the one test the whole
/// kernel uses (`signal::deliver::pgrp_orphaned`, POSIX without Linux's
/// exception for children of init; tty/job.rs says why).
pub fn is_orphaned_pgrp(st: &State, pgid: Pid) -> bool {
    crate::signal::deliver::pgrp_orphaned(st, pgid)
}

/// A group that became orphaned while some member is stopped gets SIGHUP
/// then SIGCONT (setpgid(2)/POSIX: "If the exit of the process causes a
/// process group to become orphaned, and if any member of the
/// newly-orphaned process group is stopped...").
fn hangup_if_orphaned(st: &mut State, pgid: Pid) {
    let stopped = st.procs.procs.values().any(|p| p.pgid == pgid && p.exiting.is_none() && p.job.stopped);
    if stopped && is_orphaned_pgrp(st, pgid) {
        crate::signal::send_to_pgrp(st, pgid, SigInfo::kernel(sig::SIGHUP));
        crate::signal::send_to_pgrp(st, pgid, SigInfo::kernel(sig::SIGCONT));
    }
}

/// The SIGCHLD `si_code` and `si_status` for a wait status.
pub fn chld_code(status: i32) -> (i32, i32) {
    let termsig = status & 0x7f;
    if termsig == 0 {
        (CLD_EXITED, (status >> 8) & 0xff)
    } else if status & 0x80 != 0 {
        (CLD_DUMPED, termsig)
    } else {
        (CLD_KILLED, termsig)
    }
}

/// Tells the parent of zombie `pid` about its death: SIGCHLD, unless the
/// parent ignores it; and an immediate reap when the parent will never wait
/// (SIGCHLD ignored, `SA_NOCLDWAIT`, or the kernel's program-less init).
/// A process whose parent is outside the pod (ppid 0) stays a zombie for
/// the host.
fn notify_parent(ctx: &mut Ctx, pid: Pid) {
    let Some(p) = ctx.st.procs.procs.get(&pid) else { return };
    let ProcState::Zombie { status } = p.state else { return };
    let (ppid, uid) = (p.ppid, p.creds.uid);
    let Some(parent) = ctx.st.procs.procs.get(&ppid) else { return };
    let act = parent.signals.actions[SIGCHLD as usize];
    let ignored = act.handler == sig::SIG_IGN;
    let autoreap = ignored || act.flags & sig::SA_NOCLDWAIT != 0 || parent.misc.autoreap_children;
    if !ignored && !parent.misc.autoreap_children {
        let (code, st) = chld_code(status);
        let info = SigInfo { signo: SIGCHLD, code, pid, uid, status: st, errno: 0 };
        crate::signal::send_to_process(&mut ctx.st, ppid, info);
    }
    if autoreap {
        release(&mut ctx.st, pid);
    }
    ctx.notify();
}

/// Removes zombie `pid` for good (after wait, or auto-reap): it leaves its
/// parent's children, its threads leave the thread table, its run time is
/// added to the parent's `children_time_ns`. Its ids become reusable.
pub fn release(st: &mut State, pid: Pid) {
    let Some(p) = st.procs.procs.remove(&pid) else { return };
    let now_ns = p.misc.run_time_ns.saturating_add(p.misc.children_time_ns);
    if let Some(pp) = st.procs.procs.get_mut(&p.ppid) {
        pp.children.retain(|c| *c != pid);
        pp.misc.children_time_ns = pp.misc.children_time_ns.saturating_add(now_ns);
    }
    for t in p.threads.iter().chain(std::iter::once(&pid)) {
        st.futex.forget(*t);
        // A thread lent to a vfork child still runs the child's code: it
        // stays (as exited) until the child ends the lending.
        match st.procs.threads.get_mut(t) {
            Some(th) if th.vfork_child.is_some() => th.exited = true,
            _ => {
                st.procs.threads.remove(t);
            }
        }
    }
}

/// After a lending ended: a lender that has exited or whose process is
/// gone has no further use (its host thread gets `ExitThread` now) and
/// leaves the table.
pub(crate) fn forget_orphan_lender(st: &mut State, lender: Tid) {
    let gone = st.procs.threads.get(&lender).is_some_and(|t| t.exited || !st.procs.procs.contains_key(&t.pid));
    if gone {
        st.procs.threads.remove(&lender);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wasmpod_abi::misc::{FUTEX_WAIT, PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG};
    use wasmpod_abi::sched::*;
    use wasmpod_abi::signal::{SA_NOCLDWAIT, SIGCHLD, SIGCONT, SIGHUP, SIGUSR1, SIG_IGN};
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::wait::w_exitcode;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::testing::{Harness, HostEvent};

    const THREAD: u64 = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM) as u64;

    #[test]
    fn exit_group_ends_the_calling_thread() {
        let h = Harness::new();
        let p = h.process(None);
        let r = p.call(SYS_exit_group, &[0]);
        assert!(exits(&r));
        assert!(!r.signal_pending);
    }

    #[test]
    fn parent_gets_sigchld_with_cld_exited() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        // A default-ignored signal is discarded unless blocked (signal(7)).
        st(&h, |s| s.procs.threads.get_mut(&parent.tid).unwrap().signals.mask |= wasmpod_abi::signal::sigbit(SIGCHLD));
        child.call(SYS_exit_group, &[9]);
        let info = pending(&h, parent.pid, SIGCHLD).expect("SIGCHLD pending");
        assert_eq!(info.code, wasmpod_abi::signal::CLD_EXITED);
        assert_eq!((info.pid, info.uid, info.status), (child.pid, 1000, 9));
    }

    #[test]
    fn ignored_sigchld_reaps_children_at_once() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        set_action(&h, parent.pid, SIGCHLD, SIG_IGN, 0);
        child.call(SYS_exit_group, &[0]);
        assert!(!exists(&h, child.pid), "no zombie");
        assert!(pending(&h, parent.pid, SIGCHLD).is_none());
        assert_eq!(parent.sys(SYS_wait4, &[u32::MAX as u64, 0, 0, 0]), e(Errno::ECHILD));
    }

    #[test]
    fn sa_nocldwait_reaps_at_once_but_still_signals() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        set_action(&h, parent.pid, SIGCHLD, 0x200, SA_NOCLDWAIT);
        child.call(SYS_exit_group, &[0]);
        assert!(!exists(&h, child.pid));
        assert!(pending(&h, parent.pid, SIGCHLD).is_some());
    }

    #[test]
    fn orphans_are_adopted_by_init_which_can_reap_them() {
        let h = Harness::new();
        let init = h.process(None);
        assert_eq!(init.pid, 1);
        let a = h.process(Some(&init));
        let b = h.process(Some(&a));
        a.call(SYS_exit_group, &[0]);
        assert_eq!(b.sys(SYS_getppid, &[]), 1);
        b.call(SYS_exit_group, &[4]);
        let status = init.alloc(4);
        assert_eq!(init.sys(SYS_wait4, &[b.pid as u64, u64::from(status), 0, 0]), i64::from(b.pid));
        assert_eq!(init.read_i32(status), 4 << 8);
    }

    #[test]
    fn zombie_orphans_are_handed_to_init_as_zombies() {
        let h = Harness::new();
        let init = h.process(None);
        let a = h.process(Some(&init));
        let b = h.process(Some(&a));
        // A default-ignored signal is discarded unless blocked (signal(7)).
        st(&h, |s| s.procs.threads.get_mut(&init.tid).unwrap().signals.mask |= wasmpod_abi::signal::sigbit(SIGCHLD));
        b.call(SYS_exit_group, &[6]);
        a.call(SYS_exit_group, &[0]);
        assert_eq!(ppid(&h, b.pid), 1);
        assert_eq!(zombie(&h, b.pid), Some(w_exitcode(6)));
        let info = pending(&h, init.pid, SIGCHLD).expect("init told of the adopted zombie");
        assert!(info.pid == a.pid || info.pid == b.pid);
    }

    #[test]
    fn kernel_init_without_program_reaps_adopted_orphans() {
        let h = Harness::new();
        let init = h.process(None);
        st(&h, |s| s.procs.procs.get_mut(&init.pid).unwrap().misc.autoreap_children = true);
        let a = h.process(Some(&init));
        let b = h.process(Some(&a));
        a.call(SYS_exit_group, &[0]);
        assert!(!exists(&h, a.pid));
        b.call(SYS_exit_group, &[0]);
        assert!(!exists(&h, b.pid));
    }

    #[test]
    fn subreaper_adopts_orphaned_descendants() {
        let h = Harness::new();
        let init = h.process(None);
        let sub = h.process(Some(&init));
        assert_eq!(sub.sys(SYS_prctl, &[u64::from(PR_SET_CHILD_SUBREAPER), 1]), 0);
        let a = h.process(Some(&sub));
        let b = h.process(Some(&a));
        a.call(SYS_exit_group, &[0]);
        assert_eq!(b.sys(SYS_getppid, &[]), i64::from(sub.pid));
    }

    #[test]
    fn exit_closes_every_fd() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        let (_, f) = install_file(&child, false);
        install_file(&child, true);
        assert!(Arc::strong_count(&f) > 1);
        child.call(SYS_exit_group, &[0]);
        assert_eq!(Arc::strong_count(&f), 1, "the description was dropped");
        assert_eq!(st(&h, |s| s.procs.procs[&child.pid].files.count()), 0);
    }

    #[test]
    fn pdeath_signal_is_sent_when_the_parent_dies() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        let child = h.process(Some(&parent));
        assert_eq!(child.sys(SYS_prctl, &[u64::from(PR_SET_PDEATHSIG), u64::from(SIGUSR1)]), 0);
        parent.call(SYS_exit_group, &[0]);
        assert!(pending(&h, child.pid, SIGUSR1).is_some());
    }

    #[test]
    fn orphaned_group_with_a_stopped_member_gets_sighup_and_sigcont() {
        let h = Harness::new();
        let init = h.process(None);
        let shell = h.process(Some(&init));
        assert_eq!(shell.sys(SYS_setsid, &[]), i64::from(shell.pid));
        let job = h.process(Some(&shell));
        assert_eq!(job.sys(SYS_setpgid, &[0, 0]), 0);
        st(&h, |s| s.procs.procs.get_mut(&job.pid).unwrap().job.stopped = true);
        // A default-ignored signal is discarded unless blocked (signal(7)).
        st(&h, |s| s.procs.threads.get_mut(&job.tid).unwrap().signals.mask |= wasmpod_abi::signal::sigbit(SIGCONT));
        shell.call(SYS_exit_group, &[0]);
        assert!(pending(&h, job.pid, SIGHUP).is_some());
        assert!(pending(&h, job.pid, SIGCONT).is_some());
        assert!(!st(&h, |s| s.procs.procs[&job.pid].job.stopped), "SIGCONT resumes the job");
    }

    #[test]
    fn orphaned_group_without_stopped_members_gets_nothing() {
        let h = Harness::new();
        let init = h.process(None);
        let shell = h.process(Some(&init));
        shell.sys(SYS_setsid, &[]);
        let job = h.process(Some(&shell));
        job.sys(SYS_setpgid, &[0, 0]);
        shell.call(SYS_exit_group, &[0]);
        assert!(pending(&h, job.pid, SIGHUP).is_none());
    }

    #[test]
    fn last_thread_exit_ends_the_process_with_its_code() {
        let h = Harness::new();
        let parent = h.process(None);
        let p = h.process(Some(&parent));
        let tid = p.sys(SYS_clone, &[THREAD, 0x8000, 0, 0, 0]) as i32;
        assert!(exits(&p.call(SYS_exit, &[1])), "main thread leaves");
        assert!(exists(&h, p.pid) && zombie(&h, p.pid).is_none(), "process lives on");
        assert!(exits(&p.as_thread(tid).call(SYS_exit, &[5])));
        assert_eq!(zombie(&h, p.pid), Some(w_exitcode(5)));
    }

    #[test]
    fn a_non_leader_thread_exit_frees_its_tid() {
        let h = Harness::new();
        let p = h.process(None);
        let tid = p.sys(SYS_clone, &[THREAD, 0x8000, 0, 0, 0]) as i32;
        p.as_thread(tid).call(SYS_exit, &[0]);
        assert!(!st(&h, |s| s.procs.threads.contains_key(&tid)));
        assert_eq!(st(&h, |s| s.procs.procs[&p.pid].threads.clone()), vec![p.pid]);
    }

    #[test]
    fn exit_group_wakes_a_sibling_blocked_in_futex_and_ends_it() {
        let h = Harness::new();
        let p = h.process(None);
        let tid = p.sys(SYS_clone, &[THREAD, 0x8000, 0, 0, 0]) as i32;
        let word = p.alloc(4);
        let sib = p.as_thread(tid);
        let t = spawn(move || sib.call(SYS_futex, &[u64::from(word), u64::from(FUTEX_WAIT), 0, 0]));
        h.wait_sleeping(tid);
        assert!(exits(&p.call(SYS_exit_group, &[2])));
        assert!(exits(&t.join().unwrap()));
        assert_eq!(zombie(&h, p.pid), Some(w_exitcode(2)));
    }

    #[test]
    fn a_sibling_entering_the_kernel_after_exit_group_runs_nothing() {
        let h = Harness::new();
        let p = h.process(None);
        let tid = p.sys(SYS_clone, &[THREAD, 0x8000, 0, 0, 0]) as i32;
        p.call(SYS_exit_group, &[0]);
        let r = p.as_thread(tid).call(SYS_getpid, &[]);
        assert!(exits(&r));
        assert_eq!(r.value, 0);
    }

    #[test]
    fn exit_group_asks_the_host_to_stop_the_other_threads() {
        let h = Harness::new();
        let p = h.process(None);
        let tid = p.sys(SYS_clone, &[THREAD, 0x8000, 0, 0, 0]) as i32;
        h.platform.take_events();
        p.call(SYS_exit_group, &[0]);
        let killed: Vec<i32> = h
            .platform
            .take_events()
            .into_iter()
            .filter_map(|e| if let HostEvent::KillThread(t) = e { Some(t) } else { None })
            .collect();
        assert_eq!(killed, vec![tid]);
    }

    #[test]
    fn thread_exit_clears_and_wakes_clear_child_tid() {
        let h = Harness::new();
        let p = h.process(None);
        let ctid = p.alloc(4);
        let flags = THREAD | u64::from(CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID);
        let tid = p.sys(SYS_clone, &[flags, 0x8000, 0, 0, u64::from(ctid)]) as i32;
        assert_eq!(p.read_i32(ctid), tid, "CLONE_CHILD_SETTID");
        // pthread_join: wait while the word holds the tid.
        let joiner = p.clone();
        let t = spawn(move || joiner.sys(SYS_futex, &[u64::from(ctid), u64::from(FUTEX_WAIT), tid as u64, 0]));
        h.wait_sleeping(p.tid);
        p.as_thread(tid).call(SYS_exit, &[0]);
        assert_eq!(t.join().unwrap(), 0, "woken, not timed out or interrupted");
        assert_eq!(p.read_u32(ctid), 0);
    }

    #[test]
    fn exit_of_the_only_thread_wakes_nobody_but_still_exits() {
        let h = Harness::new();
        let parent = h.process(None);
        let p = h.process(Some(&parent));
        let word = p.alloc(4);
        p.write(word, &7u32.to_le_bytes());
        assert_eq!(p.sys(SYS_set_tid_address, &[u64::from(word)]), i64::from(p.pid));
        p.call(SYS_exit, &[3]);
        assert_eq!(p.read_u32(word), 0);
        assert_eq!(zombie(&h, p.pid), Some(w_exitcode(3)));
    }

    #[test]
    fn exit_process_twice_keeps_the_first_status() {
        let h = Harness::new();
        let parent = h.process(None);
        let p = h.process(Some(&parent));
        with_ctx(&p, |ctx| {
            super::exit_process(ctx, p.pid, w_exitcode(1));
            super::exit_process(ctx, p.pid, w_exitcode(2));
        });
        assert_eq!(zombie(&h, p.pid), Some(w_exitcode(1)));
    }
}
