//! The [`BlockDevice`] trait and helpers shared by every device.
//!
//! Besides the trait this module offers:
//! - [`check_request`]: the bounds/alignment check every device runs first, so
//!   all devices report `Misaligned` and `OutOfRange` the same way;
//! - [`read_at`] / [`write_at`]: byte-addressed I/O at any offset and length,
//!   doing read-modify-write for the partial blocks at either end;
//! - [`validate_block_size`].
//!
//! Not here yet: vectored (scatter/gather) requests and discard/TRIM.

use crate::error::{BlockError, Result};

/// Smallest block size accepted: the classic disk sector. Smaller blocks would
/// make per-block bookkeeping (cache entries, overlay records) dominate.
pub const MIN_BLOCK_SIZE: u32 = 512;

/// Largest block size accepted: 64 KiB, the largest ext2 block size Linux can
/// mount on any architecture; larger blocks only waste memory per cache entry.
pub const MAX_BLOCK_SIZE: u32 = 64 * 1024;

/// A device addressed in fixed-size blocks.
///
/// Buffers passed to `read_blocks`/`write_blocks` are a whole number of
/// blocks long; `start` is a block index. Devices are `Send` so the kernel can
/// keep them behind its lock and hosts can move them between threads.
pub trait BlockDevice: Send {
    /// Bytes per block; a power of two, at least 512.
    fn block_size(&self) -> u32;
    /// Number of blocks on the device.
    fn num_blocks(&self) -> u64;
    /// Reads `buf.len() / block_size` blocks starting at block `start`.
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `buf.len() / block_size` blocks starting at block `start`.
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()>;
    /// Makes every completed write durable in the layer below.
    fn flush(&mut self) -> Result<()>;
    /// Whether writes are refused.
    fn is_read_only(&self) -> bool {
        false
    }
    /// Total size in bytes.
    fn size_bytes(&self) -> u64 {
        self.num_blocks().saturating_mul(u64::from(self.block_size()))
    }
    /// A stable name for the content this device serves, if it has one that
    /// outlives the process (an HTTP image's URL + ETag + size). Overlays
    /// record it so they refuse to reopen over different content. Devices
    /// whose identity is only their bytes return `None`.
    fn identity(&self) -> Option<String> {
        None
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for Box<D> {
    fn block_size(&self) -> u32 {
        (**self).block_size()
    }
    fn num_blocks(&self) -> u64 {
        (**self).num_blocks()
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_blocks(start, buf)
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        (**self).write_blocks(start, buf)
    }
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }
    fn is_read_only(&self) -> bool {
        (**self).is_read_only()
    }
    fn size_bytes(&self) -> u64 {
        (**self).size_bytes()
    }
    fn identity(&self) -> Option<String> {
        (**self).identity()
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for &mut D {
    fn block_size(&self) -> u32 {
        (**self).block_size()
    }
    fn num_blocks(&self) -> u64 {
        (**self).num_blocks()
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_blocks(start, buf)
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        (**self).write_blocks(start, buf)
    }
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }
    fn is_read_only(&self) -> bool {
        (**self).is_read_only()
    }
    fn size_bytes(&self) -> u64 {
        (**self).size_bytes()
    }
    fn identity(&self) -> Option<String> {
        (**self).identity()
    }
}

/// Checks that `block_size` is a power of two in
/// [`MIN_BLOCK_SIZE`]..=[`MAX_BLOCK_SIZE`].
pub fn validate_block_size(block_size: u32) -> Result<()> {
    if block_size.is_power_of_two() && (MIN_BLOCK_SIZE..=MAX_BLOCK_SIZE).contains(&block_size) {
        Ok(())
    } else {
        Err(BlockError::Invalid(format!(
            "block size {block_size} is not a power of two in {MIN_BLOCK_SIZE}..={MAX_BLOCK_SIZE}"
        )))
    }
}

/// Checks a block request of `len` bytes at block `start` against a device of
/// `num_blocks` blocks of `block_size` bytes, and returns the block count.
///
/// `Misaligned` if `len` is not a whole number of blocks, `OutOfRange` if any
/// block lies past the end (an empty request at `start == num_blocks` is fine).
pub fn check_request(block_size: u32, num_blocks: u64, start: u64, len: usize) -> Result<u64> {
    let bs = block_size as usize;
    if bs == 0 || !len.is_multiple_of(bs) {
        return Err(BlockError::Misaligned { len, block_size });
    }
    let count = (len / bs) as u64;
    match start.checked_add(count) {
        Some(end) if end <= num_blocks => Ok(count),
        _ => Err(BlockError::OutOfRange { block: start, count, device_blocks: num_blocks }),
    }
}

/// Byte range → first block and the out-of-range error, shared by read_at/write_at.
fn check_bytes<D: BlockDevice + ?Sized>(dev: &D, offset: u64, len: usize) -> Result<()> {
    let bs = u64::from(dev.block_size());
    let end = offset.checked_add(len as u64);
    match end {
        Some(end) if end <= dev.size_bytes() => Ok(()),
        _ => Err(BlockError::OutOfRange {
            block: offset / bs,
            count: (len as u64).div_ceil(bs),
            device_blocks: dev.num_blocks(),
        }),
    }
}

/// Reads `buf.len()` bytes at byte `offset`, which need not be block aligned.
///
/// Whole blocks in the middle are read straight into `buf` in one request; a
/// partial block at either end goes through a one-block bounce buffer.
pub fn read_at<D: BlockDevice + ?Sized>(dev: &mut D, offset: u64, buf: &mut [u8]) -> Result<()> {
    check_bytes(dev, offset, buf.len())?;
    if buf.is_empty() {
        return Ok(());
    }
    let bs = dev.block_size() as usize;
    let mut block = offset / bs as u64;
    let mut done = 0usize;
    let mut bounce = Vec::new();
    // Head: a partial first block.
    let head_skip = (offset % bs as u64) as usize;
    if head_skip != 0 {
        bounce.resize(bs, 0);
        dev.read_blocks(block, &mut bounce)?;
        let n = (bs - head_skip).min(buf.len());
        buf[..n].copy_from_slice(&bounce[head_skip..head_skip + n]);
        done = n;
        block += 1;
    }
    // Middle: whole blocks, one request.
    let whole = (buf.len() - done) / bs * bs;
    if whole > 0 {
        dev.read_blocks(block, &mut buf[done..done + whole])?;
        done += whole;
        block += (whole / bs) as u64;
    }
    // Tail: a partial last block.
    if done < buf.len() {
        bounce.resize(bs, 0);
        dev.read_blocks(block, &mut bounce)?;
        let n = buf.len() - done;
        buf[done..].copy_from_slice(&bounce[..n]);
    }
    Ok(())
}

/// Writes `buf` at byte `offset`, which need not be block aligned.
///
/// Partial blocks at either end are read, patched and written back
/// (read-modify-write); whole blocks in the middle are written in one request.
/// Not atomic: if a step fails, earlier steps may already have been written.
pub fn write_at<D: BlockDevice + ?Sized>(dev: &mut D, offset: u64, buf: &[u8]) -> Result<()> {
    if dev.is_read_only() {
        return Err(BlockError::ReadOnly);
    }
    check_bytes(dev, offset, buf.len())?;
    if buf.is_empty() {
        return Ok(());
    }
    let bs = dev.block_size() as usize;
    let mut block = offset / bs as u64;
    let mut done = 0usize;
    let mut bounce = Vec::new();
    let head_skip = (offset % bs as u64) as usize;
    if head_skip != 0 {
        bounce.resize(bs, 0);
        dev.read_blocks(block, &mut bounce)?;
        let n = (bs - head_skip).min(buf.len());
        bounce[head_skip..head_skip + n].copy_from_slice(&buf[..n]);
        dev.write_blocks(block, &bounce)?;
        done = n;
        block += 1;
    }
    let whole = (buf.len() - done) / bs * bs;
    if whole > 0 {
        dev.write_blocks(block, &buf[done..done + whole])?;
        done += whole;
        block += (whole / bs) as u64;
    }
    if done < buf.len() {
        bounce.resize(bs, 0);
        dev.read_blocks(block, &mut bounce)?;
        let n = buf.len() - done;
        bounce[..n].copy_from_slice(&buf[done..]);
        dev.write_blocks(block, &bounce)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Op, Recorder};
    use crate::MemoryDevice;

    #[test]
    fn write_at_reads_only_the_partial_end_blocks() {
        let mut d = Recorder::new(MemoryDevice::new(512, 8).unwrap());
        write_at(&mut d, 100, &[1; 2000]).unwrap(); // 100..2100: blocks 0..=4
        assert_eq!(d.ops(), vec![Op::Read(0, 1), Op::Write(0, 1), Op::Write(1, 3), Op::Read(4, 1), Op::Write(4, 1)]);
        d.clear_ops();
        write_at(&mut d, 1024, &[2; 1024]).unwrap();
        assert_eq!(d.ops(), vec![Op::Write(2, 2)]);
        d.clear_ops();
        let mut b = [0; 10];
        read_at(&mut d, 510, &mut b).unwrap(); // straddles blocks 0 and 1
        assert_eq!(d.ops(), vec![Op::Read(0, 1), Op::Read(1, 1)]);
        assert_eq!(b, [1; 10]);
    }

    #[test]
    fn block_sizes() {
        for ok in [512, 1024, 4096, 65536] {
            validate_block_size(ok).unwrap();
        }
        for bad in [0, 256, 1000, 3072, 131072] {
            assert!(validate_block_size(bad).is_err());
        }
    }
}
