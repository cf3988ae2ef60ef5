//! The VFS core: locations (a mount plus an inode, like Linux's `struct
//! path`), the path walk (path_resolution(7)), and permission checks.
//!
//! The walk keeps a textual path beside each location (`Location::path`,
//! absolute from the global root): it names open files in
//! `/proc/<pid>/fd` and is a hint, not the truth — `getcwd` rebuilds the
//! real path by walking `..` (see [`super::cwd`]), so it survives renames.
//!
//! `..` is physical, not textual: after following a symlink, `..` is the
//! parent of the directory reached. At a mount's root `..` continues in the
//! parent mount; at the process's root (`/`, or the chroot) it stays put.
//! Filesystems answer `lookup(b"..")` for their own directories.
//!
//! Not here yet: `openat2`'s `RESOLVE_*` scoping, mount namespaces.

use std::sync::Arc;

use wasmpod_abi::fcntl::AT_FDCWD;
use wasmpod_abi::fs::{NAME_MAX, S_IFDIR, S_IFLNK, S_IFMT};

use super::inode::{Inode, Metadata};
use super::mount::MountId;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::process::Credentials;
use crate::{errno, return_errno};

/// Most symlinks followed in one resolution (path_resolution(7): "Linux
/// returns ELOOP after 40 links" — MAXSYMLINKS).
pub const MAXSYMLINKS: u32 = 40;

/// Permission bits as `access(2)` spells them.
pub const MAY_READ: u32 = 4;
pub const MAY_WRITE: u32 = 2;
pub const MAY_EXEC: u32 = 1;

/// A place in the tree: an inode inside a mount (Linux's `struct path`).
#[derive(Clone)]
pub struct Location {
    pub mount: MountId,
    pub inode: Arc<dyn Inode>,
    /// Absolute path from the global root the walk took to get here
    /// (a hint; see the module docs).
    pub path: Vec<u8>,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({}, {:?})", self.mount, String::from_utf8_lossy(&self.path))
    }
}

/// `(dev, ino)` of an inode.
pub fn inode_key(ctx: &mut Ctx, inode: &Arc<dyn Inode>) -> Result<(u64, u64)> {
    let m = inode.metadata(ctx)?;
    Ok((m.dev, m.ino))
}

