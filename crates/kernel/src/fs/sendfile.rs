//! In-kernel copies between fds: sendfile(2) and copy_file_range(2), built
//! on the files' `read`/`write`/`read_at`/`write_at`. splice, tee and
//! vmsplice are ENOSYS (see the syscall table).
//!
//! Not done: copy_file_range does a plain copy (no reflinks).

use wasmpod_abi::fs::{S_IFDIR, S_IFMT, S_IFREG};

use super::file::OpenFile;
use super::rw::MAX_RW_COUNT;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Bytes moved per step (bounds the kernel buffer).
const CHUNK: usize = 64 * 1024;

/// Writes all of `data` to `out` (at `off` when given), stopping early only
/// on an error after progress or a short write. Returns bytes written.
fn write_fully(ctx: &mut Ctx, out: &OpenFile, off: Option<u64>, data: &[u8]) -> Result<usize> {
    let mut done = 0;
    while done < data.len() {
        let step = match off {
            Some(o) => out.ops.write_at(ctx, out, o + done as u64, &data[done..]),
            None => out.ops.write(ctx, out, &data[done..]),
        };
        match super::rw::progress(done, step)? {
            Some(0) | None => break,
            Some(n) => done += n,
        }
    }
    Ok(done)
}

/// Copies up to `count` bytes from `inp` (at `*in_off` if given, else at
/// its file offset) to `out` (at `out_off` if given, else its offset).
/// Offsets given are advanced by what was copied; a seekable input without
/// an explicit offset has its file offset advanced by what was *written*.
fn copy(
    ctx: &mut Ctx,
    inp: &OpenFile,
    mut in_off: Option<&mut u64>,
    out: &OpenFile,
    mut out_off: Option<&mut u64>,
    count: usize,
) -> Result<usize> {
    let count = count.min(MAX_RW_COUNT);
    let mut buf = vec![0u8; count.min(CHUNK)];
    let mut done = 0usize;
    while done < count {
        let want = (count - done).min(CHUNK);
        let pos = match in_off.as_deref() {
            Some(o) => Some(*o),
            None if inp.ops.seekable() => Some(inp.pos()),
            None => None,
        };
        let got = match pos {
            Some(p) => inp.ops.read_at(ctx, inp, p, &mut buf[..want]),
            None => inp.ops.read(ctx, inp, &mut buf[..want]),
        };
        let Some(n) = super::rw::progress(done, got)? else { break };
        if n == 0 {
            break;
        }
        let written = write_fully(ctx, out, out_off.as_deref().copied(), &buf[..n]);
        let Some(w) = super::rw::progress(done, written)? else { break };
        match in_off.as_deref_mut() {
            Some(o) => *o += w as u64,
            None if inp.ops.seekable() => inp.set_pos(inp.pos() + w as u64),
            None => {}
        }
        if let Some(o) = out_off.as_deref_mut() {
            *o += w as u64;
        }
        done += w;
        if w < n || n < want {
            break;
        }
    }
    Ok(done)
}

fn read_off(ctx: &Ctx, ptr: u32) -> Result<Option<u64>> {
    if ptr == 0 {
        return Ok(None);
    }
    let v = ctx.read_u64(ptr)? as i64;
    if v < 0 {
        return_errno!(EINVAL, "negative offset");
    }
    Ok(Some(v as u64))
}

/// Implements sendfile(2): `(out_fd, in_fd, offset (off_t *, 64-bit) or
/// NULL, count)`. sendfile(2): "If offset is not NULL, then sendfile() does
/// not modify the file offset of in_fd"; `EBADF` if in_fd is not open for
/// reading or out_fd for writing; `EINVAL` if out_fd has `O_APPEND`;
/// `ESPIPE` if offset is given for an unseekable in_fd.
pub fn sys_sendfile(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (out_fd, in_fd, offp, count) = (a.fd(0), a.fd(1), a.ptr(2), a.usize(3));
    let inp = ctx.file(in_fd)?;
    let out = ctx.file(out_fd)?;
    if !inp.readable() {
        return_errno!(EBADF, "sendfile: in_fd not open for reading");
    }
    if !out.writable() {
        return_errno!(EBADF, "sendfile: out_fd not open for writing");
    }
    if out.append() {
        return_errno!(EINVAL, "sendfile: out_fd has O_APPEND");
    }
    let mut off = read_off(ctx, offp)?;
    if off.is_some() && !inp.ops.seekable() {
        return_errno!(ESPIPE, "sendfile: offset given for an unseekable in_fd");
    }
    let n = copy(ctx, &inp, off.as_mut(), &out, None, count)?;
    if let Some(o) = off {
        ctx.write_u64(offp, o)?;
    }
    Ok(n as i64)
}

