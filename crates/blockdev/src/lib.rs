//! Block devices for wasmpod's disk stack (ARCHITECTURE §6).
//!
//! The stack, bottom up: HTTP range device → local chunk cache → copy-on-write
//! overlay → (kernel page cache) → ext2. Every layer is a [`BlockDevice`], so
//! layers compose by wrapping one another:
//!
//! ```
//! use wasmpod_blockdev::{BlockDevice, CacheDevice, MemoryDevice, OverlayDevice};
//! let base = MemoryDevice::from_vec(vec![7; 8192], 1024).unwrap().into_read_only();
//! let mut dev = CacheDevice::new(OverlayDevice::in_memory(base).unwrap(), 16).unwrap();
//! dev.write_blocks(2, &[1; 1024]).unwrap();
//! dev.flush().unwrap();
//! let mut b = [0; 1024];
//! dev.read_blocks(2, &mut b).unwrap();
//! assert_eq!(b, [1; 1024]);
//! ```
//!
//! Modules: [`memory`] (Vec), [`file`](mod@file) (host file), [`cache`] (LRU
//! write-back), [`overlay`] (copy-on-write delta, persistent or in memory),
//! [`http`] (HTTP range requests), [`chunked`] (chunk-cached ranges of a
//! remote image read by the host, e.g. the browser's io worker). Byte-addressed helpers [`read_at`] and
//! [`write_at`] work on any device.
//!
//! This crate knows nothing of the kernel or of ext2.
#![forbid(unsafe_code)]

pub mod cache;
mod checksum;
pub mod chunked;
mod chunks;
pub mod device;
pub mod error;
pub mod file;
mod hostio;
pub mod http;

mod lru;
pub mod memory;
pub mod overlay;

#[cfg(test)]
mod testutil;

pub use cache::{CacheDevice, CacheStats, IntoInnerError};
pub use chunked::{ChunkedConfig, ChunkedDevice, ChunkedStats, ChunkedStatsHandle, RangeSource};
pub use device::{check_request, read_at, validate_block_size, write_at, BlockDevice};
pub use error::{BlockError, Result};
pub use file::FileDevice;
#[cfg(all(feature = "native-http", not(target_arch = "wasm32")))]
pub use http::UreqFetcher;
pub use http::{ChunkStore, DirChunkStore, HttpConfig, HttpRangeDevice, RangeFetcher};
pub use memory::MemoryDevice;
pub use overlay::{
    base_fingerprint, content_fingerprint, DeltaStore, FileDelta, JournalDelta, JournalVolume, LogFile, MemoryDelta,
    OverlayDevice,
};
