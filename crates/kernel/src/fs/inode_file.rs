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
        let pos = if file.append() { append_pos(ctx, &self.loc.inode)? } else { file.pos() };
        let n = self.loc.inode.write_at(ctx, pos, buf)?;
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
        let off = if file.append() { append_pos(ctx, &self.loc.inode)? } else { off };
        self.loc.inode.write_at(ctx, off, buf)
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