fn regular_or_err(ctx: &mut Ctx, f: &OpenFile) -> Result<()> {
    match f.ops.metadata(ctx)?.mode & S_IFMT {
        S_IFREG => Ok(()),
        S_IFDIR => Err(errno!(EISDIR, "copy_file_range: a directory")),
        _ => Err(errno!(EINVAL, "copy_file_range: not a regular file")),
    }
}

/// Implements copy_file_range(2): `(fd_in, off_in (loff_t *) or NULL,
/// fd_out, off_out (loff_t *) or NULL, len, flags)`. copy_file_range(2):
/// `EINVAL` for nonzero flags, non-regular files, or overlapping ranges in
/// one file; `EISDIR` for directories; `EBADF` if fd_in is not readable or
/// fd_out is not writable or has `O_APPEND`.
pub fn sys_copy_file_range(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (in_fd, in_p, out_fd, out_p, len, flags) = (a.fd(0), a.ptr(1), a.fd(2), a.ptr(3), a.usize(4), a.u32(5));
    if flags != 0 {
        return_errno!(EINVAL, "copy_file_range: flags must be 0");
    }
    let inp = ctx.file(in_fd)?;
    let out = ctx.file(out_fd)?;
    if !inp.readable() || !out.writable() || out.append() {
        return_errno!(EBADF, "copy_file_range: bad fd modes");
    }
    regular_or_err(ctx, &inp)?;
    regular_or_err(ctx, &out)?;
    let mut in_off = read_off(ctx, in_p)?;
    let mut out_off = read_off(ctx, out_p)?;
    let same = {
        let a = inp.ops.metadata(ctx)?;
        let b = out.ops.metadata(ctx)?;
        (a.dev, a.ino) == (b.dev, b.ino)
    };
    if same && len > 0 {
        let s_in = in_off.unwrap_or(inp.pos());
        let s_out = out_off.unwrap_or(out.pos());
        let l = len as u64;
        if s_in < s_out.saturating_add(l) && s_out < s_in.saturating_add(l) {
            return_errno!(EINVAL, "copy_file_range: overlapping ranges in one file");
        }
    }
    // The output position: explicit, or the file offset (advanced after).
    let out_start = out_off.unwrap_or(out.pos());
    let mut out_pos = out_start;
    let n = copy(ctx, &inp, in_off.as_mut(), &out, Some(&mut out_pos), len)?;
    match out_off.as_mut() {
        Some(o) => *o = out_pos,
        None => out.set_pos(out_pos),
    }
    if let Some(o) = in_off {
        ctx.write_u64(in_p, o)?;
    }
    if let Some(o) = out_off {
        ctx.write_u64(out_p, o)?;
    }
    Ok(n as i64)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::*;
    use wasmpod_abi::syscalls::*;

    use crate::fs::testfile::{install, pipe, read, MemFile};
    use crate::testing::Harness;

    const EBADF: i64 = -9;
    const EINVAL: i64 = -22;
    const ESPIPE: i64 = -29;

    #[test]
    fn sendfile_copies_file_to_pipe_and_advances_offset() {
        let h = Harness::new();
        let p = h.process(None);
        let f = install(&p, MemFile::new(b"hello world"), O_RDONLY);
        let (r, w) = pipe(&p, 0);
        assert_eq!(p.sys(SYS_sendfile, &[w as u64, f as u64, 0, 5]), 5);
        assert_eq!(read(&p, r, 100).unwrap(), b"hello");
        assert_eq!(p.sys(SYS_sendfile, &[w as u64, f as u64, 0, 100]), 6);
        assert_eq!(read(&p, r, 100).unwrap(), b" world");
        assert_eq!(p.sys(SYS_sendfile, &[w as u64, f as u64, 0, 100]), 0);
    }

    #[test]
    fn sendfile_with_offset_leaves_file_offset_alone() {
        let h = Harness::new();
        let p = h.process(None);
        let f = install(&p, MemFile::new(b"0123456789"), O_RDONLY);
        let (r, w) = pipe(&p, 0);
        let off = p.bytes(&4u64.to_le_bytes());
        assert_eq!(p.sys(SYS_sendfile, &[w as u64, f as u64, off as u64, 3]), 3);
        assert_eq!(p.read_u64(off), 7);
        assert_eq!(read(&p, r, 10).unwrap(), b"456");
        // The file offset is still 0.
        assert_eq!(read(&p, f, 2).unwrap(), b"01");
    }

    #[test]
    fn sendfile_checks_modes() {
        let h = Harness::new();
        let p = h.process(None);
        let f = install(&p, MemFile::new(b"x"), O_WRONLY);
        let g = install(&p, MemFile::new(b"x"), O_RDONLY);
        let a = install(&p, MemFile::new(b"x"), O_WRONLY | O_APPEND);
        assert_eq!(p.sys(SYS_sendfile, &[g as u64, f as u64, 0, 1]), EBADF);
        assert_eq!(p.sys(SYS_sendfile, &[g as u64, g as u64, 0, 1]), EBADF);
        assert_eq!(p.sys(SYS_sendfile, &[a as u64, g as u64, 0, 1]), EINVAL);
    }

    #[test]
    fn sendfile_offset_on_pipe_input_is_espipe() {
        let h = Harness::new();
        let p = h.process(None);
        let (r, _w) = pipe(&p, 0);
        let out = install(&p, MemFile::new(b""), O_WRONLY);
        let off = p.bytes(&0u64.to_le_bytes());
        assert_eq!(p.sys(SYS_sendfile, &[out as u64, r as u64, off as u64, 1]), ESPIPE);
    }

    #[test]
    fn sendfile_from_pipe_to_file_moves_available_bytes() {
        let h = Harness::new();
        let p = h.process(None);
        let (r, w) = pipe(&p, 0);
        let m = MemFile::new(b"");
        let out = install(&p, m.clone(), O_WRONLY);
        crate::fs::testfile::write(&p, w, b"abc");
        assert_eq!(p.sys(SYS_sendfile, &[out as u64, r as u64, 0, 100]), 3);
        assert_eq!(&*m.data.lock(), b"abc");
    }

    #[test]
    fn copy_file_range_copies_between_offsets() {
        let h = Harness::new();
        let p = h.process(None);
        let src = install(&p, MemFile::new(b"abcdefgh"), O_RDONLY);
        let m = MemFile::new(b"........");
        let dst = install(&p, m.clone(), O_WRONLY);
        let offin = p.bytes(&2u64.to_le_bytes());
        let offout = p.bytes(&4u64.to_le_bytes());
        let r = p.sys(SYS_copy_file_range, &[src as u64, offin as u64, dst as u64, offout as u64, 3, 0]);
        assert_eq!(r, 3);
        assert_eq!(&*m.data.lock(), b"....cde.");
        assert_eq!(p.read_u64(offin), 5);
        assert_eq!(p.read_u64(offout), 7);
    }

    #[test]
    fn copy_file_range_without_offsets_uses_and_advances_file_offsets() {
        let h = Harness::new();
        let p = h.process(None);
        let src = install(&p, MemFile::new(b"abcdef"), O_RDONLY);
        let m = MemFile::new(b"");
        let dst = install(&p, m.clone(), O_WRONLY);
        assert_eq!(p.sys(SYS_copy_file_range, &[src as u64, 0, dst as u64, 0, 4, 0]), 4);
        assert_eq!(p.sys(SYS_copy_file_range, &[src as u64, 0, dst as u64, 0, 4, 0]), 2);
        assert_eq!(&*m.data.lock(), b"abcdef");
    }

    #[test]
    fn copy_file_range_rejects_flags_pipes_and_overlap() {
        let h = Harness::new();
        let p = h.process(None);
        let m = MemFile::new(b"abcdefgh");
        let a = install(&p, m.clone(), O_RDWR);
        let (r, w) = pipe(&p, 0);
        assert_eq!(p.sys(SYS_copy_file_range, &[a as u64, 0, a as u64, 0, 1, 1]), EINVAL);
        assert_eq!(p.sys(SYS_copy_file_range, &[r as u64, 0, a as u64, 0, 1, 0]), EINVAL);
        assert_eq!(p.sys(SYS_copy_file_range, &[a as u64, 0, w as u64, 0, 1, 0]), EINVAL);
        let o1 = p.bytes(&0u64.to_le_bytes());
        let o2 = p.bytes(&2u64.to_le_bytes());
        assert_eq!(p.sys(SYS_copy_file_range, &[a as u64, o1 as u64, a as u64, o2 as u64, 4, 0]), EINVAL);
        let o3 = p.bytes(&4u64.to_le_bytes());
        assert_eq!(p.sys(SYS_copy_file_range, &[a as u64, o1 as u64, a as u64, o3 as u64, 4, 0]), 4);
        assert_eq!(&*m.data.lock(), b"abcdabcd");
    }

    #[test]
    fn splice_family_is_enosys() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_splice, &[0, 0, 1, 0, 1, 0]), -38);
        assert_eq!(p.sys(SYS_tee, &[0, 1, 1, 0]), -38);
    }
}
