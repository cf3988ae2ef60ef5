//! [`MemoryDevice`]: a block device backed by a `Vec<u8>`.
//!
//! For tests, for tmp-like scratch disks, and as the bottom of layered test
//! stacks. Nothing is persisted; `flush` has nothing to do.

use crate::device::{check_request, validate_block_size, BlockDevice};
use crate::error::{BlockError, Result};

/// A block device held entirely in memory.
#[derive(Debug, Clone)]
pub struct MemoryDevice {
    data: Vec<u8>,
    block_size: u32,
    read_only: bool,
}

impl MemoryDevice {
    /// A zero-filled device of `num_blocks` blocks of `block_size` bytes.
    pub fn new(block_size: u32, num_blocks: u64) -> Result<Self> {
        validate_block_size(block_size)?;
        let len = num_blocks
            .checked_mul(u64::from(block_size))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| BlockError::Invalid(format!("{num_blocks} blocks do not fit in memory")))?;
        Ok(Self { data: vec![0; len], block_size, read_only: false })
    }

    /// A device whose content is `data`; its length must be a whole number of
    /// blocks (`Misaligned` otherwise).
    pub fn from_vec(data: Vec<u8>, block_size: u32) -> Result<Self> {
        validate_block_size(block_size)?;
        if !data.len().is_multiple_of(block_size as usize) {
            return Err(BlockError::Misaligned { len: data.len(), block_size });
        }
        Ok(Self { data, block_size, read_only: false })
    }

    /// Makes the device refuse writes (`ReadOnly`), e.g. to stand in for a
    /// remote image in tests.
    pub fn into_read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// The device's bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// Gives the bytes back.
    pub fn into_inner(self) -> Vec<u8> {
        self.data
    }

    fn byte_range(&self, start: u64, len: usize) -> Result<core::ops::Range<usize>> {
        check_request(self.block_size, self.num_blocks(), start, len)?;
        // In range of `data`, so the block offset fits in usize.
        let from = start as usize * self.block_size as usize;
        Ok(from..from + len)
    }
}

impl BlockDevice for MemoryDevice {
    fn block_size(&self) -> u32 {
        self.block_size
    }
    fn num_blocks(&self) -> u64 {
        (self.data.len() / self.block_size as usize) as u64
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        let r = self.byte_range(start, buf.len())?;
        buf.copy_from_slice(&self.data[r]);
        Ok(())
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        if self.read_only {
            return Err(BlockError::ReadOnly);
        }
        let r = self.byte_range(start, buf.len())?;
        self.data[r].copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn is_read_only(&self) -> bool {
        self.read_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_at, write_at};

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 512) as u8).collect()
    }

    #[test]
    fn read_after_write() {
        let mut d = MemoryDevice::new(512, 8).unwrap();
        let data = pattern(1024);
        d.write_blocks(3, &data).unwrap();
        let mut out = vec![0; 1024];
        d.read_blocks(3, &mut out).unwrap();
        assert_eq!(out, data);
        let mut z = vec![1; 512];
        d.read_blocks(0, &mut z).unwrap();
        assert!(z.iter().all(|&b| b == 0));
        d.flush().unwrap();
        assert_eq!(&d.into_inner()[3 * 512..5 * 512], &data[..]);
    }

    #[test]
    fn from_vec_round_trips_and_rejects_partial_blocks() {
        let d = MemoryDevice::from_vec(pattern(4096), 1024).unwrap();
        assert_eq!(d.num_blocks(), 4);
        assert_eq!(d.size_bytes(), 4096);
        assert_eq!(d.into_inner(), pattern(4096));
        assert!(matches!(MemoryDevice::from_vec(vec![0; 1000], 512), Err(BlockError::Misaligned { .. })));
        assert!(matches!(MemoryDevice::from_vec(vec![0; 3000], 1000), Err(BlockError::Invalid(_))));
        assert!(matches!(MemoryDevice::new(256, 1), Err(BlockError::Invalid(_))));
    }

    #[test]
    fn out_of_range_and_misaligned_are_errors_not_panics() {
        let mut d = MemoryDevice::new(512, 4).unwrap();
        let mut b = vec![0; 512];
        assert_eq!(d.read_blocks(4, &mut b), Err(BlockError::OutOfRange { block: 4, count: 1, device_blocks: 4 }));
        assert!(matches!(d.read_blocks(3, &mut [0; 1024]), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(d.read_blocks(u64::MAX, &mut b), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(d.write_blocks(u64::MAX - 1, &[0; 1024]), Err(BlockError::OutOfRange { .. })));
        assert_eq!(d.read_blocks(0, &mut [0; 100]), Err(BlockError::Misaligned { len: 100, block_size: 512 }));
        assert!(matches!(d.write_blocks(0, &[0; 513]), Err(BlockError::Misaligned { .. })));
        // An empty request at the end is fine.
        d.read_blocks(4, &mut []).unwrap();
    }

    #[test]
    fn read_only_refuses_writes() {
        let mut d = MemoryDevice::new(512, 2).unwrap().into_read_only();
        assert!(d.is_read_only());
        assert_eq!(d.write_blocks(0, &[1; 512]), Err(BlockError::ReadOnly));
        assert_eq!(write_at(&mut d, 3, &[1]), Err(BlockError::ReadOnly));
        assert!(d.as_slice().iter().all(|&b| b == 0));
    }

    #[test]
    fn unaligned_byte_io_matches_a_plain_buffer() {
        let mut model = pattern(8 * 512);
        let mut d = MemoryDevice::from_vec(model.clone(), 512).unwrap();
        // (offset, len) pairs: inside one block, straddling, whole-aligned, tail only.
        for &(off, len) in &[(3usize, 10usize), (500, 30), (512, 1024), (700, 2000), (4090, 6), (0, 4096), (1, 0)] {
            let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(off as u8)).collect();
            write_at(&mut d, off as u64, &data).unwrap();
            model[off..off + len].copy_from_slice(&data);
            let mut out = vec![0; len];
            read_at(&mut d, off as u64, &mut out).unwrap();
            assert_eq!(out, data);
        }
        assert_eq!(d.as_slice(), &model[..]);
        let mut out = vec![0; 300];
        read_at(&mut d, 1000, &mut out).unwrap();
        assert_eq!(out, &model[1000..1300]);
    }

    #[test]
    fn unaligned_byte_io_past_the_end_is_out_of_range() {
        let mut d = MemoryDevice::new(512, 2).unwrap();
        let mut b = [0u8; 10];
        assert!(matches!(read_at(&mut d, 1020, &mut b), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(write_at(&mut d, u64::MAX - 2, &b), Err(BlockError::OutOfRange { .. })));
        read_at(&mut d, 1014, &mut b).unwrap();
        write_at(&mut d, 1024, &[]).unwrap();
        assert!(d.as_slice().iter().all(|&b| b == 0));
    }
}
