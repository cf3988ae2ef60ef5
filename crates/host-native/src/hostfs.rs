//! A host directory as a pod filesystem (`wasmpod run --root DIR`,
//! `--mount HOST:GUEST[:ro]`): the kernel's [`Inode`] trait over the host's
//! files, passthrough with `*at` calls.
//!
//! - Every inode holds a host fd: an `O_PATH` fd opened with `O_NOFOLLOW`
//!   one component at a time from its directory (the kernel walks paths
//!   itself), so the host never follows a symlink and never resolves `..`
//!   above the mounted directory: symlinks are returned as link text by
//!   `readlink` and resolved by the kernel's path walk inside the pod, and
//!   `..` at the mount's root is the kernel's business (it climbs into the
//!   parent mount, or stays at the pod's root). `lookup("..")` of the root
//!   itself answers the root, and `lookup("..")` elsewhere checks on the
//!   host that the parent is still inside the mounted directory (`ENOENT`
//!   if a host process moved the directory out).
//! - Data goes through a second fd opened lazily from the `O_PATH` one
//!   (`/proc/self/fd/N`, read-only first, read-write on the first write);
//!   chmod, truncate, utimens and hard links also go through that magic
//!   link, which names the inode held, never a path looked up again.
//! - Ids: files owned by the host user running wasmpod (or by any other
//!   non-root host user) appear owned by the pod user 1000 (uid and gid
//!   alike); files owned by host root appear owned by root when wasmpod is
//!   not itself run by root. New files get the host user's ownership;
//!   chown to anything but the current (mapped) owner is `EPERM`.
//! - Inode numbers are the host's `st_ino` for files on the mounted
//!   directory's host device; files on other host devices below it get
//!   numbers from a per-mount table (`1<<48` up) so `(st_dev, st_ino)`
//!   stays unique. `st_dev` is one anonymous device per mount.
//! - readdir cookies are small numbers (1, 2, ...) mapped per directory
//!   inode to the host's `d_off` values, so they fit a wasm32 `long`
//!   (telldir) and stay valid while the directory is open.
//! - Errors are the host's errno, passed through.
//!
//! Gaps: host FIFOs, sockets and device nodes show up with their type but
//! opening one gives the pod's own object (a kernel FIFO, the kernel's
//! device by number), never the host's; device nodes can't be created;
//! host I/O happens under the kernel lock (a slow host filesystem stalls
//! the pod); no xattrs; set-user-ID bits on host files are honoured by the
//! pod's execve like any other (as the pod's root, never the host's).

use std::any::Any;
use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use parking_lot::Mutex;
use wasmpod_abi::Errno;
use wasmpod_kernel::fs::{DirEntry, FsStats, Inode, Metadata, NodeKind, SetAttr, Timespec};
use wasmpod_kernel::{Ctx, Error, Result};

/// The pod user (`Credentials::user()`).
const POD_ID: u32 = 1000;
/// First inode number for files on another host device.
const FOREIGN_INO_BASE: u64 = 1 << 48;

/// One mounted host directory.
pub struct HostFs {
    /// `st_dev` in the pod.
    dev: u64,
    /// Host `(st_dev, st_ino)` of the mounted directory.
    root_key: (u64, u64),
    read_only: bool,
    host_uid: u32,
    host_gid: u32,
    /// Inode numbers for files on other host devices.
    foreign: Mutex<HashMap<(u64, u64), u64>>,
}

/// A host file, directory or symlink.
pub struct HostInode {
    fs: Arc<HostFs>,
    /// `O_PATH` (or, for files this mount created, a read-write fd).
    fd: OwnedFd,
    io: Mutex<Io>,
}

#[derive(Default)]
struct Io {
    /// The open file for data, and whether it is writable.
    file: Option<(OwnedFd, bool)>,
    dir: Option<DirState>,
}

/// An open host directory stream and its cookie map.
struct DirState {
    fd: OwnedFd,
    /// Cookie `k` (>= 1) continues at host offset `offs[k - 1]`.
    offs: Vec<i64>,
    index: HashMap<i64, u64>,
}

