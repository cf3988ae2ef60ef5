//! [`FileDevice`]: a block device backed by a host file (an image on disk).
//!
//! Reads and writes are positioned (`pread`/`pwrite`), so the device never
//! depends on a file cursor. The size is taken from the file when it is
//! opened and does not change: the device neither grows nor shrinks the file.
//! `flush` is `fdatasync`.
//!
//! Not here yet: `O_DIRECT`, advisory locking against a second writer.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::device::{check_request, validate_block_size, BlockDevice};
use crate::error::{BlockError, Result};
use crate::hostio;

/// A block device over a host file.
#[derive(Debug)]
pub struct FileDevice {
    file: File,
    block_size: u32,
    num_blocks: u64,
    read_only: bool,
}

impl FileDevice {
    /// Opens an existing image read-only.
    pub fn open_read_only(path: impl AsRef<Path>, block_size: u32) -> Result<Self> {
        let file = File::open(path.as_ref()).map_err(|e| io_err(path.as_ref(), e))?;
        Self::from_file(file, block_size, true)
    }

    /// Opens an existing image for reading and writing.
    pub fn open_read_write(path: impl AsRef<Path>, block_size: u32) -> Result<Self> {
        let file =
            OpenOptions::new().read(true).write(true).open(path.as_ref()).map_err(|e| io_err(path.as_ref(), e))?;
        Self::from_file(file, block_size, false)
    }

    /// Creates (or truncates) a zero-filled image of `num_blocks` blocks.
    pub fn create(path: impl AsRef<Path>, block_size: u32, num_blocks: u64) -> Result<Self> {
        validate_block_size(block_size)?;
        let len = num_blocks
            .checked_mul(u64::from(block_size))
            .ok_or_else(|| BlockError::Invalid(format!("{num_blocks} blocks overflow a file size")))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path.as_ref())
            .map_err(|e| io_err(path.as_ref(), e))?;
        file.set_len(len)?;
        Self::from_file(file, block_size, false)
    }

    /// Wraps an open file. Its length must be a whole number of blocks
    /// (`Misaligned` otherwise): a partial last block would be silently
    /// unreachable, which usually means the wrong block size was given.
    pub fn from_file(file: File, block_size: u32, read_only: bool) -> Result<Self> {
        validate_block_size(block_size)?;
        let len = file.metadata()?.len();
        if len % u64::from(block_size) != 0 {
            return Err(BlockError::Misaligned { len: usize::try_from(len).unwrap_or(usize::MAX), block_size });
        }
        Ok(Self { file, block_size, num_blocks: len / u64::from(block_size), read_only })
    }

    /// Gives the file back.
    pub fn into_inner(self) -> File {
        self.file
    }
}

fn io_err(path: &Path, e: std::io::Error) -> BlockError {
    BlockError::Io(format!("{}: {e}", path.display()))
}

impl BlockDevice for FileDevice {
    fn block_size(&self) -> u32 {
        self.block_size
    }
    fn num_blocks(&self) -> u64 {
        self.num_blocks
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        check_request(self.block_size, self.num_blocks, start, buf.len())?;
        // A file that shrank under us shows up as UnexpectedEof → Io.
        hostio::read_exact_at(&mut self.file, buf, start * u64::from(self.block_size))?;
        Ok(())
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        if self.read_only {
            return Err(BlockError::ReadOnly);
        }
        check_request(self.block_size, self.num_blocks, start, buf.len())?;
        hostio::write_all_at(&mut self.file, buf, start * u64::from(self.block_size))?;
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        if !self.read_only {
            self.file.sync_data()?;
        }
        Ok(())
    }
    fn is_read_only(&self) -> bool {
        self.read_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_after_write_persists_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk.img");
        let mut d = FileDevice::create(&path, 1024, 16).unwrap();
        assert_eq!(d.num_blocks(), 16);
        let data: Vec<u8> = (0..2048).map(|i| (i % 251) as u8).collect();
        d.write_blocks(5, &data).unwrap();
        let mut out = vec![0; 2048];
        d.read_blocks(5, &mut out).unwrap();
        assert_eq!(out, data);
        d.flush().unwrap();
        drop(d);
        let mut d = FileDevice::open_read_only(&path, 1024).unwrap();
        let mut out = vec![0; 2048];
        d.read_blocks(5, &mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(std::fs::read(&path).unwrap()[5 * 1024..7 * 1024], data[..]);
    }

    #[test]
    fn read_only_file_refuses_writes_and_stays_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.img");
        std::fs::write(&path, vec![9u8; 4096]).unwrap();
        let mut d = FileDevice::open_read_only(&path, 512).unwrap();
        assert!(d.is_read_only());
        assert_eq!(d.num_blocks(), 8);
        assert_eq!(d.write_blocks(0, &[0; 512]), Err(BlockError::ReadOnly));
        d.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), vec![9u8; 4096]);
    }

    #[test]
    fn bad_requests_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.img");
        let mut d = FileDevice::create(&path, 512, 4).unwrap();
        assert!(matches!(d.read_blocks(4, &mut [0; 512]), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(d.write_blocks(3, &[0; 1024]), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(d.read_blocks(0, &mut [0; 10]), Err(BlockError::Misaligned { .. })));
        std::fs::write(dir.path().join("odd.img"), vec![0u8; 1000]).unwrap();
        assert!(matches!(
            FileDevice::open_read_only(dir.path().join("odd.img"), 512),
            Err(BlockError::Misaligned { .. })
        ));
        assert!(matches!(FileDevice::open_read_only(dir.path().join("missing"), 512), Err(BlockError::Io(_))));
    }
}
