//! Terminals: pseudo-terminal pairs, the line discipline, job control.

use crate::syscall::Entry;

/// All ptys.
#[derive(Default)]
pub struct TtyGlobal {}

pub const SYSCALLS: &[Entry] = &[];
