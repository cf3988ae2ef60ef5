//! Block-group geometry and group descriptors.
//!
//! [`Geometry`] holds the validated shape of the filesystem (block size, group
//! counts, inode table size); every other module trusts its numbers.
//! [`GroupDesc`] is the 32-byte ext2 group descriptor. The 64-byte
//! descriptors of the `64bit` feature and `meta_bg` layouts are not supported
//! (those are incompat features and refused at mount).

use crate::bytes::{get16, get32, set16, set32};
use crate::error::{corrupt, CorruptKind, Result};
use crate::superblock::{Superblock, RO_COMPAT_SPARSE_SUPER};

/// Size of an ext2 group descriptor.
pub const DESC_SIZE: usize = 32;

/// Validated filesystem geometry.
#[derive(Clone, Debug)]
pub struct Geometry {
    pub block_size: u32,
    pub blocks_count: u64,
    pub first_data_block: u64,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub inodes_count: u32,
    pub inode_size: u32,
    pub first_ino: u32,
    pub groups: u32,
    /// Blocks holding the group descriptor table.
    pub gdt_blocks: u32,
    /// Blocks of inode table per group.
    pub inode_table_blocks: u32,
    pub sparse_super: bool,
}

impl Geometry {
    /// Derives and checks the geometry from a superblock.
    pub fn from_superblock(sb: &Superblock) -> Result<Geometry> {
        let bs = sb.block_size()?;
        let bad = |f: &'static str, v: u64| corrupt(CorruptKind::Superblock(f, v));
        let blocks_count = u64::from(sb.blocks_count());
        let first = u64::from(sb.first_data_block());
        let bpg = sb.blocks_per_group();
        let ipg = sb.inodes_per_group();
        let isz = sb.inode_size();
        if first >= blocks_count || first > 1 {
            return bad("s_first_data_block", first);
        }
        if bpg == 0 || bpg > bs * 8 || !bpg.is_multiple_of(8) {
            return bad("s_blocks_per_group", u64::from(bpg));
        }
        if ipg == 0 || ipg > bs * 8 || !ipg.is_multiple_of(8) {
            return bad("s_inodes_per_group", u64::from(ipg));
        }
        if isz < 128 || isz > bs || !isz.is_power_of_two() {
            return bad("s_inode_size", u64::from(isz));
        }
        let groups64 = (blocks_count - first).div_ceil(u64::from(bpg));
        let Ok(groups) = u32::try_from(groups64) else {
            return bad("s_blocks_count", blocks_count);
        };
        if u64::from(groups) * u64::from(ipg) != u64::from(sb.inodes_count()) {
            return bad("s_inodes_count", u64::from(sb.inodes_count()));
        }
        let first_ino = sb.first_ino();
        if first_ino < 11 || first_ino >= sb.inodes_count() {
            return bad("s_first_ino", u64::from(first_ino));
        }
        let gdt_blocks = (groups64 * DESC_SIZE as u64).div_ceil(u64::from(bs)) as u32;
        let inode_table_blocks = (u64::from(ipg) * u64::from(isz)).div_ceil(u64::from(bs)) as u32;
        Ok(Geometry {
            block_size: bs,
            blocks_count,
            first_data_block: first,
            blocks_per_group: bpg,
            inodes_per_group: ipg,
            inodes_count: sb.inodes_count(),
            inode_size: isz,
            first_ino,
            groups,
            gdt_blocks,
            inode_table_blocks,
            sparse_super: sb.has_ro_compat(RO_COMPAT_SPARSE_SUPER),
        })
    }

    /// First block of group `g`.
    pub fn group_first_block(&self, g: u32) -> u64 {
        self.first_data_block + u64::from(g) * u64::from(self.blocks_per_group)
    }

    /// Number of blocks in group `g` (the last group may be short).
    pub fn group_blocks(&self, g: u32) -> u32 {
        let start = self.group_first_block(g);
        (self.blocks_count - start).min(u64::from(self.blocks_per_group)) as u32
    }

    /// Group holding block `b` (`b >= first_data_block`).
    pub fn block_group(&self, b: u64) -> u32 {
        ((b.saturating_sub(self.first_data_block)) / u64::from(self.blocks_per_group)) as u32
    }

