//! [`ChunkedDevice`]: a read-only block device over a [`RangeSource`], a
//! remote image of known size read by byte ranges.
//!
//! This is the device the browser host uses for its root image: there the
//! HTTP request is made by the io worker (JS `fetch`), which already deals
//! with statuses and headers, so all the kernel side needs is "these bytes
//! at this offset, or an error". [`HttpRangeDevice`](crate::HttpRangeDevice)
//! is the native counterpart that speaks HTTP itself (validation, retries, a
//! persistent chunk store); this one keeps only the part both need: fixed
//! chunks, a bounded LRU chunk cache and read-ahead.
//!
//! - The image is cut into fixed-size chunks (a power of two, a multiple of
//!   the block size; the last chunk may be short). A read fetches the chunks
//!   it touches that are not cached, consecutive missing ones in one request.
//! - A miss on the chunk right after the previously touched one counts as
//!   sequential access and also fetches the next
//!   [`ChunkedConfig::readahead_chunks`] chunks in the same request.
//! - The cache holds at most [`ChunkedConfig::cache_chunks`] chunks; one
//!   request never carries more than that (nor [`MAX_CHUNKS_PER_REQUEST`]),
//!   so a fetched chunk is still cached when the read copies it out.
//! - A source error, or fewer bytes than asked, is `BlockError::Io` (EIO
//!   above ext2); nothing is cached from a failed request, so the next read
//!   of the same chunk asks again.
//! - Counters ([`ChunkedStats`]) live behind a shared handle
//!   ([`ChunkedDevice::stats_handle`]) so a host can show bytes fetched after
//!   the device moved into the kernel.
//!
//! Writes fail with `ReadOnly`: put an [`OverlayDevice`](crate::OverlayDevice)
//! on top (in memory in the browser, so the remote image is never written).

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::chunks::{self, ChunkCache};
use crate::device::{validate_block_size, BlockDevice};
use crate::error::{BlockError, Result};
use crate::http::{DEFAULT_CHUNK_SIZE, DEFAULT_READAHEAD_CHUNKS, MAX_CHUNK_SIZE};
use crate::lru::Lru;

/// A remote image of known size, read by byte ranges.
pub trait RangeSource: Send {
    /// The image's size in bytes (fixed for the source's lifetime).
    fn size(&self) -> u64;
    /// Fills `buf` with the bytes at `offset..offset + buf.len()` (always
    /// inside the image). Returns how many bytes it wrote; fewer than
    /// `buf.len()` is a short read, which the device reports as an error.
    fn read_range(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize>;
    /// What to call the image in errors and in [`BlockDevice::identity`]
    /// (its URL).
    fn name(&self) -> String;
}

impl<S: RangeSource + ?Sized> RangeSource for Box<S> {
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn read_range(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        (**self).read_range(offset, buf)
    }
    fn name(&self) -> String {
        (**self).name()
    }
}

/// Tunables of a [`ChunkedDevice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkedConfig {
    /// Block size the device presents; must divide `chunk_size` and the
    /// image size.
    pub block_size: u32,
    /// Bytes per chunk (power of two, `block_size..=MAX_CHUNK_SIZE`).
    pub chunk_size: u32,
    /// Extra chunks fetched on a sequential miss.
    pub readahead_chunks: u32,
    /// Chunk cache capacity, in chunks (at least 1).
    pub cache_chunks: usize,
}

impl Default for ChunkedConfig {
    /// 1 KiB blocks (divides any ext2 block size), the HTTP device's chunk
    /// size and read-ahead, and a 16 MiB cache: in the browser the cache
    /// lives in the shared kernel memory, and the kernel's own page cache
    /// sits above it.
    fn default() -> Self {
        Self {
            block_size: 1024,
            chunk_size: DEFAULT_CHUNK_SIZE,
            readahead_chunks: DEFAULT_READAHEAD_CHUNKS,
            cache_chunks: (16 << 20) / DEFAULT_CHUNK_SIZE as usize,
        }
    }
}

impl ChunkedConfig {
    /// The default configuration with `chunk_size` chunks and as many cache
    /// chunks as fit in the default cache's bytes (at least 4).
    pub fn with_chunk_size(chunk_size: u32) -> Self {
        let d = Self::default();
        let bytes = d.cache_chunks * d.chunk_size as usize;
        Self { chunk_size, cache_chunks: (bytes / chunk_size.max(1) as usize).max(4), ..d }
    }
}

