//! Calls that make and remove names (Linux's `fs/namei.c`): mkdirat,
//! mknodat, unlinkat (unlink and rmdir), symlinkat, linkat. rename lives in
//! [`super::rename`].

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;

use super::devices::makedev;
use super::inode::{DirEntry, Inode, Metadata, NodeKind};
use super::open::{check_can_create, create_in, new_owner, umask};
use super::vfs::{self, check_sticky, may, Location, Parent, MAY_EXEC, MAY_WRITE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// The last component for a creating call: `EEXIST` for `/`, `.` and `..`
/// (they exist).
fn creating_name(p: &Parent) -> Result<Vec<u8>> {
    match &p.name {
        None => return_errno!(EEXIST, "file exists"),
        Some(_) if p.is_dot() => return_errno!(EEXIST, "file exists"),
        // A trailing slash on a new non-directory is ENOENT, but only
        // after EEXIST: the caller checks it after `check_can_create`.
        Some(n) => Ok(n.clone()),
    }
}

/// Implements mkdirat(2): `(dirfd, path, mode)`. A trailing slash is fine;
/// the new directory inherits the set-group-ID bit of its parent.
pub fn sys_mkdirat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(1))?;
    let p = vfs::lookup_parent(ctx, a.fd(0), &path)?;
    let name = creating_name(&p)?;
    let dmeta = p.dir.inode.metadata(ctx)?;
    let mut mode = a.u32(2) & (0o777 | S_ISVTX) & !umask(ctx);
    if dmeta.mode & S_ISGID != 0 {
        mode |= S_ISGID;
    }
    create_in(ctx, &p.dir, &name, NodeKind::Directory, mode)?;
    Ok(0)
}

/// `new_decode_dev`: the 32-bit `dev_t` mknod receives.
fn decode_dev(dev: u32) -> u64 {
    makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// Implements mknodat(2): `(dirfd, path, mode, dev)`. Device nodes need
/// root (`EPERM`); a directory type is `EPERM` as on Linux; unknown types
/// are `EINVAL`.
pub fn sys_mknodat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let mode = a.u32(2);
    let kind = match mode & S_IFMT {
        0 | S_IFREG => NodeKind::Regular,
        S_IFIFO => NodeKind::Fifo,
        S_IFSOCK => NodeKind::Socket,
        S_IFCHR | S_IFBLK => {
            if !ctx.process().creds.is_root() {
                return_errno!(EPERM, "mknod: device nodes need root");
            }
            let d = decode_dev(a.u32(3));
            if mode & S_IFMT == S_IFCHR {
                NodeKind::CharDevice(d)
            } else {
                NodeKind::BlockDevice(d)
            }
        }
        S_IFDIR => return_errno!(EPERM, "mknod: use mkdir"),
        _ => return_errno!(EINVAL, "mknod: bad file type"),
    };
    let path = ctx.read_path(a.ptr(1))?;
    let p = vfs::lookup_parent(ctx, a.fd(0), &path)?;
    let name = creating_name(&p)?;
    if p.trailing_slash {
        check_can_create(ctx, &p.dir, &name)?;
        return_errno!(ENOENT, "trailing slash on a new non-directory");
    }
    create_in(ctx, &p.dir, &name, kind, mode & 0o7777 & !umask(ctx))?;
    Ok(0)
}

/// Whether a directory has no entries but `.` and `..`.
pub fn is_empty_dir(ctx: &mut Ctx, inode: &std::sync::Arc<dyn Inode>) -> Result<bool> {
    let mut empty = true;
    inode.readdir(ctx, 0, &mut |e: DirEntry| {
        if e.name != b"." && e.name != b".." {
            empty = false;
            return false;
        }
        true
    })?;
    Ok(empty)
}

/// Checks for removing `victim` from `dir` (may_delete in Linux): write and
/// search permission on the directory, the sticky rule, the type rule
/// (`EISDIR`/`ENOTDIR` against `want_dir`), mount points (`EBUSY`).
pub fn may_delete(ctx: &mut Ctx, dir: &Location, victim: &Location, mounted: bool, want_dir: bool) -> Result<Metadata> {
    let dmeta = dir.inode.metadata(ctx)?;
    let vmeta = victim.inode.metadata(ctx)?;
    may(ctx, &dmeta, MAY_WRITE | MAY_EXEC)?;
    check_sticky(ctx, &dmeta, &vmeta)?;
    let is_dir = vfs::is_dir(&vmeta);
    if want_dir && !is_dir {
        return_errno!(ENOTDIR, "not a directory");
    }
    if !want_dir && is_dir {
        return_errno!(EISDIR, "is a directory");
    }
    if mounted {
        return_errno!(EBUSY, "mount point");
    }
    Ok(vmeta)
}

