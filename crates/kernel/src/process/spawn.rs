//! wasmpod's `SYS_spawn` (1025): posix_spawn(3) in one call.
//!
//! `spawn(pid_out, path, file_actions, attr, argv, envp)`; the user-memory
//! encoding of the file actions and attributes is documented in
//! `wasmpod_abi::spawn` (`spawn_file_actions`, `spawn_file_action`,
//! `spawn_attr`). The call returns 0 and writes the child's pid to
//! `*pid_out` (when not NULL), or returns `-errno` with no child left
//! behind: the half-made child is discarded without a SIGCHLD, as if
//! posix_spawn had failed before its fork.
//!
//! In the child, in musl's order: `POSIX_SPAWN_SETSIGDEF` resets the listed
//! signals to `SIG_DFL`; `POSIX_SPAWN_SETSID` makes a new session;
//! `POSIX_SPAWN_SETPGROUP` does `setpgid(0, pgroup)`;
//! `POSIX_SPAWN_RESETIDS` sets the effective ids to the real ones; the file
//! actions run in order (against the child's fd table and cwd; `CLOSE` of
//! a closed fd is not an error, as in musl); the signal mask becomes
//! `sigmask` with `POSIX_SPAWN_SETSIGMASK`, else the caller's; then the
//! program is executed exactly as execve would (see `exec.rs`) and the host
//! starts it (`Platform::start_process`). `POSIX_SPAWN_USEVFORK` changes
//! nothing; the scheduling flags are `ENOSYS` (no schedulers to choose).

use wasmpod_abi::fcntl::{AT_FDCWD, O_CLOEXEC};
use wasmpod_abi::misc::RLIMIT_NOFILE;
use wasmpod_abi::signal::{sigbit, SIG_DFL};
use wasmpod_abi::spawn::*;
use wasmpod_abi::syscalls::{SYS_chdir, SYS_fchdir, SYS_setpgid, SYS_setsid};

use super::{new_process, Pid, Tid};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Runs syscall `nr`'s handler as thread `tid` (user memory stays the
/// caller's, which is where spawn's arguments live).
fn call_as(ctx: &mut Ctx, tid: Tid, nr: u32, args: [u64; 6]) -> Result<i64> {
    let handler = ctx.kernel.table().get(nr).and_then(|e| e.handler).ok_or(errno!(ENOSYS, "spawn: call missing"))?;
    let saved = ctx.tid;
    ctx.tid = tid;
    let r = handler(ctx, &SyscallArgs(args));
    ctx.tid = saved;
    ctx.action = None;
    r
}

/// Runs `f` as thread `tid`.
fn as_tid<R>(ctx: &mut Ctx, tid: Tid, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let saved = ctx.tid;
    ctx.tid = tid;
    let r = f(ctx);
    ctx.tid = saved;
    r
}

/// Removes a child that never ran: its fds close (through the close hook),
/// it leaves its parent's children, and its pid is free again. No SIGCHLD.
pub(crate) fn discard(ctx: &mut Ctx, child: Pid) {
    let fds: Vec<i32> =
        ctx.st.procs.procs.get(&child).map(|p| p.files.iter().map(|(fd, _)| fd).collect()).unwrap_or_default();
    as_tid(ctx, child, |ctx| {
        for fd in fds {
            let entry = ctx.st.procs.procs.get_mut(&child).and_then(|p| p.files.remove(fd).ok());
            if let Some(entry) = entry {
                crate::fs::close_hook(ctx, fd, &entry);
            }
        }
    });
    if let Some(p) = ctx.st.procs.procs.remove(&child) {
        if let Some(pp) = ctx.st.procs.procs.get_mut(&p.ppid) {
            pp.children.retain(|c| *c != child);
        }
    }
    ctx.st.procs.threads.remove(&child);
    ctx.notify();
}

