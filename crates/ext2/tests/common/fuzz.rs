//! Corrupted-image fuzzing shared by `tests/fuzz.rs` (a short run) and
//! `examples/fuzz_corrupt.rs` (long runs by hand).
//!
//! Base images come from `mke2fs -d` (1 KiB with hashed directories and an
//! external xattr block, 4 KiB, revision 0). Each run flips bytes in metadata
//! — superblock, descriptors, bitmaps, used inode-table blocks, directory,
//! indirect and xattr blocks — then mounts, walks and modifies the image.
//! Every outcome is fine except a panic (or a hang, which the caller sees).

use super::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasmpod_ext2::{Ext2, FileType, ROOT_INO};

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A base image and the byte ranges worth corrupting.
pub struct Base {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    /// (offset, len) of metadata regions.
    pub regions: Vec<(usize, usize)>,
}

fn metadata_regions(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut fs = Ext2::open_read_only(MemDevice { data: bytes.to_vec() }).expect("base image mounts");
    let bs = fs.geometry().block_size as usize;
    let isz = fs.geometry().inode_size as usize;
    let mut r = vec![(1024, 1024), (fs.geometry().gdt_start() as usize * bs, bs)];
    let gds = fs.group_descriptors().to_vec();
    for gd in &gds {
        r.push((gd.block_bitmap as usize * bs, bs));
        r.push((gd.inode_bitmap as usize * bs, bs));
    }
    // The part of group 0's inode table that holds used inodes.
    let used = (fs.geometry().inodes_count - fs.statfs().free_files as u32) as usize + 16;
    r.push((gds[0].inode_table as usize * bs, (used * isz).min(fs.geometry().inode_table_blocks as usize * bs)));
    let mut stack = vec![ROOT_INO];
    let mut seen = std::collections::HashSet::new();
    while let Some(d) = stack.pop() {
        if !seen.insert(d) {
            continue;
        }
        let (data, meta) = fs.inode_blocks(d).unwrap();
        for b in data.iter().chain(&meta) {
            r.push((*b as usize * bs, bs));
        }
        for e in fs.read_dir_all(d).unwrap() {
            if e.name == b"." || e.name == b".." {
                continue;
            }
            if let Ok(st) = fs.stat(e.ino) {
                if st.file_type == FileType::Directory {
                    stack.push(e.ino);
                } else if !seen.contains(&e.ino) {
                    seen.insert(e.ino);
                    let (_, meta) = fs.inode_blocks(e.ino).unwrap();
                    for b in meta {
                        r.push((b as usize * bs, bs));
                    }
                    if st.xattr_block != 0 {
                        r.push((st.xattr_block as usize * bs, bs));
                    }
                }
            }
        }
    }
    r
}

/// Makes the base images (needs mke2fs, e2fsck, debugfs).
pub fn bases() -> Vec<Base> {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    build_tree(&tree, 400, false);
    let mut out = Vec::new();
    for (name, args, rehash) in [
        ("1k-htree", &["-b", "1024", "-I", "128"][..], true),
        ("4k", &["-b", "4096"][..], false),
        ("rev0", &["-r", "0", "-b", "1024"][..], false),
    ] {
        let img = dir.path().join(name);
        mke2fs(&img, Some(&tree), 6 * 1024, args);
        if rehash {
            let (code, text) = e2fsck_with(&img, "-fyD");
            assert!(code <= 1, "{text}");
            let st = Command::new(tool("debugfs"))
                .args(["-w", "-R", "ea_set /f11 user.k value"])
                .arg(&img)
                .output()
                .unwrap();
            assert!(st.status.success());
        }
        let bytes = std::fs::read(&img).unwrap();
        let regions = metadata_regions(&bytes);
        out.push(Base { name, bytes, regions });
    }
    out
}

/// Mounts, walks and modifies a (corrupted) image; errors are expected.
pub fn exercise(bytes: Vec<u8>) {
    let Ok(mut fs) = Ext2::open(MemDevice { data: bytes }) else {
        return;
    };
    let mut budget = 3000usize;
    let mut files = Vec::new();
    let mut dirs = vec![ROOT_INO];
    let mut i = 0;
    while i < dirs.len() && budget > 0 {
        let d = dirs[i];
        i += 1;
        let Ok(entries) = fs.read_dir_all(d) else {
            continue;
        };
        for e in entries {
            budget = budget.saturating_sub(1);
            if budget == 0 || e.name == b"." || e.name == b".." {
                continue;
            }
            let _ = fs.lookup(d, &e.name);
            let Ok(st) = fs.stat(e.ino) else { continue };
            match st.file_type {
                FileType::Directory if dirs.len() < 200 => dirs.push(e.ino),
                FileType::Regular => {
                    let mut buf = vec![0u8; 64 * 1024];
                    let _ = fs.read(e.ino, 0, &mut buf);
                    let _ = fs.read(e.ino, st.size.saturating_sub(100), &mut buf[..100]);
                    let _ = fs.list_xattrs(e.ino);
                    files.push((d, e.name.clone(), e.ino));
                }
                FileType::Symlink => {
                    let _ = fs.readlink(e.ino);
                }
                _ => {}
            }
        }
    }
    let _ = fs.statfs();
    // Modifications through damaged metadata.
    for (k, (d, name, ino)) in files.iter().take(6).enumerate() {
        let _ = fs.write(*ino, (k as u64) * 5000, &[0x5A; 3000]);
        match k % 3 {
            0 => {
                let _ = fs.truncate(*ino, 100);
            }
            1 => {
                let _ = fs.unlink(*d, name);
            }
            _ => {
                let _ = fs.rename(*d, name, ROOT_INO, b"renamed");
            }
        }
    }
    for &d in dirs.iter().take(4) {
        if let Ok(f) = fs.create(d, b"fuzz-new", 0o644, 0, 0) {
            let _ = fs.write(f, 0, &[1u8; 20000]);
        }
        let _ = fs.mkdir(d, b"fuzz-dir", 0o755, 0, 0);
        let _ = fs.symlink(d, b"fuzz-link", &[b'l'; 100], 0, 0);
        let _ = fs.rmdir(d, b"fuzz-dir");
    }
    let _ = fs.unmount();
}

/// Corrupts `base` with a few byte flips chosen by `rng`.
pub fn corrupt(base: &Base, rng: &mut Rng) -> Vec<u8> {
    let mut b = base.bytes.clone();
    let flips = 1 + rng.below(6);
    for _ in 0..flips {
        let (off, len) = base.regions[rng.below(base.regions.len() as u64) as usize];
        if len == 0 || off + len > b.len() {
            continue;
        }
        let at = off + rng.below(len as u64) as usize;
        b[at] = match rng.below(4) {
            0 => b[at] ^ (1 << rng.below(8)),
            1 => 0,
            2 => 0xFF,
            _ => rng.next() as u8,
        };
    }
    b
}

/// Runs `runs` corruptions starting at `seed`; returns the failures.
pub fn fuzz(runs: u64, seed: u64, bases: &[Base]) -> Vec<String> {
    let mut failures = Vec::new();
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for run in 0..runs {
        let mut rng = Rng(seed.wrapping_add(run).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let base = &bases[rng.below(bases.len() as u64) as usize];
        let img = corrupt(base, &mut rng);
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| exercise(img))) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("seed {seed} run {run} ({}): panic: {msg}", base.name));
        }
    }
    std::panic::set_hook(prev);
    failures
}
