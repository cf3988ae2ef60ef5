//! [`OverlayDevice`]: copy-on-write over a read-only base.
//!
//! Every write goes to a *delta store*; reads take a block from the delta if
//! it holds one and from the base otherwise (runs of base blocks are read in
//! one request). The base is never written, so it can be a remote image or a
//! file shared by many pods.
//!
//! Delta stores sit behind the [`DeltaStore`] trait:
//! - [`FileDelta`] (module [`log`]): an append-only log file, crash
//!   consistent, reopened with [`OverlayDevice::open`]. Its format is
//!   documented in [`log`].
//! - [`JournalDelta`] (module [`journal`]): blocks in memory, made durable
//!   one flush at a time as transactions appended to a [`LogFile`] (the
//!   browser's OPFS file, reached through the io worker). After a crash
//!   the store is what it was at some flush.
//!   [`JournalVolume`] is the same store as a volume of its own (no base
//!   image: it starts as zeros).
//! - [`MemoryDelta`]: a map in memory, for tests and for pods that need no
//!   persistence.
//!
//! An overlay remembers which base it was made for (block size, block count
//! and a [`base_fingerprint`]) and refuses to reopen over another one, which
//! would otherwise silently mix two filesystems.
//!
//! Not here yet: discarding delta blocks (TRIM), merging a delta back into a
//! new base image, locking against two processes opening the same log.

pub mod journal;
pub mod log;
pub mod volume;

use std::collections::HashMap;
use std::path::Path;

use crate::checksum::Fnv64;
use crate::device::{check_request, BlockDevice};
use crate::error::{BlockError, Result};

pub use journal::{JournalDelta, LogFile, MemoryLog};
pub use log::FileDelta;
pub use volume::JournalVolume;

/// Where an overlay keeps the blocks written over its base.
///
/// `write` stores whole blocks; a block written twice keeps the later data.
/// `flush` makes every completed `write` durable (for a persistent store).
pub trait DeltaStore: Send {
    /// Bytes per block; equal to the base's.
    fn block_size(&self) -> u32;
    /// Whether the store holds `block`.
    fn contains(&self, block: u64) -> bool;
    /// Copies `block` into `buf` (one block long) and returns true, or
    /// returns false and leaves `buf` alone if the store does not hold it.
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<bool>;
    /// Stores `data.len() / block_size` consecutive blocks from `start`.
    fn write_blocks(&mut self, start: u64, data: &[u8]) -> Result<()>;
    /// Makes every completed write durable.
    fn flush(&mut self) -> Result<()>;
    /// Number of distinct blocks held.
    fn block_count(&self) -> u64;
    /// Reclaims space held by overwritten data, if the store keeps any.
    /// Content is unchanged; on return it is as durable as after `flush`.
    fn compact(&mut self) -> Result<()> {
        self.flush()
    }
}

/// How many leading bytes of the base [`base_fingerprint`] hashes: 8 KiB
/// covers the ext2 superblock (bytes 1024..2048, with the filesystem UUID)
/// and the first group descriptors for every block size, while costing at
/// most one chunk fetch on a remote base.
pub const FINGERPRINT_BYTES: u64 = 8192;

/// A 64-bit name for a base device's content: FNV-1a over its
/// [`BlockDevice::identity`] (if any), block size, block count and its first
/// [`FINGERPRINT_BYTES`] bytes. Cheap, and different for any two images
/// that differ in size, origin or filesystem UUID. Not a content hash of
/// the whole image.
pub fn base_fingerprint<D: BlockDevice + ?Sized>(base: &mut D) -> Result<u64> {
    let identity = base.identity().unwrap_or_default();
    fingerprint(base, identity.as_bytes())
}

/// Like [`base_fingerprint`] without the device's identity: the same image
/// has the same one however it is reached (served over HTTP to a browser,
/// or a local file). For stores that travel between hosts ([`JournalDelta`]).
pub fn content_fingerprint<D: BlockDevice + ?Sized>(base: &mut D) -> Result<u64> {
    fingerprint(base, b"")
}

fn fingerprint<D: BlockDevice + ?Sized>(base: &mut D, identity: &[u8]) -> Result<u64> {
    let mut h = Fnv64::new();
    let bs = u64::from(base.block_size());
    h.update(identity);
    h.update(&[0xff]);
    h.update(&bs.to_le_bytes());
    h.update(&base.num_blocks().to_le_bytes());
    let blocks = FINGERPRINT_BYTES.div_ceil(bs).min(base.num_blocks());
    let mut buf = vec![0; (blocks * bs) as usize];
    base.read_blocks(0, &mut buf)?;
    h.update(&buf);
    Ok(h.finish())
}

