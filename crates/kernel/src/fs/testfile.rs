//! Test-only helpers for the fd tests: a seekable in-memory file with an
//! inode identity ([`MemFile`]) and shortcuts to install fds and make pipes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use wasmpod_abi::fs::S_IFREG;
use wasmpod_abi::syscalls::SYS_pipe2;

use super::file::{FileOps, OpenFile};
use super::inode::Metadata;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::testing::Proc;

static NEXT_INO: AtomicU64 = AtomicU64::new(1000);

/// A regular file in memory. Several open file descriptions may share one
/// `Arc<MemFile>` (they then lock the same "inode").
pub struct MemFile {
    pub data: Mutex<Vec<u8>>,
    pub ino: u64,
}

impl MemFile {
    pub fn new(data: &[u8]) -> Arc<MemFile> {
        Arc::new(MemFile { data: Mutex::new(data.to_vec()), ino: NEXT_INO.fetch_add(1, Ordering::Relaxed) })
    }
}

impl FileOps for MemFile {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        let n = self.read_at(ctx, file, file.pos(), buf)?;
        file.set_pos(file.pos() + n as u64);
        Ok(n)
    }
    fn write(&self, ctx: &mut Ctx, file: &OpenFile, buf: &[u8]) -> Result<usize> {
        let pos = if file.append() { self.data.lock().len() as u64 } else { file.pos() };
        let n = self.write_at(ctx, file, pos, buf)?;
        file.set_pos(pos + n as u64);
        Ok(n)
    }
    fn read_at(&self, _ctx: &mut Ctx, _file: &OpenFile, off: u64, buf: &mut [u8]) -> Result<usize> {
        let d = self.data.lock();
        let off = (off as usize).min(d.len());
        let n = buf.len().min(d.len() - off);
        buf[..n].copy_from_slice(&d[off..off + n]);
        Ok(n)
    }
    fn write_at(&self, _ctx: &mut Ctx, _file: &OpenFile, off: u64, buf: &[u8]) -> Result<usize> {
        let mut d = self.data.lock();
        let off = off as usize;
        if d.len() < off + buf.len() {
            d.resize(off + buf.len(), 0);
        }
        d[off..off + buf.len()].copy_from_slice(buf);
        Ok(buf.len())
    }
    fn seekable(&self) -> bool {
        true
    }
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(Metadata {
            dev: 0x801,
            ino: self.ino,
            mode: S_IFREG | 0o644,
            nlink: 1,
            size: self.data.lock().len() as u64,
            ..Default::default()
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Installs a new open file description of `ops` with `flags` as the lowest
/// free fd of `p`.
pub fn install(p: &Proc, ops: Arc<dyn FileOps>, flags: u32) -> i32 {
    let file = OpenFile::new(ops, flags);
    p.kernel
        .with_state(|st| st.procs.procs.get_mut(&p.pid).expect("process").files.alloc(file, false, 0, 1024))
        .expect("free fd")
}

/// pipe2 in `p`: `(read fd, write fd)`.
pub fn pipe(p: &Proc, flags: u32) -> (i32, i32) {
    let fds = p.alloc(8);
    assert_eq!(p.sys(SYS_pipe2, &[u64::from(fds), u64::from(flags)]), 0);
    (p.read_i32(fds), p.read_i32(fds + 4))
}

/// Writes `data` to `fd` from `p` (the syscall's return value).
pub fn write(p: &Proc, fd: i32, data: &[u8]) -> i64 {
    let b = p.bytes(data);
    p.sys(wasmpod_abi::syscalls::SYS_write, &[fd as u64, u64::from(b), data.len() as u64])
}

/// Reads up to `n` bytes from `fd` in `p`: `Ok(bytes)` or `Err(-errno)`.
pub fn read(p: &Proc, fd: i32, n: usize) -> std::result::Result<Vec<u8>, i64> {
    let b = p.alloc(n.max(1));
    let r = p.sys(wasmpod_abi::syscalls::SYS_read, &[fd as u64, u64::from(b), n as u64]);
    if r < 0 {
        Err(r)
    } else {
        Ok(p.read(b, r as usize))
    }
}

/// Installs `from`'s description behind `fd` as the lowest free fd of `to`
/// (as if inherited): returns the new fd.
pub fn share(from: &Proc, fd: i32, to: &Proc) -> i32 {
    let file = from.kernel.with_state(|st| st.procs.procs[&from.pid].files.get(fd)).expect("open fd");
    to.kernel
        .with_state(|st| st.procs.procs.get_mut(&to.pid).expect("process").files.alloc(file, false, 0, 1024))
        .expect("free fd")
}

/// Reads from `fd` with one 64 KiB buffer until `want` bytes arrived or end
/// of file (for tests that move a lot of data).
pub fn read_until(p: &Proc, fd: i32, want: usize) -> Vec<u8> {
    let b = p.alloc(65_536);
    let mut out = Vec::new();
    while out.len() < want {
        let r = p.sys(wasmpod_abi::syscalls::SYS_read, &[fd as u64, u64::from(b), 65_536]);
        assert!(r >= 0, "read failed: {r}");
        if r == 0 {
            break;
        }
        out.extend(p.read(b, r as usize));
    }
    out
}
