//! The VFS inode interface every filesystem implements (tmpfs, devfs,
//! procfs, devpts, and the ext2 adapter).
//!
//! Inodes are shared (`Arc<dyn Inode>`) and use interior mutability; all
//! calls happen under the kernel lock, so their locks are uncontended.
//! Every method gets the calling context: procfs needs the process table,
//! devices need the caller; plain filesystems ignore it. Callers clone the
//! `Arc<dyn Inode>` out of the state before calling.
//! Permission checks and path walking are the VFS's job, not the inode's.

use std::any::Any;
use std::sync::Arc;

use super::file::FileOps;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;

/// Seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub fn from_nanos(ns: u64) -> Self {
        Timespec { sec: (ns / 1_000_000_000) as i64, nsec: (ns % 1_000_000_000) as u32 }
    }
}

/// What stat(2) reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub dev: u64,
    pub ino: u64,
    /// Type and permission bits (`S_IF*` | mode).
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

/// Changes setattr may make (chmod, chown, utimensat, truncate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
    pub ctime: Option<Timespec>,
}

/// The type of a new inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Regular,
    Directory,
    Symlink,
    Fifo,
    Socket,
    CharDevice(u64),
    BlockDevice(u64),
}

/// A directory entry from readdir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    pub name: Vec<u8>,
    /// `DT_*` type.
    pub kind: u8,
    /// Cookie to pass to continue after this entry (getdents64's `d_off`).
    pub next: u64,
}

/// Filesystem totals (statfs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsStats {
    pub fs_type: u32,
    pub block_size: u32,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_avail: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u32,
}

/// An inode. Directory operations default to `ENOTDIR`, file data
/// operations to `EISDIR`/`EINVAL`; implementations override what applies.
pub trait Inode: Send + Sync + Any {
    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata>;
    fn set_attr(&self, _ctx: &mut Ctx, _attr: &SetAttr) -> Result<()> {
        return_errno!(EPERM, "attributes cannot be changed")
    }

    // Regular files.
    fn read_at(&self, _ctx: &mut Ctx, _off: u64, _buf: &mut [u8]) -> Result<usize> {
        return_errno!(EINVAL, "not a regular file")
    }
    fn write_at(&self, _ctx: &mut Ctx, _off: u64, _data: &[u8]) -> Result<usize> {
        return_errno!(EINVAL, "not a regular file")
    }
    fn sync(&self, _ctx: &mut Ctx) -> Result<()> {
        Ok(())
    }

    // Directories.
    fn lookup(&self, _ctx: &mut Ctx, _name: &[u8]) -> Result<Arc<dyn Inode>> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Creates `name` (the VFS has checked it does not exist).
    fn create(
        &self,
        _ctx: &mut Ctx,
        _name: &[u8],
        _kind: NodeKind,
        _mode: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<Arc<dyn Inode>> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Creates an unnamed regular file on this directory's filesystem
    /// (open's `O_TMPFILE`): link count 0; it may be given a name with
    /// `link` later when `linkable` (no `O_EXCL`).
    fn create_tmpfile(
        &self,
        _ctx: &mut Ctx,
        _mode: u32,
        _uid: u32,
        _gid: u32,
        _linkable: bool,
    ) -> Result<Arc<dyn Inode>> {
        return_errno!(EOPNOTSUPP, "O_TMPFILE not supported by this filesystem")
    }
    fn symlink(&self, _ctx: &mut Ctx, _name: &[u8], _target: &[u8], _uid: u32, _gid: u32) -> Result<Arc<dyn Inode>> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Adds a hard link `name` to `target` (same filesystem, checked by the
    /// VFS). A target with no links left is `ENOENT` unless it is a
    /// linkable `O_TMPFILE` file.
    fn link(&self, _ctx: &mut Ctx, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<()> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Removes a non-directory entry.
    fn unlink(&self, _ctx: &mut Ctx, _name: &[u8]) -> Result<()> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Removes an empty directory entry.
    fn rmdir(&self, _ctx: &mut Ctx, _name: &[u8]) -> Result<()> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Moves `old_name` here to `new_dir`/`new_name` (same filesystem;
    /// the VFS has checked the Linux rename rules). `flags` are
    /// `RENAME_NOREPLACE`/`RENAME_EXCHANGE`.
    fn rename(
        &self,
        _ctx: &mut Ctx,
        _old_name: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new_name: &[u8],
        _flags: u32,
    ) -> Result<()> {
        return_errno!(ENOTDIR, "not a directory")
    }
    /// Calls `sink` for entries from `cookie` on (0 = start, including "."
    /// and ".."); stops when `sink` returns false.
    fn readdir(&self, _ctx: &mut Ctx, _cookie: u64, _sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        return_errno!(ENOTDIR, "not a directory")
    }

    // Symlinks.
    fn readlink(&self, _ctx: &mut Ctx) -> Result<Vec<u8>> {
        return_errno!(EINVAL, "not a symlink")
    }

    /// Files whose opening produces something other than plain inode I/O
    /// (devices, FIFOs, procfs files generated at open) return their own
    /// ops; `None` means the VFS's regular-file/directory handling.
    fn open(&self, _ctx: &mut Ctx, _flags: u32) -> Result<Option<Arc<dyn FileOps>>> {
        Ok(None)
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        Ok(FsStats::default())
    }

    fn as_any(&self) -> &dyn Any;
}
