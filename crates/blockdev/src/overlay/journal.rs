//! [`JournalDelta`]: a persistent overlay store whose durable state only
//! ever moves from one `flush` to the next.
//!
//! [`FileDelta`](super::FileDelta) makes each block durable on its own, so
//! a crash keeps some of the writes since the last flush and loses others.
//! Under a filesystem without a journal (ext2) that mix can be
//! inconsistent. Here the writes since the last flush are held in memory
//! and a flush appends them to the log as one *transaction* with one CRC:
//! after a crash the store is exactly what it was at some flush. Since
//! ext2's `sync` (fsync, sync, unmount) writes everything and then flushes,
//! that is always a consistent filesystem, and it holds every block of
//! every completed fsync.
//!
//! Every block the store holds is kept in memory (the log is only read
//! when the store opens), so memory grows with the data written over the
//! base. That suits the browser, where the log lives in storage reached
//! through another worker ([`LogFile`]).
//!
//! # Log format (version 1)
//!
//! All integers little-endian; CRC is CRC-32 (IEEE).
//!
//! ```text
//! header, 64 bytes:
//!    0  8  magic "WPODJNL\0"
//!    8  4  version = 1
//!   12  4  block_size
//!   16  8  base block count
//!   24  8  base fingerprint (overlay::content_fingerprint)
//!   32 24  reserved, zero
//!   56  4  CRC of bytes 0..56
//!   60  4  zero
//! then transactions, back to back:
//!    0  4  magic "WTXN"
//!    4  4  n, the number of blocks
//!    8  8  sequence number (1, 2, 3, …)
//!   16 8n  block indexes
//!   then n blocks of data, in the order of the indexes
//!   then 4 bytes: CRC of everything from the magic to the end of the data,
//!   and 4 zero bytes
//! ```
//!
//! On open, transactions are replayed in order; replay stops at the first
//! one that is incomplete, has a bad magic, CRC or sequence number, or
//! names a block past the base, and the log is truncated there (a torn
//! append). No compaction yet: a block rewritten in many transactions keeps
//! every copy in the log.

use std::collections::BTreeSet;

use crate::checksum::{crc32, Crc32};
use crate::error::{BlockError, Result};
use crate::overlay::log::{le_u32, le_u64, store_header};
use crate::overlay::{DeltaStore, MemoryDelta};

const MAGIC: [u8; 8] = *b"WPODJNL\0";
const VERSION: u32 = 1;
pub use crate::overlay::log::HEADER_LEN;
const TXN_MAGIC: [u8; 4] = *b"WTXN";
/// Bytes of a transaction's head (magic, count, sequence number).
const TXN_HEAD: u64 = 16;
/// Bytes after a transaction's data (CRC, zero).
const TXN_TAIL: u64 = 8;

/// The storage under a [`JournalDelta`]: a byte file with positioned reads
/// and writes, truncation and a durability barrier.
pub trait LogFile: Send {
    /// The file's length in bytes.
    fn size(&mut self) -> Result<u64>;
    /// Fills `buf` from `offset` (the range is inside the file).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `data` at `offset`, growing the file if needed.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()>;
    /// Cuts the file to `len` bytes.
    fn truncate(&mut self, len: u64) -> Result<()>;
    /// Returns once every completed write is durable.
    fn sync(&mut self) -> Result<()>;
}

fn header(block_size: u32, base_blocks: u64, fingerprint: u64) -> [u8; HEADER_LEN as usize] {
    store_header(MAGIC, VERSION, block_size, base_blocks, fingerprint)
}

/// A transactional, persistent delta store. See the module docs.
pub struct JournalDelta<F> {
    file: F,
    block_size: u32,
    base_blocks: u64,
    /// Every block the store holds: the log's and the pending ones.
    blocks: MemoryDelta,
    /// Blocks written since the last flush.
    pending: BTreeSet<u64>,
    /// Where the next transaction goes.
    end: u64,
    /// The last sequence number in the log.
    seq: u64,
    /// Bytes of a torn tail dropped when the log was opened.
    dropped_tail: u64,
}

