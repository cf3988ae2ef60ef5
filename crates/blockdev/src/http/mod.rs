//! [`HttpRangeDevice`]: a read-only block device over an image served by HTTP,
//! read with `Range` requests.
//!
//! The image is cut into fixed-size *chunks* ([`DEFAULT_CHUNK_SIZE`]); a read
//! fetches the chunks it touches (consecutive missing chunks in one request)
//! and keeps them in an in-memory LRU chunk cache. A miss on the chunk right
//! after the previously touched one counts as sequential access and also
//! fetches the next [`HttpConfig::readahead_chunks`] chunks in the same
//! request. Optionally a persistent [`ChunkStore`] (a directory natively:
//! [`DirChunkStore`]) keeps fetched chunks across sessions, keyed by URL,
//! size, ETag and chunk size, so a warm start fetches nothing it already has.
//!
//! The HTTP client is behind [`RangeFetcher`], so the browser's io worker can
//! supply `fetch`; natively [`UreqFetcher`] (feature `native-http`, on by
//! default) uses ureq, and [`MemoryFetcher`] serves bytes in memory for
//! socket-free tests of the layers above.
//! Every answer is checked here, the same way for all clients:
//! - a `200` to a ranged GET means the server ignored `Range`: `Invalid`
//!   (the native client does not read such a body, so a multi-GiB image is
//!   not downloaded by accident);
//! - `Content-Range` must name exactly the requested bytes and the known
//!   total size, and the body must have that length: `Invalid` otherwise;
//! - a different ETag or total size than at open means the image changed
//!   under us: `Invalid` (mixing blocks of two images corrupts the fs);
//! - transport errors and `408/429/500/502/503/504` are retried up to
//!   [`RetryPolicy::max_attempts`] times with exponential backoff; the
//!   sleeping is done by an injectable [`Sleeper`] so tests never sleep.
//!
//! Writes fail with `ReadOnly`: put an [`OverlayDevice`](crate::OverlayDevice)
//! on top.
//!
//! Not here yet: the WebSocket batch protocol (ARCHITECTURE §6), honouring
//! `Retry-After`, jittered backoff, `Last-Modified` as a validator when a
//! server sends no ETag (without an ETag the persistent chunk store is not
//! used, since nothing would tell a changed image apart), eviction in the
//! chunk store.

mod memory;
#[cfg(all(feature = "native-http", not(target_arch = "wasm32")))]
mod native;
mod store;
#[cfg(all(test, feature = "native-http", not(target_arch = "wasm32")))]
mod tests;

use core::fmt;
use std::time::Duration;

use crate::chunks::{self, ChunkCache};
use crate::device::{validate_block_size, BlockDevice};
use crate::error::{BlockError, Result};
use crate::lru::Lru;

pub use memory::MemoryFetcher;
#[cfg(all(feature = "native-http", not(target_arch = "wasm32")))]
pub use native::UreqFetcher;
pub use store::{ChunkStore, DirChunkStore, ImageKey};

/// Default chunk size: 256 KiB. One request costs a round trip (tens of ms on
/// a typical link); at ~50 Mbit/s 256 KiB takes about as long to transfer as
/// that round trip, so half of each request's time is payload. Much smaller
/// chunks make latency dominate; much larger ones waste bandwidth on ext2's
/// scattered metadata reads. Fixed boundaries also let CDNs cache chunks.
pub const DEFAULT_CHUNK_SIZE: u32 = 256 * 1024;

/// Default read-ahead: 4 chunks (1 MiB at the default chunk size), enough to
/// hide a round trip behind a sequential file read without fetching much
/// that a short read never uses.
pub const DEFAULT_READAHEAD_CHUNKS: u32 = 4;

/// Default in-memory chunk cache: 128 chunks (32 MiB at the default chunk
/// size). The kernel page cache sits above, so this only needs to absorb the
/// read-ahead and the hot metadata chunks; in the browser it lives in the
/// shared kernel memory, which is not cheap.
pub const DEFAULT_CACHE_CHUNKS: usize = 128;

