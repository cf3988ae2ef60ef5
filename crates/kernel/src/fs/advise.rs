//! Hints about file access: posix_fadvise, readahead, sync_file_range.
//!
//! There is no page cache to steer for tmpfs, and ext2's block cache sits
//! below the VFS, so the hints change nothing; the calls check their
//! arguments exactly as Linux does and `sync_file_range` with
//! `SYNC_FILE_RANGE_WRITE` writes the file back like fdatasync.

use wasmpod_abi::fs::{S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK};

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::{sup, Entry, SyscallArgs};

pub const POSIX_FADV_NORMAL: u32 = 0;
pub const POSIX_FADV_NOREUSE: u32 = 5;
pub const SYNC_FILE_RANGE_WAIT_BEFORE: u32 = 1;
pub const SYNC_FILE_RANGE_WRITE: u32 = 2;
pub const SYNC_FILE_RANGE_WAIT_AFTER: u32 = 4;

/// The file type bits of `fd` (`EBADF` for bad and `O_PATH` fds).
fn file_type(ctx: &mut Ctx, fd: i32) -> Result<u32> {
    let f = ctx.file(fd)?;
    if f.is_path_only() {
        return_errno!(EBADF, "O_PATH fd");
    }
    Ok(f.ops.metadata(ctx)?.mode & S_IFMT)
}

/// Implements fadvise64(2) (posix_fadvise): `(fd, off_lo, off_hi, len_lo,
/// len_hi, advice)`. `ESPIPE` for pipes and FIFOs, `EINVAL` for an unknown
/// advice or a negative length.
pub fn sys_fadvise64(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let ty = file_type(ctx, a.fd(0))?;
    if ty == S_IFIFO {
        return_errno!(ESPIPE, "fadvise on a pipe");
    }
    if a.i64_pair(3) < 0 {
        return_errno!(EINVAL, "fadvise: negative length");
    }
    if !(POSIX_FADV_NORMAL..=POSIX_FADV_NOREUSE).contains(&a.u32(5)) {
        return_errno!(EINVAL, "fadvise: unknown advice");
    }
    Ok(0)
}

/// Implements readahead(2): `(fd, off_lo, off_hi, count)`. `EBADF` unless
/// open for reading, `EINVAL` unless a regular file.
pub fn sys_readahead(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let f = ctx.file(a.fd(0))?;
    if !f.readable() {
        return_errno!(EBADF, "readahead: fd not open for reading");
    }
    if f.ops.metadata(ctx)?.mode & S_IFMT != S_IFREG {
        return_errno!(EINVAL, "readahead: not a regular file");
    }
    Ok(0)
}

/// Implements sync_file_range(2): `(fd, off_lo, off_hi, nbytes_lo,
/// nbytes_hi, flags)`.
pub fn sys_sync_file_range(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(5);
    let valid = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    if flags & !valid != 0 {
        return_errno!(EINVAL, "sync_file_range: unknown flags");
    }
    let (off, n) = (a.i64_pair(1), a.i64_pair(3));
    if off < 0 || n < 0 || off.checked_add(n).is_none() {
        return_errno!(EINVAL, "sync_file_range: bad range");
    }
    let ty = file_type(ctx, a.fd(0))?;
    if ty == S_IFIFO || ty == S_IFSOCK {
        return_errno!(ESPIPE, "sync_file_range on a pipe or socket");
    }
    if flags & SYNC_FILE_RANGE_WRITE != 0 {
        let f = ctx.file(a.fd(0))?;
        if let Some(inode) = f.ops.inode() {
            inode.sync(ctx)?;
        }
    }
    Ok(0)
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[
        sup(SYS_fadvise64, sys_fadvise64),
        sup(SYS_readahead, sys_readahead),
        sup(SYS_sync_file_range, sys_sync_file_range),
    ]
};

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::syscalls::*;

    use crate::fs::open::test_util::*;
    use crate::testing::Harness;

    #[test]
    fn fadvise_checks_fd_type_and_advice() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"data");
        let fd = open(&p, "/tmp/f", O_RDONLY, 0) as u64;
        assert_eq!(p.sys(SYS_fadvise64, &[fd, 0, 0, 100, 0, 2]), 0, "SEQUENTIAL");
        assert_eq!(p.sys(SYS_fadvise64, &[fd, 0, 0, 100, 0, 9]), -22, "unknown advice");
        assert_eq!(p.sys(SYS_fadvise64, &[fd, 0, 0, 0xffff_ffff, 0xffff_ffff, 0]), -22, "negative length");
        assert_eq!(p.sys(SYS_fadvise64, &[77, 0, 0, 0, 0, 0]), -9);
        let fds = p.alloc(8);
        assert_eq!(p.sys(SYS_pipe2, &[u64::from(fds), 0]), 0);
        assert_eq!(p.sys(SYS_fadvise64, &[u64::from(p.read_u32(fds)), 0, 0, 0, 0, 0]), -29, "ESPIPE");
    }

    #[test]
    fn readahead_wants_a_readable_regular_file() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"data");
        let r = open(&p, "/tmp/f", O_RDONLY, 0) as u64;
        let w = open(&p, "/tmp/f", O_WRONLY, 0) as u64;
        let d = open(&p, "/tmp", O_RDONLY | O_DIRECTORY, 0) as u64;
        assert_eq!(p.sys(SYS_readahead, &[r, 0, 0, 4096]), 0);
        assert_eq!(p.sys(SYS_readahead, &[w, 0, 0, 4096]), -9);
        assert_eq!(p.sys(SYS_readahead, &[d, 0, 0, 4096]), -22);
    }

    #[test]
    fn sync_file_range_validates_flags_and_range() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"data");
        let fd = open(&p, "/tmp/f", O_RDWR, 0) as u64;
        assert_eq!(p.sys(SYS_sync_file_range, &[fd, 0, 0, 4, 0, 7]), 0);
        assert_eq!(p.sys(SYS_sync_file_range, &[fd, 0, 0, 4, 0, 8]), -22);
        assert_eq!(p.sys(SYS_sync_file_range, &[fd, 0xffff_ffff, 0xffff_ffff, 4, 0, 2]), -22);
        let fds = p.alloc(8);
        assert_eq!(p.sys(SYS_pipe2, &[u64::from(fds), 0]), 0);
        assert_eq!(p.sys(SYS_sync_file_range, &[u64::from(p.read_u32(fds)), 0, 0, 0, 0, 2]), -29);
    }
}
