//! eventfd(2): a 64-bit counter as a file, for wake-ups between threads and
//! processes (and from the host).
//!
//! Not done: nothing known missing (`EFD_SEMAPHORE`, `EFD_NONBLOCK`,
//! `EFD_CLOEXEC`, blocking on overflow and poll all work).

use std::sync::Arc;

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::O_RDWR;
use wasmpod_abi::poll::{EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};

use super::file::{FileOps, OpenFile};
use super::inode::Metadata;
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// The largest value the counter can hold: eventfd(2) "the maximum value
/// that may be stored in the counter is the largest unsigned 64-bit value
/// minus 1 (i.e., 0xfffffffffffffffe)".
pub const EVENTFD_MAX: u64 = u64::MAX - 1;

/// An eventfd's state.
pub struct EventFd {
    state: Mutex<(u64, u64)>,
    semaphore: bool,
}

impl EventFd {
    pub fn new(initval: u64, semaphore: bool) -> Arc<EventFd> {
        Arc::new(EventFd { state: Mutex::new((initval, 0)), semaphore })
    }

    /// The counter now.
    pub fn count(&self) -> u64 {
        self.state.lock().0
    }

    /// Changes every time the counter does (edge-triggered epoll).
    pub fn generation(&self) -> u64 {
        self.state.lock().1
    }
}

