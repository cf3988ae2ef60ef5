//! Behaviour tests for signals (signal(7), sigaction(2), kill(2), ...).
//! The helpers here are shared with the time tests.

use std::sync::mpsc;
use std::time::Duration;

use wasmpod_abi::signal::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::time::timespec;
use wasmpod_abi::wait::w_termsig;
use wasmpod_abi::Errno;

use super::{Delivery, HandlerFrame};
use crate::kernel::Action;
use crate::process::{Credentials, JobReport, JobState, Pid, ProcState};
use crate::testing::{Harness, Proc};

pub(crate) const HANDLER: u32 = 0x1234;

pub(crate) fn err(e: Errno) -> i64 {
    -i64::from(e.as_i32())
}

/// Host side: deliver one signal to `p`'s thread with stack pointer `sp`.
pub(crate) fn deliver(p: &Proc, sp: u32) -> Delivery {
    let mut mem = p.mem.clone();
    p.kernel.deliver_signal(p.tid, &mut mem, sp)
}

/// A stack for handler frames: returns its top.
pub(crate) fn stack(p: &Proc) -> u32 {
    p.alloc(0x4000) + 0x4000
}

pub(crate) fn sigaction(p: &Proc, signo: u32, handler: u32, flags: u32, mask: u64) -> i64 {
    let act = p.put_struct(&k_sigaction { handler, flags, restorer: 0, mask: [mask as u32, (mask >> 32) as u32] });
    p.sys(SYS_rt_sigaction, &[signo.into(), act.into(), 0, 8])
}

pub(crate) fn get_action(p: &Proc, signo: u32) -> k_sigaction {
    let old = p.alloc(k_sigaction::SIZE_);
    assert_eq!(p.sys(SYS_rt_sigaction, &[signo.into(), 0, old.into(), 8]), 0);
    p.read_struct(old)
}

pub(crate) fn procmask(p: &Proc, how: u32, set: u64) -> i64 {
    let s = p.bytes(&set.to_le_bytes());
    p.sys(SYS_rt_sigprocmask, &[how.into(), s.into(), 0, 8])
}

pub(crate) fn mask(p: &Proc) -> u64 {
    let o = p.alloc(8);
    assert_eq!(p.sys(SYS_rt_sigprocmask, &[0, 0, o.into(), 8]), 0);
    p.read_u64(o)
}

pub(crate) fn kill(p: &Proc, pid: Pid, signo: u32) -> i64 {
    p.sys(SYS_kill, &[pid as u32 as u64, signo.into()])
}

pub(crate) fn tgkill(p: &Proc, tgid: Pid, tid: Pid, signo: u32) -> i64 {
    p.sys(SYS_tgkill, &[tgid as u32 as u64, tid as u32 as u64, signo.into()])
}

/// Pending bits of the process (shared) and of its main thread.
pub(crate) fn pending(h: &Harness, p: &Proc) -> (u64, u64) {
    h.kernel
        .with_state(|st| (st.procs.procs[&p.pid].signals.pending.bits, st.procs.threads[&p.tid].signals.pending.bits))
}

pub(crate) fn exit_status(h: &Harness, pid: Pid) -> Option<i32> {
    h.kernel.with_state(|st| st.procs.procs.get(&pid).and_then(|p| p.exiting))
}

pub(crate) fn job(h: &Harness, pid: Pid) -> JobState {
    h.kernel.with_state(|st| st.procs.procs[&pid].job)
}

/// Adds a thread to `p`'s process with clone(2) (it inherits the mask).
pub(crate) fn add_thread(_h: &Harness, p: &Proc) -> Proc {
    use wasmpod_abi::sched::*;
    let flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    let tid = p.sys(SYS_clone, &[flags.into(), stack(p).into(), 0, 0, 0]);
    assert!(tid > 0, "clone failed: {tid}");
    p.as_thread(tid as Pid)
}

/// Runs `f` on another thread; [`recv`] waits for its result.
pub(crate) fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx
}

pub(crate) fn recv<T>(rx: mpsc::Receiver<T>) -> T {
    rx.recv_timeout(Duration::from_secs(20)).expect("the blocked call never finished")
}

/// What a host does with one call: deliver signals when told, re-issue
/// the call on `Restart`. Returns the value and the handler frames.
pub(crate) fn host_call(p: &Proc, nr: u32, args: &[u64], sp: u32) -> (i64, Vec<HandlerFrame>) {
    let mut frames = Vec::new();
    loop {
        let r = p.call(nr, args);
        if r.signal_pending {
            loop {
                match deliver(p, sp) {
                    Delivery::None => break,
                    Delivery::ExitThread => return (r.value, frames),
                    Delivery::Handler(f) => frames.push(f),
                }
            }
        }
        match r.action {
            Action::Restart => continue,
            _ => return (r.value, frames),
        }
    }
}

trait SizeOf {
    const SIZE_: usize;
}
impl<T: wasmpod_abi::AbiStruct> SizeOf for T {
    const SIZE_: usize = T::SIZE;
}

fn bit(s: u32) -> u64 {
    sigbit(s)
}

fn handler_frame(d: Delivery) -> HandlerFrame {
    match d {
        Delivery::Handler(f) => f,
        other => panic!("expected a handler frame, got {other:?}"),
    }
}

// ---- rt_sigaction ----------------------------------------------------------

#[test]
fn sigaction_returns_previous_action() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(sigaction(&p, SIGUSR1, HANDLER, SA_RESTART, bit(SIGUSR2)), 0);
    let old = get_action(&p, SIGUSR1);
    assert_eq!(old.handler, HANDLER);
    assert_eq!(old.flags, SA_RESTART);
    assert_eq!(old.mask, [bit(SIGUSR2) as u32, 0]);
    // A new action hands back the old one in the same call.
    let act = p.put_struct(&k_sigaction { handler: SIG_IGN, ..Default::default() });
    let oact = p.alloc(20);
    assert_eq!(p.sys(SYS_rt_sigaction, &[SIGUSR1.into(), act.into(), oact.into(), 8]), 0);
    assert_eq!(p.read_struct::<k_sigaction>(oact).handler, HANDLER);
    assert_eq!(get_action(&p, SIGUSR1).handler, SIG_IGN);
}

#[test]
fn sigaction_needs_sigsetsize_8() {
    let h = Harness::new();
    let p = h.process(None);
    let act = p.put_struct(&k_sigaction::default());
    assert_eq!(p.sys(SYS_rt_sigaction, &[SIGUSR1.into(), act.into(), 0, 4]), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_rt_sigaction, &[SIGUSR1.into(), act.into(), 0, 16]), err(Errno::EINVAL));
}

#[test]
fn sigaction_refuses_to_change_sigkill_and_sigstop() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(sigaction(&p, SIGKILL, SIG_IGN, 0, 0), err(Errno::EINVAL));
    assert_eq!(sigaction(&p, SIGSTOP, HANDLER, 0, 0), err(Errno::EINVAL));
    // Reading them is fine.
    assert_eq!(get_action(&p, SIGKILL).handler, SIG_DFL);
}

#[test]
fn sigaction_rejects_out_of_range_signals() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(sigaction(&p, 0, HANDLER, 0, 0), err(Errno::EINVAL));
    assert_eq!(sigaction(&p, 65, HANDLER, 0, 0), err(Errno::EINVAL));
    assert_eq!(sigaction(&p, 64, HANDLER, 0, 0), 0);
}

#[test]
fn sigaction_mask_never_holds_sigkill_or_sigstop() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(sigaction(&p, SIGUSR1, HANDLER, 0, u64::MAX), 0);
    let m = get_action(&p, SIGUSR1).mask;
    let m = u64::from(m[0]) | (u64::from(m[1]) << 32);
    assert_eq!(m, !(bit(SIGKILL) | bit(SIGSTOP)));
}

#[test]
fn sigaction_keeps_known_flags_and_drops_unknown_ones() {
    let h = Harness::new();
    let p = h.process(None);
    let known = SA_RESTART | SA_SIGINFO | SA_NODEFER | SA_RESETHAND | SA_ONSTACK | SA_RESTORER;
    assert_eq!(sigaction(&p, SIGUSR1, HANDLER, known | 0x0000_0100, 0), 0);
    assert_eq!(get_action(&p, SIGUSR1).flags, known);
    assert_eq!(sigaction(&p, SIGCHLD, HANDLER, SA_NOCLDSTOP | SA_NOCLDWAIT, 0), 0);
    assert_eq!(get_action(&p, SIGCHLD).flags, SA_NOCLDSTOP | SA_NOCLDWAIT);
}

