//! The host's end of a terminal: `wasmpod run --tty` and the browser
//! terminal drive the master side of a pty (typed keys in, program output
//! out, window size), and install its slave as a process's fds 0–2.
//!
//! [`crate::Kernel::host_pty`] makes an unlocked pty pair (it shows up as
//! /dev/pts/N like any other); [`crate::Kernel::attach_console`] makes the
//! terminal behind /dev/console (5:1), which has no /dev/pts entry and
//! exists only while the host holds it: opening /dev/console without one
//! is `ENXIO`.
//!
//! A host runs a program on a terminal like this:
//! 1. `let (pty, n) = kernel.host_pty()?;`
//! 2. create the process, and for fds 0, 1, 2 install
//!    `pty.open_slave(&kernel, O_RDWR)?` in its fd table;
//! 3. `pty.set_controlling(&kernel, pid)?` (the process must be a session
//!    leader for job control to make sense: a new process without a parent
//!    is one);
//! 4. pump: one host thread loops on `pty.read_output(&kernel, buf, true)`
//!    until `EIO` (the program closed every slave fd), another feeds
//!    keystrokes with `write_input` and window changes with `resize`;
//! 5. `pty.close(&kernel)` when the user closes the terminal.
//!
//! The handle counts as an open master: dropping it (or [`HostPty::close`])
//! hangs the terminal up like closing a master fd. Calls take the kernel
//! lock; [`HostPty::read_output`] and [`HostPty::write_input`] in blocking
//! mode sleep on a host thread through [`crate::Kernel::host_wait`], which
//! needs no guest thread.

use std::sync::Arc;

use wasmpod_abi::termios::winsize;

use super::pty::Tty;
use crate::error::Result;
use crate::fs::{OpenFile, Timespec};
use crate::kernel::{Ctx, Kernel, State};
use crate::platform::ClockKind;
use crate::process::{Credentials, Pid};
use crate::{errno, return_errno};

/// Runs `f` with the kernel lock and a thread-less context.
fn with_host<R>(k: &Kernel, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let mut mem = crate::platform::NoUserMemory;
    k.with_ctx(0, &mut mem, |ctx| {
        super::run_deferred(ctx);
        f(ctx)
    })
}

/// The host's handle on the master side of a terminal.
pub struct HostPty {
    tty: Arc<Tty>,
}

impl Drop for HostPty {
    fn drop(&mut self) {
        self.tty.master_unref();
    }
}

impl Kernel {
    /// A new unlocked pty pair for the host, its slave owned by the pod's
    /// default user (uid/gid 1000). Returns the handle and the pts number.
    pub fn host_pty(&self) -> Result<(HostPty, u32)> {
        let c = Credentials::user();
        self.host_pty_for(c.uid, c.gid)
    }

    /// [`Kernel::host_pty`] with the slave owned by `uid`/`gid`.
    pub fn host_pty_for(&self, uid: u32, gid: u32) -> Result<(HostPty, u32)> {
        let now = Timespec::from_nanos(self.platform().now(ClockKind::Realtime));
        with_host(self, |ctx| {
            let tty = ctx.st.tty.new_pair(uid, gid, now)?;
            tty.lock().locked = false;
            tty.master_ref();
            let index = tty.index.ok_or(errno!(EIO, "pty without index"))?;
            Ok((HostPty { tty }, index))
        })
    }

    /// Attaches the host console: /dev/console opens its slave from now on.
    /// `EBUSY` while another console is attached.
    pub fn attach_console(&self) -> Result<HostPty> {
        let now = Timespec::from_nanos(self.platform().now(ClockKind::Realtime));
        with_host(self, |ctx| {
            if ctx.st.tty.console.is_some() {
                return_errno!(EBUSY, "a console is already attached");
            }
            let tty = Tty::new(None, 0, 0, now, ctx.st.tty.dirty.clone());
            tty.lock().mode = 0o600;
            tty.master_ref();
            ctx.st.tty.console = Some(tty.clone());
            Ok(HostPty { tty })
        })
    }
}

impl HostPty {
    /// The pts number (`None` for the console).
    pub fn index(&self) -> Option<u32> {
        self.tty.index
    }

