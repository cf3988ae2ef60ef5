//! clone(2) for threads, and set_tid_address(2).
//!
//! Argument order (asm-generic, as riscv): `clone(flags, stack, parent_tid,
//! tls, child_tid)`. Only thread creation is supported: the flags must
//! include `CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD`
//! (what `pthread_create` passes). The new thread joins the caller's
//! process and the host starts it on the same memory
//! (`Platform::start_thread`, with the raw arguments for its entry glue).
//!
//! A clone that would need a copy of the caller's memory (fork: no
//! `CLONE_VM`) or a process sharing memory without being a thread is
//! `ENOSYS`: use vfork or posix_spawn (`SYS_vfork`, `SYS_spawn`).
//! Namespace flags are `ENOSYS` too (there are no namespaces).

use wasmpod_abi::sched::*;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::platform::ThreadStart;
use crate::process::Thread;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// The namespace flags (`CLONE_NEWNS` and the ones in `CSIGNAL`'s
/// neighbourhood that the ABI crate does not name).
const CLONE_NEW_ANY: u32 = CLONE_NEWNS
    | 0x0200_0000 // CLONE_NEWCGROUP
    | 0x0400_0000 // CLONE_NEWUTS
    | 0x0800_0000 // CLONE_NEWIPC
    | 0x1000_0000 // CLONE_NEWUSER
    | 0x2000_0000 // CLONE_NEWPID
    | 0x4000_0000; // CLONE_NEWNET

/// What a thread needs.
const THREAD_FLAGS: u32 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;

/// Implements clone(2) for threads (see the module docs).
pub fn sys_clone(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (flags, stack, ptid, tls, ctid) = (a.u32(0), a.ptr(1), a.ptr(2), a.ptr(3), a.ptr(4));
    // The EINVAL combinations of clone(2), checked first as Linux does.
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return_errno!(EINVAL, "clone: CLONE_THREAD needs CLONE_SIGHAND");
    }
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return_errno!(EINVAL, "clone: CLONE_SIGHAND needs CLONE_VM");
    }
    if flags & CLONE_FS != 0 && flags & CLONE_NEWNS != 0 {
        return_errno!(EINVAL, "clone: CLONE_FS with CLONE_NEWNS");
    }
    if flags & CLONE_PIDFD != 0 && (flags & CLONE_THREAD != 0 || flags & CLONE_PARENT_SETTID != 0) {
        return_errno!(EINVAL, "clone: CLONE_PIDFD with CLONE_THREAD or CLONE_PARENT_SETTID");
    }
    if flags & CLONE_NEW_ANY != 0 {
        return_errno!(ENOSYS, "clone: namespaces are not supported");
    }
    if flags & CLONE_VM == 0 {
        return_errno!(ENOSYS, "fork is not supported yet; use vfork/posix_spawn");
    }
    if flags & CLONE_VFORK != 0 && flags & CLONE_THREAD == 0 {
        return_errno!(ENOSYS, "clone(CLONE_VM|CLONE_VFORK) is not supported; use vfork/posix_spawn");
    }
    if flags & THREAD_FLAGS != THREAD_FLAGS {
        return_errno!(
            ENOSYS,
            "clone: only threads (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD) are supported"
        );
    }
    if flags & CLONE_PIDFD != 0 {
        return_errno!(ENOSYS, "clone: pidfds are not supported");
    }
    let pid = ctx.pid();
    if ctx.process().exiting.is_some() {
        return_errno!(EAGAIN, "clone: process is exiting");
    }
    let tid = ctx.st.procs.alloc_id().ok_or(errno!(EAGAIN, "clone: out of thread ids"))?;
    let mut signals = crate::signal::ThreadSignals { mask: ctx.thread().signals.mask, ..Default::default() };
    // sigaltstack(2): a new thread starts without an alternate stack
    // (clone with CLONE_VM clears it).
    signals.altstack = crate::signal::AltStack::default();
    let clear_child_tid = if flags & CLONE_CHILD_CLEARTID != 0 { ctid } else { 0 };
    ctx.st.procs.threads.insert(
        tid,
        Thread {
            tid,
            pid,
            signals,
            clear_child_tid,
            vfork_child: None,
            sleeping: false,
            exited: false,
            robust_list: (0, 0),
        },
    );
    ctx.process_mut().threads.push(tid);
    // Both words live in the shared memory; Linux ignores faults here.
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = ctx.write_u32(ptid, tid as u32);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = ctx.write_u32(ctid, tid as u32);
    }
    let tls = if flags & CLONE_SETTLS != 0 { tls } else { 0 };
    ctx.platform().start_thread(ThreadStart { pid, tid, stack, tls, args: a.0 });
    Ok(i64::from(tid))
}

