//! Mounts an ext2 volume (the `wasmpod-ext2` crate) in the VFS.
//!
//! One [`Ext2Volume`] per mounted filesystem holds the driver behind a lock,
//! over a write-back block cache (the kernel's page cache for ext2:
//! [`CacheDevice`] from `wasmpod-blockdev`). Every lookup yields an
//! [`Ext2Inode`] naming `(volume, inode number)`; each one is an open
//! reference for the driver (`acquire` when made, `release` when dropped),
//! so an inode unlinked while a file, a cwd or a cached location still
//! names it stays on the on-disk orphan list until the last reference goes
//! (e2fsck finds the filesystem consistent even after an unclean stop).
//!
//! Not here yet: xattr syscalls, `RENAME_EXCHANGE` (Linux's ext2 refuses it
//! with EINVAL too), mmap of ext2 files beyond what `read_at` gives.

use std::any::Any;
use std::sync::Arc;

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::{RENAME_EXCHANGE, RENAME_NOREPLACE};
use wasmpod_abi::fs::{S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK};
use wasmpod_abi::Errno;
use wasmpod_blockdev::{BlockDevice, CacheDevice};
use wasmpod_ext2::{Ext2, Ext2Error, FileType};

use super::devices::{major, makedev, minor};
use super::inode::{DirEntry, FsStats, Inode, Metadata, NodeKind, SetAttr, Timespec};
use super::mount::{Mount, MountId, MountTable};
use super::vfs::{self, Location};
use crate::error::{Error, Result};
use crate::kernel::{Ctx, Kernel};
use crate::platform::{ClockKind, NoUserMemory, Platform};
use crate::{errno, return_errno};

/// Blocks the volume cache keeps: 16 MiB of 4 KiB blocks. Enough for the
/// metadata and hot data of a root image; bounded so many volumes fit in a
/// browser tab.
pub const CACHE_BYTES: u64 = 16 << 20;

type Dev = CacheDevice<Box<dyn BlockDevice>>;

/// Maps the driver's errors to what the guest sees, in one place.
impl From<Ext2Error> for Error {
    #[track_caller]
    fn from(e: Ext2Error) -> Self {
        let (errno, msg) = match e {
            Ext2Error::Corrupt(_) => (Errno::EUCLEAN, "ext2: filesystem is corrupt"),
            Ext2Error::Unsupported(_) => (Errno::EOPNOTSUPP, "ext2: unsupported feature"),
            Ext2Error::Io(_) => (Errno::EIO, "ext2: device I/O error"),
            Ext2Error::NoSpace => (Errno::ENOSPC, "ext2: no space left"),
            Ext2Error::NotFound => (Errno::ENOENT, ""),
            Ext2Error::NotDir => (Errno::ENOTDIR, ""),
            Ext2Error::IsDir => (Errno::EISDIR, ""),
            Ext2Error::Exists => (Errno::EEXIST, ""),
            Ext2Error::NotEmpty => (Errno::ENOTEMPTY, ""),
            Ext2Error::NameTooLong => (Errno::ENAMETOOLONG, ""),
            Ext2Error::InvalidArgument(_) => (Errno::EINVAL, "ext2: invalid argument"),
            Ext2Error::ReadOnly => (Errno::EROFS, ""),
            Ext2Error::TooManyLinks => (Errno::EMLINK, ""),
            Ext2Error::FileTooBig => (Errno::EFBIG, ""),
            Ext2Error::WrongType => (Errno::EINVAL, "ext2: wrong file type"),
        };
        Error::new(errno, msg)
    }
}

/// A mounted ext2 filesystem.
pub struct Ext2Volume {
    fs: Mutex<Ext2<Dev>>,
    /// `st_dev` of every inode on this volume.
    dev: u64,
}

