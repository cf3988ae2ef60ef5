//! A standalone ext2 filesystem driver (revisions 0 and 1) over a
//! [`wasmpod_blockdev::BlockDevice`].
//!
//! It reads and writes what `mke2fs -t ext2` makes by default (`filetype`,
//! `sparse_super`, `large_file`, `resize_inode`, `dir_index`, `ext_attr`), at
//! block sizes from 1 to 64 KiB, and keeps images `e2fsck`-clean. Unknown
//! incompat features refuse the mount; unknown ro_compat features make it
//! read-only. The API is inode-number based, for a kernel VFS adapter; see
//! [`Ext2`]. [`mkfs`] formats a device (used by `wasmpod image build`).
//!
//! Not done yet: index-preserving inserts in `dir_index` directories (an
//! insert turns the directory linear; lookups use the index, see [`htree`]),
//! writing extended attributes, enforcing reserved blocks, and the
//! `meta_bg`/`64bit`/extents/journal features (refused or read-only).
#![forbid(unsafe_code)]

mod alloc;
mod bitmap;
mod block_map;
mod bytes;
mod dir;
pub mod error;
mod file;
mod fs;
pub mod group;
pub mod htree;
pub mod inode;
mod io;
pub mod mkfs;
mod namei;
mod orphan;
pub mod superblock;
mod symlink;
mod xattr;

pub use dir::NAME_MAX;
pub use error::{CorruptKind, Ext2Error, Result};
pub use fs::{decode_dev, encode_dev, DirEntry, Ext2, SetAttr, Stat, StatFs, LINK_MAX};
pub use inode::{FileType, Timespec, ROOT_INO};
pub use symlink::FAST_SYMLINK_MAX;
