//! Symbolic links: fast (target inside `i_block`, under 60 bytes) and slow
//! (target in one data block), as Linux and e2fsprogs lay them out.

use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::fs::Ext2;
use crate::inode::Inode;
use wasmpod_blockdev::BlockDevice;

/// Targets shorter than this live in `i_block` (60 bytes, no NUL needed).
pub const FAST_SYMLINK_MAX: usize = 60;

impl<D: BlockDevice> Ext2<D> {
    /// Data blocks of an inode, excluding its extended-attribute block.
    pub(crate) fn data_sectors(&self, inode: &Inode) -> u32 {
        let acl = if inode.file_acl() != 0 { self.geo.block_size / 512 } else { 0 };
        inode.blocks().saturating_sub(acl)
    }

    /// Implements readlink: the target of symlink `ino`.
    pub fn readlink(&mut self, ino: u32) -> Result<Vec<u8>> {
        let inode = self.read_inode(ino)?;
        if !inode.is_symlink() {
            return Err(Ext2Error::InvalidArgument("not a symlink"));
        }
        let size = inode.size() as usize;
        if self.data_sectors(&inode) == 0 {
            if size >= FAST_SYMLINK_MAX {
                return corrupt(CorruptKind::Inode(ino, "fast symlink too long"));
            }
            return Ok(inode.block_bytes()[..size].to_vec());
        }
        if size >= self.geo.block_size as usize {
            return corrupt(CorruptKind::Inode(ino, "symlink longer than a block"));
        }
        let Some(b) = self.bmap(ino, &inode, 0)? else {
            return corrupt(CorruptKind::Inode(ino, "slow symlink without a block"));
        };
        Ok(self.io.block(b)?[..size].to_vec())
    }

    /// Stores a symlink target into a fresh inode.
    pub(crate) fn store_symlink(&mut self, ino: u32, inode: &mut Inode, target: &[u8]) -> Result<()> {
        if target.len() < FAST_SYMLINK_MAX {
            inode.block_bytes_mut()[..target.len()].copy_from_slice(target);
        } else {
            let goal = self.inode_goal(ino);
            let (b, _) = self.bmap_alloc(ino, inode, 0, goal)?;
            let mut block = vec![0u8; self.geo.block_size as usize];
            block[..target.len()].copy_from_slice(target);
            self.io.write_data(b, &block)?;
        }
        inode.set_size(target.len() as u64);
        Ok(())
    }
}
