//! Changing and checking attributes (Linux's `fs/attr.c`, `fs/open.c`):
//! chmod, chown, utimensat, truncate, fallocate, access, umask.

use std::sync::Arc;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::time::timespec;

use super::inode::{Inode, SetAttr, Timespec};
use super::mount::MountId;
use super::open::now;
use super::vfs::{self, check_perm, in_group, may, owner_or_root, IdKind, MAY_WRITE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// The inode behind `fd` for the f* calls (`EBADF` for `O_PATH` fds and
/// files without an inode, such as pipes).
fn fd_inode(ctx: &Ctx, fd: i32) -> Result<Arc<dyn Inode>> {
    let f = ctx.file(fd)?;
    if f.is_path_only() {
        return_errno!(EBADF, "O_PATH fd");
    }
    if let Some(l) = super::inode_file::location_of(&f) {
        vfs::check_rw(ctx, l.mount)?;
    }
    f.ops.inode().ok_or(errno!(EBADF, "file has no inode"))
}

/// The inode `(dirfd, path)` names and the mount it is on, when known;
/// `AT_EMPTY_PATH` means the fd itself (O_PATH fds allowed).
fn at_target(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u32) -> Result<(Arc<dyn Inode>, Option<MountId>)> {
    match vfs::resolve_at(ctx, dirfd, path, flags & AT_EMPTY_PATH != 0, flags & AT_SYMLINK_NOFOLLOW == 0)? {
        Some(l) => Ok((l.inode, Some(l.mount))),
        None if dirfd == AT_FDCWD => {
            let l = vfs::cwd_location(ctx);
            Ok((l.inode, Some(l.mount)))
        }
        None => {
            let f = ctx.file(dirfd)?;
            let mount = super::inode_file::location_of(&f).map(|l| l.mount);
            Ok((f.ops.inode().ok_or(errno!(EBADF, "file has no inode"))?, mount))
        }
    }
}

/// [`at_target`]'s inode, for a call that changes the inode (`EROFS` on a read-only mount).
fn at_inode_rw(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u32) -> Result<Arc<dyn Inode>> {
    let (inode, mount) = at_target(ctx, dirfd, path, flags)?;
    if let Some(m) = mount {
        vfs::check_rw(ctx, m)?;
    }
    Ok(inode)
}

// ---- chmod ------------------------------------------------------------------

/// chmod on an inode: owner or root (`EPERM`); chmod(2): an unprivileged
/// caller not in the file's group loses `S_ISGID` silently.
pub fn do_chmod(ctx: &mut Ctx, inode: &Arc<dyn Inode>, mode: u32) -> Result<()> {
    let m = inode.metadata(ctx)?;
    if !owner_or_root(ctx, &m) {
        return_errno!(EPERM, "chmod: not the owner");
    }
    if vfs::is_symlink(&m) {
        return_errno!(EOPNOTSUPP, "chmod of a symlink");
    }
    let mut mode = mode & 0o7777;
    let c = &ctx.process().creds;
    if c.fsuid != 0 && !in_group(c, IdKind::Fs, m.gid) {
        mode &= !S_ISGID;
    }
    let t = now(ctx);
    inode.set_attr(ctx, &SetAttr { mode: Some(mode), ctime: Some(t), ..Default::default() })
}

/// Implements fchmod(2): `(fd, mode)`.
pub fn sys_fchmod(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let inode = fd_inode(ctx, a.fd(0))?;
    do_chmod(ctx, &inode, a.u32(1))?;
    Ok(0)
}

/// Implements fchmodat(2): `(dirfd, path, mode)` (the raw call has no flags).
pub fn sys_fchmodat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(1))?;
    let inode = at_inode_rw(ctx, a.fd(0), &path, 0)?;
    do_chmod(ctx, &inode, a.u32(2))?;
    Ok(0)
}

