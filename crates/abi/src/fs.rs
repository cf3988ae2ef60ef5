//! File metadata: mode bits, `struct stat`, `statx`, `dirent64`, `statfs`.

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IRWXU: u32 = 0o700;
pub const S_IRWXG: u32 = 0o070;
pub const S_IRWXO: u32 = 0o007;

/// `d_type` values of `dirent64`.
pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_BLK: u8 = 6;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;
pub const DT_SOCK: u8 = 12;

/// `d_type` for a mode's file type.
pub const fn dt_from_mode(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

/// Longest path `PATH_MAX` (including the NUL).
pub const PATH_MAX: usize = 4096;
/// Longest name component.
pub const NAME_MAX: usize = 255;

abi_struct! {
    /// `struct stat`: musl's generic layout with 64-bit `dev_t`, `ino_t`,
    /// `off_t`, `blkcnt_t` and 64-bit `timespec`s.
    pub struct stat, size 128 {
        pub st_dev: u64 => 0,
        pub st_ino: u64 => 8,
        pub st_mode: u32 => 16,
        pub st_nlink: u32 => 20,
        pub st_uid: u32 => 24,
        pub st_gid: u32 => 28,
        pub st_rdev: u64 => 32,
        pub st_size: i64 => 48,
        pub st_blksize: i32 => 56,
        pub st_blocks: i64 => 64,
        pub st_atime_sec: i64 => 72,
        pub st_atime_nsec: i32 => 80,
        pub st_mtime_sec: i64 => 88,
        pub st_mtime_nsec: i32 => 96,
        pub st_ctime_sec: i64 => 104,
        pub st_ctime_nsec: i32 => 112,
    }
}

abi_struct! {
    /// `struct statx_timestamp`.
    pub struct statx_timestamp, size 16 {
        pub tv_sec: i64 => 0,
        pub tv_nsec: u32 => 8,
    }
}

pub const STATX_TYPE: u32 = 0x1;
pub const STATX_MODE: u32 = 0x2;
pub const STATX_NLINK: u32 = 0x4;
pub const STATX_UID: u32 = 0x8;
pub const STATX_GID: u32 = 0x10;
pub const STATX_ATIME: u32 = 0x20;
pub const STATX_MTIME: u32 = 0x40;
pub const STATX_CTIME: u32 = 0x80;
pub const STATX_INO: u32 = 0x100;
pub const STATX_SIZE: u32 = 0x200;
pub const STATX_BLOCKS: u32 = 0x400;
pub const STATX_BASIC_STATS: u32 = 0x7ff;
pub const STATX_BTIME: u32 = 0x800;
pub const STATX__RESERVED: u32 = 0x8000_0000;

abi_struct! {
    /// `struct statx` (256 bytes; timestamps as four `statx_timestamp`s
    /// flattened into seconds/nanoseconds pairs).
    pub struct statx, size 256 {
        pub stx_mask: u32 => 0,
        pub stx_blksize: u32 => 4,
        pub stx_attributes: u64 => 8,
        pub stx_nlink: u32 => 16,
        pub stx_uid: u32 => 20,
        pub stx_gid: u32 => 24,
        pub stx_mode: u16 => 28,
        pub stx_ino: u64 => 32,
        pub stx_size: u64 => 40,
        pub stx_blocks: u64 => 48,
        pub stx_attributes_mask: u64 => 56,
        pub stx_atime_sec: i64 => 64,
        pub stx_atime_nsec: u32 => 72,
        pub stx_btime_sec: i64 => 80,
        pub stx_btime_nsec: u32 => 88,
        pub stx_ctime_sec: i64 => 96,
        pub stx_ctime_nsec: u32 => 104,
        pub stx_mtime_sec: i64 => 112,
        pub stx_mtime_nsec: u32 => 120,
        pub stx_rdev_major: u32 => 128,
        pub stx_rdev_minor: u32 => 132,
        pub stx_dev_major: u32 => 136,
        pub stx_dev_minor: u32 => 140,
    }
}

abi_struct! {
    /// The fixed head of `struct linux_dirent64`; `d_name` (NUL-terminated)
    /// follows at offset 19 and the record is padded to 8 bytes.
    pub struct dirent64_head, size 19 {
        pub d_ino: u64 => 0,
        pub d_off: i64 => 8,
        pub d_reclen: u16 => 16,
        pub d_type: u8 => 18,
    }
}

abi_struct! {
    /// `struct statfs` (the `statfs64` layout of 32-bit Linux, as musl
    /// declares it for ILP32: `f_fsid` is two ints, then `f_namelen`,
    /// `f_frsize`, `f_flags` and four spare words; 84 bytes padded to 88 by
    /// the 64-bit fields' alignment).
    pub struct statfs, size 88 {
        pub f_type: u32 => 0,
        pub f_bsize: u32 => 4,
        pub f_blocks: u64 => 8,
        pub f_bfree: u64 => 16,
        pub f_bavail: u64 => 24,
        pub f_files: u64 => 32,
        pub f_ffree: u64 => 40,
        pub f_fsid: [i32; 2] => 48,
        pub f_namelen: u32 => 56,
        pub f_frsize: u32 => 60,
        pub f_flags: u32 => 64,
    }
}

/// `f_type` magic numbers, as in `<linux/magic.h>`.
pub const TMPFS_MAGIC: u32 = 0x0102_1994;
pub const PROC_SUPER_MAGIC: u32 = 0x9fa0;
pub const DEVPTS_SUPER_MAGIC: u32 = 0x1cd1;
pub const EXT2_SUPER_MAGIC: u32 = 0xef53;
pub const PIPEFS_MAGIC: u32 = 0x5049_5045;
pub const ANON_INODE_FS_MAGIC: u32 = 0x0904_1934;

/// mount(2) flags (`<linux/mount.h>`; `MS_` of mount, not msync's).
pub const MS_RDONLY: u32 = 1;
pub const MS_NOSUID: u32 = 2;
pub const MS_NODEV: u32 = 4;
pub const MS_NOEXEC: u32 = 8;
pub const MS_SYNCHRONOUS: u32 = 16;
pub const MS_REMOUNT: u32 = 32;
pub const MS_MANDLOCK: u32 = 64;
pub const MS_DIRSYNC: u32 = 128;
pub const MS_NOSYMFOLLOW: u32 = 256;
pub const MS_NOATIME: u32 = 1024;
pub const MS_NODIRATIME: u32 = 2048;
pub const MS_BIND: u32 = 4096;
pub const MS_MOVE: u32 = 8192;
pub const MS_REC: u32 = 16384;
pub const MS_SILENT: u32 = 32768;
pub const MS_UNBINDABLE: u32 = 1 << 17;
pub const MS_PRIVATE: u32 = 1 << 18;
pub const MS_SLAVE: u32 = 1 << 19;
pub const MS_SHARED: u32 = 1 << 20;
pub const MS_RELATIME: u32 = 1 << 21;
pub const MS_STRICTATIME: u32 = 1 << 24;
pub const MS_LAZYTIME: u32 = 1 << 25;
/// Old magic in the top 16 bits of mount flags: "if present, ignored" (mount(2)).
pub const MS_MGC_VAL: u32 = 0xc0ed_0000;
pub const MS_MGC_MSK: u32 = 0xffff_0000;

/// umount2(2) flags.
pub const MNT_FORCE: u32 = 1;
pub const MNT_DETACH: u32 = 2;
pub const MNT_EXPIRE: u32 = 4;
pub const UMOUNT_NOFOLLOW: u32 = 8;

pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AbiStruct;
    #[test]
    fn layouts_do_not_overlap() {
        crate::layout::assert_no_overlap(stat::FIELDS);
        crate::layout::assert_no_overlap(statx::FIELDS);
        crate::layout::assert_no_overlap(statfs::FIELDS);
        assert_eq!(stat::SIZE, 128);
        assert_eq!(dt_from_mode(S_IFDIR | 0o755), DT_DIR);
        assert_eq!(dt_from_mode(S_IFLNK), DT_LNK);
    }
    #[test]
    fn encode_decode_round_trip() {
        let s = stat { st_ino: 42, st_mode: S_IFREG | 0o644, st_size: 1 << 40, ..Default::default() };
        let b = s.to_vec();
        assert_eq!(b.len(), 128);
        assert_eq!(&b[8..16], &42u64.to_le_bytes());
        assert_eq!(stat::decode(&b), s);
    }
}
