//! statfs(2) and fstatfs(2).

use wasmpod_abi::fcntl::AT_FDCWD;
use wasmpod_abi::fs::statfs;

use super::inode::FsStats;
use super::vfs;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;

fn to_statfs(s: &FsStats, dev: u64) -> statfs {
    statfs {
        f_type: s.fs_type,
        f_bsize: s.block_size,
        f_blocks: s.blocks,
        f_bfree: s.blocks_free,
        f_bavail: s.blocks_avail,
        f_files: s.files,
        f_ffree: s.files_free,
        f_fsid: [dev as i32, (dev >> 32) as i32],
        f_namelen: s.name_max,
        f_frsize: s.block_size,
        f_flags: 0,
    }
}

/// Implements statfs(2): `(path, buf)` (the 64-bit layout).
pub fn sys_statfs(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let path = ctx.read_path(a.ptr(0))?;
    let loc = vfs::resolve(ctx, AT_FDCWD, &path, true)?;
    let s = loc.inode.statfs(ctx)?;
    let dev = loc.inode.metadata(ctx)?.dev;
    ctx.write_struct(a.ptr(1), &to_statfs(&s, dev))?;
    Ok(0)
}

/// Implements fstatfs(2): `(fd, buf)`. Files without an inode (pipes)
/// report an anonymous filesystem.
pub fn sys_fstatfs(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let f = ctx.file(a.fd(0))?;
    let (s, dev) = match f.ops.inode() {
        Some(i) => (i.statfs(ctx)?, i.metadata(ctx)?.dev),
        None => (
            FsStats {
                fs_type: wasmpod_abi::fs::ANON_INODE_FS_MAGIC,
                block_size: 4096,
                name_max: 255,
                ..Default::default()
            },
            f.ops.metadata(ctx)?.dev,
        ),
    };
    ctx.write_struct(a.ptr(1), &to_statfs(&s, dev))?;
    Ok(0)
}