/// Most chunks one request may carry (8 MiB at the default chunk size): keeps
/// one response's buffer bounded even for a huge read.
pub const MAX_CHUNKS_PER_REQUEST: u64 = 32;

/// Largest chunk accepted: 16 MiB. A chunk is held whole in memory, and
/// several at once in the cache.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

/// HTTP statuses worth retrying: the server says "not now", not "no".
const TRANSIENT_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// An HTTP response as far as this module cares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// `Content-Length`, if sent.
    pub content_length: Option<u64>,
    /// `Content-Range`, verbatim.
    pub content_range: Option<String>,
    /// `ETag`, verbatim (weak or strong).
    pub etag: Option<String>,
    /// The body; empty for HEAD and for any ranged GET that did not answer
    /// 206 (fetchers should not read those bodies).
    pub body: Vec<u8>,
}

/// A failure to get any HTTP answer (connect, reset, timeout, TLS). Always
/// retried: from here one cannot tell a blip from an outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The HTTP client an [`HttpRangeDevice`] uses, for one URL.
pub trait RangeFetcher: Send {
    /// The image's URL (names it in errors and cache keys).
    fn url(&self) -> &str;
    /// `HEAD url`. Needs `status`, `content_length` and `etag`.
    fn head(&mut self) -> core::result::Result<HttpResponse, TransportError>;
    /// `GET url` with `Range: bytes={start}-{end_inclusive}`. Should read the
    /// body only for a 206, and at most one byte more than requested.
    fn get_range(&mut self, start: u64, end_inclusive: u64) -> core::result::Result<HttpResponse, TransportError>;
}

impl<F: RangeFetcher + ?Sized> RangeFetcher for Box<F> {
    fn url(&self) -> &str {
        (**self).url()
    }
    fn head(&mut self) -> core::result::Result<HttpResponse, TransportError> {
        (**self).head()
    }
    fn get_range(&mut self, start: u64, end_inclusive: u64) -> core::result::Result<HttpResponse, TransportError> {
        (**self).get_range(start, end_inclusive)
    }
}

/// Waits between retries. Injected so tests (and the browser, which must
/// not block the io worker's event loop the same way) control time.
pub trait Sleeper: Send {
    fn sleep(&mut self, d: Duration);
}

/// Sleeps the calling thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub initial_backoff: Duration,
    /// Cap on a single wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 100, 200, 400, 800 ms: about 1.5 s in all, which
    /// rides over a server restart or a dropped connection without leaving
    /// a process stuck in a read for long when the server is really gone.
    fn default() -> Self {
        Self { max_attempts: 5, initial_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(2) }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// Tunables of an [`HttpRangeDevice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Block size the device presents; must divide `chunk_size`.
    pub block_size: u32,
    /// Bytes per chunk (power of two, multiple of `block_size`).
    pub chunk_size: u32,
    /// Extra chunks fetched on a sequential miss.
    pub readahead_chunks: u32,
    /// In-memory chunk cache capacity, in chunks (at least 1).
    pub cache_chunks: usize,
    pub retry: RetryPolicy,
}

impl Default for HttpConfig {
    /// 1 KiB blocks: the smallest ext2 block size, so it divides the block
    /// size of any ext2 image (`mke2fs` uses 1 KiB for small filesystems,
    /// 4 KiB for large ones) and the ext2 driver can sit on top directly.
    /// Larger blocks mean fewer cache entries and overlay records.
    fn default() -> Self {
        Self {
            block_size: 1024,
            chunk_size: DEFAULT_CHUNK_SIZE,
            readahead_chunks: DEFAULT_READAHEAD_CHUNKS,
            cache_chunks: DEFAULT_CACHE_CHUNKS,
            retry: RetryPolicy::default(),
        }
    }
}

