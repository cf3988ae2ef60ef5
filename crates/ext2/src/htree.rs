//! Hashed (`dir_index`) directories.
//!
//! An htree directory's leaves are ordinary directory blocks, and its index
//! blocks are shaped to look like empty directory blocks (the root hides the
//! index behind a `..` entry whose `rec_len` spans the block; interior nodes
//! are one unused entry spanning the block). So a linear scan reads an
//! indexed directory correctly; [`Ext2::htree_find`] uses the index to read
//! only the leaf a name hashes to (legacy, half-MD4 and TEA hashes, signed or
//! unsigned, with the superblock's seed — as e2fsprogs' `ext2fs_dirhash`),
//! and gives up (so the caller scans linearly) on anything it does not trust.
//!
//! Modifications: removing an entry merges it into its predecessor inside the
//! same leaf, which leaves every hash range intact, so the index stays valid.
//! A new entry goes into the leaf its hash selects when that leaf has room,
//! which also keeps the index valid (leaves are unsorted; only their hash
//! ranges matter). When that leaf is full the directory's `EXT2_INDEX_FL` is
//! cleared and the entry placed linearly: the directory becomes a plain
//! linear one, which `e2fsck` accepts (it only re-indexes with `-D`) and
//! Linux reads.
//!
//! Not done yet: leaf splits (so a full leaf costs the index).

use crate::bytes::{get16, get32};
use crate::dir::{DirBlockIter, Found};
use crate::error::Result;
use crate::fs::Ext2;
use crate::inode::{Inode, EXT2_INDEX_FL};
use wasmpod_blockdev::BlockDevice;

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

/// Hash algorithms of `dx_root_info.hash_version`.
const HASH_LEGACY: u8 = 0;
const HASH_HALF_MD4: u8 = 1;
const HASH_TEA: u8 = 2;

/// Packs name bytes into hash input words (e2fsprogs' `str2hashbuf`).
fn str2hashbuf(msg: &[u8], num: usize, unsigned: bool) -> [u32; 8] {
    let len = msg.len() as u32;
    let mut pad = len | (len << 8);
    pad |= pad << 16;
    let mut out = [pad; 8];
    let mut val = pad;
    let mut k = 0;
    for (i, &byte) in msg.iter().take(num * 4).enumerate() {
        let c = if unsigned { u32::from(byte) } else { byte as i8 as i32 as u32 };
        val = c.wrapping_add(val << 8);
        if i % 4 == 3 {
            out[k] = val;
            k += 1;
            val = pad;
        }
    }
    if k < num {
        out[k] = val;
    }
    out
}

fn half_md4(buf: &mut [u32; 4], inp: &[u32; 8]) {
    const K2: u32 = 0o13240474631;
    const K3: u32 = 0o15666365641;
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let [mut a, mut b, mut c, mut d] = *buf;
    macro_rules! round {
        ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $x:expr, $s:expr) => {
            $a = $a.wrapping_add($f($b, $c, $d)).wrapping_add($x).rotate_left($s);
        };
    }
    round!(f, a, b, c, d, inp[0], 3);
    round!(f, d, a, b, c, inp[1], 7);
    round!(f, c, d, a, b, inp[2], 11);
    round!(f, b, c, d, a, inp[3], 19);
    round!(f, a, b, c, d, inp[4], 3);
    round!(f, d, a, b, c, inp[5], 7);
    round!(f, c, d, a, b, inp[6], 11);
    round!(f, b, c, d, a, inp[7], 19);
    round!(g, a, b, c, d, inp[1].wrapping_add(K2), 3);
    round!(g, d, a, b, c, inp[3].wrapping_add(K2), 5);
    round!(g, c, d, a, b, inp[5].wrapping_add(K2), 9);
    round!(g, b, c, d, a, inp[7].wrapping_add(K2), 13);
    round!(g, a, b, c, d, inp[0].wrapping_add(K2), 3);
    round!(g, d, a, b, c, inp[2].wrapping_add(K2), 5);
    round!(g, c, d, a, b, inp[4].wrapping_add(K2), 9);
    round!(g, b, c, d, a, inp[6].wrapping_add(K2), 13);
    round!(h, a, b, c, d, inp[3].wrapping_add(K3), 3);
    round!(h, d, a, b, c, inp[7].wrapping_add(K3), 9);
    round!(h, c, d, a, b, inp[2].wrapping_add(K3), 11);
    round!(h, b, c, d, a, inp[6].wrapping_add(K3), 15);
    round!(h, a, b, c, d, inp[1].wrapping_add(K3), 3);
    round!(h, d, a, b, c, inp[5].wrapping_add(K3), 9);
    round!(h, c, d, a, b, inp[0].wrapping_add(K3), 11);
    round!(h, b, c, d, a, inp[4].wrapping_add(K3), 15);
    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