#[test]
fn sigaction_bad_pointer_is_efault() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_rt_sigaction, &[SIGUSR1.into(), 0xffff_fff0, 0, 8]), err(Errno::EFAULT));
    assert_eq!(p.sys(SYS_rt_sigaction, &[SIGUSR1.into(), 0, 0xffff_fff0, 8]), err(Errno::EFAULT));
}

#[test]
fn setting_sig_ign_discards_a_pending_blocked_signal() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    assert_eq!(kill(&p, p.pid, SIGUSR1), 0);
    assert_eq!(pending(&h, &p).0, bit(SIGUSR1));
    assert_eq!(sigaction(&p, SIGUSR1, SIG_IGN, 0, 0), 0);
    assert_eq!(pending(&h, &p), (0, 0));
}

#[test]
fn setting_sig_dfl_discards_pending_default_ignored_signal() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGCHLD) | bit(SIGTERM));
    kill(&p, p.pid, SIGCHLD);
    kill(&p, p.pid, SIGTERM);
    assert_eq!(sigaction(&p, SIGCHLD, SIG_DFL, 0, 0), 0);
    assert_eq!(sigaction(&p, SIGTERM, SIG_DFL, 0, 0), 0);
    // SIGCHLD's default is to ignore: gone. SIGTERM stays pending.
    assert_eq!(pending(&h, &p).0, bit(SIGTERM));
}

#[test]
fn sigaction_ign_discards_thread_directed_instances_too() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR2));
    assert_eq!(tgkill(&p, p.pid, p.tid, SIGUSR2), 0);
    assert_eq!(pending(&h, &p).1, bit(SIGUSR2));
    sigaction(&p, SIGUSR2, SIG_IGN, 0, 0);
    assert_eq!(pending(&h, &p).1, 0);
}

// ---- rt_sigprocmask / rt_sigpending ---------------------------------------

#[test]
fn sigprocmask_block_unblock_setmask() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(procmask(&p, SIG_BLOCK, bit(SIGUSR1) | bit(SIGINT)), 0);
    assert_eq!(mask(&p), bit(SIGUSR1) | bit(SIGINT));
    assert_eq!(procmask(&p, SIG_UNBLOCK, bit(SIGINT)), 0);
    assert_eq!(mask(&p), bit(SIGUSR1));
    assert_eq!(procmask(&p, SIG_SETMASK, bit(SIGTERM)), 0);
    assert_eq!(mask(&p), bit(SIGTERM));
}

#[test]
fn sigprocmask_returns_the_old_mask() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_SETMASK, bit(SIGHUP));
    let set = p.bytes(&bit(SIGQUIT).to_le_bytes());
    let old = p.alloc(8);
    assert_eq!(p.sys(SYS_rt_sigprocmask, &[SIG_BLOCK.into(), set.into(), old.into(), 8]), 0);
    assert_eq!(p.read_u64(old), bit(SIGHUP));
    assert_eq!(mask(&p), bit(SIGHUP) | bit(SIGQUIT));
}

#[test]
fn sigkill_and_sigstop_cannot_be_blocked() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(procmask(&p, SIG_SETMASK, u64::MAX), 0);
    assert_eq!(mask(&p), !(bit(SIGKILL) | bit(SIGSTOP)));
}

#[test]
fn sigprocmask_bad_how_is_einval_only_with_a_set() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(procmask(&p, 7, bit(SIGUSR1)), err(Errno::EINVAL));
    let o = p.alloc(8);
    assert_eq!(p.sys(SYS_rt_sigprocmask, &[7, 0, o.into(), 8]), 0);
}

#[test]
fn sigprocmask_bad_sigsetsize_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let s = p.bytes(&[0; 8]);
    assert_eq!(p.sys(SYS_rt_sigprocmask, &[SIG_BLOCK.into(), s.into(), 0, 4]), err(Errno::EINVAL));
}

#[test]
fn blocked_signal_stays_pending_until_unblocked() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    let r = p.call(SYS_kill, &[p.pid as u64, SIGUSR1.into()]);
    assert!(!r.signal_pending, "a blocked signal is not delivered");
    let set = p.bytes(&bit(SIGUSR1).to_le_bytes());
    let r = p.call(SYS_rt_sigprocmask, &[SIG_UNBLOCK.into(), set.into(), 0, 8]);
    assert!(r.signal_pending, "unblocking makes it deliverable");
    let f = handler_frame(deliver(&p, stack(&p)));
    assert_eq!(f.sig, SIGUSR1);
}

#[test]
fn sigpending_reports_blocked_signals_of_thread_and_process() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1) | bit(SIGUSR2));
    kill(&p, p.pid, SIGUSR1);
    tgkill(&p, p.pid, p.tid, SIGUSR2);
    let set = p.alloc(8);
    assert_eq!(p.sys(SYS_rt_sigpending, &[set.into(), 8]), 0);
    assert_eq!(p.read_u64(set), bit(SIGUSR1) | bit(SIGUSR2));
}

#[test]
fn sigpending_leaves_out_unblocked_signals() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    kill(&p, p.pid, SIGUSR1);
    let set = p.alloc(8);
    assert_eq!(p.sys(SYS_rt_sigpending, &[set.into(), 8]), 0);
    assert_eq!(p.read_u64(set), 0);
}

#[test]
fn sigpending_rejects_oversized_sigset() {
    let h = Harness::new();
    let p = h.process(None);
    let set = p.alloc(16);
    assert_eq!(p.sys(SYS_rt_sigpending, &[set.into(), 16]), err(Errno::EINVAL));
}

// ---- kill: targets and permissions -----------------------------------------

#[test]
fn kill_signal_zero_checks_existence_only() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    assert_eq!(kill(&p, q.pid, 0), 0);
    assert_eq!(pending(&h, &q), (0, 0));
    assert_eq!(kill(&p, 4242, 0), err(Errno::ESRCH));
}

#[test]
fn kill_rejects_invalid_signal_numbers() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(kill(&p, p.pid, 65), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_kill, &[p.pid as u64, u64::from(u32::MAX)]), err(Errno::EINVAL));
}

#[test]
fn kill_other_users_process_is_eperm() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process_as(None, Credentials::with_ids(1001, 1001));
    assert_eq!(kill(&p, q.pid, SIGTERM), err(Errno::EPERM));
    assert_eq!(kill(&p, q.pid, 0), err(Errno::EPERM));
    assert_eq!(pending(&h, &q), (0, 0));
}

#[test]
fn root_may_signal_anyone() {
    let h = Harness::new();
    let root = h.process_as(None, Credentials::root());
    let q = h.process_as(None, Credentials::with_ids(1001, 1001));
    procmask(&q, SIG_BLOCK, bit(SIGTERM));
    assert_eq!(kill(&root, q.pid, SIGTERM), 0);
    assert_eq!(pending(&h, &q).0, bit(SIGTERM));
}

#[test]
fn kill_permitted_when_sender_uid_matches_target_saved_uid() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process_as(None, Credentials::with_ids(1001, 1001));
    h.kernel.with_state(|st| st.procs.procs.get_mut(&q.pid).unwrap().creds.suid = 1000);
    assert_eq!(kill(&p, q.pid, 0), 0);
    // And when the sender's effective uid matches the target's real uid.
    let r = h.process(None);
    h.kernel.with_state(|st| st.procs.procs.get_mut(&r.pid).unwrap().creds.euid = 1001);
    assert_eq!(kill(&r, q.pid, 0), 0);
}

#[test]
fn sigcont_may_go_to_any_process_of_the_same_session() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(Some(&p));
    h.kernel.with_state(|st| st.procs.procs.get_mut(&c.pid).unwrap().creds = Credentials::with_ids(2000, 2000));
    assert_eq!(kill(&p, c.pid, SIGCONT), 0);
    assert_eq!(kill(&p, c.pid, SIGTERM), err(Errno::EPERM));
    // Another session: no.
    let other = h.process_as(None, Credentials::with_ids(2000, 2000));
    assert_eq!(kill(&p, other.pid, SIGCONT), err(Errno::EPERM));
}

