//! pselect6(2) (musl builds select(2) on it: asm-generic has no select).
//!
//! fd sets are bitmaps of `long`s (32-bit on wasm32); `FD_SETSIZE` is 1024
//! in libc, but the kernel reads as many bits as `nfds` says, as Linux does
//! (capped at the size of the fd table, see [`sys_pselect6`]).

use wasmpod_abi::poll::{
    FD_SETSIZE, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM,
};

use super::poll::{read_timeout, restore_sigmask, set_temp_sigmask, write_remaining};
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Linux `POLLIN_SET`, `POLLOUT_SET`, `POLLEX_SET` (fs/select.c): which
/// poll bits make an fd readable, writable, exceptional for select.
const IN_SET: u16 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const OUT_SET: u16 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const EX_SET: u16 = POLLPRI;

fn read_set(ctx: &Ctx, ptr: u32, bytes: usize) -> Result<Option<Vec<u8>>> {
    if ptr == 0 {
        return Ok(None);
    }
    ctx.read_user_vec(ptr, bytes).map(Some)
}

fn bit(set: &Option<Vec<u8>>, fd: usize) -> bool {
    set.as_ref().is_some_and(|s| s[fd / 8] & (1 << (fd % 8)) != 0)
}

fn set_bit(set: &mut Option<Vec<u8>>, fd: usize) {
    if let Some(s) = set.as_mut() {
        s[fd / 8] |= 1 << (fd % 8);
    }
}

/// Implements pselect6(2): `(nfds, readfds, writefds, exceptfds, timeout,
/// sigmask_arg)` where `sigmask_arg` points to `{const sigset_t *ss; size_t
/// ss_len}` (two 32-bit words) or is NULL. select(2): `EINVAL` for a
/// negative nfds or an invalid timeout; `EBADF` for a set bit naming an fd
/// that is not open. On return the sets hold only the ready fds and the
/// timeout holds the time left (Linux behaviour). Interrupted: `EINTR`,
/// restarted only when no handler runs.
pub fn sys_pselect6(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let nfds = a.i32(0);
    let (rp, wp, ep, tmo, sigarg) = (a.ptr(1), a.ptr(2), a.ptr(3), a.ptr(4), a.ptr(5));
    if nfds < 0 {
        return_errno!(EINVAL, "pselect6: negative nfds");
    }
    // Linux caps nfds at the fd table's size (`max_fds`); ours grows on
    // demand, so cap at whichever of FD_SETSIZE and the table is larger.
    let cap = FD_SETSIZE.max(ctx.process().files.end());
    let n = (nfds as usize).min(cap);
    // Sets are arrays of 32-bit longs.
    let bytes = n.div_ceil(32) * 4;
    let rin = read_set(ctx, rp, bytes)?;
    let win = read_set(ctx, wp, bytes)?;
    let ein = read_set(ctx, ep, bytes)?;
    let deadline = read_timeout(ctx, tmo)?;
    let zero = deadline.is_some_and(|d| d <= ctx.now());
    let (mask_ptr, mask_size) = if sigarg == 0 {
        (0, 0)
    } else {
        let v = ctx.read_user_vec(sigarg, 8)?;
        (u32::from_le_bytes([v[0], v[1], v[2], v[3]]), u32::from_le_bytes([v[4], v[5], v[6], v[7]]) as usize)
    };
    // Every fd named in a set must be open.
    let wanted: Vec<usize> = (0..n).filter(|&fd| bit(&rin, fd) || bit(&win, fd) || bit(&ein, fd)).collect();
    for &fd in &wanted {
        if super::poll::file_no_path(ctx, fd as i32).is_err() {
            return_errno!(EBADF, "pselect6: fd in a set is not open");
        }
    }
    let old = set_temp_sigmask(ctx, mask_ptr, mask_size)?;
    let empty = |s: &Option<Vec<u8>>| s.as_ref().map(|v| vec![0u8; v.len()]);
    let r = ctx.wait_until(deadline, Restart::IfNoHandler, |ctx| {
        let (mut ro, mut wo, mut eo) = (empty(&rin), empty(&win), empty(&ein));
        let mut count = 0i64;
        for &fd in &wanted {
            let mask = match ctx.file(fd as i32) {
                Ok(f) => f.ops.poll(ctx, &f),
                Err(_) => return_errno!(EBADF, "pselect6: fd closed while waiting"),
            };
            if bit(&rin, fd) && mask & IN_SET != 0 {
                set_bit(&mut ro, fd);
                count += 1;
            }
            if bit(&win, fd) && mask & OUT_SET != 0 {
                set_bit(&mut wo, fd);
                count += 1;
            }
            if bit(&ein, fd) && mask & EX_SET != 0 {
                set_bit(&mut eo, fd);
                count += 1;
            }
        }
        Ok((count > 0 || zero).then_some((count, ro, wo, eo)))
    });
    let r = restore_sigmask(ctx, old, r);
    let (count, ro, wo, eo) = match r {
        Ok(v) => v,
        Err(e) if super::poll::is_timeout(&e) => (0, empty(&rin), empty(&win), empty(&ein)),
        Err(e) => {
            write_remaining(ctx, tmo, deadline, zero);
            return Err(e);
        }
    };
    for (ptr, set) in [(rp, ro), (wp, wo), (ep, eo)] {
        if let Some(s) = set {
            ctx.write_user(ptr, &s)?;
        }
    }
    write_remaining(ctx, tmo, deadline, zero);
    Ok(count)
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
