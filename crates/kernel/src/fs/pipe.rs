//! Pipes and FIFOs (pipe(7), fifo(7)), and host pipes that connect a pod's
//! stdio to the outside.
//!
//! A [`Pipe`] is a bounded byte buffer with reader and writer counts
//! (analogous to Linux's `pipe_inode_info`); each open end is a [`PipeEnd`]
//! (the `FileOps` of the open file description). Last-close work happens in
//! `Drop` of the end: the counts go down, and whoever closed the fd wakes
//! waiters (`ctx.notify()`), so readers see EOF and writers EPIPE.
//!
//! FIFOs share the same machinery: [`open_fifo`] finds (or makes) the one
//! pipe of a FIFO inode, keyed by `(dev, ino)` in [`PipeGlobal`], and does
//! fifo(7)'s open-time blocking.
//!
//! Host pipes ([`Kernel::host_pipe`]) give a host thread one end of a pipe
//! whose other end the guest sees as an fd; the host side blocks on the
//! kernel's wait primitive for host threads ([`Kernel::host_wait`]).
//!
//! Packet mode (pipe(7) `O_DIRECT`): a write through a description with
//! `O_DIRECT` adds packets of at most `PIPE_BUF` bytes; a read returns at
//! most one packet and discards what of it does not fit.
//!
//! Not done: splice/tee/vmsplice, per-user pipe buffer accounting
//! (`pipe-user-pages-soft`); capacity counts bytes, where Linux counts
//! page-sized slots (so 16 one-byte packets do not fill a 64 KiB pipe here).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::{O_ACCMODE, O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};
use wasmpod_abi::fs::S_IFIFO;
use wasmpod_abi::poll::{POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use wasmpod_abi::signal::SIGPIPE;

use super::devices::makedev;
use super::file::{FileOps, OpenFile};
use super::inode::{Inode, Metadata, Timespec};
use crate::error::{Restart, Result};
use crate::kernel::{Ctx, Kernel, State};
use crate::return_errno;
use crate::signal::{send_to_thread, SigInfo};
use crate::syscall::SyscallArgs;

/// pipe(7): "POSIX.1 says that writes of less than PIPE_BUF bytes must be
/// atomic"; Linux's PIPE_BUF is 4096.
pub const PIPE_BUF: usize = 4096;
/// The page size pipe capacities are rounded to (Linux's `PAGE_SIZE`).
pub const PAGE_SIZE: usize = 4096;
/// pipe(7): "Since Linux 2.6.11, the pipe capacity is 16 pages (i.e., 65,536
/// bytes in a system with a page size of 4096 bytes)".
pub const PIPE_DEF_SIZE: usize = 16 * PAGE_SIZE;
/// `/proc/sys/fs/pipe-max-size` default (1 MiB): the most an unprivileged
/// process may set with `F_SETPIPE_SZ`.
pub const PIPE_MAX_SIZE: usize = 1 << 20;
/// The largest capacity even root may set: Linux's `round_pipe_size` refuses
/// sizes above 2^31.
pub const PIPE_HARD_MAX: usize = 1 << 31;
/// The anonymous device of pipefs (Linux shows `0:12` or similar).
pub const PIPEFS_DEV: u64 = makedev(0, 12);

/// Kernel-wide pipe state: inode numbers of anonymous pipes, and the pipe of
/// every FIFO that is open somewhere.
#[derive(Default)]
pub struct PipeGlobal {
    last_ino: u64,
    /// `(dev, ino)` of a FIFO inode → its pipe while any end is open.
    fifos: HashMap<(u64, u64), Weak<Pipe>>,
}

impl PipeGlobal {
    fn next_ino(&mut self) -> u64 {
        self.last_ino += 1;
        self.last_ino
    }
}

/// The buffer and bookkeeping of one pipe (analogous to Linux's
/// `pipe_inode_info`).
pub struct Pipe {
    ino: u64,
    uid: u32,
    gid: u32,
    created: Timespec,
    inner: Mutex<PipeState>,
}

/// A run of bytes in the buffer: stream data, or one packet.
#[derive(Clone, Copy)]
struct Seg {
    len: usize,
    packet: bool,
}

struct PipeState {
    buf: VecDeque<u8>,
    /// How `buf` divides into stream runs and packets (lengths sum to
    /// `buf.len()`).
    segs: VecDeque<Seg>,
    cap: usize,
    readers: usize,
    writers: usize,
    /// Opens for reading/writing ever made (fifo(7) open waits for these to
    /// change, as Linux's `r_counter`/`w_counter`).
    r_counter: u64,
    w_counter: u64,
    /// Event generations for edge-triggered epoll: `in_gen` moves when data
    /// arrives or the last writer leaves, `out_gen` when room is made or the
    /// last reader leaves.
    in_gen: u64,
    out_gen: u64,
}

impl PipeState {
    fn free(&self) -> usize {
        self.cap.saturating_sub(self.buf.len())
    }

    /// Hands the first `n` buffered bytes to `sink` (one or two slices of
    /// the ring) and drops them from the buffer, even when the sink fails
    /// (the segment bookkeeping already counts them as taken).
    fn drain_into(&mut self, n: usize, sink: &mut impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        let (a, b) = self.buf.as_slices();
        let na = n.min(a.len());
        let r = sink(&a[..na]).and_then(|()| if n > na { sink(&b[..n - na]) } else { Ok(()) });
        self.buf.drain(..n);
        r
    }

    /// Reads like Linux's `pipe_read`: stream bytes up to `max`, stopping
    /// after a packet (whose excess is discarded), handed to `sink` in
    /// order. A sink error (EFAULT) ends the read; what was handed over
    /// before it counts.
    fn take_with(&mut self, max: usize, mut sink: impl FnMut(&[u8]) -> Result<()>) -> Result<usize> {
        let mut n = 0;
        let mut result = Ok(());
        while n < max {
            let Some(seg) = self.segs.front_mut() else { break };
            let k = seg.len.min(max - n);
            let packet = seg.packet;
            seg.len -= k;
            let rest = if packet { seg.len } else { 0 };
            if seg.len == 0 || packet {
                self.segs.pop_front();
            }
            result = self.drain_into(k, &mut sink);
            self.buf.drain(..rest);
            n += k;
            if packet || result.is_err() {
                break;
            }
        }
        if n > 0 {
            self.out_gen += 1;
        }
        result.map(|()| n)
    }

    /// [`PipeState::take_with`] into a kernel buffer.
    fn take(&mut self, out: &mut [u8]) -> usize {
        let mut at = 0;
        let r = self.take_with(out.len(), |chunk| {
            out[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
            Ok(())
        });
        r.unwrap_or(at)
    }

    /// Appends stream bytes, or packets of at most `PIPE_BUF` bytes.
    fn put(&mut self, data: &[u8], packet: bool) {
        if data.is_empty() {
            return;
        }
        self.buf.extend(data);
        if packet {
            for c in data.chunks(PIPE_BUF) {
                self.segs.push_back(Seg { len: c.len(), packet: true });
            }
        } else {
            match self.segs.back_mut() {
                Some(s) if !s.packet => s.len += data.len(),
                _ => self.segs.push_back(Seg { len: data.len(), packet: false }),
            }
        }
        self.in_gen += 1;
    }
}

impl Pipe {
    fn new(ino: u64, uid: u32, gid: u32, created: Timespec) -> Arc<Pipe> {
        Arc::new(Pipe {
            ino,
            uid,
            gid,
            created,
            inner: Mutex::new(PipeState {
                buf: VecDeque::new(),
                segs: VecDeque::new(),
                cap: PIPE_DEF_SIZE,
                readers: 0,
                writers: 0,
                r_counter: 0,
                w_counter: 0,
                in_gen: 0,
                out_gen: 0,
            }),
        })
    }

    /// The pipe's inode number (`pipe:[ino]`).
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// Capacity in bytes (`F_GETPIPE_SZ`).
    pub fn capacity(&self) -> usize {
        self.inner.lock().cap
    }

    /// Bytes waiting to be read (`FIONREAD`).
    pub fn len(&self) -> usize {
        self.inner.lock().buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `F_SETPIPE_SZ`: fcntl(2): the size is rounded up (Linux's
    /// `round_pipe_size`: at least a page, then the next power of two);
    /// `EPERM` above `/proc/sys/fs/pipe-max-size` without privilege, `EBUSY`
    /// if the data in the pipe would not fit. Returns the new capacity.
    pub fn set_capacity(&self, arg: u64, privileged: bool) -> Result<usize> {
        if arg > PIPE_HARD_MAX as u64 {
            return_errno!(EINVAL, "F_SETPIPE_SZ: size above 2^31");
        }
        let size = (arg as usize).max(PAGE_SIZE).next_power_of_two();
        let mut s = self.inner.lock();
        if size > s.cap && size > PIPE_MAX_SIZE && !privileged {
            return_errno!(EPERM, "F_SETPIPE_SZ: above pipe-max-size");
        }
        if s.buf.len() > size {
            return_errno!(EBUSY, "F_SETPIPE_SZ: data in the pipe does not fit");
        }
        s.cap = size;
        s.out_gen += 1;
        Ok(size)
    }

    /// An event generation for edge-triggered epoll over the events in
    /// `events` (`EPOLLIN`/`EPOLLOUT` bits): it changes whenever an event a
    /// waiter for those bits would be woken by happens.
    pub fn edge_generation(&self, events: u32) -> u64 {
        let s = self.inner.lock();
        let mut g = 0u64;
        if events & u32::from(POLLIN) != 0 {
            g = g.wrapping_add(s.in_gen);
        }
        if events & u32::from(POLLOUT) != 0 {
            g = g.wrapping_add(s.out_gen);
        }
        g
    }
}

/// One open end of a pipe or FIFO: the `FileOps` of its open file
/// description. A FIFO opened `O_RDWR` is both a reader and a writer.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    reads: bool,
    writes: bool,
    /// fifo(7)/Linux `f_version`: a FIFO opened `O_RDONLY|O_NONBLOCK` with no
    /// writer doesn't report `POLLHUP` until a writer has come and gone.
    hup_version: u64,
    /// The FIFO inode this end was opened through (None for pipe2).
    fifo: Option<Arc<dyn Inode>>,
}

impl PipeEnd {
    fn new(pipe: Arc<Pipe>, reads: bool, writes: bool, fifo: Option<Arc<dyn Inode>>) -> PipeEnd {
        {
            let mut s = pipe.inner.lock();
            if reads {
                s.readers += 1;
                s.r_counter += 1;
                s.out_gen += 1;
            }
            if writes {
                s.writers += 1;
                s.w_counter += 1;
                s.in_gen += 1;
            }
        }
        PipeEnd { pipe, reads, writes, hup_version: 0, fifo }
    }

    /// The pipe behind this end.
    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.pipe
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut s = self.pipe.inner.lock();
        if self.reads {
            s.readers -= 1;
            if s.readers == 0 {
                s.out_gen += 1;
            }
        }
        if self.writes {
            s.writers -= 1;
            if s.writers == 0 {
                s.in_gen += 1;
            }
        }
    }
}

/// The pipe behind an open file, if it is a pipe or FIFO.
pub fn pipe_of(file: &OpenFile) -> Option<&Arc<Pipe>> {
    file.ops.as_any().downcast_ref::<PipeEnd>().map(|e| &e.pipe)
}

impl PipeEnd {
    /// read(2) on a pipe, handing up to `max` bytes to `sink` in order:
    /// pipe(7): "If a process attempts to read from an empty pipe, then
    /// read(2) will block until data is available"; with no writers left it
    /// returns 0 (end of file); `O_NONBLOCK` gives `EAGAIN`.
    fn read_with(
        &self,
        ctx: &mut Ctx,
        file: &OpenFile,
        max: usize,
        mut sink: impl FnMut(&mut Ctx, &[u8]) -> Result<()>,
    ) -> Result<usize> {
        if max == 0 {
            return Ok(0);
        }
        let pipe = self.pipe.clone();
        ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
            let mut s = pipe.inner.lock();
            if !s.buf.is_empty() {
                let n = s.take_with(max, |chunk| sink(ctx, chunk))?;
                drop(s);
                ctx.notify();
                return Ok(Some(n));
            }
            if s.writers == 0 {
                return Ok(Some(0));
            }
            if file.nonblocking() {
                return_errno!(EAGAIN, "pipe is empty");
            }
            Ok(None)
        })
    }
}

