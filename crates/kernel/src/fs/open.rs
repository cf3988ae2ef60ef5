//! open(2): `openat`, and [`do_open`] behind `fs::open_path`.
//!
//! `O_TMPFILE` works on filesystems that implement
//! `Inode::create_tmpfile` (tmpfs); others say `EOPNOTSUPP`, as Linux does.
//! Not supported yet: `openat2`'s `RESOLVE_*` flags.

use std::sync::Arc;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::misc::RLIMIT_NOFILE;

use super::devfs::DeviceFile;
use super::file::{FileOps, OpenFile};
use super::inode::{Metadata, NodeKind, SetAttr, Timespec};
use super::inode_file::InodeFile;
use super::vfs::{self, join_path, may, Location, Parent, MAY_EXEC, MAY_READ, MAY_WRITE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::platform::ClockKind;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// The wall clock as a timestamp.
pub fn now(ctx: &Ctx) -> Timespec {
    Timespec::from_nanos(ctx.platform().now(ClockKind::Realtime))
}

/// Owner of a new inode in directory `dir`: the caller's fsuid, and the
/// directory's group if it is set-group-ID, else the caller's fsgid
/// (mkdir(2), open(2) "O_CREAT").
pub fn new_owner(ctx: &Ctx, dir: &Metadata) -> (u32, u32) {
    let c = vfs::creds(ctx);
    let gid = if dir.mode & S_ISGID != 0 { dir.gid } else { c.fsgid };
    (c.fsuid, gid)
}

/// The caller's umask.
pub fn umask(ctx: &Ctx) -> u32 {
    vfs::caller(ctx).map_or(0o022, |p| p.umask)
}

/// Creates `name` in `dir` after the checks every creating call makes:
/// search permission, `EEXIST` if it exists (symlinks are not followed),
/// write permission on the directory.
pub fn create_in(ctx: &mut Ctx, dir: &Location, name: &[u8], kind: NodeKind, mode: u32) -> Result<Location> {
    let dmeta = check_can_create(ctx, dir, name)?;
    let (uid, gid) = new_owner(ctx, &dmeta);
    let inode = dir.inode.create(ctx, name, kind, mode, uid, gid)?;
    Ok(Location { mount: dir.mount, inode, path: join_path(&dir.path, name) })
}

/// The checks of [`create_in`]; returns the directory's metadata.
pub fn check_can_create(ctx: &mut Ctx, dir: &Location, name: &[u8]) -> Result<Metadata> {
    let dmeta = dir.inode.metadata(ctx)?;
    may(ctx, &dmeta, MAY_EXEC)?;
    match dir.inode.lookup(ctx, name) {
        Ok(_) => return_errno!(EEXIST, "file exists"),
        Err(e) if e == wasmpod_abi::Errno::ENOENT => {}
        Err(e) => return Err(e),
    }
    vfs::check_rw(ctx, dir.mount)?;
    may(ctx, &dmeta, MAY_WRITE)?;
    Ok(dmeta)
}

/// The O_CREAT walk: the last component is created if missing; an existing
/// dangling symlink is followed and its target created (open(2)).
fn open_create(ctx: &mut Ctx, mut p: Parent, flags: u32, mode: u32) -> Result<(Location, bool)> {
    loop {
        let Some(name) = p.name.clone() else { return_errno!(EISDIR, "O_CREAT on a directory") };
        if p.is_dot() || p.trailing_slash {
            return_errno!(EISDIR, "O_CREAT on a directory");
        }
        match vfs::step(ctx, &p.dir, &name) {
            Ok(loc) => {
                if flags & O_EXCL != 0 {
                    return_errno!(EEXIST, "O_EXCL: file exists");
                }
                let meta = loc.inode.metadata(ctx)?;
                if !vfs::is_symlink(&meta) {
                    return Ok((loc, false));
                }
                if flags & O_NOFOLLOW != 0 {
                    return_errno!(ELOOP, "O_NOFOLLOW: final component is a symlink");
                }
                // An existing target (or a /proc magic link) is opened as is;
                // only a dangling link goes on to create its target.
                let mut links = p.links;
                match vfs::follow_link(ctx, &p.dir, loc.clone(), &mut links) {
                    Ok(target) => return Ok((target, false)),
                    Err(e) if e == wasmpod_abi::Errno::ENOENT => {}
                    Err(e) => return Err(e),
                }
                let mut links = p.links + 1;
                if links > vfs::MAXSYMLINKS {
                    return_errno!(ELOOP, "too many levels of symbolic links");
                }
                let target = loc.inode.readlink(ctx)?;
                if target.is_empty() {
                    return_errno!(ENOENT, "empty symlink");
                }
                p = vfs::walk_parent_from(ctx, p.dir.clone(), &target, &mut links)?;
                p.links = links;
            }
            Err(e) if e == wasmpod_abi::Errno::ENOENT => {
                let mode = mode & !umask(ctx) & 0o7777;
                let loc = create_in(ctx, &p.dir, &name, NodeKind::Regular, mode)?;
                return Ok((loc, true));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Opens `path` (see `fs::open_path`).
pub fn do_open(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u32, mode: u32) -> Result<Arc<OpenFile>> {
    if flags & __O_TMPFILE != 0 {
        return open_tmpfile(ctx, dirfd, path, flags, mode);
    }
    // open(2), O_PATH: "When O_PATH is specified in flags, flag bits other
    // than O_CLOEXEC, O_DIRECTORY, and O_NOFOLLOW are ignored."
    let flags = if flags & O_PATH != 0 { flags & (O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW) } else { flags };
    let acc = flags & O_ACCMODE;
    if acc == O_ACCMODE {
        return_errno!(EINVAL, "invalid access mode");
    }
    // Linux 6.4+: "EINVAL ... O_CREAT and O_DIRECTORY were both specified".
    if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
        return_errno!(EINVAL, "O_CREAT with O_DIRECTORY");
    }
    let p = vfs::lookup_parent(ctx, dirfd, path)?;
    let (loc, created) = if flags & O_CREAT != 0 {
        open_create(ctx, p, flags, mode)?
    } else {
        (vfs::resolve_last(ctx, &p, flags & O_NOFOLLOW == 0)?, false)
    };
    let meta = loc.inode.metadata(ctx)?;
    let is_dir = vfs::is_dir(&meta);
    if flags & O_DIRECTORY != 0 && !is_dir {
        return_errno!(ENOTDIR, "O_DIRECTORY on a non-directory");
    }
    if flags & O_PATH != 0 {
        let path = loc.path.clone();
        return Ok(OpenFile::with_path(InodeFile::new(loc, is_dir), flags, path));
    }
    if vfs::is_symlink(&meta) {
        return_errno!(ELOOP, "O_NOFOLLOW: final component is a symlink");
    }
    let mut want = 0;
    if acc == O_RDONLY || acc == O_RDWR {
        want |= MAY_READ;
    }
    if acc == O_WRONLY || acc == O_RDWR || flags & O_TRUNC != 0 {
        want |= MAY_WRITE;
    }
    if is_dir && (want & MAY_WRITE != 0 || flags & O_CREAT != 0) {
        return_errno!(EISDIR, "cannot open a directory for writing");
    }
    let fmt = meta.mode & S_IFMT;
    if want & MAY_WRITE != 0 && (fmt == S_IFREG || fmt == S_IFDIR || fmt == S_IFLNK) {
        vfs::check_rw(ctx, loc.mount)?;
    }
    // A file this call created is opened with the access asked for,
    // whatever its mode (open(2): the mode "applies to future accesses").
    if !created {
        may(ctx, &meta, want)?;
    }
    if flags & O_TRUNC != 0 && fmt == S_IFREG && !created {
        let t = now(ctx);
        loc.inode.set_attr(ctx, &SetAttr { size: Some(0), mtime: Some(t), ctime: Some(t), ..Default::default() })?;
    }
    let path = loc.path.clone();
    // A /proc/<pid>/fd/<n> link to a file without a path: that file's ops.
    if let Some(ops) = super::procfs::magic_open(&loc) {
        return Ok(OpenFile::with_path(ops, flags, path));
    }
    let ops: Arc<dyn FileOps> = match fmt {
        S_IFCHR => {
            let inner = match loc.inode.open(ctx, flags)? {
                Some(ops) => ops,
                None => super::devices::open_chrdev(ctx, meta.rdev, flags)?,
            };
            Arc::new(DeviceFile { inner, loc })
        }
        S_IFIFO => super::pipe::open_fifo(ctx, loc.inode.clone(), flags)?,
        S_IFSOCK => return_errno!(ENXIO, "open of a socket"),
        S_IFBLK => return_errno!(ENXIO, "no block devices"),
        _ => match loc.inode.open(ctx, flags)? {
            Some(ops) => ops,
            None => InodeFile::new(loc, is_dir),
        },
    };
    Ok(OpenFile::with_path(ops, flags, path))
}

/// open(2), O_TMPFILE: "Create an unnamed temporary regular file. The
/// pathname argument specifies a directory"; it must be opened for
/// writing (`EINVAL` otherwise). Without `O_EXCL` it may be linked into
/// the tree later (linkat with `AT_EMPTY_PATH`).
fn open_tmpfile(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u32, mode: u32) -> Result<Arc<OpenFile>> {
    let acc = flags & O_ACCMODE;
    if flags & O_TMPFILE != O_TMPFILE || (acc != O_WRONLY && acc != O_RDWR) || flags & O_CREAT != 0 {
        return_errno!(EINVAL, "O_TMPFILE needs O_DIRECTORY and write access, without O_CREAT");
    }
    let dir = vfs::resolve(ctx, dirfd, path, true)?;
    let dmeta = dir.inode.metadata(ctx)?;
    if !vfs::is_dir(&dmeta) {
        return_errno!(ENOTDIR, "O_TMPFILE: not a directory");
    }
    vfs::check_rw(ctx, dir.mount)?;
    may(ctx, &dmeta, MAY_WRITE | MAY_EXEC)?;
    let (uid, gid) = new_owner(ctx, &dmeta);
    let mode = mode & !umask(ctx) & 0o7777;
    let inode = dir.inode.create_tmpfile(ctx, mode, uid, gid, flags & O_EXCL == 0)?;
    let ino = inode.metadata(ctx)?.ino;
    let name = format!("#{ino}");
    let loc = Location { mount: dir.mount, inode, path: join_path(&dir.path, name.as_bytes()) };
    let path = loc.path.clone();
    Ok(OpenFile::with_path(InodeFile::new(loc, false), flags & !O_DIRECTORY, path))
}

/// Installs `file` at the lowest free fd (open(2)), within RLIMIT_NOFILE.
pub fn install_fd(ctx: &mut Ctx, file: Arc<OpenFile>, cloexec: bool) -> Result<i32> {
    let limit = ctx.process().rlimits[RLIMIT_NOFILE as usize].cur;
    ctx.process_mut().files.alloc(file, cloexec, 0, limit)
}

/// Implements openat(2): `(dirfd, path, flags, mode)`.
pub fn sys_openat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(1))?;
    let flags = a.u32(2);
    let file = do_open(ctx, a.fd(0), &path, flags, a.u32(3))?;
    install_fd(ctx, file, flags & O_CLOEXEC != 0).map(i64::from)
}

/// Implements openat2(2): `(dirfd, path, how, size)` with `struct open_how
/// { u64 flags; u64 mode; u64 resolve; }`. No `RESOLVE_*` flags yet
/// (`EINVAL`... as Linux does for unknown ones).
pub fn sys_openat2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let size = a.usize(3);
    if size < 24 {
        return_errno!(EINVAL, "open_how too small");
    }
    // openat2(2): E2BIG for a size over a page or unknown non-zero fields.
    if size > 4096 {
        return_errno!(E2BIG, "open_how larger than a page");
    }
    let raw = ctx.read_user_vec(a.ptr(2), size)?;
    if raw[24..].iter().any(|&b| b != 0) {
        return_errno!(E2BIG, "open_how has unknown non-zero fields");
    }
    let word = |i: usize| u64::from_le_bytes(raw[i..i + 8].try_into().unwrap_or([0; 8]));
    let (flags, mode, resolve) = (word(0), word(8), word(16));
    if flags > u64::from(u32::MAX) || flags as u32 & !O_VALID_MASK != 0 {
        return_errno!(EINVAL, "openat2: unknown flags");
    }
    if mode > 0o7777 || (mode != 0 && flags as u32 & (O_CREAT | __O_TMPFILE) == 0) {
        return_errno!(EINVAL, "openat2: mode without O_CREAT");
    }
    if resolve != 0 {
        return_errno!(EINVAL, "openat2: RESOLVE_* flags are not supported");
    }
    let path = ctx.read_path(a.ptr(1))?;
    let file = do_open(ctx, a.fd(0), &path, flags as u32, mode as u32)?;
    install_fd(ctx, file, flags as u32 & O_CLOEXEC != 0).map(i64::from)
}

#[cfg(test)]
#[allow(dead_code)]
pub(crate) mod test_util {
    use crate::testing::Proc;
    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::syscalls::*;

    pub fn open(p: &Proc, path: &str, flags: u32, mode: u32) -> i64 {
        p.sys(SYS_openat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(flags), u64::from(mode)])
    }
    pub fn write(p: &Proc, fd: i64, data: &[u8]) -> i64 {
        let b = p.bytes(data);
        p.sys(SYS_write, &[fd as u64, u64::from(b), data.len() as u64])
    }
    pub fn read(p: &Proc, fd: i64, n: usize) -> Vec<u8> {
        let b = p.alloc(n.max(1));
        let r = p.sys(SYS_read, &[fd as u64, u64::from(b), n as u64]);
        assert!(r >= 0, "read failed: {r}");
        p.read(b, r as usize)
    }
    pub fn close(p: &Proc, fd: i64) -> i64 {
        p.sys(SYS_close, &[fd as u64])
    }
    pub fn mkdir(p: &Proc, path: &str, mode: u32) -> i64 {
        p.sys(SYS_mkdirat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(mode)])
    }
    pub fn errno(e: wasmpod_abi::Errno) -> i64 {
        -i64::from(e.as_i32())
    }
    /// Creates `path` with `data`.
    pub fn put(p: &Proc, path: &str, data: &[u8]) {
        let fd = open(p, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
        assert!(fd >= 0, "create {path}: {fd}");
        assert_eq!(write(p, fd, data), data.len() as i64);
        close(p, fd);
    }
    /// stat(2) of `path` (`Err(-errno)`).
    pub fn stat(p: &Proc, path: &str) -> Result<wasmpod_abi::fs::stat, i64> {
        stat_at(p, path, 0)
    }
    pub fn lstat(p: &Proc, path: &str) -> Result<wasmpod_abi::fs::stat, i64> {
        stat_at(p, path, AT_SYMLINK_NOFOLLOW)
    }
    pub fn stat_at(p: &Proc, path: &str, flags: u32) -> Result<wasmpod_abi::fs::stat, i64> {
        let buf = p.alloc(128);
        let r = p.sys(SYS_newfstatat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(buf), u64::from(flags)]);
        if r < 0 {
            Err(r)
        } else {
            Ok(p.read_struct(buf))
        }
    }
    pub fn fstat(p: &Proc, fd: i64) -> wasmpod_abi::fs::stat {
        let buf = p.alloc(128);
        assert_eq!(p.sys(SYS_fstat, &[fd as u64, u64::from(buf)]), 0);
        p.read_struct(buf)
    }
    pub fn symlink(p: &Proc, target: &str, path: &str) -> i64 {
        p.sys(SYS_symlinkat, &[p.cstr(target), AT_FDCWD as u32 as u64, p.cstr(path)])
    }
    pub fn unlink(p: &Proc, path: &str) -> i64 {
        p.sys(SYS_unlinkat, &[AT_FDCWD as u32 as u64, p.cstr(path), 0])
    }
    pub fn rmdir(p: &Proc, path: &str) -> i64 {
        p.sys(SYS_unlinkat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(AT_REMOVEDIR)])
    }
    pub fn rename(p: &Proc, a: &str, b: &str) -> i64 {
        rename2(p, a, b, 0)
    }
    pub fn rename2(p: &Proc, a: &str, b: &str, flags: u32) -> i64 {
        let at = AT_FDCWD as u32 as u64;
        p.sys(SYS_renameat2, &[at, p.cstr(a), at, p.cstr(b), u64::from(flags)])
    }
    pub fn chdir(p: &Proc, path: &str) -> i64 {
        p.sys(SYS_chdir, &[p.cstr(path)])
    }
    pub fn getcwd(p: &Proc) -> Result<String, i64> {
        let b = p.alloc(4096);
        let r = p.sys(SYS_getcwd, &[u64::from(b), 4096]);
        if r < 0 {
            return Err(r);
        }
        Ok(String::from_utf8(p.read(b, r as usize - 1)).expect("utf8"))
    }
    pub fn lseek(p: &Proc, fd: i64, off: i64, whence: u32) -> i64 {
        let res = p.alloc(8);
        let r = p.sys(
            SYS_lseek,
            &[fd as u64, off as u64 & 0xffff_ffff, (off as u64) >> 32, u64::from(whence), u64::from(res)],
        );
        if r < 0 {
            r
        } else {
            p.read_u64(res) as i64
        }
    }
    /// Every name in directory `path` via getdents64 with a buffer of `bufsize`.
    pub fn list(p: &Proc, path: &str, bufsize: usize) -> Vec<String> {
        let fd = open(p, path, O_RDONLY | O_DIRECTORY, 0);
        assert!(fd >= 0, "open dir {path}: {fd}");
        let names = list_fd(p, fd, bufsize);
        close(p, fd);
        names
    }
    pub fn list_fd(p: &Proc, fd: i64, bufsize: usize) -> Vec<String> {
        let buf = p.alloc(bufsize);
        let mut names = Vec::new();
        loop {
            let n = p.sys(SYS_getdents64, &[fd as u64, u64::from(buf), bufsize as u64]);
            assert!(n >= 0, "getdents64: {n}");
            if n == 0 {
                break;
            }
            let data = p.read(buf, n as usize);
            let mut off = 0;
            while off < data.len() {
                let reclen = u16::from_le_bytes([data[off + 16], data[off + 17]]) as usize;
                let name = &data[off + 19..off + reclen];
                let end = name.iter().position(|&c| c == 0).expect("NUL");
                names.push(String::from_utf8(name[..end].to_vec()).expect("utf8"));
                off += reclen;
            }
        }
        names
    }
    /// Reads all of `path`.
    pub fn get(p: &Proc, path: &str) -> Vec<u8> {
        let fd = open(p, path, O_RDONLY, 0);
        assert!(fd >= 0, "open {path}: {fd}");
        let d = read(p, fd, 1 << 16);
        close(p, fd);
        d
    }
}
