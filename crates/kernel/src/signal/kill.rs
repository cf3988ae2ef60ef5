//! Sending signals: kill, tkill, tgkill, rt_sigqueueinfo,
//! rt_tgsigqueueinfo, and [`generate`], the one place where a signal
//! becomes pending (analogous to Linux's `__send_signal_locked` with
//! `prepare_signal`).

use wasmpod_abi::misc::RLIMIT_SIGPENDING;
use wasmpod_abi::signal::{self as sig, sigbit, siginfo_t};

use super::{is_ignored_action, SigInfo, STOP_SIGNALS};
use crate::error::Result;
use crate::kernel::{Ctx, State};
use crate::process::{JobReport, Pid, ProcState, Process, Tid, INIT_PID};
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Who a signal is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Process-directed: any thread that doesn't block it takes it.
    Process(Pid),
    /// Thread-directed (tkill, tgkill, faults).
    Thread(Tid),
}

/// Makes `info` pending for `target`, after the generation rules of
/// signal(7) and Linux's `prepare_signal`:
/// - a stop signal discards a pending SIGCONT; SIGCONT discards pending
///   stop signals and resumes a stopped process (job state `Continued`,
///   SIGCHLD `CLD_CONTINUED` to the parent unless it set `SA_NOCLDSTOP`);
/// - a signal that is ignored (SIG_IGN, or SIG_DFL with default action
///   "ignore") and not blocked is discarded;
/// - a standard signal already pending is not queued again; real-time
///   signals queue, up to the target's `RLIMIT_SIGPENDING` queued signals
///   of its user, beyond which `sigqueue`-style sends fail with `EAGAIN`;
/// - sleepers are woken.
///
/// Signals to a zombie or an exiting process vanish. Signal 0 and
/// numbers outside 1..=64 do nothing.
pub fn generate(st: &mut State, target: Target, info: SigInfo) -> Result<()> {
    let signo = info.signo;
    let bit = sigbit(signo);
    if bit == 0 {
        return Ok(());
    }
    let pid = match target {
        Target::Process(p) => p,
        Target::Thread(t) => st.procs.pid_of(t),
    };
    let Some(p) = st.procs.procs.get(&pid) else { return Ok(()) };
    if p.state != ProcState::Running || p.exiting.is_some() {
        return Ok(());
    }
    // The thread whose mask decides "blocked" (Linux uses the task the
    // signal was sent to: the thread group leader for kill).
    let mask_tid = match target {
        Target::Thread(t) => t,
        Target::Process(_) => p.threads.first().copied().unwrap_or(pid),
    };
    let mask = st.procs.threads.get(&mask_tid).map_or(0, |t| t.signals.mask);
    let threads = p.threads.clone();

    if bit & STOP_SIGNALS != 0 {
        discard_pending(st, pid, &threads, sigbit(sig::SIGCONT));
    }
    if signo == sig::SIGCONT {
        discard_pending(st, pid, &threads, STOP_SIGNALS);
        let resumed = st.procs.procs.get_mut(&pid).is_some_and(|p| {
            let was = p.job.stopped;
            if was {
                p.job.stopped = false;
                p.job.report = Some(JobReport::Continued);
            }
            was
        });
        if resumed {
            notify_parent_job(st, pid, sig::CLD_CONTINUED, sig::SIGCONT as i32);
            st.notify();
        }
    }

    let Some(p) = st.procs.procs.get(&pid) else { return Ok(()) };
    if is_ignored_action(signo, &p.signals.actions[signo as usize]) && mask & bit == 0 {
        return Ok(());
    }
    let uid = p.creds.uid;
    let limit = p.rlimits[RLIMIT_SIGPENDING as usize].cur;
    let already = match target {
        Target::Process(_) => p.signals.pending.bits & bit != 0,
        Target::Thread(t) => st.procs.threads.get(&t).is_some_and(|t| t.signals.pending.bits & bit != 0),
    };
    if signo >= sig::SIGRTMIN && queued_for_user(st, uid) >= limit {
        // Linux: a queued signal that can't get a queue entry fails with
        // EAGAIN, unless it comes from kill(2) (SI_USER), which is then
        // only marked pending if it isn't already.
        if info.code != sig::SI_USER {
            return_errno!(EAGAIN, "RLIMIT_SIGPENDING reached");
        }
        if already {
            return Ok(());
        }
    }
    match target {
        Target::Process(pid) => {
            if let Some(p) = st.procs.procs.get_mut(&pid) {
                p.signals.pending.push(info);
            }
        }
        Target::Thread(tid) => {
            if let Some(t) = st.procs.threads.get_mut(&tid) {
                t.signals.pending.push(info);
            }
        }
    }
    if signo == sig::SIGKILL || fatal_to_group(st, pid, target, signo) {
        // A thread running guest code never enters the kernel to take the
        // signal: the host must stop it (ARCHITECTURE §4). Sleepers wake
        // and take it; a thread lent to a vfork child runs the child's code.
        // Linux's complete_signal does the same for any signal that will
        // kill the process (SIG_DFL, default action terminate, not
        // blocked): the whole group exits at once, so Ctrl-C ends a
        // program stuck in a loop. `fatal_signal_status` picks the status.
        for t in &threads {
            let busy = st.procs.threads.get(t).is_some_and(|th| !th.sleeping && !th.exited && th.vfork_child.is_none());
            if busy && !st.procs.kill_requests.contains(t) {
                st.procs.kill_requests.push(*t);
            }
        }
    }
    st.notify();
    Ok(())
}

