//! On-disk inodes: the raw record plus typed accessors.
//!
//! An [`Inode`] keeps the whole on-disk record (128 bytes for revision 0,
//! `s_inode_size` otherwise), so fields we do not interpret — in-inode
//! extended attributes, `i_generation`, `i_crtime` — survive rewrites.
//! Nanosecond timestamps live in the `_extra` fields when `i_extra_isize`
//! covers them (ext4's encoding: two epoch bits, then nanoseconds << 2);
//! otherwise only seconds are stored, as Linux's ext2 does.

use crate::bytes::{get16, get32, set16, set32};

/// Inode mode type bits (`S_IFMT`) and types.
pub const S_IFMT: u16 = 0o170000;
pub const S_IFSOCK: u16 = 0o140000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFIFO: u16 = 0o010000;

/// `i_flags`: hashed-index directory.
pub const EXT2_INDEX_FL: u32 = 0x1000;
/// `i_flags` bits that mean a format we do not implement.
pub const EXT4_EXTENTS_FL: u32 = 0x80000;
pub const EXT4_INLINE_DATA_FL: u32 = 0x1000_0000;

/// Root directory inode number.
pub const ROOT_INO: u32 = 2;
/// Number of block pointers in `i_block`.
pub const N_BLOCKS: usize = 15;
/// Direct pointers before the indirect ones.
pub const NDIR_BLOCKS: usize = 12;
/// `i_extra_isize` for inodes we create (the size of ext4's large inode fields).
pub const EXTRA_ISIZE: u16 = 32;

/// A point in time with nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub const fn new(sec: i64, nsec: u32) -> Timespec {
        Timespec { sec, nsec }
    }
}

/// File type as stored in directory entries and implied by the mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Unknown,
    Regular,
    Directory,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Symlink,
}

impl FileType {
    /// From the directory-entry `file_type` byte.
    pub fn from_dirent(t: u8) -> FileType {
        match t {
            1 => FileType::Regular,
            2 => FileType::Directory,
            3 => FileType::CharDevice,
            4 => FileType::BlockDevice,
            5 => FileType::Fifo,
            6 => FileType::Socket,
            7 => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }
    /// The directory-entry `file_type` byte.
    pub fn to_dirent(self) -> u8 {
        match self {
            FileType::Unknown => 0,
            FileType::Regular => 1,
            FileType::Directory => 2,
            FileType::CharDevice => 3,
            FileType::BlockDevice => 4,
            FileType::Fifo => 5,
            FileType::Socket => 6,
            FileType::Symlink => 7,
        }
    }
    /// From the `S_IFMT` bits of a mode.
    pub fn from_mode(mode: u16) -> FileType {
        match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Directory,
            S_IFCHR => FileType::CharDevice,
            S_IFBLK => FileType::BlockDevice,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            S_IFLNK => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }
}

/// One inode record.
#[derive(Clone, Debug)]
pub struct Inode {
    pub raw: Vec<u8>,
}

macro_rules! f32_ {
    ($get:ident, $set:ident, $off:expr) => {
        pub fn $get(&self) -> u32 {
            get32(&self.raw, $off)
        }
        pub fn $set(&mut self, v: u32) {
            set32(&mut self.raw, $off, v)
        }
    };
}

impl Inode {
    /// A zeroed inode of `size` bytes, with `i_extra_isize` set when there is room.
    pub fn new(size: usize) -> Inode {
        let mut i = Inode { raw: vec![0; size] };
        if size >= 128 + usize::from(EXTRA_ISIZE) {
            set16(&mut i.raw, 128, EXTRA_ISIZE);
        }
        i
    }