/// Implements fchmodat2(2): `(dirfd, path, mode, flags)` with
/// `AT_SYMLINK_NOFOLLOW` (a symlink is `EOPNOTSUPP`) and `AT_EMPTY_PATH`.
pub fn sys_fchmodat2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(3);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return_errno!(EINVAL, "fchmodat2: unknown flags");
    }
    let path = ctx.read_path(a.ptr(1))?;
    let inode = at_inode_rw(ctx, a.fd(0), &path, flags)?;
    do_chmod(ctx, &inode, a.u32(2))?;
    Ok(0)
}

// ---- chown ------------------------------------------------------------------

/// chown on an inode (`u32::MAX` = unchanged). chown(2): "Only a privileged
/// process may change the owner of a file. The owner of a file may change
/// the group of the file to any group of which that owner is a member."
/// Changing either clears set-user-ID (and set-group-ID when group-exec is
/// set) on non-directories.
pub fn do_chown(ctx: &mut Ctx, inode: &Arc<dyn Inode>, uid: u32, gid: u32) -> Result<()> {
    let m = inode.metadata(ctx)?;
    let c = ctx.process().creds.clone();
    let root = c.fsuid == 0;
    let owner = c.fsuid == m.uid;
    if uid != u32::MAX && !root && !(owner && uid == m.uid) {
        return_errno!(EPERM, "chown: only root may change the owner");
    }
    if gid != u32::MAX && !root && !(owner && (gid == m.gid || in_group(&c, IdKind::Fs, gid))) {
        return_errno!(EPERM, "chown: not the owner or not a member of the group");
    }
    let mut attr = SetAttr { ctime: Some(now(ctx)), ..Default::default() };
    if uid != u32::MAX {
        attr.uid = Some(uid);
    }
    if gid != u32::MAX {
        attr.gid = Some(gid);
    }
    if (uid != u32::MAX || gid != u32::MAX) && !vfs::is_dir(&m) && !vfs::is_symlink(&m) {
        let mut mode = m.mode & 0o7777 & !S_ISUID;
        if mode & 0o010 != 0 {
            mode &= !S_ISGID;
        }
        if mode != m.mode & 0o7777 {
            attr.mode = Some(mode);
        }
    }
    inode.set_attr(ctx, &attr)
}

/// Implements fchown(2): `(fd, uid, gid)`.
pub fn sys_fchown(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let inode = fd_inode(ctx, a.fd(0))?;
    do_chown(ctx, &inode, a.u32(1), a.u32(2))?;
    Ok(0)
}

/// Implements fchownat(2): `(dirfd, path, uid, gid, flags)` with
/// `AT_SYMLINK_NOFOLLOW` (lchown) and `AT_EMPTY_PATH`.
pub fn sys_fchownat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(4);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return_errno!(EINVAL, "fchownat: unknown flags");
    }
    let path = ctx.read_path(a.ptr(1))?;
    let inode = at_inode_rw(ctx, a.fd(0), &path, flags)?;
    do_chown(ctx, &inode, a.u32(2), a.u32(3))?;
    Ok(0)
}

// ---- utimensat --------------------------------------------------------------

/// One `timespec` of utimensat: `None` = UTIME_OMIT, `Some(None)` = now.
fn decode_time(ts: &timespec) -> Result<Option<Option<Timespec>>> {
    match i64::from(ts.tv_nsec) {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(None)),
        n if (0..1_000_000_000).contains(&n) => Ok(Some(Some(Timespec { sec: ts.tv_sec, nsec: n as u32 }))),
        _ => Err(errno!(EINVAL, "utimensat: bad tv_nsec")),
    }
}

