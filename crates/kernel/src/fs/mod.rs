//! Files: the VFS (mounts, path walk, permission checks), the fd table, and
//! the filesystems that live only in the kernel (tmpfs, devfs, procfs).
//!
//! Not here yet: the ext2 adapter (arrives with the ext2 crate), sockets.

pub mod devices;
pub mod fdtable;
pub mod file;
pub mod inode;
pub mod procfs;
pub mod rw;
pub mod syscalls;

// fs-fd: pipes, fd duplication, fcntl, locks, readiness, eventfd, sendfile.
pub mod dup;
pub mod epoll;
pub mod eventfd;
pub mod fcntl;
pub mod lock;
pub mod pipe;
pub mod poll;
pub mod select;
pub mod sendfile;
#[cfg(test)]
pub(crate) mod testfile;

pub use fdtable::{FdEntry, FdTable};
pub use file::{FileOps, OpenFile};
pub use inode::{DirEntry, FsStats, Inode, Metadata, NodeKind, SetAttr, Timespec};

/// Global filesystem state: the mount table and the root.
pub struct FsGlobal {
    /// fs-fd: pipe inode numbers and the pipes of open FIFOs.
    pub pipes: pipe::PipeGlobal,
    /// fs-fd: POSIX record locks, flock locks and per-description fcntl
    /// settings (F_SETOWN, F_SETSIG).
    pub locks: lock::LockGlobal,
}

impl FsGlobal {
    /// The initial mounts: a tmpfs root with /tmp, /dev (devfs), /proc
    /// (procfs) and /home/user.
    pub fn new() -> Self {
        FsGlobal { pipes: pipe::PipeGlobal::default(), locks: lock::LockGlobal::default() }
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
pub fn close_hook(ctx: &mut crate::kernel::Ctx, _fd: i32, entry: &FdEntry) {
    lock::release_posix_on_close(ctx, &entry.file);
}

/// Resolves `path` relative to `dirfd` (`AT_FDCWD` for the cwd) to an
/// inode, following a final symlink when `follow` is set. Used by execve,
/// spawn and the host API.
///
/// Contract for the VFS (fs-vfs): permission checks as path_resolution(7)
/// (search permission on every directory), ELOOP after 40 links,
/// ENAMETOOLONG, ENOENT for an empty path.
pub fn lookup_path(
    _ctx: &mut crate::kernel::Ctx,
    _dirfd: i32,
    _path: &[u8],
    _follow: bool,
) -> crate::Result<std::sync::Arc<dyn Inode>> {
    Err(crate::errno!(ENOENT, "VFS not implemented yet"))
}

/// Opens `path` like openat(2) with `flags` and `mode` (umask applied
/// inside) and returns the new open file description without installing
/// an fd. Used by openat itself, spawn file actions and the host API.
pub fn open_path(
    _ctx: &mut crate::kernel::Ctx,
    _dirfd: i32,
    _path: &[u8],
    _flags: u32,
    _mode: u32,
) -> crate::Result<std::sync::Arc<OpenFile>> {
    Err(crate::errno!(ENOENT, "VFS not implemented yet"))
}

/// The absolute, normalised path of `path` as seen by the caller (for
/// `/proc/<pid>/exe` after execve).
pub fn absolute_path(_ctx: &mut crate::kernel::Ctx, dirfd: i32, path: &[u8]) -> crate::Result<Vec<u8>> {
    let _ = dirfd;
    Ok(path.to_vec())
}