#[test]
fn kill_pid_zero_signals_the_callers_process_group() {
    let h = Harness::new();
    let p = h.process(None);
    let c1 = h.process(Some(&p));
    let c2 = h.process(Some(&p));
    let outsider = h.process(None);
    for q in [&p, &c1, &c2, &outsider] {
        procmask(q, SIG_BLOCK, bit(SIGUSR1));
    }
    assert_eq!(kill(&c1, 0, SIGUSR1), 0);
    for q in [&p, &c1, &c2] {
        assert_eq!(pending(&h, q).0, bit(SIGUSR1), "pid {}", q.pid);
    }
    assert_eq!(pending(&h, &outsider).0, 0);
}

#[test]
fn kill_negative_pid_signals_that_process_group() {
    let h = Harness::new();
    let p = h.process(None);
    let g = h.process(None);
    let gc = h.process(Some(&g));
    for q in [&g, &gc, &p] {
        procmask(q, SIG_BLOCK, bit(SIGUSR2));
    }
    assert_eq!(kill(&p, -g.pid, SIGUSR2), 0);
    assert_eq!(pending(&h, &g).0, bit(SIGUSR2));
    assert_eq!(pending(&h, &gc).0, bit(SIGUSR2));
    assert_eq!(pending(&h, &p).0, 0);
}

#[test]
fn kill_empty_process_group_is_esrch() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(kill(&p, -4000, SIGUSR1), err(Errno::ESRCH));
    assert_eq!(p.sys(SYS_kill, &[i32::MIN as u32 as u64, SIGUSR1.into()]), err(Errno::ESRCH));
}

#[test]
fn kill_process_group_of_other_users_is_eperm() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process_as(None, Credentials::with_ids(1001, 1001));
    assert_eq!(kill(&p, -q.pid, SIGUSR1), err(Errno::EPERM));
}

#[test]
fn kill_minus_one_skips_init_and_the_caller() {
    let h = Harness::new();
    let init = h.process(None);
    assert_eq!(init.pid, 1);
    let a = h.process(None);
    let b = h.process(None);
    let other_user = h.process_as(None, Credentials::with_ids(1001, 1001));
    for q in [&init, &a, &b, &other_user] {
        procmask(q, SIG_BLOCK, bit(SIGUSR1));
    }
    assert_eq!(kill(&a, -1, SIGUSR1), 0);
    assert_eq!(pending(&h, &init).0, 0, "init is spared");
    assert_eq!(pending(&h, &a).0, 0, "the caller is spared");
    assert_eq!(pending(&h, &b).0, bit(SIGUSR1));
    assert_eq!(pending(&h, &other_user).0, 0, "no permission");
}

#[test]
fn kill_minus_one_with_nobody_else_is_esrch() {
    let h = Harness::new();
    let _init = h.process(None);
    let a = h.process(None);
    assert_eq!(kill(&a, -1, SIGUSR1), err(Errno::ESRCH));
}

#[test]
fn signal_to_a_zombie_succeeds_and_does_nothing() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(Some(&p));
    h.kernel.with_state(|st| st.procs.procs.get_mut(&c.pid).unwrap().state = ProcState::Zombie { status: 0 });
    assert_eq!(kill(&p, c.pid, SIGTERM), 0);
    assert_eq!(pending(&h, &c), (0, 0));
}

// ---- tkill / tgkill ----------------------------------------------------------

#[test]
fn tgkill_makes_the_signal_pending_for_that_thread_only() {
    let h = Harness::new();
    let p = h.process(None);
    let t2 = add_thread(&h, &p);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    let r = p.call(SYS_tgkill, &[p.pid as u64, t2.tid as u64, SIGUSR1.into()]);
    assert_eq!(r.value, 0);
    assert!(!r.signal_pending, "the caller's thread has nothing to deliver");
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
    assert_eq!(handler_frame(deliver(&t2, stack(&t2))).sig, SIGUSR1);
}

#[test]
fn tgkill_with_a_thread_of_another_process_is_esrch() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    assert_eq!(tgkill(&p, p.pid, q.tid, SIGUSR1), err(Errno::ESRCH));
    assert_eq!(tgkill(&p, q.pid, q.tid, 0), 0);
}

#[test]
fn tgkill_and_tkill_reject_nonpositive_ids() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(tgkill(&p, 0, p.tid, SIGUSR1), err(Errno::EINVAL));
    assert_eq!(tgkill(&p, p.pid, -1, SIGUSR1), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_tkill, &[0, SIGUSR1.into()]), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_tkill, &[9999, SIGUSR1.into()]), err(Errno::ESRCH));
}

#[test]
fn tkill_siginfo_says_si_tkill_with_sender() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR2, HANDLER, SA_SIGINFO, 0);
    assert_eq!(p.sys(SYS_tkill, &[p.tid as u64, SIGUSR2.into()]), 0);
    let f = handler_frame(deliver(&p, stack(&p)));
    let si: siginfo_t = p.read_struct(f.siginfo);
    assert_eq!((si.si_signo, si.si_code, si.si_pid, si.si_uid), (SIGUSR2 as i32, SI_TKILL, p.pid, 1000));
}

#[test]
fn process_directed_signal_is_taken_by_a_thread_that_does_not_block_it() {
    let h = Harness::new();
    let p = h.process(None);
    let t2 = add_thread(&h, &p);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    kill(&p, p.pid, SIGUSR1);
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
    assert_eq!(handler_frame(deliver(&t2, stack(&t2))).sig, SIGUSR1);
    assert_eq!(deliver(&t2, stack(&t2)), Delivery::None, "taken once");
}

#[test]
fn thread_directed_signals_go_before_process_directed_ones() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGHUP, HANDLER, 0, 0);
    sigaction(&p, SIGUSR2, HANDLER, 0, 0);
    procmask(&p, SIG_BLOCK, bit(SIGHUP) | bit(SIGUSR2));
    kill(&p, p.pid, SIGHUP);
    tgkill(&p, p.pid, p.tid, SIGUSR2);
    procmask(&p, SIG_SETMASK, 0);
    assert_eq!(handler_frame(deliver(&p, stack(&p))).sig, SIGUSR2);
    procmask(&p, SIG_SETMASK, 0);
    assert_eq!(handler_frame(deliver(&p, stack(&p))).sig, SIGHUP);
}

#[test]
fn lowest_numbered_pending_signal_is_delivered_first() {
    let h = Harness::new();
    let p = h.process(None);
    for s in [SIGUSR2, SIGINT, SIGUSR1] {
        sigaction(&p, s, HANDLER, SA_NODEFER, 0);
    }
    procmask(&p, SIG_BLOCK, u64::MAX);
    for s in [SIGUSR2, SIGINT, SIGUSR1] {
        kill(&p, p.pid, s);
    }
    procmask(&p, SIG_SETMASK, 0);
    let got: Vec<u32> = (0..3).map(|_| handler_frame(deliver(&p, stack(&p))).sig).collect();
    assert_eq!(got, [SIGINT, SIGUSR1, SIGUSR2]);
}

// ---- rt_sigqueueinfo, queueing ----------------------------------------------

fn queue(p: &Proc, pid: Pid, signo: u32, code: i32, value: i32) -> i64 {
    let si =
        p.put_struct(&siginfo_t { si_code: code, si_pid: p.pid, si_uid: 1000, si_status: value, ..Default::default() });
    p.sys(SYS_rt_sigqueueinfo, &[pid as u64, signo.into(), si.into()])
}

#[test]
fn sigqueueinfo_with_si_queue_reaches_another_process_with_its_value() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    sigaction(&q, SIGUSR1, HANDLER, SA_SIGINFO, 0);
    assert_eq!(queue(&p, q.pid, SIGUSR1, SI_QUEUE, 77), 0);
    let f = handler_frame(deliver(&q, stack(&q)));
    let si: siginfo_t = q.read_struct(f.siginfo);
    assert_eq!((si.si_code, si.si_pid, si.si_value()), (SI_QUEUE, p.pid, 77));
}

#[test]
fn sigqueueinfo_with_nonnegative_code_to_another_process_is_eperm() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    assert_eq!(queue(&p, q.pid, SIGUSR1, SI_USER, 0), err(Errno::EPERM));
    assert_eq!(queue(&p, q.pid, SIGUSR1, SI_KERNEL, 0), err(Errno::EPERM));
    assert_eq!(queue(&p, q.pid, SIGUSR1, SI_TKILL, 0), err(Errno::EPERM));
    // To itself it may.
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    assert_eq!(queue(&p, p.pid, SIGUSR1, SI_KERNEL, 0), 0);
}