/// Whether `signo` sent to `target` will kill process `pid` whatever its
/// threads do: its action is SIG_DFL with a terminating default action,
/// and a thread that may take it doesn't block it (the target thread, or
/// for a process-directed signal any of its threads).
fn fatal_to_group(st: &State, pid: Pid, target: Target, signo: u32) -> bool {
    let Some(p) = st.procs.procs.get(&pid) else { return false };
    if p.signals.actions[signo as usize].handler != sig::SIG_DFL
        || !matches!(super::default_action(signo), super::DefaultAction::Term | super::DefaultAction::Core)
    {
        return false;
    }
    let takes = |t: &Tid| st.procs.threads.get(t).is_some_and(|t| !t.exited && t.signals.mask & sigbit(signo) == 0);
    match target {
        Target::Thread(t) => takes(&t),
        Target::Process(_) => p.threads.iter().any(takes),
    }
}

/// The wait status of process `pid` when the host stopped one of its
/// threads in guest code on the kernel's request: the fatal signal that
/// caused the request if one is still pending (SIGINT from a terminal's
/// Ctrl-C gives status 130 in a shell), otherwise SIGKILL.
pub fn fatal_signal_status(st: &State, pid: Pid) -> i32 {
    let Some(p) = st.procs.procs.get(&pid) else { return wasmpod_abi::wait::w_termsig(sig::SIGKILL, false) };
    let mut pending = p.signals.pending.bits;
    for t in &p.threads {
        if let Some(t) = st.procs.threads.get(t) {
            pending |= t.signals.pending.bits & !t.signals.mask;
        }
    }
    if pending & sigbit(sig::SIGKILL) == 0 {
        for signo in 1..sig::NSIG {
            if pending & sigbit(signo) != 0 && fatal_to_group(st, pid, Target::Process(pid), signo) {
                let core = super::default_action(signo) == super::DefaultAction::Core;
                return wasmpod_abi::wait::w_termsig(signo, core);
            }
        }
    }
    wasmpod_abi::wait::w_termsig(sig::SIGKILL, false)
}

/// Drops `set` from the process's and its threads' pending sets.
fn discard_pending(st: &mut State, pid: Pid, threads: &[Tid], set: u64) {
    if let Some(p) = st.procs.procs.get_mut(&pid) {
        p.signals.pending.discard(set);
    }
    for t in threads {
        if let Some(t) = st.procs.threads.get_mut(t) {
            t.signals.pending.discard(set);
        }
    }
}

/// Queued signal instances of every process of user `uid` (Linux counts
/// `sigpending` per user).
fn queued_for_user(st: &State, uid: u32) -> u64 {
    let mut n = 0u64;
    for p in st.procs.procs.values().filter(|p| p.creds.uid == uid) {
        n += p.signals.pending.queue.len() as u64;
        for t in &p.threads {
            n += st.procs.threads.get(t).map_or(0, |t| t.signals.pending.queue.len() as u64);
        }
    }
    n
}

/// Tells the parent of `pid` that it stopped or continued: SIGCHLD with
/// `code` (`CLD_STOPPED`/`CLD_CONTINUED`), unless the parent's SIGCHLD
/// action has `SA_NOCLDSTOP`. Wakes the parent's wait either way.
pub fn notify_parent_job(st: &mut State, pid: Pid, code: i32, status: i32) {
    let Some(p) = st.procs.procs.get(&pid) else { return };
    let (ppid, uid) = (p.ppid, p.creds.uid);
    st.notify();
    let Some(parent) = st.procs.procs.get(&ppid) else { return };
    if parent.signals.actions[sig::SIGCHLD as usize].flags & sig::SA_NOCLDSTOP != 0 {
        return;
    }
    let _ = generate(st, Target::Process(ppid), SigInfo::child(pid, uid, code, status));
}