impl<F: LogFile> JournalDelta<F> {
    /// Opens the log in `file` (an empty file becomes a new log) for a base
    /// of `base_blocks` blocks of `block_size` bytes whose fingerprint is
    /// `fingerprint`. A log made for another base is refused with
    /// `Invalid`, and left as it is.
    pub fn open(mut file: F, block_size: u32, base_blocks: u64, fingerprint: u64) -> Result<Self> {
        let want = header(block_size, base_blocks, fingerprint);
        let len = file.size()?;
        if len < HEADER_LEN {
            // New, or its header never completed (a prefix of ours, or zeros).
            let mut got = vec![0u8; len as usize];
            file.read_at(0, &mut got)?;
            if !(got.iter().all(|&b| b == 0) || want.starts_with(&got)) {
                return Err(BlockError::Invalid("not a wasmpod journal (short file)".into()));
            }
            file.truncate(0)?;
            file.write_at(0, &want)?;
            file.sync()?;
        } else {
            let mut got = [0u8; HEADER_LEN as usize];
            file.read_at(0, &mut got)?;
            if got[0..8] != MAGIC || le_u32(&got[56..60]) != crc32(&got[0..56]) {
                return Err(BlockError::Invalid("not a wasmpod journal (bad header)".into()));
            }
            if got != want {
                return Err(BlockError::Invalid("the journal was made for another base image (or block size)".into()));
            }
        }
        let mut me = Self {
            file,
            block_size,
            base_blocks,
            blocks: MemoryDelta::new(block_size),
            pending: BTreeSet::new(),
            end: HEADER_LEN,
            seq: 0,
            dropped_tail: 0,
        };
        me.replay(len.max(HEADER_LEN))?;
        Ok(me)
    }

    /// The block size a log was made for (its header's), to open the base
    /// device to match; `Invalid` if `file` holds no journal header.
    pub fn block_size_of(file: &mut F) -> Result<u32> {
        let mut h = [0u8; HEADER_LEN as usize];
        if file.size()? < HEADER_LEN {
            return Err(BlockError::Invalid("not a wasmpod journal (short file)".into()));
        }
        file.read_at(0, &mut h)?;
        if h[0..8] != MAGIC || le_u32(&h[56..60]) != crc32(&h[0..56]) {
            return Err(BlockError::Invalid("not a wasmpod journal (bad header)".into()));
        }
        Ok(le_u32(&h[12..16]))
    }

    /// Applies the log's complete transactions; truncates a torn tail.
    fn replay(&mut self, len: u64) -> Result<()> {
        let bs = u64::from(self.block_size);
        while self.end + TXN_HEAD <= len {
            let mut head = [0u8; TXN_HEAD as usize];
            self.file.read_at(self.end, &mut head)?;
            let n = u64::from(le_u32(&head[4..8]));
            let seq = le_u64(&head[8..16]);
            let total = TXN_HEAD + n * (8 + bs) + TXN_TAIL;
            if head[0..4] != TXN_MAGIC || seq != self.seq + 1 || n == 0 || n > self.base_blocks {
                break;
            }
            if self.end + total > len {
                break;
            }
            let mut txn = vec![0u8; total as usize];
            self.file.read_at(self.end, &mut txn)?;
            let body = (total - TXN_TAIL) as usize;
            if le_u32(&txn[body..]) != crc32(&txn[..body]) {
                break;
            }
            let (indexes, data) = txn[TXN_HEAD as usize..body].split_at(8 * n as usize);
            let blocks: Vec<u64> = indexes.chunks_exact(8).map(le_u64).collect();
            if blocks.iter().any(|&b| b >= self.base_blocks) {
                break;
            }
            for (b, d) in blocks.into_iter().zip(data.chunks_exact(bs as usize)) {
                self.blocks.write_blocks(b, d)?;
            }
            self.end += total;
            self.seq = seq;
        }
        if self.end < len {
            self.dropped_tail = len - self.end;
            self.file.truncate(self.end)?;
            self.file.sync()?;
        }
        Ok(())
    }

    /// The log file (for tests that look at what storage holds).
    #[cfg(test)]
    pub(crate) fn log(&self) -> &F {
        &self.file
    }

    /// Bytes of a torn tail dropped when the log was opened.
    pub fn dropped_tail_bytes(&self) -> u64 {
        self.dropped_tail
    }

    /// The log's length: where the next transaction goes.
    pub fn log_bytes(&self) -> u64 {
        self.end
    }

    /// Blocks written since the last flush (lost by a crash now).
    pub fn pending_blocks(&self) -> usize {
        self.pending.len()
    }

    /// The transaction for the pending blocks, numbered `seq`.
    fn transaction(&self, seq: u64) -> Vec<u8> {
        let n = self.pending.len();
        let bs = self.block_size as usize;
        let mut t = Vec::with_capacity(TXN_HEAD as usize + n * (8 + bs) + TXN_TAIL as usize);
        t.extend_from_slice(&TXN_MAGIC);
        t.extend_from_slice(&(n as u32).to_le_bytes());
        t.extend_from_slice(&seq.to_le_bytes());
        for &b in &self.pending {
            t.extend_from_slice(&b.to_le_bytes());
        }
        for &b in &self.pending {
            t.extend_from_slice(self.blocks.block(b).expect("a pending block is held"));
        }
        let mut crc = Crc32::new();
        crc.update(&t);
        t.extend_from_slice(&crc.finish().to_le_bytes());
        t.extend_from_slice(&[0; 4]);
        t
    }
}

