//! sync(2), syncfs(2), fsync(2), fdatasync(2). In-memory filesystems have
//! nothing to flush; inodes backed by storage (the ext2 adapter) flush in
//! `Inode::sync`.

use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Implements fsync(2): `(fd)`. `EINVAL` for files that cannot be synced
/// (pipes, sockets), as Linux says.
pub fn sys_fsync(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let f = ctx.file(a.fd(0))?;
    if f.is_path_only() {
        return_errno!(EBADF, "O_PATH fd");
    }
    let inode = f.ops.inode().ok_or(errno!(EINVAL, "fsync: file cannot be synced"))?;
    inode.sync(ctx)?;
    Ok(0)
}

/// Implements fdatasync(2): `(fd)`, like fsync.
pub fn sys_fdatasync(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    sys_fsync(ctx, a)
}

/// Implements sync(2): flushes every mounted filesystem's root (adapters
/// flush their whole filesystem there).
pub fn sys_sync(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    let roots: Vec<_> = ctx.st.fs.mounts.mounts.values().map(|m| m.root.clone()).collect();
    for r in roots {
        // sync(2) "is always successful".
        let _ = r.sync(ctx);
    }
    Ok(0)
}

/// Implements syncfs(2): `(fd)`.
pub fn sys_syncfs(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let f = ctx.file(a.fd(0))?;
    if let Some(i) = f.ops.inode() {
        i.sync(ctx)?;
    }
    Ok(0)
}