/// Copy-on-write device: writes land in `S`, the base `B` is only read.
pub struct OverlayDevice<B, S = FileDelta> {
    base: B,
    delta: S,
}

impl<B: BlockDevice> OverlayDevice<B, FileDelta> {
    /// Opens the overlay log at `path` over `base`, creating it if missing.
    ///
    /// An existing log is replayed (a torn tail from a crash is dropped) and
    /// must have been made for this base, else `Invalid`.
    pub fn open(mut base: B, path: impl AsRef<Path>) -> Result<Self> {
        let fingerprint = base_fingerprint(&mut base)?;
        let delta = FileDelta::open(path, base.block_size(), base.num_blocks(), fingerprint)?;
        Ok(Self { base, delta })
    }
}

impl<B: BlockDevice> OverlayDevice<B, MemoryDelta> {
    /// An overlay whose writes live in memory only.
    pub fn in_memory(base: B) -> Result<Self> {
        let delta = MemoryDelta::new(base.block_size());
        Self::with_store(base, delta)
    }
}

impl<B: BlockDevice, S: DeltaStore> OverlayDevice<B, S> {
    /// An overlay over `base` with an existing store. The store must use the
    /// base's block size. (Checking that the store belongs to this base is the
    /// store's job; see [`base_fingerprint`].)
    pub fn with_store(base: B, delta: S) -> Result<Self> {
        if delta.block_size() != base.block_size() {
            return Err(BlockError::Invalid(format!(
                "delta block size {} differs from base block size {}",
                delta.block_size(),
                base.block_size()
            )));
        }
        Ok(Self { base, delta })
    }

    pub fn base(&self) -> &B {
        &self.base
    }

    pub fn delta(&self) -> &S {
        &self.delta
    }

    /// Number of blocks that differ from the base (written at least once).
    pub fn delta_blocks(&self) -> u64 {
        self.delta.block_count()
    }

    /// Reclaims delta space held by overwritten blocks (see
    /// [`DeltaStore::compact`]); also flushes.
    pub fn compact(&mut self) -> Result<()> {
        self.delta.compact()
    }

    pub fn into_parts(self) -> (B, S) {
        (self.base, self.delta)
    }
}

impl<B: BlockDevice, S: DeltaStore> BlockDevice for OverlayDevice<B, S> {
    fn block_size(&self) -> u32 {
        self.base.block_size()
    }
    fn num_blocks(&self) -> u64 {
        self.base.num_blocks()
    }

    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        let count = check_request(self.block_size(), self.num_blocks(), start, buf.len())?;
        let bs = self.block_size() as usize;
        let mut i = 0u64;
        while i < count {
            let off = i as usize * bs;
            if self.delta.contains(start + i) {
                if !self.delta.read_block(start + i, &mut buf[off..off + bs])? {
                    return Err(BlockError::Invalid(format!("delta lost block {}", start + i)));
                }
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < count && !self.delta.contains(start + j) {
                j += 1;
            }
            self.base.read_blocks(start + i, &mut buf[off..j as usize * bs])?;
            i = j;
        }
        Ok(())
    }

    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        check_request(self.block_size(), self.num_blocks(), start, buf.len())?;
        if buf.is_empty() {
            return Ok(());
        }
        self.delta.write_blocks(start, buf)
    }

    /// Flushes the delta. The base holds nothing of ours to flush.
    fn flush(&mut self) -> Result<()> {
        self.delta.flush()
    }

    fn is_read_only(&self) -> bool {
        false
    }
}

/// A delta store in memory: nothing survives the process.
#[derive(Debug, Clone)]
pub struct MemoryDelta {
    block_size: u32,
    blocks: HashMap<u64, Box<[u8]>>,
}

impl MemoryDelta {
    pub fn new(block_size: u32) -> Self {
        Self { block_size, blocks: HashMap::new() }
    }

    /// The bytes of `block`, if held.
    pub fn block(&self, block: u64) -> Option<&[u8]> {
        self.blocks.get(&block).map(|b| &b[..])
    }
}

