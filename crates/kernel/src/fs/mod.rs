//! Files: the VFS (mounts, path walk, permission checks), the fd table, and
//! the filesystems that live only in the kernel (tmpfs, devfs, procfs).
//!
//! The ext2 driver plugs in through `ext2_adapter`. Not here yet: sockets.

pub mod advise;
pub mod attr;
pub mod cwd;
pub mod devfs;
pub mod devices;
pub mod dir;
pub mod ext2_adapter;
pub mod fdtable;
pub mod file;
pub mod inode;
pub mod inode_file;
pub mod lseek;
pub mod memfd;
pub mod mount;
pub mod namei;
pub mod namespace;
pub mod open;
pub mod procfs;
pub mod rename;
pub mod rw;
pub mod stat;
pub mod statfs;
pub mod sync;
pub mod syscalls;
pub mod tmpfs;
pub mod vfs;
pub mod xattr;

#[cfg(test)]
mod tests;

use std::sync::Arc;

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
pub use mount::{MountId, MountInfo, MountTable};
pub use vfs::Location;

use mount::Mount;
use tmpfs::TmpFs;

/// Global filesystem state: the mount table and the root.
pub struct FsGlobal {
    pub mounts: MountTable,
    /// The mount at `/`.
    pub root_mount: MountId,
    /// fs-fd: pipe inode numbers and the pipes of open FIFOs.
    pub pipes: pipe::PipeGlobal,
    /// fs-fd: POSIX record locks, flock locks and per-description fcntl
    /// settings (F_SETOWN, F_SETSIG).
    pub locks: lock::LockGlobal,
}

impl FsGlobal {
    /// The initial mounts: a tmpfs root with /tmp (1777), /root (700),
    /// /home/user (owned by 1000:1000), devfs at /dev (with devpts at
    /// /dev/pts when the tty subsystem provides it) and procfs at /proc
    /// when procfs provides a root. Boot-time inodes carry the epoch as
    /// their timestamps (see [`FsGlobal::new_at`]).
    pub fn new() -> Self {
        Self::new_at(Timespec::default())
    }

    /// [`FsGlobal::new`] with the boot-time inodes stamped `now` (the
    /// kernel passes its wall clock so that `ls -l /` shows boot time).
    pub fn new_at(now: Timespec) -> Self {
        let root = TmpFs::new_root(0o755, 0, 0);
        let dir = |parent: &tmpfs::TmpInode, name: &[u8], mode: u32, owner: u32| {
            parent
                .add_raw(name, NodeKind::Directory, mode, owner, owner)
                .unwrap_or_else(|_| unreachable!("fresh tmpfs has no entries"))
        };
        dir(&root, b"tmp", 0o1777, 0);
        let dev_dir = dir(&root, b"dev", 0o755, 0);
        let proc_dir = dir(&root, b"proc", 0o555, 0);
        let home = dir(&root, b"home", 0o755, 0);
        dir(&home, b"user", 0o755, 1000);
        dir(&root, b"root", 0o700, 0);

        let mut mounts = MountTable::default();
        let root_mount = mounts.add(Mount {
            id: 0,
            root: root.clone(),
            mountpoint: None,
            mountpoint_key: (0, 0),
            fs_type: "tmpfs".into(),
            source: "rootfs".into(),
            options: "rw".into(),
        });
        let devfs = devfs::new_root();
        root.stamp_tree(now);
        devfs.stamp_tree(now);
        let on = |mount: MountId, d: &Arc<tmpfs::TmpInode>, path: &[u8]| {
            (Some(Location { mount, inode: d.clone(), path: path.to_vec() }), d.key())
        };
        let (mp, key) = on(root_mount, &dev_dir, b"/dev");
        let dev_mount = mounts.add(Mount {
            id: 0,
            root: devfs.clone(),
            mountpoint: mp,
            mountpoint_key: key,
            fs_type: "devtmpfs".into(),
            source: "devtmpfs".into(),
            options: "rw,nosuid".into(),
        });
        if let (Some(pts), Some(pts_dir)) = (crate::tty::devpts_root(), devfs.child(b"pts")) {
            let key = pts_dir.as_any().downcast_ref::<tmpfs::TmpInode>().map_or((0, 0), |t| t.key());
            mounts.add(Mount {
                id: 0,
                root: pts,
                mountpoint: Some(Location { mount: dev_mount, inode: pts_dir, path: b"/dev/pts".to_vec() }),
                mountpoint_key: key,
                fs_type: "devpts".into(),
                source: "devpts".into(),
                options: "rw,nosuid,noexec".into(),
            });
        }
        if let Some(proc_root) = procfs::new_root() {
            let (mp, key) = on(root_mount, &proc_dir, b"/proc");
            mounts.add(Mount {
                id: 0,
                root: proc_root,
                mountpoint: mp,
                mountpoint_key: key,
                fs_type: "proc".into(),
                source: "proc".into(),
                options: "rw,nosuid,nodev,noexec".into(),
            });
        }
        FsGlobal { mounts, root_mount, pipes: pipe::PipeGlobal::default(), locks: lock::LockGlobal::default() }
    }

