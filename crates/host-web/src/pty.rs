//! Terminals for the browser host: the `wasmpod_pty_*` exports over the
//! kernel's host pty API (`wasmpod_kernel::tty::host`), and
//! `wasmpod_spawn_on_pty`, which starts a program with a pty slave as fds
//! 0–2 and as the controlling terminal of its new session.
//!
//! The control worker owns the master side: it feeds keystrokes with
//! `wasmpod_pty_write`, reads program output with `wasmpod_pty_read`
//! (non-blocking, after the host wake word changed: see `wake.rs`), and
//! passes window size changes to `wasmpod_pty_resize`. Blocking reads and
//! writes (`block` = 1) sleep in the kernel and are for other workers only:
//! the page's main thread and the control worker must never block.

use std::sync::Arc;

use wasmpod_abi::fcntl::O_RDWR;
use wasmpod_kernel::sync::lock::Mutex;
use wasmpod_kernel::tty::HostPty;
use wasmpod_kernel::UserMemory;

use crate::handles::Handles;
use crate::web::{errno, kernel, kernel_bytes, spawn_program, KernelMemory, SpawnArgs};

const EBADF: i32 = 9;
const EINVAL: i32 = 22;
const ENOSYS: i32 = 38;

static PTYS: Mutex<Handles<Arc<HostPty>>> = Mutex::new(Handles::new());

fn pty(h: i32) -> Option<Arc<HostPty>> {
    PTYS.lock().get(h).cloned()
}

/// Ends a terminal whose handle was closed while this call used it: the
/// last user hangs it up (as the last close of a master fd does).
fn release(p: Arc<HostPty>) {
    if let (Ok(p), Some(k)) = (Arc::try_unwrap(p), kernel()) {
        p.close(k);
    }
}

/// A new terminal (an unlocked pty pair whose slave belongs to the pod's
/// user; it shows up as /dev/pts/N). Returns a handle (≥ 0) or -errno.
#[no_mangle]
pub extern "C" fn wasmpod_host_pty() -> i32 {
    let Some(k) = kernel() else { return -ENOSYS };
    match k.host_pty() {
        Ok((p, _)) => PTYS.lock().insert(Arc::new(p)),
        Err(e) => -errno(&e),
    }
}

/// Reads program output (after the terminal's output processing, e.g.
/// `\n` → `\r\n`) into kernel memory at `buf`. `block` = 0: -EAGAIN when
/// there is none. -EIO once every slave fd that was opened is closed and
/// the output is drained (the program and its children are gone).
#[no_mangle]
pub extern "C" fn wasmpod_pty_read(h: i32, buf: u32, len: u32, block: u32) -> i32 {
    let (Some(k), Some(p)) = (kernel(), pty(h)) else { return -EBADF };
    let mut v = vec![0u8; len as usize];
    let r = p.read_output(k, &mut v, block != 0);
    release(p);
    match r {
        Ok(n) => match KernelMemory.write(buf, &v[..n]) {
            Ok(()) => n as i32,
            Err(_) => -EINVAL,
        },
        Err(e) => -errno(&e),
    }
}

/// Types `len` bytes at `buf` (kernel memory) at the terminal: they go
/// through the line discipline (echo, line editing, ^C → SIGINT to the
/// foreground process group). `block` = 0: returns how much fit, -EAGAIN
/// if nothing did; `block` = 1: waits until the program has read enough
/// to take all of it.
#[no_mangle]
pub extern "C" fn wasmpod_pty_write(h: i32, buf: u32, len: u32, block: u32) -> i32 {
    let (Some(k), Some(p)) = (kernel(), pty(h)) else { return -EBADF };
    let data = kernel_bytes(buf, len);
    if data.len() != len as usize {
        return -EINVAL;
    }
    let r = p.write_input(k, &data, block != 0);
    release(p);
    match r {
        Ok(n) => n as i32,
        Err(e) => -errno(&e),
    }
}

/// Sets the window size (`TIOCGWINSZ` sees it); the foreground process
/// group gets SIGWINCH if it changed. -EINVAL if a dimension does not fit
/// `struct winsize` (16 bits).
#[no_mangle]
pub extern "C" fn wasmpod_pty_resize(h: i32, rows: u32, cols: u32) -> i32 {
    let (Ok(rows), Ok(cols)) = (u16::try_from(rows), u16::try_from(cols)) else { return -EINVAL };
    let (Some(k), Some(p)) = (kernel(), pty(h)) else { return -EBADF };
    p.resize(k, rows, cols);
    release(p);
    0
}

/// Closes the host's end and frees the handle: the terminal hangs up (the
/// program reads end of file, its writes fail with EIO, the session leader
/// gets SIGHUP). A blocking read or write on the handle in another worker
/// finishes first, as with a master fd closed while another thread reads it.
#[no_mangle]
pub extern "C" fn wasmpod_pty_close(h: i32) -> i32 {
    let p = PTYS.lock().remove(h);
    match p {
        Some(p) => {
            release(p);
            0
        }
        None => -EBADF,
    }
}

/// Starts a program on terminal `pty` (a `wasmpod_host_pty` handle): as
/// `wasmpod_spawn_initial` (same arguments before the handle), but fds 0–2
/// are the terminal's slave and the terminal is the controlling terminal
/// of the program's new session, with the program's process group in the
/// foreground (what a login does). Returns the pid or -errno.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wasmpod_spawn_on_pty(
    path: u32,
    path_len: u32,
    argv: u32,
    argv_len: u32,
    envp: u32,
    envp_len: u32,
    cwd: u32,
    cwd_len: u32,
    pty_h: i32,
) -> i32 {
    let (Some(k), Some(p)) = (kernel(), pty(pty_h)) else { return -EBADF };
    let slave = match p.open_slave(k, O_RDWR) {
        Ok(f) => f,
        Err(e) => {
            release(p);
            return -errno(&e);
        }
    };
    let fds = (0..3).map(|fd| (fd, slave.clone())).collect();
    drop(slave);
    let prog =
        SpawnArgs { path: (path, path_len), argv: (argv, argv_len), envp: (envp, envp_len), cwd: (cwd, cwd_len) };
    let pid = spawn_program(prog, fds, |k, pid| p.set_controlling(k, pid));
    release(p);
    pid
}
