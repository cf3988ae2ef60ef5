//! Filesystem-block I/O over a [`BlockDevice`], with a write-back metadata cache.
//!
//! Metadata blocks (bitmaps, inode tables, directories, indirect blocks) go
//! through a small cache: reads are served from it, writes mark entries dirty
//! and reach the device on [`BlockIo::flush`] or when the cache is full. File
//! data bypasses the cache in multi-block runs (one device call per run), which
//! is what makes bulk writes fast. A block that is freed is dropped from the
//! cache so a stale dirty copy can never overwrite data later stored there.
//!
//! The device's block size may be smaller than the filesystem's (e.g. a
//! 512-byte device under a 4 KiB filesystem); it must divide it.

use std::collections::HashMap;

use crate::error::{Ext2Error, Result};
use wasmpod_blockdev::BlockDevice;

/// Cached blocks before a forced write-back: 8192 blocks is 32 MiB at 4 KiB,
/// enough for the metadata working set of an image build, small for a browser.
const CACHE_LIMIT: usize = 8192;

struct Entry {
    data: Vec<u8>,
    dirty: bool,
}

pub struct BlockIo<D: BlockDevice> {
    dev: D,
    /// Filesystem block size.
    bs: u32,
    /// Device blocks per filesystem block.
    ratio: u64,
    cache: HashMap<u64, Entry>,
}

impl<D: BlockDevice> BlockIo<D> {
    /// Reads `len` bytes at byte `offset` of the device (any alignment).
    pub fn read_bytes_raw(dev: &mut D, offset: u64, len: usize) -> Result<Vec<u8>> {
        let dbs = u64::from(dev.block_size());
        if dbs == 0 {
            return Err(Ext2Error::Unsupported("device block size 0".into()));
        }
        let first = offset / dbs;
        let end = offset.checked_add(len as u64).ok_or(Ext2Error::InvalidArgument("offset overflow"))?;
        let last = end.div_ceil(dbs);
        let mut buf = vec![0u8; ((last - first) * dbs) as usize];
        dev.read_blocks(first, &mut buf)?;
        let skip = (offset - first * dbs) as usize;
        Ok(buf[skip..skip + len].to_vec())
    }

    /// Writes bytes at byte `offset` of the device (read-modify-write at the edges).
    pub fn write_bytes_raw(dev: &mut D, offset: u64, data: &[u8]) -> Result<()> {
        let dbs = u64::from(dev.block_size());
        let first = offset / dbs;
        let last = (offset + data.len() as u64).div_ceil(dbs);
        let mut buf = vec![0u8; ((last - first) * dbs) as usize];
        dev.read_blocks(first, &mut buf)?;
        let skip = (offset - first * dbs) as usize;
        buf[skip..skip + data.len()].copy_from_slice(data);
        dev.write_blocks(first, &buf)?;
        Ok(())
    }

    pub fn new(dev: D, bs: u32) -> Result<BlockIo<D>> {
        let dbs = dev.block_size();
        if dbs == 0 || !bs.is_multiple_of(dbs) {
            return Err(Ext2Error::Unsupported(format!(
                "device block size {dbs} does not divide filesystem block size {bs}"
            )));
        }
        Ok(BlockIo { dev, bs, ratio: u64::from(bs / dbs), cache: HashMap::new() })
    }

    pub fn device(&mut self) -> &mut D {
        &mut self.dev
    }

    pub fn into_device(self) -> D {
        self.dev
    }

    /// Filesystem blocks the device holds.
    pub fn device_blocks(&self) -> u64 {
        self.dev.num_blocks() / self.ratio
    }

    fn make_room(&mut self) -> Result<()> {
        if self.cache.len() >= CACHE_LIMIT {
            self.flush_cache()?;
            self.cache.clear();
        }
        Ok(())
    }

    fn load(&mut self, blk: u64) -> Result<&mut Entry> {
        if !self.cache.contains_key(&blk) {
            self.make_room()?;
            let mut data = vec![0u8; self.bs as usize];
            self.dev.read_blocks(blk * self.ratio, &mut data)?;
            self.cache.insert(blk, Entry { data, dirty: false });
        }
        // The entry was just inserted or already present.
        self.cache.get_mut(&blk).ok_or(Ext2Error::InvalidArgument("block cache lost an entry"))
    }

    /// A metadata block, read through the cache.
    pub fn block(&mut self, blk: u64) -> Result<&[u8]> {
        Ok(&self.load(blk)?.data)
    }

    /// A metadata block for modification; it is written back later.
    pub fn block_mut(&mut self, blk: u64) -> Result<&mut [u8]> {
        let e = self.load(blk)?;
        e.dirty = true;
        Ok(&mut e.data)
    }

    /// Replaces a metadata block's content without reading it first.
    pub fn put_block(&mut self, blk: u64, data: Vec<u8>) -> Result<()> {
        if !self.cache.contains_key(&blk) {
            self.make_room()?;
        }
        self.cache.insert(blk, Entry { data, dirty: true });
        Ok(())
    }

    /// A zero-filled metadata block (new indirect or directory block).
    pub fn zero_block(&mut self, blk: u64) -> Result<&mut [u8]> {
        self.put_block(blk, vec![0; self.bs as usize])?;
        self.block_mut(blk)
    }

    /// Forgets a block (it was freed): its content no longer matters.
    pub fn forget(&mut self, blk: u64) {
        self.cache.remove(&blk);
    }

    /// Reads whole data blocks `start..start+n` into `buf`, seeing cached copies.
    pub fn read_data(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        self.dev.read_blocks(start * self.ratio, buf)?;
        let bs = self.bs as usize;
        if !self.cache.is_empty() {
            for (i, chunk) in buf.chunks_mut(bs).enumerate() {
                if let Some(e) = self.cache.get(&(start + i as u64)) {
                    chunk.copy_from_slice(&e.data);
                }
            }
        }
        Ok(())
    }

    /// Writes whole data blocks straight to the device, dropping cached copies.
    pub fn write_data(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        if !self.cache.is_empty() {
            let n = (buf.len() / self.bs as usize) as u64;
            for b in start..start + n {
                self.cache.remove(&b);
            }
        }
        self.dev.write_blocks(start * self.ratio, buf)?;
        Ok(())
    }

    /// Writes dirty cached blocks to the device, in block order.
    pub fn flush_cache(&mut self) -> Result<()> {
        let mut dirty: Vec<u64> = self.cache.iter().filter(|(_, e)| e.dirty).map(|(&b, _)| b).collect();
        dirty.sort_unstable();
        let bs = self.bs as usize;
        let mut i = 0;
        while i < dirty.len() {
            // Coalesce consecutive blocks into one device write.
            let mut j = i + 1;
            while j < dirty.len() && dirty[j] == dirty[j - 1] + 1 && j - i < 256 {
                j += 1;
            }
            let mut run = Vec::with_capacity((j - i) * bs);
            for b in &dirty[i..j] {
                if let Some(e) = self.cache.get(b) {
                    run.extend_from_slice(&e.data);
                }
            }
            self.dev.write_blocks(dirty[i] * self.ratio, &run)?;
            for b in &dirty[i..j] {
                if let Some(e) = self.cache.get_mut(b) {
                    e.dirty = false;
                }
            }
            i = j;
        }
        Ok(())
    }

    /// Flushes the cache and the device.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_cache()?;
        self.dev.flush()?;
        Ok(())
    }
}
