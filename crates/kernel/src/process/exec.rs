//! execve(2) and execveat(2): replacing a process's program.
//!
//! The kernel resolves and reads the file itself (ARCHITECTURE §4):
//! - a file starting with the wasm magic `\0asm` is a program: its bytes go
//!   to the host in an [`ExecImage`] (with a compilation-cache key made of
//!   the file's device, inode, mtime and size);
//! - a file starting with `#!` is a script: the rest of its first line
//!   (at most `BINPRM_BUF_SIZE` = 256 bytes) names the interpreter and at
//!   most one argument (Linux's binfmt_script: everything after the
//!   interpreter name, trimmed, is a single argument), and the interpreter
//!   runs with `argv = [interp, (arg), path, argv[1..]]`. Interpreters may
//!   be scripts themselves, up to Linux's limit (`exec_binprm`: more than 5
//!   levels of interpretation → `ELOOP`);
//! - anything else is `ENOEXEC`.
//!
//! Checks, in Linux's order: the file is resolved (`ENOENT`, `ENOTDIR`,
//! `ELOOP`, ...), must be a regular file (`EACCES`) with execute permission
//! for the caller (`EACCES`; root needs some `x` bit), then argv/envp are
//! read (`EFAULT`, `E2BIG`: a string longer than `MAX_ARG_STRLEN`, or the
//! strings plus their pointers beyond a quarter of `RLIMIT_STACK`, as
//! Linux's `bprm_stack_limits`).
//!
//! After the point of no return: close-on-exec fds are closed, handlers
//! reset to `SIG_DFL` (ignored signals stay ignored; flags and masks clear),
//! the mask and pending signals stay, the alternate stack is cleared, the
//! other threads end, set-user-ID/set-group-ID bits apply (unless
//! `PR_SET_NO_NEW_PRIVS`), and `exe`, `argv`, `envp`, `comm` are recorded.
//! The caller gets `Action::Exec(image)`; a vfork child's caller instead
//! gets the child's pid back while the host starts the image elsewhere
//! (see `vfork.rs`).
//!
//! Not done: execve from a non-main thread keeps the caller's tid (Linux
//! gives it the pid); threads asleep in the kernel (or lent to a vfork
//! child) at exec time keep their exited table entries until the process
//! is reaped.

use std::sync::Arc;

use wasmpod_abi::fcntl::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use wasmpod_abi::fs::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISGID, S_ISUID};
use wasmpod_abi::misc::RLIMIT_STACK;
use wasmpod_abi::signal::{SIG_DFL, SIG_IGN};
use wasmpod_abi::Errno;

use super::Credentials;
use crate::error::Result;
use crate::fs::{Inode, Metadata};
use crate::kernel::{Action, Ctx};
use crate::platform::ExecImage;
use crate::signal::SigAction;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// `MAX_ARG_STRLEN`: the longest single argument or environment string,
/// including its NUL (32 pages).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;
/// `ARG_MAX` as Linux's floor for the argument space (32 pages).
pub const ARG_MIN_LIMIT: u64 = 32 * 4096;
/// Linux caps the argument space at 3/4 of `_STK_LIM` (8 MiB).
pub const ARG_MAX_LIMIT: u64 = 6 << 20;
/// `BINPRM_BUF_SIZE`: how much of a `#!` line is read.
pub const BINPRM_BUF_SIZE: usize = 256;
/// Levels of `#!` interpretation before `ELOOP` (Linux's `exec_binprm`
/// loop: `depth > 5`).
pub const MAX_INTERP_DEPTH: usize = 5;
/// The wasm binary magic.
pub const WASM_MAGIC: &[u8; 4] = b"\0asm";

