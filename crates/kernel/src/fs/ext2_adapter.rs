//! The ext2 adapter: the `wasmpod-ext2` driver as VFS inodes.
//!
//! One [`Ext2Mount`] owns the driver behind a mutex (taken only with the
//! kernel lock held, never across a wait); an [`Ext2Inode`] is a small
//! handle (mount, inode number) made afresh by every lookup, identified by
//! `(st_dev, st_ino)` as the VFS expects. Each live handle holds an open
//! reference in the driver (`acquire` when made, `release` when dropped),
//! so a file unlinked while open — or a removed cwd — keeps its data until
//! the last handle goes, and the driver frees it then (its orphan list
//! makes that crash-safe).
//!
//! Errors map to errnos in exactly one place, `From<Ext2Error> for Error`.
//!
//! Not here: `O_TMPFILE` and `RENAME_EXCHANGE` (`EOPNOTSUPP`/`EINVAL`, as
//! Linux's ext2), atime updates (the driver mounts `noatime`), xattrs.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;
use wasmpod_abi::fs::*;
use wasmpod_blockdev::BlockDevice;
use wasmpod_ext2::{Ext2, Ext2Error, FileType};

use super::devices::{major, makedev, minor};
use super::inode::{DirEntry, FsStats, Inode, Metadata, NodeKind, SetAttr, Timespec};
use crate::error::{Error, Result};
use crate::kernel::Ctx;
use crate::platform::{ClockKind, Platform};
use crate::{errno, return_errno};

impl From<Ext2Error> for Error {
    fn from(e: Ext2Error) -> Error {
        use wasmpod_abi::Errno::*;
        let (errno, msg) = match e {
            Ext2Error::Corrupt(_) => (EIO, "ext2: corrupt filesystem"),
            Ext2Error::Unsupported(_) => (EOPNOTSUPP, "ext2: unsupported feature"),
            Ext2Error::Io(_) => (EIO, "ext2: block device error"),
            Ext2Error::NoSpace => (ENOSPC, "ext2: no space left"),
            Ext2Error::NotFound => (ENOENT, "ext2: no such file or directory"),
            Ext2Error::NotDir => (ENOTDIR, "ext2: not a directory"),
            Ext2Error::IsDir => (EISDIR, "ext2: is a directory"),
            Ext2Error::Exists => (EEXIST, "ext2: file exists"),
            Ext2Error::NotEmpty => (ENOTEMPTY, "ext2: directory not empty"),
            Ext2Error::NameTooLong => (ENAMETOOLONG, "ext2: name too long"),
            Ext2Error::InvalidArgument(_) => (EINVAL, "ext2: invalid argument"),
            Ext2Error::ReadOnly => (EROFS, "ext2: read-only filesystem"),
            Ext2Error::TooManyLinks => (EMLINK, "ext2: too many links"),
            Ext2Error::FileTooBig => (EFBIG, "ext2: file too large"),
            Ext2Error::WrongType => (EINVAL, "ext2: wrong file type"),
        };
        Error::new(errno, msg)
    }
}

/// The block device under an ext2 mount.
pub type Device = Box<dyn BlockDevice>;

/// A mounted ext2 filesystem.
pub struct Ext2Mount {
    fs: Mutex<Ext2<Device>>,
    dev: u64,
}

impl Ext2Mount {
    /// Mounts `dev` (read-only if asked, if the device is, or if the image
    /// needs it); inode times come from `platform`'s wall clock. Returns
    /// the root directory.
    pub fn mount(dev: Device, read_only: bool, platform: Arc<dyn Platform>) -> Result<Arc<dyn Inode>> {
        let mut fs = if read_only { Ext2::open_read_only(dev)? } else { Ext2::open(dev)? };
        fs.set_clock(move || {
            let t = Timespec::from_nanos(platform.now(ClockKind::Realtime));
            wasmpod_ext2::Timespec { sec: t.sec, nsec: t.nsec }
        });
        let root = fs.root();
        let m = Arc::new(Ext2Mount { fs: Mutex::new(fs), dev: super::tmpfs::alloc_anon_dev() });
        Ext2Inode::handle(&m, root)
    }