/// Installs `file` at exactly `fd` in the child (closing what was there),
/// `EBADF` beyond `RLIMIT_NOFILE` (dup2's rule).
fn install_at(
    ctx: &mut Ctx,
    child: Pid,
    fd: i32,
    file: std::sync::Arc<crate::fs::OpenFile>,
    cloexec: bool,
) -> Result<()> {
    let Some(p) = ctx.st.procs.procs.get_mut(&child) else {
        return_errno!(ESRCH, "spawn: child vanished");
    };
    let limit = p.rlimits[RLIMIT_NOFILE as usize].cur;
    if fd < 0 || u64::try_from(fd).unwrap_or(u64::MAX) >= limit {
        return_errno!(EBADF, "spawn: fd out of range");
    }
    let old = p.files.install(fd as usize, file, cloexec);
    if let Some(old) = old {
        as_tid(ctx, child, |ctx| crate::fs::close_hook(ctx, fd, &old));
    }
    Ok(())
}

/// One file action in the child.
fn file_action(ctx: &mut Ctx, child: Pid, a: &spawn_file_action) -> Result<()> {
    match a.kind {
        FDOP_CLOSE => {
            let entry = ctx.st.procs.procs.get_mut(&child).and_then(|p| p.files.remove(a.fd).ok());
            if let Some(entry) = entry {
                as_tid(ctx, child, |ctx| crate::fs::close_hook(ctx, a.fd, &entry));
            }
            Ok(())
        }
        FDOP_DUP2 => {
            let target = a.arg as i32;
            let p = ctx.st.procs.procs.get_mut(&child).ok_or(errno!(ESRCH, "spawn: child vanished"))?;
            if a.fd == target {
                // POSIX 2024: dup2 of an fd onto itself clears FD_CLOEXEC.
                p.files.entry_mut(a.fd)?.cloexec = false;
                return Ok(());
            }
            let file = p.files.get(a.fd)?;
            install_at(ctx, child, target, file, false)
        }
        FDOP_OPEN => {
            let path = ctx.read_path(a.path)?;
            let file = as_tid(ctx, child, |ctx| crate::fs::open_path(ctx, AT_FDCWD, &path, a.arg, a.mode))?;
            // musl: fd = open(...); if (fd != op->fd) { dup2(fd, op->fd); close(fd); }
            let p = ctx.st.procs.procs.get_mut(&child).ok_or(errno!(ESRCH, "spawn: child vanished"))?;
            let limit = p.rlimits[RLIMIT_NOFILE as usize].cur;
            let got = p.files.alloc(file.clone(), a.arg & O_CLOEXEC != 0, 0, limit)?;
            if got != a.fd {
                let _ = p.files.remove(got);
                install_at(ctx, child, a.fd, file, false)?;
            }
            Ok(())
        }
        FDOP_CHDIR => call_as(ctx, child, SYS_chdir, [u64::from(a.path), 0, 0, 0, 0, 0]).map(|_| ()),
        FDOP_FCHDIR => call_as(ctx, child, SYS_fchdir, [a.fd as u32 as u64, 0, 0, 0, 0, 0]).map(|_| ()),
        _ => return_errno!(EINVAL, "spawn: unknown file action"),
    }
}