/// Everything execve decided before the point of no return.
pub struct Prepared {
    pub image: ExecImage,
    /// The original file's name (what `comm` is made from).
    pub filename: Vec<u8>,
    /// Mode, uid and gid of the program file (set-user-ID handling).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Whether `creds` may execute a file with `meta` (path_resolution(7),
/// "Permission checking"; root needs at least one execute bit).
pub fn may_exec(creds: &Credentials, meta: &Metadata) -> bool {
    let mode = meta.mode;
    if creds.fsuid == 0 {
        return mode & 0o111 != 0;
    }
    let bits = if creds.fsuid == meta.uid {
        mode >> 6
    } else if creds.fsgid == meta.gid || creds.groups.contains(&meta.gid) {
        mode >> 3
    } else {
        mode
    };
    bits & 1 != 0
}

/// Resolves the file to execute: `path` relative to `dirfd`, or the file
/// of `dirfd` itself with `AT_EMPTY_PATH` and an empty path.
fn resolve(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u32) -> Result<(Arc<dyn Inode>, Metadata)> {
    let inode = if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return_errno!(ENOENT, "execve: empty path");
        }
        let file = ctx.file(dirfd)?;
        file.ops.inode().ok_or(errno!(EACCES, "execve: fd has no inode"))?
    } else {
        crate::fs::lookup_path(ctx, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    let meta = inode.metadata(ctx)?;
    match meta.mode & S_IFMT {
        S_IFREG => {}
        S_IFLNK => return_errno!(ELOOP, "execve: AT_SYMLINK_NOFOLLOW and a symlink"),
        S_IFDIR => return_errno!(EACCES, "execve: is a directory"),
        _ => return_errno!(EACCES, "execve: not a regular file"),
    }
    if !may_exec(&ctx.process().creds, &meta) {
        return_errno!(EACCES, "execve: no execute permission");
    }
    Ok((inode, meta))
}

/// Reads up to `len` bytes from the start of `inode`.
fn read_head(ctx: &mut Ctx, inode: &Arc<dyn Inode>, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut done = 0;
    while done < len {
        let n = inode.read_at(ctx, done as u64, &mut buf[done..])?;
        if n == 0 {
            break;
        }
        done += n;
    }
    buf.truncate(done);
    Ok(buf)
}

/// Reads a NULL-terminated array of string pointers (argv/envp) from user
/// memory. A NULL array is empty. Adds to `*total` the bytes Linux counts
/// (each string with its NUL, plus one pointer each).
fn read_strings(ctx: &Ctx, mut arr: u32, total: &mut u64, limit: u64) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    if arr == 0 {
        return Ok(out);
    }
    loop {
        let p = ctx.read_u32(arr)?;
        if p == 0 {
            return Ok(out);
        }
        let s = ctx.read_cstr(p, MAX_ARG_STRLEN - 1, Errno::E2BIG)?;
        *total = total.saturating_add(s.len() as u64 + 1 + 4);
        if *total > limit {
            return_errno!(E2BIG, "execve: argument list too long");
        }
        out.push(s);
        arr = arr.checked_add(4).ok_or(errno!(EFAULT, "execve: argv wraps"))?;
    }
}

/// The argument space limit: a quarter of the stack limit, at least
/// `ARG_MAX`, at most 6 MiB (Linux's `bprm_stack_limits`).
fn arg_limit(ctx: &Ctx) -> u64 {
    let stack = ctx.process().rlimits[RLIMIT_STACK as usize].cur;
    (stack / 4).clamp(ARG_MIN_LIMIT, ARG_MAX_LIMIT)
}

/// Splits a `#!` line into the interpreter and its optional argument.
/// `ENOEXEC` when no interpreter is named.
fn parse_shebang(head: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let line = &head[2..];
    let line = match line.iter().position(|&c| c == b'\n') {
        Some(n) => &line[..n],
        None => line,
    };
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let start = line.iter().position(|c| !is_ws(c)).unwrap_or(line.len());
    let line = &line[start..];
    let end = line.iter().rposition(|c| !is_ws(c)).map_or(0, |e| e + 1);
    let line = &line[..end];
    if line.is_empty() {
        return_errno!(ENOEXEC, "execve: #! without an interpreter");
    }
    let name_end = line.iter().position(is_ws).unwrap_or(line.len());
    let interp = line[..name_end].to_vec();
    let rest = &line[name_end..];
    let arg_start = rest.iter().position(|c| !is_ws(c));
    let arg = arg_start.map(|s| rest[s..].to_vec());
    Ok((interp, arg))
}

/// Where argv and envp come from.
pub enum Args {
    /// NULL-terminated pointer arrays in `ctx.mem` (execve, spawn).
    User { argv: u32, envp: u32 },
    /// Already in the kernel (the host starting a program).
    Given { argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>> },
}

/// Checks strings handed over by the host against the same limits.
fn check_given(list: &[Vec<u8>], total: &mut u64, limit: u64) -> Result<()> {
    for s in list {
        if s.len() >= MAX_ARG_STRLEN || s.contains(&0) {
            return_errno!(E2BIG, "execve: argument too long or with a NUL");
        }
        *total = total.saturating_add(s.len() as u64 + 1 + 4);
    }
    if *total > limit {
        return_errno!(E2BIG, "execve: argument list too long");
    }
    Ok(())
}

