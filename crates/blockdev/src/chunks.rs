//! What the two chunk-cached remote devices share: [`ChunkedDevice`]
//! (ranges read by the host, the browser's io worker) and
//! [`HttpRangeDevice`] (HTTP spoken here). Both cut the image into fixed
//! chunks kept in an LRU cache; they differ in how a run of chunks is
//! fetched (and the HTTP one in a persistent store below the cache).
//!
//! [`ChunkedDevice`]: crate::ChunkedDevice
//! [`HttpRangeDevice`]: crate::HttpRangeDevice

use crate::device::{check_request, BlockDevice};
use crate::error::{BlockError, Result};
use crate::http::MAX_CHUNKS_PER_REQUEST;
use crate::lru::Lru;

/// A device made of cached chunks.
pub(crate) trait ChunkCache: BlockDevice {
    fn chunk_size(&self) -> u32;
    /// Makes chunk `c` resident; `wanted_through` is the last chunk the
    /// current read needs (fetch them together).
    fn ensure_chunk(&mut self, c: u64, wanted_through: u64) -> Result<()>;
    fn chunks(&mut self) -> &mut Lru<Box<[u8]>>;
}

/// `BlockDevice::read_blocks` over the chunks: each touched chunk is made
/// resident, then copied out.
pub(crate) fn read_blocks(dev: &mut impl ChunkCache, start: u64, buf: &mut [u8]) -> Result<()> {
    check_request(dev.block_size(), dev.num_blocks(), start, buf.len())?;
    if buf.is_empty() {
        return Ok(());
    }
    let cs = u64::from(dev.chunk_size());
    let from = start * u64::from(dev.block_size());
    let to = from + buf.len() as u64; // exclusive; ≤ size by check_request
    let (first, last) = (from / cs, (to - 1) / cs);
    let mut done = 0usize;
    for c in first..=last {
        dev.ensure_chunk(c, last)?;
        let chunk_start = c * cs;
        let lo = (from.max(chunk_start) - chunk_start) as usize;
        let hi = (to.min(chunk_start + cs) - chunk_start) as usize;
        let data =
            dev.chunks().peek_mut(c).ok_or_else(|| BlockError::Invalid(format!("chunk {c} evicted while in use")))?;
        buf[done..done + hi - lo].copy_from_slice(&data[lo..hi]);
        done += hi - lo;
    }
    Ok(())
}

/// The run of chunks to fetch for a miss on `c`: `c`, the rest of this
/// read's chunks up to `wanted_through`, and on sequential access
/// `readahead` more, in one request, stopping before a chunk that
/// `have(chunk)` says is already at hand and at the request limit (never
/// more than the cache holds, so fetched chunks are still cached when the
/// read copies them). Returns the exclusive end.
pub(crate) fn fetch_end(
    c: u64,
    wanted_through: u64,
    readahead: u64,
    cache_chunks: usize,
    num_chunks: u64,
    mut have: impl FnMut(u64) -> bool,
) -> u64 {
    let limit = MAX_CHUNKS_PER_REQUEST.min(cache_chunks as u64).max(1);
    let last = wanted_through.max(c).saturating_add(readahead).min(num_chunks - 1);
    let mut end = c + 1;
    while end <= last && end - c < limit && !have(end) {
        end += 1;
    }
    end
}