#[test]
fn tgsigqueueinfo_targets_one_thread_and_checks_codes() {
    let h = Harness::new();
    let p = h.process(None);
    let t2 = add_thread(&h, &p);
    let si = p.put_struct(&siginfo_t { si_code: SI_USER, ..Default::default() });
    let args = [p.pid as u64, t2.tid as u64, SIGUSR1.into(), si.into()];
    assert_eq!(p.sys(SYS_rt_tgsigqueueinfo, &args), err(Errno::EPERM));
    let si = p.put_struct(&siginfo_t { si_code: SI_QUEUE, si_status: 5, ..Default::default() });
    sigaction(&p, SIGUSR1, HANDLER, SA_SIGINFO, 0);
    let args = [p.pid as u64, t2.tid as u64, SIGUSR1.into(), si.into()];
    assert_eq!(p.sys(SYS_rt_tgsigqueueinfo, &args), 0);
    let f = handler_frame(deliver(&t2, stack(&t2)));
    assert_eq!(p.read_struct::<siginfo_t>(f.siginfo).si_value(), 5);
    let bad = [0, t2.tid as u64, SIGUSR1.into(), si.into()];
    assert_eq!(p.sys(SYS_rt_tgsigqueueinfo, &bad), err(Errno::EINVAL));
}

#[test]
fn realtime_signals_queue_every_instance_in_order() {
    let h = Harness::new();
    let p = h.process(None);
    let rt = SIGRTMIN + 2;
    sigaction(&p, rt, HANDLER, SA_SIGINFO | SA_NODEFER, 0);
    procmask(&p, SIG_BLOCK, bit(rt));
    for v in [10, 20, 30] {
        assert_eq!(queue(&p, p.pid, rt, SI_QUEUE, v), 0);
    }
    procmask(&p, SIG_SETMASK, 0);
    let values: Vec<i32> = (0..3)
        .map(|_| {
            let f = handler_frame(deliver(&p, stack(&p)));
            p.read_struct::<siginfo_t>(f.siginfo).si_value()
        })
        .collect();
    assert_eq!(values, [10, 20, 30]);
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
}

#[test]
fn standard_signals_coalesce_while_pending() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_NODEFER, 0);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    for _ in 0..3 {
        kill(&p, p.pid, SIGUSR1);
    }
    procmask(&p, SIG_SETMASK, 0);
    assert!(matches!(deliver(&p, stack(&p)), Delivery::Handler(_)));
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
}

#[test]
fn rlimit_sigpending_makes_sigqueue_fail_with_eagain() {
    let h = Harness::new();
    let p = h.process(None);
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).unwrap().rlimits[wasmpod_abi::misc::RLIMIT_SIGPENDING as usize].cur = 2
    });
    procmask(&p, SIG_BLOCK, u64::MAX);
    let rt = SIGRTMIN + 1;
    assert_eq!(queue(&p, p.pid, rt, SI_QUEUE, 1), 0);
    assert_eq!(queue(&p, p.pid, rt, SI_QUEUE, 2), 0);
    assert_eq!(queue(&p, p.pid, rt, SI_QUEUE, 3), err(Errno::EAGAIN));
    // kill(2) of a real-time signal still succeeds (it is merely not queued again).
    assert_eq!(kill(&p, p.pid, rt), 0);
    assert_eq!(kill(&p, p.pid, SIGRTMIN + 5), 0);
    assert_ne!(pending(&h, &p).0 & bit(SIGRTMIN + 5), 0);
}

// ---- generation rules ---------------------------------------------------------

#[test]
fn ignored_signal_is_discarded_when_sent() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, SIG_IGN, 0, 0);
    let r = p.call(SYS_kill, &[p.pid as u64, SIGUSR1.into()]);
    assert_eq!(r.value, 0);
    assert!(!r.signal_pending);
    assert_eq!(pending(&h, &p), (0, 0));
}

#[test]
fn ignored_but_blocked_signal_stays_pending() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGCHLD));
    kill(&p, p.pid, SIGCHLD);
    assert_eq!(pending(&h, &p).0, bit(SIGCHLD));
    // Unblocked, its default action (ignore) drops it at delivery.
    procmask(&p, SIG_SETMASK, 0);
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
    assert_eq!(pending(&h, &p), (0, 0));
    assert_eq!(exit_status(&h, p.pid), None);
}

#[test]
fn default_ignored_signals_are_discarded() {
    let h = Harness::new();
    let p = h.process(None);
    for s in [SIGCHLD, SIGURG, SIGWINCH, SIGCONT] {
        assert_eq!(kill(&p, p.pid, s), 0);
    }
    assert_eq!(pending(&h, &p), (0, 0));
}

#[test]
fn sigcont_discards_pending_stop_signals() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGTSTP) | bit(SIGTTIN));
    kill(&p, p.pid, SIGTSTP);
    tgkill(&p, p.pid, p.tid, SIGTTIN);
    assert_eq!(pending(&h, &p), (bit(SIGTSTP), bit(SIGTTIN)));
    kill(&p, p.pid, SIGCONT);
    assert_eq!(pending(&h, &p), (0, 0));
}

#[test]
fn stop_signal_discards_pending_sigcont() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGCONT) | bit(SIGTSTP));
    kill(&p, p.pid, SIGCONT);
    assert_eq!(pending(&h, &p).0, bit(SIGCONT));
    kill(&p, p.pid, SIGTSTP);
    assert_eq!(pending(&h, &p).0, bit(SIGTSTP));
}

#[test]
fn kill_wakes_a_sleeping_thread_with_eintr() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    let t = p.clone();
    let rx = spawn(move || {
        let ts = t.put_struct(&timespec { tv_sec: 100, tv_nsec: 0 });
        t.call(SYS_nanosleep, &[ts.into(), 0])
    });
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    assert_eq!(kill(&q, p.pid, SIGUSR1), 0);
    let r = recv(rx);
    assert_eq!(r.value, err(Errno::EINTR));
    assert!(r.signal_pending);
}

// ---- default actions --------------------------------------------------------

#[test]
fn sigterm_default_action_terminates_the_process() {
    let h = Harness::new();
    let p = h.process(None);
    let r = p.call(SYS_kill, &[p.pid as u64, SIGTERM.into()]);
    assert!(r.signal_pending);
    assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGTERM, false)));
}

#[test]
fn core_signals_terminate_with_the_core_flag() {
    for s in [SIGSEGV, SIGQUIT, SIGABRT, SIGSYS] {
        let h = Harness::new();
        let p = h.process(None);
        kill(&p, p.pid, s);
        assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
        assert_eq!(exit_status(&h, p.pid), Some(w_termsig(s, true)), "signal {s}");
    }
}

#[test]
fn realtime_signal_default_action_terminates() {
    let h = Harness::new();
    let p = h.process(None);
    kill(&p, p.pid, SIGRTMAX);
    assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGRTMAX, false)));
}

#[test]
fn sigkill_terminates_even_with_other_handlers_installed() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGHUP, HANDLER, 0, 0);
    procmask(&p, SIG_BLOCK, u64::MAX);
    kill(&p, p.pid, SIGHUP);
    tgkill(&p, p.pid, p.tid, SIGKILL);
    procmask(&p, SIG_SETMASK, 0);
    assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGKILL, false)));
}

#[test]
fn exiting_process_gets_no_more_signals() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    kill(&q, p.pid, SIGTERM);
    deliver(&p, stack(&p));
    assert_eq!(kill(&q, p.pid, SIGUSR1), 0);
    assert_eq!(pending(&h, &p).0, 0);
}

/// A parent and a child in its own process group of the same session (a
/// shell's job), so job-control stops are not discarded.
fn job_pair(h: &Harness) -> (Proc, Proc) {
    let parent = h.process(None);
    let child = h.process(Some(&parent));
    h.kernel.with_state(|st| st.procs.procs.get_mut(&child.pid).unwrap().pgid = child.pid);
    (parent, child)
}

#[test]
fn sigstop_stops_until_sigcont_and_reports_to_the_parent() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    procmask(&parent, SIG_BLOCK, bit(SIGCHLD));
    sigaction(&parent, SIGCHLD, HANDLER, SA_SIGINFO, 0);
    assert_eq!(kill(&parent, child.pid, SIGSTOP), 0);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    assert_eq!(job(&h, child.pid), JobState { stopped: true, report: Some(JobReport::Stopped(SIGSTOP)) });
    let si = h.kernel.with_state(|st| st.procs.procs[&parent.pid].signals.pending.queue[0]);
    assert_eq!((si.signo, si.code, si.pid, si.status), (SIGCHLD, CLD_STOPPED, child.pid, SIGSTOP as i32));
    // Take the first SIGCHLD so the continue notification is visible.
    procmask(&parent, SIG_SETMASK, 0);
    handler_frame(deliver(&parent, stack(&parent)));
    procmask(&parent, SIG_SETMASK, bit(SIGCHLD));
    assert_eq!(kill(&parent, child.pid, SIGCONT), 0);
    assert_eq!(recv(rx), Delivery::None);
    assert_eq!(job(&h, child.pid), JobState { stopped: false, report: Some(JobReport::Continued) });
    let si = h.kernel.with_state(|st| st.procs.procs[&parent.pid].signals.pending.queue[0]);
    assert_eq!((si.code, si.status), (CLD_CONTINUED, SIGCONT as i32));
}