fn tea(buf: &mut [u32; 4], inp: &[u32; 8]) {
    const DELTA: u32 = 0x9E37_79B9;
    let (mut b0, mut b1) = (buf[0], buf[1]);
    let (a, b, c, d) = (inp[0], inp[1], inp[2], inp[3]);
    let mut sum = 0u32;
    for _ in 0..16 {
        sum = sum.wrapping_add(DELTA);
        b0 = b0.wrapping_add((b1 << 4).wrapping_add(a) ^ b1.wrapping_add(sum) ^ (b1 >> 5).wrapping_add(b));
        b1 = b1.wrapping_add((b0 << 4).wrapping_add(c) ^ b0.wrapping_add(sum) ^ (b0 >> 5).wrapping_add(d));
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

fn legacy(name: &[u8], unsigned: bool) -> u32 {
    let (mut h0, mut h1) = (0x12a3_fe2du32, 0x37ab_e8f9u32);
    for &byte in name {
        let c = if unsigned { u32::from(byte) } else { byte as i8 as i32 as u32 };
        let mut h = h1.wrapping_add(h0 ^ c.wrapping_mul(7_152_373));
        if h & 0x8000_0000 != 0 {
            h = h.wrapping_sub(0x7fff_ffff);
        }
        h1 = h0;
        h0 = h;
    }
    h0 << 1
}

/// The major hash of a name (e2fsprogs' `ext2fs_dirhash`), or `None` for an
/// unknown algorithm.
pub fn dirhash(name: &[u8], version: u8, seed: [u32; 4], unsigned: bool) -> Option<u32> {
    let mut buf =
        if seed.iter().any(|&w| w != 0) { seed } else { [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476] };
    let hash = match version {
        HASH_LEGACY => legacy(name, unsigned),
        HASH_HALF_MD4 => {
            let mut p = name;
            loop {
                half_md4(&mut buf, &str2hashbuf(p, 8, unsigned));
                if p.len() <= 32 {
                    break;
                }
                p = &p[32..];
            }
            buf[1]
        }
        HASH_TEA => {
            let mut p = name;
            loop {
                tea(&mut buf, &str2hashbuf(p, 4, unsigned));
                if p.len() <= 16 {
                    break;
                }
                p = &p[16..];
            }
            buf[0]
        }
        _ => return None,
    };
    let hash = hash & !1;
    // 0x7fffffff << 1 is reserved as the end-of-directory marker.
    Some(if hash == 0x7fff_ffff << 1 { (0x7fff_ffff - 1) << 1 } else { hash })
}

/// Deepest index Linux builds without `large_dir`.
const MAX_LEVELS: u8 = 2;

/// Reads (count, entries) of an index node's `dx_countlimit` at `off`;
/// entries are (hash, block), the first one's hash being implicitly 0.
fn dx_entries(block: &[u8], off: usize) -> Option<Vec<(u32, u32)>> {
    let limit = usize::from(get16(block, off));
    let count = usize::from(get16(block, off + 2));
    if count == 0 || count > limit || off + limit * 8 > block.len() {
        return None;
    }
    let mut v = Vec::with_capacity(count);
    v.push((0, get32(block, off + 4)));
    for i in 1..count {
        let e = off + i * 8;
        v.push((get32(block, e), get32(block, e + 4)));
    }
    Some(v)
}

impl<D: BlockDevice> Ext2<D> {
    /// Looks `name` up through the hash index. `Ok(None)` means the index
    /// cannot be used (then scan linearly); `Ok(Some(None))` means absent.
    pub(crate) fn htree_find(&mut self, ino: u32, dir: &Inode, name: &[u8]) -> Result<Option<Option<Found>>> {
        Ok(self.htree_probe(ino, dir, name)?.map(|(_, f)| f))
    }

    /// The leaf block a new entry named `name` belongs in, if the index is usable.
    pub(crate) fn htree_leaf(&mut self, ino: u32, dir: &Inode, name: &[u8]) -> Result<Option<u64>> {
        Ok(self.htree_probe(ino, dir, name)?.map(|(leaf, _)| leaf))
    }

    /// Walks the index to the leaf for `name`: (that leaf, the entry if found).
    fn htree_probe(&mut self, ino: u32, dir: &Inode, name: &[u8]) -> Result<Option<(u64, Option<Found>)>> {
        // `.` and `..` live in the root block's header, not in any leaf
        // (Linux skips the index for them too).
        if !is_indexed(dir) || !self.sb.has_compat(crate::superblock::COMPAT_DIR_INDEX) || name == b"." || name == b".."
        {
            return Ok(None);
        }
        let nblocks = self.dir_nblocks(dir);
        let root_phys = self.dir_block(ino, dir, 0)?;
        let root = self.io.block(root_phys)?;
        if root.len() < 40 || get32(root, 24) != 0 || root[29] != 8 || root[30] >= MAX_LEVELS {
            return Ok(None);
        }
        let (version, levels) = (root[28], root[30]);
        let Some(hash) = dirhash(name, version, self.sb.hash_seed(), self.sb.unsigned_hash()) else {
            return Ok(None);
        };
        let Some(mut entries) = dx_entries(root, 32) else {
            return Ok(None);
        };
        for level in 0..=levels {
            // Last entry whose hash is <= ours.
            let pos = entries.iter().rposition(|&(h, _)| h <= hash).unwrap_or(0);
            let lblk = u64::from(entries[pos].1);
            if lblk == 0 || lblk >= nblocks {
                return Ok(None);
            }
            let phys = self.dir_block(ino, dir, lblk)?;
            if level < levels {
                let node = self.io.block(phys)?;
                match dx_entries(node, 8) {
                    Some(e) if get32(node, 0) == 0 => entries = e,
                    _ => return Ok(None),
                }
                continue;
            }
            // Leaf; on a miss, follow hash-collision continuations.
            let mut pos = pos;
            let mut leaf = lblk;
            loop {
                let phys = self.dir_block(ino, dir, leaf)?;
                let bs = u64::from(self.geo.block_size);
                let block = self.io.block(phys)?;
                for e in DirBlockIter::new(block, self.filetype, ino, leaf * bs) {
                    let e = e?;
                    if e.inode != 0 && e.name(block) == name {
                        return Ok(Some((lblk, Some(Found { lblk: leaf, phys, off: e.off, ino: e.inode }))));
                    }
                }
                match entries.get(pos + 1) {
                    Some(&(h, b)) if h & 1 == 1 && h & !1 == hash && u64::from(b) < nblocks => {
                        pos += 1;
                        leaf = u64::from(b);
                    }
                    // A collision run may also continue in the next index
                    // block; that rare case goes to the linear scan.
                    None if levels > 0 => return Ok(None),
                    _ => return Ok(Some((lblk, None))),
                }
            }
        }
        Ok(None)
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

    #[test]
    fn hashes_are_even_and_algorithm_dependent() {
        let s = [0; 4];
        let a = dirhash(b"hello", HASH_HALF_MD4, s, true).unwrap();
        let b = dirhash(b"hello", HASH_TEA, s, true).unwrap();
        let c = dirhash(b"hello", HASH_LEGACY, s, true).unwrap();
        assert!(a & 1 == 0 && b & 1 == 0 && c & 1 == 0);
        assert!(a != b && b != c);
        assert_eq!(dirhash(b"x", 9, s, true), None);
    }
}
