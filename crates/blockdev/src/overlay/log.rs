//! [`FileDelta`]: the persistent overlay store, an append-only log file.
//!
//! # On-disk format (version 1)
//!
//! All integers little-endian. CRC is CRC-32 (IEEE, as zlib).
//!
//! ```text
//! header, 64 bytes:
//!    0  8  magic  "WPODOVL\0"
//!    8  4  version = 1
//!   12  4  block_size
//!   16  8  base block count
//!   24  8  base fingerprint (overlay::base_fingerprint)
//!   32 24  reserved, zero
//!   56  4  CRC of bytes 0..56
//!   60  4  zero
//! then records, back to back, each block_size + 24 bytes:
//!    0  4  magic "WREC"
//!    4  4  reserved, zero
//!    8  8  block index
//!   16  bs block data
//! 16+bs 4  CRC of bytes 0..16+bs
//! 20+bs 4  zero
//! ```
//!
//! A block's current content is its last record in the log. On open the log
//! is replayed from the start into an in-memory index (block → file offset);
//! replay stops at the first record that is incomplete, has a bad magic or
//! CRC, or names a block past the base, and the file is truncated there.
//!
//! # Crash consistency
//!
//! Writes only ever append; nothing durable is overwritten. `flush` is
//! `fdatasync`, so after it returns every record written before it is on
//! disk. A crash can only damage records appended after the last `flush`:
//! they form the tail that replay drops. The header is written and synced
//! (with the directory entry) when the file is created, before any record,
//! so a file shorter than a header holds no data: it is re-initialised if
//! its bytes are a prefix of our header or all zero, and refused otherwise.
//!
//! # Compaction
//!
//! A rewritten block keeps its old records, so the log grows with every
//! write. [`FileDelta::compact`] (also `DeltaStore::compact`) copies the live
//! records, in block order, to `<path>.compact`, syncs it, renames it over
//! the log and syncs the directory: a crash at any point leaves either the
//! old log or the new one, both complete. It is not run automatically; the
//! owner decides when (e.g. on unmount, or when
//! [`FileDelta::garbage_bytes`] grows large) because it rewrites every live
//! block.
//!
//! Not here yet: locking against a second opener (two writers would
//! interleave appends and each keep a stale index).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::checksum::{crc32, Crc32};
use crate::error::{BlockError, Result};
use crate::hostio;
use crate::overlay::DeltaStore;

const MAGIC: [u8; 8] = *b"WPODOVL\0";
const VERSION: u32 = 1;
/// Fixed header size; 64 keeps records 8-byte aligned and leaves room for
/// reserved fields without a format change.
pub const HEADER_LEN: u64 = 64;
const RECORD_MAGIC: [u8; 4] = *b"WREC";
/// Record bytes around the block data: 16 before, 8 after.
pub const RECORD_OVERHEAD: u64 = 24;

/// An append-only, crash-consistent overlay log. See the module docs.
#[derive(Debug)]
pub struct FileDelta {
    file: File,
    path: PathBuf,
    block_size: u32,
    base_blocks: u64,
    /// block → offset of its data in the file (last record wins).
    index: HashMap<u64, u64>,
    /// Where the next record goes (end of the valid log).
    end: u64,
    /// Bytes dropped from a torn tail when the log was opened.
    dropped_tail: u64,
}

fn header(block_size: u32, base_blocks: u64, fingerprint: u64) -> [u8; HEADER_LEN as usize] {
    store_header(MAGIC, VERSION, block_size, base_blocks, fingerprint)
}

/// The 64-byte header both persistent stores (this log and the journal)
/// begin with: magic, version, block size, base block count, base
/// fingerprint, reserved zeros, and a CRC of bytes 0..56 at 56.
pub(crate) fn store_header(
    magic: [u8; 8],
    version: u32,
    block_size: u32,
    base_blocks: u64,
    fingerprint: u64,
) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..8].copy_from_slice(&magic);
    h[8..12].copy_from_slice(&version.to_le_bytes());
    h[12..16].copy_from_slice(&block_size.to_le_bytes());
    h[16..24].copy_from_slice(&base_blocks.to_le_bytes());
    h[24..32].copy_from_slice(&fingerprint.to_le_bytes());
    let crc = crc32(&h[0..56]);
    h[56..60].copy_from_slice(&crc.to_le_bytes());
    h
}

pub(crate) fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

pub(crate) fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

