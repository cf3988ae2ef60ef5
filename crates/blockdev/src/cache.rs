//! [`CacheDevice`]: an LRU, write-back block cache over any device.
//!
//! Reads fill the cache; a run of consecutive missing blocks is fetched from
//! the device below in one request (it matters when "below" is the network).
//! Writes only touch the cache and mark blocks dirty; a dirty block reaches
//! the device below when it is evicted or on [`BlockDevice::flush`], which
//! writes every dirty block (ascending, consecutive blocks coalesced into one
//! request) *before* flushing the device below, so a completed `flush` means
//! everything written before it is durable there.
//!
//! If a write-back fails the block stays cached and dirty and the error is
//! returned; nothing is dropped silently. Dropping the cache without `flush`
//! discards dirty blocks, like a page cache at power loss: call `flush` (or
//! [`CacheDevice::into_inner`]) first.
//!
//! Not here yet: read-ahead (the HTTP device does its own), a bound on dirty
//! blocks separate from the capacity, background write-back.

use core::fmt;

use crate::device::{check_request, BlockDevice};
use crate::error::{BlockError, Result};
use crate::lru::Lru;

/// What the cache did, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Blocks read that were already cached.
    pub hits: u64,
    /// Blocks read that had to come from the device below.
    pub misses: u64,
    /// Dirty blocks written to the device below (on eviction or flush).
    pub writebacks: u64,
    /// Blocks dropped from the cache to make room.
    pub evictions: u64,
}

/// [`CacheDevice::into_inner`] failed to flush: the cache, still holding its
/// dirty blocks, and the error.
#[derive(Debug)]
pub struct IntoInnerError<D> {
    pub cache: Box<CacheDevice<D>>,
    pub error: BlockError,
}

struct Entry {
    data: Box<[u8]>,
    dirty: bool,
}

/// LRU write-back cache of `capacity` blocks over `D`.
pub struct CacheDevice<D> {
    inner: D,
    lru: Lru<Entry>,
    capacity: usize,
    stats: CacheStats,
}

impl<D: BlockDevice> CacheDevice<D> {
    /// A cache holding at most `capacity_blocks` blocks (at least 1).
    pub fn new(inner: D, capacity_blocks: usize) -> Result<Self> {
        if capacity_blocks == 0 {
            return Err(BlockError::Invalid("cache capacity must be at least one block".into()));
        }
        Ok(Self { inner, lru: Lru::new(capacity_blocks), capacity: capacity_blocks, stats: CacheStats::default() })
    }

    /// Counters since creation or the last [`reset_stats`](Self::reset_stats).
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    pub fn reset_stats(&mut self) {
        self.stats = CacheStats::default();
    }

    /// Maximum number of cached blocks.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Blocks currently cached.
    pub fn cached_blocks(&self) -> usize {
        self.lru.len()
    }

    /// Cached blocks not yet written below.
    pub fn dirty_blocks(&self) -> usize {
        self.lru.keys().into_iter().filter(|&k| self.lru.peek(k).is_some_and(|e| e.dirty)).count()
    }

    /// The device below. Reading it directly bypasses dirty cached data.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// Flushes, then gives the device below back. On a flush error the cache
    /// comes back intact with the error, so no dirty block is lost.
    pub fn into_inner(mut self) -> core::result::Result<D, IntoInnerError<D>> {
        match self.flush() {
            Ok(()) => Ok(self.inner),
            Err(error) => Err(IntoInnerError { cache: Box::new(self), error }),
        }
    }

    /// Makes room for one more entry, writing the victim back if dirty.
    /// Returns the victim's buffer for reuse.
    fn make_room(&mut self) -> Result<Option<Box<[u8]>>> {
        if !self.lru.is_full() {
            return Ok(None);
        }
        let Some(victim) = self.lru.lru_key() else {
            return Ok(None);
        };
        if let Some(e) = self.lru.peek_mut(victim) {
            if e.dirty {
                self.inner.write_blocks(victim, &e.data)?;
                e.dirty = false;
                self.stats.writebacks += 1;
            }
        }
        self.stats.evictions += 1;
        Ok(self.lru.remove(victim).map(|e| e.data))
    }

    fn insert(&mut self, block: u64, data: &[u8], dirty: bool) -> Result<()> {
        let buf = match self.make_room()? {
            Some(mut b) => {
                b.copy_from_slice(data);
                b
            }
            None => data.into(),
        };
        self.lru.insert(block, Entry { data: buf, dirty });
        Ok(())
    }
}

