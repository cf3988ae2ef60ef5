//! The error type every block device returns.
//!
//! Errors stay rich here (which block, which limit, what the server said);
//! the kernel maps them to an errno in one place (its ext2 adapter).

use core::fmt;

/// What went wrong below a filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            BlockError::OutOfRange { block, count, device_blocks } => write!(
                f,
                "blocks {block}..{} past the end of a {device_blocks}-block device",
                block.saturating_add(*count)
            ),
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

impl From<std::io::Error> for BlockError {
    fn from(e: std::io::Error) -> Self {
        BlockError::Io(e.to_string())
    }
}

/// Result of every block-device operation.
pub type Result<T> = core::result::Result<T, BlockError>;
