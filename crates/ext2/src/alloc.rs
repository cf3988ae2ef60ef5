//! Block and inode allocation.
//!
//! Blocks are taken at or after a goal (the previous block of the same file,
//! or the start of the inode's group), so files stay contiguous; inodes of
//! regular files go to the parent's group, directories to a group with
//! above-average free inodes and the most free blocks (a simplified Orlov).
//! Free counts in the group descriptors and the superblock are kept exact on
//! every change. Reserved blocks (`s_r_blocks_count`) are not enforced: the
//! driver does not know the caller's credentials.

use crate::bitmap;
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::fs::Ext2;
use wasmpod_blockdev::BlockDevice;

impl<D: BlockDevice> Ext2<D> {
    /// Allocates one block, preferably `goal` or the first free one after it.
    pub(crate) fn alloc_block(&mut self, goal: u64) -> Result<u64> {
        if self.sb.free_blocks_count() == 0 {
            return Err(Ext2Error::NoSpace);
        }
        let goal = if self.geo.valid_block(goal) { goal } else { self.geo.first_data_block };
        let g0 = self.geo.block_group(goal);
        let ngroups = self.geo.groups;
        for k in 0..=ngroups {
            let g = (g0 + k) % ngroups;
            if self.groups[g as usize].free_blocks == 0 {
                continue;
            }
            let start = if k == 0 { (goal - self.geo.group_first_block(g)) as usize } else { 0 };
            let nbits = self.geo.group_blocks(g) as usize;
            let bm_blk = u64::from(self.groups[g as usize].block_bitmap);
            let bm = self.io.block(bm_blk)?;
            let found = bitmap::find_zero(bm, start, nbits).or_else(|| {
                if start > 0 {
                    bitmap::find_zero(bm, 0, start)
                } else {
                    None
                }
            });
            let Some(bit) = found else { continue };
            bitmap::set(self.io.block_mut(bm_blk)?, bit);
            let gd = &mut self.groups[g as usize];
            gd.free_blocks -= 1;
            self.sb.set_free_blocks_count(self.sb.free_blocks_count() - 1);
            self.meta_dirty = true;
            return Ok(self.geo.group_first_block(g) + bit as u64);
        }
        Err(Ext2Error::NoSpace)
    }

    /// Returns a block to the free pool.
    pub(crate) fn free_block(&mut self, b: u64) -> Result<()> {
        if !self.geo.valid_block(b) {
            return corrupt(CorruptKind::Bitmap("freeing block out of range", b));
        }
        let g = self.geo.block_group(b);
        let bit = (b - self.geo.group_first_block(g)) as usize;
        let bm_blk = u64::from(self.groups[g as usize].block_bitmap);
        let bm = self.io.block_mut(bm_blk)?;
        if !bitmap::test(bm, bit) {
            return corrupt(CorruptKind::Bitmap("double free of block", b));
        }
        bitmap::clear(bm, bit);
        self.io.forget(b);
        let gd = &mut self.groups[g as usize];
        gd.free_blocks = gd.free_blocks.saturating_add(1);
        self.sb.set_free_blocks_count(self.sb.free_blocks_count().saturating_add(1));
        self.meta_dirty = true;
        Ok(())
    }

    /// Picks the group for a new inode.
    fn inode_group(&self, parent: u32, is_dir: bool) -> u32 {
        let ngroups = self.geo.groups;
        let pg = (parent.saturating_sub(1) / self.geo.inodes_per_group).min(ngroups - 1);
        if is_dir && parent == crate::inode::ROOT_INO && ngroups > 1 {
            // Spread top-level directories: above-average free inodes, most free blocks.
            let avg = self.sb.free_inodes_count() / ngroups;
            let best = (0..ngroups)
                .filter(|&g| {
                    let gd = &self.groups[g as usize];
                    u32::from(gd.free_inodes) >= avg.max(1)
                })
                .max_by_key(|&g| (self.groups[g as usize].free_blocks, std::cmp::Reverse(g)));
            if let Some(g) = best {
                return g;
            }
        }
        pg
    }

    /// Allocates an inode number near `parent`.
    pub(crate) fn alloc_inode(&mut self, parent: u32, is_dir: bool) -> Result<u32> {
        if self.sb.free_inodes_count() == 0 {
            return Err(Ext2Error::NoSpace);
        }
        let g0 = self.inode_group(parent, is_dir);
        let ngroups = self.geo.groups;
        let ipg = self.geo.inodes_per_group;
        for k in 0..ngroups {
            let g = (g0 + k) % ngroups;
            if self.groups[g as usize].free_inodes == 0 {
                continue;
            }
            // Inodes below s_first_ino are reserved.
            let start = if g == 0 { (self.geo.first_ino - 1) as usize } else { 0 };
            let bm_blk = u64::from(self.groups[g as usize].inode_bitmap);
            let bm = self.io.block(bm_blk)?;
            let Some(bit) = bitmap::find_zero(bm, start, ipg as usize) else {
                continue;
            };
            bitmap::set(self.io.block_mut(bm_blk)?, bit);
            let gd = &mut self.groups[g as usize];
            gd.free_inodes -= 1;
            if is_dir {
                gd.used_dirs = gd.used_dirs.saturating_add(1);
            }
            self.sb.set_free_inodes_count(self.sb.free_inodes_count() - 1);
            self.meta_dirty = true;
            return Ok(g * ipg + bit as u32 + 1);
        }
        Err(Ext2Error::NoSpace)
    }

    /// Clears an inode's bitmap bit and fixes the counts.
    pub(crate) fn free_inode_bit(&mut self, ino: u32, is_dir: bool) -> Result<()> {
        self.check_ino(ino)?;
        let ipg = self.geo.inodes_per_group;
        let g = (ino - 1) / ipg;
        let bit = ((ino - 1) % ipg) as usize;
        let bm_blk = u64::from(self.groups[g as usize].inode_bitmap);
        let bm = self.io.block_mut(bm_blk)?;
        if !bitmap::test(bm, bit) {
            return corrupt(CorruptKind::Bitmap("double free of inode", u64::from(ino)));
        }
        bitmap::clear(bm, bit);
        let gd = &mut self.groups[g as usize];
        gd.free_inodes = gd.free_inodes.saturating_add(1);
        if is_dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        self.sb.set_free_inodes_count(self.sb.free_inodes_count().saturating_add(1));
        self.meta_dirty = true;
        Ok(())
    }
}
