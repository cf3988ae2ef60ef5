//! rt_sigreturn: the end of a signal handler.

use wasmpod_abi::signal::{self as sig, ucontext};

use super::{AltStack, UNBLOCKABLE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;

/// Implements rt_sigreturn(2) for wasmpod: `(ucontext)`, the address of
/// the `ucontext_t` that delivery wrote (the trampoline passes it).
/// Restores the signal mask (SIGKILL and SIGSTOP stay unblocked) and the
/// alternate-stack state saved in it, and returns 0: the host itself
/// resumes the interrupted code (wasm has no registers to restore).
/// `EFAULT` if the ucontext is unreadable (Linux would raise SIGSEGV).
pub fn sys_rt_sigreturn(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let uc: ucontext = ctx.read_struct(a.ptr(0))?;
    let t = &mut ctx.thread_mut().signals;
    t.mask = uc.uc_sigmask & !UNBLOCKABLE;
    t.saved_mask = None;
    let flags = uc.uc_stack_flags as u32;
    t.on_altstack = flags & sig::SS_ONSTACK != 0;
    t.altstack =
        AltStack { sp: uc.uc_stack_sp, size: uc.uc_stack_size, flags: flags & (sig::SS_DISABLE | sig::SS_AUTODISARM) };
    if t.altstack.flags & sig::SS_DISABLE != 0 {
        t.altstack = AltStack::default();
    }
    Ok(0)
}