impl DeltaStore for MemoryDelta {
    fn block_size(&self) -> u32 {
        self.block_size
    }
    fn contains(&self, block: u64) -> bool {
        self.blocks.contains_key(&block)
    }
    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<bool> {
        match self.block(block) {
            Some(b) => {
                buf.copy_from_slice(b);
                Ok(true)
            }
            None => Ok(false),
        }
    }
    fn write_blocks(&mut self, start: u64, data: &[u8]) -> Result<()> {
        let bs = self.block_size as usize;
        if !data.len().is_multiple_of(bs) {
            return Err(BlockError::Misaligned { len: data.len(), block_size: self.block_size });
        }
        for (i, chunk) in data.chunks_exact(bs).enumerate() {
            self.blocks.insert(start + i as u64, chunk.into());
        }
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn block_count(&self) -> u64 {
        self.blocks.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Op, Recorder};
    use crate::{FileDevice, MemoryDevice};

    fn base_data(blocks: usize) -> Vec<u8> {
        (0..blocks * 512).map(|i| (i / 512) as u8 ^ (i as u8)).collect()
    }

    #[test]
    fn reads_prefer_the_delta_and_base_is_untouched() {
        let data = base_data(8);
        let base = Recorder::new(MemoryDevice::from_vec(data.clone(), 512).unwrap().into_read_only());
        let mut o = OverlayDevice::in_memory(base).unwrap();
        assert!(!o.is_read_only());
        o.write_blocks(3, &[0xEE; 512]).unwrap();
        o.write_blocks(5, &[0xDD; 1024]).unwrap();
        o.base().clear_ops();
        let mut all = vec![0; data.len()];
        o.read_blocks(0, &mut all).unwrap();
        let mut want = data.clone();
        want[3 * 512..4 * 512].fill(0xEE);
        want[5 * 512..7 * 512].fill(0xDD);
        assert_eq!(all, want);
        // Base runs are read in one request each; no write ever reaches it.
        assert_eq!(o.base().ops(), vec![Op::Read(0, 3), Op::Read(4, 1), Op::Read(7, 1)]);
        o.flush().unwrap();
        assert_eq!(o.delta_blocks(), 3);
        assert_eq!(o.base().inner().as_slice(), &data[..]);
    }

    #[test]
    fn errors_never_panic() {
        let base = MemoryDevice::new(512, 4).unwrap();
        let mut o = OverlayDevice::in_memory(base).unwrap();
        assert!(matches!(o.write_blocks(4, &[0; 512]), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(o.write_blocks(0, &[0; 3]), Err(BlockError::Misaligned { .. })));
        assert!(matches!(o.read_blocks(3, &mut [0; 1024]), Err(BlockError::OutOfRange { .. })));
        assert!(OverlayDevice::with_store(MemoryDevice::new(512, 4).unwrap(), MemoryDelta::new(1024)).is_err());
    }

    #[test]
    fn persists_across_reopen_and_base_file_stays_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("base.img");
        let log = dir.path().join("base.overlay");
        let data = base_data(16);
        std::fs::write(&img, &data).unwrap();
        {
            let base = FileDevice::open_read_only(&img, 512).unwrap();
            let mut o = OverlayDevice::open(base, &log).unwrap();
            o.write_blocks(1, &[1; 1024]).unwrap();
            o.write_blocks(2, &[2; 512]).unwrap(); // rewrite: later wins
            o.write_blocks(15, &[15; 512]).unwrap();
            o.flush().unwrap();
        }
        let base = FileDevice::open_read_only(&img, 512).unwrap();
        let mut o = OverlayDevice::open(base, &log).unwrap();
        assert_eq!(o.delta_blocks(), 3);
        let mut all = vec![0; data.len()];
        o.read_blocks(0, &mut all).unwrap();
        let mut want = data.clone();
        want[512..1024].fill(1);
        want[1024..1536].fill(2);
        want[15 * 512..].fill(15);
        assert_eq!(all, want);
        assert_eq!(std::fs::read(&img).unwrap(), data);
    }

    #[test]
    fn refused_over_a_different_base() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("o.overlay");
        let mk = |d: Vec<u8>, bs| MemoryDevice::from_vec(d, bs).unwrap();
        let mut o = OverlayDevice::open(mk(base_data(16), 512), &log).unwrap();
        o.write_blocks(0, &[9; 512]).unwrap();
        o.flush().unwrap();
        drop(o);
        // Same base reopens.
        OverlayDevice::open(mk(base_data(16), 512), &log).unwrap();
        // Different content in the first 8 KiB.
        let mut other = base_data(16);
        other[1100] ^= 1;
        assert!(matches!(OverlayDevice::open(mk(other, 512), &log), Err(BlockError::Invalid(_))));
        // Different size, different block size.
        assert!(matches!(OverlayDevice::open(mk(base_data(17), 512), &log), Err(BlockError::Invalid(_))));
        assert!(matches!(OverlayDevice::open(mk(base_data(16), 1024), &log), Err(BlockError::Invalid(_))));
        // A file that is not an overlay at all.
        let junk = dir.path().join("junk");
        std::fs::write(&junk, vec![0x55; 4096]).unwrap();
        assert!(matches!(OverlayDevice::open(mk(base_data(16), 512), &junk), Err(BlockError::Invalid(_))));
        assert_eq!(std::fs::read(&junk).unwrap(), vec![0x55; 4096]);
    }
}
