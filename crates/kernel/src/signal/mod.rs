//! Signals: dispositions, masks, pending sets, sending and delivery
//! (signal(7)).
//!
//! Generation ([`send_to_thread`], [`send_to_process`], [`send_to_pgrp`],
//! and the checked [`kill::generate`]) queues a signal after the
//! generation-time rules (ignored signals are discarded, SIGCONT resumes a
//! stopped process and discards pending stop signals, stop signals discard
//! a pending SIGCONT) and wakes sleepers. Delivery happens when a thread
//! leaves the kernel: the host sees `signal_pending` in the syscall return
//! and calls [`crate::Kernel::deliver_signal`], which runs default actions
//! (terminate, core, stop until SIGCONT, ignore) or builds a handler frame
//! (`deliver.rs`) (ARCHITECTURE §4).
//!
//! Submodules, one per syscall family: `sigaction` (rt_sigaction),
//! `sigprocmask` (rt_sigprocmask, rt_sigpending, rt_sigsuspend,
//! rt_sigtimedwait, sigaltstack), `kill` (kill, tkill, tgkill,
//! rt_sigqueueinfo, rt_tgsigqueueinfo), `deliver`, `sigreturn`,
//! `signalfd` (signalfd4).
//!
//! `signalfd` gives signals through a file descriptor.
//!
//! Not done yet: pidfd_send_signal, the "init ignores
//! default-action signals" rule (pid 1 is killable like any process),
//! stopping the *other* threads of a stopped process while they run guest
//! code (they stop at their next kernel exit).

pub mod deliver;
pub mod kill;
pub mod sigaction;
pub mod signalfd;
pub mod sigprocmask;
pub mod sigreturn;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::VecDeque;

use wasmpod_abi::signal::{self as sig, sigbit, sigset_t};
use wasmpod_abi::syscalls::*;

use crate::error::Restart;
use crate::kernel::{Ctx, State};
use crate::process::{Pid, Tid};
use crate::syscall::{partial, sup, Entry};

pub use deliver::deliver;

/// `SIGKILL` and `SIGSTOP` can't be caught, blocked or ignored.
pub const UNBLOCKABLE: sigset_t = sigbit(sig::SIGKILL) | sigbit(sig::SIGSTOP);

/// The stop signals (default action "Stop").
pub const STOP_SIGNALS: sigset_t =
    sigbit(sig::SIGSTOP) | sigbit(sig::SIGTSTP) | sigbit(sig::SIGTTIN) | sigbit(sig::SIGTTOU);

/// Signals raised by faults of the running code, delivered before others.
pub const SYNCHRONOUS: sigset_t = sigbit(sig::SIGSEGV)
    | sigbit(sig::SIGBUS)
    | sigbit(sig::SIGILL)
    | sigbit(sig::SIGTRAP)
    | sigbit(sig::SIGFPE)
    | sigbit(sig::SIGSYS);

/// Every valid signal (1..=64).
pub const ALL_SIGNALS: sigset_t = u64::MAX;

/// What accompanies a queued signal (the parts of `siginfo_t` we keep).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    pub pid: Pid,
    pub uid: u32,
    /// `si_status` for SIGCHLD, `si_value` for queued signals.
    pub status: i32,
    pub errno: i32,
}

impl SigInfo {
    /// A signal sent by `kill` from `pid`/`uid`.
    pub fn user(signo: u32, pid: Pid, uid: u32) -> Self {
        SigInfo { signo, code: sig::SI_USER, pid, uid, ..Default::default() }
    }
    /// A signal the kernel raises itself (SIGPIPE, SIGTTOU, SIGWINCH, ...).
    pub fn kernel(signo: u32) -> Self {
        SigInfo { signo, code: sig::SI_KERNEL, ..Default::default() }
    }
    /// A SIGCHLD about child `pid` (`code` is `CLD_*`, `status` the exit
    /// code or signal number).
    pub fn child(pid: Pid, uid: u32, code: i32, status: i32) -> Self {
        SigInfo { signo: sig::SIGCHLD, code, pid, uid, status, errno: 0 }
    }

    /// The 128-byte `siginfo_t` a handler or sigtimedwait sees.
    pub fn to_abi(&self) -> sig::siginfo_t {
        sig::siginfo_t {
            si_signo: self.signo as i32,
            si_errno: self.errno,
            si_code: self.code,
            si_pid: self.pid,
            si_uid: self.uid,
            si_status: self.status,
            si_utime: 0,
            si_stime: 0,
        }
    }
}