/// kill(2)'s permission rule: "the real or effective user ID of the
/// sending process must equal the real or saved set-user-ID of the target
/// process"; root may signal anyone; SIGCONT may go to any process of the
/// same session.
pub fn may_signal(sender: &Process, target: &Process, signo: u32) -> bool {
    let (s, t) = (&sender.creds, &target.creds);
    s.is_root()
        || s.uid == t.uid
        || s.uid == t.suid
        || s.euid == t.uid
        || s.euid == t.suid
        || (signo == sig::SIGCONT && sender.sid == target.sid)
}

/// Checks a signal number argument: 0..=64 (`EINVAL` otherwise).
fn signal_arg(a: &SyscallArgs, i: usize) -> Result<u32> {
    let s = a.i32(i);
    if !(0..=sig::SIGRTMAX as i32).contains(&s) {
        return_errno!(EINVAL, "invalid signal number");
    }
    Ok(s as u32)
}

/// Sends `info` to process `pid` after the existence and permission
/// checks (`ESRCH`, `EPERM`); signal 0 only checks.
fn send_checked(ctx: &mut Ctx, target: Target, info: SigInfo) -> Result<()> {
    let pid = match target {
        Target::Process(p) => p,
        Target::Thread(t) => ctx.st.procs.pid_of(t),
    };
    let sender = ctx.pid();
    let (Some(s), Some(t)) = (ctx.st.procs.procs.get(&sender), ctx.st.procs.procs.get(&pid)) else {
        return_errno!(ESRCH, "no such process");
    };
    if !may_signal(s, t, info.signo) {
        return_errno!(EPERM, "not allowed to signal that process");
    }
    if info.signo != 0 {
        generate(&mut ctx.st, target, info)?;
    }
    Ok(())
}

/// The process a kill(2) pid names: a process id, or the id of one of
/// its threads (Linux finds the task and signals its group).
fn process_of_id(st: &State, id: i32) -> Option<Pid> {
    if st.procs.procs.contains_key(&id) {
        return Some(id);
    }
    st.procs.threads.get(&id).filter(|t| !t.exited).map(|t| t.pid)
}

/// Sends to every process of group `pgid`: 0 if any got it, else the
/// last error; `ESRCH` for an empty group (Linux's `__kill_pgrp_info`).
fn kill_pgrp(ctx: &mut Ctx, pgid: Pid, info: SigInfo) -> Result<i64> {
    let pids: Vec<Pid> = ctx.st.procs.procs.values().filter(|p| p.pgid == pgid).map(|p| p.pid).collect();
    if pids.is_empty() {
        return_errno!(ESRCH, "no such process group");
    }
    let mut success = false;
    let mut last = None;
    for pid in pids {
        match send_checked(ctx, Target::Process(pid), info) {
            Ok(()) => success = true,
            Err(e) => last = Some(e),
        }
    }
    match (success, last) {
        (false, Some(e)) => Err(e),
        _ => Ok(0),
    }
}

/// Implements kill(2): `pid > 0` one process, `0` the caller's process
/// group, `-1` every process the caller may signal except init and
/// itself, `< -1` process group `-pid`. Signal 0 checks existence and
/// permission only.
pub fn sys_kill(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let pid = a.i32(0);
    let signo = signal_arg(a, 1)?;
    let me = ctx.pid();
    let info = SigInfo::user(signo, me, ctx.process().creds.uid);
    match pid {
        p if p > 0 => {
            let target = process_of_id(&ctx.st, p).ok_or(errno!(ESRCH, "no such process"))?;
            send_checked(ctx, Target::Process(target), info)?;
            Ok(0)
        }
        0 => {
            let pgid = ctx.process().pgid;
            kill_pgrp(ctx, pgid, info)
        }
        -1 => {
            // Linux: EPERM from single targets is not reported; ESRCH if
            // there was nobody to try.
            let pids: Vec<Pid> = ctx.st.procs.procs.keys().copied().filter(|&p| p > INIT_PID && p != me).collect();
            let mut result = Ok(0);
            for pid in &pids {
                match send_checked(ctx, Target::Process(*pid), info) {
                    Err(e) if e.errno() != wasmpod_abi::Errno::EPERM => result = Err(e),
                    _ => {}
                }
            }
            if pids.is_empty() {
                return_errno!(ESRCH, "no process to signal");
            }
            result
        }
        p => {
            let pgid = p.checked_neg().ok_or(errno!(ESRCH, "no such process group"))?;
            kill_pgrp(ctx, pgid, info)
        }
    }
}

