//! Data transfer through fds: read, write, their vectored and positional
//! forms, and the fd-level part of close and ioctl. The file kinds do the
//! work in their [`FileOps`](super::FileOps); this module checks the fd,
//! moves bytes between user memory and kernel buffers, and decides partial
//! results in one place.

use wasmpod_abi::ioctl::{FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX};
use wasmpod_abi::misc::{iovec, IOV_MAX};
use wasmpod_abi::AbiStruct;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Largest single transfer: Linux caps read/write at `0x7ffff000` bytes
/// (MAX_RW_COUNT); we cap kernel bounce buffers at 1 MiB per step and loop,
/// which keeps memory bounded for huge requests.
pub const MAX_RW_COUNT: usize = 0x7fff_f000;
const CHUNK: usize = 1 << 20;

/// The partial-result rule of read(2)/write(2) and friends, decided here
/// once: a step that fails after earlier steps moved bytes does not fail
/// the call. `Ok(Some(n))`: the step moved `n`, go on; `Ok(None)`: stop and
/// report the progress so far (the error shows on the next call);
/// `Err`: nothing moved yet, the call fails.
pub fn progress<T>(done: usize, step: Result<T>) -> Result<Option<T>> {
    match step {
        Ok(v) => Ok(Some(v)),
        Err(_) if done > 0 => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads from `fd` into user memory at `buf` (`len` bytes), at the file
/// offset or at `off` (pread). Returns bytes read.
pub fn do_read(ctx: &mut Ctx, fd: i32, buf: u32, len: usize, off: Option<u64>) -> Result<usize> {
    read_segments(ctx, fd, &[(buf, len)], off)
}

/// Checks that every user range lies inside memory: a bad buffer is
/// EFAULT before any data moves.
fn check_segments(ctx: &Ctx, segs: &[(u32, usize)], what: &'static str) -> Result<()> {
    for &(base, len) in segs {
        if u64::from(base).saturating_add(len as u64) > ctx.mem.size() {
            return Err(errno!(EFAULT, what));
        }
    }
    Ok(())
}

/// Reads into the user ranges `segs` in order (read and readv alike), as
/// one stream of file reads: a vectored read is one read whose result is
/// scattered, so a pipe read does not block for a later iovec once some
/// data has arrived (readv(2): "the data transfers performed by readv()
/// and writev() are atomic").
fn read_segments(ctx: &mut Ctx, fd: i32, segs: &[(u32, usize)], off: Option<u64>) -> Result<usize> {
    let file = ctx.file(fd)?;
    if !file.readable() {
        return_errno!(EBADF, "fd not open for reading");
    }
    check_segments(ctx, segs, "read buffer outside memory")?;
    let total = segs.iter().map(|s| s.1).sum::<usize>().min(MAX_RW_COUNT);
    if let ([(base, _)], None) = (segs, off) {
        if let Some(r) = file.ops.read_user(ctx, &file, *base, total) {
            return r;
        }
    }
    let mut done = 0usize;
    let mut kbuf = vec![0u8; total.min(CHUNK)];
    // Scatter cursor: segment index and offset inside it.
    let (mut si, mut so) = (0usize, 0usize);
    while done < total {
        let want = (total - done).min(CHUNK);
        let step = match off {
            Some(o) => {
                let pos = o.checked_add(done as u64).ok_or(errno!(EINVAL, "offset overflow"))?;
                file.ops.read_at(ctx, &file, pos, &mut kbuf[..want])
            }
            None => file.ops.read(ctx, &file, &mut kbuf[..want]),
        };
        let Some(n) = progress(done, step)? else { break };
        let mut put = 0;
        while put < n {
            let (base, len) = segs[si];
            let k = (len - so).min(n - put);
            ctx.write_user(base + so as u32, &kbuf[put..put + k])?;
            put += k;
            so += k;
            if so == len {
                si += 1;
                so = 0;
            }
        }
        done += n;
        // A short read means "no more right now": stop, as Linux does for
        // pipes and ttys; regular files return short only at EOF. Streams
        // stop after one step in any case: a second step could block
        // although data was read (a 1 MiB pipe read with a 2 MiB buffer).
        if n < want || !file.ops.seekable() {
            break;
        }
    }
    Ok(done)
}

/// Writes `len` bytes from user memory at `buf` to `fd`.
pub fn do_write(ctx: &mut Ctx, fd: i32, buf: u32, len: usize, off: Option<u64>) -> Result<usize> {
    write_segments(ctx, fd, &[(buf, len)], off)
}

/// Writes the user ranges `segs` in order (write and writev alike), as one
/// stream of file writes: the data is gathered first, so a writev of at
/// most `PIPE_BUF` bytes reaches a pipe as one atomic write.
fn write_segments(ctx: &mut Ctx, fd: i32, segs: &[(u32, usize)], off: Option<u64>) -> Result<usize> {
    let file = ctx.file(fd)?;
    if !file.writable() {
        return_errno!(EBADF, "fd not open for writing");
    }
    check_segments(ctx, segs, "write buffer outside memory")?;
    let total = segs.iter().map(|s| s.1).sum::<usize>().min(MAX_RW_COUNT);
    let mut done = 0usize;
    let (mut si, mut so) = (0usize, 0usize);
    while done < total {
        let want = (total - done).min(CHUNK);
        let mut data = Vec::new();
        while data.len() < want {
            let (base, len) = segs[si];
            let k = (len - so).min(want - data.len());
            let piece = ctx.read_user_vec(base + so as u32, k)?;
            // One segment covering the step (write(2)): no second copy.
            if data.is_empty() {
                data = piece;
            } else {
                data.extend_from_slice(&piece);
            }
            so += k;
            if so == len {
                si += 1;
                so = 0;
            }
        }
        let step = match off {
            Some(o) => {
                let pos = o.checked_add(done as u64).ok_or(errno!(EINVAL, "offset overflow"))?;
                file.ops.write_at(ctx, &file, pos, &data)
            }
            None => file.ops.write(ctx, &file, &data),
        };
        let Some(n) = progress(done, step)? else { break };
        done += n;
        if n < want {
            break;
        }
    }
    Ok(done)
}

/// Decodes an iovec array (`EINVAL` for more than `IOV_MAX` entries or a
/// total over `SSIZE_MAX`).
pub fn read_iovecs(ctx: &Ctx, iov: u32, cnt: u32) -> Result<Vec<(u32, usize)>> {
    if cnt as usize > IOV_MAX {
        return_errno!(EINVAL, "iovcnt > IOV_MAX");
    }
    let raw = ctx.read_user_vec(iov, cnt as usize * iovec::SIZE)?;
    let mut out = Vec::with_capacity(cnt as usize);
    let mut total: u64 = 0;
    for chunk in raw.chunks_exact(iovec::SIZE) {
        let v = iovec::decode(chunk);
        total += u64::from(v.iov_len);
        if total > i32::MAX as u64 {
            return_errno!(EINVAL, "iovec total exceeds SSIZE_MAX");
        }
        out.push((v.iov_base, v.iov_len as usize));
    }
    Ok(out)
}

fn readv_at(ctx: &mut Ctx, fd: i32, iov: u32, cnt: u32, off: Option<u64>) -> Result<i64> {
    let vecs = read_iovecs(ctx, iov, cnt)?;
    read_segments(ctx, fd, &vecs, off).map(|n| n as i64)
}

fn writev_at(ctx: &mut Ctx, fd: i32, iov: u32, cnt: u32, off: Option<u64>) -> Result<i64> {
    let vecs = read_iovecs(ctx, iov, cnt)?;
    write_segments(ctx, fd, &vecs, off).map(|n| n as i64)
}

fn offset_arg(a: &SyscallArgs, lo: usize) -> Result<u64> {
    let off = a.i64_pair(lo);
    if off < 0 {
        return_errno!(EINVAL, "negative offset");
    }
    Ok(off as u64)
}

/// Implements read(2).
pub fn sys_read(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    do_read(ctx, a.fd(0), a.ptr(1), a.usize(2), None).map(|n| n as i64)
}

/// Implements write(2).
pub fn sys_write(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    do_write(ctx, a.fd(0), a.ptr(1), a.usize(2), None).map(|n| n as i64)
}

/// Implements pread64(2): `(fd, buf, count, off_lo, off_hi)`.
pub fn sys_pread64(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let off = offset_arg(a, 3)?;
    do_read(ctx, a.fd(0), a.ptr(1), a.usize(2), Some(off)).map(|n| n as i64)
}

/// Implements pwrite64(2): `(fd, buf, count, off_lo, off_hi)`.
pub fn sys_pwrite64(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let off = offset_arg(a, 3)?;
    do_write(ctx, a.fd(0), a.ptr(1), a.usize(2), Some(off)).map(|n| n as i64)
}

/// Implements readv(2).
pub fn sys_readv(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    readv_at(ctx, a.fd(0), a.ptr(1), a.u32(2), None)
}

/// Implements writev(2).
pub fn sys_writev(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    writev_at(ctx, a.fd(0), a.ptr(1), a.u32(2), None)
}

/// Implements preadv(2): `(fd, iov, iovcnt, off_lo, off_hi)`.
pub fn sys_preadv(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let off = offset_arg(a, 3)?;
    readv_at(ctx, a.fd(0), a.ptr(1), a.u32(2), Some(off))
}

/// Implements pwritev(2): `(fd, iov, iovcnt, off_lo, off_hi)`.
pub fn sys_pwritev(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let off = offset_arg(a, 3)?;
    writev_at(ctx, a.fd(0), a.ptr(1), a.u32(2), Some(off))
}

/// Implements preadv2(2): `(fd, iov, iovcnt, off_lo, off_hi, flags)`; an
/// offset of -1 means the file offset. No `RWF_*` flags are supported.
pub fn sys_preadv2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    if a.u32(5) != 0 {
        return_errno!(EOPNOTSUPP, "preadv2: RWF_* flags not supported");
    }
    let off = if a.i64_pair(3) == -1 { None } else { Some(offset_arg(a, 3)?) };
    readv_at(ctx, a.fd(0), a.ptr(1), a.u32(2), off)
}

/// Implements pwritev2(2), like [`sys_preadv2`].
pub fn sys_pwritev2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    if a.u32(5) != 0 {
        return_errno!(EOPNOTSUPP, "pwritev2: RWF_* flags not supported");
    }
    let off = if a.i64_pair(3) == -1 { None } else { Some(offset_arg(a, 3)?) };
    writev_at(ctx, a.fd(0), a.ptr(1), a.u32(2), off)
}

