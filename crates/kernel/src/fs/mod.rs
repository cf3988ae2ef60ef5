//! Files: the VFS (mounts, path walk, permission checks), the fd table, and
//! the filesystems that live only in the kernel (tmpfs, devfs, procfs).
//!
//! Not here yet: the ext2 adapter (arrives with the ext2 crate), sockets.

pub mod fdtable;
pub mod file;
pub mod inode;
pub mod rw;
pub mod syscalls;

pub use fdtable::{FdEntry, FdTable};
pub use file::{FileOps, OpenFile};
pub use inode::{DirEntry, FsStats, Inode, Metadata, NodeKind, SetAttr, Timespec};

/// Global filesystem state: the mount table and the root.
pub struct FsGlobal {}

impl FsGlobal {
    /// The initial mounts: a tmpfs root with /tmp, /dev (devfs), /proc
    /// (procfs) and /home/user.
    pub fn new() -> Self {
        FsGlobal {}
    }
}

impl Default for FsGlobal {
    fn default() -> Self {
        Self::new()
    }
}

/// A process's root and working directory (Linux's `fs_struct`).
#[derive(Clone, Default)]
pub struct FsContext {}

/// Called by every path that removes an fd from a table (close, dup2 over
/// an open fd, exec's close-on-exec, exit): releases the process's POSIX
/// record locks on the file (fcntl(2): "If a process closes any file
/// descriptor referring to a file, then all of the process's locks on that
/// file are released").
pub fn close_hook(_ctx: &mut crate::kernel::Ctx, _fd: i32, _entry: &FdEntry) {}
