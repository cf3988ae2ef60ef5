//! mount(2) and umount2(2) (Linux's `fs/namespace.c`), for the
//! filesystems the kernel can make on its own: `tmpfs`, `devtmpfs`,
//! `proc` and `devpts` (when those subsystems provide a root). `MS_RDONLY` makes the
//! mount refuse changes (`EROFS`); other flags are recorded for
//! `/proc/mounts` only.
//!
//! Not supported: bind mounts, moves, remounts and propagation changes
//! (`EINVAL`), block-device filesystems (`ENODEV`; ext2 comes through the
//! host, not mount(2)), nosuid/nodev/noexec enforcement, lazy unmounts (`MNT_DETACH` unmounts only when idle,
//! like a plain umount).

use std::sync::Arc;

use wasmpod_abi::fs::*;

use super::inode::Inode;
use super::tmpfs::TmpFs;
use super::vfs;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Longest filesystem type or source string accepted (a page, as Linux).
const MAX_MOUNT_STRING: usize = 4095;

fn options_of(flags: u32) -> String {
    let mut o = vec![if flags & MS_RDONLY != 0 { "ro" } else { "rw" }];
    for (bit, name) in [(MS_NOSUID, "nosuid"), (MS_NODEV, "nodev"), (MS_NOEXEC, "noexec"), (MS_NOATIME, "noatime")] {
        if flags & bit != 0 {
            o.push(name);
        }
    }
    o.join(",")
}

/// Implements mount(2): `(source, target, filesystemtype, mountflags,
/// data)`. Root only (`EPERM`).
pub fn sys_mount(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    if !ctx.process().creds.is_root() {
        return_errno!(EPERM, "mount needs root");
    }
    let mut flags = a.u32(3);
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if flags & (MS_REMOUNT | MS_BIND | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE) != 0 {
        return_errno!(EINVAL, "mount: remount, bind, move and propagation changes are not supported");
    }
    let target = ctx.read_path(a.ptr(1))?;
    let fstype = ctx.read_cstr(a.ptr(2), MAX_MOUNT_STRING, wasmpod_abi::Errno::ENODEV)?;
    let source = if a.ptr(0) == 0 {
        b"none".to_vec()
    } else {
        ctx.read_cstr(a.ptr(0), MAX_MOUNT_STRING, wasmpod_abi::Errno::EINVAL)?
    };
    let root: Arc<dyn Inode> = match fstype.as_slice() {
        // tmpfs(5): the root's default mode is 1777.
        b"tmpfs" => TmpFs::new_root(0o1777, 0, 0),
        // A fresh devfs with the boot-time nodes (Linux's devtmpfs).
        b"devtmpfs" => super::devfs::new_root(),
        b"proc" => super::procfs::new_root().ok_or(errno!(ENODEV, "procfs not available"))?,
        b"devpts" => crate::tty::devpts_root().ok_or(errno!(ENODEV, "devpts not available"))?,
        _ => return_errno!(ENODEV, "mount: unsupported filesystem type"),
    };
    let fstype = String::from_utf8_lossy(&fstype).into_owned();
    let source = String::from_utf8_lossy(&source).into_owned();
    super::mount_at(ctx, &target, root, &fstype, &source, &options_of(flags))?;
    Ok(0)
}

/// Whether anything still uses mount `id`: a process's cwd or root, or an
/// open file.
fn mount_busy(ctx: &Ctx, id: super::MountId) -> bool {
    ctx.st.procs.procs.values().any(|p| {
        p.fs.cwd.as_ref().is_some_and(|l| l.mount == id)
            || p.fs.root.as_ref().is_some_and(|l| l.mount == id)
            || p.files.iter().any(|(_, e)| super::inode_file::location_of(&e.file).is_some_and(|l| l.mount == id))
    })
}

/// Implements umount2(2): `(target, flags)`. Root only; `EINVAL` if the
/// target is not a mount's root, `EBUSY` for the root mount, a mount with
/// mounts below it, or one in use (cwd, root or open files).
pub fn sys_umount2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(1);
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return_errno!(EINVAL, "umount2: unknown flags");
    }
    if flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0 {
        return_errno!(EINVAL, "umount2: MNT_EXPIRE with MNT_FORCE or MNT_DETACH");
    }
    if !ctx.process().creds.is_root() {
        return_errno!(EPERM, "umount needs root");
    }
    let path = ctx.read_path(a.ptr(0))?;
    let loc = vfs::resolve(ctx, wasmpod_abi::fcntl::AT_FDCWD, &path, flags & UMOUNT_NOFOLLOW == 0)?;
    if !vfs::is_mount_root(ctx, &loc) {
        return_errno!(EINVAL, "umount: not a mount point");
    }
    if loc.mount == ctx.st.fs.root_mount || ctx.st.fs.mounts.has_children(loc.mount) || mount_busy(ctx, loc.mount) {
        return_errno!(EBUSY, "umount: mount is busy");
    }
    ctx.st.fs.mounts.remove(loc.mount);
    Ok(0)
}
