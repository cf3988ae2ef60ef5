//! Directories: entry parsing, lookup, insertion, removal.
//!
//! Entries are the classic `ext2_dir_entry_2` records (`inode`, `rec_len`,
//! `name_len`, `file_type`; revision-0 / no-`filetype` filesystems use a
//! 16-bit `name_len`). An entry never crosses a block. Insertion takes the
//! first slack big enough (starting from a per-directory hint so that bulk
//! creation is not quadratic), else appends a block. Removal merges the entry
//! into its predecessor, or zeroes its inode when it heads the block — exactly
//! what Linux does, which also keeps an htree index valid. Insertion into an
//! indexed directory clears `EXT2_INDEX_FL` (see [`crate::htree`]).

use crate::bytes::{get16, get32, set16, set32};
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::fs::Ext2;
use crate::inode::{FileType, Inode};
use wasmpod_blockdev::BlockDevice;

/// Longest name an entry can hold.
pub const NAME_MAX: usize = 255;

/// Bytes an entry with a name of `len` bytes needs (8-byte header, 4-aligned).
pub(crate) fn rec_len_for(len: usize) -> usize {
    (8 + len + 3) & !3
}

/// One parsed entry of a directory block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawEntry {
    pub off: usize,
    pub inode: u32,
    pub rec_len: usize,
    pub name_len: usize,
    pub ftype: u8,
}

impl RawEntry {
    pub fn name<'a>(&self, block: &'a [u8]) -> &'a [u8] {
        &block[self.off + 8..self.off + 8 + self.name_len]
    }
    /// Bytes the live entry actually uses.
    pub fn used(&self) -> usize {
        if self.inode == 0 {
            0
        } else {
            rec_len_for(self.name_len)
        }
    }
}

/// Iterates the entries of one directory block, validating each.
pub(crate) struct DirBlockIter<'a> {
    block: &'a [u8],
    off: usize,
    filetype: bool,
    dir: u32,
    base: u64,
}

impl<'a> DirBlockIter<'a> {
    pub fn new(block: &'a [u8], filetype: bool, dir: u32, base: u64) -> Self {
        DirBlockIter { block, off: 0, filetype, dir, base }
    }
}

impl Iterator for DirBlockIter<'_> {
    type Item = Result<RawEntry>;
    fn next(&mut self) -> Option<Result<RawEntry>> {
        let bs = self.block.len();
        if self.off >= bs {
            return None;
        }
        let off = self.off;
        let bad = || Some(corrupt(CorruptKind::DirEntry(self.dir, self.base + off as u64)));
        if off + 8 > bs {
            self.off = bs;
            return bad();
        }
        let b = self.block;
        let mut rec_len = usize::from(get16(b, off + 4));
        if bs >= 65536 && (rec_len == 65535 || rec_len == 0) {
            rec_len = 65536;
        }
        let (name_len, ftype) =
            if self.filetype { (usize::from(b[off + 6]), b[off + 7]) } else { (usize::from(get16(b, off + 6)), 0) };
        if rec_len < 8 || rec_len % 4 != 0 || off + rec_len > bs || 8 + name_len > rec_len {
            self.off = bs;
            return bad();
        }
        self.off = off + rec_len;
        Some(Ok(RawEntry { off, inode: get32(b, off), rec_len, name_len, ftype }))
    }
}

/// Writes an entry header and name at `off`.
pub(crate) fn write_entry(
    block: &mut [u8],
    off: usize,
    ino: u32,
    rec_len: usize,
    name: &[u8],
    ftype: u8,
    filetype: bool,
) {
    set32(block, off, ino);
    set16(block, off + 4, if rec_len >= 65536 { 65535 } else { rec_len as u16 });
    if filetype {
        block[off + 6] = name.len() as u8;
        block[off + 7] = ftype;
    } else {
        set16(block, off + 6, name.len() as u16);
    }
    block[off + 8..off + 8 + name.len()].copy_from_slice(name);
}

/// Checks a name for create/link/rename targets.
pub(crate) fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > NAME_MAX {
        return Err(Ext2Error::NameTooLong);
    }
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0) {
        return Err(Ext2Error::InvalidArgument("bad file name"));
    }
    Ok(())
}

/// Where a found entry lives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found {
    pub lblk: u64,
    pub phys: u64,
    pub off: usize,
    pub ino: u32,
}

impl<D: BlockDevice> Ext2<D> {
    /// Number of blocks in a directory.
    pub(crate) fn dir_nblocks(&self, dir: &Inode) -> u64 {
        dir.size().div_ceil(u64::from(self.geo.block_size))
    }

