//! stat(2) and friends: `fstat`, `newfstatat`, `statx`, and readlinkat(2)
//! (Linux keeps both in `fs/stat.c`).

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;

use super::devices::{major, minor};
use super::inode::Metadata;
use super::vfs;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// `struct stat` from metadata.
pub fn to_stat(m: &Metadata) -> stat {
    stat {
        st_dev: m.dev,
        st_ino: m.ino,
        st_mode: m.mode,
        st_nlink: m.nlink,
        st_uid: m.uid,
        st_gid: m.gid,
        st_rdev: m.rdev,
        st_size: m.size as i64,
        st_blksize: m.blksize as i32,
        st_blocks: m.blocks as i64,
        st_atime_sec: m.atime.sec,
        st_atime_nsec: m.atime.nsec as i32,
        st_mtime_sec: m.mtime.sec,
        st_mtime_nsec: m.mtime.nsec as i32,
        st_ctime_sec: m.ctime.sec,
        st_ctime_nsec: m.ctime.nsec as i32,
    }
}

/// Metadata of what `(dirfd, path)` names, for the `*at` calls that take
/// `AT_EMPTY_PATH` (the fd itself, which may be any file: a pipe too) and
/// `AT_SYMLINK_NOFOLLOW`.
pub fn metadata_at(ctx: &mut Ctx, dirfd: i32, path: &[u8], flags: u32) -> Result<Metadata> {
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    match vfs::resolve_at(ctx, dirfd, path, flags & AT_EMPTY_PATH != 0, follow)? {
        Some(loc) => loc.inode.metadata(ctx),
        None if dirfd == AT_FDCWD => vfs::cwd_location(ctx).inode.metadata(ctx),
        None => {
            let f = ctx.file(dirfd)?;
            f.ops.metadata(ctx)
        }
    }
}

/// Implements fstat(2): `(fd, statbuf)`.
pub fn sys_fstat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let f = ctx.file(a.fd(0))?;
    let m = f.ops.metadata(ctx)?;
    ctx.write_struct(a.ptr(1), &to_stat(&m))?;
    Ok(0)
}

/// Implements newfstatat(2) (fstatat): `(dirfd, path, statbuf, flags)`.
pub fn sys_newfstatat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(3);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return_errno!(EINVAL, "fstatat: unknown flags");
    }
    let path = ctx.read_path(a.ptr(1))?;
    let m = metadata_at(ctx, a.fd(0), &path, flags)?;
    ctx.write_struct(a.ptr(2), &to_stat(&m))?;
    Ok(0)
}

/// Implements statx(2): `(dirfd, path, flags, mask, statxbuf)`. Every basic
/// field is always filled (`stx_mask = STATX_BASIC_STATS`); no birth time.
/// A NULL path with `AT_EMPTY_PATH` means the fd (Linux 6.11).
pub fn sys_statx(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(2);
    let mask = a.u32(3);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
    {
        return_errno!(EINVAL, "statx: bad flags");
    }
    if mask & STATX__RESERVED != 0 {
        return_errno!(EINVAL, "statx: reserved mask bit");
    }
    let path = if a.ptr(1) == 0 && flags & AT_EMPTY_PATH != 0 { Vec::new() } else { ctx.read_path(a.ptr(1))? };
    let m = metadata_at(ctx, a.fd(0), &path, flags)?;
    let sx = statx {
        stx_mask: STATX_BASIC_STATS,
        stx_blksize: m.blksize,
        stx_attributes: 0,
        stx_nlink: m.nlink,
        stx_uid: m.uid,
        stx_gid: m.gid,
        stx_mode: m.mode as u16,
        stx_ino: m.ino,
        stx_size: m.size,
        stx_blocks: m.blocks,
        stx_attributes_mask: 0,
        stx_atime_sec: m.atime.sec,
        stx_atime_nsec: m.atime.nsec,
        stx_btime_sec: 0,
        stx_btime_nsec: 0,
        stx_ctime_sec: m.ctime.sec,
        stx_ctime_nsec: m.ctime.nsec,
        stx_mtime_sec: m.mtime.sec,
        stx_mtime_nsec: m.mtime.nsec,
        stx_rdev_major: major(m.rdev),
        stx_rdev_minor: minor(m.rdev),
        stx_dev_major: major(m.dev),
        stx_dev_minor: minor(m.dev),
    };
    ctx.write_struct(a.ptr(4), &sx)?;
    Ok(0)
}

/// Implements readlinkat(2): `(dirfd, path, buf, bufsiz)`. The result has
/// no NUL and is silently truncated to `bufsiz`; `EINVAL` for a
/// non-symlink or `bufsiz <= 0`. An empty path reads the symlink open on
/// `dirfd` (with `O_PATH|O_NOFOLLOW`).
pub fn sys_readlinkat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let bufsiz = a.i32(3);
    if bufsiz <= 0 {
        return_errno!(EINVAL, "readlink: bufsiz <= 0");
    }
    let path = ctx.read_path(a.ptr(1))?;
    let inode = match vfs::resolve_at(ctx, a.fd(0), &path, true, false)? {
        Some(loc) => loc.inode,
        None if a.fd(0) == AT_FDCWD => return_errno!(ENOENT, "readlink: empty path"),
        None => {
            let f = ctx.file(a.fd(0))?;
            match f.ops.inode() {
                Some(i) => i,
                None => return_errno!(ENOENT, "readlink: empty path"),
            }
        }
    };
    let meta = inode.metadata(ctx)?;
    if !vfs::is_symlink(&meta) {
        return_errno!(EINVAL, "readlink: not a symlink");
    }
    let target = inode.readlink(ctx)?;
    let n = target.len().min(bufsiz as usize);
    ctx.write_user(a.ptr(2), &target[..n])?;
    Ok(n as i64)
}
