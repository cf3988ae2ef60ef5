//! Images made by `mke2fs -d` are read back, file by file, against the tree.
mod common;
use common::*;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use wasmpod_blockdev::BlockDevice;
use wasmpod_ext2::{Ext2, FileType, ROOT_INO};

/// Compares our view of directory `ino` with host directory `host`, recursively.
fn compare<D: BlockDevice>(fs: &mut Ext2<D>, ino: u32, host: &Path, with_times: bool) -> usize {
    let mut ours: Vec<(Vec<u8>, u32, FileType)> = fs
        .read_dir_all(ino)
        .unwrap()
        .into_iter()
        .filter(|e| e.name != b"." && e.name != b".." && e.name != b"lost+found")
        .map(|e| (e.name, e.ino, e.file_type))
        .collect();
    ours.sort_by(|a, b| a.0.cmp(&b.0));
    let mut theirs: Vec<_> = std::fs::read_dir(host).unwrap().map(|e| e.unwrap()).collect();
    theirs.sort_by_key(|e| e.file_name());
    let names: Vec<Vec<u8>> = theirs.iter().map(|e| e.file_name().into_encoded_bytes()).collect();
    let our_names: Vec<Vec<u8>> = ours.iter().map(|o| o.0.clone()).collect();
    assert_eq!(our_names, names, "entries of {}", host.display());
    let mut count = 0;
    for ((name, child, ft), e) in ours.into_iter().zip(theirs) {
        count += 1;
        let p = e.path();
        let md = std::fs::symlink_metadata(&p).unwrap();
        let st = fs.stat(child).unwrap();
        assert_eq!(fs.lookup(ino, &name).unwrap(), child);
        assert_eq!(u32::from(st.mode), md.mode(), "mode of {}", p.display());
        assert_eq!((st.uid, st.gid), (md.uid(), md.gid()), "owner of {}", p.display());
        assert_eq!(st.nlink as u64, md.nlink(), "nlink of {}", p.display());
        if with_times {
            assert_eq!(st.mtime.sec, md.mtime(), "mtime of {}", p.display());
        }
        let t = md.file_type();
        if t.is_dir() {
            assert_eq!(ft, FileType::Directory);
            count += compare(fs, child, &p, with_times);
        } else if t.is_symlink() {
            assert_eq!(ft, FileType::Symlink);
            let target = std::fs::read_link(&p).unwrap().into_os_string().into_encoded_bytes();
            assert_eq!(fs.readlink(child).unwrap(), target, "target of {}", p.display());
        } else if t.is_file() {
            assert_eq!(ft, FileType::Regular);
            assert_eq!(st.size, md.len(), "size of {}", p.display());
            compare_file(fs, child, &p, md.len());
        } else if t.is_char_device() || t.is_block_device() {
            let rdev = md.rdev();
            let (major, minor) = (((rdev >> 8) & 0xfff) as u32, ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)) as u32);
            assert_eq!(st.rdev, (major, minor), "rdev of {}", p.display());
        } else {
            assert!(t.is_fifo() || t.is_socket());
            assert!(matches!(ft, FileType::Fifo | FileType::Socket));
        }
    }
    count
}

fn compare_file<D: BlockDevice>(fs: &mut Ext2<D>, ino: u32, p: &Path, len: u64) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(p).unwrap();
    // Files past 64 MiB are compared at their data and at sampled holes.
    let ranges: Vec<(u64, usize)> = if len <= 64 << 20 {
        vec![(0, len as usize)]
    } else {
        let mut r = vec![(0, 1 << 20), (len - (1 << 20), 1 << 20), (len / 2, 1 << 20)];
        r.push(((3 << 30) - 4096, 20000));
        r
    };
    for (off, n) in ranges {
        let mut a = vec![0u8; n];
        let mut b = vec![0u8; n];
        let got = fs.read(ino, off, &mut a).unwrap();
        f.read_exact_at(&mut b, off).unwrap();
        assert_eq!(got, n);
        assert!(a == b, "content of {} at {off}", p.display());
    }
    // Reading past the end returns 0.
    assert_eq!(fs.read(ino, len, &mut [0u8; 10]).unwrap(), 0);
}

fn check(args: &[&str], big_dir: usize, sparse: bool, rehash: bool) {
    check_with(args, big_dir, sparse, rehash, &[])
}

/// `ssv`: superblock fields set with debugfs before the directories are
/// re-indexed (hash algorithm, hash signedness in `s_flags`).
fn check_with(args: &[&str], big_dir: usize, sparse: bool, rehash: bool, ssv: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    build_tree(&tree, big_dir, sparse);
    let img = dir.path().join("img");
    mke2fs(&img, Some(&tree), 96 * 1024, args);
    for set in ssv {
        let o = std::process::Command::new("/usr/sbin/debugfs")
            .args(["-w", "-R", &format!("ssv {set}")])
            .arg(&img)
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    if rehash {
        // Build hash indexes for every directory, as e2fsck -D does.
        let (code, out) = e2fsck_with(&img, "-fyD");
        assert!(code <= 1, "e2fsck -fyD: {out}");
    }
    assert_fsck_clean(&img);
    let mut fs = Ext2::open_read_only(FileDevice::open(&img)).unwrap();
    let n = compare(&mut fs, ROOT_INO, &tree, true);
    assert!(n > big_dir);
    if rehash {
        let big = fs.lookup(ROOT_INO, b"bigdir").unwrap();
        let st = fs.stat(big).unwrap();
        assert!(st.flags & 0x1000 != 0, "bigdir should be indexed");
        // Regression: `..` and `.` are not in the hash leaves.
        assert_eq!(fs.lookup(big, b"..").unwrap(), ROOT_INO);
        assert_eq!(fs.lookup(big, b".").unwrap(), big);
    }
}

#[test]
fn mke2fs_1k_blocks_default_features() {
    check(&["-b", "1024"], 2000, true, false);
}

#[test]
fn mke2fs_4k_blocks_default_features() {
    check(&["-b", "4096"], 2000, true, false);
}

#[test]
fn mke2fs_2k_blocks_indexed_directories() {
    check(&["-b", "2048"], 2500, false, true);
}

#[test]
fn mke2fs_4k_blocks_indexed_directories() {
    check(&["-b", "4096"], 2500, false, true);
}

#[test]
fn mke2fs_without_dir_index() {
    check(&["-b", "1024", "-O", "^dir_index"], 2000, false, false);
}

#[test]
fn mke2fs_revision_0() {
    // Revision 0 has no filetype in entries and 128-byte inodes (no ns times).
    check(&["-r", "0", "-b", "1024"], 300, false, false);
}

#[test]
fn mke2fs_tea_hash_unsigned() {
    check_with(&["-b", "1024"], 3000, false, true, &["def_hash_version tea", "flags 2"]);
}

#[test]
fn mke2fs_legacy_hash_signed_two_levels() {
    // 1 KiB blocks and 6000 long names need a two-level index.
    check_with(&["-b", "1024"], 6000, false, true, &["def_hash_version legacy", "flags 1"]);
}

#[test]
fn mke2fs_half_md4_unsigned() {
    check_with(&["-b", "4096"], 3000, false, true, &["flags 2"]);
}
