//! Delivery: what happens to a pending signal when a thread leaves the
//! kernel (analogous to Linux's `get_signal` + `handle_signal`).
//!
//! [`deliver`] takes pending signals one at a time (thread-directed
//! before process-wide, lowest number first) and acts on each:
//! - ignored (SIG_IGN, or default action "ignore"/"continue"): dropped;
//! - default "terminate"/"core": the process exits with that signal
//!   ([`crate::process::exit::exit_process`]) and the thread leaves;
//! - default "stop": the process stops (job state for wait, SIGCHLD
//!   `CLD_STOPPED` to the parent unless it set `SA_NOCLDSTOP`) and the
//!   thread sleeps here until SIGCONT or SIGKILL. SIGTSTP/SIGTTIN/SIGTTOU
//!   to a process of an orphaned process group are dropped (signal(7));
//! - a handler: a frame (`siginfo_t`, then `ucontext_t` with the mask to
//!   restore) is written below the stack pointer or on the alternate
//!   stack, the mask grows by `sa_mask` and the signal (unless
//!   `SA_NODEFER`), `SA_RESETHAND` resets the action, and the host runs
//!   the handler.
//!
//! Frame layout, from the old stack pointer (or the top of the
//! alternate stack) down: `ucontext_t` (152 bytes) at the next 16-byte
//! boundary below, then `siginfo_t` (128 bytes) 16-byte aligned below it;
//! the handler's stack pointer is the `siginfo_t` address. Wasm keeps no
//! live data below the shadow stack pointer, so no red zone is skipped.

use wasmpod_abi::signal::{self as sig, sigbit, ucontext};
use wasmpod_abi::wait::w_termsig;
use wasmpod_abi::AbiStruct;

use super::{default_action, is_stopped, kill_pending, AltStack, DefaultAction, Delivery, HandlerFrame, SigAction};
use super::{SigInfo, UNBLOCKABLE};
use crate::error::Restart;
use crate::kernel::{Ctx, State};
use crate::process::{JobReport, Pid, ProcState};

/// Takes the next deliverable signal of the calling thread.
fn dequeue(ctx: &mut Ctx) -> Option<SigInfo> {
    let signo = super::next_deliverable(&ctx.st, ctx.tid)?;
    let tid = ctx.tid;
    let t = ctx.st.procs.threads.get_mut(&tid)?;
    if t.signals.pending.bits & sigbit(signo) != 0 {
        return t.signals.pending.take(signo);
    }
    let pid = t.pid;
    ctx.st.procs.procs.get_mut(&pid)?.signals.pending.take(signo)
}

/// Whether process group `pgid` is orphaned: no member has a parent in
/// another process group of the same session (POSIX; Linux's
/// `will_become_orphaned_pgrp`).
pub fn pgrp_orphaned(st: &State, pgid: Pid) -> bool {
    !st.procs
        .procs
        .values()
        .filter(|p| p.pgid == pgid && p.state == ProcState::Running)
        .any(|p| st.procs.procs.get(&p.ppid).is_some_and(|pp| pp.pgid != pgid && pp.sid == p.sid))
}

/// Stops the calling thread's process for `signo`.
fn stop_process(ctx: &mut Ctx, signo: u32) {
    let pid = ctx.pid();
    if let Some(p) = ctx.st.procs.procs.get_mut(&pid) {
        p.job.stopped = true;
        p.job.report = Some(JobReport::Stopped(signo));
    }
    super::kill::notify_parent_job(&mut ctx.st, pid, sig::CLD_STOPPED, signo as i32);
    ctx.notify();
}

