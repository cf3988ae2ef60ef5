//! The ext2 superblock: parsing, validation and the feature policy.
//!
//! The superblock is kept as its raw 1024 bytes so that fields this driver
//! does not interpret survive a rewrite untouched; accessors read and write
//! the little-endian fields in place. Only the primary copy (byte 1024) is
//! written while mounted, like Linux; backups are written by [`crate::mkfs`].

use crate::bytes::{get16, get32, set16, set32};
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};

/// Byte offset of the primary superblock.
pub const SUPERBLOCK_OFFSET: u64 = 1024;
/// Size of the superblock structure.
pub const SUPERBLOCK_SIZE: usize = 1024;
/// `s_magic`.
pub const EXT2_MAGIC: u16 = 0xEF53;

/// `s_state`: cleanly unmounted.
pub const STATE_VALID: u16 = 1;
/// `s_state`: errors detected.
pub const STATE_ERROR: u16 = 2;

// Compatible features: unknown ones are harmless.
pub const COMPAT_EXT_ATTR: u32 = 0x0008;
pub const COMPAT_RESIZE_INODE: u32 = 0x0010;
pub const COMPAT_DIR_INDEX: u32 = 0x0020;

// Incompatible features: we must refuse to mount what we do not know.
pub const INCOMPAT_FILETYPE: u32 = 0x0002;
/// Incompat features this driver implements.
pub const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE;

// Read-only-compatible features: unknown ones force a read-only mount.
pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
pub const RO_COMPAT_LARGE_FILE: u32 = 0x0002;
/// ro_compat features this driver keeps consistent when writing.
pub const RO_COMPAT_SUPPORTED: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;

/// Names of incompat feature bits, for error messages.
fn incompat_name(bit: u32) -> &'static str {
    match bit {
        0x0001 => "compression",
        0x0002 => "filetype",
        0x0004 => "needs_recovery",
        0x0008 => "journal_dev",
        0x0010 => "meta_bg",
        0x0040 => "extent",
        0x0080 => "64bit",
        0x0100 => "mmp",
        0x0200 => "flex_bg",
        0x0400 => "ea_inode",
        0x1000 => "dirdata",
        0x2000 => "metadata_csum_seed",
        0x4000 => "large_dir",
        0x8000 => "inline_data",
        0x10000 => "encrypt",
        0x20000 => "casefold",
        _ => "unknown",
    }
}

/// The superblock, raw bytes plus typed accessors.
#[derive(Clone)]
pub struct Superblock {
    raw: Vec<u8>,
}

macro_rules! field32 {
    ($get:ident, $set:ident, $off:expr) => {
        pub fn $get(&self) -> u32 {
            get32(&self.raw, $off)
        }
        #[allow(dead_code)]
        pub fn $set(&mut self, v: u32) {
            set32(&mut self.raw, $off, v)
        }
    };
}
macro_rules! field16 {
    ($get:ident, $set:ident, $off:expr) => {
        pub fn $get(&self) -> u16 {
            get16(&self.raw, $off)
        }
        #[allow(dead_code)]
        pub fn $set(&mut self, v: u16) {
            set16(&mut self.raw, $off, v)
        }
    };
}

impl Superblock {
    /// Wraps raw superblock bytes (exactly [`SUPERBLOCK_SIZE`]).
    pub fn from_bytes(raw: &[u8]) -> Result<Superblock> {
        if raw.len() < SUPERBLOCK_SIZE {
            return corrupt(CorruptKind::Superblock("size", raw.len() as u64));
        }
        let sb = Superblock { raw: raw[..SUPERBLOCK_SIZE].to_vec() };
        if sb.magic() != EXT2_MAGIC {
            return corrupt(CorruptKind::BadMagic(sb.magic()));
        }
        Ok(sb)
    }

    /// An all-zero superblock for `mkfs` to fill in.
    pub fn zeroed() -> Superblock {
        Superblock { raw: vec![0; SUPERBLOCK_SIZE] }
    }

    /// The raw bytes, as written to disk.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    field32!(inodes_count, set_inodes_count, 0);
    field32!(blocks_count, set_blocks_count, 4);
    field32!(r_blocks_count, set_r_blocks_count, 8);
    field32!(free_blocks_count, set_free_blocks_count, 12);
    field32!(free_inodes_count, set_free_inodes_count, 16);
    field32!(first_data_block, set_first_data_block, 20);
    field32!(log_block_size, set_log_block_size, 24);
    field32!(log_frag_size, set_log_frag_size, 28);
    field32!(blocks_per_group, set_blocks_per_group, 32);
    field32!(frags_per_group, set_frags_per_group, 36);
    field32!(inodes_per_group, set_inodes_per_group, 40);
    field32!(mtime, set_mtime, 44);
    field32!(wtime, set_wtime, 48);
    field16!(mnt_count, set_mnt_count, 52);
    field16!(max_mnt_count, set_max_mnt_count, 54);
    field16!(magic, set_magic, 56);
    field16!(state, set_state, 58);
    field16!(errors, set_errors, 60);
    field32!(lastcheck, set_lastcheck, 64);
    field32!(creator_os, set_creator_os, 72);
    field32!(rev_level, set_rev_level, 76);
    field32!(first_ino_raw, set_first_ino, 84);
    field16!(inode_size_raw, set_inode_size, 88);
    field16!(block_group_nr, set_block_group_nr, 90);
    field32!(feature_compat, set_feature_compat, 92);
    field32!(feature_incompat, set_feature_incompat, 96);
    field32!(feature_ro_compat, set_feature_ro_compat, 100);
    field32!(last_orphan, set_last_orphan, 232);
    field32!(mkfs_time, set_mkfs_time, 264);

