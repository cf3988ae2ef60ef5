//! Open file descriptions: [`OpenFile`] (analogous to Linux's `struct file`)
//! and the [`FileOps`] trait every kind of open file implements (regular
//! files through the VFS, pipes, ttys, eventfd, epoll, ...).
//!
//! Handlers clone the `Arc<OpenFile>` out of the fd table and then call its
//! ops with the full [`Ctx`], so an implementation can block
//! ([`Ctx::wait_until`]), send signals or wake others ([`Ctx::notify`]).
//! Last-close work is done in `Drop` of the implementation; whoever removes
//! fds calls `ctx.notify()` so that waiters re-check.

use std::any::Any;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::{O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, SETFL_MASK};

use super::inode::{Inode, Metadata};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;

/// What an open file can do. Every method has a Linux-like default so an
/// implementation only writes what it supports.
pub trait FileOps: Send + Sync + Any {
    /// Reads into `buf`. Seekable files read at `file.pos()` and advance it.
    /// In blocking mode (`!file.nonblocking()`), a file with no data yet
    /// waits with `ctx.wait_until`; in non-blocking mode it says `EAGAIN`.
    fn read(&self, _ctx: &mut Ctx, _file: &OpenFile, _buf: &mut [u8]) -> Result<usize> {
        return_errno!(EINVAL, "file does not support read")
    }
    /// Writes from `buf`, blocking like `read`.
    fn write(&self, _ctx: &mut Ctx, _file: &OpenFile, _buf: &[u8]) -> Result<usize> {
        return_errno!(EINVAL, "file does not support write")
    }
    /// `read` straight into user memory (`addr..addr + len`, already
    /// checked to lie inside it), for files that can copy out of their own
    /// buffers without a kernel bounce buffer. `None`: not supported, the
    /// caller reads into a kernel buffer and copies.
    fn read_user(&self, _ctx: &mut Ctx, _file: &OpenFile, _addr: u32, _len: usize) -> Option<Result<usize>> {
        None
    }
    /// Positional read (pread64); `ESPIPE` for streams.
    fn read_at(&self, _ctx: &mut Ctx, _file: &OpenFile, _off: u64, _buf: &mut [u8]) -> Result<usize> {
        return_errno!(ESPIPE, "file is not seekable")
    }
    /// Positional write (pwrite64); `ESPIPE` for streams.
    fn write_at(&self, _ctx: &mut Ctx, _file: &OpenFile, _off: u64, _buf: &[u8]) -> Result<usize> {
        return_errno!(ESPIPE, "file is not seekable")
    }
    /// Whether lseek works (regular files, directories, block devices).
    fn seekable(&self) -> bool {
        false
    }
    /// The readiness bits (`POLLIN`, `POLLOUT`, `POLLHUP`, ...) right now.
    fn poll(&self, _ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        wasmpod_abi::poll::POLLIN | wasmpod_abi::poll::POLLOUT
    }
    /// For edge-triggered epoll: a counter that moves whenever an event
    /// for `events` (`EPOLLIN`/`EPOLLOUT` bits) happens (data arrived, room
    /// made, hang-up), even if `poll` reports the same bits before and
    /// after. `None` (the default): epoll treats `EPOLLET` on this file as
    /// level-triggered, which may over-report but never misses an event.
    fn edge_generation(&self, _events: u32) -> Option<u64> {
        None
    }
    /// Device-specific control.
    fn ioctl(&self, _ctx: &mut Ctx, _file: &OpenFile, _cmd: u32, _arg: u32) -> Result<i64> {
        return_errno!(ENOTTY, "inappropriate ioctl for device")
    }
    /// fstat.
    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata>;
    /// The VFS inode behind this file, if any (regular files, directories,
    /// devices opened by path).
    fn inode(&self) -> Option<Arc<dyn Inode>> {
        None
    }
    /// `/proc/<pid>/fd/<n>` link text for files without a path, e.g.
    /// `pipe:[1234]` or `anon_inode:[eventfd]`.
    fn describe(&self) -> String {
        "anon_inode:[unknown]".into()
    }
    /// For downcasting (epoll reaching its own state, ttys, ...).
    fn as_any(&self) -> &dyn Any;
}

/// An open file description: shared by fds made with dup and inherited
/// across fork/spawn; owns the file offset and status flags.
pub struct OpenFile {
    pub ops: Arc<dyn FileOps>,
    flags: AtomicU32,
    pos: Mutex<u64>,
    /// The path the file was opened by (for `/proc/<pid>/fd`, `fchdir` and
    /// `*at` calls relative to a directory fd). Empty for anonymous files.
    pub path: Vec<u8>,
}

impl OpenFile {
    /// A new description with `flags` (access mode and status flags; the
    /// creation flags and `O_CLOEXEC` are not kept).
    pub fn new(ops: Arc<dyn FileOps>, flags: u32) -> Arc<OpenFile> {
        Self::with_path(ops, flags, Vec::new())
    }

    pub fn with_path(ops: Arc<dyn FileOps>, flags: u32, path: Vec<u8>) -> Arc<OpenFile> {
        let keep = O_ACCMODE | SETFL_MASK | O_PATH | wasmpod_abi::fcntl::O_DIRECTORY | wasmpod_abi::fcntl::O_LARGEFILE;
        Arc::new(OpenFile { ops, flags: AtomicU32::new(flags & keep), pos: Mutex::new(0), path })
    }

    /// The status flags and access mode (`F_GETFL`).
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// `F_SETFL`: changes only the flags in `SETFL_MASK`.
    pub fn set_status_flags(&self, flags: u32) {
        let old = self.flags();
        self.flags.store((old & !SETFL_MASK) | (flags & SETFL_MASK), Ordering::Relaxed);
    }

    pub fn nonblocking(&self) -> bool {
        self.flags() & O_NONBLOCK != 0
    }
    pub fn append(&self) -> bool {
        self.flags() & O_APPEND != 0
    }
    /// Opened with `O_PATH`: only fd-level operations are allowed.
    pub fn is_path_only(&self) -> bool {
        self.flags() & O_PATH != 0
    }
    pub fn readable(&self) -> bool {
        !self.is_path_only() && matches!(self.flags() & O_ACCMODE, O_RDONLY | O_RDWR)
    }
    pub fn writable(&self) -> bool {
        !self.is_path_only() && matches!(self.flags() & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    /// The file offset.
    pub fn pos(&self) -> u64 {
        *self.pos.lock()
    }
    pub fn set_pos(&self, pos: u64) {
        *self.pos.lock() = pos;
    }
}