impl FileOps for PipeEnd {
    /// Into a kernel buffer (readv, and callers inside the kernel); see
    /// [`PipeEnd::read_with`].
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        let mut at = 0;
        self.read_with(ctx, file, buf.len(), |_, chunk| {
            buf[at..at + chunk.len()].copy_from_slice(chunk);
            at += chunk.len();
            Ok(())
        })
    }

    /// `read` straight from the pipe's buffer into user memory: no kernel
    /// bounce buffer (a 64 KiB pipe read copies once, not three times).
    fn read_user(&self, ctx: &mut Ctx, file: &OpenFile, addr: u32, len: usize) -> Option<Result<usize>> {
        let mut at = addr;
        Some(self.read_with(ctx, file, len, |ctx, chunk| {
            ctx.write_user(at, chunk)?;
            at += chunk.len() as u32;
            Ok(())
        }))
    }

    /// pipe(7): writes of at most `PIPE_BUF` bytes are atomic (blocking: wait
    /// for room for all; `O_NONBLOCK`: `EAGAIN` unless all fits); larger
    /// writes may be split, partial when non-blocking, completed when
    /// blocking (a signal after progress returns the partial count). No
    /// readers: `SIGPIPE` and `EPIPE`.
    fn write(&self, ctx: &mut Ctx, file: &OpenFile, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let pipe = self.pipe.clone();
        let atomic = data.len() <= PIPE_BUF;
        let packet = file.flags() & O_DIRECT != 0;
        let mut done = 0usize;
        let r = ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
            let mut s = pipe.inner.lock();
            if s.readers == 0 {
                drop(s);
                let tid = ctx.tid;
                send_to_thread(&mut ctx.st, tid, SigInfo::kernel(SIGPIPE));
                if done > 0 {
                    return Ok(Some(()));
                }
                return_errno!(EPIPE, "pipe has no readers");
            }
            let free = s.free();
            let n = if atomic {
                if free >= data.len() {
                    data.len()
                } else {
                    0
                }
            } else {
                free.min(data.len() - done)
            };
            if n > 0 {
                s.put(&data[done..done + n], packet);
                done += n;
                drop(s);
                ctx.notify();
            }
            if done == data.len() {
                return Ok(Some(()));
            }
            if file.nonblocking() {
                if done > 0 {
                    return Ok(Some(()));
                }
                return_errno!(EAGAIN, "pipe is full");
            }
            Ok(None)
        });
        match r {
            Ok(()) => Ok(done),
            Err(e) if done > 0 && e.errno() == wasmpod_abi::Errno::EINTR => Ok(done),
            Err(e) => Err(e),
        }
    }

    /// Linux `pipe_poll`: readers see `POLLIN` with data and `POLLHUP` with
    /// no writers; writers see `POLLOUT` while a page (`PIPE_BUF`) fits and
    /// `POLLERR` with no readers.
    fn poll(&self, _ctx: &mut Ctx, file: &OpenFile) -> u16 {
        let s = self.pipe.inner.lock();
        let mut mask = 0;
        if self.reads && file.readable() {
            if !s.buf.is_empty() {
                mask |= POLLIN | POLLRDNORM;
            }
            if s.writers == 0 && s.w_counter != self.hup_version {
                mask |= POLLHUP;
            }
        }
        if self.writes && file.writable() {
            if s.free() >= PIPE_BUF.min(s.cap) {
                mask |= POLLOUT | POLLWRNORM;
            }
            if s.readers == 0 {
                mask |= POLLERR;
            }
        }
        mask
    }

    /// `FIONREAD`: the number of unread bytes.
    fn ioctl(&self, ctx: &mut Ctx, _file: &OpenFile, cmd: u32, arg: u32) -> Result<i64> {
        match cmd {
            wasmpod_abi::ioctl::FIONREAD => {
                let n = self.pipe.len() as u32;
                ctx.write_u32(arg, n)?;
                Ok(0)
            }
            _ => return_errno!(ENOTTY, "pipe: unknown ioctl"),
        }
    }

    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata> {
        if let Some(inode) = &self.fifo {
            return inode.metadata(ctx);
        }
        let p = &self.pipe;
        Ok(Metadata {
            dev: PIPEFS_DEV,
            ino: p.ino,
            mode: S_IFIFO | 0o600,
            nlink: 1,
            uid: p.uid,
            gid: p.gid,
            rdev: 0,
            size: 0,
            blksize: PAGE_SIZE as u32,
            blocks: 0,
            atime: p.created,
            mtime: p.created,
            ctime: p.created,
        })
    }

    fn edge_generation(&self, events: u32) -> Option<u64> {
        Some(self.pipe.edge_generation(events))
    }

    fn inode(&self) -> Option<Arc<dyn Inode>> {
        self.fifo.clone()
    }

    fn describe(&self) -> String {
        format!("pipe:[{}]", self.pipe.ino)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn new_anon_pipe(st: &mut State, uid: u32, gid: u32, now: Timespec) -> Arc<Pipe> {
    let ino = st.fs.pipes.next_ino();
    Pipe::new(ino, uid, gid, now)
}

/// A new pipe's two open file descriptions: `(read end, write end)`, with
/// `flags` (`O_NONBLOCK`, `O_DIRECT`) as their status flags.
pub fn new_pipe_files(ctx: &mut Ctx, flags: u32) -> (Arc<OpenFile>, Arc<OpenFile>) {
    let (uid, gid) = {
        let c = &ctx.process().creds;
        (c.fsuid, c.fsgid)
    };
    let now = Timespec::from_nanos(ctx.platform().now(crate::platform::ClockKind::Realtime));
    let pipe = new_anon_pipe(&mut ctx.st, uid, gid, now);
    let status = flags & (O_NONBLOCK | O_DIRECT);
    let r = OpenFile::new(Arc::new(PipeEnd::new(pipe.clone(), true, false, None)), O_RDONLY | status);
    let w = OpenFile::new(Arc::new(PipeEnd::new(pipe, false, true, None)), O_WRONLY | status);
    (r, w)
}

/// `O_NOTIFICATION_PIPE` (== `O_EXCL`): accepted by Linux only with
/// `CONFIG_WATCH_QUEUE`; we refuse it.
const PIPE2_FLAGS: u32 = O_CLOEXEC | O_NONBLOCK | O_DIRECT;

/// Implements pipe2(2): `(int pipefd[2], flags)`. pipe2(2): "EINVAL
/// (pipe2()) Invalid value in flags".
pub fn sys_pipe2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (ptr, flags) = (a.ptr(0), a.u32(1));
    if flags & !PIPE2_FLAGS != 0 {
        return_errno!(EINVAL, "pipe2: unknown flags");
    }
    let cloexec = flags & O_CLOEXEC != 0;
    let (r, w) = new_pipe_files(ctx, flags);
    let limit = super::dup::nofile_limit(ctx);
    let rfd = ctx.process_mut().files.alloc(r, cloexec, 0, limit)?;
    let wfd = match ctx.process_mut().files.alloc(w, cloexec, 0, limit) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = ctx.process_mut().files.remove(rfd);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&rfd.to_le_bytes());
    b[4..].copy_from_slice(&wfd.to_le_bytes());
    if let Err(e) = ctx.write_user(ptr, &b) {
        let _ = ctx.process_mut().files.remove(rfd);
        let _ = ctx.process_mut().files.remove(wfd);
        return Err(e);
    }
    Ok(0)
}