    /// Physical block of a directory's logical block; directories have no holes.
    pub(crate) fn dir_block(&mut self, ino: u32, dir: &Inode, lblk: u64) -> Result<u64> {
        match self.bmap(ino, dir, lblk)? {
            Some(b) => Ok(b),
            None => corrupt(CorruptKind::DirStructure(ino, "hole in directory")),
        }
    }

    /// Finds `name` in directory `ino`.
    pub(crate) fn find_entry(&mut self, ino: u32, dir: &Inode, name: &[u8]) -> Result<Option<Found>> {
        if let Some(found) = self.htree_find(ino, dir, name)? {
            return Ok(found);
        }
        let ft = self.filetype;
        let bs = u64::from(self.geo.block_size);
        for lblk in 0..self.dir_nblocks(dir) {
            let phys = self.dir_block(ino, dir, lblk)?;
            let block = self.io.block(phys)?;
            for e in DirBlockIter::new(block, ft, ino, lblk * bs) {
                let e = e?;
                if e.inode != 0 && e.name(block) == name {
                    return Ok(Some(Found { lblk, phys, off: e.off, ino: e.inode }));
                }
            }
        }
        Ok(None)
    }

    /// Adds an entry; the caller has checked the name is absent. Updates and
    /// writes the directory inode (size, INDEX flag, times are the caller's).
    pub(crate) fn add_entry(
        &mut self,
        ino: u32,
        dir: &mut Inode,
        name: &[u8],
        target: u32,
        ftype: FileType,
    ) -> Result<()> {
        let ft = self.filetype;
        let ftb = if ft { ftype.to_dirent() } else { 0 };
        let bs = self.geo.block_size as usize;
        let nblocks = self.dir_nblocks(dir);
        if crate::htree::is_indexed(dir) {
            // The leaf the name hashes to keeps the index valid; if it is
            // full the directory becomes linear (see crate::htree).
            if let Some(leaf) = self.htree_leaf(ino, dir, name)? {
                if self.insert_in_block(ino, dir, leaf, name, target, ftb)? {
                    return self.write_inode(ino, dir);
                }
            }
            crate::htree::clear_index_on_insert(dir);
        }
        let hint = self.dir_hint.get(&ino).copied().unwrap_or(0).min(nblocks);
        for lblk in hint..nblocks {
            if self.insert_in_block(ino, dir, lblk, name, target, ftb)? {
                self.dir_hint.insert(ino, lblk);
                self.write_inode(ino, dir)?;
                return Ok(());
            }
        }
        // No room: append a block.
        let goal = match nblocks.checked_sub(1) {
            Some(last) => self.dir_block(ino, dir, last)? + 1,
            None => self.inode_goal(ino),
        };
        let (phys, _) = self.bmap_alloc(ino, dir, nblocks, goal)?;
        let mut block = vec![0u8; bs];
        write_entry(&mut block, 0, target, bs, name, ftb, ft);
        self.io.put_block(phys, block)?;
        dir.set_size((nblocks + 1) * bs as u64);
        self.dir_hint.insert(ino, nblocks);
        self.write_inode(ino, dir)?;
        Ok(())
    }

    /// Puts an entry into directory block `lblk` if it has room.
    fn insert_in_block(&mut self, ino: u32, dir: &Inode, lblk: u64, name: &[u8], target: u32, ftb: u8) -> Result<bool> {
        let ft = self.filetype;
        let need = rec_len_for(name.len());
        let bs = u64::from(self.geo.block_size);
        let phys = self.dir_block(ino, dir, lblk)?;
        let block = self.io.block(phys)?;
        let mut slot = None;
        for e in DirBlockIter::new(block, ft, ino, lblk * bs) {
            let e = e?;
            if e.rec_len - e.used() >= need {
                slot = Some(e);
                break;
            }
        }
        let Some(e) = slot else { return Ok(false) };
        let block = self.io.block_mut(phys)?;
        if e.inode == 0 {
            write_entry(block, e.off, target, e.rec_len, name, ftb, ft);
        } else {
            let used = e.used();
            set16(block, e.off + 4, used as u16);
            write_entry(block, e.off + used, target, e.rec_len - used, name, ftb, ft);
        }
        Ok(true)
    }