/// One disposition (`struct k_sigaction` decoded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// `SIG_DFL` (0), `SIG_IGN` (1) or a function-table index.
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: sigset_t,
}

impl SigAction {
    /// A handler function (not SIG_DFL/SIG_IGN) is installed.
    pub fn is_handler(&self) -> bool {
        self.handler != sig::SIG_DFL && self.handler != sig::SIG_IGN
    }
}

/// A signal's default action (signal(7), "Standard signals").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Term,
    Core,
    Ign,
    Stop,
    Cont,
}

/// The default action of `signo`; real-time signals terminate.
pub fn default_action(signo: u32) -> DefaultAction {
    use DefaultAction::*;
    match signo {
        sig::SIGQUIT
        | sig::SIGILL
        | sig::SIGTRAP
        | sig::SIGABRT
        | sig::SIGBUS
        | sig::SIGFPE
        | sig::SIGSEGV
        | sig::SIGXCPU
        | sig::SIGXFSZ
        | sig::SIGSYS => Core,
        sig::SIGCHLD | sig::SIGURG | sig::SIGWINCH => Ign,
        sig::SIGCONT => Cont,
        sig::SIGSTOP | sig::SIGTSTP | sig::SIGTTIN | sig::SIGTTOU => Stop,
        _ => Term,
    }
}

/// Whether `act` for `signo` means "throw it away": SIG_IGN, or SIG_DFL
/// with a default action of Ign (SIGCONT counts: its work is done at
/// generation). SIGKILL and SIGSTOP are never ignored.
pub fn is_ignored_action(signo: u32, act: &SigAction) -> bool {
    if sigbit(signo) & UNBLOCKABLE != 0 {
        return false;
    }
    match act.handler {
        sig::SIG_IGN => true,
        sig::SIG_DFL => matches!(default_action(signo), DefaultAction::Ign | DefaultAction::Cont),
        _ => false,
    }
}

/// A set of pending signals with their infos (standard signals keep one
/// instance, real-time signals queue).
#[derive(Clone, Debug, Default)]
pub struct PendingSet {
    pub bits: sigset_t,
    pub queue: VecDeque<SigInfo>,
}

impl PendingSet {
    /// Adds a signal: a standard signal already pending is not queued twice.
    pub fn push(&mut self, info: SigInfo) {
        let b = sigbit(info.signo);
        if b == 0 {
            return;
        }
        if info.signo < sig::SIGRTMIN && self.bits & b != 0 {
            return;
        }
        self.bits |= b;
        self.queue.push_back(info);
    }

    /// Removes one instance of `signo`.
    pub fn take(&mut self, signo: u32) -> Option<SigInfo> {
        let i = self.queue.iter().position(|s| s.signo == signo)?;
        let info = self.queue.remove(i);
        if !self.queue.iter().any(|s| s.signo == signo) {
            self.bits &= !sigbit(signo);
        }
        info
    }

    /// Drops every instance of the signals in `set`.
    pub fn discard(&mut self, set: sigset_t) {
        self.queue.retain(|s| sigbit(s.signo) & set == 0);
        self.bits &= !set;
    }

    /// The lowest-numbered pending signal in `set`.
    pub fn lowest_in(&self, set: sigset_t) -> Option<u32> {
        let ready = self.bits & set;
        (ready != 0).then(|| ready.trailing_zeros() + 1)
    }

    /// The signal of `set` delivery takes next: synchronous ones (faults)
    /// first, then the lowest-numbered (Linux's `next_signal`).
    pub fn next_in(&self, set: sigset_t) -> Option<u32> {
        self.lowest_in(set & SYNCHRONOUS).or_else(|| self.lowest_in(set))
    }
}

/// What threads of a process share (Linux's `sighand_struct` + the shared
/// pending set of `signal_struct`).
#[derive(Clone, Debug)]
pub struct ProcessSignals {
    /// Index = signal number (0 unused).
    pub actions: [SigAction; 65],
    pub pending: PendingSet,
}

impl Default for ProcessSignals {
    fn default() -> Self {
        ProcessSignals { actions: [SigAction::default(); 65], pending: PendingSet::default() }
    }
}

/// A thread's alternate signal stack (sigaltstack(2)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u32,
    pub size: u32,
    /// `SS_DISABLE`, or 0 / `SS_AUTODISARM` when enabled.
    pub flags: u32,
}