/// What a [`ChunkedDevice`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkedStats {
    /// Requests made to the source (failed ones included).
    pub requests: u64,
    /// Bytes the source delivered.
    pub bytes_fetched: u64,
    /// Requests that failed or came back short.
    pub errors: u64,
    /// Chunks served from the cache.
    pub chunk_hits: u64,
    /// Chunks fetched (read-ahead included).
    pub chunks_fetched: u64,
    /// Chunks fetched only because of read-ahead.
    pub readahead_chunks: u64,
}

/// Shared, live view of a [`ChunkedDevice`]'s counters.
#[derive(Debug, Clone, Default)]
pub struct ChunkedStatsHandle(Arc<[AtomicU64; 6]>);

impl ChunkedStatsHandle {
    /// The counters now.
    pub fn get(&self) -> ChunkedStats {
        let v = |i: usize| self.0[i].load(Ordering::Relaxed);
        ChunkedStats {
            requests: v(0),
            bytes_fetched: v(1),
            errors: v(2),
            chunk_hits: v(3),
            chunks_fetched: v(4),
            readahead_chunks: v(5),
        }
    }

    fn add(&self, i: usize, n: u64) {
        self.0[i].fetch_add(n, Ordering::Relaxed);
    }
}

const REQUESTS: usize = 0;
const BYTES: usize = 1;
const ERRORS: usize = 2;
const HITS: usize = 3;
const FETCHED: usize = 4;
const READAHEAD: usize = 5;

/// A read-only, chunk-cached device over a [`RangeSource`]. See the module
/// docs.
pub struct ChunkedDevice<S> {
    source: S,
    config: ChunkedConfig,
    size: u64,
    chunks: Lru<Box<[u8]>>,
    /// Chunk touched last, to detect sequential access.
    last_chunk: Option<u64>,
    stats: ChunkedStatsHandle,
}

impl<S> fmt::Debug for ChunkedDevice<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedDevice")
            .field("size", &self.size)
            .field("config", &self.config)
            .field("stats", &self.stats.get())
            .finish_non_exhaustive()
    }
}

impl<S: RangeSource> ChunkedDevice<S> {
    /// A device over `source`. `Invalid` for a bad configuration or an image
    /// size that is not a whole number of blocks.
    pub fn new(source: S, config: ChunkedConfig) -> Result<Self> {
        validate_block_size(config.block_size)?;
        let cs = config.chunk_size;
        if !cs.is_power_of_two() || cs < config.block_size || cs > MAX_CHUNK_SIZE {
            return Err(BlockError::Invalid(format!(
                "chunk size {cs} must be a power of two in {}..={MAX_CHUNK_SIZE}",
                config.block_size
            )));
        }
        if config.cache_chunks == 0 {
            return Err(BlockError::Invalid("the chunk cache needs at least one chunk".into()));
        }
        let size = source.size();
        if !size.is_multiple_of(u64::from(config.block_size)) {
            return Err(BlockError::Invalid(format!(
                "{}: image size {size} is not a multiple of the {}-byte block",
                source.name(),
                config.block_size
            )));
        }
        Ok(Self {
            chunks: Lru::new(config.cache_chunks),
            source,
            config,
            size,
            last_chunk: None,
            stats: ChunkedStatsHandle::default(),
        })
    }