/// Implements unlinkat(2): `(dirfd, path, flags)`; with `AT_REMOVEDIR` it
/// is rmdir(2). unlink of a directory is `EISDIR` (Linux, not POSIX's
/// EPERM); rmdir of `.` is `EINVAL`, of `..` `ENOTEMPTY`, of `/` or a mount
/// point `EBUSY`.
pub fn sys_unlinkat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(2);
    if flags & !AT_REMOVEDIR != 0 {
        return_errno!(EINVAL, "unlinkat: unknown flags");
    }
    let path = ctx.read_path(a.ptr(1))?;
    let p = vfs::lookup_parent(ctx, a.fd(0), &path)?;
    vfs::check_rw(ctx, p.dir.mount)?;
    let rmdir = flags & AT_REMOVEDIR != 0;
    let name = match p.name.as_deref() {
        None if rmdir => return_errno!(EBUSY, "rmdir of the root"),
        None => return_errno!(EISDIR, "unlink of the root"),
        Some(b".") if rmdir => return_errno!(EINVAL, "rmdir of ."),
        Some(b"..") if rmdir => return_errno!(ENOTEMPTY, "rmdir of .."),
        Some(b".") | Some(b"..") => return_errno!(EISDIR, "unlink of a directory"),
        Some(n) => n.to_vec(),
    };
    let (victim, mounted) = vfs::lookup_child(ctx, &p.dir, &name)?;
    if !rmdir && p.trailing_slash {
        let m = victim.inode.metadata(ctx)?;
        if !vfs::is_dir(&m) {
            return_errno!(ENOTDIR, "trailing slash on a non-directory");
        }
    }
    may_delete(ctx, &p.dir, &victim, mounted, rmdir)?;
    if rmdir {
        let root = vfs::root_location(ctx);
        if vfs::same_location(ctx, &victim, &root) {
            return_errno!(EBUSY, "rmdir of the root");
        }
        p.dir.inode.rmdir(ctx, &name)?;
    } else {
        p.dir.inode.unlink(ctx, &name)?;
    }
    Ok(0)
}

/// Implements symlinkat(2): `(target, newdirfd, linkpath)`. The target is
/// stored as given (not resolved); an empty target is `ENOENT`.
pub fn sys_symlinkat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let target = ctx.read_path(a.ptr(0))?;
    if target.is_empty() {
        return_errno!(ENOENT, "symlink: empty target");
    }
    let path = ctx.read_path(a.ptr(2))?;
    let p = vfs::lookup_parent(ctx, a.fd(1), &path)?;
    let name = creating_name(&p)?;
    let dmeta = check_can_create(ctx, &p.dir, &name)?;
    if p.trailing_slash {
        return_errno!(ENOENT, "trailing slash on a new symlink");
    }
    let (uid, gid) = new_owner(ctx, &dmeta);
    p.dir.inode.symlink(ctx, &name, &target, uid, gid)?;
    Ok(0)
}

/// Implements linkat(2): `(olddirfd, oldpath, newdirfd, newpath, flags)`.
/// `AT_SYMLINK_FOLLOW` dereferences a final symlink in `oldpath` (by
/// default the link itself gets the new name); `AT_EMPTY_PATH` links the
/// file open on `olddirfd`. Directories are `EPERM`, other mounts `EXDEV`.
pub fn sys_linkat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(4);
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return_errno!(EINVAL, "linkat: unknown flags");
    }
    let oldpath = ctx.read_path(a.ptr(1))?;
    let old = match vfs::resolve_at(ctx, a.fd(0), &oldpath, flags & AT_EMPTY_PATH != 0, flags & AT_SYMLINK_FOLLOW != 0)?
    {
        Some(l) => l,
        None => {
            let f = ctx.file(a.fd(0))?;
            super::inode_file::location_of(&f).ok_or(errno!(ENOENT, "linkat: fd has no name"))?
        }
    };
    let ometa = old.inode.metadata(ctx)?;
    if vfs::is_dir(&ometa) {
        return_errno!(EPERM, "hard link to a directory");
    }
    let newpath = ctx.read_path(a.ptr(3))?;
    let p = vfs::lookup_parent(ctx, a.fd(2), &newpath)?;
    let name = creating_name(&p)?;
    check_can_create(ctx, &p.dir, &name)?;
    if p.trailing_slash {
        return_errno!(ENOENT, "trailing slash on a new link");
    }
    if p.dir.mount != old.mount {
        return_errno!(EXDEV, "link across mounts");
    }
    // A file with no links left (deleted, or O_TMPFILE) is the
    // filesystem's call: only a linkable O_TMPFILE file may be named.
    p.dir.inode.link(ctx, &name, &old.inode)?;
    Ok(0)
}
