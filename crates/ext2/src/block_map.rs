//! The classic ext2 block map: 12 direct pointers, then single, double and
//! triple indirect blocks.
//!
//! Maps logical file blocks to physical ones, allocates the path on write
//! (zeroed indirect blocks, `i_blocks` kept in 512-byte units including
//! indirect blocks), and frees everything past a cut point on truncate,
//! releasing indirect blocks that become empty. Every pointer read from disk
//! is range-checked. Extents (ext4) are not supported.

use crate::bytes::{get32, set32};
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::fs::Ext2;
use crate::inode::{Inode, NDIR_BLOCKS};
use wasmpod_blockdev::BlockDevice;

/// Where a logical block lives: the `i_block` slot and the indexes inside each
/// level of indirect blocks (outermost first).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MapPath {
    pub slot: usize,
    pub idx: Vec<usize>,
}

/// Computes the path of logical block `lblk` with `p` pointers per block.
pub(crate) fn map_path(lblk: u64, p: u64) -> Option<MapPath> {
    if lblk < NDIR_BLOCKS as u64 {
        return Some(MapPath { slot: lblk as usize, idx: vec![] });
    }
    let mut rest = lblk - NDIR_BLOCKS as u64;
    let mut span = p;
    for depth in 1..=3usize {
        if rest < span {
            let mut idx = vec![0usize; depth];
            let mut r = rest;
            for d in (0..depth).rev() {
                idx[d] = (r % p) as usize;
                r /= p;
            }
            return Some(MapPath { slot: NDIR_BLOCKS + depth - 1, idx });
        }
        rest -= span;
        span = span.checked_mul(p)?;
    }
    None
}

/// Number of logical blocks addressable with `p` pointers per block.
pub(crate) fn max_blocks(p: u64) -> u64 {
    NDIR_BLOCKS as u64 + p + p * p + p * p * p
}

impl<D: BlockDevice> Ext2<D> {
    fn ptrs_per_block(&self) -> u64 {
        u64::from(self.geo.block_size / 4)
    }

    fn sectors_per_block(&self) -> u32 {
        self.geo.block_size / 512
    }

    fn check_ptr(&self, ino: u32, b: u32) -> Result<u64> {
        let b = u64::from(b);
        if !self.geo.valid_block(b) {
            return corrupt(CorruptKind::BlockNumber(ino, b));
        }
        Ok(b)
    }

    /// Physical block of logical block `lblk`, or `None` for a hole.
    pub(crate) fn bmap(&mut self, ino: u32, inode: &Inode, lblk: u64) -> Result<Option<u64>> {
        let Some(path) = map_path(lblk, self.ptrs_per_block()) else {
            return Ok(None);
        };
        let mut b = inode.block(path.slot);
        for &i in &path.idx {
            if b == 0 {
                return Ok(None);
            }
            let blk = self.check_ptr(ino, b)?;
            b = get32(self.io.block(blk)?, i * 4);
        }
        if b == 0 {
            return Ok(None);
        }
        Ok(Some(self.check_ptr(ino, b)?))
    }

    /// Physical block of `lblk`, allocating it (and indirect blocks) if needed.
    /// Returns the block and whether it was newly allocated. All blocks the
    /// path needs are allocated before any is linked, so running out of space
    /// leaves nothing half-attached. The caller writes the inode back.
    pub(crate) fn bmap_alloc(&mut self, ino: u32, inode: &mut Inode, lblk: u64, goal: u64) -> Result<(u64, bool)> {
        let path = map_path(lblk, self.ptrs_per_block()).ok_or(Ext2Error::FileTooBig)?;
        let levels = path.idx.len();
        // Walk what exists; find where the path stops.
        let mut cur = inode.block(path.slot);
        let mut hole_at: Option<(u64, usize)> = None;
        if cur != 0 {
            for (level, &i) in path.idx.iter().enumerate() {
                let parent = self.check_ptr(ino, cur)?;
                let next = get32(self.io.block(parent)?, i * 4);
                if next == 0 {
                    hole_at = Some((parent, level));
                    break;
                }
                cur = next;
            }
            if hole_at.is_none() {
                return Ok((self.check_ptr(ino, cur)?, false));
            }
        }
        let (missing, first_idx) = match hole_at {
            None => (levels + 1, 0),
            Some((_, level)) => (levels - level, level + 1),
        };
        let add = (missing as u32)
            .checked_mul(self.sectors_per_block())
            .and_then(|a| inode.blocks().checked_add(a))
            .ok_or(Ext2Error::FileTooBig)?;
        let mut new = Vec::with_capacity(missing);
        let mut goal = goal;
        for _ in 0..missing {
            match self.alloc_block(goal) {
                Ok(b) => {
                    goal = b + 1;
                    new.push(b);
                }
                Err(e) => {
                    for b in new {
                        self.free_block(b)?;
                    }
                    return Err(e);
                }
            }
        }
        // Link: each new indirect block points at the next new block.
        for k in 0..missing - 1 {
            let blk = self.io.zero_block(new[k])?;
            set32(blk, path.idx[first_idx + k] * 4, new[k + 1] as u32);
        }
        match hole_at {
            None => inode.set_block(path.slot, new[0] as u32),
            Some((parent, level)) => set32(self.io.block_mut(parent)?, path.idx[level] * 4, new[0] as u32),
        }
        inode.set_blocks(add);
        Ok((new[missing - 1], true))
    }

