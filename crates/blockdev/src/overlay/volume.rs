//! [`JournalVolume`]: a persistent volume with no base image: it starts as
//! all zeros (to be formatted) and keeps every block written in a
//! [`JournalDelta`]. The browser's extra volumes (`Pod.boot({ mounts })`)
//! are these, one storage journal each.
//!
//! Blocks of zeros written where the volume holds nothing are not stored:
//! they already read as zeros, and a fresh filesystem's inode tables would
//! otherwise fill the journal (and memory) with them.

use crate::device::{check_request, BlockDevice};
use crate::error::Result;
use crate::overlay::journal::{JournalDelta, LogFile};
use crate::overlay::DeltaStore;

/// The fingerprint a volume's journal records in place of a base image's:
/// a volume is "made over" empty space of its size.
fn empty_fingerprint(block_size: u32, blocks: u64) -> u64 {
    let mut h = crate::checksum::Fnv64::new();
    h.update(b"wasmpod empty volume");
    h.update(&block_size.to_le_bytes());
    h.update(&blocks.to_le_bytes());
    h.finish()
}

pub struct JournalVolume<F> {
    journal: JournalDelta<F>,
    blocks: u64,
}

impl<F: LogFile> JournalVolume<F> {
    /// Opens the volume stored in `file` (an empty file is a new, all-zero
    /// volume). A journal of another size or block size is `Invalid`.
    pub fn open(file: F, block_size: u32, blocks: u64) -> Result<Self> {
        crate::device::validate_block_size(block_size)?;
        let journal = JournalDelta::open(file, block_size, blocks, empty_fingerprint(block_size, blocks))?;
        Ok(Self { journal, blocks })
    }

    /// Whether nothing was ever stored: the volume needs formatting.
    pub fn is_blank(&self) -> bool {
        self.journal.block_count() == 0
    }
}

impl<F: LogFile> BlockDevice for JournalVolume<F> {
    fn block_size(&self) -> u32 {
        self.journal.block_size()
    }

    fn num_blocks(&self) -> u64 {
        self.blocks
    }

    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        check_request(self.block_size(), self.blocks, start, buf.len())?;
        let bs = self.block_size() as usize;
        for (i, block) in buf.chunks_exact_mut(bs).enumerate() {
            if !self.journal.read_block(start + i as u64, block)? {
                block.fill(0);
            }
        }
        Ok(())
    }

    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        check_request(self.block_size(), self.blocks, start, buf.len())?;
        let bs = self.block_size() as usize;
        for (i, block) in buf.chunks_exact(bs).enumerate() {
            let b = start + i as u64;
            if block.iter().all(|&x| x == 0) && !self.journal.contains(b) {
                continue;
            }
            self.journal.write_blocks(b, block)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.journal.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::journal::MemoryLog;
    use crate::BlockError;

    #[test]
    fn starts_blank_keeps_what_is_flushed_and_skips_zeros() {
        let mut v = JournalVolume::open(MemoryLog::default(), 1024, 100).unwrap();
        assert!(v.is_blank());
        let mut buf = vec![7u8; 2048];
        v.read_blocks(10, &mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0));
        v.write_blocks(0, &vec![0u8; 50 * 1024]).unwrap();
        assert!(v.is_blank(), "zeros over nothing are not stored");
        v.write_blocks(5, &[5u8; 1024]).unwrap();
        v.flush().unwrap();
        v.write_blocks(5, &[0u8; 1024]).unwrap(); // zeros over data are stored
        v.write_blocks(6, &[6u8; 1024]).unwrap(); // never flushed
        let log = v.journal_log().crash(0);
        let mut r = JournalVolume::open(log.clone(), 1024, 100).unwrap();
        assert!(!r.is_blank());
        let mut buf = vec![0u8; 2048];
        r.read_blocks(5, &mut buf).unwrap();
        assert_eq!((buf[0], buf[1024]), (5, 0));
        assert!(matches!(JournalVolume::open(log.clone(), 1024, 101), Err(BlockError::Invalid(_))));
        assert!(matches!(JournalVolume::open(log, 2048, 100), Err(BlockError::Invalid(_))));
        assert!(matches!(r.write_blocks(100, &[1; 1024]), Err(BlockError::OutOfRange { .. })));
    }

    impl JournalVolume<MemoryLog> {
        fn journal_log(&self) -> &MemoryLog {
            self.journal.log()
        }
    }
}
