//! Memory: brk and mmap regions inside a process's wasm memory.

use crate::syscall::Entry;

/// A process's memory regions.
#[derive(Clone, Default)]
pub struct MemoryMap {}

pub const SYSCALLS: &[Entry] = &[];