/// Resolves the program and reads the arguments: everything that can fail,
/// with no side effects. `ctx` acts as the process that will exec (for
/// spawn, the child), while user strings come from `ctx.mem`.
pub fn prepare(ctx: &mut Ctx, dirfd: i32, path: &[u8], args: Args, flags: u32) -> Result<Prepared> {
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return_errno!(EINVAL, "execveat: unknown flags");
    }
    // The name scripts see as their path (Linux's bprm->filename).
    let filename = if path.is_empty() {
        format!("/dev/fd/{dirfd}").into_bytes()
    } else if path[0] == b'/' || dirfd == AT_FDCWD {
        path.to_vec()
    } else {
        let mut f = format!("/dev/fd/{dirfd}/").into_bytes();
        f.extend_from_slice(path);
        f
    };
    let (mut inode, mut meta) = resolve(ctx, dirfd, path, flags)?;
    let mut exe_path =
        if path.is_empty() { ctx.file(dirfd)?.path.clone() } else { crate::fs::absolute_path(ctx, dirfd, path)? };

    let limit = arg_limit(ctx);
    let mut total = 0u64;
    let (mut argv, envp) = match args {
        Args::User { argv, envp } => {
            let a = read_strings(ctx, argv, &mut total, limit)?;
            (a, read_strings(ctx, envp, &mut total, limit)?)
        }
        Args::Given { argv, envp } => {
            check_given(&argv, &mut total, limit)?;
            check_given(&envp, &mut total, limit)?;
            (argv, envp)
        }
    };
    if argv.is_empty() {
        // Linux 5.18+: an empty argv gets "" as argv[0].
        argv.push(Vec::new());
    }

    let mut script_name = filename.clone();
    let mut depth = 0;
    loop {
        let head = read_head(ctx, &inode, BINPRM_BUF_SIZE)?;
        if head.starts_with(WASM_MAGIC) {
            let size = meta.size;
            let len = usize::try_from(size).map_err(|_| errno!(ENOMEM, "execve: program too large"))?;
            let module = read_head(ctx, &inode, len)?;
            let mtime = meta.mtime.sec.saturating_mul(1_000_000_000).saturating_add(i64::from(meta.mtime.nsec));
            let image = ExecImage {
                path: String::from_utf8_lossy(&exe_path).into_owned(),
                module: Arc::new(module),
                cache_key: (meta.dev, meta.ino, mtime, size),
                argv,
                envp,
            };
            return Ok(Prepared { image, filename, mode: meta.mode, uid: meta.uid, gid: meta.gid });
        }
        if !head.starts_with(b"#!") {
            return_errno!(ENOEXEC, "execve: unknown executable format");
        }
        depth += 1;
        if depth > MAX_INTERP_DEPTH {
            return_errno!(ELOOP, "execve: too many levels of #! interpreters");
        }
        let (interp, arg) = parse_shebang(&head)?;
        // argv = [interp, (arg), script path, argv[1..]].
        let mut new_argv = vec![interp.clone()];
        new_argv.extend(arg);
        new_argv.push(script_name.clone());
        new_argv.extend(argv.into_iter().skip(1));
        argv = new_argv;
        let extra: u64 = argv.iter().take(3).map(|s| s.len() as u64 + 5).sum();
        if total.saturating_add(extra) > limit {
            return_errno!(E2BIG, "execve: argument list too long");
        }
        (inode, meta) = resolve(ctx, AT_FDCWD, &interp, 0)?;
        exe_path = crate::fs::absolute_path(ctx, AT_FDCWD, &interp)?;
        script_name = interp;
    }
}