/// Picks the next deliverable signal of the calling thread and acts on it:
/// ignore, default action (terminate, stop until SIGCONT, continue), or a
/// handler frame. `sp` is the thread's stack pointer. Returns
/// [`Delivery::None`] when nothing is left to deliver; the host calls
/// again after running a handler's frame setup if `signal_pending` says so.
pub fn deliver(ctx: &mut Ctx, sp: u32) -> Delivery {
    loop {
        if crate::process::must_exit(&ctx.st, ctx.tid) {
            return Delivery::ExitThread;
        }
        if kill_pending(&ctx.st, ctx.tid) {
            // SIGKILL goes first, stopped or not.
            let pid = ctx.pid();
            let tid = ctx.tid;
            if let Some(t) = ctx.st.procs.threads.get_mut(&tid) {
                t.signals.pending.discard(sigbit(sig::SIGKILL));
            }
            let p = ctx.process_mut();
            p.signals.pending.discard(sigbit(sig::SIGKILL));
            p.job.stopped = false;
            crate::process::exit::exit_process(ctx, pid, w_termsig(sig::SIGKILL, false));
            return Delivery::ExitThread;
        }
        if is_stopped(&ctx.st, ctx.tid) {
            // Sleep until SIGCONT clears the stop or SIGKILL/exit arrives;
            // `interrupts_wait` lets nothing else wake a stopped thread.
            let _ = ctx.wait_until(None, Restart::No, |ctx| {
                let done = !is_stopped(&ctx.st, ctx.tid)
                    || kill_pending(&ctx.st, ctx.tid)
                    || crate::process::must_exit(&ctx.st, ctx.tid);
                Ok(done.then_some(()))
            });
            continue;
        }
        let Some(info) = dequeue(ctx) else {
            // No handler runs: a temporary mask (sigsuspend, ppoll, ...)
            // ends here (Linux's `restore_saved_sigmask`); a restarted call
            // sets it again.
            super::restore_temporary_mask(ctx);
            return Delivery::None;
        };
        let signo = info.signo;
        let pid = ctx.pid();
        let act = ctx.process().signals.actions[signo as usize];
        let catchable = sigbit(signo) & UNBLOCKABLE == 0;
        if catchable && act.handler == sig::SIG_IGN {
            continue;
        }
        if catchable && act.is_handler() {
            return handler_frame(ctx, sp, info, act);
        }
        match default_action(signo) {
            DefaultAction::Ign | DefaultAction::Cont => continue,
            DefaultAction::Term | DefaultAction::Core => {
                let core = default_action(signo) == DefaultAction::Core;
                crate::process::exit::exit_process(ctx, pid, w_termsig(signo, core));
                return Delivery::ExitThread;
            }
            DefaultAction::Stop => {
                let pgid = ctx.process().pgid;
                if signo != sig::SIGSTOP && pgrp_orphaned(&ctx.st, pgid) {
                    continue;
                }
                stop_process(ctx, signo);
            }
        }
    }
}

/// Writes the handler frame for `info` and updates the mask, the
/// alternate stack state and (SA_RESETHAND) the action.
fn handler_frame(ctx: &mut Ctx, sp: u32, info: SigInfo, act: SigAction) -> Delivery {
    let signo = info.signo;
    let pid = ctx.pid();
    let t = &ctx.thread().signals;
    let alt = t.altstack;
    // On the alternate stack is decided by `sp` when one is set (as
    // Linux's `on_sig_stack`), so a handler left with siglongjmp instead
    // of rt_sigreturn doesn't leave the thread "on" it for good.
    let was_on = if alt.enabled() { alt.contains(sp) } else { t.on_altstack };
    let use_alt = act.flags & sig::SA_ONSTACK != 0 && alt.enabled() && !was_on;
    let saved_mask = t.saved_mask.unwrap_or(t.mask);
    let top = if use_alt { alt.sp.checked_add(alt.size) } else { Some(sp) };
    let addrs = top.and_then(|top| {
        let uc = top.checked_sub(ucontext::SIZE as u32)? & !15;
        let si = uc.checked_sub(sig::siginfo_t::SIZE as u32)? & !15;
        Some((uc, si))
    });
    let uc_flags = if was_on {
        sig::SS_ONSTACK
    } else if !alt.enabled() {
        sig::SS_DISABLE
    } else {
        alt.flags & sig::SS_AUTODISARM
    };
    let uc = ucontext {
        uc_flags: 0,
        uc_link: 0,
        uc_stack_sp: alt.sp,
        uc_stack_flags: uc_flags as i32,
        uc_stack_size: alt.size,
        uc_mcontext: 0,
        uc_sigmask: saved_mask,
    };
    let written = addrs.is_some_and(|(uc_addr, si_addr)| {
        ctx.write_struct(uc_addr, &uc).is_ok() && ctx.write_struct(si_addr, &info.to_abi()).is_ok()
    });
    let Some((uc_addr, si_addr)) = addrs.filter(|_| written) else {
        // Linux forces SIGSEGV when the frame can't be written; with the
        // default action that ends the process with a core dump.
        crate::process::exit::exit_process(ctx, pid, w_termsig(sig::SIGSEGV, true));
        return Delivery::ExitThread;
    };
    let t = &mut ctx.thread_mut().signals;
    t.saved_mask = None;
    let mut block = act.mask;
    if act.flags & sig::SA_NODEFER == 0 {
        block |= sigbit(signo);
    }
    t.mask = (t.mask | block) & !UNBLOCKABLE;
    t.on_altstack = was_on;
    if use_alt {
        if alt.flags & sig::SS_AUTODISARM != 0 {
            // Disarmed while the handler runs: it is not "on" a stack
            // that is no longer set, and may install another one.
            t.altstack = AltStack::default();
        } else {
            t.on_altstack = true;
        }
    }
    if act.flags & sig::SA_RESETHAND != 0 {
        ctx.process_mut().signals.actions[signo as usize].handler = sig::SIG_DFL;
    }
    Delivery::Handler(HandlerFrame {
        handler: act.handler,
        sig: signo,
        flags: act.flags,
        siginfo: si_addr,
        ucontext: uc_addr,
        sp: si_addr,
    })
}