    /// Whether the driver mounted read-only.
    pub fn is_read_only(&self) -> bool {
        self.fs.lock().is_read_only()
    }
}

/// Mounts the ext2 filesystem on `dev` at `path` (a directory). The mount
/// is read-only when asked or when the driver must (read-only device,
/// unknown ro_compat features). Returns the mount id.
pub fn mount_ext2(ctx: &mut Ctx, path: &[u8], dev: Device, read_only: bool, source: &str) -> Result<super::MountId> {
    let platform = ctx.kernel.platform().clone();
    let root = Ext2Mount::mount(dev, read_only, platform)?;
    let ro = root.as_any().downcast_ref::<Ext2Inode>().is_some_and(|i| i.mount().is_read_only());
    super::mount_at(ctx, path, root, "ext2", source, if ro { "ro" } else { "rw" })
}

/// A handle on one ext2 inode.
pub struct Ext2Inode {
    m: Arc<Ext2Mount>,
    ino: u32,
}

impl Ext2Inode {
    /// A new handle (an open reference in the driver).
    fn handle(m: &Arc<Ext2Mount>, ino: u32) -> Result<Arc<dyn Inode>> {
        m.fs.lock().acquire(ino)?;
        Ok(Arc::new(Ext2Inode { m: m.clone(), ino }))
    }

    /// The mount this inode belongs to.
    pub fn mount(&self) -> &Arc<Ext2Mount> {
        &self.m
    }

    fn same_fs<'a>(&self, other: &'a Arc<dyn Inode>) -> Result<&'a Ext2Inode> {
        match other.as_any().downcast_ref::<Ext2Inode>() {
            Some(o) if Arc::ptr_eq(&o.m, &self.m) => Ok(o),
            _ => Err(errno!(EXDEV, "ext2: other filesystem")),
        }
    }
}

impl Drop for Ext2Inode {
    fn drop(&mut self) {
        // Never dropped with the driver lock held (handles are made and
        // dropped outside it); the last release frees an unlinked inode.
        let _ = self.m.fs.lock().release(self.ino);
    }
}

fn ts(t: wasmpod_ext2::Timespec) -> Timespec {
    Timespec { sec: t.sec, nsec: t.nsec }
}

fn ext_ts(t: Timespec) -> wasmpod_ext2::Timespec {
    wasmpod_ext2::Timespec { sec: t.sec, nsec: t.nsec }
}

fn dt(t: FileType) -> u8 {
    match t {
        FileType::Unknown => DT_UNKNOWN,
        FileType::Regular => DT_REG,
        FileType::Directory => DT_DIR,
        FileType::CharDevice => DT_CHR,
        FileType::BlockDevice => DT_BLK,
        FileType::Fifo => DT_FIFO,
        FileType::Socket => DT_SOCK,
        FileType::Symlink => DT_LNK,
    }
}