/// Implements set_tid_address(2): sets `clear_child_tid` and returns the
/// caller's tid.
pub fn sys_set_tid_address(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let addr = a.ptr(0);
    ctx.thread_mut().clear_child_tid = addr;
    Ok(i64::from(ctx.tid))
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::sched::*;
    use wasmpod_abi::signal::SIGCHLD;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::testing::{Harness, HostEvent};

    const THREAD: u32 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

    #[test]
    fn clone_starts_a_thread_of_the_same_process() {
        let h = Harness::new();
        let p = h.process(None);
        h.platform.take_events();
        let flags = THREAD | CLONE_SETTLS;
        let tid = p.sys(SYS_clone, &[u64::from(flags), 0x9000, 0, 0x4000, 0]) as i32;
        assert!(tid > p.pid);
        let t = p.as_thread(tid);
        assert_eq!(t.sys(SYS_gettid, &[]), i64::from(tid));
        assert_eq!(t.sys(SYS_getpid, &[]), i64::from(p.pid));
        let ev = h.platform.take_events();
        match &ev[..] {
            [HostEvent::StartThread(s)] => {
                assert_eq!((s.pid, s.tid, s.stack, s.tls), (p.pid, tid, 0x9000, 0x4000));
            }
            other => panic!("unexpected events {other:?}"),
        }
    }

    #[test]
    fn tls_is_zero_without_clone_settls() {
        let h = Harness::new();
        let p = h.process(None);
        h.platform.take_events();
        p.sys(SYS_clone, &[u64::from(THREAD), 0x9000, 0, 0x4000, 0]);
        let ev = h.platform.take_events();
        assert!(matches!(&ev[..], [HostEvent::StartThread(s)] if s.tls == 0));
    }

    #[test]
    fn parent_settid_writes_the_new_tid() {
        let h = Harness::new();
        let p = h.process(None);
        let ptid = p.alloc(4);
        let tid = p.sys(SYS_clone, &[u64::from(THREAD | CLONE_PARENT_SETTID), 0x9000, u64::from(ptid), 0, 0]);
        assert_eq!(i64::from(p.read_i32(ptid)), tid);
    }

    #[test]
    fn new_thread_inherits_the_signal_mask() {
        let h = Harness::new();
        let p = h.process(None);
        st(&h, |s| s.procs.threads.get_mut(&p.tid).unwrap().signals.mask = 0b1010);
        let tid = p.sys(SYS_clone, &[u64::from(THREAD), 0x9000, 0, 0, 0]) as i32;
        assert_eq!(st(&h, |s| s.procs.threads[&tid].signals.mask), 0b1010);
    }

    #[test]
    fn fork_is_enosys() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_clone, &[u64::from(SIGCHLD), 0, 0, 0, 0]), e(Errno::ENOSYS));
        assert_eq!(p.sys(SYS_clone, &[u64::from(CLONE_VM | CLONE_VFORK | SIGCHLD), 0x9000, 0, 0, 0]), e(Errno::ENOSYS));
        assert_eq!(p.sys(SYS_clone, &[u64::from(CLONE_VM | SIGCHLD), 0x9000, 0, 0, 0]), e(Errno::ENOSYS));
    }

    #[test]
    fn invalid_flag_combinations_are_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let c = |f: u32| p.sys(SYS_clone, &[u64::from(f), 0x9000, 0, 0, 0]);
        assert_eq!(c(CLONE_VM | CLONE_THREAD), e(Errno::EINVAL), "CLONE_THREAD without CLONE_SIGHAND");
        assert_eq!(c(CLONE_SIGHAND), e(Errno::EINVAL), "CLONE_SIGHAND without CLONE_VM");
        assert_eq!(c(CLONE_FS | CLONE_NEWNS), e(Errno::EINVAL));
        assert_eq!(c(THREAD | CLONE_PIDFD), e(Errno::EINVAL));
    }

    #[test]
    fn set_tid_address_returns_the_tid_and_records_the_word() {
        let h = Harness::new();
        let p = h.process(None);
        let tid = p.sys(SYS_clone, &[u64::from(THREAD), 0x9000, 0, 0, 0]) as i32;
        assert_eq!(p.as_thread(tid).sys(SYS_set_tid_address, &[0x2000]), i64::from(tid));
        assert_eq!(st(&h, |s| s.procs.threads[&tid].clear_child_tid), 0x2000);
    }
}
