//! The pod's stdin/stdout/stderr on the host.
//!
//! - Pipes (the default when not on a terminal): three kernel pipes
//!   (`Kernel::host_pipe`) as fds 0, 1, 2, each pumped by a host thread.
//!   The guest sees pipes, as a Linux program run with redirected stdio
//!   would; host EOF on stdin closes the pipe (the guest reads EOF); a
//!   host stdout that is gone (EPIPE) closes the pipe (the guest gets
//!   EPIPE/SIGPIPE).
//! - A terminal (`--tty`, or stdin and stdout both terminals): a pty pair
//!   (`Kernel::host_pty`) whose slave is fds 0–2 and the program's
//!   controlling terminal. The host terminal goes into raw mode (restored
//!   on every way out: normal exit, forwarded signals, panics), so keys,
//!   Ctrl-C included, reach the pod's line discipline as bytes (which
//!   makes SIGINT for the foreground group). The window size is copied at
//!   start and on every SIGWINCH.
//! - Host signals SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to `wasmpod`
//!   are forwarded to the program's process group (as the kernel's init,
//!   with kill(2)), so the program decides, and its status is reported.
//!
//! At the end, output still in flight is written out: each output pump is
//! waited for until it reaches end of file, or until it sits idle in a read
//! (other processes of the pod may keep the pipe open forever).

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use wasmpod_abi::fcntl::O_RDWR;
use wasmpod_abi::syscalls::SYS_kill;
use wasmpod_kernel::fs::pipe::{HostPipe, HostPipeDir};
use wasmpod_kernel::fs::OpenFile;
use wasmpod_kernel::platform::NoUserMemory;
use wasmpod_kernel::tty::HostPty;
use wasmpod_kernel::{Kernel, Pid};

/// Host signals forwarded to the pod (and SIGWINCH, copied to the pty).
const FORWARDED: [i32; 5] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGWINCH];

fn forwarded_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise and fill the set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in FORWARDED {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Blocks the forwarded signals in the calling thread (and so in every
/// thread it starts later).
pub fn block_forwarded_signals() {
    let set = forwarded_set();
    // SAFETY: a valid set; a null old-set pointer is allowed.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

pub fn stdin_and_stdout_are_terminals() -> bool {
    // SAFETY: isatty only inspects the fd.
    unsafe { libc::isatty(0) == 1 && libc::isatty(1) == 1 }
}

/// The host terminal's settings before raw mode.
static SAVED_TERMIOS: OnceLock<Mutex<Option<libc::termios>>> = OnceLock::new();

fn saved() -> &'static Mutex<Option<libc::termios>> {
    SAVED_TERMIOS.get_or_init(|| Mutex::new(None))
}

/// Puts the host terminal (fd 0) in raw mode, remembering how it was.
fn enter_raw_mode() {
    // SAFETY: tcgetattr fills the termios we own; cfmakeraw edits it;
    // tcsetattr reads it. Failure (not a terminal) leaves things as they are.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return;
        }
        if let Ok(mut s) = saved().lock() {
            *s = Some(t);
        }
        let mut raw = t;
        libc::cfmakeraw(&mut raw);
        libc::tcsetattr(0, libc::TCSADRAIN, &raw);
    }
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        prev(info);
    }));
}

/// Restores the host terminal if raw mode was entered (idempotent).
pub fn restore_terminal() {
    let t = saved().lock().ok().and_then(|mut s| s.take());
    if let Some(t) = t {
        // SAFETY: `t` is the termios tcgetattr gave us for fd 0.
        unsafe {
            libc::tcsetattr(0, libc::TCSADRAIN, &t);
        }
    }
}

/// The host window size (of stdout, else stdin).
fn host_winsize() -> Option<(u16, u16)> {
    for fd in [1, 0] {
        // SAFETY: TIOCGWINSZ writes a winsize into the struct we own.
        unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            if libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_row > 0 {
                return Some((ws.ws_row, ws.ws_col));
            }
        }
    }
    None
}

/// How much output a pump still copies once the program has exited.
const MAX_DRAIN_AFTER_EXIT: usize = 16 << 20;

/// A host thread copying guest output to a host fd.
struct OutputPump {
    handle: JoinHandle<()>,
    /// Set once the program has exited: the pump reads what is buffered,
    /// then ends instead of waiting for writers that may linger.
    stop: Arc<AtomicBool>,
}

impl OutputPump {
    /// `read(buf, stop)` blocks until output is there, returning `None` or
    /// `Some(0)` at end of file, or when nothing is buffered and `stop()`.
    fn start(
        mut read: impl FnMut(&mut [u8], &dyn Fn() -> bool) -> Option<usize> + Send + 'static,
        fd: i32,
        on_broken: impl FnOnce() + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = std::thread::spawn(move || {
            // 64 KiB: a whole pipe's worth per read.
            let mut buf = vec![0u8; 64 << 10];
            let mut out = HostFd(fd);
            // After the stop, a pod process that outlived the program may
            // still be writing: copy at most this much more.
            let mut after_stop = 0usize;
            loop {
                let n = read(&mut buf, &|| s2.load(Ordering::SeqCst));
                let Some(n) = n.filter(|&n| n > 0) else { break };
                if s2.load(Ordering::SeqCst) {
                    after_stop += n;
                    if after_stop > MAX_DRAIN_AFTER_EXIT {
                        break;
                    }
                }
                if out.write_all(&buf[..n]).is_err() {
                    on_broken();
                    break;
                }
            }
        });
        OutputPump { handle, stop }
    }