/// Opens a FIFO inode (the VFS calls this for `S_IFIFO` inodes; `flags` are
/// the open flags). fifo(7): "opening the FIFO blocks until the other end is
/// opened also"; "A process can open a FIFO in nonblocking mode. In this
/// case, opening for read-only succeeds even if no one has opened on the
/// write side yet and opening for write-only fails with ENXIO unless the
/// other end has already been opened"; "opening a FIFO for read and write
/// will succeed both in blocking and nonblocking mode".
pub fn open_fifo(ctx: &mut Ctx, inode: Arc<dyn Inode>, flags: u32) -> Result<Arc<dyn FileOps>> {
    let md = inode.metadata(ctx)?;
    let key = (md.dev, md.ino);
    let pipe = match ctx.st.fs.pipes.fifos.get(&key).and_then(Weak::upgrade) {
        Some(p) => p,
        None => {
            let now = Timespec::from_nanos(ctx.platform().now(crate::platform::ClockKind::Realtime));
            let p = Pipe::new(md.ino, md.uid, md.gid, now);
            let fifos = &mut ctx.st.fs.pipes.fifos;
            fifos.retain(|_, w| w.strong_count() > 0);
            fifos.insert(key, Arc::downgrade(&p));
            p
        }
    };
    let nonblock = flags & O_NONBLOCK != 0;
    let end = match flags & O_ACCMODE {
        O_RDONLY => {
            let mut end = PipeEnd::new(pipe.clone(), true, false, Some(inode));
            ctx.notify();
            let (writers, w_counter) = {
                let s = pipe.inner.lock();
                (s.writers, s.w_counter)
            };
            if writers == 0 {
                if nonblock {
                    end.hup_version = w_counter;
                } else {
                    ctx.wait_until(None, Restart::IfSaRestart, |_| {
                        Ok((pipe.inner.lock().w_counter != w_counter).then_some(()))
                    })?;
                }
            }
            end
        }
        O_WRONLY => {
            let (readers, r_counter) = {
                let s = pipe.inner.lock();
                (s.readers, s.r_counter)
            };
            if nonblock && readers == 0 {
                return_errno!(ENXIO, "FIFO has no reader");
            }
            let end = PipeEnd::new(pipe.clone(), false, true, Some(inode));
            ctx.notify();
            if readers == 0 {
                ctx.wait_until(None, Restart::IfSaRestart, |_| {
                    Ok((pipe.inner.lock().r_counter != r_counter).then_some(()))
                })?;
            }
            end
        }
        O_RDWR => {
            let end = PipeEnd::new(pipe, true, true, Some(inode));
            ctx.notify();
            end
        }
        _ => return_errno!(EINVAL, "FIFO: bad access mode"),
    };
    Ok(Arc::new(end))
}