    /// Removes the entry found at `f` (merging it into its predecessor).
    pub(crate) fn remove_entry(&mut self, dir_ino: u32, f: &Found) -> Result<()> {
        let ft = self.filetype;
        let bs = self.geo.block_size as u64;
        let block = self.io.block(f.phys)?;
        let mut prev: Option<RawEntry> = None;
        let mut this = None;
        for e in DirBlockIter::new(block, ft, dir_ino, f.lblk * bs) {
            let e = e?;
            if e.off == f.off {
                this = Some(e);
                break;
            }
            prev = Some(e);
        }
        let Some(e) = this else {
            return corrupt(CorruptKind::DirEntry(dir_ino, f.lblk * bs + f.off as u64));
        };
        let block = self.io.block_mut(f.phys)?;
        match prev {
            Some(p) => set16(block, p.off + 4, (p.rec_len + e.rec_len).min(65535) as u16),
            None => set32(block, e.off, 0),
        }
        let h = self.dir_hint.entry(dir_ino).or_insert(f.lblk);
        *h = (*h).min(f.lblk);
        Ok(())
    }

    /// Points an existing entry at another inode (rename over an existing name).
    pub(crate) fn retarget_entry(&mut self, f: &Found, target: u32, ftype: FileType) -> Result<()> {
        let ft = self.filetype;
        let block = self.io.block_mut(f.phys)?;
        set32(block, f.off, target);
        if ft {
            block[f.off + 7] = ftype.to_dirent();
        }
        Ok(())
    }

    /// Whether a directory holds nothing but `.` and `..`.
    pub(crate) fn dir_is_empty(&mut self, ino: u32, dir: &Inode) -> Result<bool> {
        let ft = self.filetype;
        let bs = u64::from(self.geo.block_size);
        for lblk in 0..self.dir_nblocks(dir) {
            let phys = self.dir_block(ino, dir, lblk)?;
            let block = self.io.block(phys)?;
            for e in DirBlockIter::new(block, ft, ino, lblk * bs) {
                let e = e?;
                if e.inode != 0 && e.name(block) != b"." && e.name(block) != b".." {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Locates the `..` entry (second entry of block 0).
    pub(crate) fn find_dotdot(&mut self, ino: u32, dir: &Inode) -> Result<Found> {
        let ft = self.filetype;
        let phys = self.dir_block(ino, dir, 0)?;
        let block = self.io.block(phys)?;
        let mut it = DirBlockIter::new(block, ft, ino, 0);
        let dot = it.next().transpose()?;
        let dotdot = it.next().transpose()?;
        match (dot, dotdot) {
            (Some(d), Some(dd)) if d.name(block) == b"." && dd.name(block) == b".." => {
                Ok(Found { lblk: 0, phys, off: dd.off, ino: dd.inode })
            }
            _ => corrupt(CorruptKind::DirStructure(ino, "missing . or ..")),
        }
    }

    /// The first block of a new directory: `.` and `..`.
    pub(crate) fn new_dir_block(&self, ino: u32, parent: u32) -> Vec<u8> {
        let bs = self.geo.block_size as usize;
        let ft = self.filetype;
        let d = if ft { FileType::Directory.to_dirent() } else { 0 };
        let mut b = vec![0u8; bs];
        write_entry(&mut b, 0, ino, 12, b".", d, ft);
        write_entry(&mut b, 12, parent, bs - 12, b"..", d, ft);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rec_len_rounds_to_four() {
        assert_eq!(rec_len_for(1), 12);
        assert_eq!(rec_len_for(4), 12);
        assert_eq!(rec_len_for(5), 16);
        assert_eq!(rec_len_for(255), 264);
    }

    #[test]
    fn iterator_rejects_overlong_rec_len() {
        let mut b = vec![0u8; 1024];
        write_entry(&mut b, 0, 5, 2000, b"x", 1, true);
        let r: Vec<_> = DirBlockIter::new(&b, true, 2, 0).collect();
        assert!(matches!(r[0], Err(Ext2Error::Corrupt(CorruptKind::DirEntry(2, 0)))));
    }

    #[test]
    fn iterator_reads_revision0_name_len() {
        let mut b = vec![0u8; 1024];
        write_entry(&mut b, 0, 5, 1024, b"abc", 0, false);
        let e = DirBlockIter::new(&b, false, 2, 0).next().unwrap().unwrap();
        assert_eq!((e.inode, e.name(&b)), (5, &b"abc"[..]));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name(b"ok").is_ok());
        assert!(matches!(check_name(&[b'a'; 256]), Err(Ext2Error::NameTooLong)));
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\0"] {
            assert!(check_name(bad).is_err());
        }
    }
}