/// What the device did, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// HTTP requests sent (HEAD and GET, each retry counted).
    pub requests: u64,
    /// Retries after transient failures.
    pub retries: u64,
    /// Chunks served from the in-memory cache.
    pub chunk_hits: u64,
    /// Chunks fetched over HTTP (read-ahead included).
    pub chunks_fetched: u64,
    /// Chunks fetched only because of read-ahead.
    pub readahead_chunks: u64,
    /// Chunks loaded from the persistent chunk store.
    pub store_hits: u64,
    /// Chunk store failures (ignored: the store is only a cache).
    pub store_errors: u64,
    /// Body bytes received.
    pub bytes_fetched: u64,
}

/// A read-only device over an HTTP image. See the module docs.
pub struct HttpRangeDevice<F> {
    fetcher: F,
    config: HttpConfig,
    size: u64,
    etag: Option<String>,
    chunks: Lru<Box<[u8]>>,
    /// Chunk touched last, to detect sequential access.
    last_chunk: Option<u64>,
    sleeper: Box<dyn Sleeper>,
    store: Option<Box<dyn ChunkStore>>,
    stats: HttpStats,
}

impl<F> fmt::Debug for HttpRangeDevice<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRangeDevice")
            .field("size", &self.size)
            .field("etag", &self.etag)
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Parses `bytes START-END/TOTAL` (TOTAL may be `*`).
fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?, total))
}

#[cfg(all(feature = "native-http", not(target_arch = "wasm32")))]
impl HttpRangeDevice<UreqFetcher> {
    /// Opens `url` with the native client ([`UreqFetcher::new`]).
    pub fn open_url(url: impl Into<String>, config: HttpConfig) -> Result<Self> {
        Self::open(UreqFetcher::new(url), config)
    }
}

impl<F: RangeFetcher> HttpRangeDevice<F> {
    /// Opens the image: learns its size and ETag (HEAD, or a one-byte ranged
    /// GET if HEAD gives no length). Sleeps between retries for real and uses
    /// no persistent chunk store.
    pub fn open(fetcher: F, config: HttpConfig) -> Result<Self> {
        Self::open_with(fetcher, config, Box::new(ThreadSleeper), None)
    }

    /// [`open`](Self::open) with an injected sleeper and an optional
    /// persistent chunk store.
    pub fn open_with(
        fetcher: F,
        config: HttpConfig,
        sleeper: Box<dyn Sleeper>,
        store: Option<Box<dyn ChunkStore>>,
    ) -> Result<Self> {
        validate_block_size(config.block_size)?;
        let cs = config.chunk_size;
        if !cs.is_power_of_two() || cs < config.block_size || cs > MAX_CHUNK_SIZE {
            return Err(BlockError::Invalid(format!(
                "chunk size {cs} must be a power of two in {}..={MAX_CHUNK_SIZE}",
                config.block_size
            )));
        }
        if config.cache_chunks == 0 || config.retry.max_attempts == 0 {
            return Err(BlockError::Invalid("cache_chunks and retry.max_attempts must be at least 1".into()));
        }
        let mut me = Self {
            chunks: Lru::new(config.cache_chunks),
            fetcher,
            config,
            size: 0,
            etag: None,
            last_chunk: None,
            sleeper,
            store,
            stats: HttpStats::default(),
        };
        me.probe()?;
        Ok(me)
    }

    /// Image size in bytes, as learnt at open.
    pub fn image_size(&self) -> u64 {
        self.size
    }