impl Default for AltStack {
    fn default() -> Self {
        AltStack { sp: 0, size: 0, flags: sig::SS_DISABLE }
    }
}

impl AltStack {
    pub fn enabled(&self) -> bool {
        self.flags & sig::SS_DISABLE == 0
    }
    /// Whether `sp` lies on this stack (`(sp, sp + size]`, as Linux's
    /// `on_sig_stack` for a downward-growing stack).
    pub fn contains(&self, sp: u32) -> bool {
        self.enabled() && sp > self.sp && u64::from(sp) <= u64::from(self.sp) + u64::from(self.size)
    }
}

/// Per-thread signal state.
#[derive(Clone, Debug, Default)]
pub struct ThreadSignals {
    pub mask: sigset_t,
    pub pending: PendingSet,
    /// sigaltstack settings.
    pub altstack: AltStack,
    /// The thread runs a handler on the alternate stack (set by delivery,
    /// restored from the ucontext by rt_sigreturn).
    pub on_altstack: bool,
    /// The mask to restore after a call that set a temporary one
    /// (rt_sigsuspend, ppoll, pselect6, epoll_pwait): the next handler
    /// frame saves this instead of the current mask, so rt_sigreturn
    /// restores the caller's mask (Linux's `saved_sigmask`).
    pub saved_mask: Option<sigset_t>,
    /// The monotonic deadline of a relative nanosleep interrupted by a
    /// signal that will not run a handler: the restarted call sleeps only
    /// the rest (Linux's restart block).
    pub restart_deadline: Option<u64>,
}

/// Sets a temporary signal mask for the duration of a call (ppoll,
/// pselect6, epoll_pwait, sigsuspend). On success the caller calls
/// [`restore_temporary_mask`]; when the call ends with EINTR the saved
/// mask stays and goes into the handler frame, so the handler runs with
/// the temporary mask and rt_sigreturn restores the old one.
pub fn set_temporary_mask(ctx: &mut Ctx, mask: sigset_t) {
    let t = &mut ctx.thread_mut().signals;
    if t.saved_mask.is_none() {
        t.saved_mask = Some(t.mask);
    }
    t.mask = mask & !UNBLOCKABLE;
}

/// Restores the mask saved by [`set_temporary_mask`] (no-op without one).
pub fn restore_temporary_mask(ctx: &mut Ctx) {
    let t = &mut ctx.thread_mut().signals;
    if let Some(m) = t.saved_mask.take() {
        t.mask = m;
    }
}

/// The signal the thread would take next: the lowest unblocked
/// thread-directed one, else the lowest unblocked process-wide one (the
/// order of Linux's `dequeue_signal`).
pub fn next_deliverable(st: &State, tid: Tid) -> Option<u32> {
    let t = st.procs.threads.get(&tid)?;
    let p = st.procs.procs.get(&t.pid)?;
    let unblocked = !t.signals.mask;
    t.signals.pending.next_in(unblocked).or_else(|| p.signals.pending.next_in(unblocked))
}

/// Whether the thread's process is stopped by a stop signal.
pub fn is_stopped(st: &State, tid: Tid) -> bool {
    let pid = st.procs.pid_of(tid);
    st.procs.procs.get(&pid).is_some_and(|p| p.job.stopped)
}

/// Whether SIGKILL is pending for the thread or its process.
pub fn kill_pending(st: &State, tid: Tid) -> bool {
    let Some(t) = st.procs.threads.get(&tid) else { return false };
    let k = sigbit(sig::SIGKILL);
    t.signals.pending.bits & k != 0 || st.procs.procs.get(&t.pid).is_some_and(|p| p.signals.pending.bits & k != 0)
}

/// Whether the thread must go through [`deliver`] on its way out of the
/// kernel: a deliverable signal, or its process is stopped (the thread
/// then stops in `deliver` until SIGCONT).
pub fn has_deliverable(st: &State, tid: Tid) -> bool {
    next_deliverable(st, tid).is_some() || is_stopped(st, tid)
}

/// Whether a sleeping thread must stop waiting: a deliverable signal, or its
/// process is exiting. While its process is stopped only SIGKILL (or the
/// exit) interrupts: the sleeper stays asleep, as a stopped Linux task does.
pub fn interrupts_wait(ctx: &Ctx) -> bool {
    if crate::process::must_exit(&ctx.st, ctx.tid) {
        return true;
    }
    if is_stopped(&ctx.st, ctx.tid) {
        return kill_pending(&ctx.st, ctx.tid);
    }
    next_deliverable(&ctx.st, ctx.tid).is_some()
}