impl FileOps for EventFd {
    /// eventfd(2): an 8-byte read returns the counter and resets it to 0
    /// (or returns 1 and decrements it with `EFD_SEMAPHORE`); a zero
    /// counter blocks or says `EAGAIN`; a buffer under 8 bytes is `EINVAL`.
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < 8 {
            return_errno!(EINVAL, "eventfd read needs 8 bytes");
        }
        let v = ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
            let mut s = self.state.lock();
            if s.0 == 0 {
                if file.nonblocking() {
                    return_errno!(EAGAIN, "eventfd counter is zero");
                }
                return Ok(None);
            }
            let v = if self.semaphore { 1 } else { s.0 };
            s.0 -= v;
            s.1 += 1;
            drop(s);
            ctx.notify();
            Ok(Some(v))
        })?;
        buf[..8].copy_from_slice(&v.to_le_bytes());
        Ok(8)
    }

    /// eventfd(2): an 8-byte write adds its value; it blocks (or `EAGAIN`)
    /// while the sum would exceed `0xfffffffffffffffe`; the value
    /// `0xffffffffffffffff` and buffers under 8 bytes are `EINVAL`.
    fn write(&self, ctx: &mut Ctx, file: &OpenFile, data: &[u8]) -> Result<usize> {
        let Some(b) = data.get(..8) else { return_errno!(EINVAL, "eventfd write needs 8 bytes") };
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        let v = u64::from_le_bytes(a);
        if v == u64::MAX {
            return_errno!(EINVAL, "eventfd: 0xffffffffffffffff can't be added");
        }
        ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
            let mut s = self.state.lock();
            if EVENTFD_MAX - s.0 < v {
                if file.nonblocking() {
                    return_errno!(EAGAIN, "eventfd counter would overflow");
                }
                return Ok(None);
            }
            s.0 += v;
            if v > 0 {
                s.1 += 1;
            }
            drop(s);
            ctx.notify();
            Ok(Some(()))
        })?;
        Ok(8)
    }

    fn poll(&self, _ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        let c = self.count();
        let mut m = 0;
        if c > 0 {
            m |= POLLIN | POLLRDNORM;
        }
        if c < EVENTFD_MAX {
            m |= POLLOUT | POLLWRNORM;
        }
        if c == u64::MAX {
            m |= POLLERR;
        }
        m
    }

    fn edge_generation(&self, _events: u32) -> Option<u64> {
        Some(self.generation())
    }

    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(anon_inode_metadata())
    }

    fn describe(&self) -> String {
        "anon_inode:[eventfd]".into()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// What fstat shows for Linux's anonymous inodes (eventfd, epoll): one
/// shared inode, mode 0600 with no file type bits.
pub fn anon_inode_metadata() -> Metadata {
    Metadata { dev: super::devices::makedev(0, 13), ino: 1, mode: 0o600, nlink: 1, blksize: 4096, ..Default::default() }
}

/// Implements eventfd2(2): `(initval, flags)`.
pub fn sys_eventfd2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (initval, flags) = (a.u32(0), a.u32(1));
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return_errno!(EINVAL, "eventfd2: unknown flags");
    }
    let file =
        OpenFile::new(EventFd::new(u64::from(initval), flags & EFD_SEMAPHORE != 0), O_RDWR | (flags & EFD_NONBLOCK));
    let limit = super::dup::nofile_limit(ctx);
    ctx.process_mut().files.alloc(file, flags & EFD_CLOEXEC != 0, 0, limit).map(i64::from)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::poll::*;
    use wasmpod_abi::syscalls::*;

    use crate::testing::{Harness, Proc};

    const EAGAIN: i64 = -11;
    const EINVAL: i64 = -22;

    fn efd(p: &Proc, init: u32, flags: u32) -> u64 {
        let fd = p.sys(SYS_eventfd2, &[init as u64, flags as u64]);
        assert!(fd >= 0);
        fd as u64
    }
    fn read8(p: &Proc, fd: u64) -> Result<u64, i64> {
        let b = p.alloc(8);
        match p.sys(SYS_read, &[fd, b as u64, 8]) {
            8 => Ok(p.read_u64(b)),
            r => Err(r),
        }
    }
    fn write8(p: &Proc, fd: u64, v: u64) -> i64 {
        let b = p.bytes(&v.to_le_bytes());
        p.sys(SYS_write, &[fd, b as u64, 8])
    }

    #[test]
    fn eventfd_read_returns_sum_and_resets() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 3, EFD_NONBLOCK);
        assert_eq!(write8(&p, fd, 4), 8);
        assert_eq!(read8(&p, fd), Ok(7));
        assert_eq!(read8(&p, fd), Err(EAGAIN));
    }

    #[test]
    fn eventfd_semaphore_mode_reads_one_at_a_time() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 2, EFD_SEMAPHORE | EFD_NONBLOCK);
        assert_eq!(read8(&p, fd), Ok(1));
        assert_eq!(read8(&p, fd), Ok(1));
        assert_eq!(read8(&p, fd), Err(EAGAIN));
    }

    #[test]
    fn eventfd_short_buffers_are_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 1, 0);
        let b = p.alloc(8);
        assert_eq!(p.sys(SYS_read, &[fd, b as u64, 4]), EINVAL);
        assert_eq!(p.sys(SYS_write, &[fd, b as u64, 7]), EINVAL);
    }

    #[test]
    fn eventfd_all_ones_value_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 0, 0);
        assert_eq!(write8(&p, fd, u64::MAX), EINVAL);
    }

    #[test]
    fn eventfd_overflow_is_eagain_when_nonblocking() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 0, EFD_NONBLOCK);
        assert_eq!(write8(&p, fd, u64::MAX - 1), 8);
        assert_eq!(write8(&p, fd, 1), EAGAIN);
        assert_eq!(write8(&p, fd, 0), 8);
    }

    #[test]
    fn eventfd_overflowing_write_blocks_until_read() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 0, 0);
        assert_eq!(write8(&p, fd, u64::MAX - 1), 8);
        let c = h.process(None);
        let cfd = crate::fs::testfile::share(&p, fd as i32, &c) as u64;
        let p2 = p.clone();
        let t = std::thread::spawn(move || write8(&p2, fd, 5));
        h.wait_sleeping(p.tid);
        assert_eq!(read8(&c, cfd), Ok(u64::MAX - 1));
        assert_eq!(t.join().unwrap(), 8);
        assert_eq!(read8(&p, fd), Ok(5));
    }

    #[test]
    fn eventfd_blocking_read_woken_by_write_from_other_process() {
        let h = Harness::new();
        let p = h.process(None);
        let c = h.process(Some(&p));
        let fd = efd(&p, 0, 0);
        // c was made before the eventfd: give it the same description.
        let cfd = crate::fs::testfile::share(&p, fd as i32, &c);
        let p2 = p.clone();
        let t = std::thread::spawn(move || read8(&p2, fd));
        h.wait_sleeping(p.tid);
        assert_eq!(write8(&c, cfd as u64, 9), 8);
        assert_eq!(t.join().unwrap(), Ok(9));
    }

    #[test]
    fn eventfd2_rejects_unknown_flags() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_eventfd2, &[0, 0x10]), EINVAL);
    }

    #[test]
    fn eventfd_cloexec_flag_sets_fd_flag() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 0, EFD_CLOEXEC);
        assert_eq!(p.sys(SYS_fcntl, &[fd, wasmpod_abi::fcntl::F_GETFD as u64]), 1);
    }

    #[test]
    fn eventfd_poll_reports_readable_only_with_nonzero_counter() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = efd(&p, 0, 0);
        let pfd = p.put_struct(&pollfd { fd: fd as i32, events: POLLIN | POLLOUT, revents: 0 });
        assert_eq!(p.sys(SYS_ppoll, &[pfd as u64, 1, p.put_struct(&wasmpod_abi::time::timespec::default()) as u64]), 1);
        assert_eq!(p.read_struct::<pollfd>(pfd).revents, POLLOUT);
        write8(&p, fd, 1);
        assert_eq!(p.sys(SYS_ppoll, &[pfd as u64, 1, p.put_struct(&wasmpod_abi::time::timespec::default()) as u64]), 1);
        assert_eq!(p.read_struct::<pollfd>(pfd).revents, POLLIN | POLLOUT);
    }
}