    /// The image's ETag at open, if the server sent one.
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }

    pub fn stats(&self) -> HttpStats {
        self.stats
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    pub fn fetcher(&self) -> &F {
        &self.fetcher
    }

    /// Drops every cached chunk (memory only; the persistent store stays).
    pub fn clear_cache(&mut self) {
        self.chunks.clear();
        self.last_chunk = None;
    }

    /// Runs one request with retries on transient failures.
    fn request(
        &mut self,
        what: &str,
        mut op: impl FnMut(&mut F) -> core::result::Result<HttpResponse, TransportError>,
    ) -> Result<HttpResponse> {
        let policy = self.config.retry;
        let mut last = String::new();
        for attempt in 1..=policy.max_attempts {
            self.stats.requests += 1;
            match op(&mut self.fetcher) {
                Ok(r) if TRANSIENT_STATUSES.contains(&r.status) => last = format!("HTTP {}", r.status),
                Ok(r) => return Ok(r),
                Err(e) => last = e.0,
            }
            if attempt < policy.max_attempts {
                self.stats.retries += 1;
                self.sleeper.sleep(policy.backoff(attempt));
            }
        }
        Err(BlockError::Io(format!(
            "{what} {}: giving up after {} attempts: {last}",
            self.fetcher.url(),
            policy.max_attempts
        )))
    }

    fn probe(&mut self) -> Result<()> {
        let head = self.request("HEAD", |f| f.head())?;
        let (size, etag) = match (head.status, head.content_length) {
            (200, Some(len)) => (len, head.etag),
            _ => {
                // No usable HEAD (405, no length): ask for one byte instead.
                let r = self.request("GET", |f| f.get_range(0, 0))?;
                if r.status == 200 {
                    return Err(self.ignored_range());
                }
                if r.status != 206 {
                    return Err(BlockError::Io(format!("{}: HTTP {}", self.fetcher.url(), r.status)));
                }
                let cr = r.content_range.as_deref().and_then(parse_content_range);
                match cr {
                    Some((0, 0, Some(total))) => (total, r.etag),
                    _ => {
                        return Err(BlockError::Invalid(format!(
                            "{}: bad Content-Range {:?} for bytes 0-0",
                            self.fetcher.url(),
                            r.content_range
                        )))
                    }
                }
            }
        };
        let bs = u64::from(self.config.block_size);
        if size % bs != 0 {
            return Err(BlockError::Invalid(format!(
                "{}: image size {size} is not a multiple of the {bs}-byte block",
                self.fetcher.url()
            )));
        }
        self.size = size;
        self.etag = etag;
        Ok(())
    }

    fn ignored_range(&self) -> BlockError {
        BlockError::Invalid(format!(
            "{}: server ignored the Range header (200 instead of 206); wasmpod needs an HTTP server with range requests",
            self.fetcher.url()
        ))
    }

    fn num_chunks(&self) -> u64 {
        self.size.div_ceil(u64::from(self.config.chunk_size))
    }

    /// Byte length of chunk `c` (the last one may be short).
    fn chunk_len(&self, c: u64) -> u64 {
        let cs = u64::from(self.config.chunk_size);
        (self.size - c * cs).min(cs)
    }

    fn image_key(&self) -> Option<ImageKey> {
        Some(ImageKey {
            url: self.fetcher.url().to_string(),
            size: self.size,
            etag: self.etag.clone()?,
            chunk_size: self.config.chunk_size,
        })
    }

    fn store_has(&mut self, key: &Option<ImageKey>, c: u64) -> bool {
        match (&mut self.store, key) {
            (Some(s), Some(k)) => s.contains(k, c),
            _ => false,
        }
    }

    /// Tries the persistent store for chunk `c`.
    fn load_from_store(&mut self, key: &Option<ImageKey>, c: u64) -> Option<Box<[u8]>> {
        let want = self.chunk_len(c) as usize;
        let (Some(store), Some(key)) = (&mut self.store, key) else {
            return None;
        };
        match store.load(key, c) {
            Ok(Some(d)) if d.len() == want => {
                self.stats.store_hits += 1;
                Some(d.into_boxed_slice())
            }
            Ok(Some(_)) | Err(_) => {
                self.stats.store_errors += 1;
                None
            }
            Ok(None) => None,
        }
    }

    /// Makes chunk `c` resident in the chunk cache.
    fn ensure_chunk(&mut self, c: u64, wanted_through: u64) -> Result<()> {
        let sequential = self.last_chunk.is_some_and(|l| l.checked_add(1) == Some(c));
        self.last_chunk = Some(c);
        if self.chunks.get_mut(c).is_some() {
            self.stats.chunk_hits += 1;
            return Ok(());
        }
        let key = self.image_key();
        if let Some(d) = self.load_from_store(&key, c) {
            self.chunks.insert(c, d);
            return Ok(());
        }
        // Fetch c, the rest of this read's missing chunks, and on sequential
        // access the read-ahead, in one request, stopping at anything we have.
        let readahead = if sequential { u64::from(self.config.readahead_chunks) } else { 0 };
        let (cache_chunks, num_chunks) = (self.config.cache_chunks, self.num_chunks());
        let end = chunks::fetch_end(c, wanted_through, readahead, cache_chunks, num_chunks, |n| {
            self.chunks.contains(n) || self.store_has(&key, n)
        });
        let extra = end.saturating_sub(wanted_through.max(c) + 1);
        self.fetch_chunks(c, end, &key)?;
        self.stats.readahead_chunks += extra;
        Ok(())
    }

    /// Fetches chunks `first..end` in one ranged GET and caches them.
    fn fetch_chunks(&mut self, first: u64, end: u64, key: &Option<ImageKey>) -> Result<()> {
        let cs = u64::from(self.config.chunk_size);
        let start = first * cs;
        let stop = (end * cs).min(self.size) - 1; // inclusive
        let r = self.request("GET", |f| f.get_range(start, stop))?;
        let url = self.fetcher.url().to_string();
        match r.status {
            206 => {}
            200 => return Err(self.ignored_range()),
            416 => {
                return Err(BlockError::Invalid(format!(
                    "{url}: range {start}-{stop} not satisfiable: the image shrank"
                )))
            }
            s => return Err(BlockError::Io(format!("{url}: HTTP {s} for bytes {start}-{stop}"))),
        }
        match r.content_range.as_deref().and_then(parse_content_range) {
            Some((a, b, total)) if a == start && b == stop => {
                if let Some(t) = total.filter(|&t| t != self.size) {
                    return Err(BlockError::Invalid(format!(
                        "{url}: image size changed from {} to {t} bytes",
                        self.size
                    )));
                }
            }
            _ => {
                return Err(BlockError::Invalid(format!(
                    "{url}: asked for bytes {start}-{stop}, got Content-Range {:?}",
                    r.content_range
                )))
            }
        }
        if let (Some(old), Some(new)) = (&self.etag, &r.etag) {
            if old != new {
                return Err(BlockError::Invalid(format!("{url}: image changed (ETag {old} became {new})")));
            }
        }
        if r.body.len() as u64 != stop - start + 1 {
            return Err(BlockError::Invalid(format!(
                "{url}: body of {} bytes for a {}-byte range",
                r.body.len(),
                stop - start + 1
            )));
        }
        self.stats.bytes_fetched += r.body.len() as u64;
        let mut off = 0usize;
        for c in first..end {
            let n = self.chunk_len(c) as usize;
            let data: Box<[u8]> = r.body[off..off + n].into();
            off += n;
            if let (Some(store), Some(key)) = (&mut self.store, key) {
                if store.save(key, c, &data).is_err() {
                    self.stats.store_errors += 1;
                }
            }
            self.chunks.insert(c, data);
            self.stats.chunks_fetched += 1;
        }
        Ok(())
    }
}

impl<F: RangeFetcher> ChunkCache for HttpRangeDevice<F> {
    fn chunk_size(&self) -> u32 {
        self.config.chunk_size
    }
    fn ensure_chunk(&mut self, c: u64, wanted_through: u64) -> Result<()> {
        HttpRangeDevice::ensure_chunk(self, c, wanted_through)
    }
    fn chunks(&mut self) -> &mut Lru<Box<[u8]>> {
        &mut self.chunks
    }
}

impl<F: RangeFetcher> BlockDevice for HttpRangeDevice<F> {
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

    /// URL, size and ETag: an overlay made over this image refuses to open
    /// over a changed one.
    fn identity(&self) -> Option<String> {
        Some(format!("http {} size={} etag={}", self.fetcher.url(), self.size, self.etag.as_deref().unwrap_or("-")))
    }
}