/// Whether two inodes are the same file (same object, or same dev/ino).
pub fn same_inode(ctx: &mut Ctx, a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> bool {
    if std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)) {
        return true;
    }
    match (inode_key(ctx, a), inode_key(ctx, b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

pub fn same_location(ctx: &mut Ctx, a: &Location, b: &Location) -> bool {
    a.mount == b.mount && same_inode(ctx, &a.inode, &b.inode)
}

pub fn is_dir(m: &Metadata) -> bool {
    m.mode & S_IFMT == S_IFDIR
}

pub fn is_symlink(m: &Metadata) -> bool {
    m.mode & S_IFMT == S_IFLNK
}

/// `dir/name` for path hints.
pub fn join_path(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn parent_path(p: &[u8]) -> Vec<u8> {
    match p.iter().rposition(|&c| c == b'/') {
        Some(0) | None => b"/".to_vec(),
        Some(i) => p[..i].to_vec(),
    }
}

/// The root of the whole tree (the root mount's root).
pub fn global_root(ctx: &Ctx) -> Location {
    let fs = &ctx.st.fs;
    let m = fs.mounts.get(fs.root_mount).unwrap_or_else(|| unreachable!("the root mount is never removed"));
    Location { mount: m.id, inode: m.root.clone(), path: b"/".to_vec() }
}

/// The calling process, if the context has one (host contexts don't).
pub fn caller<'a>(ctx: &'a Ctx<'_>) -> Option<&'a crate::process::Process> {
    ctx.st.procs.procs.get(&ctx.pid())
}

/// The caller's credentials; a context without a process (the host's
/// own work) acts as root.
pub fn creds<'a>(ctx: &'a Ctx<'_>) -> std::borrow::Cow<'a, Credentials> {
    match caller(ctx) {
        Some(p) => std::borrow::Cow::Borrowed(&p.creds),
        None => std::borrow::Cow::Owned(Credentials::root()),
    }
}

/// The calling process's root directory (`/` unless chrooted; `/` for a
/// context without a process).
pub fn root_location(ctx: &Ctx) -> Location {
    caller(ctx).and_then(|p| p.fs.root.clone()).unwrap_or_else(|| global_root(ctx))
}

/// The calling process's working directory (`/` without a process).
pub fn cwd_location(ctx: &Ctx) -> Location {
    caller(ctx).and_then(|p| p.fs.cwd.clone()).unwrap_or_else(|| root_location(ctx))
}

// ---- permissions -------------------------------------------------------

/// Whose ids a check uses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// Filesystem ids (fsuid/fsgid): every normal check.
    Fs,
    /// Real ids: access(2)/faccessat without `AT_EACCESS`.
    Real,
    /// Effective ids: faccessat with `AT_EACCESS`.
    Effective,
}

fn ids(c: &Credentials, k: IdKind) -> (u32, u32) {
    match k {
        IdKind::Fs => (c.fsuid, c.fsgid),
        IdKind::Real => (c.uid, c.gid),
        IdKind::Effective => (c.euid, c.egid),
    }
}

/// Whether `c` (with ids of kind `k`) is in group `gid`.
pub fn in_group(c: &Credentials, k: IdKind, gid: u32) -> bool {
    ids(c, k).1 == gid || c.groups.contains(&gid)
}

/// Checks `want` (`MAY_*` bits) against the mode bits of `m` for `c`
/// (path_resolution(7), "Permissions"). Root may read and write anything
/// and search any directory, but executes a non-directory only if some
/// execute bit is set. `EACCES` on failure.
pub fn check_perm(c: &Credentials, k: IdKind, m: &Metadata, want: u32) -> Result<()> {
    let (uid, _) = ids(c, k);
    if uid == 0 {
        if want & MAY_EXEC != 0 && !is_dir(m) && m.mode & 0o111 == 0 {
            return_errno!(EACCES, "no execute bit set");
        }
        return Ok(());
    }
    let bits = if uid == m.uid {
        (m.mode >> 6) & 7
    } else if in_group(c, k, m.gid) {
        (m.mode >> 3) & 7
    } else {
        m.mode & 7
    };
    if bits & want != want {
        return_errno!(EACCES, "permission denied");
    }
    Ok(())
}

/// [`check_perm`] with the caller's filesystem ids.
pub fn may(ctx: &Ctx, m: &Metadata, want: u32) -> Result<()> {
    check_perm(&creds(ctx), IdKind::Fs, m, want)
}

/// Whether the caller owns `m` or is root (chmod, utimes with explicit
/// times, and the sticky-bit rule).
pub fn owner_or_root(ctx: &Ctx, m: &Metadata) -> bool {
    let c = creds(ctx);
    c.fsuid == 0 || c.fsuid == m.uid
}

/// The sticky-directory rule for unlink and rename (unlink(2): "EPERM The
/// directory containing pathname has the sticky bit (S_ISVTX) set and the
/// process's effective UID is neither the UID of the file to be deleted nor
/// that of the directory containing it").
pub fn check_sticky(ctx: &Ctx, dir: &Metadata, victim: &Metadata) -> Result<()> {
    let c = creds(ctx);
    if dir.mode & wasmpod_abi::fs::S_ISVTX != 0 && c.fsuid != 0 && c.fsuid != victim.uid && c.fsuid != dir.uid {
        return_errno!(EPERM, "sticky directory: not the owner");
    }
    Ok(())
}

// ---- the walk ------------------------------------------------------------

/// The directory a relative path starts from: the cwd for `AT_FDCWD`,
/// else the directory open on `dirfd` (`EBADF`, `ENOTDIR`).
pub fn dirfd_location(ctx: &Ctx, dirfd: i32) -> Result<Location> {
    if dirfd == AT_FDCWD {
        return Ok(cwd_location(ctx));
    }
    let file = ctx.file(dirfd)?;
    match super::inode_file::location_of(&file) {
        Some(l) => Ok(l),
        None => Err(errno!(ENOTDIR, "dirfd is not a directory")),
    }
}

/// The result of walking to the last component of a path.
pub struct Parent {
    /// The directory that holds (or would hold) the last component.
    pub dir: Location,
    /// The last component; `None` when the path names a directory by
    /// itself (`/`, or only slashes).
    pub name: Option<Vec<u8>>,
    /// The path ended in `/`.
    pub trailing_slash: bool,
    /// Symlinks followed so far.
    pub links: u32,
}

impl Parent {
    /// The last component is `.` or `..`.
    pub fn is_dot(&self) -> bool {
        matches!(self.name.as_deref(), Some(b".") | Some(b".."))
    }
}

fn components(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&c| c == b'/').filter(|c| !c.is_empty()).collect()
}

/// Walks all but the last component of `path` from `start` (or the root
/// for an absolute path), following symlinks on the way.
pub(crate) fn walk_parent_from(ctx: &mut Ctx, start: Location, path: &[u8], links: &mut u32) -> Result<Parent> {
    if path.is_empty() {
        return_errno!(ENOENT, "empty path");
    }
    if path.len() >= wasmpod_abi::fs::PATH_MAX {
        return_errno!(ENAMETOOLONG, "path too long");
    }
    let mut cur = if path[0] == b'/' { root_location(ctx) } else { start };
    let comps = components(path);
    let trailing_slash = path.last() == Some(&b'/') && !comps.is_empty();
    let Some((last, inner)) = comps.split_last() else {
        return Ok(Parent { dir: cur, name: None, trailing_slash: false, links: *links });
    };
    for c in inner {
        let next = step(ctx, &cur, c)?;
        let next = follow(ctx, &cur, next, links)?;
        cur = next;
    }
    if last.len() > NAME_MAX {
        return_errno!(ENAMETOOLONG, "name component too long");
    }
    // The holder must be a searchable directory even for calls that then
    // create the last component.
    let meta = cur.inode.metadata(ctx)?;
    if !is_dir(&meta) {
        return_errno!(ENOTDIR, "path component is not a directory");
    }
    Ok(Parent { dir: cur, name: Some(last.to_vec()), trailing_slash, links: *links })
}

/// If `loc` is a symlink, resolves it (relative targets from `dir`).
fn follow(ctx: &mut Ctx, dir: &Location, loc: Location, links: &mut u32) -> Result<Location> {
    let meta = loc.inode.metadata(ctx)?;
    if !is_symlink(&meta) {
        return Ok(loc);
    }
    *links += 1;
    if *links > MAXSYMLINKS {
        return_errno!(ELOOP, "too many levels of symbolic links");
    }
    // /proc/<pid>/fd/<n> designates an open file, not its link text.
    if let Some(target) = super::procfs::magic_link(ctx, &loc)? {
        return Ok(target);
    }
    let target = loc.inode.readlink(ctx)?;
    if target.is_empty() {
        return_errno!(ENOENT, "empty symlink");
    }
    walk_from(ctx, dir.clone(), &target, true, links)
}

fn walk_from(ctx: &mut Ctx, start: Location, path: &[u8], follow_last: bool, links: &mut u32) -> Result<Location> {
    let p = walk_parent_from(ctx, start, path, links)?;
    finish(ctx, p, follow_last, links)
}

/// Resolves the last component of a walk.
fn finish(ctx: &mut Ctx, p: Parent, follow_last: bool, links: &mut u32) -> Result<Location> {
    let Some(name) = &p.name else { return Ok(p.dir) };
    let loc = step(ctx, &p.dir, name)?;
    let loc = if follow_last || p.trailing_slash { follow(ctx, &p.dir, loc, links)? } else { loc };
    if p.trailing_slash && !is_dir(&loc.inode.metadata(ctx)?) {
        return_errno!(ENOTDIR, "trailing slash on a non-directory");
    }
    Ok(loc)
}

/// One step: `name` inside directory `dir`, with search permission on
/// `dir`, `.`/`..` handling and mount crossing.
pub fn step(ctx: &mut Ctx, dir: &Location, name: &[u8]) -> Result<Location> {
    if name.len() > NAME_MAX {
        return_errno!(ENAMETOOLONG, "name component too long");
    }
    let meta = dir.inode.metadata(ctx)?;
    if !is_dir(&meta) {
        return_errno!(ENOTDIR, "path component is not a directory");
    }
    may(ctx, &meta, MAY_EXEC)?;
    match name {
        b"." => Ok(dir.clone()),
        b".." => dotdot(ctx, dir),
        _ => {
            let child = dir.inode.lookup(ctx, name)?;
            let loc = Location { mount: dir.mount, inode: child, path: join_path(&dir.path, name) };
            cross_down(ctx, loc)
        }
    }
}

/// `name` inside `dir` without crossing into a filesystem mounted there
/// (for unlink and rename, which act on the covered entry): the entry and
/// whether something is mounted on it. `name` is not `.` or `..`.
pub fn lookup_child(ctx: &mut Ctx, dir: &Location, name: &[u8]) -> Result<(Location, bool)> {
    if name.len() > NAME_MAX {
        return_errno!(ENAMETOOLONG, "name component too long");
    }
    let meta = dir.inode.metadata(ctx)?;
    if !is_dir(&meta) {
        return_errno!(ENOTDIR, "path component is not a directory");
    }
    may(ctx, &meta, MAY_EXEC)?;
    let child = dir.inode.lookup(ctx, name)?;
    let loc = Location { mount: dir.mount, inode: child, path: join_path(&dir.path, name) };
    let mounted = ctx.st.fs.mounts.has_children(loc.mount) && {
        let key = inode_key(ctx, &loc.inode)?;
        ctx.st.fs.mounts.mounted_on(loc.mount, key).is_some()
    };
    Ok((loc, mounted))
}

/// If a filesystem is mounted on `loc`, its root (repeatedly, for stacks).
pub fn cross_down(ctx: &mut Ctx, mut loc: Location) -> Result<Location> {
    // Bounded by the number of mounts.
    for _ in 0..=ctx.st.fs.mounts.mounts.len() {
        if !ctx.st.fs.mounts.has_children(loc.mount) {
            break;
        }
        let key = inode_key(ctx, &loc.inode)?;
        match ctx.st.fs.mounts.mounted_on(loc.mount, key) {
            Some(m) => loc = Location { mount: m.id, inode: m.root.clone(), path: loc.path },
            None => break,
        }
    }
    Ok(loc)
}

/// Whether `loc` is the root of its mount.
pub fn is_mount_root(ctx: &mut Ctx, loc: &Location) -> bool {
    let Some(root) = ctx.st.fs.mounts.get(loc.mount).map(|m| m.root.clone()) else { return false };
    same_inode(ctx, &loc.inode, &root)
}

/// `..` of `dir`: stays at the process root, climbs out of mounts.
pub fn dotdot(ctx: &mut Ctx, dir: &Location) -> Result<Location> {
    let root = root_location(ctx);
    let mut cur = dir.clone();
    for _ in 0..=ctx.st.fs.mounts.mounts.len() {
        if same_location(ctx, &cur, &root) {
            return Ok(cur);
        }
        if !is_mount_root(ctx, &cur) {
            break;
        }
        match ctx.st.fs.mounts.get(cur.mount).and_then(|m| m.mountpoint.clone()) {
            Some(mp) => cur = mp,
            // The global root while chrooted below it: escaped the root
            // (possible with an fd from outside); stay, as Linux does.
            None => return Ok(cur),
        }
    }
    let parent = cur.inode.lookup(ctx, b"..")?;
    Ok(Location { mount: cur.mount, inode: parent, path: parent_path(&cur.path) })
}

/// Walks to the directory holding the last component of `path` (relative
/// to `dirfd`). For calls that create or remove names.
pub fn lookup_parent(ctx: &mut Ctx, dirfd: i32, path: &[u8]) -> Result<Parent> {
    let start = if path.first() == Some(&b'/') { root_location(ctx) } else { dirfd_location(ctx, dirfd)? };
    let mut links = 0;
    walk_parent_from(ctx, start, path, &mut links)
}

/// Resolves a whole path relative to `dirfd`, following a final symlink
/// when `follow` is set (a trailing slash always follows).
pub fn resolve(ctx: &mut Ctx, dirfd: i32, path: &[u8], follow: bool) -> Result<Location> {
    let p = lookup_parent(ctx, dirfd, path)?;
    let mut links = p.links;
    finish(ctx, p, follow, &mut links)
}

/// Finishes a [`lookup_parent`] result: the inode the last component names
/// (following a final symlink when `follow`), or `ENOENT`.
pub fn resolve_last(ctx: &mut Ctx, p: &Parent, follow: bool) -> Result<Location> {
    let mut links = p.links;
    let p2 = Parent { dir: p.dir.clone(), name: p.name.clone(), trailing_slash: p.trailing_slash, links };
    finish(ctx, p2, follow, &mut links)
}

/// Resolves `path` from a given location (symlink targets, host API).
pub fn resolve_from(ctx: &mut Ctx, start: Location, path: &[u8], follow: bool) -> Result<Location> {
    let mut links = 0;
    walk_from(ctx, start, path, follow, &mut links)
}

/// The `*at` family's path argument with `AT_EMPTY_PATH` and
/// `AT_SYMLINK_NOFOLLOW`: the location named, or `None` when the path is
/// empty and `AT_EMPTY_PATH` asks for the fd itself (the caller then uses
/// the open file, which may have no inode: a pipe).
pub fn resolve_at(ctx: &mut Ctx, dirfd: i32, path: &[u8], empty_ok: bool, follow: bool) -> Result<Option<Location>> {
    if path.is_empty() {
        if !empty_ok {
            return_errno!(ENOENT, "empty path");
        }
        return Ok(None);
    }
    resolve(ctx, dirfd, path, follow).map(Some)
}

/// Follows `loc` if it is a symlink (relative targets from `dir`), counting
/// into `links`; for callers outside the walk (open's `O_CREAT` path).
pub(crate) fn follow_link(ctx: &mut Ctx, dir: &Location, loc: Location, links: &mut u32) -> Result<Location> {
    follow(ctx, dir, loc, links)
}

/// `EROFS` if mount `id` is read-only (changes to anything on it).
pub fn check_rw(ctx: &Ctx, id: MountId) -> Result<()> {
    if ctx.st.fs.mounts.get(id).is_some_and(|m| m.readonly()) {
        return_errno!(EROFS, "read-only filesystem");
    }
    Ok(())
}
