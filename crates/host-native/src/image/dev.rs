//! The in-memory device `image build` formats and fills before writing the
//! image file once (sparse). Existing images are opened with
//! `wasmpod-blockdev`'s `FileDevice` (and `OverlayDevice` for `--overlay`).

use wasmpod_blockdev::{BlockDevice, BlockError};

/// 512 bytes divides every ext2 block size, so any image mounts.
pub const DEV_BLOCK: u32 = 512;

fn check(len: usize, start: u64, blocks: u64) -> Result<(), BlockError> {
    if !len.is_multiple_of(DEV_BLOCK as usize) {
        return Err(BlockError::Misaligned { len, block_size: DEV_BLOCK });
    }
    let count = (len / DEV_BLOCK as usize) as u64;
    if start.checked_add(count).is_none_or(|end| end > blocks) {
        return Err(BlockError::OutOfRange { block: start, count, device_blocks: blocks });
    }
    Ok(())
}

/// A device in memory (image build works here, then writes the file once).
pub struct Memory {
    pub data: Vec<u8>,
}

impl BlockDevice for Memory {
    fn block_size(&self) -> u32 {
        DEV_BLOCK
    }
    fn num_blocks(&self) -> u64 {
        self.data.len() as u64 / u64::from(DEV_BLOCK)
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        check(buf.len(), start, self.num_blocks())?;
        let s = (start * u64::from(DEV_BLOCK)) as usize;
        buf.copy_from_slice(&self.data[s..s + buf.len()]);
        Ok(())
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), BlockError> {
        check(buf.len(), start, self.num_blocks())?;
        let s = (start * u64::from(DEV_BLOCK)) as usize;
        self.data[s..s + buf.len()].copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}