    /// `s_uuid`.
    pub fn uuid(&self) -> [u8; 16] {
        let mut u = [0; 16];
        u.copy_from_slice(&self.raw[104..120]);
        u
    }
    pub fn set_uuid(&mut self, u: [u8; 16]) {
        self.raw[104..120].copy_from_slice(&u);
    }
    /// `s_volume_name`, up to the first NUL.
    pub fn volume_name(&self) -> Vec<u8> {
        let v = &self.raw[120..136];
        let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
        v[..end].to_vec()
    }
    pub fn set_volume_name(&mut self, name: &[u8]) {
        let n = name.len().min(16);
        self.raw[120..136].fill(0);
        self.raw[120..120 + n].copy_from_slice(&name[..n]);
    }
    /// `s_def_hash_version`.
    pub fn def_hash_version(&self) -> u8 {
        self.raw[252]
    }
    /// `s_hash_seed` (dir_index), four words.
    pub fn hash_seed(&self) -> [u32; 4] {
        [get32(&self.raw, 236), get32(&self.raw, 240), get32(&self.raw, 244), get32(&self.raw, 248)]
    }
    /// `s_flags` bit 0x2: directory hashes treat name bytes as unsigned.
    pub fn unsigned_hash(&self) -> bool {
        get32(&self.raw, 352) & 0x2 != 0
    }
    /// `s_reserved_gdt_blocks` (resize_inode).
    pub fn reserved_gdt_blocks(&self) -> u16 {
        get16(&self.raw, 206)
    }

    /// Block size in bytes (`1024 << s_log_block_size`), validated.
    pub fn block_size(&self) -> Result<u32> {
        let log = self.log_block_size();
        // 64 KiB is the largest block size Linux and e2fsprogs accept.
        if log > 6 {
            return corrupt(CorruptKind::Superblock("s_log_block_size", u64::from(log)));
        }
        Ok(1024 << log)
    }
    /// `s_first_ino` (11 for revision 0).
    pub fn first_ino(&self) -> u32 {
        if self.rev_level() == 0 {
            11
        } else {
            self.first_ino_raw()
        }
    }
    /// Inode record size (128 for revision 0).
    pub fn inode_size(&self) -> u32 {
        if self.rev_level() == 0 {
            128
        } else {
            u32::from(self.inode_size_raw())
        }
    }
    pub fn has_compat(&self, f: u32) -> bool {
        self.feature_compat() & f != 0
    }
    pub fn has_incompat(&self, f: u32) -> bool {
        self.feature_incompat() & f != 0
    }
    pub fn has_ro_compat(&self, f: u32) -> bool {
        self.feature_ro_compat() & f != 0
    }

    /// Checks the incompat features: unknown ones make mounting impossible.
    pub fn check_incompat(&self) -> Result<()> {
        if self.rev_level() > 1 {
            return Err(Ext2Error::Unsupported(format!("revision {}", self.rev_level())));
        }
        let unknown = self.feature_incompat() & !INCOMPAT_SUPPORTED;
        if unknown != 0 {
            let names: Vec<String> = (0..32)
                .map(|b| 1u32 << b)
                .filter(|bit| unknown & bit != 0)
                .map(|bit| format!("{} ({bit:#x})", incompat_name(bit)))
                .collect();
            return Err(Ext2Error::Unsupported(format!("incompat {}", names.join(", "))));
        }
        Ok(())
    }

    /// Whether unknown ro_compat features force a read-only mount.
    pub fn needs_read_only(&self) -> bool {
        self.feature_ro_compat() & !RO_COMPAT_SUPPORTED != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb() -> Superblock {
        let mut s = Superblock::zeroed();
        s.set_magic(EXT2_MAGIC);
        s.set_rev_level(1);
        s
    }

    #[test]
    fn rejects_bad_magic() {
        let raw = vec![0u8; 1024];
        assert!(matches!(Superblock::from_bytes(&raw), Err(Ext2Error::Corrupt(CorruptKind::BadMagic(0)))));
    }

    #[test]
    fn unknown_incompat_is_refused_with_its_name() {
        let mut s = sb();
        s.set_feature_incompat(INCOMPAT_FILETYPE | 0x40);
        let e = s.check_incompat().unwrap_err();
        assert!(e.to_string().contains("extent"), "{e}");
        s.set_feature_incompat(INCOMPAT_FILETYPE);
        assert!(s.check_incompat().is_ok());
    }

    #[test]
    fn unknown_ro_compat_means_read_only() {
        let mut s = sb();
        s.set_feature_ro_compat(RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE);
        assert!(!s.needs_read_only());
        s.set_feature_ro_compat(RO_COMPAT_SPARSE_SUPER | 0x400);
        assert!(s.needs_read_only());
    }

    #[test]
    fn rev0_has_fixed_inode_geometry() {
        let mut s = sb();
        s.set_rev_level(0);
        s.set_inode_size(512);
        assert_eq!(s.inode_size(), 128);
        assert_eq!(s.first_ino(), 11);
    }

    #[test]
    fn huge_block_size_is_corrupt() {
        let mut s = sb();
        s.set_log_block_size(30);
        assert!(s.block_size().is_err());
        s.set_log_block_size(2);
        assert_eq!(s.block_size().unwrap(), 4096);
    }
}
