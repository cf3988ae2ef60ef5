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

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::{O_CREAT, O_WRONLY};
    use wasmpod_abi::signal::{SIGINT, SIGUSR1, SIGUSR2, SIG_DFL, SIG_IGN};
    use wasmpod_abi::spawn::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::testing::{Harness, Proc};

    fn actions(p: &Proc, list: &[spawn_file_action]) -> u64 {
        let bytes: Vec<u8> = list.iter().flat_map(|a| wasmpod_abi::AbiStruct::to_vec(a).to_vec()).collect();
        let arr = p.bytes(&bytes);
        u64::from(p.put_struct(&spawn_file_actions { count: list.len() as u32, actions: arr }))
    }

    fn act(kind: u32, fd: i32, arg: u32, path: u64) -> spawn_file_action {
        spawn_file_action { kind, fd, arg, mode: 0o644, path: path as u32 }
    }

    /// Spawns and returns (result, pid written).
    fn spawn_call(p: &Proc, path: &str, fa: u64, attr: Option<spawn_attr>, argv: &[&str]) -> (i64, i32) {
        let pid_out = p.alloc(4);
        let attr = attr.map_or(0, |a| u64::from(p.put_struct(&a)));
        let r = p.sys(SYS_spawn, &[u64::from(pid_out), p.cstr(path), fa, attr, p.cstr_array(argv), p.cstr_array(&[])]);
        (r, p.read_i32(pid_out))
    }

    fn children(h: &Harness, pid: i32) -> Vec<i32> {
        st(h, |s| s.procs.procs[&pid].children.clone())
    }

    fn fds(h: &Harness, pid: i32) -> Vec<i32> {
        st(h, |s| s.procs.procs[&pid].files.iter().map(|(fd, _)| fd).collect())
    }

    #[test]
    fn spawn_starts_a_child_and_reports_its_pid() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        h.platform.take_events();
        let (r, pid) = spawn_call(&p, "/tmp/prog", 0, None, &["prog", "x"]);
        assert_eq!(r, 0);
        assert_eq!(children(&h, p.pid), vec![pid]);
        let s = started(&h);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, pid);
        assert_eq!(strs(&s[0].1.argv), ["prog", "x"]);
        assert_eq!(ppid(&h, pid), p.pid);
        assert!(st(&h, |s| s.procs.procs[&pid].did_exec));
    }

    #[test]
    fn file_actions_run_in_order_on_the_childs_table() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let (fd0, _) = install_file(&p, false);
        let out = p.cstr("/tmp/out");
        let fa = actions(
            &p,
            &[
                act(FDOP_OPEN, 5, O_CREAT | O_WRONLY, out),
                act(FDOP_DUP2, 5, 1, 0),
                act(FDOP_CLOSE, 5, 0, 0),
                act(FDOP_CLOSE, fd0, 0, 0),
                act(FDOP_CLOSE, 9, 0, 0), // not open: fine
            ],
        );
        let (r, pid) = spawn_call(&p, "/tmp/prog", fa, None, &["prog"]);
        assert_eq!(r, 0);
        assert_eq!(fds(&h, pid), vec![1]);
        assert_eq!(fds(&h, p.pid), vec![fd0], "the parent's table is untouched");
        let path = st(&h, |s| s.procs.procs[&pid].files.get(1).unwrap().path.clone());
        assert_eq!(path, b"/tmp/out");
    }

    #[test]
    fn dup2_onto_itself_clears_close_on_exec() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let (fd, _) = install_file(&p, true);
        let fa = actions(&p, &[act(FDOP_DUP2, fd, fd as u32, 0)]);
        let (r, pid) = spawn_call(&p, "/tmp/prog", fa, None, &["prog"]);
        assert_eq!(r, 0);
        assert_eq!(fds(&h, pid), vec![fd], "survived the exec");
    }

    #[test]
    fn a_failing_action_leaves_no_child() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let (fd, f) = install_file(&p, false);
        let fa = actions(&p, &[act(FDOP_CLOSE, fd, 0, 0), act(FDOP_DUP2, 7, 1, 0)]);
        h.platform.take_events();
        let (r, pid) = spawn_call(&p, "/tmp/prog", fa, None, &["prog"]);
        assert_eq!(r, e(Errno::EBADF));
        assert_eq!(pid, 0);
        assert!(children(&h, p.pid).is_empty());
        assert!(started(&h).is_empty());
        assert_eq!(std::sync::Arc::strong_count(&f), 2, "only the parent's fd and ours hold it");
        assert_eq!(p.sys(SYS_wait4, &[u32::MAX as u64, 0, 1, 0]), e(Errno::ECHILD));
    }

    #[test]
    fn a_missing_program_leaves_no_child() {
        let h = Harness::new();
        let p = h.process(None);
        let before = st(&h, |s| s.procs.procs.len());
        assert_eq!(spawn_call(&p, "/tmp/nothing", 0, None, &["x"]).0, e(Errno::ENOENT));
        make_file(&p, "/tmp/text", b"hello", 0o755);
        assert_eq!(spawn_call(&p, "/tmp/text", 0, None, &["x"]).0, e(Errno::ENOEXEC));
        assert_eq!(st(&h, |s| s.procs.procs.len()), before);
        assert!(pending(&h, p.pid, wasmpod_abi::signal::SIGCHLD).is_none(), "no SIGCHLD for a child that never was");
    }

    #[test]
    fn chdir_action_applies_to_the_program_path() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let fa = actions(&p, &[act(FDOP_CHDIR, 0, 0, p.cstr("/tmp"))]);
        let (r, _) = spawn_call(&p, "./prog", fa, None, &["prog"]);
        assert_eq!(r, 0);
        assert_eq!(spawn_call(&p, "./prog", 0, None, &["prog"]).0, e(Errno::ENOENT), "the parent's cwd is /");
    }

    #[test]
    fn setpgroup_and_setsid_attributes() {
        let h = Harness::new();
        let init = h.process(None);
        let p = h.process(Some(&init));
        make_program(&p, "/tmp/prog");
        let attr = spawn_attr { flags: POSIX_SPAWN_SETPGROUP, pgroup: 0, ..Default::default() };
        let (r, a) = spawn_call(&p, "/tmp/prog", 0, Some(attr), &["a"]);
        assert_eq!(r, 0);
        assert_eq!(p.sys(SYS_getpgid, &[a as u64]), i64::from(a));
        let attr = spawn_attr { flags: POSIX_SPAWN_SETPGROUP, pgroup: a, ..Default::default() };
        let (_, b) = spawn_call(&p, "/tmp/prog", 0, Some(attr), &["b"]);
        assert_eq!(p.sys(SYS_getpgid, &[b as u64]), i64::from(a));
        let attr = spawn_attr { flags: POSIX_SPAWN_SETSID, ..Default::default() };
        let (_, c) = spawn_call(&p, "/tmp/prog", 0, Some(attr), &["c"]);
        assert_eq!(p.sys(SYS_getsid, &[c as u64]), i64::from(c));
        let attr = spawn_attr { flags: POSIX_SPAWN_SETPGROUP, pgroup: 4242, ..Default::default() };
        assert_eq!(spawn_call(&p, "/tmp/prog", 0, Some(attr), &["d"]).0, e(Errno::EPERM));
    }

    #[test]
    fn sigmask_and_sigdefault_attributes() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        set_action(&h, p.pid, SIGINT, SIG_IGN, 0);
        set_action(&h, p.pid, SIGUSR2, SIG_IGN, 0);
        st(&h, |s| s.procs.threads.get_mut(&p.tid).unwrap().signals.mask = 0xf0);
        let (_, inherit) = spawn_call(&p, "/tmp/prog", 0, None, &["x"]);
        let attr = spawn_attr {
            flags: POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF,
            sigmask: 1 << (SIGUSR1 - 1),
            sigdefault: 1 << (SIGINT - 1),
            ..Default::default()
        };
        let (_, set) = spawn_call(&p, "/tmp/prog", 0, Some(attr), &["x"]);
        st(&h, |s| {
            assert_eq!(s.procs.threads[&inherit].signals.mask, 0xf0);
            assert_eq!(s.procs.threads[&set].signals.mask, 1 << (SIGUSR1 - 1));
            let a = &s.procs.procs[&set].signals.actions;
            assert_eq!(a[SIGINT as usize].handler, SIG_DFL);
            assert_eq!(a[SIGUSR2 as usize].handler, SIG_IGN, "not in sigdefault");
            assert_eq!(s.procs.procs[&inherit].signals.actions[SIGINT as usize].handler, SIG_IGN);
        });
    }

    #[test]
    fn resetids_makes_effective_ids_real() {
        let h = Harness::new();
        let r = h.process_as(None, crate::process::Credentials::root());
        make_program(&r, "/tmp/prog");
        r.sys(SYS_setresuid, &[1000, 0, 0]);
        let attr = spawn_attr { flags: POSIX_SPAWN_RESETIDS, ..Default::default() };
        let (_, c) = spawn_call(&r, "/tmp/prog", 0, Some(attr), &["x"]);
        assert_eq!(st(&h, |s| s.procs.procs[&c].creds.euid), 1000);
    }

    #[test]
    fn unknown_or_unsupported_attribute_flags() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let attr = spawn_attr { flags: 0x1000, ..Default::default() };
        assert_eq!(spawn_call(&p, "/tmp/prog", 0, Some(attr), &["x"]).0, e(Errno::EINVAL));
        let attr = spawn_attr { flags: POSIX_SPAWN_SETSCHEDULER, ..Default::default() };
        assert_eq!(spawn_call(&p, "/tmp/prog", 0, Some(attr), &["x"]).0, e(Errno::ENOSYS));
        let attr = spawn_attr { flags: POSIX_SPAWN_USEVFORK, ..Default::default() };
        assert_eq!(spawn_call(&p, "/tmp/prog", 0, Some(attr), &["x"]).0, 0);
        let fa = actions(&p, &[act(99, 0, 0, 0)]);
        assert_eq!(spawn_call(&p, "/tmp/prog", fa, None, &["x"]).0, e(Errno::EINVAL));
    }

    #[test]
    fn spawned_child_can_be_waited_for() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let (_, pid) = spawn_call(&p, "/tmp/prog", 0, None, &["x"]);
        // The child's main thread (its own memory doesn't matter here).
        let child = p.as_thread(pid);
        child.call(SYS_exit_group, &[3]);
        let status = p.alloc(4);
        assert_eq!(p.sys(SYS_wait4, &[pid as u64, u64::from(status), 0, 0]), i64::from(pid));
        assert_eq!(p.read_i32(status), 3 << 8);
    }
}
