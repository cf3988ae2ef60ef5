//! rename(2): `renameat` and `renameat2`, with Linux's rules checked here
//! in the VFS (the filesystem only moves entries).

use wasmpod_abi::fcntl::*;
use wasmpod_abi::Errno;

use super::namei::{is_empty_dir, may_delete};
use super::open::check_can_create;
use super::vfs::{self, may, Location, MAY_WRITE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Whether `anc` is `loc` or one of its ancestors inside `loc`'s mount.
fn is_ancestor(ctx: &mut Ctx, anc: &Location, loc: &Location) -> Result<bool> {
    let mut cur = loc.inode.clone();
    // Bounded: directory trees deeper than this don't fit in PATH_MAX anyway.
    for _ in 0..wasmpod_abi::fs::PATH_MAX {
        if vfs::same_inode(ctx, &cur, &anc.inode) {
            return Ok(true);
        }
        let parent = cur.lookup(ctx, b"..")?;
        if vfs::same_inode(ctx, &parent, &cur) {
            return Ok(false);
        }
        cur = parent;
    }
    Ok(false)
}

/// renameat2 without the argument decoding.
pub fn do_rename(ctx: &mut Ctx, od: i32, op: &[u8], nd: i32, np: &[u8], flags: u32) -> Result<()> {
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
        return_errno!(EINVAL, "renameat2: unknown flags");
    }
    if flags & RENAME_NOREPLACE != 0 && flags & RENAME_EXCHANGE != 0 {
        return_errno!(EINVAL, "RENAME_NOREPLACE with RENAME_EXCHANGE");
    }
    if flags & RENAME_WHITEOUT != 0 {
        return_errno!(EINVAL, "RENAME_WHITEOUT is not supported");
    }
    let exchange = flags & RENAME_EXCHANGE != 0;
    let po = vfs::lookup_parent(ctx, od, op)?;
    let pn = vfs::lookup_parent(ctx, nd, np)?;
    let (Some(on), Some(nn)) = (po.name.clone(), pn.name.clone()) else {
        return_errno!(EBUSY, "rename of a root");
    };
    if po.is_dot() || pn.is_dot() {
        return_errno!(EBUSY, "rename of . or ..");
    }
    if po.dir.mount != pn.dir.mount {
        return_errno!(EXDEV, "rename across mounts");
    }
    vfs::check_rw(ctx, po.dir.mount)?;
    let (old, old_mounted) = vfs::lookup_child(ctx, &po.dir, &on)?;
    let (new, new_mounted) = match vfs::lookup_child(ctx, &pn.dir, &nn) {
        Ok((l, m)) => (Some(l), m),
        Err(e) if e == Errno::ENOENT => (None, false),
        Err(e) => return Err(e),
    };
    if flags & RENAME_NOREPLACE != 0 && new.is_some() {
        return_errno!(EEXIST, "RENAME_NOREPLACE: target exists");
    }
    let ometa = old.inode.metadata(ctx)?;
    let old_is_dir = vfs::is_dir(&ometa);
    let new_is_dir = match &new {
        Some(n) => vfs::is_dir(&n.inode.metadata(ctx)?),
        None => false,
    };
    if exchange {
        if new.is_none() {
            return_errno!(ENOENT, "RENAME_EXCHANGE: target missing");
        }
        if (!old_is_dir && po.trailing_slash) || (!new_is_dir && pn.trailing_slash) {
            return_errno!(ENOTDIR, "trailing slash on a non-directory");
        }
    } else if !old_is_dir && (po.trailing_slash || pn.trailing_slash) {
        return_errno!(ENOTDIR, "trailing slash on a non-directory");
    }
    // rename(2): "EINVAL The new pathname contained a path prefix of the
    // old, or, more generally, an attempt was made to make a directory a
    // subdirectory of itself."
    if old_is_dir && is_ancestor(ctx, &old, &pn.dir)? {
        return_errno!(EINVAL, "rename into its own subtree");
    }
    if let Some(n) = &new {
        if exchange && new_is_dir && is_ancestor(ctx, n, &po.dir)? {
            return_errno!(EINVAL, "exchange into its own subtree");
        }
        if !exchange && vfs::same_inode(ctx, &old.inode, &n.inode) {
            // rename(2): "If oldpath and newpath are existing hard links
            // referring to the same file, then rename() does nothing".
            return Ok(());
        }
    }
    may_delete(ctx, &po.dir, &old, old_mounted, old_is_dir)?;
    match &new {
        None => {
            check_can_create(ctx, &pn.dir, &nn)?;
        }
        Some(n) => {
            let want_dir = if exchange { new_is_dir } else { old_is_dir };
            may_delete(ctx, &pn.dir, n, new_mounted, want_dir)?;
        }
    }
    let cross = !vfs::same_inode(ctx, &po.dir.inode, &pn.dir.inode);
    // A directory moving to another parent rewrites its "..": it must be
    // writable (Linux's vfs_rename).
    if cross && old_is_dir {
        may(ctx, &ometa, MAY_WRITE)?;
    }
    if let Some(n) = &new {
        if cross && exchange && new_is_dir {
            let nmeta = n.inode.metadata(ctx)?;
            may(ctx, &nmeta, MAY_WRITE)?;
        }
        if !exchange && new_is_dir && !is_empty_dir(ctx, &n.inode)? {
            return_errno!(ENOTEMPTY, "rename over a non-empty directory");
        }
    }
    po.dir.inode.rename(ctx, &on, &pn.dir.inode, &nn, flags)
}

/// Implements renameat(2): `(olddirfd, oldpath, newdirfd, newpath)`.
pub fn sys_renameat(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let op = ctx.read_path(a.ptr(1))?;
    let np = ctx.read_path(a.ptr(3))?;
    do_rename(ctx, a.fd(0), &op, a.fd(2), &np, 0)?;
    Ok(0)
}

/// Implements renameat2(2): `(olddirfd, oldpath, newdirfd, newpath,
/// flags)` with `RENAME_NOREPLACE` and `RENAME_EXCHANGE`;
/// `RENAME_WHITEOUT` is `EINVAL`.
pub fn sys_renameat2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let op = ctx.read_path(a.ptr(1))?;
    let np = ctx.read_path(a.ptr(3))?;
    do_rename(ctx, a.fd(0), &op, a.fd(2), &np, a.u32(4))?;
    Ok(0)
}