    /// Frees every block at logical index `>= first` (truncate).
    pub(crate) fn free_from(&mut self, ino: u32, inode: &mut Inode, first: u64) -> Result<()> {
        let p = self.ptrs_per_block();
        for slot in 0..NDIR_BLOCKS {
            if slot as u64 >= first && inode.block(slot) != 0 {
                let b = self.check_ptr(ino, inode.block(slot))?;
                self.free_block(b)?;
                self.sub_iblocks(inode);
                inode.set_block(slot, 0);
            }
        }
        let mut base = NDIR_BLOCKS as u64;
        let mut span = p;
        for depth in 1..=3u32 {
            let slot = NDIR_BLOCKS + depth as usize - 1;
            let b = inode.block(slot);
            if b != 0 && first < base + span {
                let cut = first.saturating_sub(base);
                let empty = self.free_tree(ino, inode, b, depth, cut)?;
                if empty {
                    let blk = self.check_ptr(ino, b)?;
                    self.free_block(blk)?;
                    self.sub_iblocks(inode);
                    inode.set_block(slot, 0);
                }
            }
            base += span;
            span = span.saturating_mul(p);
        }
        Ok(())
    }

    /// Every block an inode owns: (data blocks, indirect blocks), in tree
    /// order. Symlinks stored inline and device inodes own none.
    pub fn inode_blocks(&mut self, ino: u32) -> Result<(Vec<u64>, Vec<u64>)> {
        let inode = self.read_inode(ino)?;
        let mut data = Vec::new();
        let mut meta = Vec::new();
        let owns = inode.is_reg() || inode.is_dir() || (inode.is_symlink() && self.data_sectors(&inode) > 0);
        if !owns {
            return Ok((data, meta));
        }
        for slot in 0..NDIR_BLOCKS {
            if inode.block(slot) != 0 {
                data.push(self.check_ptr(ino, inode.block(slot))?);
            }
        }
        for depth in 1..=3u32 {
            let b = inode.block(NDIR_BLOCKS + depth as usize - 1);
            if b != 0 {
                self.collect_tree(ino, b, depth, &mut data, &mut meta)?;
            }
        }
        Ok((data, meta))
    }

    fn collect_tree(&mut self, ino: u32, b: u32, depth: u32, data: &mut Vec<u64>, meta: &mut Vec<u64>) -> Result<()> {
        let blk = self.check_ptr(ino, b)?;
        meta.push(blk);
        let p = self.ptrs_per_block() as usize;
        let ptrs: Vec<u32> = {
            let d = self.io.block(blk)?;
            (0..p).map(|i| get32(d, i * 4)).filter(|&x| x != 0).collect()
        };
        for c in ptrs {
            if depth == 1 {
                data.push(self.check_ptr(ino, c)?);
            } else {
                self.collect_tree(ino, c, depth - 1, data, meta)?;
            }
        }
        Ok(())
    }

    fn sub_iblocks(&self, inode: &mut Inode) {
        inode.set_blocks(inode.blocks().saturating_sub(self.sectors_per_block()));
    }

    /// Frees entries of indirect block `b` (at `depth`, 1 = points at data)
    /// covering logical offsets `>= cut` within it; returns whether the block
    /// is now all zero and may be freed by the caller.
    fn free_tree(&mut self, ino: u32, inode: &mut Inode, b: u32, depth: u32, cut: u64) -> Result<bool> {
        let blk = self.check_ptr(ino, b)?;
        let p = self.ptrs_per_block();
        let span = p.pow(depth - 1);
        let ptrs: Vec<u32> = {
            let data = self.io.block(blk)?;
            (0..p as usize).map(|i| get32(data, i * 4)).collect()
        };
        for (i, &child) in ptrs.iter().enumerate() {
            if child == 0 {
                continue;
            }
            let start = i as u64 * span;
            if start + span <= cut {
                continue;
            }
            let sub_cut = cut.saturating_sub(start);
            let free_child = if depth == 1 { true } else { self.free_tree(ino, inode, child, depth - 1, sub_cut)? };
            if free_child {
                let cb = self.check_ptr(ino, child)?;
                self.free_block(cb)?;
                self.sub_iblocks(inode);
                set32(self.io.block_mut(blk)?, i * 4, 0);
            }
        }
        let data = self.io.block(blk)?;
        Ok(data.iter().all(|&x| x == 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_at_level_boundaries() {
        let p = 256; // 1 KiB blocks
        assert_eq!(map_path(11, p), Some(MapPath { slot: 11, idx: vec![] }));
        assert_eq!(map_path(12, p), Some(MapPath { slot: 12, idx: vec![0] }));
        assert_eq!(map_path(12 + 255, p), Some(MapPath { slot: 12, idx: vec![255] }));
        assert_eq!(map_path(12 + 256, p), Some(MapPath { slot: 13, idx: vec![0, 0] }));
        assert_eq!(map_path(12 + 256 + 257, p), Some(MapPath { slot: 13, idx: vec![1, 1] }));
        let t = 12 + 256 + 256 * 256;
        assert_eq!(map_path(t, p), Some(MapPath { slot: 14, idx: vec![0, 0, 0] }));
        assert_eq!(map_path(max_blocks(p) - 1, p), Some(MapPath { slot: 14, idx: vec![255, 255, 255] }));
        assert_eq!(map_path(max_blocks(p), p), None);
    }
}
