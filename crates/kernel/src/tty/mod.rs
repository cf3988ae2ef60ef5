//! Terminals: pseudo-terminal pairs, the line discipline, job control.

use std::sync::Arc;

use crate::fs::{FileOps, Inode};
use crate::kernel::Ctx;
use crate::process::Pid;
use crate::syscall::Entry;

/// All ptys.
#[derive(Default)]
pub struct TtyGlobal {}

/// Opens a tty device: 5:0 `/dev/tty` (the caller's controlling tty),
/// 5:1 `/dev/console`, 5:2 `/dev/ptmx` (a new pty master), 136:N
/// `/dev/pts/N`. Called by the VFS for those device numbers.
pub fn open_device(_ctx: &mut Ctx, _rdev: u64, _flags: u32) -> crate::Result<Arc<dyn FileOps>> {
    Err(crate::errno!(ENXIO, "no ttys yet"))
}

/// The root of the devpts filesystem, mounted by the VFS at /dev/pts.
pub fn devpts_root() -> Option<Arc<dyn Inode>> {
    None
}

/// Called by exit when a session leader dies: its controlling terminal
/// sends SIGHUP (and SIGCONT) to the foreground process group and loses
/// its session (credentials(7), "controlling terminal").
pub fn session_leader_exited(_ctx: &mut Ctx, _sid: Pid) {}

pub const SYSCALLS: &[Entry] = &[];
