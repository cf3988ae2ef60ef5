//! Terminals: pseudo-terminal pairs, the line discipline, job control.
//!
//! - [`pty`]: the tty object ([`Tty`], one per pty pair or console) and the
//!   open-file types of its two ends.
//! - [`ldisc`]: line editing, echo and output processing (N_TTY).
//! - [`ioctl`]: termios, window size, job-control and pty ioctls.
//! - [`job`]: controlling terminals, foreground process groups, SIGTTIN/
//!   SIGTTOU, hangup.
//! - [`devpts`]: the /dev/pts filesystem.
//! - [`host`]: the host's end of a terminal (`wasmpod run --tty`, the
//!   browser terminal, /dev/console).
//!
//! Lock order: the kernel lock, then one `Tty::inner` at a time. Code never
//! holds an `inner` lock while dropping an open file or calling into
//! [`job`] helpers that lock every tty.
//!
//! Not here: serial lines, virtual consoles, TIOCSTI for non-root (Linux
//! 6.2+ default `dev.tty.legacy_tiocsti=0`), TIOCPKT_DOSTOP/NOSTOP and
//! EXTPROC, vhangup(2), SIGIO for O_ASYNC terminals.

pub mod devpts;
pub mod host;
pub mod ioctl;
pub mod job;
pub mod ldisc;
pub mod pty;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::fs::devices::{major, minor, TTYAUX_MAJOR, UNIX98_PTY_SLAVE_MAJOR};
use crate::fs::{FileOps, Inode};
use crate::kernel::Ctx;
use crate::process::Pid;
use crate::syscall::Entry;

pub use host::HostPty;
pub use pty::{PtyMaster, Tty, TtySlave};

/// Most pty pairs at once: Linux's default `/proc/sys/kernel/pty/max`.
pub const PTY_MAX: u32 = 4096;

/// All terminals.
#[derive(Default)]
pub struct TtyGlobal {
    /// Pty pairs by index, from the ptmx open until both ends are closed.
    pub(crate) ptys: BTreeMap<u32, Arc<Tty>>,
    /// The console attached by the host ([`crate::Kernel::attach_console`]).
    pub(crate) console: Option<Arc<Tty>>,
    /// Processes that gave up their controlling terminal with TIOCNOTTY
    /// without being session leaders (see [`job::NoTty`]).
    pub(crate) notty: BTreeMap<Pid, job::NoTty>,
    /// Foreground process group of a session whose terminal hung up: the
    /// session leader's exit sends it SIGHUP and SIGCONT (Linux's
    /// `tty_old_pgrp`).
    pub(crate) old_pgrp: BTreeMap<Pid, Pid>,
    /// Set when a tty end closed (from `Drop`, without the kernel state):
    /// [`run_deferred`] does the hangup work.
    pub(crate) dirty: Arc<AtomicBool>,
    /// How many times a host thread went to sleep in [`HostPty`] calls
    /// (tests wait for this event instead of sleeping).
    pub host_waits: u64,
}

impl TtyGlobal {
    /// Every live tty (ptys and the console).
    pub(crate) fn all(&self) -> Vec<Arc<Tty>> {
        self.ptys.values().cloned().chain(self.console.clone()).collect()
    }

    /// A new pty pair owned by `uid`/`gid`, locked, at the lowest free index.
    pub(crate) fn new_pair(&mut self, uid: u32, gid: u32, now: crate::fs::Timespec) -> crate::Result<Arc<Tty>> {
        let index = (0..PTY_MAX)
            .find(|i| !self.ptys.contains_key(i))
            .ok_or(crate::errno!(ENOSPC, "too many ptys (pty/max)"))?;
        let tty = Tty::new(Some(index), uid, gid, now, self.dirty.clone());
        self.ptys.insert(index, tty.clone());
        Ok(tty)
    }
}

/// Opens a tty device: 5:0 `/dev/tty` (the caller's controlling tty),
/// 5:1 `/dev/console`, 5:2 `/dev/ptmx` (a new pty master), 136:N
/// `/dev/pts/N`. Called by the VFS for those device numbers.
pub fn open_device(ctx: &mut Ctx, rdev: u64, flags: u32) -> crate::Result<Arc<dyn FileOps>> {
    pty::open_device(ctx, major(rdev), minor(rdev), flags)
}

/// Whether `rdev` is a tty device number this module opens.
pub fn is_tty_device(rdev: u64) -> bool {
    matches!(major(rdev), TTYAUX_MAJOR | UNIX98_PTY_SLAVE_MAJOR)
}

/// The root of the devpts filesystem, mounted by the VFS at /dev/pts.
pub fn devpts_root() -> Option<Arc<dyn Inode>> {
    Some(Arc::new(devpts::DevptsRoot))
}

/// Called by exit when a session leader dies: its controlling terminal
/// sends SIGHUP (and SIGCONT) to the foreground process group and loses
/// its session (credentials(7), "controlling terminal").
pub fn session_leader_exited(ctx: &mut Ctx, sid: Pid) {
    job::session_leader_exited(ctx, sid);
}

/// The `tty_nr` and `tpgid` fields of `/proc/<pid>/stat` (proc(5)): the
/// controlling terminal's device number in the kernel's 32-bit encoding
/// (0 without one) and its foreground process group (-1 without one).
pub fn proc_stat_tty(st: &crate::kernel::State, pid: Pid) -> (u32, i32) {
    match job::ctty_of(st, pid) {
        Some(t) => {
            let pgrp = t.lock().pgrp;
            (t.rdev() as u32, if pgrp > 0 { pgrp } else { -1 })
        }
        None => (0, -1),
    }
}

/// Finishes work left by closes that happened without the kernel state
/// (the last reference of an open file dropped): a closed master hangs up
/// its slave side, a pair with both ends closed frees its index. The
/// syscall path calls this after every handler; it costs one atomic load
/// when nothing closed.
pub fn run_deferred(ctx: &mut Ctx) {
    if !ctx.st.tty.dirty.swap(false, Ordering::AcqRel) {
        return;
    }
    for tty in ctx.st.tty.all() {
        if tty.master_open() {
            continue;
        }
        job::hangup(ctx, &tty);
        let is_console = ctx.st.tty.console.as_ref().is_some_and(|c| Arc::ptr_eq(c, &tty));
        if is_console {
            ctx.st.tty.console = None;
        }
        if !tty.slave_open() {
            if let Some(i) = tty.index {
                ctx.st.tty.ptys.remove(&i);
            }
        }
    }
    ctx.notify();
}

pub const SYSCALLS: &[Entry] = &[];

#[cfg(test)]
mod tests;