/// Whether a handler will run for the next signal that delivery acts on
/// (deliverable signals that are ignored are skipped, as `deliver` does),
/// and that signal's action.
fn first_acted_on(st: &State, tid: Tid) -> Option<SigAction> {
    let t = st.procs.threads.get(&tid)?;
    let p = st.procs.procs.get(&t.pid)?;
    let unblocked = !t.signals.mask;
    for set in [t.signals.pending.bits & unblocked, p.signals.pending.bits & unblocked] {
        // Delivery order: synchronous signals, then by number.
        for mut bits in [set & SYNCHRONOUS, set & !SYNCHRONOUS] {
            while bits != 0 {
                let signo = bits.trailing_zeros() + 1;
                bits &= bits - 1;
                let act = p.signals.actions[signo as usize];
                if !is_ignored_action(signo, &act) {
                    return Some(act);
                }
            }
        }
    }
    None
}

/// Whether an interrupted call with `restart` behaviour is re-issued
/// (signal(7), "Interruption of system calls and library functions by
/// signal handlers"): when no handler will run (the signal stops the
/// process, is ignored, or another thread took it) every restartable call
/// restarts; after a handler only [`Restart::IfSaRestart`] calls with
/// `SA_RESTART` do. [`Restart::IfNoHandler`] calls (nanosleep, poll,
/// sigsuspend, ...) fail with EINTR after a handler even with SA_RESTART.
pub fn should_restart(ctx: &mut Ctx, restart: Restart) -> bool {
    let decision = match (restart, first_acted_on(&ctx.st, ctx.tid)) {
        (Restart::No, _) => false,
        (_, None) => true,
        (_, Some(act)) if !act.is_handler() => true,
        (Restart::IfSaRestart, Some(act)) => act.flags & sig::SA_RESTART != 0,
        (Restart::IfNoHandler, Some(_)) => false,
    };
    if !decision {
        // The call returns EINTR: a later call must not resume its sleep.
        if let Some(t) = ctx.st.procs.threads.get_mut(&ctx.tid) {
            t.signals.restart_deadline = None;
        }
    }
    decision
}

/// Queues `info` for one thread (tkill/tgkill, synchronous faults),
/// applying the generation rules of [`kill::generate`]; errors (the
/// RLIMIT_SIGPENDING limit for queued real-time signals) drop the signal.
pub fn send_to_thread(st: &mut State, tid: Tid, info: SigInfo) {
    let _ = kill::generate(st, kill::Target::Thread(tid), info);
}

/// Queues `info` for a process (kill). Any thread that doesn't block it
/// will take it.
pub fn send_to_process(st: &mut State, pid: Pid, info: SigInfo) {
    let _ = kill::generate(st, kill::Target::Process(pid), info);
}

/// Raises a synchronous signal for a fault of thread `tid` (the host's
/// wasm trap: SIGSEGV for an out-of-bounds access, SIGILL for
/// `unreachable`, SIGFPE for an integer division by zero). As Linux's
/// `force_sig_info`: if the thread blocks or ignores it, the action is
/// reset to SIG_DFL and the signal unblocked, so the fault can't be
/// skipped. The host then calls `deliver_signal`.
pub fn force_signal(st: &mut State, tid: Tid, info: SigInfo) {
    let b = sigbit(info.signo);
    let pid = st.procs.pid_of(tid);
    let Some(t) = st.procs.threads.get_mut(&tid) else { return };
    let blocked = t.signals.mask & b != 0;
    t.signals.mask &= !b;
    if let Some(a) = st.procs.procs.get_mut(&pid).and_then(|p| p.signals.actions.get_mut(info.signo as usize)) {
        if blocked || a.handler == sig::SIG_IGN {
            *a = SigAction::default();
        }
    }
    send_to_thread(st, tid, info);
}

/// Sends to every process of a process group; returns how many got it.
pub fn send_to_pgrp(st: &mut State, pgid: Pid, info: SigInfo) -> usize {
    let pids: Vec<Pid> = st.procs.procs.values().filter(|p| p.pgid == pgid).map(|p| p.pid).collect();
    for pid in &pids {
        send_to_process(st, *pid, info);
    }
    pids.len()
}