#[test]
fn sa_nocldstop_suppresses_sigchld_for_stop_and_continue() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    sigaction(&parent, SIGCHLD, HANDLER, SA_NOCLDSTOP, 0);
    procmask(&parent, SIG_BLOCK, bit(SIGCHLD));
    kill(&parent, child.pid, SIGSTOP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    assert!(job(&h, child.pid).stopped);
    kill(&parent, child.pid, SIGCONT);
    assert_eq!(recv(rx), Delivery::None);
    assert_eq!(pending(&h, &parent).0, 0);
}

#[test]
fn sigkill_ends_a_stopped_process() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    kill(&parent, child.pid, SIGSTOP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    assert_eq!(kill(&parent, child.pid, SIGKILL), 0);
    assert_eq!(recv(rx), Delivery::ExitThread);
    assert_eq!(exit_status(&h, child.pid), Some(w_termsig(SIGKILL, false)));
}

#[test]
fn other_signals_wait_while_stopped_and_run_after_sigcont() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    sigaction(&child, SIGUSR1, HANDLER, 0, 0);
    kill(&parent, child.pid, SIGSTOP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    kill(&parent, child.pid, SIGUSR1);
    assert!(job(&h, child.pid).stopped, "SIGUSR1 does not resume");
    kill(&parent, child.pid, SIGCONT);
    assert_eq!(handler_frame(recv(rx)).sig, SIGUSR1);
}

#[test]
fn sigcont_handler_runs_after_resuming() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    sigaction(&child, SIGCONT, HANDLER, 0, 0);
    kill(&parent, child.pid, SIGTSTP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    assert_eq!(job(&h, child.pid).report, Some(JobReport::Stopped(SIGTSTP)));
    kill(&parent, child.pid, SIGCONT);
    assert_eq!(handler_frame(recv(rx)).sig, SIGCONT);
    assert!(!job(&h, child.pid).stopped);
}

#[test]
fn sigtstp_to_an_orphaned_process_group_is_discarded() {
    let h = Harness::new();
    let p = h.process(None);
    kill(&p, p.pid, SIGTSTP);
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
    assert!(!job(&h, p.pid).stopped);
}

#[test]
fn a_stopped_process_is_resumed_by_sigcont_even_if_sigcont_is_blocked() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    procmask(&child, SIG_BLOCK, bit(SIGCONT));
    kill(&parent, child.pid, SIGSTOP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    kill(&parent, child.pid, SIGCONT);
    assert_eq!(recv(rx), Delivery::None);
    assert!(!job(&h, child.pid).stopped);
    assert_eq!(pending(&h, &child).0, bit(SIGCONT), "blocked SIGCONT stays pending");
}

// ---- handler frames -----------------------------------------------------------

#[test]
fn handler_frame_holds_siginfo_of_the_sender() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_SIGINFO, 0);
    kill(&q, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, stack(&p)));
    assert_eq!((f.handler, f.sig, f.flags), (HANDLER, SIGUSR1, SA_SIGINFO));
    let si: siginfo_t = p.read_struct(f.siginfo);
    assert_eq!((si.si_signo, si.si_code, si.si_pid, si.si_uid), (SIGUSR1 as i32, SI_USER, q.pid, 1000));
}

#[test]
fn handler_frame_sits_below_sp_and_is_16_byte_aligned() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    kill(&p, p.pid, SIGUSR1);
    let sp = stack(&p) - 4; // a misaligned stack pointer
    let f = handler_frame(deliver(&p, sp));
    assert_eq!(f.sp % 16, 0);
    assert!(f.sp <= f.siginfo && f.siginfo + 128 <= f.ucontext, "{f:?}");
    assert!(f.ucontext + ucontext::SIZE_ as u32 <= sp, "{f:?}");
}

#[test]
fn ucontext_saves_the_mask_from_before_the_handler() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, bit(SIGUSR2));
    procmask(&p, SIG_SETMASK, bit(SIGHUP));
    kill(&p, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, stack(&p)));
    let uc: ucontext = p.read_struct(f.ucontext);
    assert_eq!(uc.uc_sigmask, bit(SIGHUP));
    // The handler runs with sa_mask and the signal itself blocked.
    assert_eq!(mask(&p), bit(SIGHUP) | bit(SIGUSR1) | bit(SIGUSR2));
}

#[test]
fn sa_nodefer_leaves_the_signal_unblocked_in_its_handler() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_NODEFER, 0);
    kill(&p, p.pid, SIGUSR1);
    handler_frame(deliver(&p, stack(&p)));
    assert_eq!(mask(&p), 0);
}

#[test]
fn sa_resethand_restores_the_default_action() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_RESETHAND, 0);
    kill(&p, p.pid, SIGUSR1);
    handler_frame(deliver(&p, stack(&p)));
    assert_eq!(get_action(&p, SIGUSR1).handler, SIG_DFL);
    // A second SIGUSR1 now terminates (once unblocked).
    procmask(&p, SIG_SETMASK, 0);
    kill(&p, p.pid, SIGUSR1);
    assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
}

#[test]
fn unwritable_frame_kills_with_sigsegv() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    kill(&p, p.pid, SIGUSR1);
    assert_eq!(deliver(&p, 64), Delivery::ExitThread);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGSEGV, true)));
}

#[test]
fn deliver_with_nothing_pending_is_none() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
}

// ---- rt_sigreturn ----------------------------------------------------------------

#[test]
fn sigreturn_restores_the_saved_mask() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, bit(SIGINT));
    procmask(&p, SIG_SETMASK, bit(SIGHUP));
    kill(&p, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, stack(&p)));
    assert_ne!(mask(&p), bit(SIGHUP));
    assert_eq!(p.sys(SYS_rt_sigreturn, &[f.ucontext.into()]), 0);
    assert_eq!(mask(&p), bit(SIGHUP));
}

#[test]
fn sigreturn_never_blocks_sigkill_or_sigstop() {
    let h = Harness::new();
    let p = h.process(None);
    let uc = p.put_struct(&ucontext { uc_sigmask: u64::MAX, uc_stack_flags: SS_DISABLE as i32, ..Default::default() });
    assert_eq!(p.sys(SYS_rt_sigreturn, &[uc.into()]), 0);
    assert_eq!(mask(&p), !(bit(SIGKILL) | bit(SIGSTOP)));
}

#[test]
fn sigreturn_unblocking_a_pending_signal_makes_it_deliverable() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    kill(&p, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, stack(&p)));
    kill(&p, p.pid, SIGUSR1); // arrives during the handler: blocked
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
    let r = p.call(SYS_rt_sigreturn, &[f.ucontext.into()]);
    assert!(r.signal_pending);
    assert_eq!(handler_frame(deliver(&p, stack(&p))).sig, SIGUSR1);
}

#[test]
fn sigreturn_with_a_bad_pointer_is_efault() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_rt_sigreturn, &[0xffff_ff00]), err(Errno::EFAULT));
}

// ---- sigaltstack -------------------------------------------------------------------

fn altstack(p: &Proc, sp: u32, size: u32, flags: u32) -> i64 {
    let ss = p.put_struct(&stack_t { ss_sp: sp, ss_flags: flags as i32, ss_size: size });
    p.sys(SYS_sigaltstack, &[ss.into(), 0])
}

fn query_altstack(p: &Proc) -> stack_t {
    let old = p.alloc(12);
    assert_eq!(p.sys(SYS_sigaltstack, &[0, old.into()]), 0);
    p.read_struct(old)
}

#[test]
fn altstack_starts_disabled() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(query_altstack(&p).ss_flags, SS_DISABLE as i32);
}

