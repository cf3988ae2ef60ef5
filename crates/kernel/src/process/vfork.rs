//! vfork: wasmpod's `SYS_vfork` (1024), a child that borrows its parent's
//! host thread and memory until it calls execve or `_exit`.
//!
//! # Protocol (kernel side and libc side)
//!
//! WebAssembly can't copy a running thread, so vfork is done the way
//! ARCHITECTURE §4 describes: libc's `vfork()` is a `setjmp` in the
//! caller's frame followed by this call.
//!
//! 1. `SYS_vfork()` (no arguments) creates the child: a new pid with a copy
//!    of the parent's fd table, cwd, credentials, signal dispositions and
//!    mask ([`super::new_process`]). The calling *host* thread (the
//!    parent's thread, `T`) is **lent** to the child: `T.vfork_child =
//!    Some(child_tid)`. The call returns **0**, so the code after
//!    `setjmp` runs as the child, on the parent's stack and memory.
//! 2. Every later call arriving on host thread `T` acts as the child
//!    (`process::effective_tid`): `getpid()` is the child's pid, `dup2`
//!    changes the child's fds, and so on.
//! 3. The child's **successful `execve`** starts the new image in a new
//!    host thread/worker (`Platform::start_process(child_pid, child_tid,
//!    image)`), ends the lending, and returns **the child's pid** on `T`
//!    (not `Action::Exec`). The child's **`_exit`/`exit_group`** makes it a
//!    zombie, ends the lending, and likewise returns the child's pid on
//!    `T`. A failed execve returns `-errno` as usual and the lending goes
//!    on (the child usually `_exit(127)`s next).
//! 4. libc: when `execve` or `_exit` called from a vfork child returns a
//!    value `> 0`, it `longjmp`s to the `setjmp` buffer of step 1 with that
//!    value, so `vfork()` returns the child's pid in the parent. (libc
//!    tracks "inside a vfork child" itself, e.g. with a thread-local
//!    pointer to the jump buffer; `_exit` in a vfork child must not run
//!    atexit handlers, as usual.)
//!
//! Nesting works: a vfork child may vfork again; `T` then runs as the
//! grandchild, and each `_exit`/`execve` pops one level (the value returned
//! is the pid of the child that ended, and `T` acts as the next-outer
//! process again).
//!
//! If the parent dies while lending, the child runs on; its `_exit`/
//! `execve` then returns `ExitThread` on `T` (there is no parent to go
//! back to), and `T` stays in the thread table until then.
//!
//! If the child dies while its code runs on `T` (a fatal signal, or a
//! sibling thread's exit_group), the lending stays until that code reaches
//! `_exit`/`execve`, which return the child's pid as usual (nothing is
//! executed), so libc longjmps back into the parent; every other call it
//! makes fails with `ESRCH`, and signal delivery on `T` does nothing
//! ([`dead_child_call`], called by `Kernel::syscall`). A vfork child of the
//! dead child runs on undisturbed; its `_exit` returns into the dead
//! child's code. A wasm trap on `T` kills the child and every process up
//! the lending chain (the trap unwound their frames too).

use crate::error::Result;
use crate::kernel::{Ctx, State};
use crate::process::{new_process, Tid};
use crate::syscall::SyscallArgs;

/// The thread that lent its host thread to vfork child thread `tid`, if
/// `tid` is a vfork child's thread whose lending is still on.
pub fn lender_of(st: &State, tid: Tid) -> Option<Tid> {
    st.procs.threads.values().find(|t| t.vfork_child == Some(tid)).map(|t| t.tid)
}

/// Ends the lending to vfork child thread `child` (its execve or exit):
/// returns the lender, whose calls are its own again.
pub fn end_lending(st: &mut State, child: Tid) -> Option<Tid> {
    let lender = lender_of(st, child)?;
    if let Some(t) = st.procs.threads.get_mut(&lender) {
        t.vfork_child = None;
    }
    Some(lender)
}

/// After the lending to a child ended, the thread that decides whether the
/// host thread goes on: the lender if it lives; if the lender is a dead
/// vfork child (whose code still runs there and must get the call's
/// value), the nearest living thread further up the lending chain. When
/// the whole chain is dead, the lender (and the host thread ends).
pub fn resume_tid(st: &State, lender: Tid) -> Tid {
    let mut t = lender;
    for _ in 0..st.procs.threads.len() {
        if !crate::process::must_exit(st, t) {
            return t;
        }
        match lender_of(st, t) {
            Some(l) => t = l,
            None => break,
        }
    }
    lender
}