/// Everything after the child exists; any error leaves it to be discarded.
fn setup_and_exec(ctx: &mut Ctx, child: Pid, path: &[u8], a: &SyscallArgs, attr: &spawn_attr) -> Result<()> {
    let (actions_ptr, argv, envp) = (a.ptr(2), a.ptr(4), a.ptr(5));
    if attr.flags & POSIX_SPAWN_SETSIGDEF != 0 {
        if let Some(p) = ctx.st.procs.procs.get_mut(&child) {
            for (sig, act) in p.signals.actions.iter_mut().enumerate().skip(1) {
                if attr.sigdefault & sigbit(sig as u32) != 0 {
                    *act = crate::signal::SigAction { handler: SIG_DFL, ..Default::default() };
                }
            }
        }
    }
    if attr.flags & POSIX_SPAWN_SETSID != 0 {
        call_as(ctx, child, SYS_setsid, [0; 6])?;
    }
    if attr.flags & POSIX_SPAWN_SETPGROUP != 0 {
        call_as(ctx, child, SYS_setpgid, [0, attr.pgroup as u32 as u64, 0, 0, 0, 0])?;
    }
    if attr.flags & POSIX_SPAWN_RESETIDS != 0 {
        if let Some(p) = ctx.st.procs.procs.get_mut(&child) {
            let c = &mut p.creds;
            (c.euid, c.fsuid, c.egid, c.fsgid) = (c.uid, c.uid, c.gid, c.gid);
        }
    }
    if actions_ptr != 0 {
        let list: spawn_file_actions = ctx.read_struct(actions_ptr)?;
        if list.count > SPAWN_MAX_ACTIONS {
            return_errno!(EINVAL, "spawn: too many file actions");
        }
        for i in 0..list.count {
            let at = list
                .actions
                .checked_add(i * spawn_file_action_size())
                .ok_or(errno!(EFAULT, "spawn: file actions wrap"))?;
            let action: spawn_file_action = ctx.read_struct(at)?;
            file_action(ctx, child, &action)?;
        }
    }
    let mask = if attr.flags & POSIX_SPAWN_SETSIGMASK != 0 {
        attr.sigmask & !crate::signal::UNBLOCKABLE
    } else {
        ctx.thread().signals.mask
    };
    if let Some(t) = ctx.st.procs.threads.get_mut(&child) {
        t.signals.mask = mask;
    }
    let image = as_tid(ctx, child, |ctx| -> Result<_> {
        let prepared = super::exec::prepare(ctx, AT_FDCWD, path, super::exec::Args::User { argv, envp }, 0)?;
        Ok(super::exec::commit(ctx, prepared))
    })?;
    ctx.platform().start_process(child, child, image);
    Ok(())
}

fn spawn_file_action_size() -> u32 {
    <spawn_file_action as wasmpod_abi::AbiStruct>::SIZE as u32
}

/// Implements wasmpod's spawn (see the module docs).
pub fn sys_spawn(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid_out, path_ptr, attr_ptr) = (a.ptr(0), a.ptr(1), a.ptr(3));
    let path = ctx.read_path(path_ptr)?;
    if path.is_empty() {
        return_errno!(ENOENT, "spawn: empty path");
    }
    let attr: spawn_attr = if attr_ptr != 0 { ctx.read_struct(attr_ptr)? } else { spawn_attr::default() };
    let known = POSIX_SPAWN_RESETIDS
        | POSIX_SPAWN_SETPGROUP
        | POSIX_SPAWN_SETSIGDEF
        | POSIX_SPAWN_SETSIGMASK
        | POSIX_SPAWN_SETSCHEDPARAM
        | POSIX_SPAWN_SETSCHEDULER
        | POSIX_SPAWN_USEVFORK
        | POSIX_SPAWN_SETSID;
    if attr.flags & !known != 0 {
        return_errno!(EINVAL, "spawn: unknown attribute flags");
    }
    if attr.flags & (POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER) != 0 {
        return_errno!(ENOSYS, "spawn: scheduling attributes are not supported");
    }
    if pid_out != 0 {
        // Fail before the child exists if the pid can't be reported.
        ctx.write_u32(pid_out, 0)?;
    }
    let parent = ctx.pid();
    let now = ctx.now();
    let creds = ctx.process().creds.clone();
    let child = new_process(&mut ctx.st, Some(parent), creds, now)?;
    match setup_and_exec(ctx, child, &path, a, &attr) {
        Ok(()) => {
            if pid_out != 0 {
                ctx.write_u32(pid_out, child as u32)?;
            }
            ctx.notify();
            Ok(0)
        }
        Err(e) => {
            discard(ctx, child);
            Err(e)
        }
    }
}