impl FileDelta {
    /// Opens (or creates) the log at `path` for a base of `base_blocks`
    /// blocks of `block_size` bytes whose fingerprint is `fingerprint`.
    /// A log made for another base is refused with `Invalid`, and left as is.
    pub fn open(path: impl AsRef<Path>, block_size: u32, base_blocks: u64, fingerprint: u64) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let ctx = |e: std::io::Error| BlockError::Io(format!("{}: {e}", path.display()));
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(ctx)?;
        let len = file.metadata().map_err(ctx)?.len();
        let want = header(block_size, base_blocks, fingerprint);
        if len < HEADER_LEN {
            // New, or created but never fully initialised: a crash while
            // writing the header leaves a prefix of it (or zeros). Anything
            // else is someone else's file, which we must not overwrite.
            let mut got = vec![0u8; len as usize];
            hostio::read_exact_at(&mut file, &mut got, 0).map_err(ctx)?;
            let ours = got.iter().all(|&b| b == 0) || want.starts_with(&got);
            if !ours {
                return Err(BlockError::Invalid(format!("{}: not a wasmpod overlay (short file)", path.display())));
            }
            file.set_len(0).map_err(ctx)?;
            hostio::write_all_at(&mut file, &want, 0).map_err(ctx)?;
            file.sync_all().map_err(ctx)?;
            sync_parent_dir(&path);
        } else {
            let mut got = [0u8; HEADER_LEN as usize];
            hostio::read_exact_at(&mut file, &mut got, 0).map_err(ctx)?;
            check_header(&got, &want, &path)?;
        }
        let mut me =
            Self { file, path, block_size, base_blocks, index: HashMap::new(), end: HEADER_LEN, dropped_tail: 0 };
        me.replay(len.max(HEADER_LEN))?;
        Ok(me)
    }

    fn record_len(&self) -> u64 {
        u64::from(self.block_size) + RECORD_OVERHEAD
    }

    /// Rebuilds the index from the records; truncates a torn tail.
    fn replay(&mut self, len: u64) -> Result<()> {
        let rec_len = self.record_len();
        let mut reader = BufReader::with_capacity(1 << 20, &self.file);
        std::io::Seek::seek(&mut reader, std::io::SeekFrom::Start(HEADER_LEN))?;
        let mut rec = vec![0u8; rec_len as usize];
        let mut pos = HEADER_LEN;
        let bs = self.block_size as usize;
        while pos + rec_len <= len {
            if reader.read_exact(&mut rec).is_err() {
                break;
            }
            let crc_ok = le_u32(&rec[16 + bs..]) == crc32(&rec[..16 + bs]);
            let block = le_u64(&rec[8..16]);
            if rec[0..4] != RECORD_MAGIC || !crc_ok || block >= self.base_blocks {
                break;
            }
            self.index.insert(block, pos + 16);
            pos += rec_len;
        }
        self.end = pos;
        if pos < len {
            self.dropped_tail = len - pos;
            self.file.set_len(pos)?;
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the valid log in bytes (header and every record, live or not).
    pub fn log_bytes(&self) -> u64 {
        self.end
    }

    /// Bytes held by records that a later record of the same block
    /// superseded: what [`compact`](Self::compact) would reclaim.
    pub fn garbage_bytes(&self) -> u64 {
        let live = HEADER_LEN + self.index.len() as u64 * self.record_len();
        self.end.saturating_sub(live)
    }

    /// Rewrites the log with only live records; see the module docs.
    pub fn compact(&mut self) -> Result<()> {
        let mut tmp_name = self.path.as_os_str().to_owned();
        tmp_name.push(".compact");
        let tmp_path = PathBuf::from(tmp_name);
        let ctx = |e: std::io::Error| BlockError::Io(format!("{}: {e}", tmp_path.display()));
        let mut header = [0u8; HEADER_LEN as usize];
        hostio::read_exact_at(&mut self.file, &mut header, 0)?;
        let mut tmp =
            OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&tmp_path).map_err(ctx)?;
        hostio::write_all_at(&mut tmp, &header, 0).map_err(ctx)?;
        let mut blocks: Vec<(u64, u64)> = self.index.iter().map(|(&b, &o)| (b, o)).collect();
        blocks.sort_unstable();
        let rec_len = self.record_len();
        let mut rec = vec![0u8; rec_len as usize];
        let mut new_index = HashMap::with_capacity(blocks.len());
        let mut pos = HEADER_LEN;
        for (block, data_off) in blocks {
            // Copy the whole record (header, data, CRC) as it is on disk.
            hostio::read_exact_at(&mut self.file, &mut rec, data_off - 16)?;
            hostio::write_all_at(&mut tmp, &rec, pos).map_err(ctx)?;
            new_index.insert(block, pos + 16);
            pos += rec_len;
        }
        tmp.sync_all().map_err(ctx)?;
        std::fs::rename(&tmp_path, &self.path).map_err(ctx)?;
        sync_parent_dir(&self.path);
        self.file = tmp;
        self.index = new_index;
        self.end = pos;
        Ok(())
    }

    /// Bytes of torn tail dropped when this log was opened (0 after a clean
    /// shutdown).
    pub fn dropped_tail_bytes(&self) -> u64 {
        self.dropped_tail
    }
}