impl<F: LogFile> DeltaStore for JournalDelta<F> {
    fn block_size(&self) -> u32 {
        self.block_size
    }

    fn contains(&self, block: u64) -> bool {
        self.blocks.contains(block)
    }

    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<bool> {
        self.blocks.read_block(block, buf)
    }

    fn write_blocks(&mut self, start: u64, data: &[u8]) -> Result<()> {
        let count = (data.len() / self.block_size as usize) as u64;
        if start.checked_add(count).is_none_or(|end| end > self.base_blocks) {
            return Err(BlockError::OutOfRange { block: start, count, device_blocks: self.base_blocks });
        }
        self.blocks.write_blocks(start, data)?;
        self.pending.extend(start..start + count);
        Ok(())
    }

    /// Appends the pending blocks as one transaction and syncs. On an error
    /// nothing is lost: the blocks stay pending, and a partly written
    /// transaction is overwritten by the next attempt (and would be dropped
    /// by replay).
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let seq = self.seq + 1;
        let t = self.transaction(seq);
        self.file.write_at(self.end, &t)?;
        self.file.sync()?;
        self.end += t.len() as u64;
        self.seq = seq;
        self.pending.clear();
        Ok(())
    }

    fn block_count(&self) -> u64 {
        self.blocks.block_count()
    }
}

/// A host file as a log (`wasmpod image flatten --journal`).
impl LogFile for std::fs::File {
    fn size(&mut self) -> Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        Ok(crate::hostio::read_exact_at(self, buf, offset)?)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        Ok(crate::hostio::write_all_at(self, data, offset)?)
    }
    fn truncate(&mut self, len: u64) -> Result<()> {
        Ok(self.set_len(len)?)
    }
    fn sync(&mut self) -> Result<()> {
        Ok(self.sync_data()?)
    }
}

/// A [`LogFile`] in memory that models a crash: [`MemoryLog::crash`] keeps
/// the synced bytes plus any prefix of what was written after the last
/// sync. For tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    /// The file as the writer sees it.
    pub data: Vec<u8>,
    /// Length of the prefix known durable (at the last sync).
    pub synced: usize,
    /// Fail the next `sync`: a storage error.
    pub fail_sync: bool,
}

impl MemoryLog {
    /// What storage holds after a crash that kept `extra` bytes written
    /// after the last sync (clamped).
    pub fn crash(&self, extra: usize) -> MemoryLog {
        let keep = (self.synced + extra).min(self.data.len());
        MemoryLog { data: self.data[..keep].to_vec(), synced: keep, fail_sync: false }
    }
}

