//! Modifying images that mke2fs made (htree directories, resize inode,
//! extended attributes), then `e2fsck -fn`.
mod common;
use common::*;

use std::process::Command;
use wasmpod_ext2::{Ext2, Ext2Error, ROOT_INO};

fn debugfs_w(img: &std::path::Path, req: &str) {
    let st = Command::new("/usr/sbin/debugfs").args(["-w", "-R", req]).arg(img).output().unwrap();
    assert!(st.status.success());
}

#[test]
fn indexed_directory_stays_valid_through_deletes_and_inserts() {
    for bs in ["1024", "4096"] {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        std::fs::create_dir(&tree).unwrap();
        build_tree(&tree, 3000, false);
        let img = dir.path().join("img");
        mke2fs(&img, Some(&tree), 64 * 1024, &["-b", bs]);
        let (code, out) = e2fsck_with(&img, "-fyD");
        assert!(code <= 1, "{out}");
        let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
        let big = fs.lookup(ROOT_INO, b"bigdir").unwrap();
        assert!(fs.stat(big).unwrap().flags & 0x1000 != 0);
        // Deletions keep the index.
        for i in (0..3000).step_by(3) {
            fs.unlink(big, format!("entry-with-a-longish-name-{i:05}").as_bytes()).unwrap();
        }
        let dev = fs.unmount().unwrap();
        dev.save(&img);
        assert_fsck_clean(&img);
        let mut fs = Ext2::open(dev).unwrap();
        assert!(fs.stat(big).unwrap().flags & 0x1000 != 0, "deletes keep the index");
        // Insertions go to the leaf their hash selects while it has room:
        // the index stays (and e2fsck checks every leaf's hash range).
        let f = fs.create(big, b"new-file", 0o644, 0, 0).unwrap();
        fs.write(f, 0, b"new").unwrap();
        for i in 0..20 {
            fs.create(big, format!("added-{i}").as_bytes(), 0o644, 0, 0).unwrap();
        }
        assert!(fs.stat(big).unwrap().flags & 0x1000 != 0, "room in the leaves keeps the index");
        let dev = fs.unmount().unwrap();
        dev.save(&img);
        assert_fsck_clean(&img);
        let mut fs = Ext2::open(dev).unwrap();
        // Filling a leaf turns the directory linear.
        let mut i = 0;
        while fs.stat(big).unwrap().flags & 0x1000 != 0 {
            let n = format!("filler-with-a-long-name-{i:06}");
            fs.create(big, n.as_bytes(), 0o644, 0, 0).unwrap();
            i += 1;
        }
        assert!(i >= 1);
        for k in 0..i {
            let n = format!("filler-with-a-long-name-{k:06}");
            assert!(fs.lookup(big, n.as_bytes()).is_ok(), "{n}");
        }
        fs.rename(big, b"entry-with-a-longish-name-00001", ROOT_INO, b"moved").unwrap();
        for i in (2..3000).step_by(3) {
            let n = format!("entry-with-a-longish-name-{i:05}");
            assert!(fs.lookup(big, n.as_bytes()).is_ok(), "{n}");
        }
        assert!(matches!(fs.lookup(big, b"entry-with-a-longish-name-00000"), Err(Ext2Error::NotFound)));
        fs.unmount().unwrap().save(&img);
        assert_fsck_clean(&img);
        assert_eq!(debugfs(&img, "cat /bigdir/new-file"), b"new");
        assert_eq!(debugfs(&img, "cat /moved"), b"1\n");
    }
}

#[test]
fn extended_attributes_are_read_and_released() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("a"), b"a").unwrap();
    std::fs::write(tree.join("b"), b"b").unwrap();
    let img = dir.path().join("img");
    mke2fs(&img, Some(&tree), 4096, &["-b", "1024", "-I", "128"]);
    // 128-byte inodes: attributes go to an external block.
    debugfs_w(&img, "ea_set /a user.color blue");
    debugfs_w(&img, "ea_set /a user.size 1234567");
    assert_fsck_clean(&img);
    let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
    let a = fs.lookup(ROOT_INO, b"a").unwrap();
    assert_eq!(fs.get_xattr(a, "user.color").unwrap().as_deref(), Some(&b"blue"[..]));
    assert_eq!(fs.list_xattrs(a).unwrap().len(), 2);
    // Writes keep the attributes.
    fs.write(a, 0, b"changed").unwrap();
    fs.unmount().unwrap().save(&img);
    assert_fsck_clean(&img);
    let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
    assert_eq!(fs.get_xattr(a, "user.size").unwrap().as_deref(), Some(&b"1234567"[..]));
    fs.unlink(ROOT_INO, b"a").unwrap();
    fs.unmount().unwrap().save(&img);
    assert_fsck_clean(&img);
}

#[test]
fn in_inode_attributes_survive_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("a"), b"a").unwrap();
    let img = dir.path().join("img");
    mke2fs(&img, Some(&tree), 4096, &["-b", "4096"]);
    debugfs_w(&img, "ea_set /a user.k v");
    let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
    let a = fs.lookup(ROOT_INO, b"a").unwrap();
    fs.setattr(a, &wasmpod_ext2::SetAttr { mode: Some(0o600), ..Default::default() }).unwrap();
    fs.write(a, 0, &[5u8; 10000]).unwrap();
    assert_eq!(fs.get_xattr(a, "user.k").unwrap().as_deref(), Some(&b"v"[..]));
    fs.unmount().unwrap().save(&img);
    assert_fsck_clean(&img);
}

#[test]
fn resize_inode_images_accept_writes_until_full() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    mke2fs(&img, None, 2048, &["-b", "1024"]);
    let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
    let f = fs.create(ROOT_INO, b"fill", 0o644, 0, 0).unwrap();
    let chunk = vec![0xABu8; 64 * 1024];
    let mut off = 0u64;
    loop {
        match fs.write(f, off, &chunk) {
            Ok(n) if n == chunk.len() => off += n as u64,
            Ok(n) => {
                off += n as u64;
                break;
            }
            Err(Ext2Error::NoSpace) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(fs.statfs().free_blocks, 0);
    assert_eq!(fs.stat(f).unwrap().size, off);
    fs.unmount().unwrap().save(&img);
    assert_fsck_clean(&img);
}

#[test]
fn unknown_features_refuse_or_force_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    mke2fs(&img, None, 2048, &["-b", "1024"]);
    let mut bytes = std::fs::read(&img).unwrap();
    // Set ro_compat bit 0x400 (metadata_csum's neighbour): read-only.
    bytes[1024 + 101] |= 0x04;
    let fs = Ext2::open(MemDevice { data: bytes.clone() }).unwrap();
    assert!(fs.is_read_only());
    bytes[1024 + 101] &= !0x04;
    // Set incompat extents: refused with a clear error.
    bytes[1024 + 96] |= 0x40;
    let e = Ext2::open(MemDevice { data: bytes }).err().unwrap();
    assert!(matches!(e, Ext2Error::Unsupported(_)));
    assert!(e.to_string().contains("extent"), "{e}");
}