/// Finds thread `tid` (alive), optionally checking it belongs to `tgid`.
fn live_thread(ctx: &Ctx, tgid: Option<Pid>, tid: Tid) -> Result<Tid> {
    match ctx.st.procs.threads.get(&tid) {
        Some(t) if !t.exited && tgid.is_none_or(|g| g == t.pid) => Ok(tid),
        _ => Err(errno!(ESRCH, "no such thread")),
    }
}

/// Implements tkill(2) (obsolete predecessor of tgkill).
pub fn sys_tkill(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let tid = a.i32(0);
    let signo = signal_arg(a, 1)?;
    if tid <= 0 {
        return_errno!(EINVAL, "tkill: tid must be positive");
    }
    let tid = live_thread(ctx, None, tid)?;
    let info = SigInfo { code: sig::SI_TKILL, ..SigInfo::user(signo, ctx.pid(), ctx.process().creds.uid) };
    send_checked(ctx, Target::Thread(tid), info)?;
    Ok(0)
}

/// Implements tgkill(2): `ESRCH` when `tid` is not a thread of `tgid`.
pub fn sys_tgkill(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (tgid, tid) = (a.i32(0), a.i32(1));
    let signo = signal_arg(a, 2)?;
    if tgid <= 0 || tid <= 0 {
        return_errno!(EINVAL, "tgkill: ids must be positive");
    }
    let tid = live_thread(ctx, Some(tgid), tid)?;
    let info = SigInfo { code: sig::SI_TKILL, ..SigInfo::user(signo, ctx.pid(), ctx.process().creds.uid) };
    send_checked(ctx, Target::Thread(tid), info)?;
    Ok(0)
}

/// Reads the caller's `siginfo_t` for the sigqueue calls. "The caller
/// may not send a signal with `si_code >= 0` or `SI_TKILL` to another
/// process" (`EPERM`): those codes are the kernel's and kill's.
fn queue_info(ctx: &Ctx, uinfo: u32, signo: u32, to_self: bool) -> Result<SigInfo> {
    let si: siginfo_t = ctx.read_struct(uinfo)?;
    if (si.si_code >= 0 || si.si_code == sig::SI_TKILL) && !to_self {
        return_errno!(EPERM, "si_code >= 0 may only be sent to oneself");
    }
    Ok(SigInfo { signo, code: si.si_code, pid: si.si_pid, uid: si.si_uid, status: si.si_status, errno: si.si_errno })
}

/// Implements rt_sigqueueinfo(2): `(tgid, sig, uinfo)`; the sender's
/// `si_pid`, `si_uid` and `si_value` are passed through as given.
pub fn sys_rt_sigqueueinfo(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let tgid = a.i32(0);
    let info = queue_info(ctx, a.ptr(2), 0, tgid == ctx.pid())?;
    let signo = signal_arg(a, 1)?;
    let target = process_of_id(&ctx.st, tgid).filter(|_| tgid > 0).ok_or(errno!(ESRCH, "no such process"))?;
    send_checked(ctx, Target::Process(target), SigInfo { signo, ..info })?;
    Ok(0)
}

/// Implements rt_tgsigqueueinfo(2): `(tgid, tid, sig, uinfo)`.
pub fn sys_rt_tgsigqueueinfo(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (tgid, tid) = (a.i32(0), a.i32(1));
    if tgid <= 0 || tid <= 0 {
        return_errno!(EINVAL, "rt_tgsigqueueinfo: ids must be positive");
    }
    let info = queue_info(ctx, a.ptr(3), 0, tid == ctx.tid)?;
    let signo = signal_arg(a, 2)?;
    let tid = live_thread(ctx, Some(tgid), tid)?;
    send_checked(ctx, Target::Thread(tid), SigInfo { signo, ..info })?;
    Ok(0)
}

#[cfg(test)]
mod kill_thread_tests {
    use wasmpod_abi::signal::{sigbit, SIGCHLD, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIG_BLOCK, SIG_IGN};
    use wasmpod_abi::syscalls::*;

    use crate::process::testutil::*;
    use crate::signal::tests::{procmask, sigaction};
    use crate::testing::{Harness, HostEvent, Proc};