    /// Copies whatever output is still buffered, then ends the pump.
    fn drain(self, kernel: &Kernel) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the pump if it sleeps in the kernel, so that it sees `stop`.
        kernel.with_state(|st| st.notify());
        let _ = self.handle.join();
    }
}

/// Unbuffered writes to a host fd.
struct HostFd(i32);

impl Write for HostFd {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // SAFETY: writes from a valid buffer of `buf.len()` bytes.
        let n = unsafe { libc::write(self.0, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(n as usize)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The guest's ends are held only until the program has them (then only
/// the pod holds them, so that the pipes see EOF and the terminal hangs up
/// when the pod's processes close them).
enum Mode {
    Pipes { files: Vec<Arc<OpenFile>>, ends: Vec<Arc<HostPipe>> },
    Tty { pty: Arc<HostPty>, slave: Option<Arc<OpenFile>> },
}

/// The pod's stdio.
pub struct Stdio {
    kernel: Arc<Kernel>,
    mode: Mode,
    pumps: Vec<OutputPump>,
}

impl Stdio {
    pub fn new(kernel: &Arc<Kernel>, tty: bool) -> wasmpod_kernel::Result<Stdio> {
        let mode = if tty {
            let (pty, _) = kernel.host_pty()?;
            let slave = pty.open_slave(kernel, O_RDWR)?;
            Mode::Tty { pty: Arc::new(pty), slave: Some(slave) }
        } else {
            let (f0, p0) = kernel.host_pipe(HostPipeDir::ToGuest);
            let (f1, p1) = kernel.host_pipe(HostPipeDir::FromGuest);
            let (f2, p2) = kernel.host_pipe(HostPipeDir::FromGuest);
            Mode::Pipes { files: vec![f0, f1, f2], ends: vec![Arc::new(p0), Arc::new(p1), Arc::new(p2)] }
        };
        Ok(Stdio { kernel: kernel.clone(), mode, pumps: vec![] })
    }

    /// Fds 0, 1, 2 of the first program.
    pub fn guest_fds(&self) -> Vec<(i32, Arc<OpenFile>)> {
        match &self.mode {
            Mode::Pipes { files, .. } => files.iter().enumerate().map(|(i, f)| (i as i32, f.clone())).collect(),
            Mode::Tty { slave, .. } => slave.iter().flat_map(|s| (0..3).map(|i| (i, s.clone()))).collect(),
        }
    }

    pub fn pty(&self) -> Option<Arc<HostPty>> {
        match &self.mode {
            Mode::Tty { pty, .. } => Some(pty.clone()),
            Mode::Pipes { .. } => None,
        }
    }

    /// The program `pid` exists: start pumping (and for a terminal, make
    /// it the controlling one and go raw).
    pub fn attach(&mut self, kernel: &Arc<Kernel>, pid: Pid) {
        match &mut self.mode {
            Mode::Pipes { files, ends } => {
                files.clear();
                let stdin = ends[0].clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 << 10];
                    let mut input = std::io::stdin();
                    loop {
                        match input.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if !stdin.write_all(&buf[..n]) {
                                    break;
                                }
                            }
                        }
                    }
                    stdin.close();
                });
                for (i, end) in ends.iter().enumerate().skip(1) {
                    let (r, c) = (end.clone(), end.clone());
                    self.pumps.push(OutputPump::start(
                        move |b, stop| Some(r.read_until(b, stop)),
                        i as i32,
                        move || c.close(),
                    ));
                }
            }
            Mode::Tty { pty, slave } => {
                *slave = None;
                let _ = pty.set_controlling(kernel, pid);
                if let Some((rows, cols)) = host_winsize() {
                    pty.resize(kernel, rows, cols);
                }
                enter_raw_mode();
                let (p, k) = (pty.clone(), kernel.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let mut input = std::io::stdin();
                    while let Ok(n) = input.read(&mut buf) {
                        if n == 0 || p.write_input(&k, &buf[..n], true).is_err() {
                            break;
                        }
                    }
                });
                let (p, k) = (pty.clone(), kernel.clone());
                self.pumps.push(OutputPump::start(
                    move |b, stop| p.read_output_until(&k, b, true, stop).ok(),
                    1,
                    || {},
                ));
            }
        }
    }

    /// The program is gone: let the output drain and restore the terminal.
    pub fn finish(self) {
        for p in self.pumps {
            p.drain(&self.kernel);
        }
        restore_terminal();
    }
}

/// Starts the thread that receives the forwarded host signals: SIGWINCH
/// resizes the pty, the others go to the program's process group.
pub fn forward_signals(kernel: Arc<Kernel>, init: Pid, pid: Pid, pty: Option<Arc<HostPty>>) -> JoinHandle<()> {
    std::thread::spawn(move || loop {
        let set = forwarded_set();
        let mut sig = 0;
        // SAFETY: a valid set and a valid out-pointer.
        if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
            return;
        }
        if sig == libc::SIGWINCH {
            if let (Some(p), Some((rows, cols))) = (&pty, host_winsize()) {
                p.resize(&kernel, rows, cols);
            }
            continue;
        }
        // Host and pod signal numbers agree for these (asm-generic).
        let target = u64::from((-pid) as u32);
        kernel.syscall(init, SYS_kill, [target, sig as u64, 0, 0, 0, 0], &mut NoUserMemory);
    })
}
