//! getdents64(2): reading directories.
//!
//! The description's offset is the filesystem's readdir cookie (the `d_off`
//! of the last entry returned), so lseek to a `d_off` resumes there and
//! entries survive concurrent changes as the filesystem's cookies allow.

use wasmpod_abi::fs::dirent64_head;
use wasmpod_abi::AbiStruct;

use super::inode::DirEntry;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Size of one `linux_dirent64` record for a name: the head, the name and
/// its NUL, rounded up to 8 bytes.
pub fn reclen(name_len: usize) -> usize {
    (dirent64_head::SIZE + name_len + 1).div_ceil(8) * 8
}

/// Implements getdents64(2): `(fd, dirp, count)`. `EINVAL` if the buffer
/// cannot hold the next entry; 0 at the end of the directory.
pub fn sys_getdents64(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, dirp, count) = (a.fd(0), a.ptr(1), a.usize(2));
    let file = ctx.file(fd)?;
    if file.is_path_only() {
        return_errno!(EBADF, "getdents64 on an O_PATH fd");
    }
    let inode = file.ops.inode().ok_or(errno!(ENOTDIR, "not a directory"))?;
    let meta = inode.metadata(ctx)?;
    if !super::vfs::is_dir(&meta) {
        return_errno!(ENOTDIR, "not a directory");
    }
    if meta.nlink == 0 {
        // Linux's IS_DEADDIR: a removed directory lists nothing, not even
        // `.` and `..`.
        return_errno!(ENOENT, "getdents64 on a removed directory");
    }
    let count = count.min(super::rw::MAX_RW_COUNT);
    let mut out: Vec<u8> = Vec::new();
    let mut next_pos = None;
    let mut too_small = false;
    inode.readdir(ctx, file.pos(), &mut |e: DirEntry| {
        let len = reclen(e.name.len());
        if out.len() + len > count {
            too_small = out.is_empty();
            return false;
        }
        let head = dirent64_head { d_ino: e.ino, d_off: e.next as i64, d_reclen: len as u16, d_type: e.kind };
        let start = out.len();
        out.resize(start + len, 0);
        head.encode(&mut out[start..]);
        out[start + dirent64_head::SIZE..start + dirent64_head::SIZE + e.name.len()].copy_from_slice(&e.name);
        next_pos = Some(e.next);
        true
    })?;
    if too_small {
        return_errno!(EINVAL, "getdents64: buffer too small for the next entry");
    }
    ctx.write_user(dirp, &out)?;
    if let Some(p) = next_pos {
        file.set_pos(p);
    }
    Ok(out.len() as i64)
}