#[test]
fn altstack_set_and_read_back() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(SIGSTKSZ as usize);
    assert_eq!(altstack(&p, base, SIGSTKSZ, 0), 0);
    assert_eq!(query_altstack(&p), stack_t { ss_sp: base, ss_flags: 0, ss_size: SIGSTKSZ });
    assert_eq!(altstack(&p, 0, 0, SS_DISABLE), 0);
    assert_eq!(query_altstack(&p).ss_flags, SS_DISABLE as i32);
}

#[test]
fn altstack_smaller_than_minsigstksz_is_enomem() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(4096);
    assert_eq!(altstack(&p, base, MINSIGSTKSZ - 1, 0), err(Errno::ENOMEM));
}

#[test]
fn altstack_bad_flags_are_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(4096);
    assert_eq!(altstack(&p, base, 4096, 0x10), err(Errno::EINVAL));
    assert_eq!(altstack(&p, base, 4096, SS_ONSTACK), 0, "SS_ONSTACK is accepted as 0");
}

#[test]
fn handler_with_sa_onstack_runs_on_the_alternate_stack() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(SIGSTKSZ as usize);
    altstack(&p, base, SIGSTKSZ, 0);
    sigaction(&p, SIGUSR1, HANDLER, SA_ONSTACK, 0);
    sigaction(&p, SIGUSR2, HANDLER, 0, 0);
    kill(&p, p.pid, SIGUSR2);
    let sp = stack(&p);
    let f = handler_frame(deliver(&p, sp));
    assert!(f.sp < sp && f.sp > sp - 1024, "without SA_ONSTACK the frame is on the normal stack");
    kill(&p, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, sp));
    assert!(f.sp >= base && f.ucontext < base + SIGSTKSZ, "{f:?}");
    let uc: ucontext = p.read_struct(f.ucontext);
    assert_eq!((uc.uc_stack_sp, uc.uc_stack_size, uc.uc_stack_flags), (base, SIGSTKSZ, 0));
}

#[test]
fn altstack_cannot_change_while_a_handler_runs_on_it() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(SIGSTKSZ as usize);
    altstack(&p, base, SIGSTKSZ, 0);
    sigaction(&p, SIGUSR1, HANDLER, SA_ONSTACK, 0);
    kill(&p, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, stack(&p)));
    assert_eq!(query_altstack(&p).ss_flags, SS_ONSTACK as i32);
    assert_eq!(altstack(&p, 0, 0, SS_DISABLE), err(Errno::EPERM));
    assert_eq!(p.sys(SYS_rt_sigreturn, &[f.ucontext.into()]), 0);
    assert_eq!(query_altstack(&p).ss_flags, 0);
    assert_eq!(altstack(&p, 0, 0, SS_DISABLE), 0);
}

#[test]
fn nested_signal_on_the_alternate_stack_stays_below_the_current_frame() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(SIGSTKSZ as usize);
    altstack(&p, base, SIGSTKSZ, 0);
    sigaction(&p, SIGUSR1, HANDLER, SA_ONSTACK, 0);
    sigaction(&p, SIGUSR2, HANDLER, SA_ONSTACK, 0);
    kill(&p, p.pid, SIGUSR1);
    let f1 = handler_frame(deliver(&p, stack(&p)));
    kill(&p, p.pid, SIGUSR2);
    let f2 = handler_frame(deliver(&p, f1.sp));
    assert!(f2.ucontext + ucontext::SIZE_ as u32 <= f1.sp && f2.sp >= base, "{f1:?} {f2:?}");
    assert_eq!(p.read_struct::<ucontext>(f2.ucontext).uc_stack_flags, SS_ONSTACK as i32);
}

#[test]
fn ss_autodisarm_disables_the_stack_during_the_handler() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(SIGSTKSZ as usize);
    altstack(&p, base, SIGSTKSZ, SS_AUTODISARM);
    sigaction(&p, SIGUSR1, HANDLER, SA_ONSTACK, 0);
    kill(&p, p.pid, SIGUSR1);
    let f = handler_frame(deliver(&p, stack(&p)));
    assert!(f.sp >= base);
    // Disarmed: the handler may install a new stack.
    assert_eq!(altstack(&p, 0, 0, SS_DISABLE), 0);
    assert_eq!(p.sys(SYS_rt_sigreturn, &[f.ucontext.into()]), 0);
    let q = query_altstack(&p);
    assert_eq!((q.ss_sp, q.ss_flags as u32), (base, SS_AUTODISARM));
}

// ---- rt_sigsuspend ---------------------------------------------------------------

#[test]
fn sigsuspend_returns_eintr_and_the_handler_restores_the_old_mask() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_RESTART, 0);
    procmask(&p, SIG_SETMASK, bit(SIGUSR1) | bit(SIGHUP));
    let t = p.clone();
    let rx = spawn(move || {
        let m = t.bytes(&bit(SIGHUP).to_le_bytes());
        t.call(SYS_rt_sigsuspend, &[m.into(), 8])
    });
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    kill(&q, p.pid, SIGUSR1);
    let r = recv(rx);
    assert_eq!(r.value, err(Errno::EINTR), "EINTR even with SA_RESTART");
    assert!(matches!(r.action, Action::Return));
    let f = handler_frame(deliver(&p, stack(&p)));
    let uc: ucontext = p.read_struct(f.ucontext);
    assert_eq!(uc.uc_sigmask, bit(SIGUSR1) | bit(SIGHUP), "the frame saves the pre-sigsuspend mask");
    assert_eq!(mask(&p), bit(SIGHUP) | bit(SIGUSR1), "handler runs with the temporary mask + signal");
    p.sys(SYS_rt_sigreturn, &[f.ucontext.into()]);
    assert_eq!(mask(&p), bit(SIGUSR1) | bit(SIGHUP));
}

#[test]
fn sigsuspend_returns_at_once_for_a_signal_its_mask_unblocks() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR2, HANDLER, 0, 0);
    procmask(&p, SIG_BLOCK, bit(SIGUSR2));
    kill(&p, p.pid, SIGUSR2);
    let m = p.bytes(&0u64.to_le_bytes());
    let r = p.call(SYS_rt_sigsuspend, &[m.into(), 8]);
    assert_eq!(r.value, err(Errno::EINTR));
    assert!(r.signal_pending);
}

#[test]
fn sigsuspend_bad_sigsetsize_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let m = p.bytes(&[0; 8]);
    assert_eq!(p.sys(SYS_rt_sigsuspend, &[m.into(), 4]), err(Errno::EINVAL));
}

#[test]
fn sigsuspend_terminating_signal_ends_the_process() {
    let h = Harness::new();
    let p = h.process(None);
    let t = p.clone();
    let rx = spawn(move || {
        let m = t.bytes(&0u64.to_le_bytes());
        host_call(&t, SYS_rt_sigsuspend, &[m.into(), 8], stack(&t))
    });
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    kill(&q, p.pid, SIGTERM);
    recv(rx);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGTERM, false)));
}

// ---- rt_sigtimedwait -------------------------------------------------------------

fn timedwait(p: &Proc, set: u64, info: u32, timeout: Option<u64>) -> i64 {
    let s = p.bytes(&set.to_le_bytes());
    let ts = timeout.map_or(0, |ns| p.put_struct(&timespec::from_nanos(ns)));
    p.sys(SYS_rt_sigtimedwait, &[s.into(), info.into(), ts.into(), 8])
}

#[test]
fn sigtimedwait_takes_a_pending_signal_and_its_info() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    kill(&q, p.pid, SIGUSR1);
    let info = p.alloc(128);
    assert_eq!(timedwait(&p, bit(SIGUSR1), info, None), i64::from(SIGUSR1));
    let si: siginfo_t = p.read_struct(info);
    assert_eq!((si.si_signo, si.si_code, si.si_pid), (SIGUSR1 as i32, SI_USER, q.pid));
    assert_eq!(pending(&h, &p), (0, 0), "consumed");
}

#[test]
fn sigtimedwait_zero_timeout_is_eagain() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(timedwait(&p, bit(SIGUSR1), 0, Some(0)), err(Errno::EAGAIN));
}

#[test]
fn sigtimedwait_times_out_when_the_clock_passes_the_timeout() {
    let h = Harness::new();
    let p = h.process(None);
    let t = p.clone();
    let rx = spawn(move || timedwait(&t, bit(SIGUSR1), 0, Some(2_000_000_000)));
    h.wait_sleeping(p.tid);
    h.advance_ns(2_000_000_000);
    assert_eq!(recv(rx), err(Errno::EAGAIN));
}

