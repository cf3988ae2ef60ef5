//! The open file for inodes opened by path without ops of their own:
//! regular files, directories, and anything opened with `O_PATH`
//! (analogous to Linux's generic `file_operations` for a filesystem).
//!
//! Reads and writes go straight to the inode at the description's offset;
//! everything happens under the kernel lock, so an `O_APPEND` write (seek
//! to the end, write) is atomic as open(2) requires.

use std::any::Any;
use std::sync::Arc;

use super::file::{FileOps, OpenFile};
use super::inode::{Inode, Metadata};
use super::vfs::Location;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::{errno, return_errno};

/// A file or directory opened by path.
pub struct InodeFile {
    pub loc: Location,
    is_dir: bool,
}

impl InodeFile {
    pub fn new(loc: Location, is_dir: bool) -> Arc<InodeFile> {
        Arc::new(InodeFile { loc, is_dir })
    }
    pub fn is_dir(&self) -> bool {
        self.is_dir
    }
}

/// The location behind an open directory (or `O_PATH`) file, for `*at`
/// calls and fchdir.
pub fn location_of(file: &OpenFile) -> Option<Location> {
    file.ops.as_any().downcast_ref::<InodeFile>().map(|f| f.loc.clone())
}

/// A write by anyone but root clears set-user-ID, and set-group-ID when
/// group-execute is set (Linux's `file_remove_privs`; write(2) and
/// chmod(2)'s notes).
fn remove_privs(ctx: &mut Ctx, inode: &Arc<dyn Inode>) -> Result<()> {
    use wasmpod_abi::fs::{S_ISGID, S_ISUID};
    let m = inode.metadata(ctx)?;
    let kill = m.mode & S_ISUID != 0 || (m.mode & S_ISGID != 0 && m.mode & 0o010 != 0);
    if kill && super::vfs::creds(ctx).fsuid != 0 {
        let mode = m.mode & 0o7777 & !S_ISUID & !(if m.mode & 0o010 != 0 { S_ISGID } else { 0 });
        inode.set_attr(ctx, &super::inode::SetAttr { mode: Some(mode), ..Default::default() })?;
    }
    Ok(())
}

/// Applies RLIMIT_FSIZE to a write of `len` bytes at `pos`: the length
/// allowed, or `EFBIG` with SIGXFSZ to the thread when nothing fits
/// (setrlimit(2): "Attempts to extend a file beyond this limit result in
/// delivery of a SIGXFSZ signal"; write(2), EFBIG).
pub fn fsize_limit(ctx: &mut Ctx, pos: u64, len: usize) -> Result<usize> {
    let limit = super::vfs::caller(ctx)
        .map_or(wasmpod_abi::misc::RLIM_INFINITY, |p| p.rlimits[wasmpod_abi::misc::RLIMIT_FSIZE as usize].cur);
    if limit == wasmpod_abi::misc::RLIM_INFINITY || len == 0 {
        return Ok(len);
    }
    if pos >= limit {
        let tid = ctx.tid;
        crate::signal::send_to_thread(&mut ctx.st, tid, crate::signal::SigInfo::kernel(wasmpod_abi::signal::SIGXFSZ));
        return_errno!(EFBIG, "file size limit exceeded");
    }
    Ok(len.min((limit - pos).min(usize::MAX as u64) as usize))
}

/// Offset after an append: the current size.
fn append_pos(ctx: &mut Ctx, inode: &Arc<dyn Inode>) -> Result<u64> {
    Ok(inode.metadata(ctx)?.size)
}

impl FileOps for InodeFile {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        if self.is_dir {
            return_errno!(EISDIR, "read of a directory");
        }
        let pos = file.pos();
        let n = self.loc.inode.read_at(ctx, pos, buf)?;
        file.set_pos(pos + n as u64);
        Ok(n)
    }

    fn write(&self, ctx: &mut Ctx, file: &OpenFile, buf: &[u8]) -> Result<usize> {
        if self.is_dir {
            return_errno!(EISDIR, "write to a directory");
        }
        remove_privs(ctx, &self.loc.inode)?;
        let pos = if file.append() { append_pos(ctx, &self.loc.inode)? } else { file.pos() };
        let len = fsize_limit(ctx, pos, buf.len())?;
        let n = self.loc.inode.write_at(ctx, pos, &buf[..len])?;
        file.set_pos(pos.checked_add(n as u64).ok_or(errno!(EFBIG, "offset overflow"))?);
        Ok(n)
    }

    fn read_at(&self, ctx: &mut Ctx, _file: &OpenFile, off: u64, buf: &mut [u8]) -> Result<usize> {
        if self.is_dir {
            return_errno!(EISDIR, "read of a directory");
        }
        self.loc.inode.read_at(ctx, off, buf)
    }

    /// pwrite(2), BUGS: "if a file is opened with O_APPEND, pwrite()
    /// appends data to the end of the file, regardless of the value of
    /// offset" — Linux does so, and so do we.
    fn write_at(&self, ctx: &mut Ctx, file: &OpenFile, off: u64, buf: &[u8]) -> Result<usize> {
        if self.is_dir {
            return_errno!(EISDIR, "write to a directory");
        }
        remove_privs(ctx, &self.loc.inode)?;
        let off = if file.append() { append_pos(ctx, &self.loc.inode)? } else { off };
        let len = fsize_limit(ctx, off, buf.len())?;
        self.loc.inode.write_at(ctx, off, &buf[..len])
    }

    fn seekable(&self) -> bool {
        true
    }

    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata> {
        self.loc.inode.metadata(ctx)
    }

    fn inode(&self) -> Option<Arc<dyn Inode>> {
        Some(self.loc.inode.clone())
    }

    fn describe(&self) -> String {
        String::from_utf8_lossy(&self.loc.path).into_owned()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