fn check_header(got: &[u8; HEADER_LEN as usize], want: &[u8; HEADER_LEN as usize], path: &Path) -> Result<()> {
    let p = path.display();
    if got[0..8] != MAGIC {
        return Err(BlockError::Invalid(format!("{p}: not a wasmpod overlay (bad magic)")));
    }
    if le_u32(&got[56..]) != crc32(&got[0..56]) {
        return Err(BlockError::Invalid(format!("{p}: overlay header checksum mismatch")));
    }
    let version = le_u32(&got[8..]);
    if version != VERSION {
        return Err(BlockError::Invalid(format!("{p}: overlay version {version}, this build reads {VERSION}")));
    }
    let what = [(12..16, "block size"), (16..24, "block count"), (24..32, "content fingerprint")];
    for (r, name) in what {
        if got[r.clone()] != want[r] {
            return Err(BlockError::Invalid(format!("{p}: overlay was made for a different base ({name} differs)")));
        }
    }
    Ok(())
}

/// Makes a new directory entry durable. Best effort: not every platform
/// can open or sync a directory, and the header is synced regardless.
fn sync_parent_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

impl DeltaStore for FileDelta {
    fn block_size(&self) -> u32 {
        self.block_size
    }

    fn contains(&self, block: u64) -> bool {
        self.index.contains_key(&block)
    }

    fn read_block(&mut self, block: u64, buf: &mut [u8]) -> Result<bool> {
        match self.index.get(&block) {
            Some(&off) => {
                hostio::read_exact_at(&mut self.file, buf, off)?;
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
        let count = (data.len() / bs) as u64;
        if start.checked_add(count).is_none_or(|e| e > self.base_blocks) {
            return Err(BlockError::OutOfRange { block: start, count, device_blocks: self.base_blocks });
        }
        let rec_len = self.record_len() as usize;
        let mut out = Vec::with_capacity(rec_len * count as usize);
        for (i, blk) in data.chunks_exact(bs).enumerate() {
            let at = out.len();
            out.extend_from_slice(&RECORD_MAGIC);
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&(start + i as u64).to_le_bytes());
            out.extend_from_slice(blk);
            let mut c = Crc32::new();
            c.update(&out[at..]);
            out.extend_from_slice(&c.finish().to_le_bytes());
            out.extend_from_slice(&[0; 4]);
        }
        // If this fails part-way, `end` does not move: the next append
        // overwrites the partial records, and replay would drop them anyway.
        hostio::write_all_at(&mut self.file, &out, self.end)?;
        for i in 0..count {
            self.index.insert(start + i, self.end + i * rec_len as u64 + 16);
        }
        self.end += out.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.file.sync_data()?;
        Ok(())
    }

    fn block_count(&self) -> u64 {
        self.index.len() as u64
    }

    fn compact(&mut self) -> Result<()> {
        FileDelta::compact(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BS: u32 = 512;

    fn open(path: &Path) -> FileDelta {
        FileDelta::open(path, BS, 64, 0xF00D).unwrap()
    }

    fn read(d: &mut FileDelta, block: u64) -> Option<Vec<u8>> {
        let mut b = vec![0; BS as usize];
        d.read_block(block, &mut b).unwrap().then_some(b)
    }

    #[test]
    fn torn_tail_is_dropped_and_earlier_records_survive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut d = open(&path);
        d.write_blocks(1, &[1; 512]).unwrap();
        d.write_blocks(2, &[2; 1024]).unwrap(); // blocks 2, 3
        d.flush().unwrap();
        let good_len = d.log_bytes();
        d.write_blocks(7, &[7; 512]).unwrap();
        drop(d);
        // Simulate a crash mid-append: cut the last record in half.
        let full = std::fs::read(&path).unwrap();
        let rec = (u64::from(BS) + RECORD_OVERHEAD) as usize;
        std::fs::write(&path, &full[..full.len() - rec / 2]).unwrap();

        let mut d = open(&path);
        assert_eq!(d.dropped_tail_bytes(), (rec - rec / 2) as u64);
        assert_eq!(d.log_bytes(), good_len);
        assert_eq!(d.block_count(), 3);
        assert_eq!(read(&mut d, 1), Some(vec![1; 512]));
        assert_eq!(read(&mut d, 3), Some(vec![2; 512]));
        assert_eq!(read(&mut d, 7), None);
        // Appending after recovery works and survives another reopen.
        d.write_blocks(7, &[77; 512]).unwrap();
        d.flush().unwrap();
        drop(d);
        let mut d = open(&path);
        assert_eq!(d.dropped_tail_bytes(), 0);
        assert_eq!(read(&mut d, 7), Some(vec![77; 512]));
    }

    #[test]
    fn compaction_keeps_content_and_reclaims_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut d = open(&path);
        for v in 1..=4u8 {
            d.write_blocks(3, &[v; 512]).unwrap();
        }
        d.write_blocks(10, &[10; 1024]).unwrap();
        let rec = u64::from(BS) + RECORD_OVERHEAD;
        assert_eq!(d.garbage_bytes(), 3 * rec);
        d.compact().unwrap();
        assert_eq!(d.garbage_bytes(), 0);
        assert_eq!(d.log_bytes(), HEADER_LEN + 3 * rec);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER_LEN + 3 * rec);
        assert!(!dir.path().join("log.compact").exists());
        // Still appendable, and everything survives a reopen.
        d.write_blocks(5, &[5; 512]).unwrap();
        assert_eq!(read(&mut d, 3), Some(vec![4; 512]));
        d.flush().unwrap();
        drop(d);
        let mut d = open(&path);
        assert_eq!(d.block_count(), 4);
        assert_eq!(read(&mut d, 3), Some(vec![4; 512]));
        assert_eq!(read(&mut d, 11), Some(vec![10; 512]));
        assert_eq!(read(&mut d, 5), Some(vec![5; 512]));
    }

