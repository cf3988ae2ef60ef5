//! futex(2): the kernel side of user-space locks.

use crate::syscall::Entry;

/// Waiters by futex key.
#[derive(Default)]
pub struct FutexTable {}

pub const SYSCALLS: &[Entry] = &[];