impl DirState {
    fn cookie(&mut self, off: i64) -> u64 {
        if let Some(&c) = self.index.get(&off) {
            return c;
        }
        self.offs.push(off);
        let c = self.offs.len() as u64;
        self.index.insert(off, c);
        c
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

#[track_caller]
fn host_error(e: i32) -> Error {
    Error::new(Errno::from_i32(e).unwrap_or(Errno::EIO), "host filesystem")
}

#[track_caller]
fn cvt(r: libc::c_int) -> Result<libc::c_int> {
    if r < 0 {
        Err(host_error(errno()))
    } else {
        Ok(r)
    }
}

#[track_caller]
fn cvt_size(r: isize) -> Result<usize> {
    if r < 0 {
        Err(host_error(errno()))
    } else {
        Ok(r as usize)
    }
}

/// A single name component for a host `*at` call.
fn name_c(name: &[u8]) -> Result<CString> {
    if name.is_empty() {
        return Err(Error::new(Errno::ENOENT, "empty name"));
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Error::new(Errno::EINVAL, "host filesystem: bad name"));
    }
    Ok(CString::new(name).unwrap_or_default())
}

fn proc_path(fd: &OwnedFd) -> CString {
    CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default()
}

fn owned(fd: libc::c_int) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful open call and is ours.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn fstat(fd: &OwnedFd) -> Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `stat` and `fd` is open.
    cvt(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

fn openat(dir: &OwnedFd, name: &CString, flags: libc::c_int, mode: libc::mode_t) -> Result<OwnedFd> {
    // SAFETY: `name` is NUL-terminated; `dir` is open.
    let fd = cvt(unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC, mode) })?;
    Ok(owned(fd))
}

fn open_path(path: &CString, flags: libc::c_int) -> Result<OwnedFd> {
    // SAFETY: `path` is NUL-terminated.
    let fd = cvt(unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) })?;
    Ok(owned(fd))
}

const PATH_FLAGS: libc::c_int = libc::O_PATH | libc::O_NOFOLLOW;

impl HostFs {
    /// Opens the host directory `dir` as the root of a new filesystem.
    /// Errors are one-line messages for the command line.
    pub fn open(dir: &std::path::Path, read_only: bool) -> std::result::Result<Arc<dyn Inode>, String> {
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(dir.as_os_str().as_bytes()).map_err(|_| format!("{}: bad path", dir.display()))?;
        let why = |e: Error| format!("{}: {}", dir.display(), std::io::Error::from_raw_os_error(e.errno() as i32));
        let fd = open_path(&c, libc::O_PATH).map_err(why)?;
        let st = fstat(&fd).map_err(why)?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(format!("{}: not a directory", dir.display()));
        }
        let fs = Arc::new(HostFs {
            dev: wasmpod_kernel::fs::tmpfs::alloc_anon_dev(),
            root_key: (st.st_dev, st.st_ino),
            read_only,
            // SAFETY: these calls have no preconditions.
            host_uid: unsafe { libc::geteuid() },
            // SAFETY: as above.
            host_gid: unsafe { libc::getegid() },
            foreign: Mutex::new(HashMap::new()),
        });
        Ok(Arc::new(HostInode { fs, fd, io: Mutex::new(Io::default()) }))
    }

    /// Whether the host directory `fd` is the mounted directory or below
    /// it, by climbing `..` on the host until the root (yes) or the top of
    /// the host's tree (no). Guards `..` against directories that a host
    /// process moved out of the mounted tree while the pod held them.
    fn inside(&self, fd: &OwnedFd) -> Result<bool> {
        let dotdot = CString::from(c"..");
        let mut cur = fd.try_clone().map_err(|e| host_error(e.raw_os_error().unwrap_or(libc::EIO)))?;
        let mut st = fstat(&cur)?;
        // PATH_MAX/2 levels at most: deeper is not a real tree.
        for _ in 0..2048 {
            if (st.st_dev, st.st_ino) == self.root_key {
                return Ok(true);
            }
            let parent = openat(&cur, &dotdot, PATH_FLAGS | libc::O_DIRECTORY, 0)?;
            let pst = fstat(&parent)?;
            if (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino) {
                return Ok(false);
            }
            (cur, st) = (parent, pst);
        }
        Ok(false)
    }

    fn rw(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::new(Errno::EROFS, "read-only host mount"));
        }
        Ok(())
    }

    fn ino(&self, dev: u64, ino: u64) -> u64 {
        if dev == self.root_key.0 {
            return ino;
        }
        let mut m = self.foreign.lock();
        let n = FOREIGN_INO_BASE + m.len() as u64;
        *m.entry((dev, ino)).or_insert(n)
    }

    fn uid(&self, host: u32) -> u32 {
        if host != self.host_uid && host == 0 {
            0
        } else {
            POD_ID
        }
    }

    fn gid(&self, host: u32) -> u32 {
        if host != self.host_gid && host == 0 {
            0
        } else {
            POD_ID
        }
    }
}

