//! ext2