/// A call made by the code of a vfork child that has died (killed by a
/// signal) while the host thread was still lent to it. `_exit`,
/// `exit_group`, `execve` and `execveat` end the lending and return the
/// child's pid, exactly as for a live child, so libc longjmps back into the
/// parent; any other call fails with `ESRCH` without doing anything.
pub fn dead_child_call(ctx: &mut Ctx, nr: u32) -> crate::SyscallReturn {
    use wasmpod_abi::syscalls::{SYS_execve, SYS_execveat, SYS_exit, SYS_exit_group};
    let child = ctx.tid;
    if ![SYS_exit, SYS_exit_group, SYS_execve, SYS_execveat].contains(&nr) {
        let value = i64::from(wasmpod_abi::Errno::ESRCH.neg());
        return crate::SyscallReturn { value, action: crate::Action::Return, signal_pending: false };
    }
    let Some(lender) = end_lending(&mut ctx.st, child) else {
        return crate::SyscallReturn { value: 0, action: crate::Action::ExitThread, signal_pending: false };
    };
    super::exit::forget_orphan_lender(&mut ctx.st, lender);
    let back = resume_tid(&ctx.st, lender);
    ctx.notify();
    if crate::process::must_exit(&ctx.st, back) {
        return crate::SyscallReturn { value: 0, action: crate::Action::ExitThread, signal_pending: false };
    }
    // A vfork child is single-threaded: its tid is its pid.
    let signal_pending = crate::signal::has_deliverable(&ctx.st, back);
    crate::SyscallReturn { value: i64::from(child), action: crate::Action::Return, signal_pending }
}

