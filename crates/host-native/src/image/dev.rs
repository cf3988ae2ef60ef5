//! Block devices for the image commands: an image file, and memory.
//!
//! Stand-ins until `wasmpod-blockdev`'s `FileDevice`/`MemoryDevice` land on
//! main; same behaviour, private to the CLI.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

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

/// An image file.
pub struct ImageFile {
    file: File,
    blocks: u64,
    read_only: bool,
}

impl ImageFile {
    pub fn open(path: &Path, writable: bool) -> std::io::Result<ImageFile> {
        let file = std::fs::OpenOptions::new().read(true).write(writable).open(path)?;
        let blocks = file.metadata()?.len() / u64::from(DEV_BLOCK);
        Ok(ImageFile { file, blocks, read_only: !writable })
    }
}

impl BlockDevice for ImageFile {
    fn block_size(&self) -> u32 {
        DEV_BLOCK
    }
    fn num_blocks(&self) -> u64 {
        self.blocks
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        check(buf.len(), start, self.blocks)?;
        self.file.read_exact_at(buf, start * u64::from(DEV_BLOCK)).map_err(|e| BlockError::Io(e.to_string()))
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), BlockError> {
        if self.read_only {
            return Err(BlockError::ReadOnly);
        }
        check(buf.len(), start, self.blocks)?;
        self.file.write_all_at(buf, start * u64::from(DEV_BLOCK)).map_err(|e| BlockError::Io(e.to_string()))
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        if self.read_only {
            return Ok(());
        }
        self.file.sync_data().map_err(|e| BlockError::Io(e.to_string()))
    }
    fn is_read_only(&self) -> bool {
        self.read_only
    }
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
