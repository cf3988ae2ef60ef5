//! Block devices for wasmpod's disk stack (ARCHITECTURE §6).
//!
//! The stack, bottom up: HTTP range device → local chunk cache → copy-on-write
//! overlay → (kernel page cache) → ext2. Every layer is a [`BlockDevice`], so
//! layers compose by wrapping one another.
//!
//! This crate knows nothing of the kernel or of ext2.
#![forbid(unsafe_code)]

use core::fmt;

/// What went wrong below a filesystem.
#[derive(Debug)]
pub enum BlockError {
    /// A request reached past the end of the device.
    OutOfRange { block: u64, count: u64, device_blocks: u64 },
    /// The buffer length is not a whole number of blocks.
    Misaligned { len: usize, block_size: u32 },
    /// The device is read-only.
    ReadOnly,
    /// The host I/O failed (file, network, storage).
    Io(String),
    /// The backing store changed under us or answered nonsense (ETag mismatch, a
    /// server that ignores Range, a corrupt overlay file).
    Invalid(String),
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockError::OutOfRange { block, count, device_blocks } => {
                write!(f, "blocks {block}..{} past the end of a {device_blocks}-block device", block + count)
            }
            BlockError::Misaligned { len, block_size } => {
                write!(f, "buffer of {len} bytes is not a multiple of the {block_size}-byte block")
            }
            BlockError::ReadOnly => write!(f, "device is read-only"),
            BlockError::Io(m) => write!(f, "I/O error: {m}"),
            BlockError::Invalid(m) => write!(f, "invalid device state: {m}"),
        }
    }
}

impl std::error::Error for BlockError {}

pub type Result<T> = core::result::Result<T, BlockError>;

/// A device addressed in fixed-size blocks.
///
/// Buffers passed to `read_blocks`/`write_blocks` are a whole number of
/// blocks long; `start` is a block index. Devices are `Send` so the kernel can
/// keep them behind its lock and hosts can move them between threads.
pub trait BlockDevice: Send {
    /// Bytes per block; a power of two, at least 512.
    fn block_size(&self) -> u32;
    /// Number of blocks on the device.
    fn num_blocks(&self) -> u64;
    /// Reads `buf.len() / block_size` blocks starting at block `start`.
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `buf.len() / block_size` blocks starting at block `start`.
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()>;
    /// Makes every completed write durable in the layer below.
    fn flush(&mut self) -> Result<()>;
    /// Whether writes are refused.
    fn is_read_only(&self) -> bool {
        false
    }
    /// Total size in bytes.
    fn size_bytes(&self) -> u64 {
        self.num_blocks() * u64::from(self.block_size())
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for Box<D> {
    fn block_size(&self) -> u32 {
        (**self).block_size()
    }
    fn num_blocks(&self) -> u64 {
        (**self).num_blocks()
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_blocks(start, buf)
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        (**self).write_blocks(start, buf)
    }
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }
    fn is_read_only(&self) -> bool {
        (**self).is_read_only()
    }
}