/// `st_dev` numbers for ext2 volumes: major 8 (like `/dev/sdX`), a new
/// minor per mount, so two volumes never share inode keys.
fn next_dev() -> u64 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    makedev(8, NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Ext2Volume {
    /// Opens `dev` (read-write unless `read_only`), timestamps from the
    /// platform's wall clock. Errors: not ext2, corrupt, unsupported
    /// incompatible features (EOPNOTSUPP/EUCLEAN/EIO).
    pub fn open(dev: Box<dyn BlockDevice>, read_only: bool, platform: Arc<dyn Platform>) -> Result<Arc<Ext2Volume>> {
        let blocks = (CACHE_BYTES / u64::from(dev.block_size()).max(1)).max(64) as usize;
        let cached = CacheDevice::new(dev, blocks).map_err(|_| errno!(EINVAL, "ext2: bad device block size"))?;
        let mut fs =
            if read_only || cached.is_read_only() { Ext2::open_read_only(cached)? } else { Ext2::open(cached)? };
        fs.set_clock(move || {
            let t = Timespec::from_nanos(platform.now(ClockKind::Realtime));
            wasmpod_ext2::Timespec::new(t.sec, t.nsec)
        });
        Ok(Arc::new(Ext2Volume { fs: Mutex::new(fs), dev: next_dev() }))
    }

    /// The root directory.
    pub fn root(self: &Arc<Self>) -> Result<Arc<dyn Inode>> {
        Ok(self.inode(wasmpod_ext2::ROOT_INO)?)
    }

    /// Writes every dirty block and the superblock (sync, unmount).
    pub fn sync(&self) -> Result<()> {
        Ok(self.fs.lock().sync()?)
    }

    fn inode(self: &Arc<Self>, ino: u32) -> Result<Arc<Ext2Inode>> {
        self.fs.lock().acquire(ino)?;
        Ok(Arc::new(Ext2Inode { vol: self.clone(), ino }))
    }
}

/// One inode of a mounted volume (an open reference for the driver).
pub struct Ext2Inode {
    vol: Arc<Ext2Volume>,
    ino: u32,
}

impl Drop for Ext2Inode {
    fn drop(&mut self) {
        // Errors here (a corrupt orphan list, I/O) can't be reported to
        // anyone; the inode stays an orphan and e2fsck frees it.
        let _ = self.vol.fs.lock().release(self.ino);
    }
}

fn ts(t: wasmpod_ext2::Timespec) -> Timespec {
    Timespec { sec: t.sec, nsec: t.nsec }
}

fn ext_ts(t: Timespec) -> wasmpod_ext2::Timespec {
    wasmpod_ext2::Timespec::new(t.sec, t.nsec)
}

fn dt(ft: FileType) -> u8 {
    use wasmpod_abi::fs::*;
    match ft {
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

impl Ext2Inode {
    /// The other inode when it is on the same volume (EXDEV otherwise).
    fn same_volume<'a>(&self, other: &'a Arc<dyn Inode>) -> Result<&'a Ext2Inode> {
        match other.as_any().downcast_ref::<Ext2Inode>() {
            Some(o) if Arc::ptr_eq(&o.vol, &self.vol) => Ok(o),
            _ => Err(errno!(EXDEV, "ext2: not on the same filesystem")),
        }
    }
}

impl Inode for Ext2Inode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        let s = self.vol.fs.lock().stat(self.ino)?;
        Ok(Metadata {
            dev: self.vol.dev,
            ino: u64::from(s.ino),
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

    fn set_attr(&self, _ctx: &mut Ctx, attr: &SetAttr) -> Result<()> {
        let mut fs = self.vol.fs.lock();
        if let Some(size) = attr.size {
            fs.truncate(self.ino, size)?;
        }
        let a = wasmpod_ext2::SetAttr {
            mode: attr.mode.map(|m| (m & 0o7777) as u16),
            uid: attr.uid,
            gid: attr.gid,
            atime: attr.atime.map(ext_ts),
            mtime: attr.mtime.map(ext_ts),
            ctime: attr.ctime.map(ext_ts),
        };
        fs.setattr(self.ino, &a)?;
        Ok(())
    }

    fn read_at(&self, _ctx: &mut Ctx, off: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(self.vol.fs.lock().read(self.ino, off, buf)?)
    }

    fn write_at(&self, _ctx: &mut Ctx, off: u64, data: &[u8]) -> Result<usize> {
        Ok(self.vol.fs.lock().write(self.ino, off, data)?)
    }

    fn sync(&self, _ctx: &mut Ctx) -> Result<()> {
        self.vol.sync()
    }

    fn lookup(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let ino = self.vol.fs.lock().lookup(self.ino, name)?;
        Ok(self.vol.inode(ino)?)
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
            let mut fs = self.vol.fs.lock();
            match kind {
                NodeKind::Regular => fs.create(self.ino, name, perm, uid, gid)?,
                NodeKind::Directory => fs.mkdir(self.ino, name, perm, uid, gid)?,
                NodeKind::Fifo => fs.mknod(self.ino, name, S_IFIFO as u16 | perm, (0, 0), uid, gid)?,
                NodeKind::Socket => fs.mknod(self.ino, name, S_IFSOCK as u16 | perm, (0, 0), uid, gid)?,
                NodeKind::CharDevice(rdev) => {
                    fs.mknod(self.ino, name, S_IFCHR as u16 | perm, (major(rdev), minor(rdev)), uid, gid)?
                }
                NodeKind::BlockDevice(rdev) => {
                    fs.mknod(self.ino, name, S_IFBLK as u16 | perm, (major(rdev), minor(rdev)), uid, gid)?
                }
                NodeKind::Symlink => return_errno!(EINVAL, "ext2: symlinks are made with symlink()"),
            }
        };
        Ok(self.vol.inode(ino)?)
    }

    fn symlink(&self, _ctx: &mut Ctx, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<Arc<dyn Inode>> {
        let ino = self.vol.fs.lock().symlink(self.ino, name, target, uid, gid)?;
        Ok(self.vol.inode(ino)?)
    }

    fn link(&self, _ctx: &mut Ctx, name: &[u8], target: &Arc<dyn Inode>) -> Result<()> {
        let t = self.same_volume(target)?;
        Ok(self.vol.fs.lock().link(t.ino, self.ino, name)?)
    }

    fn unlink(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        Ok(self.vol.fs.lock().unlink(self.ino, name)?)
    }

    fn rmdir(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        Ok(self.vol.fs.lock().rmdir(self.ino, name)?)
    }

    fn rename(
        &self,
        _ctx: &mut Ctx,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<()> {
        if flags & RENAME_EXCHANGE != 0 {
            return_errno!(EINVAL, "ext2: RENAME_EXCHANGE is not supported (as on Linux)");
        }
        let nd = self.same_volume(new_dir)?;
        let mut fs = self.vol.fs.lock();
        if flags & RENAME_NOREPLACE != 0 && fs.lookup(nd.ino, new_name).is_ok() {
            return_errno!(EEXIST, "rename: target exists");
        }
        Ok(fs.rename(self.ino, old_name, nd.ino, new_name)?)
    }

    fn readdir(&self, _ctx: &mut Ctx, cookie: u64, sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        let mut cookie = cookie;
        loop {
            let batch = self.vol.fs.lock().readdir(self.ino, cookie)?;
            let Some(last) = batch.last() else { return Ok(()) };
            cookie = last.next;
            for e in batch {
                let de = DirEntry { ino: u64::from(e.ino), name: e.name, kind: dt(e.file_type), next: e.next };
                if !sink(de) {
                    return Ok(());
                }
            }
        }
    }

    fn readlink(&self, _ctx: &mut Ctx) -> Result<Vec<u8>> {
        Ok(self.vol.fs.lock().readlink(self.ino)?)
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        let s = self.vol.fs.lock().statfs();
        Ok(FsStats {
            fs_type: wasmpod_abi::fs::EXT2_SUPER_MAGIC,
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

// ---- mounting (host API) ------------------------------------------------------

/// Walks an absolute host-given path from the global root through mounts,
/// without permission checks or symlinks (the host is trusted; its paths
/// are plain).
fn host_resolve(ctx: &mut Ctx, path: &str) -> Result<Location> {
    let mut loc = vfs::global_root(ctx);
    for name in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
        let inode = loc.inode.lookup(ctx, name.as_bytes())?;
        let m = inode.metadata(ctx)?;
        let mut next = Location { mount: loc.mount, inode, path: vfs::join_path(&loc.path, name.as_bytes()) };
        let mut key = (m.dev, m.ino);
        // Each step moves to a newer mount stacked on the last, so this ends.
        while let Some(top) = ctx.st.fs.mounts.mounted_on(next.mount, key).cloned() {
            next = Location { mount: top.id, inode: top.root.clone(), path: next.path.clone() };
            key = vfs::inode_key(ctx, &top.root)?;
        }
        loc = next;
    }
    Ok(loc)
}

/// Mounts `root` at the directory `path`, with the mount point identified
/// by its `(dev, ino)` as the VFS expects.
fn host_mount(
    ctx: &mut Ctx,
    at: Location,
    root: Arc<dyn Inode>,
    fs_type: &str,
    source: &str,
    options: &str,
) -> Result<MountId> {
    let meta = at.inode.metadata(ctx)?;
    if !vfs::is_dir(&meta) {
        return_errno!(ENOTDIR, "mount point is not a directory");
    }
    Ok(ctx.st.fs.mounts.add(Mount {
        id: 0,
        root,
        mountpoint: Some(at),
        mountpoint_key: (meta.dev, meta.ino),
        fs_type: fs_type.into(),
        source: source.into(),
        options: options.into(),
    }))
}

fn options(read_only: bool) -> &'static str {
    if read_only {
        "ro,relatime"
    } else {
        "rw,relatime"
    }
}

impl Kernel {
    /// Mounts an ext2 volume on the existing directory `path` (absolute).
    pub fn mount_ext2(
        &self,
        path: &str,
        dev: Box<dyn BlockDevice>,
        read_only: bool,
        source: &str,
    ) -> Result<Arc<Ext2Volume>> {
        let vol = Ext2Volume::open(dev, read_only, self.platform().clone())?;
        self.mount_fs(path, vol.root()?, "ext2", source, options(read_only))?;
        Ok(vol)
    }

    /// Makes an ext2 volume the root filesystem (see [`Kernel::mount_root_fs`]).
    pub fn mount_root_ext2(&self, dev: Box<dyn BlockDevice>, read_only: bool, source: &str) -> Result<Arc<Ext2Volume>> {
        let vol = Ext2Volume::open(dev, read_only, self.platform().clone())?;
        self.mount_root_fs(vol.root()?, "ext2", source, options(read_only))?;
        Ok(vol)
    }

    /// Mounts the filesystem whose root directory is `root` (any [`Inode`]
    /// implementation, e.g. a host crate's) on the existing directory
    /// `path` (absolute, resolved from the global root through mounts,
    /// without permission checks). `options` is what `/proc/mounts` shows;
    /// an `ro` option makes every change on the mount `EROFS`. Returns the
    /// mount's id. `ENOENT`/`ENOTDIR` if `path` is not a directory.
    pub fn mount_fs(
        &self,
        path: &str,
        root: Arc<dyn Inode>,
        fs_type: &str,
        source: &str,
        options: &str,
    ) -> Result<MountId> {
        let mut mem = NoUserMemory;
        self.with_ctx(0, &mut mem, |ctx| {
            let at = host_resolve(ctx, path)?;
            host_mount(ctx, at, root, fs_type, source, options)
        })
    }

    /// Makes the filesystem whose root directory is `root` the root
    /// filesystem. The kernel's devfs, devpts and procfs are mounted again
    /// on the new root's `/dev`, `/dev/pts` and `/proc` where those
    /// directories exist (a missing one is skipped: the filesystem decides
    /// its layout). Call before any process starts: processes keep the
    /// locations they hold.
    pub fn mount_root_fs(&self, root: Arc<dyn Inode>, fs_type: &str, source: &str, options: &str) -> Result<()> {
        let mut mem = NoUserMemory;
        self.with_ctx(0, &mut mem, |ctx| {
            let old: Vec<Mount> = ctx.st.fs.mounts.mounts.values().cloned().collect();
            let find =
                |path: &[u8]| old.iter().find(|m| m.mountpoint.as_ref().is_some_and(|p| p.path == path)).cloned();
            let (dev_fs, pts_fs, proc_fs) = (find(b"/dev"), find(b"/dev/pts"), find(b"/proc"));
            let mut table = MountTable::default();
            let root_mount = table.add(Mount {
                id: 0,
                root: root.clone(),
                mountpoint: None,
                mountpoint_key: (0, 0),
                fs_type: fs_type.into(),
                source: source.into(),
                options: options.into(),
            });
            ctx.st.fs.mounts = table;
            ctx.st.fs.root_mount = root_mount;
            for m in [dev_fs, pts_fs, proc_fs].into_iter().flatten() {
                let path = m.mountpoint.as_ref().map(|p| p.path.clone()).unwrap_or_default();
                let Ok(at) = host_resolve(ctx, &String::from_utf8_lossy(&path)) else { continue };
                if !vfs::is_dir(&at.inode.metadata(ctx)?) {
                    continue;
                }
                host_mount(ctx, at, m.root.clone(), &m.fs_type, &m.source, &m.options)?;
            }
            Ok::<(), Error>(())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::fs::stat;
    use wasmpod_abi::syscalls::*;
    use wasmpod_blockdev::FileDevice;

    use crate::testing::{Harness, Proc};

    const FDCWD: u64 = AT_FDCWD as u32 as u64;

    /// Makes an ext2 image of `tree` with `mke2fs -t ext2 -d` (e2fsprogs is
    /// installed by `cargo xtask setup`).
    fn mkfs(dir: &Path, tree: &Path, block_size: u32) -> std::path::PathBuf {
        let img = dir.join("fs.img");
        let out = Command::new("mke2fs")
            .args(["-q", "-F", "-t", "ext2", "-b", &block_size.to_string(), "-d"])
            .arg(tree)
            .arg(&img)
            .arg("8M")
            .output()
            .expect("mke2fs (e2fsprogs) must be installed: run `cargo xtask setup`");
        assert!(out.status.success(), "mke2fs: {}", String::from_utf8_lossy(&out.stderr));
        img
    }

    fn fsck(img: &Path) {
        let out = Command::new("e2fsck").arg("-fn").arg(img).output().expect("e2fsck");
        assert!(
            out.status.success(),
            "e2fsck found problems:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// What a boot after a crash does: `e2fsck -p` (which processes the
    /// orphan list; `-n` does not) on a copy, then a strict check.
    fn fsck_after_unclean_stop(img: &Path) {
        let copy = img.with_extension("crashed");
        std::fs::copy(img, &copy).unwrap();
        let out = Command::new("e2fsck").arg("-fp").arg(&copy).output().expect("e2fsck");
        // 0: clean; 1: errors corrected (the orphan was released).
        assert!(matches!(out.status.code(), Some(0 | 1)), "e2fsck -p: {}", String::from_utf8_lossy(&out.stdout));
        fsck(&copy);
    }

    fn tree(dir: &Path) -> std::path::PathBuf {
        let t = dir.join("tree");
        for d in ["dev", "proc", "tmp", "etc", "home/user"] {
            std::fs::create_dir_all(t.join(d)).unwrap();
        }
        std::fs::write(t.join("etc/hostname"), "wasmpod\n").unwrap();
        std::fs::write(t.join("big"), vec![7u8; 300_000]).unwrap();
        std::os::unix::fs::symlink("etc/hostname", t.join("link")).unwrap();
        t
    }

    fn read_file(p: &Proc, path: &str) -> Result<Vec<u8>, i64> {
        let fd = p.sys(SYS_openat, &[FDCWD, p.cstr(path), u64::from(O_RDONLY), 0]);
        if fd < 0 {
            return Err(fd);
        }
        let buf = p.alloc(1 << 20);
        let mut out = Vec::new();
        loop {
            let n = p.sys(SYS_read, &[fd as u64, u64::from(buf), 1 << 20]);
            assert!(n >= 0, "read: {n}");
            if n == 0 {
                break;
            }
            out.extend(p.read(buf, n as usize));
        }
        p.sys(SYS_close, &[fd as u64]);
        Ok(out)
    }

    fn write_file(p: &Proc, path: &str, data: &[u8]) -> i64 {
        let fd = p.sys(SYS_openat, &[FDCWD, p.cstr(path), u64::from(O_WRONLY | O_CREAT | O_TRUNC), 0o644]);
        if fd < 0 {
            return fd;
        }
        let b = p.bytes(data);
        let n = p.sys(SYS_write, &[fd as u64, u64::from(b), data.len() as u64]);
        assert_eq!(n, data.len() as i64);
        p.sys(SYS_close, &[fd as u64])
    }

    fn root_ext2(block_size: u32) -> (tempfile::TempDir, std::path::PathBuf, Harness, Proc) {
        let dir = tempfile::tempdir().unwrap();
        let img = mkfs(dir.path(), &tree(dir.path()), block_size);
        let h = Harness::new();
        let dev = FileDevice::open_read_write(&img, 1024).unwrap();
        h.kernel.mount_root_ext2(Box::new(dev), false, "/dev/vda").unwrap();
        let p = h.process_as(None, crate::process::Credentials::root());
        (dir, img, h, p)
    }

    #[test]
    fn ext2_root_reads_files_made_by_mke2fs() {
        for bs in [1024, 4096] {
            let (_d, _img, _h, p) = root_ext2(bs);
            assert_eq!(read_file(&p, "/etc/hostname").unwrap(), b"wasmpod\n");
            assert_eq!(read_file(&p, "/link").unwrap(), b"wasmpod\n");
            assert_eq!(read_file(&p, "/big").unwrap(), vec![7u8; 300_000]);
            assert_eq!(read_file(&p, "/nope"), Err(-2));
        }
    }

    /// A remote image as the browser's io worker serves it: bytes by range.
    struct ImageBytes(Vec<u8>, std::sync::Arc<std::sync::atomic::AtomicBool>);

    impl wasmpod_blockdev::RangeSource for ImageBytes {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read_range(&mut self, offset: u64, buf: &mut [u8]) -> wasmpod_blockdev::Result<usize> {
            if self.1.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(wasmpod_blockdev::BlockError::Io("network down".into()));
            }
            let o = offset as usize;
            buf.copy_from_slice(&self.0[o..o + buf.len()]);
            Ok(buf.len())
        }
        fn name(&self) -> String {
            "test://root.img".into()
        }
    }

    #[test]
    fn ext2_root_over_ranged_chunks_and_an_in_memory_overlay() {
        use wasmpod_blockdev::{ChunkedConfig, ChunkedDevice, OverlayDevice};
        let dir = tempfile::tempdir().unwrap();
        let t = tree(dir.path());
        std::fs::write(t.join("cold"), vec![3u8; 1 << 20]).unwrap();
        let img = mkfs(dir.path(), &t, 1024);
        let bytes = std::fs::read(&img).unwrap();
        let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let chunked = ChunkedDevice::new(
            ImageBytes(bytes.clone(), down.clone()),
            ChunkedConfig { readahead_chunks: 0, ..ChunkedConfig::with_chunk_size(64 * 1024) },
        )
        .unwrap();
        let stats = chunked.stats_handle();
        let dev = OverlayDevice::in_memory(chunked).unwrap();
        let h = Harness::new();
        h.kernel.mount_root_ext2(Box::new(dev), false, "test://root.img").unwrap();
        let p = h.process_as(None, crate::process::Credentials::root());
        assert_eq!(read_file(&p, "/etc/hostname").unwrap(), b"wasmpod\n");
        assert_eq!(read_file(&p, "/big").unwrap(), vec![7u8; 300_000]);
        assert_eq!(write_file(&p, "/home/user/new.txt", b"written in the overlay"), 0);
        assert_eq!(p.sys(SYS_sync, &[]), 0);
        let s = stats.get();
        assert!(s.requests > 0 && s.bytes_fetched >= 300_000, "{s:?}");
        assert!(s.bytes_fetched <= bytes.len() as u64, "every chunk fetched at most once: {s:?}");
        // The image file itself is untouched.
        assert_eq!(std::fs::read(&img).unwrap(), bytes);
        // With the network gone, reading what was never fetched is EIO (no
        // read-ahead here, so most of /cold's 1 MiB is not cached), and the
        // pod goes on: what is cached still reads.
        down.store(true, std::sync::atomic::Ordering::Relaxed);
        let fd = p.sys(SYS_openat, &[FDCWD, p.cstr("/cold"), u64::from(O_RDONLY), 0]);
        let err = if fd < 0 {
            fd
        } else {
            let buf = p.alloc(1 << 16);
            loop {
                let n = p.sys(SYS_read, &[fd as u64, u64::from(buf), 1 << 16]);
                assert_ne!(n, 0, "read all of /cold without the network");
                if n < 0 {
                    break n;
                }
            }
        };
        assert_eq!(err, -5, "EIO");
        assert_eq!(read_file(&p, "/home/user/new.txt").unwrap(), b"written in the overlay");
        assert!(stats.get().errors > 0);
    }

    #[test]
    fn devfs_is_mounted_again_on_the_ext2_dev() {
        let (_d, _img, _h, p) = root_ext2(4096);
        assert_eq!(read_file(&p, "/dev/null").unwrap(), b"");
        let st = p.alloc(128);
        assert_eq!(p.sys(SYS_newfstatat, &[FDCWD, p.cstr("/etc/hostname"), u64::from(st), 0]), 0);
        let s: stat = p.read_struct(st);
        assert_eq!(s.st_size, 8);
        assert_eq!(s.st_dev >> 8 & 0xfff, 8, "ext2 volumes have major 8");
    }

    #[test]
    fn writes_through_the_kernel_leave_the_image_e2fsck_clean() {
        let (_d, img, h, p) = root_ext2(1024);
        assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/home/user/src"), 0o755]), 0);
        assert_eq!(write_file(&p, "/home/user/src/a.txt", b"hello ext2"), 0);
        assert_eq!(write_file(&p, "/tmp/big", &vec![1u8; 200_000]), 0);
        assert_eq!(
            p.sys(SYS_renameat2, &[FDCWD, p.cstr("/home/user/src/a.txt"), FDCWD, p.cstr("/home/user/b.txt"), 0]),
            0
        );
        assert_eq!(p.sys(SYS_symlinkat, &[p.cstr("b.txt"), FDCWD, p.cstr("/home/user/l")]), 0);
        assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/big"), 0]), 0);
        assert_eq!(read_file(&p, "/home/user/l").unwrap(), b"hello ext2");
        assert_eq!(p.sys(SYS_sync, &[]), 0);
        drop(p);
        drop(h);
        fsck(&img);
        let out = Command::new("debugfs").args(["-R", "cat /home/user/b.txt"]).arg(&img).output().unwrap();
        assert_eq!(out.stdout, b"hello ext2");
    }

    #[test]
    fn unlinked_open_file_lives_until_close_and_is_an_orphan_meanwhile() {
        let (_d, img, _h, p) = root_ext2(4096);
        assert_eq!(write_file(&p, "/tmp/f", b"still here"), 0);
        let fd = p.sys(SYS_openat, &[FDCWD, p.cstr("/tmp/f"), u64::from(O_RDONLY), 0]);
        assert!(fd >= 0);
        assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/tmp/f"), 0]), 0);
        assert_eq!(read_file(&p, "/tmp/f"), Err(-2));
        assert_eq!(p.sys(SYS_sync, &[]), 0);
        // An unclean stop now: e2fsck's recovery frees the orphan and finds
        // nothing else wrong.
        fsck_after_unclean_stop(&img);
        let buf = p.alloc(64);
        assert_eq!(p.sys(SYS_read, &[fd as u64, u64::from(buf), 64]), 10);
        assert_eq!(p.read(buf, 10), b"still here");
        assert_eq!(p.sys(SYS_close, &[fd as u64]), 0);
        assert_eq!(p.sys(SYS_sync, &[]), 0);
        fsck(&img);
    }

    #[test]
    fn mount_ext2_on_a_directory_and_cross_back_with_dotdot() {
        let dir = tempfile::tempdir().unwrap();
        let img = mkfs(dir.path(), &tree(dir.path()), 4096);
        let h = Harness::new();
        let p = h.process_as(None, crate::process::Credentials::root());
        assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/mnt"), 0o755]), 0);
        let dev = FileDevice::open_read_only(&img, 1024).unwrap();
        h.kernel.mount_ext2("/tmp/mnt", Box::new(dev), true, "img").unwrap();
        assert_eq!(read_file(&p, "/tmp/mnt/etc/hostname").unwrap(), b"wasmpod\n");
        assert_eq!(p.sys(SYS_chdir, &[p.cstr("/tmp/mnt/etc")]), 0);
        assert_eq!(read_file(&p, "../../mnt/etc/hostname").unwrap(), b"wasmpod\n");
        // Read-only: writes are EROFS.
        assert_eq!(write_file(&p, "/tmp/mnt/new", b"x"), -30);
    }

    #[test]
    fn mount_fs_mounts_any_filesystem_object_and_ro_is_erofs() {
        let h = Harness::new();
        let p = h.process_as(None, crate::process::Credentials::root());
        assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/a"), 0o755]), 0);
        assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/b"), 0o755]), 0);
        let rw = crate::fs::tmpfs::TmpFs::new_root(0o755, 0, 0);
        let ro = crate::fs::tmpfs::TmpFs::new_root(0o755, 0, 0);
        h.kernel.mount_fs("/tmp/a", rw, "tmpfs", "test", "rw").unwrap();
        h.kernel.mount_fs("/tmp/b", ro, "tmpfs", "test", "ro").unwrap();
        assert_eq!(write_file(&p, "/tmp/a/f", b"on the new mount"), 0);
        assert_eq!(read_file(&p, "/tmp/a/f").unwrap(), b"on the new mount");
        assert_eq!(write_file(&p, "/tmp/b/f", b"x"), -30);
        assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/b/d"), 0o755]), -30);
        let e = h.kernel.mount_fs("/tmp/nope", crate::fs::tmpfs::TmpFs::new_root(0o755, 0, 0), "tmpfs", "t", "rw");
        assert_eq!(e.err().map(|e| e.errno()), Some(wasmpod_abi::Errno::ENOENT));
        let mounts = String::from_utf8(read_file(&p, "/proc/mounts").unwrap()).unwrap();
        assert!(mounts.contains("test /tmp/b tmpfs ro"), "{mounts}");
    }

    #[test]
    fn mount_root_fs_replaces_the_root_and_remounts_dev() {
        let h = Harness::new();
        let root = crate::fs::tmpfs::TmpFs::new_root(0o755, 0, 0);
        root.add_raw(b"dev", crate::fs::NodeKind::Directory, 0o755, 0, 0).unwrap();
        h.kernel.mount_root_fs(root, "tmpfs", "newroot", "rw").unwrap();
        let p = h.process_as(None, crate::process::Credentials::root());
        assert_eq!(read_file(&p, "/dev/null").unwrap(), b"");
        // No /tmp or /proc on the new root: nothing was mounted there.
        assert_eq!(read_file(&p, "/proc/mounts"), Err(-2));
        assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp"), 0o755]), 0);
    }

    #[test]
    fn not_ext2_is_a_clear_error() {
        let h = Harness::new();
        let dev = wasmpod_blockdev::MemoryDevice::new(1024, 64).unwrap();
        let e = h.kernel.mount_root_ext2(Box::new(dev), false, "zeros").err().expect("must fail");
        assert_eq!(e.errno(), wasmpod_abi::Errno::EUCLEAN);
    }
}