/// Which way a host pipe carries data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostPipeDir {
    /// The host writes, the guest reads (a pod's stdin).
    ToGuest,
    /// The guest writes, the host reads (a pod's stdout or stderr).
    FromGuest,
}

/// The host's end of a pipe made by [`Kernel::host_pipe`]. Its calls block
/// the calling host thread (never a kernel thread, never the browser's main
/// thread) without holding the kernel lock while asleep. Dropping it closes
/// it.
pub struct HostPipe {
    kernel: Arc<Kernel>,
    end: Mutex<Option<PipeEnd>>,
    dir: HostPipeDir,
}

impl Kernel {
    /// Makes a pipe between the host and a guest: returns the guest's end
    /// (an open file description to install as an fd, e.g. 0, 1 or 2 of
    /// the first process, `O_RDONLY` for [`HostPipeDir::ToGuest`], `O_WRONLY`
    /// for [`HostPipeDir::FromGuest`]) and the host's end.
    ///
    /// ```ignore
    /// let (stdin_file, stdin) = kernel.host_pipe(HostPipeDir::ToGuest);
    /// // install stdin_file as fd 0, then on a host thread:
    /// stdin.write_all(b"input\n");
    /// stdin.close(); // the guest reads EOF
    /// ```
    pub fn host_pipe(self: &Arc<Self>, dir: HostPipeDir) -> (Arc<OpenFile>, HostPipe) {
        let now = Timespec::from_nanos(self.platform().now(crate::platform::ClockKind::Realtime));
        let pipe = self.with_state(|st| new_anon_pipe(st, 0, 0, now));
        let (guest_file, host_end) = match dir {
            HostPipeDir::ToGuest => (
                OpenFile::new(Arc::new(PipeEnd::new(pipe.clone(), true, false, None)), O_RDONLY),
                PipeEnd::new(pipe, false, true, None),
            ),
            HostPipeDir::FromGuest => (
                OpenFile::new(Arc::new(PipeEnd::new(pipe.clone(), false, true, None)), O_WRONLY),
                PipeEnd::new(pipe, true, false, None),
            ),
        };
        (guest_file, HostPipe { kernel: self.clone(), end: Mutex::new(Some(host_end)), dir })
    }
}

