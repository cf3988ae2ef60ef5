//! File data: read, write and truncate of regular files (Linux's
//! `ext2/file.c` and the data half of `inode.c`).
//!
//! Reads and writes move whole runs of physically contiguous blocks in one
//! device call; holes read as zeros and stay holes. Files pass 2 GiB by
//! setting `large_file` (revision 1 only).

use crate::block_map::max_blocks;
use crate::error::{Ext2Error, Result};
use crate::fs::{Ext2, LARGE_FILE_LIMIT, MAX_RUN_BLOCKS};
use crate::inode::Inode;
use crate::superblock::RO_COMPAT_LARGE_FILE;
use wasmpod_blockdev::BlockDevice;

impl<D: BlockDevice> Ext2<D> {
    /// Implements pread: reads up to `buf.len()` bytes at `off`; returns the
    /// count (0 at or past end of file). Holes read as zeros.
    pub fn read(&mut self, ino: u32, off: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if !inode.is_reg() {
            return Err(Ext2Error::InvalidArgument("read of a special file"));
        }
        let size = inode.size();
        if off >= size || buf.is_empty() {
            return Ok(0);
        }
        let len = (size - off).min(buf.len() as u64) as usize;
        let bs = u64::from(self.geo.block_size);
        let mut done = 0usize;
        let mut tmp = Vec::new();
        while done < len {
            let pos = off + done as u64;
            let lblk = pos / bs;
            let in_blk = (pos % bs) as usize;
            let want_blocks = ((in_blk + len - done) as u64).div_ceil(bs).min(MAX_RUN_BLOCKS);
            let first = self.bmap(ino, &inode, lblk)?;
            // Extend the run while the mapping stays contiguous (or a hole).
            let mut n = 1u64;
            while n < want_blocks {
                let next = self.bmap(ino, &inode, lblk + n)?;
                let contiguous = match (first, next) {
                    (Some(a), Some(b)) => b == a + n,
                    (None, None) => true,
                    _ => false,
                };
                if !contiguous {
                    break;
                }
                n += 1;
            }
            let run_bytes = (n * bs) as usize;
            let take = (run_bytes - in_blk).min(len - done);
            match first {
                None => buf[done..done + take].fill(0),
                // Whole blocks: straight into the caller's buffer.
                Some(p) if in_blk == 0 && take == run_bytes => {
                    self.io.read_data(p, &mut buf[done..done + take])?;
                }
                Some(p) => {
                    tmp.resize(run_bytes, 0);
                    self.io.read_data(p, &mut tmp)?;
                    buf[done..done + take].copy_from_slice(&tmp[in_blk..in_blk + take]);
                }
            }
            done += take;
        }
        Ok(len)
    }

    /// Implements pwrite on a regular file: writes all of `data` at `off`,
    /// allocating blocks (holes before `off` stay holes). Updates mtime/ctime.
    pub fn write(&mut self, ino: u32, off: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        let mut inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if !inode.is_reg() {
            return Err(Ext2Error::InvalidArgument("write to a special file"));
        }
        let bs = u64::from(self.geo.block_size);
        let end = off.checked_add(data.len() as u64).ok_or(Ext2Error::FileTooBig)?;
        if end.div_ceil(bs) > max_blocks(bs / 4) {
            return Err(Ext2Error::FileTooBig);
        }
        self.ensure_large_file(end)?;
        let result = self.write_blocks(ino, &mut inode, off, data);
        // Keep what was written even if we ran out of space midway.
        let written = match &result {
            Ok(n) => *n,
            Err(_) => 0,
        };
        let new_end = off + written as u64;
        if new_end > inode.size() {
            inode.set_size(new_end);
        }
        let now = self.now();
        inode.set_mtime(now);
        inode.set_ctime(now);
        self.write_inode(ino, &inode)?;
        result
    }

    pub(crate) fn write_blocks(&mut self, ino: u32, inode: &mut Inode, off: u64, data: &[u8]) -> Result<usize> {
        let bs = u64::from(self.geo.block_size);
        let bsz = bs as usize;
        let mut done = 0usize;
        let mut goal = match (off / bs).checked_sub(1) {
            Some(prev) => self.bmap(ino, inode, prev)?.map(|b| b + 1).unwrap_or(self.inode_goal(ino)),
            None => self.inode_goal(ino),
        };
        // A run of consecutive physical blocks waiting to be written.
        let mut run_start = 0u64;
        let mut run: Vec<u8> = Vec::new();
        while done < data.len() {
            let pos = off + done as u64;
            let lblk = pos / bs;
            let in_blk = (pos % bs) as usize;
            let take = (bsz - in_blk).min(data.len() - done);
            let (phys, fresh) = match self.bmap_alloc(ino, inode, lblk, goal) {
                Ok(x) => x,
                Err(e) => {
                    self.flush_run(run_start, &mut run)?;
                    return if done > 0 && matches!(e, Ext2Error::NoSpace) { Ok(done) } else { Err(e) };
                }
            };
            goal = phys + 1;
            let contiguous = !run.is_empty() && run_start + (run.len() / bsz) as u64 == phys;
            if !contiguous || run.len() >= MAX_RUN_BLOCKS as usize * bsz {
                self.flush_run(run_start, &mut run)?;
                run_start = phys;
            }
            let at = run.len();
            if take == bsz {
                run.extend_from_slice(&data[done..done + take]);
            } else {
                run.resize(at + bsz, 0);
                if !fresh {
                    self.io.read_data(phys, &mut run[at..at + bsz])?;
                }
                run[at + in_blk..at + in_blk + take].copy_from_slice(&data[done..done + take]);
            }
            done += take;
        }
        self.flush_run(run_start, &mut run)?;
        Ok(done)
    }

    pub(crate) fn flush_run(&mut self, start: u64, run: &mut Vec<u8>) -> Result<()> {
        if !run.is_empty() {
            self.io.write_data(start, run)?;
            run.clear();
        }
        Ok(())
    }

    /// Sets `large_file` when a file passes 2 GiB (revision 0 cannot).
    pub(crate) fn ensure_large_file(&mut self, size: u64) -> Result<()> {
        if size > LARGE_FILE_LIMIT && !self.sb.has_ro_compat(RO_COMPAT_LARGE_FILE) {
            if self.sb.rev_level() == 0 {
                return Err(Ext2Error::FileTooBig);
            }
            self.sb.set_feature_ro_compat(self.sb.feature_ro_compat() | RO_COMPAT_LARGE_FILE);
            self.meta_dirty = true;
        }
        Ok(())
    }

    /// Implements truncate: shrinks (freeing blocks, zeroing the tail of the
    /// last block) or extends sparsely.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.check_writable()?;
        let mut inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if !inode.is_reg() {
            return Err(Ext2Error::InvalidArgument("truncate of a special file"));
        }
        let bs = u64::from(self.geo.block_size);
        if size.div_ceil(bs) > max_blocks(bs / 4) {
            return Err(Ext2Error::FileTooBig);
        }
        self.ensure_large_file(size)?;
        if size < inode.size() {
            self.free_from(ino, &mut inode, size.div_ceil(bs))?;
            let tail = (size % bs) as usize;
            if tail != 0 {
                if let Some(p) = self.bmap(ino, &inode, size / bs)? {
                    let mut b = vec![0u8; bs as usize];
                    self.io.read_data(p, &mut b)?;
                    b[tail..].fill(0);
                    self.io.write_data(p, &b)?;
                }
            }
        }
        inode.set_size(size);
        let now = self.now();
        inode.set_mtime(now);
        inode.set_ctime(now);
        self.write_inode(ino, &inode)
    }
}