impl HostInode {
    fn sibling(&self, fd: OwnedFd) -> Arc<HostInode> {
        Arc::new(HostInode { fs: self.fs.clone(), fd, io: Mutex::new(Io::default()) })
    }

    fn host_stat(&self) -> Result<libc::stat> {
        fstat(&self.fd)
    }

    fn is_root(&self) -> Result<bool> {
        let st = self.host_stat()?;
        Ok((st.st_dev, st.st_ino) == self.fs.root_key)
    }

    /// The other inode when it is on the same mount (`EXDEV` otherwise).
    fn same_fs<'a>(&self, other: &'a Arc<dyn Inode>) -> Result<&'a HostInode> {
        match other.as_any().downcast_ref::<HostInode>() {
            Some(o) if Arc::ptr_eq(&o.fs, &self.fs) => Ok(o),
            _ => Err(Error::new(Errno::EXDEV, "host filesystem: not on the same mount")),
        }
    }

    /// The data fd, opened (or reopened read-write) as needed.
    fn with_file<R>(&self, write: bool, f: impl FnOnce(&OwnedFd) -> Result<R>) -> Result<R> {
        let mut io = self.io.lock();
        let usable = io.file.as_ref().is_some_and(|(_, w)| *w || !write);
        if !usable {
            // Only regular files are ever opened for data on the host (a
            // FIFO's open could block the kernel); O_NONBLOCK as a second
            // guard against a file swapped for a FIFO meanwhile.
            if self.file_type()? != libc::S_IFREG {
                return Err(Error::new(Errno::EINVAL, "host filesystem: not a regular file"));
            }
            let flags = libc::O_NONBLOCK | if write { libc::O_RDWR } else { libc::O_RDONLY };
            let path = proc_path(&self.fd);
            let fd = match open_path(&path, flags) {
                Err(e) if write && e.errno() == Errno::EACCES => open_path(&path, libc::O_WRONLY | libc::O_NONBLOCK)?,
                r => r?,
            };
            io.file = Some((fd, write));
        }
        match &io.file {
            Some((fd, _)) => f(fd),
            None => Err(Error::new(Errno::EIO, "host filesystem: no open file")),
        }
    }

    /// Opens `name` (just made in this directory) as an `O_PATH` inode
    /// and gives it mode `mode` exactly (the host's umask is not ours).
    fn made(&self, name: &CString, mode: Option<u32>) -> Result<Arc<dyn Inode>> {
        let fd = openat(&self.fd, name, PATH_FLAGS, 0)?;
        if let Some(mode) = mode {
            let p = proc_path(&fd);
            // SAFETY: `p` is NUL-terminated.
            cvt(unsafe { libc::chmod(p.as_ptr(), (mode & 0o7777) as libc::mode_t) })?;
        }
        Ok(self.sibling(fd))
    }

    fn file_type(&self) -> Result<u32> {
        Ok(self.host_stat()?.st_mode & libc::S_IFMT)
    }
}

fn ts(sec: i64, nsec: i64) -> Timespec {
    Timespec { sec, nsec: nsec.clamp(0, 999_999_999) as u32 }
}

fn host_ts(t: Option<Timespec>) -> libc::timespec {
    match t {
        Some(t) => libc::timespec { tv_sec: t.sec as libc::time_t, tv_nsec: libc::c_long::from(t.nsec as i32) },
        None => libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT },
    }
}