    pub fn config(&self) -> &ChunkedConfig {
        &self.config
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    /// The counters now.
    pub fn stats(&self) -> ChunkedStats {
        self.stats.get()
    }

    /// A handle that keeps showing the counters after the device is moved
    /// (into an overlay, into the kernel).
    pub fn stats_handle(&self) -> ChunkedStatsHandle {
        self.stats.clone()
    }

    /// Chunks currently cached.
    pub fn cached_chunks(&self) -> usize {
        self.chunks.len()
    }

    fn num_chunks(&self) -> u64 {
        self.size.div_ceil(u64::from(self.config.chunk_size))
    }

    /// Makes chunk `c` resident; `wanted_through` is the last chunk the
    /// current read needs.
    fn ensure_chunk(&mut self, c: u64, wanted_through: u64) -> Result<()> {
        let sequential = self.last_chunk.is_some_and(|l| l.checked_add(1) == Some(c));
        self.last_chunk = Some(c);
        if self.chunks.get_mut(c).is_some() {
            self.stats.add(HITS, 1);
            return Ok(());
        }
        // c, the rest of this read's missing chunks and, on sequential
        // access, the read-ahead: one request, stopping at a cached chunk.
        let readahead = if sequential { u64::from(self.config.readahead_chunks) } else { 0 };
        let chunks = &self.chunks;
        let end = chunks::fetch_end(c, wanted_through, readahead, self.config.cache_chunks, self.num_chunks(), |n| {
            chunks.contains(n)
        });
        self.fetch(c, end)?;
        self.stats.add(READAHEAD, end.saturating_sub(wanted_through.max(c) + 1));
        Ok(())
    }

    /// Fetches chunks `first..end` in one request and caches them.
    fn fetch(&mut self, first: u64, end: u64) -> Result<()> {
        let cs = u64::from(self.config.chunk_size);
        let start = first * cs;
        let stop = (end * cs).min(self.size);
        // At most MAX_CHUNKS_PER_REQUEST × MAX_CHUNK_SIZE = 512 MiB, and in
        // practice cache_chunks × chunk_size: it fits in usize.
        let len = (stop - start) as usize;
        let mut body = vec![0u8; len];
        self.stats.add(REQUESTS, 1);
        let got = match self.source.read_range(start, &mut body) {
            Ok(n) => n.min(len),
            Err(e) => {
                self.stats.add(ERRORS, 1);
                return Err(BlockError::Io(format!("{}: bytes {start}..{stop}: {e}", self.source.name())));
            }
        };
        self.stats.add(BYTES, got as u64);
        if got != len {
            self.stats.add(ERRORS, 1);
            return Err(BlockError::Io(format!("{}: short read: {got} of {len} bytes at {start}", self.source.name())));
        }
        for (i, data) in body.chunks(cs as usize).enumerate() {
            self.chunks.insert(first + i as u64, data.into());
        }
        self.stats.add(FETCHED, end - first);
        Ok(())
    }
}

impl<S: RangeSource> ChunkCache for ChunkedDevice<S> {
    fn chunk_size(&self) -> u32 {
        self.config.chunk_size
    }
    fn ensure_chunk(&mut self, c: u64, wanted_through: u64) -> Result<()> {
        ChunkedDevice::ensure_chunk(self, c, wanted_through)
    }
    fn chunks(&mut self) -> &mut Lru<Box<[u8]>> {
        &mut self.chunks
    }
}

impl<S: RangeSource> BlockDevice for ChunkedDevice<S> {
    fn block_size(&self) -> u32 {
        self.config.block_size
    }
    fn num_blocks(&self) -> u64 {
        self.size / u64::from(self.config.block_size)
    }

    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        chunks::read_blocks(self, start, buf)
    }