#[test]
fn sigtimedwait_wakes_for_a_signal_in_the_set() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGRTMIN));
    let t = p.clone();
    let rx = spawn(move || timedwait(&t, bit(SIGRTMIN), 0, None));
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    kill(&q, p.pid, SIGRTMIN);
    assert_eq!(recv(rx), i64::from(SIGRTMIN));
}

#[test]
fn sigtimedwait_interrupted_by_another_handled_signal_is_eintr() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR2, HANDLER, SA_RESTART, 0);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    let t = p.clone();
    let rx = spawn(move || {
        let s = t.bytes(&bit(SIGUSR1).to_le_bytes());
        t.call(SYS_rt_sigtimedwait, &[s.into(), 0, 0, 8])
    });
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    kill(&q, p.pid, SIGUSR2);
    let r = recv(rx);
    assert_eq!(r.value, err(Errno::EINTR));
    assert!(matches!(r.action, Action::Return), "never restarted");
}

#[test]
fn sigtimedwait_rejects_bad_timeout_and_size() {
    let h = Harness::new();
    let p = h.process(None);
    let s = p.bytes(&bit(SIGUSR1).to_le_bytes());
    let ts = p.put_struct(&timespec { tv_sec: 0, tv_nsec: 1_000_000_000 });
    assert_eq!(p.sys(SYS_rt_sigtimedwait, &[s.into(), 0, ts.into(), 8]), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_rt_sigtimedwait, &[s.into(), 0, 0, 16]), err(Errno::EINVAL));
}

#[test]
fn sigtimedwait_takes_realtime_instances_one_by_one() {
    let h = Harness::new();
    let p = h.process(None);
    let rt = SIGRTMIN + 3;
    procmask(&p, SIG_BLOCK, bit(rt));
    queue(&p, p.pid, rt, SI_QUEUE, 1);
    queue(&p, p.pid, rt, SI_QUEUE, 2);
    let info = p.alloc(128);
    assert_eq!(timedwait(&p, bit(rt), info, Some(0)), i64::from(rt));
    assert_eq!(p.read_struct::<siginfo_t>(info).si_value(), 1);
    assert_eq!(timedwait(&p, bit(rt), info, Some(0)), i64::from(rt));
    assert_eq!(p.read_struct::<siginfo_t>(info).si_value(), 2);
    assert_eq!(timedwait(&p, bit(rt), info, Some(0)), err(Errno::EAGAIN));
}

// ---- restart semantics -------------------------------------------------------------

#[test]
fn should_restart_follows_signal_7() {
    use crate::error::Restart;
    let h = Harness::new();
    let p = h.process(None);
    let decide = |restart| {
        let mut mem = p.mem.clone();
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| super::should_restart(ctx, restart))
    };
    // Nothing deliverable (e.g. another thread took it): restart.
    assert!(decide(Restart::IfSaRestart));
    assert!(decide(Restart::IfNoHandler));
    assert!(!decide(Restart::No));
    // A handler without SA_RESTART: EINTR for both kinds.
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    kill(&p, p.pid, SIGUSR1);
    assert!(!decide(Restart::IfSaRestart));
    assert!(!decide(Restart::IfNoHandler));
    // With SA_RESTART: only IfSaRestart calls restart.
    sigaction(&p, SIGUSR1, HANDLER, SA_RESTART, 0);
    assert!(decide(Restart::IfSaRestart));
    assert!(!decide(Restart::IfNoHandler));
}

#[test]
fn default_action_stop_restarts_calls() {
    use crate::error::Restart;
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    kill(&parent, child.pid, SIGTSTP);
    let mut mem = child.mem.clone();
    let r = h.kernel.with_ctx(child.tid, &mut mem, |ctx| super::should_restart(ctx, Restart::IfNoHandler));
    assert!(r, "no handler runs for a stop");
}

#[test]
fn stopped_and_continued_blocking_read_restarts_and_completes() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    let fd = child.sys(SYS_timerfd_create, &[wasmpod_abi::time::CLOCK_MONOTONIC.into(), 0]);
    let v = child.put_struct(&wasmpod_abi::time::itimerspec { it_value_sec: 10, ..Default::default() });
    assert_eq!(child.sys(SYS_timerfd_settime, &[fd as u64, 0, v.into(), 0]), 0);
    let c = child.clone();
    let rx = spawn(move || {
        let buf = c.alloc(8);
        let r = host_call(&c, SYS_read, &[fd as u64, buf.into(), 8], stack(&c));
        (r, c.read_u64(buf))
    });
    h.wait_sleeping(child.tid);
    kill(&parent, child.pid, SIGSTOP);
    while !job(&h, child.pid).stopped {
        std::thread::yield_now();
    }
    kill(&parent, child.pid, SIGCONT);
    h.advance_ns(10_000_000_000);
    let ((v, frames), count) = recv(rx);
    assert_eq!((v, count), (8, 1), "the read was restarted, not failed with EINTR");
    assert!(frames.is_empty());
}

#[test]
fn exec_resets_handled_signals_and_keeps_ignored_ones_and_the_mask() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_RESTART, 0);
    sigaction(&p, SIGUSR2, SIG_IGN, 0, 0);
    procmask(&p, SIG_BLOCK, bit(SIGINT));
    let base = p.alloc(SIGSTKSZ as usize);
    let ss = p.put_struct(&stack_t { ss_sp: base, ss_flags: 0, ss_size: SIGSTKSZ });
    p.sys(SYS_sigaltstack, &[ss.into(), 0]);
    h.kernel.with_state(|st| super::on_exec(st, p.pid, p.tid));
    assert_eq!(get_action(&p, SIGUSR1), k_sigaction::default());
    assert_eq!(get_action(&p, SIGUSR2).handler, SIG_IGN);
    assert_eq!(mask(&p), bit(SIGINT));
    let old = p.alloc(12);
    p.sys(SYS_sigaltstack, &[0, old.into()]);
    assert_eq!(p.read_struct::<stack_t>(old).ss_flags, SS_DISABLE as i32);
}

#[test]
fn blocked_or_ignored_reports_what_the_tty_needs() {
    let h = Harness::new();
    let p = h.process(None);
    let check = |s| h.kernel.with_state(|st| super::is_blocked_or_ignored(st, p.tid, s));
    assert!(!check(SIGTTOU));
    sigaction(&p, SIGTTOU, SIG_IGN, 0, 0);
    assert!(check(SIGTTOU));
    assert!(!check(SIGTTIN));
    procmask(&p, SIG_BLOCK, bit(SIGTTIN));
    assert!(check(SIGTTIN));
    sigaction(&p, SIGTTOU, HANDLER, 0, 0);
    assert!(!check(SIGTTOU));
}

#[test]
fn temporary_mask_ends_when_no_handler_runs() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_SETMASK, bit(SIGUSR1));
    let mut mem = p.mem.clone();
    h.kernel.with_ctx(p.tid, &mut mem, |ctx| super::set_temporary_mask(ctx, bit(SIGHUP)));
    assert_eq!(mask(&p), bit(SIGHUP));
    assert_eq!(deliver(&p, stack(&p)), Delivery::None);
    assert_eq!(mask(&p), bit(SIGUSR1));
}

#[test]
fn sigkill_clears_the_stopped_state() {
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    kill(&parent, child.pid, SIGSTOP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    kill(&parent, child.pid, SIGKILL);
    assert_eq!(recv(rx), Delivery::ExitThread);
    assert!(!job(&h, child.pid).stopped);
}

// ---- signalfd ------------------------------------------------------------------------

fn signalfd(p: &Proc, fd: i32, set: u64, flags: u32) -> i64 {
    let m = p.bytes(&set.to_le_bytes());
    p.sys(SYS_signalfd4, &[fd as u32 as u64, m.into(), 8, flags.into()])
}

#[test]
fn signalfd_reads_a_blocked_pending_signal() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    let fd = signalfd(&p, -1, bit(SIGUSR1), SFD_NONBLOCK);
    assert!(fd >= 0);
    kill(&q, p.pid, SIGUSR1);
    let buf = p.alloc(128);
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 128]), 128);
    let r: signalfd_siginfo = p.read_struct(buf);
    assert_eq!((r.ssi_signo, r.ssi_code, r.ssi_pid, r.ssi_uid), (SIGUSR1, SI_USER, q.pid as u32, 1000));
    assert_eq!(pending(&h, &p), (0, 0), "consumed");
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 128]), err(Errno::EAGAIN));
}