impl<D> fmt::Debug for CacheDevice<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheDevice")
            .field("capacity", &self.capacity)
            .field("cached", &self.lru.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<D: BlockDevice> BlockDevice for CacheDevice<D> {
    fn block_size(&self) -> u32 {
        self.inner.block_size()
    }
    fn num_blocks(&self) -> u64 {
        self.inner.num_blocks()
    }

    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        let count = check_request(self.block_size(), self.num_blocks(), start, buf.len())?;
        let bs = self.block_size() as usize;
        let mut i = 0u64;
        while i < count {
            let off = i as usize * bs;
            if let Some(e) = self.lru.get_mut(start + i) {
                buf[off..off + bs].copy_from_slice(&e.data);
                self.stats.hits += 1;
                i += 1;
                continue;
            }
            // A run of misses: one request below.
            let mut j = i + 1;
            while j < count && !self.lru.contains(start + j) {
                j += 1;
            }
            let end = j as usize * bs;
            self.inner.read_blocks(start + i, &mut buf[off..end])?;
            self.stats.misses += j - i;
            // Only the last `capacity` blocks of a huge run can stay cached.
            let keep_from = j.saturating_sub(self.capacity as u64).max(i);
            for k in keep_from..j {
                let o = k as usize * bs;
                self.insert(start + k, &buf[o..o + bs], false)?;
            }
            i = j;
        }
        Ok(())
    }

    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        if self.inner.is_read_only() {
            return Err(BlockError::ReadOnly);
        }
        let count = check_request(self.block_size(), self.num_blocks(), start, buf.len())?;
        let bs = self.block_size() as usize;
        for i in 0..count {
            let data = &buf[i as usize * bs..(i as usize + 1) * bs];
            if let Some(e) = self.lru.get_mut(start + i) {
                e.data.copy_from_slice(data);
                e.dirty = true;
            } else {
                self.insert(start + i, data, true)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let mut dirty: Vec<u64> =
            self.lru.keys().into_iter().filter(|&k| self.lru.peek(k).is_some_and(|e| e.dirty)).collect();
        dirty.sort_unstable();
        let bs = self.block_size() as usize;
        let mut run = Vec::new();
        let mut i = 0;
        while i < dirty.len() {
            let mut j = i + 1;
            while j < dirty.len() && dirty[j] == dirty[j - 1] + 1 {
                j += 1;
            }
            run.clear();
            run.reserve((j - i) * bs);
            for &b in &dirty[i..j] {
                if let Some(e) = self.lru.peek_mut(b) {
                    run.extend_from_slice(&e.data);
                }
            }
            self.inner.write_blocks(dirty[i], &run)?;
            for &b in &dirty[i..j] {
                if let Some(e) = self.lru.peek_mut(b) {
                    e.dirty = false;
                }
            }
            self.stats.writebacks += (j - i) as u64;
            i = j;
        }
        self.inner.flush()
    }

    fn is_read_only(&self) -> bool {
        self.inner.is_read_only()
    }
    fn identity(&self) -> Option<String> {
        self.inner.identity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Op, Recorder};
    use crate::MemoryDevice;

    fn dev(blocks: u64) -> Recorder<MemoryDevice> {
        Recorder::new(MemoryDevice::new(512, blocks).unwrap())
    }

    #[test]
    fn read_after_write_is_served_from_cache_until_flush() {
        let mut c = CacheDevice::new(dev(16), 8).unwrap();
        c.write_blocks(2, &[5; 1024]).unwrap();
        let mut b = [0; 1024];
        c.read_blocks(2, &mut b).unwrap();
        assert_eq!(b, [5; 1024]);
        assert_eq!(c.stats().hits, 2);
        // Nothing reached the device below yet.
        assert!(c.inner().ops().is_empty());
        assert!(c.inner().inner().as_slice().iter().all(|&x| x == 0));
        assert_eq!(c.dirty_blocks(), 2);
        c.flush().unwrap();
        assert_eq!(c.dirty_blocks(), 0);
        assert_eq!(&c.inner().inner().as_slice()[1024..2048], &[5; 1024][..]);
    }

    #[test]
    fn rewriting_a_cached_clean_block_marks_it_dirty() {
        let mut c = CacheDevice::new(dev(4), 4).unwrap();
        let mut b = [0; 512];
        c.read_blocks(1, &mut b).unwrap(); // cached, clean
        c.write_blocks(1, &[4; 512]).unwrap(); // hit: must become dirty
        c.flush().unwrap();
        assert_eq!(&c.inner().inner().as_slice()[512..1024], &[4; 512][..]);
    }

    #[test]
    fn flush_writes_dirty_blocks_coalesced_then_flushes_below() {
        let mut c = CacheDevice::new(dev(16), 8).unwrap();
        for b in [7u64, 3, 4, 5, 9] {
            c.write_blocks(b, &[b as u8; 512]).unwrap();
        }
        c.flush().unwrap();
        assert_eq!(c.inner().ops(), vec![Op::Write(3, 3), Op::Write(7, 1), Op::Write(9, 1), Op::Flush],);
        assert_eq!(c.stats().writebacks, 5);
        // A second flush has nothing to write but still flushes below.
        c.flush().unwrap();
        assert_eq!(c.inner().ops().last(), Some(&Op::Flush));
        assert_eq!(c.inner().ops().len(), 5);
    }

    #[test]
    fn eviction_under_pressure_writes_back_only_dirty_victims() {
        let mut c = CacheDevice::new(dev(16), 2).unwrap();
        c.write_blocks(0, &[1; 512]).unwrap(); // dirty
        let mut b = [0; 512];
        c.read_blocks(1, &mut b).unwrap(); // clean; cache: 1, 0
        c.read_blocks(2, &mut b).unwrap(); // evicts 0 (dirty → written back)
        assert_eq!(c.stats().writebacks, 1);
        assert_eq!(&c.inner().inner().as_slice()[..512], &[1; 512][..]);
        c.read_blocks(3, &mut b).unwrap(); // evicts 1 (clean → no write)
        assert_eq!(c.stats().writebacks, 1);
        assert_eq!(c.stats().evictions, 2);
        assert_eq!(c.cached_blocks(), 2);
        // Block 0 comes back from below with the written data.
        c.read_blocks(0, &mut b).unwrap();
        assert_eq!(b, [1; 512]);
        assert_eq!(c.stats().misses, 4);
    }

    #[test]
    fn hits_misses_and_one_request_per_missing_run() {
        let mut c = CacheDevice::new(dev(16), 16).unwrap();
        let mut b = vec![0; 512 * 4];
        c.read_blocks(1, &mut b[..512]).unwrap();
        c.inner_mut_for_test().clear_ops();
        c.read_blocks(0, &mut b).unwrap(); // 0 miss, 1 hit, 2-3 miss
        assert_eq!(c.inner().ops(), vec![Op::Read(0, 1), Op::Read(2, 2)]);
        assert_eq!(c.stats(), CacheStats { hits: 1, misses: 4, writebacks: 0, evictions: 0 });
        c.read_blocks(0, &mut b).unwrap();
        assert_eq!(c.stats().hits, 5);
    }

    #[test]
    fn reads_bigger_than_the_cache_are_correct() {
        let data: Vec<u8> = (0..512 * 10).map(|i| (i / 512) as u8).collect();
        let mut c = CacheDevice::new(MemoryDevice::from_vec(data.clone(), 512).unwrap(), 3).unwrap();
        c.write_blocks(4, &[0xAA; 512]).unwrap();
        let mut b = vec![0; data.len()];
        c.read_blocks(0, &mut b).unwrap();
        let mut want = data.clone();
        want[4 * 512..5 * 512].fill(0xAA);
        assert_eq!(b, want);
        assert_eq!(c.cached_blocks(), 3);
        let inner = c.into_inner().unwrap();
        assert_eq!(inner.as_slice(), &want[..]);
    }

    #[test]
    fn failed_write_back_keeps_the_data() {
        let mut c = CacheDevice::new(dev(4), 4).unwrap();
        c.write_blocks(1, &[3; 512]).unwrap();
        c.inner_mut_for_test().fail_writes = true;
        assert!(matches!(c.flush(), Err(BlockError::Io(_))));
        assert_eq!(c.dirty_blocks(), 1);
        let mut b = [0; 512];
        c.read_blocks(1, &mut b).unwrap();
        assert_eq!(b, [3; 512]);
        c.inner_mut_for_test().fail_writes = false;
        c.flush().unwrap();
        assert_eq!(&c.inner().inner().as_slice()[512..1024], &[3; 512][..]);
    }

    #[test]
    fn errors_and_read_only() {
        let mut c = CacheDevice::new(dev(4), 4).unwrap();
        assert!(matches!(c.read_blocks(4, &mut [0; 512]), Err(BlockError::OutOfRange { .. })));
        assert!(matches!(c.write_blocks(0, &[0; 5]), Err(BlockError::Misaligned { .. })));
        assert!(CacheDevice::new(dev(4), 0).is_err());
        let ro = MemoryDevice::new(512, 4).unwrap().into_read_only();
        let mut c = CacheDevice::new(ro, 4).unwrap();
        assert!(c.is_read_only());
        assert_eq!(c.write_blocks(0, &[0; 512]), Err(BlockError::ReadOnly));
    }

    impl<D> CacheDevice<D> {
        fn inner_mut_for_test(&mut self) -> &mut D {
            &mut self.inner
        }
    }
}