/// Implements utimensat(2): `(dirfd, path, times, flags)`. `times` NULL
/// means both now; `UTIME_NOW`/`UTIME_OMIT` per field. Setting to now
/// needs ownership or write permission (`EACCES`); explicit times need
/// ownership (`EPERM`). A NULL path acts on `dirfd` (Linux's futimens).
pub fn sys_utimensat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (dirfd, path_ptr, times_ptr, flags) = (a.fd(0), a.ptr(1), a.ptr(2), a.u32(3));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return_errno!(EINVAL, "utimensat: unknown flags");
    }
    let (at, mt) = if times_ptr == 0 {
        (Some(None), Some(None))
    } else {
        let a0: timespec = ctx.read_struct(times_ptr)?;
        let a1: timespec = ctx.read_struct(times_ptr.checked_add(16).ok_or(errno!(EFAULT, "bad times"))?)?;
        (decode_time(&a0)?, decode_time(&a1)?)
    };
    let inode = if path_ptr == 0 {
        if dirfd == AT_FDCWD {
            return_errno!(EFAULT, "utimensat: NULL path with AT_FDCWD");
        }
        ctx.file(dirfd)?.ops.inode().ok_or(errno!(EBADF, "file has no inode"))?
    } else {
        let path = ctx.read_path(path_ptr)?;
        at_inode_rw(ctx, dirfd, &path, flags)?
    };
    if at.is_none() && mt.is_none() {
        return Ok(0);
    }
    let m = inode.metadata(ctx)?;
    let only_now = matches!(at, None | Some(None)) && matches!(mt, None | Some(None));
    if !owner_or_root(ctx, &m) {
        if !only_now {
            return_errno!(EPERM, "utimensat: explicit times need ownership");
        }
        may(ctx, &m, MAY_WRITE)?;
    }
    let t = now(ctx);
    let attr = SetAttr {
        atime: at.map(|x| x.unwrap_or(t)),
        mtime: mt.map(|x| x.unwrap_or(t)),
        ctime: Some(t),
        ..Default::default()
    };
    inode.set_attr(ctx, &attr)?;
    Ok(0)
}

// ---- truncate, fallocate ------------------------------------------------------

/// A new size beyond RLIMIT_FSIZE is `EFBIG` with SIGXFSZ.
fn check_fsize(ctx: &mut Ctx, size: u64, old: u64) -> Result<()> {
    if size > old && size > 0 {
        super::inode_file::fsize_limit(ctx, size - 1, 1)?;
    }
    Ok(())
}

fn length_arg(a: &SyscallArgs, lo: usize) -> Result<u64> {
    let len = a.i64_pair(lo);
    if len < 0 {
        return_errno!(EINVAL, "negative length");
    }
    Ok(len as u64)
}

/// Implements truncate(2): `(path, len_lo, len_hi)`. Timestamps change
/// only if the size does (POSIX, and tmpfs on Linux).
pub fn sys_truncate(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let len = length_arg(a, 1)?;
    let path = ctx.read_path(a.ptr(0))?;
    let loc = vfs::resolve(ctx, AT_FDCWD, &path, true)?;
    let m = loc.inode.metadata(ctx)?;
    if vfs::is_dir(&m) {
        return_errno!(EISDIR, "truncate of a directory");
    }
    vfs::check_rw(ctx, loc.mount)?;
    if m.mode & S_IFMT != S_IFREG {
        return_errno!(EINVAL, "truncate of a non-regular file");
    }
    may(ctx, &m, MAY_WRITE)?;
    check_fsize(ctx, len, m.size)?;
    let mut attr = SetAttr { size: Some(len), ..Default::default() };
    if len != m.size {
        let t = now(ctx);
        attr.mtime = Some(t);
        attr.ctime = Some(t);
    }
    loc.inode.set_attr(ctx, &attr)?;
    Ok(0)
}

/// Implements ftruncate(2): `(fd, len_lo, len_hi)`. `EINVAL` if the fd is
/// not open for writing or not a regular file (Linux's do_sys_ftruncate).
pub fn sys_ftruncate(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let len = length_arg(a, 1)?;
    let f = ctx.file(a.fd(0))?;
    if f.is_path_only() {
        return_errno!(EBADF, "O_PATH fd");
    }
    let inode = f.ops.inode().ok_or(errno!(EINVAL, "not a regular file"))?;
    let m = inode.metadata(ctx)?;
    if m.mode & S_IFMT != S_IFREG || !f.writable() {
        return_errno!(EINVAL, "ftruncate: not a regular file open for writing");
    }
    check_fsize(ctx, len, m.size)?;
    let t = now(ctx);
    inode.set_attr(ctx, &SetAttr { size: Some(len), mtime: Some(t), ctime: Some(t), ..Default::default() })?;
    Ok(0)
}

