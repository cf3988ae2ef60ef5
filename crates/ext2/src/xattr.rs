//! Extended attributes: reading, and keeping them intact.
//!
//! Reads both the in-inode area (after `i_extra_isize`) and the external
//! block (`i_file_acl`, header magic 0xEA020000). Writes never touch
//! attribute bytes: inodes are rewritten from their full raw record, and when
//! an inode is freed its attribute block's `h_refcount` is decremented (the
//! block freed at zero), as Linux does. Setting or removing attributes is not
//! implemented yet.

use crate::bytes::{get16, get32, set32};
use crate::error::{corrupt, CorruptKind, Result};
use crate::fs::Ext2;
use crate::inode::Inode;
use wasmpod_blockdev::BlockDevice;

const XATTR_MAGIC: u32 = 0xEA02_0000;

/// Name prefix for an attribute index (`e_name_index`).
fn prefix(index: u8) -> &'static str {
    match index {
        1 => "user.",
        2 => "system.posix_acl_access",
        3 => "system.posix_acl_default",
        4 => "trusted.",
        6 => "security.",
        7 => "system.",
        8 => "system.richacl",
        _ => "unknown.",
    }
}

/// Parses entries starting at `first`; values are at `value_base + e_value_offs`.
fn parse_entries(
    ino: u32,
    area: &[u8],
    first: usize,
    value_base: usize,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<()> {
    let bad = || corrupt(CorruptKind::Xattr(ino));
    let mut off = first;
    loop {
        if off + 4 > area.len() {
            return bad();
        }
        if get32(area, off) == 0 {
            return Ok(());
        }
        if off + 16 > area.len() {
            return bad();
        }
        let name_len = usize::from(area[off]);
        let index = area[off + 1];
        let value_offs = usize::from(get16(area, off + 2));
        let value_inum = get32(area, off + 4);
        let value_size = get32(area, off + 8) as usize;
        let name_end = off + 16 + name_len;
        if name_end > area.len() || value_inum != 0 {
            return bad();
        }
        let vstart = value_base + value_offs;
        let Some(vend) = vstart.checked_add(value_size).filter(|&e| e <= area.len()) else {
            return bad();
        };
        let name = format!("{}{}", prefix(index), String::from_utf8_lossy(&area[off + 16..name_end]));
        out.push((name, area[vstart..vend].to_vec()));
        off = (name_end + 3) & !3;
    }
}

impl<D: BlockDevice> Ext2<D> {
    /// All extended attributes of an inode, full names (`user.foo`) and values.
    pub fn list_xattrs(&mut self, ino: u32) -> Result<Vec<(String, Vec<u8>)>> {
        let inode = self.read_inode(ino)?;
        let mut out = Vec::new();
        let extra = inode.extra_isize();
        let ibody = 128 + extra;
        if extra > 0 && ibody + 4 <= inode.raw.len() && get32(&inode.raw, ibody) == XATTR_MAGIC {
            let area = &inode.raw[ibody + 4..];
            parse_entries(ino, area, 0, 0, &mut out)?;
        }
        let acl = u64::from(inode.file_acl());
        if acl != 0 {
            if !self.geo.valid_block(acl) {
                return corrupt(CorruptKind::BlockNumber(ino, acl));
            }
            let block = self.io.block(acl)?;
            if block.len() < 32 || get32(block, 0) != XATTR_MAGIC {
                return corrupt(CorruptKind::Xattr(ino));
            }
            let block = block.to_vec();
            parse_entries(ino, &block, 32, 0, &mut out)?;
        }
        Ok(out)
    }

    /// One attribute's value.
    pub fn get_xattr(&mut self, ino: u32, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.list_xattrs(ino)?.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
    }

    /// Drops this inode's reference to its attribute block.
    pub(crate) fn release_xattr_block(&mut self, ino: u32, inode: &mut Inode) -> Result<()> {
        let acl = u64::from(inode.file_acl());
        if acl == 0 {
            return Ok(());
        }
        if !self.geo.valid_block(acl) {
            return corrupt(CorruptKind::BlockNumber(ino, acl));
        }
        let block = self.io.block(acl)?;
        if get32(block, 0) != XATTR_MAGIC {
            return corrupt(CorruptKind::Xattr(ino));
        }
        let refs = get32(block, 4);
        if refs > 1 {
            set32(self.io.block_mut(acl)?, 4, refs - 1);
        } else {
            self.free_block(acl)?;
        }
        inode.set_file_acl(0);
        inode.set_blocks(inode.blocks().saturating_sub(self.geo.block_size / 512));
        Ok(())
    }
}
