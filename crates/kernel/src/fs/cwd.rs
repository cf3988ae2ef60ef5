//! The working and root directories: chdir(2), fchdir(2), getcwd(2),
//! chroot(2), and [`location_path`] which turns a location back into a
//! path.
//!
//! getcwd rebuilds the path by climbing `..` and finding each directory's
//! name in its parent (by inode number), so it is right after renames of
//! the cwd or its ancestors. A cwd that was removed gives `ENOENT` (getcwd(2):
//! "ENOENT The current working directory has been unlinked"); a cwd outside
//! the process root (after chroot) is prefixed with `(unreachable)`, as
//! Linux does.

use super::inode::DirEntry;
use super::vfs::{self, Location, MAY_EXEC};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// The name of `child` inside directory `parent` (by `(dev, ino)`).
fn name_in(ctx: &mut Ctx, parent: &Location, child: &Location) -> Result<Option<Vec<u8>>> {
    let (dev, ino) = vfs::inode_key(ctx, &child.inode)?;
    let pdev = vfs::inode_key(ctx, &parent.inode)?.0;
    let mut found = None;
    let mut candidates = Vec::new();
    parent.inode.readdir(ctx, 0, &mut |e: DirEntry| {
        if e.name != b"." && e.name != b".." {
            if e.ino == ino && pdev == dev {
                found = Some(e.name);
                return false;
            }
            if e.ino == 0 {
                candidates.push(e.name);
            }
        }
        true
    })?;
    if found.is_none() {
        // Filesystems that don't report inode numbers in readdir: look up.
        for n in candidates {
            if let Ok(i) = parent.inode.lookup(ctx, &n) {
                if vfs::inode_key(ctx, &i)? == (dev, ino) {
                    return Ok(Some(n));
                }
            }
        }
    }
    Ok(found)
}

/// The absolute path of `loc` as the caller sees it (relative to its
/// root), rebuilt from the tree. `ENOENT` if `loc` was removed.
pub fn location_path(ctx: &mut Ctx, loc: &Location) -> Result<Vec<u8>> {
    let root = vfs::root_location(ctx);
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut cur = loc.clone();
    let mut reachable = true;
    for _ in 0..wasmpod_abi::fs::PATH_MAX {
        if vfs::same_location(ctx, &cur, &root) {
            break;
        }
        // Climb out of mounts first.
        if vfs::is_mount_root(ctx, &cur) {
            match ctx.st.fs.mounts.get(cur.mount).and_then(|m| m.mountpoint.clone()) {
                Some(mp) => {
                    cur = mp;
                    continue;
                }
                None => {
                    reachable = false;
                    break;
                }
            }
        }
        let meta = cur.inode.metadata(ctx)?;
        if meta.nlink == 0 {
            return_errno!(ENOENT, "directory was removed");
        }
        let parent_inode = cur.inode.lookup(ctx, b"..")?;
        let parent = Location { mount: cur.mount, inode: parent_inode, path: Vec::new() };
        let name = name_in(ctx, &parent, &cur)?.ok_or(errno!(ENOENT, "not found in its parent"))?;
        parts.push(name);
        cur = parent;
    }
    let mut out = Vec::new();
    if !reachable {
        out.extend_from_slice(b"(unreachable)");
    }
    for p in parts.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() || !reachable && parts.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

/// Like [`location_path`], for any file: a non-directory has no `..`, so
/// its directory is found from the walk's path hint and its own name
/// appended.
pub fn file_path(ctx: &mut Ctx, loc: &Location) -> Result<Vec<u8>> {
    if vfs::is_dir(&loc.inode.metadata(ctx)?) {
        return location_path(ctx, loc);
    }
    let cut = loc.path.iter().rposition(|&c| c == b'/').unwrap_or(0);
    let (dir_hint, name) = (&loc.path[..cut.max(1)], &loc.path[cut + 1..]);
    let dir = vfs::resolve_from(ctx, vfs::global_root(ctx), dir_hint, true)?;
    let out = location_path(ctx, &dir)?;
    Ok(vfs::join_path(&out, name))
}

/// The calling process's working directory as a path.
pub fn cwd_path(ctx: &mut Ctx) -> Result<Vec<u8>> {
    let cwd = vfs::cwd_location(ctx);
    location_path(ctx, &cwd)
}

fn set_cwd(ctx: &mut Ctx, loc: Location) -> Result<()> {
    let meta = loc.inode.metadata(ctx)?;
    if !vfs::is_dir(&meta) {
        return_errno!(ENOTDIR, "not a directory");
    }
    vfs::may(ctx, &meta, MAY_EXEC)?;
    ctx.process_mut().fs.cwd = Some(loc);
    Ok(())
}

/// Implements chdir(2): `(path)`.
pub fn sys_chdir(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(0))?;
    let loc = vfs::resolve(ctx, wasmpod_abi::fcntl::AT_FDCWD, &path, true)?;
    set_cwd(ctx, loc)?;
    Ok(0)
}

/// Implements fchdir(2): `(fd)`.
pub fn sys_fchdir(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let f = ctx.file(a.fd(0))?;
    let loc = super::inode_file::location_of(&f).ok_or(errno!(ENOTDIR, "not a directory"))?;
    set_cwd(ctx, loc)?;
    Ok(0)
}

/// Implements getcwd(2): `(buf, size)`. Returns the length including the
/// NUL (the raw syscall's result); `ERANGE` if it does not fit.
pub fn sys_getcwd(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (buf, size) = (a.ptr(0), a.usize(1));
    let mut path = cwd_path(ctx)?;
    path.push(0);
    if path.len() > size {
        return_errno!(ERANGE, "getcwd: buffer too small");
    }
    ctx.write_user(buf, &path)?;
    Ok(path.len() as i64)
}

/// Implements chroot(2): `(path)`. Root only (`EPERM`); the cwd is left
/// where it is, as on Linux.
pub fn sys_chroot(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(0))?;
    let loc = vfs::resolve(ctx, wasmpod_abi::fcntl::AT_FDCWD, &path, true)?;
    let meta = loc.inode.metadata(ctx)?;
    if !vfs::is_dir(&meta) {
        return_errno!(ENOTDIR, "not a directory");
    }
    vfs::may(ctx, &meta, MAY_EXEC)?;
    if !ctx.process().creds.is_root() {
        return_errno!(EPERM, "chroot needs root");
    }
    ctx.process_mut().fs.root = Some(loc);
    Ok(0)
}
