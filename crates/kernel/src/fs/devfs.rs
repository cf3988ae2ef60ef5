//! devfs: `/dev`, a tmpfs (like Linux's devtmpfs) populated at boot with
//! the device nodes and links programs expect, and the memory devices
//! (`null`, `zero`, `full`, `random`, `urandom`, major 1).
//!
//! Opening any character device inode — these, or one made later with
//! mknod anywhere — goes through [`super::devices::open_chrdev`]. The VFS
//! wraps the device's ops in a [`DeviceFile`] so that fstat shows the inode
//! that was opened (as on Linux).

use std::any::Any;
use std::sync::Arc;

use super::devices::{makedev, MEM_MAJOR, TTYAUX_MAJOR};
use super::file::{FileOps, OpenFile};
use super::inode::{Inode, Metadata, NodeKind};
use super::tmpfs::{TmpFs, TmpInode};
use super::vfs::Location;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;

pub const MEM_NULL: u32 = 3;
pub const MEM_ZERO: u32 = 5;
pub const MEM_FULL: u32 = 7;
pub const MEM_RANDOM: u32 = 8;
pub const MEM_URANDOM: u32 = 9;

/// A new devfs instance: its root directory.
pub fn new_root() -> Arc<TmpInode> {
    let root = TmpFs::new_root(0o755, 0, 0);
    let chr = |name: &[u8], major: u32, minor: u32, mode: u32| {
        let _ = root.add_raw(name, NodeKind::CharDevice(makedev(major, minor)), mode, 0, 0);
    };
    chr(b"null", MEM_MAJOR, MEM_NULL, 0o666);
    chr(b"zero", MEM_MAJOR, MEM_ZERO, 0o666);
    chr(b"full", MEM_MAJOR, MEM_FULL, 0o666);
    chr(b"random", MEM_MAJOR, MEM_RANDOM, 0o666);
    chr(b"urandom", MEM_MAJOR, MEM_URANDOM, 0o666);
    chr(b"tty", TTYAUX_MAJOR, 0, 0o666);
    chr(b"console", TTYAUX_MAJOR, 1, 0o600);
    chr(b"ptmx", TTYAUX_MAJOR, 2, 0o666);
    let _ = root.add_raw(b"pts", NodeKind::Directory, 0o755, 0, 0);
    let _ = root.add_raw(b"shm", NodeKind::Directory, 0o1777, 0, 0);
    let _ = root.add_symlink_raw(b"fd", b"/proc/self/fd");
    let _ = root.add_symlink_raw(b"stdin", b"/proc/self/fd/0");
    let _ = root.add_symlink_raw(b"stdout", b"/proc/self/fd/1");
    let _ = root.add_symlink_raw(b"stderr", b"/proc/self/fd/2");
    root
}

/// Opens a memory device (major 1) by minor number.
pub fn open_mem(minor: u32) -> Result<Arc<dyn FileOps>> {
    let kind = match minor {
        MEM_NULL => Mem::Null,
        MEM_ZERO => Mem::Zero,
        MEM_FULL => Mem::Full,
        MEM_RANDOM | MEM_URANDOM => Mem::Random,
        _ => return_errno!(ENXIO, "no such memory device"),
    };
    Ok(Arc::new(MemDevice { kind, minor }))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mem {
    Null,
    Zero,
    Full,
    Random,
}

/// `/dev/null` and friends.
struct MemDevice {
    kind: Mem,
    minor: u32,
}

impl MemDevice {
    fn fill(&self, ctx: &mut Ctx, buf: &mut [u8]) -> usize {
        match self.kind {
            // null(4): "Reads from /dev/null always return end of file".
            Mem::Null => 0,
            Mem::Zero | Mem::Full => {
                buf.fill(0);
                buf.len()
            }
            Mem::Random => {
                ctx.platform().random(buf);
                buf.len()
            }
        }
    }
    fn sink(&self, buf: &[u8]) -> Result<usize> {
        match self.kind {
            // full(4): "Writes to the /dev/full device fail with an ENOSPC error".
            Mem::Full => return_errno!(ENOSPC, "/dev/full"),
            _ => Ok(buf.len()),
        }
    }
}

impl FileOps for MemDevice {
    fn read(&self, ctx: &mut Ctx, _file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        Ok(self.fill(ctx, buf))
    }
    fn write(&self, _ctx: &mut Ctx, _file: &OpenFile, buf: &[u8]) -> Result<usize> {
        self.sink(buf)
    }
    fn read_at(&self, ctx: &mut Ctx, _file: &OpenFile, _off: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(self.fill(ctx, buf))
    }
    fn write_at(&self, _ctx: &mut Ctx, _file: &OpenFile, _off: u64, buf: &[u8]) -> Result<usize> {
        self.sink(buf)
    }
    fn seekable(&self) -> bool {
        true
    }
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(Metadata {
            mode: wasmpod_abi::fs::S_IFCHR | 0o666,
            nlink: 1,
            rdev: makedev(MEM_MAJOR, self.minor),
            blksize: 4096,
            ..Default::default()
        })
    }
    fn describe(&self) -> String {
        let name = match self.minor {
            MEM_NULL => "null",
            MEM_ZERO => "zero",
            MEM_FULL => "full",
            MEM_RANDOM => "random",
            _ => "urandom",
        };
        format!("/dev/{name}")
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A device opened by path: the device's ops, with fstat and the
/// `/proc/<pid>/fd` name taken from the inode that was opened.
/// `as_any` reaches the device's own ops, so subsystems can still
/// downcast to their type.
pub struct DeviceFile {
    pub inner: Arc<dyn FileOps>,
    pub loc: Location,
}

impl FileOps for DeviceFile {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        self.inner.read(ctx, file, buf)
    }
    fn write(&self, ctx: &mut Ctx, file: &OpenFile, buf: &[u8]) -> Result<usize> {
        self.inner.write(ctx, file, buf)
    }
    fn read_at(&self, ctx: &mut Ctx, file: &OpenFile, off: u64, buf: &mut [u8]) -> Result<usize> {
        self.inner.read_at(ctx, file, off, buf)
    }
    fn write_at(&self, ctx: &mut Ctx, file: &OpenFile, off: u64, buf: &[u8]) -> Result<usize> {
        self.inner.write_at(ctx, file, off, buf)
    }
    fn seekable(&self) -> bool {
        self.inner.seekable()
    }
    fn poll(&self, ctx: &mut Ctx, file: &OpenFile) -> u16 {
        self.inner.poll(ctx, file)
    }
    fn ioctl(&self, ctx: &mut Ctx, file: &OpenFile, cmd: u32, arg: u32) -> Result<i64> {
        self.inner.ioctl(ctx, file, cmd, arg)
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
        self.inner.as_any()
    }
}