    fn write_blocks(&mut self, _start: u64, _buf: &[u8]) -> Result<()> {
        Err(BlockError::ReadOnly)
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn is_read_only(&self) -> bool {
        true
    }

    /// The source's name and size.
    fn identity(&self) -> Option<String> {
        Some(format!("range {} size={}", self.source.name(), self.size))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{read_at, OverlayDevice};

    /// Serves `data`, logging every request (offset, len); can be told to
    /// fail or to deliver fewer bytes.
    struct Fake {
        data: Vec<u8>,
        log: Arc<Mutex<Vec<(u64, usize)>>>,
        fail: Arc<Mutex<bool>>,
        short_by: usize,
    }

    impl Fake {
        fn new(data: Vec<u8>) -> Self {
            Self { data, log: Arc::default(), fail: Arc::default(), short_by: 0 }
        }
    }

    impl RangeSource for Fake {
        fn size(&self) -> u64 {
            self.data.len() as u64
        }
        fn read_range(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
            self.log.lock().unwrap().push((offset, buf.len()));
            if *self.fail.lock().unwrap() {
                return Err(BlockError::Io("connection reset".into()));
            }
            let o = offset as usize;
            let n = buf.len().saturating_sub(self.short_by);
            buf[..n].copy_from_slice(&self.data[o..o + n]);
            Ok(n)
        }
        fn name(&self) -> String {
            "fake://image".into()
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i / 1024 * 31 + i) as u8).collect()
    }

    fn config(chunk: u32, readahead: u32, cache: usize) -> ChunkedConfig {
        ChunkedConfig { block_size: 1024, chunk_size: chunk, readahead_chunks: readahead, cache_chunks: cache }
    }

    #[test]
    fn reads_match_the_image_and_cached_chunks_are_not_fetched_again() {
        let data = pattern(64 * 1024);
        let fake = Fake::new(data.clone());
        let log = fake.log.clone();
        let mut d = ChunkedDevice::new(fake, config(8192, 0, 8)).unwrap();
        assert_eq!(d.num_blocks(), 64);
        let mut b = vec![0; 2048];
        d.read_blocks(3, &mut b).unwrap(); // inside chunk 0
        assert_eq!(b, &data[3072..5120]);
        d.read_blocks(0, &mut b).unwrap(); // chunk 0 again: cached
        assert_eq!(b, &data[..2048]);
        assert_eq!(*log.lock().unwrap(), vec![(0, 8192)]);
        let s = d.stats();
        assert_eq!((s.requests, s.bytes_fetched, s.chunks_fetched, s.chunk_hits), (1, 8192, 1, 1));
    }

    #[test]
    fn a_read_spanning_chunks_fetches_the_missing_ones_in_one_request() {
        let data = pattern(64 * 1024);
        let fake = Fake::new(data.clone());
        let log = fake.log.clone();
        let mut d = ChunkedDevice::new(fake, config(8192, 0, 8)).unwrap();
        let mut b = vec![0; 1024];
        d.read_blocks(17, &mut b).unwrap(); // chunk 2
        log.lock().unwrap().clear();
        // Blocks 7..=33: chunks 0..=4, chunk 2 already cached.
        let mut b = vec![0; 27 * 1024];
        d.read_blocks(7, &mut b).unwrap();
        assert_eq!(b, &data[7 * 1024..34 * 1024]);
        assert_eq!(*log.lock().unwrap(), vec![(0, 16384), (24576, 16384)]);
        // Unaligned byte reads through the generic helper agree too.
        let mut b = vec![0; 10_000];
        read_at(&mut d, 5_000, &mut b).unwrap();
        assert_eq!(b, &data[5_000..15_000]);
    }

    #[test]
    fn the_last_chunk_may_be_short() {
        // 5 KiB image, 4 KiB chunks: chunk 1 is 1 KiB.
        let data = pattern(5 * 1024);
        let fake = Fake::new(data.clone());
        let log = fake.log.clone();
        let mut d = ChunkedDevice::new(fake, config(4096, 4, 4)).unwrap();
        let mut b = vec![0; 1024];
        d.read_blocks(4, &mut b).unwrap();
        assert_eq!(b, &data[4096..]);
        assert_eq!(*log.lock().unwrap(), vec![(4096, 1024)]);
        let mut all = vec![0; 5 * 1024];
        d.read_blocks(0, &mut all).unwrap();
        assert_eq!(all, data);
        assert!(matches!(d.read_blocks(5, &mut b), Err(BlockError::OutOfRange { .. })));
    }

    #[test]
    fn sequential_misses_read_ahead_and_random_ones_do_not() {
        let data = pattern(128 * 1024);
        let fake = Fake::new(data.clone());
        let log = fake.log.clone();
        let mut d = ChunkedDevice::new(fake, config(4096, 3, 16)).unwrap();
        let mut b = vec![0; 4096];
        d.read_blocks(20, &mut b).unwrap(); // chunk 5: random, no read-ahead
        d.read_blocks(24, &mut b).unwrap(); // chunk 6: sequential → 6..=9
        assert_eq!(b, &data[24 * 1024..28 * 1024]);
        assert_eq!(*log.lock().unwrap(), vec![(20480, 4096), (24576, 16384)]);
        for blk in [28, 32, 36] {
            d.read_blocks(blk, &mut b).unwrap(); // chunks 7..=9: read ahead
        }
        assert_eq!(log.lock().unwrap().len(), 2);
        let s = d.stats();
        assert_eq!((s.readahead_chunks, s.chunk_hits, s.chunks_fetched), (3, 3, 5));
        // Read-ahead stops at the end of the image.
        d.read_blocks(124, &mut b).unwrap(); // chunk 31, the last
        d.read_blocks(120, &mut b).unwrap(); // chunk 30: not sequential
        assert_eq!(log.lock().unwrap()[2..], [(126976, 4096), (122880, 4096)]);
    }

    #[test]
    fn the_cache_is_bounded_and_evicts_least_recently_used() {
        let data = pattern(64 * 1024);
        let fake = Fake::new(data.clone());
        let log = fake.log.clone();
        let mut d = ChunkedDevice::new(fake, config(4096, 8, 2)).unwrap();
        let mut b = vec![0; 4096];
        for blk in [0, 8, 0, 16] {
            d.read_blocks(blk, &mut b).unwrap();
            assert_eq!(b, &data[blk as usize * 1024..][..4096]);
        }
        assert_eq!(d.cached_chunks(), 2);
        // Chunk 2 was the LRU when 4 came in; 0 is still cached.
        log.lock().unwrap().clear();
        d.read_blocks(0, &mut b).unwrap();
        d.read_blocks(8, &mut b).unwrap();
        assert_eq!(*log.lock().unwrap(), vec![(8192, 4096)]);
        // A read bigger than the cache still comes out right, in requests
        // of at most cache_chunks chunks.
        log.lock().unwrap().clear();
        let mut all = vec![0; 64 * 1024];
        d.read_blocks(0, &mut all).unwrap();
        assert_eq!(all, data);
        assert!(log.lock().unwrap().iter().all(|&(_, n)| n <= 8192));
    }

    #[test]
    fn errors_and_short_reads_are_io_errors_and_nothing_bad_is_cached() {
        let data = pattern(16 * 1024);
        let fake = Fake::new(data.clone());
        let (fail, log) = (fake.fail.clone(), fake.log.clone());
        let mut d = ChunkedDevice::new(fake, config(4096, 0, 4)).unwrap();
        let mut b = vec![0; 1024];
        *fail.lock().unwrap() = true;
        assert!(matches!(d.read_blocks(0, &mut b), Err(BlockError::Io(m)) if m.contains("connection reset")));
        *fail.lock().unwrap() = false;
        d.read_blocks(0, &mut b).unwrap();
        assert_eq!(b, &data[..1024]);
        assert_eq!(log.lock().unwrap().len(), 2, "the failed chunk is asked for again");
        let s = d.stats();
        assert_eq!((s.requests, s.errors, s.bytes_fetched), (2, 1, 4096));

        let mut short = Fake::new(data);
        short.short_by = 1;
        let mut d = ChunkedDevice::new(short, config(4096, 0, 4)).unwrap();
        assert!(matches!(d.read_blocks(0, &mut b), Err(BlockError::Io(m)) if m.contains("short read")));
        assert_eq!(d.cached_chunks(), 0);
        assert_eq!(d.stats().errors, 1);
    }

    #[test]
    fn bad_configurations_and_sizes_are_refused() {
        let img = || Fake::new(pattern(8192));
        assert!(ChunkedDevice::new(img(), config(3000, 0, 4)).is_err());
        assert!(ChunkedDevice::new(img(), config(512, 0, 4)).is_err(), "chunk smaller than a block");
        assert!(ChunkedDevice::new(img(), config(4096, 0, 0)).is_err());
        assert!(ChunkedDevice::new(img(), config(MAX_CHUNK_SIZE * 2, 0, 4)).is_err());
        let odd = Fake::new(pattern(1500));
        assert!(matches!(ChunkedDevice::new(odd, config(4096, 0, 4)), Err(BlockError::Invalid(_))));
        assert_eq!(ChunkedConfig::with_chunk_size(64 * 1024).cache_chunks, 256);
        assert_eq!(ChunkedConfig::with_chunk_size(MAX_CHUNK_SIZE).cache_chunks, 4);
    }

    #[test]
    fn writes_go_to_an_overlay_and_never_reach_the_source() {
        let data = pattern(32 * 1024);
        let fake = Fake::new(data.clone());
        let log = fake.log.clone();
        let dev = ChunkedDevice::new(fake, config(8192, 0, 4)).unwrap();
        let stats = dev.stats_handle();
        let mut ov = OverlayDevice::in_memory(dev).unwrap();
        assert_eq!(ov.write_blocks(0, &[9; 1024]), Ok(()));
        let mut b = vec![0; 2048];
        ov.read_blocks(0, &mut b).unwrap();
        assert_eq!(&b[..1024], &[9; 1024][..]);
        assert_eq!(&b[1024..], &data[1024..2048]);
        ov.flush().unwrap();
        assert!(stats.get().requests >= 1);
        assert!(log.lock().unwrap().iter().all(|&(o, n)| o as usize + n <= data.len()));
        assert!(ov.base().is_read_only());
        assert_eq!(ov.delta_blocks(), 1);
        let (mut base, _) = ov.into_parts();
        assert_eq!(base.write_blocks(0, &[1; 1024]), Err(BlockError::ReadOnly));
    }
}
