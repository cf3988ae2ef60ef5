//! [`MemoryFetcher`]: a [`RangeFetcher`] over bytes in memory.
//!
//! An honest range server without a network, for tests of the layers above
//! (the kernel's disk stack, ext2 over HTTP) that should not open sockets.
//! It counts requests. Misbehaving servers are tested against a real
//! loopback server in this module's tests instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{HttpResponse, RangeFetcher, TransportError};

/// Serves `data` at a pretend URL with a fixed ETag.
#[derive(Debug, Clone)]
pub struct MemoryFetcher {
    url: String,
    data: Arc<[u8]>,
    etag: String,
    requests: Arc<AtomicU64>,
}

impl MemoryFetcher {
    pub fn new(url: impl Into<String>, data: impl Into<Arc<[u8]>>, etag: impl Into<String>) -> Self {
        Self { url: url.into(), data: data.into(), etag: etag.into(), requests: Arc::default() }
    }

    /// Requests answered so far (shared by clones, so a test can keep one
    /// clone while the device owns another).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl RangeFetcher for MemoryFetcher {
    fn url(&self) -> &str {
        &self.url
    }

    fn head(&mut self) -> Result<HttpResponse, TransportError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        Ok(HttpResponse {
            status: 200,
            content_length: Some(self.data.len() as u64),
            etag: Some(self.etag.clone()),
            ..HttpResponse::default()
        })
    }

    fn get_range(&mut self, start: u64, end_inclusive: u64) -> Result<HttpResponse, TransportError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let total = self.data.len() as u64;
        if start >= total || end_inclusive < start {
            return Ok(HttpResponse {
                status: 416,
                content_range: Some(format!("bytes */{total}")),
                ..HttpResponse::default()
            });
        }
        let end = end_inclusive.min(total - 1);
        Ok(HttpResponse {
            status: 206,
            content_length: Some(end - start + 1),
            content_range: Some(format!("bytes {start}-{end}/{total}")),
            etag: Some(self.etag.clone()),
            body: self.data[start as usize..=end as usize].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpConfig, HttpRangeDevice};
    use crate::{read_at, BlockDevice, CacheDevice, OverlayDevice};

    #[test]
    fn full_stack_without_a_network() {
        let data: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
        let f = MemoryFetcher::new("mem://root.img", data.clone(), "\"1\"");
        let counter = f.clone();
        let http = HttpRangeDevice::open(f, HttpConfig::default()).unwrap();
        let mut dev = CacheDevice::new(OverlayDevice::in_memory(http).unwrap(), 64).unwrap();
        let mut b = vec![0; 5000];
        read_at(&mut dev, 300_000, &mut b).unwrap();
        assert_eq!(b, data[300_000..305_000]);
        crate::write_at(&mut dev, 300_001, b"hello").unwrap();
        dev.flush().unwrap();
        read_at(&mut dev, 300_000, &mut b[..7]).unwrap();
        assert_eq!(&b[..7], &[data[300_000], b'h', b'e', b'l', b'l', b'o', data[300_006]]);
        // HEAD at open, then one GET for chunk 1 (an in-memory overlay reads
        // nothing at open); the rest came from the caches.
        assert_eq!(counter.requests(), 2);
        assert!(dev.inner().base().is_read_only());
    }
}
