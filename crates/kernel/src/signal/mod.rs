//! Signals: dispositions, masks, pending sets, sending and delivery.
//!
//! Generation ([`send_to_thread`], [`send_to_process`], [`send_to_pgrp`])
//! queues a signal; delivery happens when a thread leaves the kernel: the
//! host sees `signal_pending` in the syscall return and calls
//! [`crate::Kernel::deliver_signal`], which runs default actions or builds a
//! handler frame (ARCHITECTURE §4).

use std::collections::VecDeque;

use wasmpod_abi::signal::{self as sig, sigbit, sigset_t};

use crate::error::Restart;
use crate::kernel::{Ctx, State};
use crate::process::{Pid, Tid};
use crate::syscall::Entry;

/// `SIGKILL` and `SIGSTOP` can't be caught, blocked or ignored.
pub const UNBLOCKABLE: sigset_t = sigbit(sig::SIGKILL) | sigbit(sig::SIGSTOP);

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

/// Per-thread signal state.
#[derive(Clone, Debug, Default)]
pub struct ThreadSignals {
    pub mask: sigset_t,
    pub pending: PendingSet,
    /// sigaltstack: `(ss_sp, ss_size, flags)`.
    pub altstack: (u32, u32, u32),
}

/// The lowest-numbered unblocked pending signal of the thread, if any.
pub fn next_deliverable(st: &State, tid: Tid) -> Option<u32> {
    let t = st.procs.threads.get(&tid)?;
    let p = st.procs.procs.get(&t.pid)?;
    let ready = (t.signals.pending.bits | p.signals.pending.bits) & !t.signals.mask;
    if ready == 0 {
        None
    } else {
        Some(ready.trailing_zeros() + 1)
    }
}

/// Whether the thread has a signal to deliver on its way out of the kernel.
pub fn has_deliverable(st: &State, tid: Tid) -> bool {
    next_deliverable(st, tid).is_some()
}

/// Whether a sleeping thread must stop waiting: a deliverable signal, or its
/// process is exiting.
pub fn interrupts_wait(ctx: &Ctx) -> bool {
    has_deliverable(&ctx.st, ctx.tid) || crate::process::must_exit(&ctx.st, ctx.tid)
}

/// Whether an interrupted call with `restart` behaviour is re-issued
/// (signal(7)): after a handler only with `SA_RESTART` for
/// [`Restart::IfSaRestart`] calls, always when no handler will run.
pub fn should_restart(ctx: &Ctx, restart: Restart) -> bool {
    let Some(signo) = next_deliverable(&ctx.st, ctx.tid) else {
        return restart != Restart::No;
    };
    let Some(p) = ctx.st.procs.procs.get(&ctx.pid()) else {
        return false;
    };
    let act = p.signals.actions[signo as usize];
    let runs_handler = act.handler != sig::SIG_DFL && act.handler != sig::SIG_IGN;
    match restart {
        Restart::No => false,
        Restart::IfSaRestart => !runs_handler || act.flags & sig::SA_RESTART != 0,
        Restart::IfNoHandler => !runs_handler,
    }
}

/// Queues `info` for one thread (tkill/tgkill, synchronous faults).
pub fn send_to_thread(st: &mut State, tid: Tid, info: SigInfo) {
    if let Some(t) = st.procs.threads.get_mut(&tid) {
        t.signals.pending.push(info);
    }
}

/// Queues `info` for a process (kill). Any thread that doesn't block it
/// will take it.
pub fn send_to_process(st: &mut State, pid: Pid, info: SigInfo) {
    if let Some(p) = st.procs.procs.get_mut(&pid) {
        p.signals.pending.push(info);
    }
}

/// Sends to every process of a process group; returns how many got it.
pub fn send_to_pgrp(st: &mut State, pgid: Pid, info: SigInfo) -> usize {
    let pids: Vec<Pid> = st.procs.procs.values().filter(|p| p.pgid == pgid).map(|p| p.pid).collect();
    for pid in &pids {
        send_to_process(st, *pid, info);
    }
    pids.len()
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

/// Picks the next deliverable signal of the calling thread and acts on it:
/// ignore, default action (terminate, stop until SIGCONT, continue), or a
/// handler frame.
pub fn deliver(_ctx: &mut Ctx, _sp: u32) -> Delivery {
    Delivery::None
}

/// The signal subsystem's calls.
pub const SYSCALLS: &[Entry] = &[];
