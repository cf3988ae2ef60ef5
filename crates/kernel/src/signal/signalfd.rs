//! signalfd: receiving signals by reading a file descriptor
//! (signalfd(2)).
//!
//! A read takes pending signals of the *reading* thread (its own and its
//! process's) that are in the fd's mask, lowest first, as 128-byte
//! `signalfd_siginfo` records: at least one (blocking until one arrives
//! unless non-blocking: `EAGAIN`), then as many more as fit and are
//! pending. Buffers under 128 bytes are `EINVAL`. The fd polls readable
//! while such a signal is pending. The signals should be blocked, or they
//! are delivered the ordinary way first.

use std::any::Any;
use std::sync::Arc;

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::{O_NONBLOCK, O_RDWR};
use wasmpod_abi::misc::RLIMIT_NOFILE;
use wasmpod_abi::poll::POLLIN;
use wasmpod_abi::signal::{self as sig, signalfd_siginfo, sigset_t};
use wasmpod_abi::AbiStruct;

use super::sigprocmask::dequeue_from;
use super::{SigInfo, UNBLOCKABLE};
use crate::error::{Restart, Result};
use crate::fs::{FileOps, Metadata, OpenFile};
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// An open signalfd.
pub struct SignalFd {
    mask: Mutex<sigset_t>,
}

/// The record a read returns for `info` (which union members are filled
/// follows Linux's `signalfd_copyinfo`).
fn record(info: &SigInfo) -> signalfd_siginfo {
    let mut r = signalfd_siginfo {
        ssi_signo: info.signo,
        ssi_errno: info.errno,
        ssi_code: info.code,
        ssi_pid: info.pid as u32,
        ssi_uid: info.uid,
        ..Default::default()
    };
    if info.signo == sig::SIGCHLD && info.code > 0 {
        r.ssi_status = info.status;
    } else if info.code < 0 || info.signo >= sig::SIGRTMIN {
        r.ssi_int = info.status;
        r.ssi_ptr = u64::from(info.status as u32);
    }
    r
}

impl FileOps for SignalFd {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        const REC: usize = signalfd_siginfo::SIZE;
        if buf.len() < REC {
            return_errno!(EINVAL, "signalfd read buffer under 128 bytes");
        }
        let mask = *self.mask.lock();
        let first = ctx.wait_until(None, Restart::IfSaRestart, |ctx| match dequeue_from(ctx, mask) {
            Some(i) => Ok(Some(i)),
            None if file.nonblocking() => Err(errno!(EAGAIN, "no signal pending")),
            None => Ok(None),
        })?;
        record(&first).encode(&mut buf[..REC]);
        let mut done = REC;
        while done + REC <= buf.len() {
            let Some(i) = dequeue_from(ctx, mask) else { break };
            record(&i).encode(&mut buf[done..done + REC]);
            done += REC;
        }
        Ok(done)
    }

    fn poll(&self, ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        let mask = *self.mask.lock();
        let t = &ctx.thread().signals;
        if (t.pending.bits | ctx.process().signals.pending.bits) & mask != 0 {
            POLLIN
        } else {
            0
        }
    }

    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(Metadata { mode: 0o600, nlink: 1, blksize: 4096, ..Default::default() })
    }

    fn describe(&self) -> String {
        "anon_inode:[signalfd]".into()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Implements signalfd4(2): `(fd, mask, sizemask, flags)`. `fd == -1`
/// makes a new signalfd; otherwise the mask of signalfd `fd` is replaced
/// (`EINVAL` if `fd` is another kind of file). SIGKILL and SIGSTOP are
/// dropped from the mask silently. `EINVAL` for a `sizemask` other than 8
/// or unknown flags.
pub fn sys_signalfd4(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, mask, size, flags) = (a.fd(0), a.ptr(1), a.usize(2), a.u32(3));
    if size != 8 {
        return_errno!(EINVAL, "signalfd4: sizemask must be 8");
    }
    if flags & !(sig::SFD_CLOEXEC | sig::SFD_NONBLOCK) != 0 {
        return_errno!(EINVAL, "signalfd4: unknown flags");
    }
    let mask = ctx.read_u64(mask)? & !UNBLOCKABLE;
    if fd != -1 {
        let file = ctx.file(fd)?;
        let sfd = file.ops.as_any().downcast_ref::<SignalFd>().ok_or(errno!(EINVAL, "fd is not a signalfd"))?;
        *sfd.mask.lock() = mask;
        ctx.notify();
        return Ok(i64::from(fd));
    }
    let file = OpenFile::new(Arc::new(SignalFd { mask: Mutex::new(mask) }), O_RDWR | (flags & O_NONBLOCK));
    let limit = ctx.process().rlimits[RLIMIT_NOFILE as usize].cur;
    let fd = ctx.process_mut().files.alloc(file, flags & sig::SFD_CLOEXEC != 0, 0, limit)?;
    Ok(i64::from(fd))
}