/// The point of no return: turns the process of `ctx.tid` into the new
/// program (see the module docs) and returns the image to start.
pub fn commit(ctx: &mut Ctx, prepared: Prepared) -> ExecImage {
    let tid = ctx.tid;
    // Close-on-exec fds, through the close hook.
    let cloexec: Vec<i32> = ctx.process().files.iter().filter(|(_, e)| e.cloexec).map(|(fd, _)| fd).collect();
    for fd in cloexec {
        if let Ok(entry) = ctx.process_mut().files.remove(fd) {
            crate::fs::close_hook(ctx, fd, &entry);
        }
    }
    // Other threads end.
    let others: Vec<_> = ctx.process().threads.iter().copied().filter(|t| *t != tid).collect();
    for t in others {
        // A thread lent to a vfork child runs the child's code: it is not
        // stopped, and goes away when the child ends the lending.
        let lent = ctx.st.procs.threads.get(&t).is_some_and(|th| th.vfork_child.is_some());
        if !lent {
            ctx.platform().kill_thread(t);
        }
        let sleeping = ctx.st.procs.threads.get(&t).is_some_and(|th| th.sleeping);
        if sleeping || lent {
            if let Some(th) = ctx.st.procs.threads.get_mut(&t) {
                th.exited = true;
            }
        } else {
            ctx.st.procs.threads.remove(&t);
        }
        ctx.st.futex.forget(t);
    }
    let no_new_privs = ctx.process().misc.no_new_privs;
    let comm_src = prepared.filename.rsplit(|&c| c == b'/').next().unwrap_or(&[]).to_vec();
    // The old memory goes: shared file mappings are written back, the map
    // is emptied (the host calls mm::init_memory for the new image).
    let pid = ctx.pid();
    crate::mm::exit_mm(ctx, pid);
    let p = ctx.process_mut();
    p.threads = vec![tid];
    for a in p.signals.actions.iter_mut() {
        let handler = if a.handler == SIG_IGN { SIG_IGN } else { SIG_DFL };
        *a = SigAction { handler, ..SigAction::default() };
    }
    if !no_new_privs {
        if prepared.mode & S_ISUID != 0 {
            p.creds.euid = prepared.uid;
        }
        if prepared.mode & S_ISGID != 0 {
            p.creds.egid = prepared.gid;
        }
    }
    // execve(2): "The effective user ID of the process is copied to the
    // saved set-user-ID", likewise for the group.
    p.creds.suid = p.creds.euid;
    p.creds.fsuid = p.creds.euid;
    p.creds.sgid = p.creds.egid;
    p.creds.fsgid = p.creds.egid;
    p.exe = prepared.image.path.clone();
    p.argv = prepared.image.argv.clone();
    p.envp = prepared.image.envp.clone();
    p.execfn = prepared.filename.clone();
    p.comm = comm_src.into_iter().take(super::prctl::TASK_COMM_LEN - 1).collect();
    p.did_exec = true;
    let t = ctx.thread_mut();
    t.signals.altstack = crate::signal::AltStack::default();
    t.signals.on_altstack = false;
    t.clear_child_tid = 0;
    // POSIX timers don't survive execve (interval timers do).
    let pid = ctx.pid();
    crate::time::posix_timer::remove_all(&mut ctx.st, pid);
    ctx.notify();
    prepared.image
}

/// execve/execveat for the caller: prepare, commit, and either replace the
/// caller's program or (vfork child) start it elsewhere and return the
/// child's pid to the lent thread.
fn do_execve(ctx: &mut Ctx, dirfd: i32, path: &[u8], argv: u32, envp: u32, flags: u32) -> Result<i64> {
    let prepared = prepare(ctx, dirfd, path, Args::User { argv, envp }, flags)?;
    let lender = super::vfork::lender_of(&ctx.st, ctx.tid);
    let image = commit(ctx, prepared);
    match lender {
        Some(_) => {
            let (pid, tid) = (ctx.pid(), ctx.tid);
            let lender = super::vfork::end_lending(&mut ctx.st, tid);
            if let Some(l) = lender {
                super::exit::forget_orphan_lender(&mut ctx.st, l);
            }
            ctx.platform().start_process(pid, tid, image);
            if let Some(l) = lender {
                ctx.tid = super::vfork::resume_tid(&ctx.st, l);
            }
            Ok(i64::from(pid))
        }
        None => {
            ctx.action = Some(Action::Exec(image));
            Ok(0)
        }
    }
}

/// Implements execve(2): `execve(path, argv, envp)`.
pub fn sys_execve(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(0))?;
    if path.is_empty() {
        return_errno!(ENOENT, "execve: empty path");
    }
    do_execve(ctx, AT_FDCWD, &path, a.ptr(1), a.ptr(2), 0)
}

/// Implements execveat(2): `execveat(dirfd, path, argv, envp, flags)` with
/// `AT_EMPTY_PATH` (fexecve) and `AT_SYMLINK_NOFOLLOW`.
pub fn sys_execveat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(1))?;
    do_execve(ctx, a.fd(0), &path, a.ptr(2), a.ptr(3), a.u32(4))
}

#[cfg(test)]
mod parse_tests {
    use super::parse_shebang;