/// Implements wasmpod's vfork (see the module docs for the protocol).
pub fn sys_vfork(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    let parent = ctx.pid();
    let now = ctx.now();
    let creds = ctx.process().creds.clone();
    let child = new_process(&mut ctx.st, Some(parent), creds, now)?;
    // The child starts with the calling thread's mask (new_process copies
    // the main thread's).
    let mask = ctx.thread().signals.mask;
    if let Some(t) = ctx.st.procs.threads.get_mut(&child) {
        t.signals.mask = mask;
    }
    ctx.thread_mut().vfork_child = Some(child);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::wait::w_exitcode;
    use wasmpod_abi::Errno;

    use crate::kernel::Action;
    use crate::process::testutil::*;
    use crate::testing::Harness;

    #[test]
    fn vfork_returns_zero_and_later_calls_act_as_the_child() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        assert_eq!(parent.sys(SYS_vfork, &[]), 0);
        let child = parent.sys(SYS_getpid, &[]) as i32;
        assert_ne!(child, parent.pid);
        assert_eq!(parent.sys(SYS_getppid, &[]), i64::from(parent.pid));
        assert_eq!(parent.sys(SYS_gettid, &[]), i64::from(child));
        assert_eq!(ppid(&h, child), parent.pid);
    }

    #[test]
    fn child_exit_returns_the_child_pid_to_the_parent_thread() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]);
        let r = parent.call(SYS_exit_group, &[5]);
        assert!(matches!(r.action, Action::Return), "the host thread goes on as the parent");
        assert_eq!(r.value, child);
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid));
        let status = parent.alloc(4);
        assert_eq!(parent.sys(SYS_wait4, &[child as u64, u64::from(status), 0, 0]), child);
        assert_eq!(parent.read_i32(status), w_exitcode(5));
    }

    #[test]
    fn raw_exit_in_a_vfork_child_also_ends_the_lending() {
        let h = Harness::new();
        let parent = h.process(None);
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]);
        let r = parent.call(SYS_exit, &[0]);
        assert!(matches!(r.action, Action::Return));
        assert_eq!(r.value, child);
        assert_eq!(zombie(&h, child as i32), Some(0));
    }

    #[test]
    fn the_child_has_its_own_copy_of_the_fd_table() {
        let h = Harness::new();
        let parent = h.process(None);
        let (fd, _) = install_file(&parent, false);
        parent.sys(SYS_vfork, &[]);
        assert_eq!(parent.sys(SYS_close, &[fd as u64]), 0, "the child closes its copy");
        assert_eq!(parent.sys(SYS_close, &[fd as u64]), e(Errno::EBADF));
        parent.call(SYS_exit_group, &[0]);
        assert_eq!(parent.sys(SYS_close, &[fd as u64]), 0, "the parent's fd is still open");
    }

    #[test]
    fn nested_vforks_unwind_one_level_per_exit() {
        let h = Harness::new();
        let parent = h.process(None);
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]);
        parent.sys(SYS_vfork, &[]);
        let grandchild = parent.sys(SYS_getpid, &[]);
        assert_eq!(parent.sys(SYS_getppid, &[]), child);
        assert_eq!(parent.call(SYS_exit_group, &[1]).value, grandchild);
        assert_eq!(parent.sys(SYS_getpid, &[]), child);
        assert_eq!(parent.call(SYS_exit_group, &[2]).value, child);
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid));
        // The grandchild was reparented to init (pid 1, the parent here).
        assert_eq!(zombie(&h, grandchild as i32), Some(w_exitcode(1)));
    }

    #[test]
    fn a_vfork_child_changing_its_group_leaves_the_parent_alone() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        parent.sys(SYS_vfork, &[]);
        assert_eq!(parent.sys(SYS_setpgid, &[0, 0]), 0);
        let child = parent.sys(SYS_getpid, &[]);
        assert_eq!(parent.sys(SYS_getpgid, &[0]), child);
        parent.call(SYS_exit_group, &[0]);
        assert_eq!(parent.sys(SYS_getpgid, &[0]), i64::from(init.pid));
    }

    #[test]
    fn parent_killed_during_vfork_ends_its_thread_when_the_child_exits() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]) as i32;
        h.platform.take_events();
        with_ctx(&init, |ctx| crate::process::exit::exit_process(ctx, parent.pid, 9));
        assert!(h.platform.take_events().is_empty(), "the lent thread is not stopped under the child");
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(child), "the child runs on");
        assert_eq!(ppid(&h, child), init.pid);
        let r = parent.call(SYS_exit_group, &[0]);
        assert!(exits(&r), "back on the dead parent's thread");
    }

    #[test]
    fn vfork_child_of_a_parent_ignoring_sigchld_is_reaped_at_exit() {
        let h = Harness::new();
        let parent = h.process(None);
        set_action(&h, parent.pid, wasmpod_abi::signal::SIGCHLD, wasmpod_abi::signal::SIG_IGN, 0);
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]);
        assert_eq!(parent.call(SYS_exit_group, &[0]).value, child);
        assert!(!exists(&h, child as i32));
        assert_eq!(parent.sys(SYS_wait4, &[u32::MAX as u64, 0, 0, 0]), e(Errno::ECHILD));
    }

    #[test]
    fn child_keeps_running_after_its_parent_is_reaped() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        let flags = (wasmpod_abi::sched::CLONE_VM
            | wasmpod_abi::sched::CLONE_FS
            | wasmpod_abi::sched::CLONE_FILES
            | wasmpod_abi::sched::CLONE_SIGHAND
            | wasmpod_abi::sched::CLONE_THREAD) as u64;
        let sibling = parent.as_thread(parent.sys(SYS_clone, &[flags, 0x9000, 0, 0, 0]) as i32);
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]) as i32;
        assert!(exits(&sibling.call(SYS_exit_group, &[0])));
        assert_eq!(init.sys(SYS_wait4, &[parent.pid as u64, 0, 0, 0]), i64::from(parent.pid));
        // Regression: the reap used to drop the lent thread, stranding the child.
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(child));
        assert!(exits(&parent.call(SYS_exit_group, &[3])), "the parent's thread has nothing to go back to");
        assert!(!st(&h, |s| s.procs.threads.contains_key(&parent.tid)), "the lender is forgotten");
        assert_eq!(init.sys(SYS_wait4, &[child as u64, 0, 0, 0]), i64::from(child));
    }

    #[test]
    fn a_killed_vfork_childs_code_gets_esrch_until_its_exit_returns_the_pid() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]) as i32;
        with_ctx(&init, |ctx| crate::process::exit::exit_process(ctx, child, 9));
        let r = parent.call(SYS_close, &[0]);
        assert!(matches!(r.action, Action::Return), "the parent's thread is not ended");
        assert_eq!(r.value, e(Errno::ESRCH));
        let mut mem = parent.mem.clone();
        let d = h.kernel.deliver_signal(parent.tid, &mut mem, 0x8000);
        assert_eq!(d, crate::signal::Delivery::None);
        let r = parent.call(SYS_execve, &[0, 0, 0]);
        assert!(matches!(r.action, Action::Return));
        assert_eq!(r.value, i64::from(child), "like a successful exec: libc longjmps to the parent");
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid));
        let status = parent.alloc(4);
        assert_eq!(parent.sys(SYS_wait4, &[child as u64, u64::from(status), 0, 0]), i64::from(child));
        assert_eq!(parent.read_i32(status), 9);
    }

    #[test]
    fn a_grandchild_survives_its_vfork_parents_death() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]);
        parent.sys(SYS_vfork, &[]);
        let grandchild = parent.sys(SYS_getpid, &[]);
        with_ctx(&init, |ctx| crate::process::exit::exit_process(ctx, child as i32, 9));
        assert_eq!(parent.sys(SYS_getpid, &[]), grandchild, "the grandchild runs on");
        let r = parent.call(SYS_exit_group, &[0]);
        assert!(matches!(r.action, Action::Return));
        assert_eq!(r.value, grandchild, "back into the dead child's code");
        assert_eq!(parent.sys(SYS_getpid, &[]), e(Errno::ESRCH));
        assert_eq!(parent.call(SYS_exit_group, &[0]).value, child);
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid));
    }

    #[test]
    fn a_trap_in_a_vfork_child_kills_the_whole_lending_chain() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]) as i32;
        h.kernel.thread_trapped(parent.tid, wasmpod_abi::signal::SIGSEGV);
        assert_eq!(zombie(&h, child), Some(11));
        assert_eq!(zombie(&h, parent.pid), Some(9));
        assert!(exits(&parent.call(SYS_getpid, &[])));
    }
}
