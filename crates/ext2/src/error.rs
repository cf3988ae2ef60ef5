//! The error type of the ext2 driver.
//!
//! Every on-disk inconsistency the driver notices becomes
//! [`Ext2Error::Corrupt`] with a [`CorruptKind`] saying what was wrong; the
//! driver never panics on disk data. Mapping to errnos happens in the kernel
//! adapter, in one `From` impl, not here.

use core::fmt;
use wasmpod_blockdev::BlockError;

/// What kind of on-disk inconsistency was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorruptKind {
    /// The superblock magic is not 0xEF53: not an ext2 filesystem.
    BadMagic(u16),
    /// A superblock field is out of range (name of the field and its value).
    Superblock(&'static str, u64),
    /// A group descriptor points outside its group or the filesystem.
    GroupDescriptor(u32),
    /// An inode number outside `1..=s_inodes_count`.
    InodeNumber(u64),
    /// An inode's fields contradict each other (inode, what).
    Inode(u32, &'static str),
    /// A block number outside the filesystem, found in an inode or an
    /// indirect block (inode, block).
    BlockNumber(u32, u64),
    /// A directory entry with impossible lengths (directory inode, byte offset).
    DirEntry(u32, u64),
    /// A directory lacks `.` or `..` where they must be.
    DirStructure(u32, &'static str),
    /// The bitmap says free what the tree uses, or used what is being allocated.
    Bitmap(&'static str, u64),
    /// The orphan list loops or points at a bad inode.
    OrphanList(u32),
    /// An extended-attribute block or area is malformed (inode).
    Xattr(u32),
    /// The free counts disagree with what allocation found.
    Counts(&'static str),
}

impl fmt::Display for CorruptKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorruptKind::BadMagic(m) => write!(f, "bad superblock magic {m:#06x} (not ext2)"),
            CorruptKind::Superblock(field, v) => {
                write!(f, "superblock field {field} = {v} is invalid")
            }
            CorruptKind::GroupDescriptor(g) => write!(f, "group descriptor {g} is invalid"),
            CorruptKind::InodeNumber(i) => write!(f, "inode number {i} out of range"),
            CorruptKind::Inode(i, what) => write!(f, "inode {i}: {what}"),
            CorruptKind::BlockNumber(i, b) => {
                write!(f, "inode {i}: block {b} outside the filesystem")
            }
            CorruptKind::DirEntry(d, off) => write!(f, "directory {d}: bad entry at byte {off}"),
            CorruptKind::DirStructure(d, what) => write!(f, "directory {d}: {what}"),
            CorruptKind::Bitmap(what, n) => write!(f, "bitmap inconsistency: {what} {n}"),
            CorruptKind::OrphanList(i) => write!(f, "orphan list broken at inode {i}"),
            CorruptKind::Xattr(i) => write!(f, "inode {i}: malformed extended attributes"),
            CorruptKind::Counts(what) => write!(f, "free counts inconsistent: {what}"),
        }
    }
}

/// Everything the driver can fail with.
#[derive(Debug)]
pub enum Ext2Error {
    /// The image is damaged.
    Corrupt(CorruptKind),
    /// The image uses a feature this driver does not implement.
    Unsupported(String),
    /// The block device failed.
    Io(BlockError),
    /// No free block or inode left.
    NoSpace,
    /// No such file or directory.
    NotFound,
    /// A path component or target is not a directory.
    NotDir,
    /// The operation does not apply to directories.
    IsDir,
    /// The name already exists.
    Exists,
    /// The directory is not empty.
    NotEmpty,
    /// A name is longer than 255 bytes (or a symlink target too long).
    NameTooLong,
    /// An argument makes no sense (bad name, moving a directory into itself...).
    InvalidArgument(&'static str),
    /// The filesystem is mounted read-only.
    ReadOnly,
    /// The link count would pass `EXT2_LINK_MAX` (32000).
    TooManyLinks,
    /// The file would grow past what the block map can address.
    FileTooBig,
    /// The operation needs another file type (e.g. readlink on a file).
    WrongType,
}

impl fmt::Display for Ext2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ext2Error::Corrupt(k) => write!(f, "corrupt filesystem: {k}"),
            Ext2Error::Unsupported(what) => write!(f, "unsupported ext2 feature: {what}"),
            Ext2Error::Io(e) => write!(f, "{e}"),
            Ext2Error::NoSpace => write!(f, "no space left on device"),
            Ext2Error::NotFound => write!(f, "no such file or directory"),
            Ext2Error::NotDir => write!(f, "not a directory"),
            Ext2Error::IsDir => write!(f, "is a directory"),
            Ext2Error::Exists => write!(f, "file exists"),
            Ext2Error::NotEmpty => write!(f, "directory not empty"),
            Ext2Error::NameTooLong => write!(f, "file name too long"),
            Ext2Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Ext2Error::ReadOnly => write!(f, "read-only filesystem"),
            Ext2Error::TooManyLinks => write!(f, "too many links"),
            Ext2Error::FileTooBig => write!(f, "file too large"),
            Ext2Error::WrongType => write!(f, "wrong file type for this operation"),
        }
    }
}

impl std::error::Error for Ext2Error {}

impl From<BlockError> for Ext2Error {
    fn from(e: BlockError) -> Self {
        Ext2Error::Io(e)
    }
}

impl From<CorruptKind> for Ext2Error {
    fn from(k: CorruptKind) -> Self {
        Ext2Error::Corrupt(k)
    }
}

/// Result with [`Ext2Error`].
pub type Result<T> = core::result::Result<T, Ext2Error>;

/// Shorthand for `Err(Ext2Error::Corrupt(kind))`.
pub(crate) fn corrupt<T>(kind: CorruptKind) -> Result<T> {
    Err(Ext2Error::Corrupt(kind))
}