#[test]
fn signalfd_read_returns_as_many_records_as_fit() {
    let h = Harness::new();
    let p = h.process(None);
    let rt = SIGRTMIN + 4;
    procmask(&p, SIG_BLOCK, bit(rt) | bit(SIGUSR2));
    let fd = signalfd(&p, -1, bit(rt) | bit(SIGUSR2), 0);
    queue(&p, p.pid, rt, SI_QUEUE, 7);
    queue(&p, p.pid, rt, SI_QUEUE, 8);
    kill(&p, p.pid, SIGUSR2);
    let buf = p.alloc(3 * 128 + 50);
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 3 * 128 + 50]), 3 * 128);
    let recs: Vec<signalfd_siginfo> = (0..3).map(|i| p.read_struct(buf + 128 * i)).collect();
    assert_eq!(recs[0].ssi_signo, SIGUSR2);
    assert_eq!((recs[1].ssi_signo, recs[1].ssi_int), (rt, 7));
    assert_eq!((recs[2].ssi_signo, recs[2].ssi_int), (rt, 8));
}

#[test]
fn signalfd_blocking_read_waits_for_a_signal() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGTERM));
    let fd = signalfd(&p, -1, bit(SIGTERM), 0);
    let t = p.clone();
    let rx = spawn(move || {
        let buf = t.alloc(128);
        (t.sys(SYS_read, &[fd as u64, buf.into(), 128]), t.read_u32(buf))
    });
    h.wait_sleeping(p.tid);
    kill(&h.process(None), p.pid, SIGTERM);
    assert_eq!(recv(rx), (128, SIGTERM));
    assert_eq!(exit_status(&h, p.pid), None, "read, not delivered");
}

#[test]
fn signalfd_rejects_bad_size_flags_and_small_reads() {
    let h = Harness::new();
    let p = h.process(None);
    let m = p.bytes(&bit(SIGUSR1).to_le_bytes());
    assert_eq!(p.sys(SYS_signalfd4, &[u64::from(u32::MAX), m.into(), 4, 0]), err(Errno::EINVAL));
    assert_eq!(signalfd(&p, -1, bit(SIGUSR1), 1), err(Errno::EINVAL));
    let fd = signalfd(&p, -1, bit(SIGUSR1), SFD_NONBLOCK);
    let buf = p.alloc(128);
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 64]), err(Errno::EINVAL));
    assert_eq!(signalfd(&p, 55, bit(SIGUSR1), 0), err(Errno::EBADF));
}

#[test]
fn signalfd_mask_can_be_replaced_through_the_fd() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1) | bit(SIGUSR2));
    let fd = signalfd(&p, -1, bit(SIGUSR1), SFD_NONBLOCK);
    kill(&p, p.pid, SIGUSR2);
    let buf = p.alloc(128);
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 128]), err(Errno::EAGAIN));
    assert_eq!(signalfd(&p, fd as i32, bit(SIGUSR2), 0), fd);
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 128]), 128);
    assert_eq!(p.read_u32(buf), SIGUSR2);
}

#[test]
fn signalfd_polls_readable_while_a_signal_is_pending() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit(SIGUSR1));
    let fd = signalfd(&p, -1, bit(SIGUSR1), SFD_NONBLOCK | SFD_CLOEXEC) as i32;
    let poll = || {
        let mut mem = p.mem.clone();
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
            let f = ctx.file(fd).unwrap();
            f.ops.poll(ctx, &f)
        })
    };
    assert_eq!(poll(), 0);
    kill(&p, p.pid, SIGUSR1);
    assert_eq!(poll(), wasmpod_abi::poll::POLLIN);
    assert!(h.kernel.with_state(|st| st.procs.procs[&p.pid].files.entry(fd).unwrap().cloexec));
}

#[test]
fn wait_sees_a_signal_stop_and_continue() {
    use wasmpod_abi::wait::{w_stopcode, WCONTINUED, WNOHANG, WUNTRACED, W_CONTINUED};
    let h = Harness::new();
    let (parent, child) = job_pair(&h);
    let status = parent.alloc(4);
    let wait = |opts: u32| parent.sys(SYS_wait4, &[child.pid as u64, status.into(), opts.into(), 0]);
    assert_eq!(wait(WNOHANG | WUNTRACED), 0);
    kill(&parent, child.pid, SIGTSTP);
    let c = child.clone();
    let rx = spawn(move || deliver(&c, stack(&c)));
    h.wait_sleeping(child.tid);
    assert_eq!(wait(WUNTRACED), i64::from(child.pid));
    assert_eq!(parent.read_i32(status), w_stopcode(SIGTSTP));
    kill(&parent, child.pid, SIGCONT);
    assert_eq!(recv(rx), Delivery::None);
    assert_eq!(wait(WCONTINUED), i64::from(child.pid));
    assert_eq!(parent.read_i32(status), W_CONTINUED);
}

#[test]
fn fatal_signal_shows_in_the_parents_wait_status() {
    let h = Harness::new();
    let parent = h.process(None);
    let child = h.process(Some(&parent));
    kill(&parent, child.pid, SIGSEGV);
    assert_eq!(deliver(&child, stack(&child)), Delivery::ExitThread);
    let status = parent.alloc(4);
    assert_eq!(parent.sys(SYS_wait4, &[child.pid as u64, status.into(), 0, 0]), i64::from(child.pid));
    assert_eq!(parent.read_i32(status), w_termsig(SIGSEGV, true));
}

#[test]
fn synchronous_signals_are_delivered_before_lower_numbered_ones() {
    let h = Harness::new();
    let p = h.process(None);
    for s in [SIGHUP, SIGSEGV] {
        sigaction(&p, s, HANDLER, SA_NODEFER, 0);
    }
    procmask(&p, SIG_BLOCK, u64::MAX);
    tgkill(&p, p.pid, p.tid, SIGHUP);
    tgkill(&p, p.pid, p.tid, SIGSEGV);
    procmask(&p, SIG_SETMASK, 0);
    assert_eq!(handler_frame(deliver(&p, stack(&p))).sig, SIGSEGV);
    assert_eq!(handler_frame(deliver(&p, stack(&p))).sig, SIGHUP);
}

#[test]
fn forced_fault_signal_cannot_be_blocked_or_ignored() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGSEGV, SIG_IGN, 0, 0);
    let info = super::SigInfo { signo: SIGSEGV, code: SEGV_MAPERR, ..Default::default() };
    h.kernel.with_state(|st| super::force_signal(st, p.tid, info));
    assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGSEGV, true)));
    // A handler that is not blocked still runs.
    let q = h.process(None);
    sigaction(&q, SIGFPE, HANDLER, SA_SIGINFO, 0);
    let info = super::SigInfo { signo: SIGFPE, code: 1, ..Default::default() };
    h.kernel.with_state(|st| super::force_signal(st, q.tid, info));
    let f = handler_frame(deliver(&q, stack(&q)));
    assert_eq!(q.read_struct::<siginfo_t>(f.siginfo).si_code, 1);
    // Blocked: unblocked and reset to the default action.
    let r = h.process(None);
    sigaction(&r, SIGILL, HANDLER, 0, 0);
    procmask(&r, SIG_BLOCK, bit(SIGILL));
    let info = super::SigInfo { signo: SIGILL, code: ILL_ILLOPC, ..Default::default() };
    h.kernel.with_state(|st| super::force_signal(st, r.tid, info));
    assert_eq!(deliver(&r, stack(&r)), Delivery::ExitThread);
    assert_eq!(exit_status(&h, r.pid), Some(w_termsig(SIGILL, true)));
}

#[test]
fn handler_left_by_longjmp_does_not_pin_the_alternate_stack() {
    let h = Harness::new();
    let p = h.process(None);
    let base = p.alloc(SIGSTKSZ as usize);
    altstack(&p, base, SIGSTKSZ, 0);
    sigaction(&p, SIGUSR1, HANDLER, SA_ONSTACK | SA_NODEFER, 0);
    kill(&p, p.pid, SIGUSR1);
    let f1 = handler_frame(deliver(&p, stack(&p)));
    assert!(f1.sp >= base);
    // The handler siglongjmps back to normal code (no rt_sigreturn); the
    // next signal arrives with sp on the normal stack.
    kill(&p, p.pid, SIGUSR1);
    let sp = stack(&p);
    let f2 = handler_frame(deliver(&p, sp));
    assert!(f2.sp >= base && f2.sp < base + SIGSTKSZ, "back on the alternate stack: {f2:?}");
    assert_eq!(p.read_struct::<ucontext>(f2.ucontext).uc_stack_flags, 0, "interrupted code was not on it");
}