impl HostPipe {
    /// Writes some of `data` ([`HostPipeDir::ToGuest`] only), blocking while
    /// the pipe is full. Returns the bytes written: 0 means the guest's end
    /// is closed (or this end is, or `data` is empty). Never raises SIGPIPE.
    pub fn write(&self, data: &[u8]) -> usize {
        if data.is_empty() || self.dir != HostPipeDir::ToGuest {
            return 0;
        }
        self.kernel.host_wait(|ctx| self.write_step(&mut ctx.st, data))
    }

    /// Writes all of `data`, blocking as needed; false if the guest's end
    /// closed first.
    pub fn write_all(&self, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            let n = self.write(data);
            if n == 0 {
                return false;
            }
            data = &data[n..];
        }
        true
    }

    /// Reads into `buf` ([`HostPipeDir::FromGuest`] only), blocking until
    /// data is there. Returns 0 at end of file (every guest writer closed),
    /// after [`HostPipe::close`], or for an empty `buf`.
    pub fn read(&self, buf: &mut [u8]) -> usize {
        self.read_until(buf, || false)
    }

    /// Like [`HostPipe::read`], but also returns 0 when the pipe is empty
    /// and `stop()` is true. `stop` is checked whenever the reader wakes:
    /// whoever makes it true wakes the kernel's sleepers (e.g.
    /// `kernel.with_state(State::notify)`). A host uses this to drain the
    /// output of a program that exited while other writers may linger:
    /// buffered data is always read first.
    pub fn read_until(&self, buf: &mut [u8], stop: impl Fn() -> bool) -> usize {
        if buf.is_empty() || self.dir != HostPipeDir::FromGuest {
            return 0;
        }
        self.kernel.host_wait(|ctx| self.read_step(&mut ctx.st, buf).or_else(|| stop().then_some(0)))
    }

    /// Like [`HostPipe::write`] but never blocks: `None` when the pipe is
    /// full (for hosts that must not block, e.g. an event-driven worker).
    pub fn try_write(&self, data: &[u8]) -> Option<usize> {
        if data.is_empty() || self.dir != HostPipeDir::ToGuest {
            return Some(0);
        }
        self.kernel.with_state(|st| self.write_step(st, data))
    }

    /// Like [`HostPipe::read`] but never blocks: `None` when no data is
    /// there yet and the guest may still write.
    pub fn try_read(&self, buf: &mut [u8]) -> Option<usize> {
        if buf.is_empty() || self.dir != HostPipeDir::FromGuest {
            return Some(0);
        }
        self.kernel.with_state(|st| self.read_step(st, buf))
    }

    /// One attempt to write: `Some(n)` written (0: closed), `None` when
    /// the pipe is full.
    fn write_step(&self, st: &mut State, data: &[u8]) -> Option<usize> {
        let end = self.end.lock();
        let Some(end) = end.as_ref() else { return Some(0) };
        let mut s = end.pipe.inner.lock();
        if s.readers == 0 {
            return Some(0);
        }
        let n = s.free().min(data.len());
        if n == 0 {
            return None;
        }
        s.put(&data[..n], false);
        st.notify();
        Some(n)
    }

    /// One attempt to read: `Some(n)` read (0: end of file or closed),
    /// `None` when empty while a guest writer remains.
    fn read_step(&self, st: &mut State, buf: &mut [u8]) -> Option<usize> {
        let end = self.end.lock();
        let Some(end) = end.as_ref() else { return Some(0) };
        let mut s = end.pipe.inner.lock();
        if !s.buf.is_empty() {
            let n = s.take(buf);
            st.notify();
            return Some(n);
        }
        if s.writers == 0 {
            return Some(0);
        }
        None
    }

    /// Closes the host's end: the guest reads EOF (ToGuest) or gets EPIPE
    /// (FromGuest). A blocked `read`/`write` on another host thread returns 0.
    pub fn close(&self) {
        self.kernel.with_state(|st| {
            let end = self.end.lock().take();
            drop(end);
            st.notify();
        });
    }
}

impl Drop for HostPipe {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
#[path = "pipe_tests.rs"]
mod tests;