impl Inode for Ext2Inode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        let s = self.m.fs.lock().stat(self.ino)?;
        Ok(Metadata {
            dev: self.m.dev,
            ino: u64::from(self.ino),
            mode: u32::from(s.mode),
            nlink: u32::from(s.nlink),
            uid: s.uid,
            gid: s.gid,
            rdev: makedev(s.rdev.0, s.rdev.1),
            size: s.size,
            blksize: s.blksize,
            blocks: s.blocks,
            atime: ts(s.atime),
            mtime: ts(s.mtime),
            ctime: ts(s.ctime),
        })
    }

    fn set_attr(&self, _ctx: &mut Ctx, a: &SetAttr) -> Result<()> {
        let mut fs = self.m.fs.lock();
        if let Some(size) = a.size {
            fs.truncate(self.ino, size)?;
        }
        let e = wasmpod_ext2::SetAttr {
            mode: a.mode.map(|m| (m & 0o7777) as u16),
            uid: a.uid,
            gid: a.gid,
            atime: a.atime.map(ext_ts),
            mtime: a.mtime.map(ext_ts),
            ctime: a.ctime.map(ext_ts),
        };
        let any = e.mode.is_some() || e.uid.is_some() || e.gid.is_some();
        if any || e.atime.is_some() || e.mtime.is_some() || e.ctime.is_some() {
            fs.setattr(self.ino, &e)?;
        }
        Ok(())
    }

    fn read_at(&self, _ctx: &mut Ctx, off: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(self.m.fs.lock().read(self.ino, off, buf)?)
    }

    fn write_at(&self, _ctx: &mut Ctx, off: u64, data: &[u8]) -> Result<usize> {
        Ok(self.m.fs.lock().write(self.ino, off, data)?)
    }

    fn sync(&self, _ctx: &mut Ctx) -> Result<()> {
        Ok(self.m.fs.lock().sync()?)
    }

    fn lookup(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let ino = self.m.fs.lock().lookup(self.ino, name)?;
        Ext2Inode::handle(&self.m, ino)
    }

    fn create(
        &self,
        _ctx: &mut Ctx,
        name: &[u8],
        kind: NodeKind,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Arc<dyn Inode>> {
        let perm = (mode & 0o7777) as u16;
        let ino = {
            let mut fs = self.m.fs.lock();
            match kind {
                NodeKind::Regular => fs.create(self.ino, name, perm, uid, gid)?,
                NodeKind::Directory => fs.mkdir(self.ino, name, perm, uid, gid)?,
                NodeKind::Symlink => return_errno!(EINVAL, "ext2: symlinks are made with symlink"),
                NodeKind::Fifo => fs.mknod(self.ino, name, S_IFIFO as u16 | perm, (0, 0), uid, gid)?,
                NodeKind::Socket => fs.mknod(self.ino, name, S_IFSOCK as u16 | perm, (0, 0), uid, gid)?,
                NodeKind::CharDevice(d) => {
                    fs.mknod(self.ino, name, S_IFCHR as u16 | perm, (major(d), minor(d)), uid, gid)?
                }
                NodeKind::BlockDevice(d) => {
                    fs.mknod(self.ino, name, S_IFBLK as u16 | perm, (major(d), minor(d)), uid, gid)?
                }
            }
        };
        Ext2Inode::handle(&self.m, ino)
    }

    fn symlink(&self, _ctx: &mut Ctx, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<Arc<dyn Inode>> {
        let ino = self.m.fs.lock().symlink(self.ino, name, target, uid, gid)?;
        Ext2Inode::handle(&self.m, ino)
    }

    fn link(&self, _ctx: &mut Ctx, name: &[u8], target: &Arc<dyn Inode>) -> Result<()> {
        let t = self.same_fs(target)?;
        Ok(self.m.fs.lock().link(t.ino, self.ino, name)?)
    }

    fn unlink(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        Ok(self.m.fs.lock().unlink(self.ino, name)?)
    }

    fn rmdir(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        Ok(self.m.fs.lock().rmdir(self.ino, name)?)
    }

    fn rename(
        &self,
        _ctx: &mut Ctx,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<()> {
        if flags & wasmpod_abi::fcntl::RENAME_EXCHANGE != 0 {
            return_errno!(EINVAL, "ext2: RENAME_EXCHANGE is not supported");
        }
        let nd = self.same_fs(new_dir)?;
        Ok(self.m.fs.lock().rename(self.ino, old_name, nd.ino, new_name)?)
    }

    fn readdir(&self, _ctx: &mut Ctx, cookie: u64, sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        let mut cookie = cookie;
        loop {
            let batch = self.m.fs.lock().readdir(self.ino, cookie)?;
            let Some(last) = batch.last().map(|e| e.next) else { return Ok(()) };
            for e in batch {
                let d = DirEntry { ino: u64::from(e.ino), name: e.name, kind: dt(e.file_type), next: e.next };
                if !sink(d) {
                    return Ok(());
                }
            }
            cookie = last;
        }
    }

    fn readlink(&self, _ctx: &mut Ctx) -> Result<Vec<u8>> {
        Ok(self.m.fs.lock().readlink(self.ino)?)
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        let s = self.m.fs.lock().statfs();
        Ok(FsStats {
            fs_type: EXT2_SUPER_MAGIC,
            block_size: s.block_size,
            blocks: s.blocks,
            blocks_free: s.free_blocks,
            blocks_avail: s.avail_blocks,
            files: s.files,
            files_free: s.free_files,
            name_max: s.name_max,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
