//! Open references, the orphan list and inode eviction.
//!
//! The VFS reports opens ([`Ext2::acquire`]) and last closes
//! ([`Ext2::release`]). An inode whose last link goes while open is chained
//! on the on-disk orphan list (`s_last_orphan`, next pointer in `i_dtime`),
//! so that after an unclean stop `e2fsck` (or our next read-write mount)
//! frees it; otherwise it is evicted at once.

use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::fs::Ext2;
use wasmpod_blockdev::BlockDevice;

impl<D: BlockDevice> Ext2<D> {
    /// Records an open reference to `ino` (the VFS opened it).
    pub fn acquire(&mut self, ino: u32) -> Result<()> {
        self.live_inode(ino)?;
        *self.open_refs.entry(ino).or_insert(0) += 1;
        Ok(())
    }

    /// Drops an open reference; the last one frees an unlinked inode.
    pub fn release(&mut self, ino: u32) -> Result<()> {
        let Some(n) = self.open_refs.get_mut(&ino) else {
            return Err(Ext2Error::InvalidArgument("release without acquire"));
        };
        *n -= 1;
        if *n > 0 {
            return Ok(());
        }
        self.open_refs.remove(&ino);
        let i = self.read_inode(ino)?;
        if i.links() == 0 && !self.read_only {
            self.orphan_remove(ino)?;
            self.evict(ino)?;
        }
        Ok(())
    }

    /// The last link went: free now, or orphan until release.
    pub(crate) fn drop_inode(&mut self, ino: u32) -> Result<()> {
        if self.open_refs.contains_key(&ino) {
            self.orphan_add(ino)
        } else {
            self.evict(ino)
        }
    }

    pub(crate) fn orphan_add(&mut self, ino: u32) -> Result<()> {
        let mut i = self.read_inode(ino)?;
        i.set_dtime(self.sb.last_orphan());
        self.write_inode(ino, &i)?;
        self.sb.set_last_orphan(ino);
        self.meta_dirty = true;
        // The list head must reach the disk before anything else does.
        self.write_superblock()
    }

    pub(crate) fn orphan_remove(&mut self, ino: u32) -> Result<()> {
        let next = self.read_inode(ino)?.dtime();
        if self.sb.last_orphan() == ino {
            self.sb.set_last_orphan(next);
            self.meta_dirty = true;
            return Ok(());
        }
        let mut cur = self.sb.last_orphan();
        for _ in 0..self.geo.inodes_count {
            if cur == 0 {
                return Ok(());
            }
            self.check_ino(cur).map_err(|_| Ext2Error::Corrupt(CorruptKind::OrphanList(cur)))?;
            let mut ci = self.read_inode(cur)?;
            if ci.dtime() == ino {
                ci.set_dtime(next);
                return self.write_inode(cur, &ci);
            }
            cur = ci.dtime();
        }
        corrupt(CorruptKind::OrphanList(ino))
    }

    /// Frees orphans left by an unclean stop (at read-write mount).
    pub(crate) fn process_orphans(&mut self) -> Result<()> {
        let mut cur = self.sb.last_orphan();
        let mut n = 0u32;
        while cur != 0 {
            n += 1;
            if n > self.geo.inodes_count || cur < self.geo.first_ino || cur > self.geo.inodes_count {
                return corrupt(CorruptKind::OrphanList(cur));
            }
            let mut i = self.read_inode(cur)?;
            let next = i.dtime();
            self.sb.set_last_orphan(next);
            if i.links() == 0 && i.mode() != 0 {
                self.evict(cur)?;
            } else {
                i.set_dtime(0);
                self.write_inode(cur, &i)?;
            }
            cur = next;
        }
        self.meta_dirty = true;
        Ok(())
    }

    /// Frees an inode with no links: its blocks, xattr block and number.
    pub(crate) fn evict(&mut self, ino: u32) -> Result<()> {
        let mut i = self.read_inode(ino)?;
        let has_blocks = i.is_reg() || i.is_dir() || (i.is_symlink() && self.data_sectors(&i) > 0);
        if has_blocks {
            self.free_from(ino, &mut i, 0)?;
        }
        self.release_xattr_block(ino, &mut i)?;
        let is_dir = i.is_dir();
        i.set_links(0);
        i.set_size(0);
        // e2fsck takes a dtime below s_inodes_count for an orphan-list link,
        // so never store one, whatever the clock says.
        let floor = self.geo.inodes_count.saturating_add(1).max(self.sb.wtime());
        i.set_dtime((self.now().sec.clamp(0, i64::from(u32::MAX)) as u32).max(floor));
        self.write_inode(ino, &i)?;
        self.dir_hint.remove(&ino);
        self.free_inode_bit(ino, is_dir)
    }
}
