//! Helpers shared by the process subsystem's tests.

use std::sync::Arc;

use wasmpod_abi::Errno;

use crate::fs::{FileOps, Metadata, OpenFile};
use crate::kernel::{Action, Ctx, State, SyscallReturn};
use crate::process::{Pid, ProcState};
use crate::testing::{Harness, Proc};

/// The value a failed call returns.
pub fn e(x: Errno) -> i64 {
    i64::from(x.neg())
}

pub fn exits(r: &SyscallReturn) -> bool {
    matches!(r.action, Action::ExitThread)
}

pub fn st<R>(h: &Harness, f: impl FnOnce(&mut State) -> R) -> R {
    h.kernel.with_state(f)
}

/// Runs `f` with a context of thread `p.tid` (outside a syscall).
pub fn with_ctx<R>(p: &Proc, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let mut mem = p.mem.clone();
    p.kernel.with_ctx(p.tid, &mut mem, f)
}

pub fn exists(h: &Harness, pid: Pid) -> bool {
    st(h, |s| s.procs.procs.contains_key(&pid))
}

/// The zombie's wait status, if `pid` is a zombie.
pub fn zombie(h: &Harness, pid: Pid) -> Option<i32> {
    st(h, |s| match s.procs.procs.get(&pid).map(|p| p.state) {
        Some(ProcState::Zombie { status }) => Some(status),
        _ => None,
    })
}

pub fn ppid(h: &Harness, pid: Pid) -> Pid {
    st(h, |s| s.procs.procs.get(&pid).map_or(-1, |p| p.ppid))
}

/// Sets the disposition of `sig` in process `pid`.
pub fn set_action(h: &Harness, pid: Pid, sig: u32, handler: u32, flags: u32) {
    st(h, |s| {
        let a = &mut s.procs.procs.get_mut(&pid).expect("process").signals.actions[sig as usize];
        a.handler = handler;
        a.flags = flags;
    })
}

/// Whether `sig` is pending for process `pid` (process-directed).
pub fn pending(h: &Harness, pid: Pid, sig: u32) -> Option<crate::signal::SigInfo> {
    st(h, |s| s.procs.procs.get(&pid).and_then(|p| p.signals.pending.queue.iter().find(|i| i.signo == sig).copied()))
}

/// A file that does nothing (for fd-table tests).
pub struct NullFile;

impl FileOps for NullFile {
    fn metadata(&self, _ctx: &mut Ctx) -> crate::Result<Metadata> {
        Ok(Metadata::default())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Installs a fresh NullFile at the lowest free fd of `p`; returns the fd
/// and the description (to watch its reference count).
pub fn install_file(p: &Proc, cloexec: bool) -> (i32, Arc<OpenFile>) {
    let f = OpenFile::new(Arc::new(NullFile), wasmpod_abi::fcntl::O_RDWR);
    let fd = p.kernel.with_state(|s| {
        s.procs.procs.get_mut(&p.pid).expect("process").files.alloc(f.clone(), cloexec, 0, 1024).expect("fd")
    });
    (fd, f)
}

/// Runs `f` on a new OS thread (for blocking calls).
pub fn spawn<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> std::thread::JoinHandle<R> {
    std::thread::spawn(f)
}

/// Creates (or truncates) `path` with `data`, then sets its mode exactly.
pub fn make_file(p: &Proc, path: &str, data: &[u8], mode: u32) {
    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::syscalls::*;
    let at = u64::from(AT_FDCWD as u32);
    let fd = p.sys(SYS_openat, &[at, p.cstr(path), u64::from(O_CREAT | O_WRONLY | O_TRUNC), 0o600]);
    assert!(fd >= 0, "create {path}: {fd}");
    let b = p.bytes(data);
    assert_eq!(p.sys(SYS_write, &[fd as u64, u64::from(b), data.len() as u64]), data.len() as i64);
    assert_eq!(p.sys(SYS_close, &[fd as u64]), 0);
    assert_eq!(p.sys(SYS_fchmodat, &[at, p.cstr(path), u64::from(mode), 0]), 0, "chmod {path}");
}

/// A minimal wasm module: magic and version.
pub const WASM: &[u8] = b"\0asm\x01\0\0\0";

/// Creates an executable wasm program at `path` (mode 0755).
pub fn make_program(p: &Proc, path: &str) {
    make_file(p, path, WASM, 0o755);
}

/// The images the host was asked to start, in order.
pub fn started(h: &Harness) -> Vec<(Pid, crate::platform::ExecImage)> {
    h.platform
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            crate::testing::HostEvent::StartProcess { pid, image, .. } => Some((pid, image)),
            _ => None,
        })
        .collect()
}

/// The strings of an argv/envp as `&str`s.
pub fn strs(v: &[Vec<u8>]) -> Vec<String> {
    v.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}
