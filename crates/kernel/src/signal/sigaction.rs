//! Dispositions: rt_sigaction.

use wasmpod_abi::signal::{self as sig, k_sigaction, sigbit};

use super::{is_ignored_action, SigAction, UNBLOCKABLE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// The `sa_flags` bits Linux keeps (since 5.11 unknown bits are cleared).
pub const KEPT_FLAGS: u32 = sig::SA_NOCLDSTOP
    | sig::SA_NOCLDWAIT
    | sig::SA_SIGINFO
    | sig::SA_RESTORER
    | sig::SA_ONSTACK
    | sig::SA_RESTART
    | sig::SA_NODEFER
    | sig::SA_RESETHAND;

fn encode(a: &SigAction) -> k_sigaction {
    k_sigaction {
        handler: a.handler,
        flags: a.flags,
        restorer: a.restorer,
        mask: [a.mask as u32, (a.mask >> 32) as u32],
    }
}

/// Implements rt_sigaction(2): `(sig, act, oact, sigsetsize)`.
///
/// `EINVAL` for a bad signal number, a `sigsetsize` other than 8, or a
/// new action for SIGKILL/SIGSTOP. SIGKILL and SIGSTOP are dropped from
/// `sa_mask` silently. Setting SIG_IGN, or SIG_DFL for a signal whose
/// default is to ignore it, discards its pending instances ("POSIX
/// 3.3.1.3"), blocked or not, in every thread.
pub fn sys_rt_sigaction(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (signo, act, oact, size) = (a.u32(0), a.ptr(1), a.ptr(2), a.usize(3));
    if size != 8 {
        return_errno!(EINVAL, "rt_sigaction: sigsetsize must be 8");
    }
    if sigbit(signo) == 0 || (act != 0 && sigbit(signo) & UNBLOCKABLE != 0) {
        return_errno!(EINVAL, "rt_sigaction: invalid signal");
    }
    let new = if act != 0 {
        let k: k_sigaction = ctx.read_struct(act)?;
        let mask = (u64::from(k.mask[0]) | (u64::from(k.mask[1]) << 32)) & !UNBLOCKABLE;
        Some(SigAction { handler: k.handler, flags: k.flags & KEPT_FLAGS, restorer: k.restorer, mask })
    } else {
        None
    };
    let old = ctx.process().signals.actions[signo as usize];
    if oact != 0 {
        ctx.write_struct(oact, &encode(&old))?;
    }
    if let Some(new) = new {
        let p = ctx.process_mut();
        p.signals.actions[signo as usize] = new;
        if is_ignored_action(signo, &new) {
            let threads = p.threads.clone();
            p.signals.pending.discard(sigbit(signo));
            for t in threads {
                if let Some(t) = ctx.st.procs.threads.get_mut(&t) {
                    t.signals.pending.discard(sigbit(signo));
                }
            }
        }
    }
    Ok(0)
}