    fn killed(h: &Harness) -> Vec<i32> {
        h.platform
            .take_events()
            .into_iter()
            .filter_map(|e| match e {
                HostEvent::KillThread(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sigkill_asks_the_host_to_stop_threads_running_guest_code() {
        let h = Harness::new();
        let init = h.process(None);
        let (victim, t2) = two_threads(&h, &init);
        // Neither thread ever enters the kernel again: only the host can
        // stop them. A signal with a handler waits for a kernel entry.
        assert_eq!(sigaction(&victim, SIGTERM, 0x1234, 0, 0), 0);
        assert_eq!(init.sys(SYS_kill, &[victim.pid as u64, u64::from(SIGTERM)]), 0);
        assert_eq!(killed(&h), Vec::<i32>::new(), "a handled signal waits for a kernel entry");
        assert_eq!(init.sys(SYS_kill, &[victim.pid as u64, u64::from(SIGKILL)]), 0);
        assert_eq!(killed(&h), vec![victim.pid, t2]);
        // Once stopped, the host reports the threads gone: the process
        // dies of SIGKILL.
        h.kernel.thread_exited(victim.pid);
        assert!(zombie(&h, victim.pid).is_some_and(|s| s & 0x7f == SIGKILL as i32));
    }

    fn two_threads(h: &Harness, parent: &Proc) -> (Proc, i32) {
        let victim = h.process(Some(parent));
        let flags = (wasmpod_abi::sched::CLONE_VM
            | wasmpod_abi::sched::CLONE_FS
            | wasmpod_abi::sched::CLONE_FILES
            | wasmpod_abi::sched::CLONE_SIGHAND
            | wasmpod_abi::sched::CLONE_THREAD) as u64;
        let t2 = victim.sys(SYS_clone, &[flags, 0x9000, 0, 0, 0]) as i32;
        h.platform.take_events();
        (victim, t2)
    }

    #[test]
    fn a_default_fatal_signal_stops_busy_threads_and_is_the_exit_status() {
        // Linux's complete_signal: SIGINT with SIG_DFL kills the whole
        // group at once, so ^C ends a program spinning in guest code.
        let h = Harness::new();
        let init = h.process(None);
        let (victim, t2) = two_threads(&h, &init);
        assert_eq!(init.sys(SYS_kill, &[victim.pid as u64, u64::from(SIGINT)]), 0);
        assert_eq!(killed(&h), vec![victim.pid, t2]);
        h.kernel.thread_exited(victim.pid);
        assert_eq!(zombie(&h, victim.pid).map(|s| s & 0x7f), Some(SIGINT as i32));
    }

    #[test]
    fn a_fatal_signal_blocked_by_every_thread_or_ignored_stops_nothing() {
        let h = Harness::new();
        let init = h.process(None);
        let (victim, _t2) = two_threads(&h, &init);
        // The main thread blocks SIGQUIT; the second thread may take it.
        assert_eq!(procmask(&victim, SIG_BLOCK, sigbit(SIGQUIT) | sigbit(SIGTERM)), 0);
        assert_eq!(init.sys(SYS_kill, &[victim.pid as u64, u64::from(SIGQUIT)]), 0);
        assert_eq!(killed(&h).len(), 2, "another thread can take it: the group dies");
        let (victim, _t2) = two_threads(&h, &init);
        assert_eq!(procmask(&victim, SIG_BLOCK, sigbit(SIGTERM)), 0);
        // Thread-directed at the thread that blocks it: it stays pending.
        assert_eq!(init.sys(SYS_tgkill, &[victim.pid as u64, victim.pid as u64, u64::from(SIGTERM)]), 0);
        assert_eq!(killed(&h), Vec::<i32>::new());
        assert_eq!(sigaction(&victim, SIGINT, SIG_IGN, 0, 0), 0);
        assert_eq!(init.sys(SYS_kill, &[victim.pid as u64, u64::from(SIGINT)]), 0);
        assert_eq!(killed(&h), Vec::<i32>::new(), "ignored");
        assert_eq!(init.sys(SYS_kill, &[victim.pid as u64, u64::from(SIGCHLD)]), 0);
        assert_eq!(killed(&h), Vec::<i32>::new(), "default action ignore");
    }

    #[test]
    fn sigkill_to_itself_does_not_stop_the_caller() {
        let h = Harness::new();
        let init = h.process(None);
        let p = h.process(Some(&init));
        let r = p.call(SYS_kill, &[p.pid as u64, u64::from(SIGKILL)]);
        assert_eq!(killed(&h), Vec::<i32>::new(), "the caller leaves through ExitThread");
        assert!(exits(&r) || r.signal_pending);
    }
}