    /// The terminal.
    pub fn tty(&self) -> &Arc<Tty> {
        &self.tty
    }

    /// Types `data` at the terminal: it goes through the line discipline
    /// (echo, editing, ^C → SIGINT to the foreground group). Non-blocking:
    /// returns how much fit (`EAGAIN` if nothing did); blocking: waits
    /// until the program has read enough to take all of it.
    pub fn write_input(&self, k: &Kernel, data: &[u8], blocking: bool) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if !blocking {
            let n = with_host(k, |ctx| self.tty.input(&mut ctx.st, data));
            if n == 0 {
                return_errno!(EAGAIN, "terminal input buffer full");
            }
            return Ok(n);
        }
        let mut done = 0;
        k.host_wait(|ctx| {
            let st = &mut *ctx.st;
            done += self.tty.input(st, &data[done..]);
            if done == data.len() {
                return Some(());
            }
            st.tty.host_waits += 1;
            None
        });
        Ok(done)
    }

    /// Reads program output (after OPOST). Non-blocking: `EAGAIN` when
    /// there is none. Blocking: waits for output. `EIO` once every slave
    /// fd that was opened is closed and the output is drained.
    pub fn read_output(&self, k: &Kernel, buf: &mut [u8], blocking: bool) -> Result<usize> {
        self.read_output_until(k, buf, blocking, || false)
    }

    /// Like a blocking [`HostPty::read_output`], but also returns `Ok(0)`
    /// when no output is buffered and `stop()` is true (checked whenever
    /// the reader wakes; whoever sets it wakes the kernel's sleepers). For
    /// draining the terminal after the program exited.
    pub fn read_output_until(
        &self,
        k: &Kernel,
        buf: &mut [u8],
        blocking: bool,
        stop: impl Fn() -> bool,
    ) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let step = |st: &mut State, buf: &mut [u8]| -> Option<Result<usize>> {
            match self.tty.master_try_read(buf) {
                Ok(Some(n)) => {
                    st.notify();
                    Some(Ok(n))
                }
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            }
        };
        if !blocking {
            return with_host(k, |ctx| step(&mut ctx.st, buf)).unwrap_or(Err(errno!(EAGAIN, "no terminal output")));
        }
        k.host_wait(|ctx| {
            let st = &mut *ctx.st;
            let r = step(st, buf).or_else(|| stop().then_some(Ok(0)));
            if r.is_none() {
                st.tty.host_waits += 1;
            }
            r
        })
    }

    /// Sets the window size; the foreground group gets SIGWINCH if it
    /// changed.
    pub fn resize(&self, k: &Kernel, rows: u16, cols: u16) {
        with_host(k, |ctx| {
            let ws = winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
            super::ioctl::set_winsize(ctx, &self.tty, ws)
        })
    }

    /// Opens the slave for a process's fds (`flags` as open(2), e.g.
    /// `O_RDWR`). Does not make it anyone's controlling terminal: see
    /// [`HostPty::set_controlling`].
    pub fn open_slave(&self, k: &Kernel, flags: u32) -> Result<Arc<OpenFile>> {
        with_host(k, |ctx| {
            let _ = ctx;
            self.tty.check_slave_open(true)?;
            Ok(OpenFile::new(self.tty.new_slave(), flags))
        })
    }

    /// Makes the terminal the controlling terminal of `pid`'s session with
    /// `pid`'s process group in the foreground (what a login does for the
    /// first program). Replaces any previous session of the terminal.
    pub fn set_controlling(&self, k: &Kernel, pid: Pid) -> Result<()> {
        with_host(k, |ctx| {
            if !ctx.st.procs.procs.contains_key(&pid) {
                return_errno!(ESRCH, "no such process");
            }
            super::job::set_ctty(&mut ctx.st, &self.tty, pid);
            Ok(())
        })
    }

    /// Closes the host's end now: the slave side hangs up (read gives EOF,
    /// write EIO, the session leader gets SIGHUP).
    pub fn close(self, k: &Kernel) {
        drop(self);
        with_host(k, |_| {});
    }
}