    /// Whether group `g` holds a superblock backup (sparse_super: 0, 1 and
    /// powers of 3, 5 and 7; otherwise every group).
    pub fn group_has_super(&self, g: u32) -> bool {
        if !self.sparse_super || g <= 1 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&base| {
            let mut p = base;
            while p < g {
                match p.checked_mul(base) {
                    Some(n) => p = n,
                    None => return false,
                }
            }
            p == g
        })
    }

    /// Block holding the group descriptor table's first block.
    pub fn gdt_start(&self) -> u64 {
        self.first_data_block + 1
    }

    /// Whether `b` is a valid block number for file data or metadata.
    pub fn valid_block(&self, b: u64) -> bool {
        b >= self.first_data_block && b < self.blocks_count
    }
}

/// One group descriptor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupDesc {
    pub block_bitmap: u32,
    pub inode_bitmap: u32,
    pub inode_table: u32,
    pub free_blocks: u16,
    pub free_inodes: u16,
    pub used_dirs: u16,
    /// Bytes 18..32, kept as found.
    pub rest: [u8; 14],
}

impl GroupDesc {
    pub fn parse(b: &[u8]) -> GroupDesc {
        let mut rest = [0; 14];
        rest.copy_from_slice(&b[18..32]);
        GroupDesc {
            block_bitmap: get32(b, 0),
            inode_bitmap: get32(b, 4),
            inode_table: get32(b, 8),
            free_blocks: get16(b, 12),
            free_inodes: get16(b, 14),
            used_dirs: get16(b, 16),
            rest,
        }
    }

    pub fn write(&self, b: &mut [u8]) {
        set32(b, 0, self.block_bitmap);
        set32(b, 4, self.inode_bitmap);
        set32(b, 8, self.inode_table);
        set16(b, 12, self.free_blocks);
        set16(b, 14, self.free_inodes);
        set16(b, 16, self.used_dirs);
        b[18..32].copy_from_slice(&self.rest);
    }

    /// Checks that the descriptor's blocks lie inside the filesystem.
    pub fn validate(&self, g: u32, geo: &Geometry) -> Result<()> {
        let bad = || corrupt(CorruptKind::GroupDescriptor(g));
        for b in [self.block_bitmap, self.inode_bitmap] {
            if !geo.valid_block(u64::from(b)) {
                return bad();
            }
        }
        let it = u64::from(self.inode_table);
        if !geo.valid_block(it) || it + u64::from(geo.inode_table_blocks) > geo.blocks_count {
            return bad();
        }
        if u32::from(self.free_inodes) > geo.inodes_per_group || u32::from(self.free_blocks) > geo.group_blocks(g) {
            return bad();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(sparse: bool) -> Geometry {
        Geometry {
            block_size: 1024,
            blocks_count: 100_000,
            first_data_block: 1,
            blocks_per_group: 8192,
            inodes_per_group: 256,
            inodes_count: 256 * 13,
            inode_size: 256,
            first_ino: 11,
            groups: 13,
            gdt_blocks: 1,
            inode_table_blocks: 64,
            sparse_super: sparse,
        }
    }

    #[test]
    fn sparse_super_backup_groups() {
        let g = geo(true);
        let with: Vec<u32> = (0..60).filter(|&i| g.group_has_super(i)).collect();
        assert_eq!(with, vec![0, 1, 3, 5, 7, 9, 25, 27, 49]);
        assert!(geo(false).group_has_super(4));
    }

    #[test]
    fn last_group_is_short() {
        let g = geo(true);
        assert_eq!(g.group_blocks(0), 8192);
        assert_eq!(g.group_blocks(12), (100_000 - 1 - 12 * 8192) as u32);
        assert_eq!(g.block_group(8193), 1);
    }

    #[test]
    fn descriptor_round_trips() {
        let d = GroupDesc {
            block_bitmap: 3,
            inode_bitmap: 4,
            inode_table: 5,
            free_blocks: 100,
            free_inodes: 50,
            used_dirs: 2,
            rest: [7; 14],
        };
        let mut b = [0u8; 32];
        d.write(&mut b);
        assert_eq!(GroupDesc::parse(&b), d);
    }
}