/// Implements fallocate(2): `(fd, mode, off_lo, off_hi, len_lo, len_hi)`.
/// Mode 0 extends the file to `off + len`; other modes are `EOPNOTSUPP`.
pub fn sys_fallocate(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, mode) = (a.fd(0), a.u32(1));
    let (off, len) = (a.i64_pair(2), a.i64_pair(4));
    if off < 0 || len <= 0 {
        return_errno!(EINVAL, "fallocate: bad offset or length");
    }
    let f = ctx.file(fd)?;
    if !f.writable() {
        return_errno!(EBADF, "fallocate: not open for writing");
    }
    if mode != 0 {
        return_errno!(EOPNOTSUPP, "fallocate: only mode 0 is supported");
    }
    let Some(inode) = f.ops.inode() else { return_errno!(ESPIPE, "fallocate on a pipe") };
    let m = inode.metadata(ctx)?;
    if vfs::is_dir(&m) {
        return_errno!(EISDIR, "fallocate on a directory");
    }
    if m.mode & S_IFMT != S_IFREG {
        return_errno!(ENODEV, "fallocate on a non-regular file");
    }
    let end = off.checked_add(len).ok_or(errno!(EFBIG, "fallocate: too large"))? as u64;
    if end > m.size {
        check_fsize(ctx, end, m.size)?;
        let t = now(ctx);
        inode.set_attr(ctx, &SetAttr { size: Some(end), mtime: Some(t), ctime: Some(t), ..Default::default() })?;
    }
    Ok(0)
}

// ---- access, umask ----------------------------------------------------------

fn do_access(ctx: &mut Ctx, dirfd: i32, path: &[u8], mode: u32, flags: u32) -> Result<()> {
    if mode & !(R_OK | W_OK | X_OK) != 0 {
        return_errno!(EINVAL, "access: bad mode");
    }
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return_errno!(EINVAL, "faccessat2: unknown flags");
    }
    // access(2): "The check is done using the calling process's real UID
    // and GID" — for the whole lookup, so the walk runs with the real ids
    // as filesystem ids.
    let saved = ctx.process().creds.clone();
    if flags & AT_EACCESS == 0 {
        let c = &mut ctx.process_mut().creds;
        c.fsuid = c.uid;
        c.fsgid = c.gid;
    }
    let r = (|| {
        let (inode, mount) = at_target(ctx, dirfd, path, flags)?;
        if mode == F_OK {
            return Ok(());
        }
        let m = inode.metadata(ctx)?;
        // access(2): "EROFS Write permission was requested for a file on a
        // read-only filesystem."
        let special = matches!(m.mode & S_IFMT, S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK);
        if let (true, Some(mnt), false) = (mode & W_OK != 0, mount, special) {
            vfs::check_rw(ctx, mnt)?;
        }
        check_perm(&ctx.process().creds, IdKind::Fs, &m, mode)
    })();
    ctx.process_mut().creds = saved;
    r
}

/// Implements faccessat(2): `(dirfd, path, mode)` (the raw call has no flags).
pub fn sys_faccessat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(1))?;
    do_access(ctx, a.fd(0), &path, a.u32(2), 0)?;
    Ok(0)
}

/// Implements faccessat2(2): `(dirfd, path, mode, flags)` with
/// `AT_EACCESS`, `AT_SYMLINK_NOFOLLOW`, `AT_EMPTY_PATH`.
pub fn sys_faccessat2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(1))?;
    do_access(ctx, a.fd(0), &path, a.u32(2), a.u32(3))?;
    Ok(0)
}

/// Implements umask(2): `(mask)`; returns the previous mask.
pub fn sys_umask(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let old = ctx.process().umask;
    ctx.process_mut().umask = a.u32(0) & 0o777;
    Ok(i64::from(old))
}