/// Whether children of `pid` are reaped automatically at exit instead of
/// becoming zombies: the parent's SIGCHLD action is SIG_IGN or has
/// `SA_NOCLDWAIT` (sigaction(2)). For the exit/wait code.
pub fn children_auto_reap(st: &State, pid: Pid) -> bool {
    st.procs.procs.get(&pid).is_some_and(|p| {
        let a = p.signals.actions[sig::SIGCHLD as usize];
        a.handler == sig::SIG_IGN || a.flags & sig::SA_NOCLDWAIT != 0
    })
}

/// Whether `signo` would not reach thread `tid` now: blocked by it, or
/// ignored by its process (SIG_IGN, or SIG_DFL with a default action of
/// "ignore"). The tty code uses this for SIGTTIN/SIGTTOU: a background
/// write with SIGTTOU blocked or ignored proceeds, a background read with
/// SIGTTIN blocked or ignored fails with EIO (termios(3), tty job control).
pub fn is_blocked_or_ignored(st: &State, tid: Tid, signo: u32) -> bool {
    let Some(t) = st.procs.threads.get(&tid) else { return true };
    let Some(p) = st.procs.procs.get(&t.pid) else { return true };
    t.signals.mask & sigbit(signo) != 0
        || p.signals.actions.get(signo as usize).is_none_or(|a| is_ignored_action(signo, a))
}

/// What execve does to signal state (signal(7), execve(2)): handled
/// signals go back to SIG_DFL, ignored ones stay ignored; the mask and
/// pending signals are kept; the alternate stack is cleared. Flags and
/// masks of reset actions are cleared too. Called by the exec code for
/// the process `pid` and its (only remaining) thread `tid`.
pub fn on_exec(st: &mut State, pid: Pid, tid: Tid) {
    if let Some(p) = st.procs.procs.get_mut(&pid) {
        for a in p.signals.actions.iter_mut() {
            if a.is_handler() {
                *a = SigAction::default();
            }
        }
    }
    if let Some(t) = st.procs.threads.get_mut(&tid) {
        t.signals.altstack = AltStack::default();
        t.signals.on_altstack = false;
        t.signals.saved_mask = None;
        t.signals.restart_deadline = None;
    }
}

/// What the host does to deliver a signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing (left) to deliver.
    None,
    /// Call the program's signal trampoline: `handler(sig, siginfo, ucontext)`
    /// on stack `sp`; when the handler returns, the trampoline calls
    /// rt_sigreturn, which restores the mask saved in the ucontext.
    Handler(HandlerFrame),
    /// The thread must stop running guest code (the process was killed).
    ExitThread,
}

/// A handler invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerFrame {
    pub handler: u32,
    pub sig: u32,
    /// `SA_*` flags of the action (SA_SIGINFO decides the handler's arity).
    pub flags: u32,
    /// Address of the `siginfo_t` written for the handler.
    pub siginfo: u32,
    /// Address of the `ucontext_t` written for the handler.
    pub ucontext: u32,
    /// Stack pointer to run the handler on (16-byte aligned, below the frame).
    pub sp: u32,
}

/// The signal subsystem's calls.
pub const SYSCALLS: &[Entry] = &[
    sup(SYS_rt_sigaction, sigaction::sys_rt_sigaction),
    sup(SYS_rt_sigprocmask, sigprocmask::sys_rt_sigprocmask),
    sup(SYS_rt_sigpending, sigprocmask::sys_rt_sigpending),
    sup(SYS_rt_sigsuspend, sigprocmask::sys_rt_sigsuspend),
    sup(SYS_rt_sigtimedwait, sigprocmask::sys_rt_sigtimedwait),
    sup(SYS_sigaltstack, sigprocmask::sys_sigaltstack),
    sup(SYS_rt_sigreturn, sigreturn::sys_rt_sigreturn),
    partial(SYS_kill, kill::sys_kill, "pid 1 gets no special protection from default-action signals"),
    sup(SYS_tkill, kill::sys_tkill),
    sup(SYS_tgkill, kill::sys_tgkill),
    sup(SYS_rt_sigqueueinfo, kill::sys_rt_sigqueueinfo),
    sup(SYS_rt_tgsigqueueinfo, kill::sys_rt_tgsigqueueinfo),
    sup(SYS_signalfd4, signalfd::sys_signalfd4),
];