    #[test]
    fn corrupt_record_ends_replay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut d = open(&path);
        for b in 0..4u64 {
            d.write_blocks(b, &[b as u8 + 1; 512]).unwrap();
        }
        d.flush().unwrap();
        drop(d);
        // Flip a data byte in the third record: its CRC no longer matches.
        let mut bytes = std::fs::read(&path).unwrap();
        let rec = (u64::from(BS) + RECORD_OVERHEAD) as usize;
        bytes[HEADER_LEN as usize + 2 * rec + 100] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let mut d = open(&path);
        assert_eq!(d.block_count(), 2);
        assert_eq!(read(&mut d, 1), Some(vec![2; 512]));
        assert_eq!(read(&mut d, 2), None);
        assert_eq!(read(&mut d, 3), None);
    }

    #[test]
    fn rewrites_keep_the_last_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut d = open(&path);
        for v in 1..=5u8 {
            d.write_blocks(9, &[v; 512]).unwrap();
        }
        d.flush().unwrap();
        drop(d);
        let mut d = open(&path);
        assert_eq!(d.block_count(), 1);
        assert_eq!(read(&mut d, 9), Some(vec![5; 512]));
        assert!(matches!(d.write_blocks(64, &[0; 512]), Err(BlockError::OutOfRange { .. })));
    }

    #[test]
    fn short_file_is_reinitialised_and_other_bases_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        // Not a prefix of our header: someone else's file, left alone.
        std::fs::write(&path, b"hello").unwrap();
        assert!(matches!(FileDelta::open(&path, BS, 64, 0xF00D), Err(BlockError::Invalid(_))));
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        // A header cut short by a crash is re-initialised.
        std::fs::write(&path, b"WPOD").unwrap();
        let mut d = open(&path);
        assert_eq!(d.block_count(), 0);
        d.write_blocks(0, &[1; 512]).unwrap();
        d.flush().unwrap();
        drop(d);
        assert!(matches!(FileDelta::open(&path, BS, 64, 0xBEEF), Err(BlockError::Invalid(_))));
        assert!(matches!(FileDelta::open(&path, BS, 65, 0xF00D), Err(BlockError::Invalid(_))));
        // Refusal leaves the log intact.
        let mut d = open(&path);
        assert_eq!(read(&mut d, 0), Some(vec![1; 512]));
        // A header with a bad CRC is refused, not reinitialised.
        drop(d);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[40] = 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(FileDelta::open(&path, BS, 64, 0xF00D), Err(BlockError::Invalid(_))));
    }
}