    pub fn mode(&self) -> u16 {
        get16(&self.raw, 0)
    }
    pub fn set_mode(&mut self, m: u16) {
        set16(&mut self.raw, 0, m)
    }
    pub fn file_type(&self) -> FileType {
        FileType::from_mode(self.mode())
    }
    pub fn is_dir(&self) -> bool {
        self.mode() & S_IFMT == S_IFDIR
    }
    pub fn is_reg(&self) -> bool {
        self.mode() & S_IFMT == S_IFREG
    }
    pub fn is_symlink(&self) -> bool {
        self.mode() & S_IFMT == S_IFLNK
    }
    pub fn uid(&self) -> u32 {
        u32::from(get16(&self.raw, 2)) | u32::from(get16(&self.raw, 120)) << 16
    }
    pub fn set_uid(&mut self, uid: u32) {
        set16(&mut self.raw, 2, uid as u16);
        set16(&mut self.raw, 120, (uid >> 16) as u16);
    }
    pub fn gid(&self) -> u32 {
        u32::from(get16(&self.raw, 24)) | u32::from(get16(&self.raw, 122)) << 16
    }
    pub fn set_gid(&mut self, gid: u32) {
        set16(&mut self.raw, 24, gid as u16);
        set16(&mut self.raw, 122, (gid >> 16) as u16);
    }
    /// File size: 64-bit for regular files (`i_size_high`), 32-bit otherwise.
    pub fn size(&self) -> u64 {
        let lo = u64::from(get32(&self.raw, 4));
        if self.is_reg() {
            lo | u64::from(get32(&self.raw, 108)) << 32
        } else {
            lo
        }
    }
    pub fn set_size(&mut self, s: u64) {
        set32(&mut self.raw, 4, s as u32);
        if self.is_reg() {
            set32(&mut self.raw, 108, (s >> 32) as u32);
        }
    }
    f32_!(dtime, set_dtime, 20);
    f32_!(blocks, set_blocks, 28);
    f32_!(flags, set_flags, 32);
    f32_!(file_acl, set_file_acl, 104);
    pub fn links(&self) -> u16 {
        get16(&self.raw, 26)
    }
    pub fn set_links(&mut self, n: u16) {
        set16(&mut self.raw, 26, n)
    }
    /// `i_block[i]`.
    pub fn block(&self, i: usize) -> u32 {
        get32(&self.raw, 40 + 4 * i)
    }
    pub fn set_block(&mut self, i: usize, v: u32) {
        set32(&mut self.raw, 40 + 4 * i, v)
    }
    /// The 60 bytes of `i_block` (fast symlink target storage).
    pub fn block_bytes(&self) -> &[u8] {
        &self.raw[40..100]
    }
    pub fn block_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.raw[40..100]
    }
    /// `i_extra_isize`, or 0 for 128-byte inodes.
    pub fn extra_isize(&self) -> usize {
        if self.raw.len() > 128 {
            usize::from(get16(&self.raw, 128))
        } else {
            0
        }
    }
    /// Whether the `_extra` field at `off` is inside `i_extra_isize`.
    fn has_extra(&self, off: usize) -> bool {
        let end = 128 + self.extra_isize();
        off + 4 <= end && end <= self.raw.len()
    }
    fn time(&self, base: usize, extra: usize) -> Timespec {
        let lo = get32(&self.raw, base) as i32 as i64;
        if self.has_extra(extra) {
            let x = get32(&self.raw, extra);
            Timespec { sec: lo + (i64::from(x & 3) << 32), nsec: (x >> 2).min(999_999_999) }
        } else {
            Timespec { sec: lo, nsec: 0 }
        }
    }
    fn set_time(&mut self, base: usize, extra: usize, t: Timespec) {
        set32(&mut self.raw, base, t.sec as u32);
        if self.has_extra(extra) {
            let epoch = ((t.sec - i64::from(t.sec as i32)) >> 32) as u32 & 3;
            set32(&mut self.raw, extra, epoch | (t.nsec.min(999_999_999) << 2));
        }
    }
    pub fn atime(&self) -> Timespec {
        self.time(8, 140)
    }
    pub fn set_atime(&mut self, t: Timespec) {
        self.set_time(8, 140, t)
    }
    pub fn ctime(&self) -> Timespec {
        self.time(12, 132)
    }
    pub fn set_ctime(&mut self, t: Timespec) {
        self.set_time(12, 132, t)
    }
    pub fn mtime(&self) -> Timespec {
        self.time(16, 136)
    }
    pub fn set_mtime(&mut self, t: Timespec) {
        self.set_time(16, 136, t)
    }
    /// Sets crtime too when there is room (Linux sets it at creation).
    pub fn set_crtime(&mut self, t: Timespec) {
        if self.has_extra(148) {
            self.set_time(144, 148, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_inode_keeps_nanoseconds_small_keeps_seconds() {
        let t = Timespec::new(1_700_000_000, 123_456_789);
        let mut big = Inode::new(256);
        big.set_mtime(t);
        assert_eq!(big.mtime(), t);
        let mut small = Inode::new(128);
        small.set_mtime(t);
        assert_eq!(small.mtime(), Timespec::new(1_700_000_000, 0));
    }

    #[test]
    fn times_past_2038_use_epoch_bits() {
        let t = Timespec::new(3_000_000_000, 5);
        let mut i = Inode::new(256);
        i.set_atime(t);
        assert_eq!(i.atime(), t);
    }

    #[test]
    fn size_high_only_for_regular_files() {
        let mut i = Inode::new(128);
        i.set_mode(S_IFREG | 0o644);
        i.set_size(5 << 32 | 7);
        assert_eq!(i.size(), 5 << 32 | 7);
        let mut d = Inode::new(128);
        d.set_mode(S_IFDIR | 0o755);
        d.set_size(4096);
        assert_eq!(d.size(), 4096);
    }

    #[test]
    fn ids_use_high_halves() {
        let mut i = Inode::new(128);
        i.set_uid(70_000);
        i.set_gid(65_537);
        assert_eq!((i.uid(), i.gid()), (70_000, 65_537));
    }
}