    #[test]
    fn shebang_takes_one_optional_argument_with_inner_spaces() {
        let (i, a) = parse_shebang(b"#! /bin/sh  -e -x \nrest").unwrap();
        assert_eq!(i, b"/bin/sh");
        assert_eq!(a.as_deref(), Some(&b"-e -x"[..]));
        let (i, a) = parse_shebang(b"#!/usr/bin/env\n").unwrap();
        assert_eq!((i.as_slice(), a), (&b"/usr/bin/env"[..], None));
        assert!(parse_shebang(b"#!   \n").is_err());
    }
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_RDONLY};
    use wasmpod_abi::misc::{rlimit64, RLIMIT_STACK};
    use wasmpod_abi::signal::{SIGINT, SIGTERM, SIGUSR1, SIG_DFL, SIG_IGN};
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::kernel::{Action, SyscallReturn};
    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::{Harness, HostEvent, Proc};

    const AT: u64 = AT_FDCWD as u32 as u64;

    fn execve(p: &Proc, path: &str, argv: &[&str], envp: &[&str]) -> SyscallReturn {
        let (a, e) = (p.cstr_array(argv), p.cstr_array(envp));
        p.call(SYS_execve, &[p.cstr(path), a, e])
    }

    fn image(r: SyscallReturn) -> crate::ExecImage {
        match r.action {
            Action::Exec(img) => img,
            other => panic!("expected Exec, got {other:?} (value {})", r.value),
        }
    }

    #[test]
    fn wasm_program_becomes_an_exec_image() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let r = execve(&p, "/tmp/prog", &["prog", "-v"], &["A=1"]);
        assert_eq!(r.value, 0);
        let img = image(r);
        assert_eq!(img.path, "/tmp/prog");
        assert_eq!(img.module.as_slice(), WASM);
        assert_eq!(strs(&img.argv), ["prog", "-v"]);
        assert_eq!(strs(&img.envp), ["A=1"]);
        assert_eq!(img.cache_key.3, WASM.len() as u64);
        let (exe, comm, did) = st(&h, |s| {
            let q = &s.procs.procs[&p.pid];
            (q.exe.clone(), q.comm.clone(), q.did_exec)
        });
        assert_eq!((exe.as_str(), comm.as_slice(), did), ("/tmp/prog", &b"prog"[..], true));
    }

    #[test]
    fn relative_path_is_recorded_absolute() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        assert_eq!(p.sys(SYS_chdir, &[p.cstr("/tmp")]), 0);
        assert_eq!(image(execve(&p, "./prog", &["x"], &[])).path, "/tmp/prog");
    }

    #[test]
    fn cache_keys_differ_between_files_and_match_for_the_same_file() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/a");
        make_program(&p, "/tmp/b");
        let ka = image(execve(&p, "/tmp/a", &["a"], &[])).cache_key;
        let kb = image(execve(&p, "/tmp/b", &["b"], &[])).cache_key;
        let ka2 = image(execve(&p, "/tmp/a", &["a"], &[])).cache_key;
        assert_ne!(ka, kb);
        assert_eq!(ka, ka2);
    }

    #[test]
    fn missing_file_directory_and_no_x_bit() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(execve(&p, "/tmp/nope", &["x"], &[]).value, e(Errno::ENOENT));
        assert_eq!(execve(&p, "/tmp", &["x"], &[]).value, e(Errno::EACCES));
        make_file(&p, "/tmp/data", WASM, 0o644);
        assert_eq!(execve(&p, "/tmp/data/x", &["x"], &[]).value, e(Errno::ENOTDIR));
        assert_eq!(execve(&p, "/tmp/data", &["x"], &[]).value, e(Errno::EACCES));
        assert_eq!(p.call(SYS_execve, &[p.cstr(""), 0, 0]).value, e(Errno::ENOENT));
        assert_eq!(execve(&p, "/dev/null", &["x"], &[]).value, e(Errno::EACCES), "not a regular file");
    }

    #[test]
    fn root_needs_some_execute_bit() {
        let h = Harness::new();
        let r = h.process_as(None, Credentials::root());
        make_file(&r, "/tmp/p", WASM, 0o644);
        assert_eq!(execve(&r, "/tmp/p", &["x"], &[]).value, e(Errno::EACCES));
        make_file(&r, "/tmp/q", WASM, 0o700);
        let u = h.process(None);
        assert_eq!(execve(&u, "/tmp/q", &["x"], &[]).value, e(Errno::EACCES), "owner-only x bit");
        assert_eq!(execve(&r, "/tmp/q", &["x"], &[]).value, 0);
    }

    #[test]
    fn unknown_format_is_enoexec_and_leaves_the_process_alone() {
        let h = Harness::new();
        let p = h.process(None);
        make_file(&p, "/tmp/elf", b"\x7fELF\x02\x01\x01", 0o755);
        make_file(&p, "/tmp/empty", b"", 0o755);
        let r = execve(&p, "/tmp/elf", &["x"], &[]);
        assert_eq!(r.value, e(Errno::ENOEXEC));
        assert!(matches!(r.action, Action::Return));
        assert_eq!(execve(&p, "/tmp/empty", &["x"], &[]).value, e(Errno::ENOEXEC));
        assert!(!st(&h, |s| s.procs.procs[&p.pid].did_exec));
    }

    #[test]
    fn script_runs_its_interpreter_with_one_optional_argument() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/interp");
        make_file(&p, "/tmp/script", b"#! /tmp/interp  -x  y \necho hi\n", 0o755);
        let img = image(execve(&p, "/tmp/script", &["script", "a1", "a2"], &["E=2"]));
        assert_eq!(img.path, "/tmp/interp", "exe is the interpreter");
        assert_eq!(strs(&img.argv), ["/tmp/interp", "-x  y", "/tmp/script", "a1", "a2"]);
        assert_eq!(strs(&img.envp), ["E=2"]);
        assert_eq!(st(&h, |s| s.procs.procs[&p.pid].comm.clone()), b"script", "comm names the script");
        make_file(&p, "/tmp/plain", b"#!/tmp/interp\n", 0o755);
        let img = image(execve(&p, "/tmp/plain", &["plain"], &[]));
        assert_eq!(strs(&img.argv), ["/tmp/interp", "/tmp/plain"]);
    }

    #[test]
    fn script_with_missing_interpreter_is_enoent() {
        let h = Harness::new();
        let p = h.process(None);
        make_file(&p, "/tmp/s", b"#!/tmp/missing\n", 0o755);
        assert_eq!(execve(&p, "/tmp/s", &["s"], &[]).value, e(Errno::ENOENT));
        make_file(&p, "/tmp/blank", b"#!\n", 0o755);
        assert_eq!(execve(&p, "/tmp/blank", &["s"], &[]).value, e(Errno::ENOEXEC));
    }

    #[test]
    fn five_levels_of_interpreters_work_and_six_are_eloop() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/s0");
        for i in 1..=6 {
            make_file(&p, &format!("/tmp/s{i}"), format!("#!/tmp/s{}\n", i - 1).as_bytes(), 0o755);
        }
        let img = image(execve(&p, "/tmp/s5", &["s5"], &[]));
        assert_eq!(strs(&img.argv), ["/tmp/s0", "/tmp/s1", "/tmp/s2", "/tmp/s3", "/tmp/s4", "/tmp/s5"]);
        assert_eq!(execve(&p, "/tmp/s6", &["s6"], &[]).value, e(Errno::ELOOP));
    }

    #[test]
    fn a_string_longer_than_max_arg_strlen_is_e2big() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let long = "x".repeat(super::MAX_ARG_STRLEN);
        assert_eq!(execve(&p, "/tmp/prog", &["prog", &long], &[]).value, e(Errno::E2BIG));
        let fits = "x".repeat(super::MAX_ARG_STRLEN - 1);
        assert_eq!(execve(&p, "/tmp/prog", &["prog"], &[&fits]).value, 0);
    }

    #[test]
    fn total_beyond_a_quarter_of_the_stack_limit_is_e2big() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        // 512 KiB stack → 128 KiB of arguments (Linux's floor).
        let lim = p.put_struct(&rlimit64 { rlim_cur: 512 << 10, rlim_max: 512 << 10 });
        assert_eq!(p.sys(SYS_prlimit64, &[0, u64::from(RLIMIT_STACK), u64::from(lim), 0]), 0);
        let s = "y".repeat(70 << 10);
        assert_eq!(execve(&p, "/tmp/prog", &["prog", &s], &[&s]).value, e(Errno::E2BIG));
        assert_eq!(execve(&p, "/tmp/prog", &["prog", &s], &[]).value, 0);
    }

    #[test]
    fn null_argv_gives_an_empty_argv0_and_bad_pointers_are_efault() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let img = image(p.call(SYS_execve, &[p.cstr("/tmp/prog"), 0, 0]));
        assert_eq!(strs(&img.argv), [""]);
        assert!(img.envp.is_empty());
        assert_eq!(p.call(SYS_execve, &[p.cstr("/tmp/prog"), 0xffff_fff0, 0]).value, e(Errno::EFAULT));
        let bad = p.bytes(&[0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(p.call(SYS_execve, &[p.cstr("/tmp/prog"), u64::from(bad), 0]).value, e(Errno::EFAULT));
    }

    #[test]
    fn close_on_exec_fds_close_and_others_stay() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let (keep, _) = install_file(&p, false);
        let (gone, f) = install_file(&p, true);
        image(execve(&p, "/tmp/prog", &["prog"], &[]));
        let fds: Vec<i32> = st(&h, |s| s.procs.procs[&p.pid].files.iter().map(|(fd, _)| fd).collect());
        assert_eq!(fds, vec![keep]);
        assert_ne!(keep, gone);
        assert_eq!(std::sync::Arc::strong_count(&f), 1);
    }

    #[test]
    fn handlers_reset_but_ignored_signals_mask_and_pending_stay() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        set_action(&h, p.pid, SIGUSR1, 0x1234, wasmpod_abi::signal::SA_RESTART);
        set_action(&h, p.pid, SIGINT, SIG_IGN, 0);
        st(&h, |s| {
            s.procs.threads.get_mut(&p.tid).unwrap().signals.mask = 1 << (SIGTERM - 1);
            s.procs.threads.get_mut(&p.tid).unwrap().signals.altstack =
                crate::signal::AltStack { sp: 0x1000, size: 0x2000, flags: 0 };
            crate::signal::send_to_process(s, p.pid, crate::signal::SigInfo::kernel(SIGTERM));
        });
        image(execve(&p, "/tmp/prog", &["prog"], &[]));
        st(&h, |s| {
            let q = &s.procs.procs[&p.pid];
            assert_eq!(q.signals.actions[SIGUSR1 as usize].handler, SIG_DFL);
            assert_eq!(q.signals.actions[SIGUSR1 as usize].flags, 0);
            assert_eq!(q.signals.actions[SIGINT as usize].handler, SIG_IGN);
            let t = &s.procs.threads[&p.tid];
            assert_eq!(t.signals.mask, 1 << (SIGTERM - 1));
            assert!(!t.signals.altstack.enabled());
            assert!(q.signals.pending.queue.iter().any(|i| i.signo == SIGTERM));
        });
    }

    #[test]
    fn exec_ends_the_other_threads() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let flags = (wasmpod_abi::sched::CLONE_VM
            | wasmpod_abi::sched::CLONE_FS
            | wasmpod_abi::sched::CLONE_FILES
            | wasmpod_abi::sched::CLONE_SIGHAND
            | wasmpod_abi::sched::CLONE_THREAD) as u64;
        let tid = p.sys(SYS_clone, &[flags, 0x9000, 0, 0, 0]) as i32;
        h.platform.take_events();
        image(execve(&p, "/tmp/prog", &["prog"], &[]));
        assert!(h.platform.take_events().iter().any(|e| matches!(e, HostEvent::KillThread(t) if *t == tid)));
        assert_eq!(st(&h, |s| s.procs.procs[&p.pid].threads.clone()), vec![p.pid]);
        assert!(exits(&p.as_thread(tid).call(SYS_getpid, &[])));
    }

    #[test]
    fn vfork_child_exec_starts_it_elsewhere_and_returns_its_pid() {
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        make_program(&parent, "/tmp/prog");
        assert_eq!(parent.sys(SYS_vfork, &[]), 0);
        let child = parent.sys(SYS_getpid, &[]) as i32;
        h.platform.take_events();
        let r = execve(&parent, "/tmp/prog", &["prog", "1"], &[]);
        assert!(matches!(r.action, Action::Return));
        assert_eq!(r.value, i64::from(child));
        let s = started(&h);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, child);
        assert_eq!(strs(&s[0].1.argv), ["prog", "1"]);
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid), "the thread is the parent's again");
        assert_eq!(parent.sys(SYS_setpgid, &[child as u64, 0]), e(Errno::EACCES), "the child has exec'd");
    }

    #[test]
    fn failed_exec_in_a_vfork_child_keeps_the_lending() {
        let h = Harness::new();
        let parent = h.process(None);
        parent.sys(SYS_vfork, &[]);
        let child = parent.sys(SYS_getpid, &[]);
        assert_eq!(execve(&parent, "/tmp/none", &["x"], &[]).value, e(Errno::ENOENT));
        assert_eq!(parent.sys(SYS_getpid, &[]), child);
        assert_eq!(parent.call(SYS_exit_group, &[127]).value, child);
    }

    #[test]
    fn set_user_id_bit_changes_euid_unless_no_new_privs() {
        let h = Harness::new();
        let root = h.process_as(None, Credentials::root());
        make_file(&root, "/tmp/su", WASM, 0o4755);
        let u = h.process(None);
        image(execve(&u, "/tmp/su", &["su"], &[]));
        let b = u.alloc(12);
        u.sys(SYS_getresuid, &[u64::from(b), u64::from(b + 4), u64::from(b + 8)]);
        assert_eq!((u.read_u32(b), u.read_u32(b + 4), u.read_u32(b + 8)), (1000, 0, 0));
        let v = h.process(None);
        v.sys(SYS_prctl, &[u64::from(wasmpod_abi::misc::PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0]);
        image(execve(&v, "/tmp/su", &["su"], &[]));
        assert_eq!(v.sys(SYS_geteuid, &[]), 1000);
    }

    #[test]
    fn execveat_empty_path_runs_the_fds_file() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let fd = p.sys(SYS_openat, &[AT, p.cstr("/tmp/prog"), u64::from(O_RDONLY), 0]);
        assert!(fd >= 0);
        let argv = p.cstr_array(&["fexec"]);
        let r = p.call(SYS_execveat, &[fd as u64, p.cstr(""), argv, 0, u64::from(AT_EMPTY_PATH)]);
        assert_eq!(image(r).path, "/tmp/prog");
        let r = p.call(SYS_execveat, &[fd as u64, p.cstr(""), argv, 0, 0]);
        assert_eq!(r.value, e(Errno::ENOENT), "empty path needs AT_EMPTY_PATH");
        let r = p.call(SYS_execveat, &[fd as u64, p.cstr(""), argv, 0, 0x8000]);
        assert_eq!(r.value, e(Errno::EINVAL), "unknown flag");
    }

    #[test]
    fn execveat_nofollow_on_a_symlink_is_eloop() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        assert_eq!(p.sys(SYS_symlinkat, &[p.cstr("/tmp/prog"), AT, p.cstr("/tmp/link")]), 0);
        let argv = p.cstr_array(&["l"]);
        let nofollow = u64::from(AT_SYMLINK_NOFOLLOW);
        assert_eq!(p.call(SYS_execveat, &[AT, p.cstr("/tmp/link"), argv, 0, nofollow]).value, e(Errno::ELOOP));
        let img = image(p.call(SYS_execveat, &[AT, p.cstr("/tmp/link"), argv, 0, 0]));
        assert_eq!(img.path, "/tmp/prog", "exe is the resolved path");
    }

    #[test]
    fn exec_from_a_second_thread_then_exit_ends_the_process() {
        let h = Harness::new();
        let init = h.process(None);
        let p = h.process(Some(&init));
        make_program(&p, "/tmp/prog");
        let flags = (wasmpod_abi::sched::CLONE_VM
            | wasmpod_abi::sched::CLONE_FS
            | wasmpod_abi::sched::CLONE_FILES
            | wasmpod_abi::sched::CLONE_SIGHAND
            | wasmpod_abi::sched::CLONE_THREAD) as u64;
        let tid = p.sys(SYS_clone, &[flags, 0x9000, 0, 0, 0]) as i32;
        let t = p.as_thread(tid);
        install_file(&p, false);
        image(execve(&t, "/tmp/prog", &["prog"], &[]));
        assert_eq!(t.sys(SYS_getpid, &[]), i64::from(p.pid));
        assert!(exits(&p.call(SYS_getpid, &[])), "the old main thread is gone");
        assert!(exits(&t.call(SYS_exit_group, &[4])));
        assert_eq!(zombie(&h, p.pid), Some(4 << 8));
        assert_eq!(init.sys(SYS_wait4, &[p.pid as u64, 0, 0, 0]), i64::from(p.pid));
        assert!(!st(&h, |s| s.procs.threads.contains_key(&tid)));
    }

    #[test]
    fn exec_by_a_sibling_leaves_a_lent_thread_to_its_vfork_child() {
        let h = Harness::new();
        let init = h.process(None);
        let p = h.process(Some(&init));
        make_program(&p, "/tmp/prog");
        let flags = (wasmpod_abi::sched::CLONE_VM
            | wasmpod_abi::sched::CLONE_FS
            | wasmpod_abi::sched::CLONE_FILES
            | wasmpod_abi::sched::CLONE_SIGHAND
            | wasmpod_abi::sched::CLONE_THREAD) as u64;
        let t = p.as_thread(p.sys(SYS_clone, &[flags, 0x9000, 0, 0, 0]) as i32);
        p.sys(SYS_vfork, &[]);
        let child = p.sys(SYS_getpid, &[]) as i32;
        h.platform.take_events();
        image(execve(&t, "/tmp/prog", &["prog"], &[]));
        assert!(!h.platform.take_events().iter().any(|e| matches!(e, HostEvent::KillThread(x) if *x == p.tid)));
        assert_eq!(p.sys(SYS_getpid, &[]), i64::from(child), "the vfork child runs on");
        assert!(exits(&p.call(SYS_exit_group, &[0])), "its lender belongs to the old image");
        assert!(!st(&h, |s| s.procs.threads.contains_key(&p.tid)));
        assert_eq!(t.sys(SYS_getpid, &[]), i64::from(p.pid), "the new image lives on");
    }
}
