//! Magic links: `/proc/<pid>/fd/<n>` designates an open file, not a path.
//!
//! The VFS calls [`magic_link`] when a walk meets a symlink, before reading
//! its text (Linux's `nd_jump_link`). For a fd link it answers with where
//! the open file lives: the file's own location if it was opened by path
//! (a regular file, directory or device node: the walk continues there and
//! open makes a fresh description of that inode, as Linux does), or, for
//! files with no place in the tree (pipes, sockets, eventfds), a stand-in
//! inode whose metadata is the file's and whose `open` returns the file's
//! own `FileOps`; `do_open` asks [`magic_open`] for those before its
//! file-type dispatch. Either way the new fd reaches the same object with
//! its own offset and flags.

use std::any::Any;
use std::sync::Arc;

use super::{pid, Node, ProcInode};
use crate::error::Result;
use crate::fs::devfs::DeviceFile;
use crate::fs::{FileOps, Inode, Location, Metadata, OpenFile};
use crate::kernel::Ctx;

/// Where an open file sits in the tree, if it was opened by path.
pub fn location_of_file(file: &OpenFile) -> Option<Location> {
    if let Some(l) = crate::fs::inode_file::location_of(file) {
        return Some(l);
    }
    file.ops.as_any().downcast_ref::<DeviceFile>().map(|d| d.loc.clone())
}

/// The target of a magic link at `loc`, or `None` for ordinary symlinks
/// (whose text the VFS follows).
pub fn magic_link(ctx: &mut Ctx, loc: &Location) -> Result<Option<Location>> {
    let Some(Node::Fd(pid, fd)) = loc.inode.as_any().downcast_ref::<ProcInode>().map(|p| p.node) else {
        return Ok(None);
    };
    let file = pid::fd_file(ctx, pid, fd)?;
    if let Some(l) = location_of_file(&file) {
        return Ok(Some(l));
    }
    // No path: the description's link text names it (`describe()`).
    Ok(Some(Location { mount: loc.mount, inode: Arc::new(FdTarget { file }), path: Vec::new() }))
}

/// The ops to open at `loc` when it is a magic link's stand-in for a file
/// without a path.
pub fn magic_open(loc: &Location) -> Option<Arc<dyn FileOps>> {
    loc.inode.as_any().downcast_ref::<FdTarget>().map(|t| t.file.ops.clone())
}

/// Stand-in inode for an open file without a path.
struct FdTarget {
    file: Arc<OpenFile>,
}

impl Inode for FdTarget {
    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata> {
        self.file.ops.metadata(ctx)
    }

    fn open(&self, _ctx: &mut Ctx, _flags: u32) -> Result<Option<Arc<dyn FileOps>>> {
        Ok(Some(self.file.ops.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