    /// Every mount, in mount order (for `/proc/mounts`).
    pub fn mount_list(&self) -> Vec<MountInfo> {
        self.mounts.list()
    }
}

impl Default for FsGlobal {
    fn default() -> Self {
        Self::new()
    }
}

/// A process's root and working directory (Linux's `fs_struct`). `None`
/// means the global root.
#[derive(Clone, Default)]
pub struct FsContext {
    pub root: Option<Location>,
    pub cwd: Option<Location>,
}

/// Mounts the filesystem whose root is `root` on the directory `path`
/// (resolved by the caller, following symlinks). `ENOTDIR` if the target
/// is not a directory. Returns the new mount's id.
pub fn mount_at(
    ctx: &mut crate::kernel::Ctx,
    path: &[u8],
    root: Arc<dyn Inode>,
    fs_type: &str,
    source: &str,
    options: &str,
) -> crate::Result<MountId> {
    let target = vfs::resolve(ctx, wasmpod_abi::fcntl::AT_FDCWD, path, true)?;
    let meta = target.inode.metadata(ctx)?;
    if !vfs::is_dir(&meta) {
        return Err(crate::errno!(ENOTDIR, "mount point is not a directory"));
    }
    let key = (meta.dev, meta.ino);
    Ok(ctx.st.fs.mounts.add(Mount {
        id: 0,
        root,
        mountpoint: Some(target),
        mountpoint_key: key,
        fs_type: fs_type.into(),
        source: source.into(),
        options: options.into(),
    }))
}

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
/// Permission checks as path_resolution(7) (search permission on every
/// directory), ELOOP after 40 links, ENAMETOOLONG, ENOENT for an empty path.
pub fn lookup_path(
    ctx: &mut crate::kernel::Ctx,
    dirfd: i32,
    path: &[u8],
    follow: bool,
) -> crate::Result<std::sync::Arc<dyn Inode>> {
    vfs::resolve(ctx, dirfd, path, follow).map(|l| l.inode)
}

/// Opens `path` like openat(2) with `flags` and `mode` (umask applied
/// inside) and returns the new open file description without installing
/// an fd. Used by openat itself, spawn file actions and the host API.
pub fn open_path(
    ctx: &mut crate::kernel::Ctx,
    dirfd: i32,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> crate::Result<std::sync::Arc<OpenFile>> {
    open::do_open(ctx, dirfd, path, flags, mode)
}

/// Resolves a program for execve/spawn: follows symlinks, then checks
/// what execve(2) requires — a regular file (`EACCES` otherwise, and for a
/// directory) with execute permission for the caller (`EACCES`; root
/// needs some execute bit). Returns the inode, its metadata (for the
/// compilation cache key) and its absolute path (for `/proc/<pid>/exe`).
pub fn lookup_exec(
    ctx: &mut crate::kernel::Ctx,
    dirfd: i32,
    path: &[u8],
) -> crate::Result<(std::sync::Arc<dyn Inode>, Metadata, Vec<u8>)> {
    let loc = vfs::resolve(ctx, dirfd, path, true)?;
    let meta = loc.inode.metadata(ctx)?;
    if meta.mode & wasmpod_abi::fs::S_IFMT != wasmpod_abi::fs::S_IFREG {
        return Err(crate::errno!(EACCES, "execve: not a regular file"));
    }
    vfs::may(ctx, &meta, vfs::MAY_EXEC)?;
    let abs = cwd::file_path(ctx, &loc).unwrap_or_else(|_| loc.path.clone());
    Ok((loc.inode, meta, abs))
}

/// The working directory of process `pid` as the caller sees it (for
/// `/proc/<pid>/cwd`); `ENOENT` if it was removed or `pid` is unknown.
pub fn process_cwd_path(ctx: &mut crate::kernel::Ctx, pid: crate::Pid) -> crate::Result<Vec<u8>> {
    let p = ctx.st.procs.procs.get(&pid).ok_or(crate::errno!(ENOENT, "no such process"))?;
    let loc = p.fs.cwd.clone().or_else(|| p.fs.root.clone()).unwrap_or_else(|| vfs::global_root(ctx));
    cwd::location_path(ctx, &loc)
}

/// The root directory of process `pid` as the caller sees it (for
/// `/proc/<pid>/root`).
pub fn process_root_path(ctx: &mut crate::kernel::Ctx, pid: crate::Pid) -> crate::Result<Vec<u8>> {
    let p = ctx.st.procs.procs.get(&pid).ok_or(crate::errno!(ENOENT, "no such process"))?;
    let loc = p.fs.root.clone().unwrap_or_else(|| vfs::global_root(ctx));
    cwd::location_path(ctx, &loc)
}

/// The absolute, normalised path of `path` as seen by the caller (for
/// `/proc/<pid>/exe` after execve): symlinks resolved, `.`/`..` gone. The
/// path must exist.
pub fn absolute_path(ctx: &mut crate::kernel::Ctx, dirfd: i32, path: &[u8]) -> crate::Result<Vec<u8>> {
    let loc = vfs::resolve(ctx, dirfd, path, true)?;
    cwd::file_path(ctx, &loc)
}