impl Inode for HostInode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        let st = self.host_stat()?;
        Ok(Metadata {
            dev: self.fs.dev,
            ino: self.fs.ino(st.st_dev, st.st_ino),
            mode: st.st_mode,
            nlink: st.st_nlink as u32,
            uid: self.fs.uid(st.st_uid),
            gid: self.fs.gid(st.st_gid),
            rdev: st.st_rdev,
            size: st.st_size as u64,
            blksize: st.st_blksize as u32,
            blocks: st.st_blocks as u64,
            atime: ts(st.st_atime, st.st_atime_nsec),
            mtime: ts(st.st_mtime, st.st_mtime_nsec),
            ctime: ts(st.st_ctime, st.st_ctime_nsec),
        })
    }

    fn set_attr(&self, _ctx: &mut Ctx, attr: &SetAttr) -> Result<()> {
        self.fs.rw()?;
        let st = self.host_stat()?;
        let is_link = st.st_mode & libc::S_IFMT == libc::S_IFLNK;
        let path = proc_path(&self.fd);
        if attr.uid.is_some_and(|u| u != self.fs.uid(st.st_uid))
            || attr.gid.is_some_and(|g| g != self.fs.gid(st.st_gid))
        {
            return Err(Error::new(Errno::EPERM, "host filesystem: ownership can't be changed"));
        }
        if let Some(size) = attr.size {
            let size = libc::off_t::try_from(size).map_err(|_| Error::new(Errno::EFBIG, "size too large"))?;
            self.with_file(true, |fd| {
                // SAFETY: `fd` is open.
                cvt(unsafe { libc::ftruncate(fd.as_raw_fd(), size) })
            })?;
        }
        if let Some(mode) = attr.mode {
            if is_link {
                return Err(Error::new(Errno::EOPNOTSUPP, "chmod of a symlink"));
            }
            // SAFETY: `path` is NUL-terminated.
            cvt(unsafe { libc::chmod(path.as_ptr(), (mode & 0o7777) as libc::mode_t) })?;
        }
        if attr.atime.is_some() || attr.mtime.is_some() {
            let times = [host_ts(attr.atime), host_ts(attr.mtime)];
            if is_link {
                let empty = CString::default();
                // SAFETY: `times` holds two timespecs; `empty` is NUL-terminated.
                cvt(unsafe {
                    libc::utimensat(self.fd.as_raw_fd(), empty.as_ptr(), times.as_ptr(), libc::AT_EMPTY_PATH)
                })?;
            } else {
                // SAFETY: as above.
                cvt(unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), times.as_ptr(), 0) })?;
            }
        }
        Ok(())
    }

    fn read_at(&self, _ctx: &mut Ctx, off: u64, buf: &mut [u8]) -> Result<usize> {
        let off = libc::off_t::try_from(off).map_err(|_| Error::new(Errno::EINVAL, "offset too large"))?;
        self.with_file(false, |fd| {
            // SAFETY: `buf` is valid for `buf.len()` bytes.
            cvt_size(unsafe { libc::pread(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), off) })
        })
    }

    fn write_at(&self, _ctx: &mut Ctx, off: u64, data: &[u8]) -> Result<usize> {
        self.fs.rw()?;
        let off = libc::off_t::try_from(off).map_err(|_| Error::new(Errno::EFBIG, "offset too large"))?;
        self.with_file(true, |fd| {
            // SAFETY: `data` is valid for `data.len()` bytes.
            cvt_size(unsafe { libc::pwrite(fd.as_raw_fd(), data.as_ptr().cast(), data.len(), off) })
        })
    }

    fn sync(&self, _ctx: &mut Ctx) -> Result<()> {
        let fd = match self.file_type()? {
            libc::S_IFDIR => openat(&self.fd, &CString::from(c"."), libc::O_RDONLY | libc::O_DIRECTORY, 0)?,
            libc::S_IFREG => open_path(&proc_path(&self.fd), libc::O_RDONLY | libc::O_NONBLOCK)?,
            // Symlinks, FIFOs, sockets, devices: nothing of ours to write back.
            _ => return Ok(()),
        };
        // SAFETY: `fd` is open.
        cvt(unsafe { libc::fsync(fd.as_raw_fd()) })?;
        Ok(())
    }

    fn lookup(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let fd = match name {
            b"." => self.fd.try_clone().map_err(|e| host_error(e.raw_os_error().unwrap_or(libc::EIO)))?,
            b".." if self.is_root()? => {
                self.fd.try_clone().map_err(|e| host_error(e.raw_os_error().unwrap_or(libc::EIO)))?
            }
            b".." => {
                let parent = openat(&self.fd, &CString::from(c".."), PATH_FLAGS | libc::O_DIRECTORY, 0)?;
                if !self.fs.inside(&parent)? {
                    return Err(Error::new(Errno::ENOENT, "host filesystem: directory moved out of the mount"));
                }
                parent
            }
            _ => openat(&self.fd, &name_c(name)?, PATH_FLAGS, 0)?,
        };
        Ok(self.sibling(fd))
    }

    fn create(
        &self,
        _ctx: &mut Ctx,
        name: &[u8],
        kind: NodeKind,
        mode: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<Arc<dyn Inode>> {
        self.fs.rw()?;
        let c = name_c(name)?;
        let perm = (mode & 0o7777) as libc::mode_t;
        let node = |fmt: libc::mode_t| -> Result<Arc<dyn Inode>> {
            // SAFETY: `c` is NUL-terminated; `self.fd` is open.
            cvt(unsafe { libc::mknodat(self.fd.as_raw_fd(), c.as_ptr(), fmt | perm, 0) })?;
            self.made(&c, Some(mode))
        };
        match kind {
            NodeKind::Regular => {
                let fd = openat(&self.fd, &c, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_NOFOLLOW, perm)?;
                // SAFETY: `fd` is open.
                cvt(unsafe { libc::fchmod(fd.as_raw_fd(), perm) })?;
                let data = fd.try_clone().map_err(|e| host_error(e.raw_os_error().unwrap_or(libc::EIO)))?;
                let inode = self.sibling(fd);
                inode.io.lock().file = Some((data, true));
                Ok(inode)
            }
            NodeKind::Directory => {
                // SAFETY: `c` is NUL-terminated; `self.fd` is open.
                cvt(unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), perm) })?;
                self.made(&c, Some(mode))
            }
            NodeKind::Fifo => node(libc::S_IFIFO),
            NodeKind::Socket => node(libc::S_IFSOCK),
            NodeKind::CharDevice(_) | NodeKind::BlockDevice(_) => {
                Err(Error::new(Errno::EPERM, "host filesystem: device nodes can't be made"))
            }
            NodeKind::Symlink => Err(Error::new(Errno::EINVAL, "symlinks are made with symlink()")),
        }
    }

    fn create_tmpfile(
        &self,
        _ctx: &mut Ctx,
        mode: u32,
        _uid: u32,
        _gid: u32,
        linkable: bool,
    ) -> Result<Arc<dyn Inode>> {
        self.fs.rw()?;
        let perm = (mode & 0o7777) as libc::mode_t;
        let excl = if linkable { 0 } else { libc::O_EXCL };
        let fd = openat(&self.fd, &CString::from(c"."), libc::O_TMPFILE | libc::O_RDWR | excl, perm)?;
        // SAFETY: `fd` is open.
        cvt(unsafe { libc::fchmod(fd.as_raw_fd(), perm) })?;
        let data = fd.try_clone().map_err(|e| host_error(e.raw_os_error().unwrap_or(libc::EIO)))?;
        let inode = self.sibling(fd);
        inode.io.lock().file = Some((data, true));
        Ok(inode)
    }

    fn symlink(&self, _ctx: &mut Ctx, name: &[u8], target: &[u8], _uid: u32, _gid: u32) -> Result<Arc<dyn Inode>> {
        self.fs.rw()?;
        let c = name_c(name)?;
        let t = CString::new(target).map_err(|_| Error::new(Errno::EINVAL, "NUL in symlink target"))?;
        // SAFETY: both strings are NUL-terminated; `self.fd` is open.
        cvt(unsafe { libc::symlinkat(t.as_ptr(), self.fd.as_raw_fd(), c.as_ptr()) })?;
        self.made(&c, None)
    }

    fn link(&self, _ctx: &mut Ctx, name: &[u8], target: &Arc<dyn Inode>) -> Result<()> {
        self.fs.rw()?;
        let t = self.same_fs(target)?;
        let c = name_c(name)?;
        let empty = CString::default();
        // First through AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH on the
        // host), else through the magic link.
        // SAFETY: strings are NUL-terminated; fds are open.
        let r = unsafe {
            libc::linkat(t.fd.as_raw_fd(), empty.as_ptr(), self.fd.as_raw_fd(), c.as_ptr(), libc::AT_EMPTY_PATH)
        };
        if r == 0 {
            return Ok(());
        }
        let e = errno();
        if e != libc::ENOENT && e != libc::EPERM {
            return Err(host_error(e));
        }
        let p = proc_path(&t.fd);
        // SAFETY: as above.
        cvt(unsafe {
            libc::linkat(libc::AT_FDCWD, p.as_ptr(), self.fd.as_raw_fd(), c.as_ptr(), libc::AT_SYMLINK_FOLLOW)
        })?;
        Ok(())
    }

    fn unlink(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        self.fs.rw()?;
        let c = name_c(name)?;
        // SAFETY: `c` is NUL-terminated; `self.fd` is open.
        cvt(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) })?;
        Ok(())
    }

    fn rmdir(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        self.fs.rw()?;
        let c = name_c(name)?;
        // SAFETY: as in unlink.
        cvt(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) })?;
        Ok(())
    }

    fn rename(
        &self,
        _ctx: &mut Ctx,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<()> {
        self.fs.rw()?;
        let nd = self.same_fs(new_dir)?;
        let (o, n) = (name_c(old_name)?, name_c(new_name)?);
        // SAFETY: strings are NUL-terminated; fds are open.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                self.fd.as_raw_fd(),
                o.as_ptr(),
                nd.fd.as_raw_fd(),
                n.as_ptr(),
                flags as libc::c_uint,
            )
        };
        if r < 0 {
            return Err(host_error(errno()));
        }
        Ok(())
    }

    fn readdir(&self, _ctx: &mut Ctx, cookie: u64, sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        let root_ino = if self.is_root()? { Some(self.host_stat()?.st_ino) } else { None };
        let mut io = self.io.lock();
        if io.dir.is_none() {
            let fd = openat(&self.fd, &CString::from(c"."), libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
            io.dir = Some(DirState { fd, offs: Vec::new(), index: HashMap::new() });
        }
        let Some(d) = io.dir.as_mut() else { return Ok(()) };
        let start = match cookie {
            0 => 0,
            c => match d.offs.get((c - 1) as usize) {
                Some(&off) => off,
                None => return Ok(()),
            },
        };
        // SAFETY: `d.fd` is open.
        if unsafe { libc::lseek(d.fd.as_raw_fd(), start, libc::SEEK_SET) } < 0 {
            return Err(host_error(errno()));
        }
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            // SAFETY: `buf` is valid for its length; `d.fd` is open.
            let n = unsafe { libc::syscall(libc::SYS_getdents64, d.fd.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
            if n < 0 {
                return Err(host_error(errno()));
            }
            if n == 0 {
                return Ok(());
            }
            let mut at = 0usize;
            while at + 19 <= n as usize {
                let rec = &buf[at..n as usize];
                let ino = u64::from_ne_bytes(rec[0..8].try_into().unwrap_or_default());
                let off = i64::from_ne_bytes(rec[8..16].try_into().unwrap_or_default());
                let reclen = usize::from(u16::from_ne_bytes([rec[16], rec[17]]));
                let kind = rec[18];
                if reclen < 19 || reclen > rec.len() {
                    return Err(Error::new(Errno::EIO, "host filesystem: bad directory record"));
                }
                let name_bytes = &rec[19..reclen];
                let name = &name_bytes[..name_bytes.iter().position(|&b| b == 0).unwrap_or(name_bytes.len())];
                at += reclen;
                let ino = match (name, root_ino) {
                    (b"..", Some(r)) => r,
                    _ => ino,
                };
                let next = d.cookie(off);
                if !sink(DirEntry { ino, name: name.to_vec(), kind, next }) {
                    return Ok(());
                }
            }
        }
    }

    fn readlink(&self, _ctx: &mut Ctx) -> Result<Vec<u8>> {
        let empty = CString::default();
        let mut buf = vec![0u8; 4096];
        // SAFETY: `buf` is valid for its length; `self.fd` is open.
        let n = cvt_size(unsafe {
            libc::readlinkat(self.fd.as_raw_fd(), empty.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        })?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Regular files are opened on the host here with the access asked
    /// for, so that the host's refusal shows at open(2), not at the first
    /// read or write.
    fn open(&self, _ctx: &mut Ctx, flags: u32) -> Result<Option<Arc<dyn wasmpod_kernel::fs::FileOps>>> {
        if self.file_type()? == libc::S_IFREG {
            let acc = flags & wasmpod_abi::fcntl::O_ACCMODE;
            let write = acc != wasmpod_abi::fcntl::O_RDONLY;
            if write {
                self.fs.rw()?;
            }
            self.with_file(write, |_| Ok(()))?;
        }
        Ok(None)
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        // SAFETY: an all-zero `statfs` is a valid value of this C struct.
        let mut s: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: `s` is writable; `self.fd` is open.
        cvt(unsafe { libc::fstatfs(self.fd.as_raw_fd(), &mut s) })?;
        Ok(FsStats {
            fs_type: s.f_type as u32,
            block_size: s.f_bsize as u32,
            blocks: s.f_blocks,
            blocks_free: s.f_bfree,
            blocks_avail: s.f_bavail,
            files: s.f_files,
            files_free: s.f_ffree,
            name_max: s.f_namelen as u32,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
