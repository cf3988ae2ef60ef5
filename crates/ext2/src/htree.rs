//! Hashed (`dir_index`) directories.
//!
//! An htree directory's leaves are ordinary directory blocks, and its index
//! blocks are shaped to look like empty directory blocks (the root hides the
//! index behind a `..` entry whose `rec_len` spans the block; interior nodes
//! are one unused entry spanning the block). So a linear scan of every block
//! reads an indexed directory correctly, and that is what this driver does:
//! lookups are linear, not hashed.
//!
//! Modifications: removing an entry merges it into its predecessor inside the
//! same leaf, which leaves every hash range intact, so the index stays valid.
//! Adding an entry could land in a leaf outside the name's hash range, so the
//! directory's `EXT2_INDEX_FL` is cleared first: the directory becomes a
//! plain linear one, which `e2fsck` accepts (it only re-indexes with `-D`)
//! and Linux reads.
//!
//! Not done yet: hash computation (legacy, half-MD4, TEA) for O(log n)
//! lookups and for inserting while keeping the index.

use crate::inode::{Inode, EXT2_INDEX_FL};

/// Whether the directory carries a hash index.
pub fn is_indexed(dir: &Inode) -> bool {
    dir.flags() & EXT2_INDEX_FL != 0
}

/// Drops the index before an insertion (see the module docs).
pub(crate) fn clear_index_on_insert(dir: &mut Inode) {
    if is_indexed(dir) {
        dir.set_flags(dir.flags() & !EXT2_INDEX_FL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inode::S_IFDIR;

    #[test]
    fn insertion_clears_only_the_index_flag() {
        let mut d = Inode::new(256);
        d.set_mode(S_IFDIR | 0o755);
        d.set_flags(EXT2_INDEX_FL | 0x10);
        assert!(is_indexed(&d));
        clear_index_on_insert(&mut d);
        assert!(!is_indexed(&d));
        assert_eq!(d.flags(), 0x10);
    }
}