impl LogFile for MemoryLog {
    fn size(&mut self) -> Result<u64> {
        Ok(self.data.len() as u64)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let o = offset as usize;
        let src = self.data.get(o..o + buf.len()).ok_or_else(|| BlockError::Io("read past the end".into()))?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let o = offset as usize;
        if self.data.len() < o + data.len() {
            self.data.resize(o + data.len(), 0);
        }
        self.data[o..o + data.len()].copy_from_slice(data);
        self.synced = self.synced.min(o);
        Ok(())
    }
    fn truncate(&mut self, len: u64) -> Result<()> {
        self.data.truncate(len as usize);
        self.synced = self.synced.min(len as usize);
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        if self.fail_sync {
            self.fail_sync = false;
            return Err(BlockError::Io("storage full".into()));
        }
        self.synced = self.data.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::OverlayDevice;
    use crate::{BlockDevice, MemoryDevice};

    const BS: u32 = 512;

    fn open(log: MemoryLog) -> JournalDelta<MemoryLog> {
        JournalDelta::open(log, BS, 64, 0xF00D).unwrap()
    }

    fn get(d: &mut JournalDelta<MemoryLog>, block: u64) -> Option<u8> {
        let mut buf = vec![0; BS as usize];
        d.read_block(block, &mut buf).unwrap().then(|| {
            assert!(buf.iter().all(|&b| b == buf[0]));
            buf[0]
        })
    }

    #[test]
    fn only_flushed_transactions_survive() {
        let mut d = open(MemoryLog::default());
        d.write_blocks(1, &[1; 1024]).unwrap();
        d.flush().unwrap();
        d.write_blocks(2, &[22; 512]).unwrap(); // rewrites block 2
        d.write_blocks(9, &[9; 512]).unwrap();
        d.flush().unwrap();
        d.write_blocks(3, &[3; 512]).unwrap(); // never flushed
        assert_eq!(d.pending_blocks(), 1);
        let log = d.file.crash(0);
        let mut r = open(log);
        assert_eq!(
            (get(&mut r, 1), get(&mut r, 2), get(&mut r, 9), get(&mut r, 3)),
            (Some(1), Some(22), Some(9), None)
        );
        assert_eq!(r.block_count(), 3);
        assert_eq!(r.dropped_tail_bytes(), 0);
    }

    #[test]
    fn a_torn_transaction_is_dropped_whole_at_every_cut() {
        let mut d = open(MemoryLog::default());
        d.write_blocks(0, &[7; 512]).unwrap();
        d.flush().unwrap();
        let synced = d.file.data.len();
        d.write_blocks(4, &[4; 1536]).unwrap();
        // Simulate a crash during the second flush: the append is written
        // but not synced; every prefix of it may be what storage kept.
        let t = d.transaction(2);
        d.file.write_at(synced as u64, &t).unwrap();
        for extra in 0..t.len() {
            let mut r = open(d.file.crash(extra));
            assert_eq!(get(&mut r, 0), Some(7), "cut at {extra}");
            assert_eq!((get(&mut r, 4), get(&mut r, 6)), (None, None), "cut at {extra}");
            assert_eq!(r.dropped_tail_bytes(), extra as u64);
            assert_eq!(r.file.data.len(), synced, "torn tail truncated");
            // The next transaction follows the last good one and reopens.
            r.write_blocks(5, &[5; 512]).unwrap();
            r.flush().unwrap();
            let mut again = open(r.file.crash(0));
            assert_eq!((get(&mut again, 0), get(&mut again, 5)), (Some(7), Some(5)));
        }
        let mut whole = open(d.file.crash(t.len()));
        assert_eq!((get(&mut whole, 4), get(&mut whole, 6)), (Some(4), Some(4)));
    }

    #[test]
    fn corruption_ends_replay_and_other_bases_are_refused() {
        let mut d = open(MemoryLog::default());
        for b in 0..3 {
            d.write_blocks(b, &[b as u8 + 1; 512]).unwrap();
            d.flush().unwrap();
        }
        let mut log = d.file.crash(0);
        // A flipped byte in the second transaction's data.
        let second = HEADER_LEN as usize + (TXN_HEAD + 8 + 512 + TXN_TAIL) as usize + 40;
        log.data[second] ^= 1;
        let mut r = open(log.clone());
        assert_eq!((get(&mut r, 0), get(&mut r, 1), get(&mut r, 2)), (Some(1), None, None));
        assert!(matches!(JournalDelta::open(log.clone(), BS, 65, 0xF00D), Err(BlockError::Invalid(_))));
        assert!(matches!(JournalDelta::open(log.clone(), BS, 64, 0xBEEF), Err(BlockError::Invalid(_))));
        assert!(matches!(JournalDelta::open(log, 1024, 64, 0xF00D), Err(BlockError::Invalid(_))));
        let junk = MemoryLog { data: b"hello".to_vec(), synced: 5, fail_sync: false };
        assert!(matches!(JournalDelta::open(junk, BS, 64, 1), Err(BlockError::Invalid(_))));
        // A header cut short by a crash is a new log.
        let half = MemoryLog { data: header(BS, 64, 1)[..20].to_vec(), synced: 20, fail_sync: false };
        assert_eq!(JournalDelta::open(half, BS, 64, 1).unwrap().block_count(), 0);
    }

    #[test]
    fn a_failed_flush_keeps_the_blocks_pending() {
        let mut d = open(MemoryLog::default());
        d.write_blocks(1, &[1; 512]).unwrap();
        d.file.fail_sync = true;
        assert!(matches!(d.flush(), Err(BlockError::Io(_))));
        assert_eq!(d.pending_blocks(), 1);
        d.flush().unwrap();
        assert_eq!(get(&mut open(d.file.crash(0)), 1), Some(1));
        assert!(matches!(d.write_blocks(64, &[0; 512]), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(d.write_blocks(0, &[0; 100]), Err(BlockError::Misaligned { .. })));
    }

    #[test]
    fn as_an_overlay_the_base_shows_through() {
        let base = MemoryDevice::from_vec((0..64 * 512).map(|i| (i / 512) as u8).collect(), BS).unwrap();
        let mut o = OverlayDevice::with_store(base.into_read_only(), open(MemoryLog::default())).unwrap();
        o.write_blocks(10, &[0xAA; 512]).unwrap();
        o.flush().unwrap();
        let mut buf = vec![0; 3 * 512];
        o.read_blocks(9, &mut buf).unwrap();
        assert_eq!((buf[0], buf[512], buf[1024]), (9, 0xAA, 11));
    }
}