/// Implements close(2). The description's last-close work happens when the
/// last `Arc` drops; waiters are woken so that readers see EOF and writers
/// see EPIPE.
pub fn sys_close(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let fd = a.fd(0);
    let entry = ctx.process_mut().files.remove(fd)?;
    super::close_hook(ctx, fd, &entry);
    drop(entry);
    ctx.notify();
    Ok(0)
}

/// Implements ioctl(2): the fd-level requests here, the rest to the file.
pub fn sys_ioctl(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, cmd, arg) = (a.fd(0), a.u32(1), a.ptr(2));
    let file = ctx.file(fd)?;
    match cmd {
        FIOCLEX | FIONCLEX => {
            ctx.process_mut().files.entry_mut(fd)?.cloexec = cmd == FIOCLEX;
            Ok(0)
        }
        FIONBIO | FIOASYNC => {
            let on = ctx.read_u32(arg)? != 0;
            let bit = if cmd == FIONBIO { wasmpod_abi::fcntl::O_NONBLOCK } else { wasmpod_abi::fcntl::O_ASYNC };
            let flags = if on { file.flags() | bit } else { file.flags() & !bit };
            file.set_status_flags(flags);
            Ok(0)
        }
        _ => {
            if file.is_path_only() {
                return_errno!(EBADF, "ioctl on an O_PATH fd");
            }
            file.ops.ioctl(ctx, &file, cmd, arg)
        }
    }
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;

    use crate::fs::open::test_util::*;
    use crate::testing::Harness;

    /// Address 0 is readable wasm memory, but a NULL buffer must still be
    /// EFAULT, as on Linux.
    #[test]
    fn null_buffers_are_efault_even_though_address_0_is_memory() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"data");
        let fd = open(&p, "/tmp/f", wasmpod_abi::fcntl::O_RDWR, 0) as u64;
        assert_eq!(p.sys(SYS_read, &[fd, 0, 4]), -14);
        assert_eq!(p.sys(SYS_write, &[fd, 0, 4]), -14);
        assert_eq!(p.sys(SYS_openat, &[wasmpod_abi::fcntl::AT_FDCWD as u32 as u64, 0, 0, 0]), -14);
        // A zero-length transfer from NULL is fine (Linux checks nothing).
        assert_eq!(p.sys(SYS_read, &[fd, 0, 0]), 0);
    }
}
