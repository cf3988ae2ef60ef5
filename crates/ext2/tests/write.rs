//! Write paths, each ending with `e2fsck -fn` on the image.
mod common;
use common::*;

use std::path::Path;
use wasmpod_ext2::mkfs::{format, MkfsOptions};
use wasmpod_ext2::{Ext2, Ext2Error, FileType, SetAttr, Timespec, ROOT_INO};

fn fresh(bs: u32, mib: usize) -> Ext2<MemDevice> {
    let dev = format(
        MemDevice::new(mib << 20),
        &MkfsOptions { block_size: bs, inodes: 2048, uuid: [7; 16], ..Default::default() },
    )
    .unwrap();
    let mut fs = Ext2::open(dev).unwrap();
    fs.set_clock(|| Timespec::new(1_700_000_000, 5));
    fs
}

fn finish(fs: Ext2<MemDevice>, img: &Path) {
    fs.unmount().unwrap().save(img);
    assert_fsck_clean(img);
}

fn names(fs: &mut Ext2<MemDevice>, dir: u32) -> Vec<String> {
    let mut v: Vec<String> = fs
        .read_dir_all(dir)
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .filter(|n| n != "." && n != "..")
        .collect();
    v.sort();
    v
}

#[test]
fn writes_across_every_indirection_level_and_holes() {
    for bs in [1024u32, 4096] {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img");
        let mut fs = fresh(bs, 40);
        let f = fs.create(ROOT_INO, b"f", 0o644, 0, 0).unwrap();
        let p = u64::from(bs / 4);
        let b = u64::from(bs);
        // Data at the last direct block, inside single/double/triple indirect ranges.
        let offsets = [0, 11 * b - 500, 12 * b + 600, (12 + p) * b - 3, (12 + p + p * p) * b + 7, 5 << 30];
        for (i, &off) in offsets.iter().enumerate() {
            fs.write(f, off, &vec![i as u8 + 1; 1000]).unwrap();
        }
        for (i, &off) in offsets.iter().enumerate() {
            let mut buf = vec![0; 1000];
            assert_eq!(fs.read(f, off, &mut buf).unwrap(), 1000);
            assert!(buf.iter().all(|&x| x == i as u8 + 1), "offset {off}");
        }
        let mut hole = vec![1u8; 100];
        fs.read(f, 40 * b, &mut hole).unwrap();
        assert!(hole.iter().all(|&x| x == 0));
        assert_eq!(fs.stat(f).unwrap().size, (5 << 30) + 1000);
        finish(fs, &img);
        let out = String::from_utf8(debugfs(&img, "stat /f")).unwrap();
        assert!(out.contains(&format!("Size: {}", (5u64 << 30) + 1000)), "{out}");
    }
}

#[test]
fn truncate_shrinks_extends_and_zeroes_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let mut fs = fresh(1024, 16);
    let free0 = fs.statfs().free_blocks;
    let f = fs.create(ROOT_INO, b"t", 0o600, 0, 0).unwrap();
    fs.write(f, 0, &vec![7u8; 400 * 1024]).unwrap();
    fs.truncate(f, 1500).unwrap();
    fs.truncate(f, 5000).unwrap();
    let mut buf = vec![9u8; 5000];
    fs.read(f, 0, &mut buf).unwrap();
    assert!(buf[..1500].iter().all(|&x| x == 7));
    assert!(buf[1500..].iter().all(|&x| x == 0), "tail after truncate must read as zeros");
    fs.truncate(f, 0).unwrap();
    assert_eq!(fs.statfs().free_blocks, free0);
    fs.write(f, 100 * 1024, b"x").unwrap();
    finish(fs, &img);
}

#[test]
fn namespace_operations_keep_links_and_dotdot_right() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let mut fs = fresh(4096, 16);
    let a = fs.mkdir(ROOT_INO, b"a", 0o755, 0, 0).unwrap();
    let b = fs.mkdir(ROOT_INO, b"b", 0o755, 0, 0).unwrap();
    let c = fs.mkdir(a, b"c", 0o700, 0, 0).unwrap();
    let f = fs.create(c, b"file", 0o644, 0, 0).unwrap();
    fs.write(f, 0, b"data").unwrap();
    fs.link(f, b, b"hard").unwrap();
    assert_eq!(fs.stat(f).unwrap().nlink, 2);
    // Move directory c from a to b.
    fs.rename(a, b"c", b, b"c2").unwrap();
    assert_eq!(fs.lookup(c, b"..").unwrap(), b);
    assert_eq!(fs.stat(a).unwrap().nlink, 2);
    assert_eq!(fs.stat(b).unwrap().nlink, 3);
    // A directory cannot move under itself.
    assert!(matches!(fs.rename(b, b"c2", c, b"x"), Err(Ext2Error::InvalidArgument(_))));
    // Replace an existing file.
    let g = fs.create(ROOT_INO, b"g", 0o644, 0, 0).unwrap();
    fs.rename(b, b"hard", ROOT_INO, b"g").unwrap();
    assert_eq!(fs.lookup(ROOT_INO, b"g").unwrap(), f);
    assert!(fs.stat(g).is_err(), "replaced inode is freed");
    // Replace an empty directory with a directory.
    let e = fs.mkdir(ROOT_INO, b"empty", 0o755, 0, 0).unwrap();
    fs.rename(b, b"c2", ROOT_INO, b"empty").unwrap();
    assert_eq!(fs.lookup(ROOT_INO, b"empty").unwrap(), c);
    assert!(fs.stat(e).is_err());
    assert_eq!(fs.stat(b).unwrap().nlink, 2);
    // Type mismatches and non-empty targets.
    fs.mkdir(ROOT_INO, b"full", 0o755, 0, 0).unwrap();
    let full = fs.lookup(ROOT_INO, b"full").unwrap();
    fs.create(full, b"x", 0o644, 0, 0).unwrap();
    assert!(matches!(fs.rename(ROOT_INO, b"empty", ROOT_INO, b"full"), Err(Ext2Error::NotEmpty)));
    assert!(matches!(fs.rename(ROOT_INO, b"g", ROOT_INO, b"full"), Err(Ext2Error::IsDir)));
    assert!(matches!(fs.rename(ROOT_INO, b"full", ROOT_INO, b"g"), Err(Ext2Error::NotDir)));
    assert!(matches!(fs.rmdir(ROOT_INO, b"full"), Err(Ext2Error::NotEmpty)));
    assert!(matches!(fs.unlink(ROOT_INO, b"full"), Err(Ext2Error::IsDir)));
    assert!(matches!(fs.create(ROOT_INO, b"g", 0o644, 0, 0), Err(Ext2Error::Exists)));
    assert!(matches!(fs.lookup(ROOT_INO, b"nope"), Err(Ext2Error::NotFound)));
    assert!(matches!(fs.create(ROOT_INO, &[b'n'; 256], 0o644, 0, 0), Err(Ext2Error::NameTooLong)));
    fs.unlink(full, b"x").unwrap();
    fs.rmdir(ROOT_INO, b"full").unwrap();
    // Renaming onto a hard link of itself is a no-op.
    fs.link(f, ROOT_INO, b"g2").unwrap();
    fs.rename(ROOT_INO, b"g", ROOT_INO, b"g2").unwrap();
    assert_eq!(names(&mut fs, ROOT_INO), ["a", "b", "empty", "g", "g2", "lost+found"]);
    finish(fs, &img);
}

#[test]
fn special_files_symlinks_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let mut fs = fresh(1024, 8);
    let c = fs.mknod(ROOT_INO, b"null", 0o20666, (1, 3), 0, 0).unwrap();
    let b = fs.mknod(ROOT_INO, b"nvme", 0o60660, (259, 70000), 0, 6).unwrap();
    fs.mknod(ROOT_INO, b"fifo", 0o10644, (0, 0), 0, 0).unwrap();
    fs.mknod(ROOT_INO, b"sock", 0o140755, (0, 0), 0, 0).unwrap();
    assert_eq!(fs.stat(c).unwrap().rdev, (1, 3));
    assert_eq!(fs.stat(b).unwrap().rdev, (259, 70000));
    let short = fs.symlink(ROOT_INO, b"s", b"target", 0, 0).unwrap();
    let long_target = vec![b'z'; 900];
    let long = fs.symlink(ROOT_INO, b"l", &long_target, 0, 0).unwrap();
    assert_eq!(fs.readlink(short).unwrap(), b"target");
    assert_eq!(fs.readlink(long).unwrap(), long_target);
    assert_eq!(fs.stat(short).unwrap().blocks, 0);
    assert_eq!(fs.stat(long).unwrap().blocks, 2);
    let f = fs.create(ROOT_INO, b"f", 0o644, 0, 0).unwrap();
    let t = Timespec::new(1_600_000_000, 123_456_789);
    let st = fs
        .setattr(
            f,
            &SetAttr {
                mode: Some(0o2755),
                uid: Some(100_000),
                gid: Some(7),
                atime: Some(t),
                mtime: Some(t),
                ctime: None,
            },
        )
        .unwrap();
    assert_eq!(st.mode, 0o102755);
    assert_eq!((st.uid, st.gid), (100_000, 7));
    assert_eq!(st.mtime, t);
    assert_eq!(st.atime, t);
    let types: Vec<FileType> = fs.read_dir_all(ROOT_INO).unwrap().into_iter().map(|e| e.file_type).collect();
    assert!(types.contains(&FileType::CharDevice) && types.contains(&FileType::Socket));
    finish(fs, &img);
    let out = String::from_utf8(debugfs(&img, "stat /f")).unwrap();
    assert!(out.contains("User: 100000"), "{out}");
    assert!(out.contains("0x5f5e1000:1d6f3454"), "ns mtime: {out}");
}

#[test]
fn unlinked_open_file_is_an_orphan_until_release() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let mut fs = fresh(1024, 8);
    let free0 = fs.statfs().free_blocks;
    let a = fs.create(ROOT_INO, b"a", 0o644, 0, 0).unwrap();
    let b = fs.create(ROOT_INO, b"b", 0o644, 0, 0).unwrap();
    fs.write(a, 0, &[1u8; 20000]).unwrap();
    fs.write(b, 0, &[2u8; 3000]).unwrap();
    fs.acquire(a).unwrap();
    fs.acquire(b).unwrap();
    fs.unlink(ROOT_INO, b"a").unwrap();
    fs.unlink(ROOT_INO, b"b").unwrap();
    assert_eq!(fs.superblock().last_orphan(), b);
    let mut buf = [0u8; 10];
    fs.read(a, 0, &mut buf).unwrap();
    assert_eq!(buf, [1u8; 10], "still readable through the open reference");
    // Clean path: releasing frees the blocks and empties the list.
    fs.release(a).unwrap();
    fs.release(b).unwrap();
    assert_eq!(fs.superblock().last_orphan(), 0);
    assert_eq!(fs.statfs().free_blocks, free0);
    finish(fs, &img);
}

#[test]
fn orphans_survive_an_unclean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let crashed = dir.path().join("crashed");
    let mut fs = fresh(1024, 8);
    let free0 = fs.statfs().free_blocks;
    for name in [&b"a"[..], b"b", b"c"] {
        let f = fs.create(ROOT_INO, name, 0o644, 0, 0).unwrap();
        fs.write(f, 0, &[1u8; 20000]).unwrap();
        fs.acquire(f).unwrap();
        fs.unlink(ROOT_INO, name).unwrap();
    }
    // Power cut: everything synced, never unmounted, nothing released.
    let dev = fs.into_device_unclean().unwrap();
    dev.save(&crashed);
    let (code, out) = e2fsck_with(&crashed, "-fp");
    // 1 = "errors corrected": the not-clean state was reset along the way.
    assert!(code <= 1, "e2fsck -fp processes the orphan list without asking: {out}");
    assert!(out.contains("Clearing orphaned inode"), "{out}");
    assert_fsck_clean(&crashed);
    // Our own read-write mount processes the list as well.
    let fs = Ext2::open(dev).unwrap();
    assert_eq!(fs.superblock().last_orphan(), 0);
    assert_eq!(fs.statfs().free_blocks, free0);
    let img = dir.path().join("img");
    finish(fs, &img);
}

#[test]
fn unclean_stop_leaves_state_not_clean() {
    let fs = fresh(4096, 8);
    let dev = fs.into_device_unclean().unwrap();
    let fs = Ext2::open_read_only(dev).unwrap();
    assert_eq!(fs.superblock().state() & 1, 0);
    let dev = fs.unmount().unwrap();
    let fs = Ext2::open(dev).unwrap();
    let dev = fs.unmount().unwrap();
    let fs = Ext2::open_read_only(dev).unwrap();
    assert_eq!(fs.superblock().state() & 1, 1);
    assert_eq!(fs.superblock().mnt_count(), 3);
}

#[test]
fn filling_the_disk_fails_cleanly_and_deleting_restores_counts() {
    for bs in [1024u32, 2048] {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img");
        let mut fs = fresh(bs, 2);
        let before = fs.statfs();
        let d = fs.mkdir(ROOT_INO, b"d", 0o755, 0, 0).unwrap();
        let mut made = Vec::new();
        let mut i = 0u32;
        let mut last_err = None;
        while last_err.is_none() {
            i += 1;
            let name = format!("file-with-a-long-name-to-grow-the-directory-{i:06}");
            match fs.create(d, name.as_bytes(), 0o644, 0, 0) {
                Ok(f) => {
                    made.push(name);
                    if let Err(e) = fs.write(f, u64::from(i % 7) * 13_000, &vec![i as u8; (i as usize * 997) % 30_000])
                    {
                        last_err = Some(e);
                    }
                }
                Err(e) => last_err = Some(e),
            }
        }
        assert!(matches!(last_err, Some(Ext2Error::NoSpace)), "{last_err:?}");
        fs.sync().unwrap();
        let (code, text) = {
            let dev = fs.into_device_unclean().unwrap();
            dev.save(&img);
            fs = Ext2::open(dev).unwrap();
            e2fsck(&img)
        };
        assert_eq!(code, 0, "full disk must still be consistent: {text}");
        for name in &made {
            fs.unlink(d, name.as_bytes()).unwrap();
        }
        fs.rmdir(ROOT_INO, b"d").unwrap();
        assert_eq!(fs.statfs().free_files, before.free_files);
        // The root directory may have kept a grown block; data blocks all came back.
        assert!(fs.statfs().free_blocks + 1 >= before.free_blocks);
        finish(fs, &img);
    }
}

#[test]
fn readdir_cookies_resume_across_batches_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    let mut fs = fresh(1024, 8);
    for i in 0..500 {
        fs.create(ROOT_INO, format!("n{i:03}").as_bytes(), 0o644, 0, 0).unwrap();
    }
    let mut seen = Vec::new();
    let mut cookie = 0;
    let mut batches = 0;
    loop {
        let batch = fs.readdir(ROOT_INO, cookie).unwrap();
        let Some(last) = batch.last() else { break };
        cookie = last.next;
        batches += 1;
        // Delete an entry we have already returned: later cookies stay valid.
        if batches == 3 {
            fs.unlink(ROOT_INO, b"n000").unwrap();
        }
        seen.extend(batch.into_iter().map(|e| e.name));
    }
    assert!(batches >= 5, "one batch per 1 KiB block: {batches}");
    let names: std::collections::BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(names.len(), seen.len(), "no entry twice");
    assert_eq!(names.len(), 500 + 3);
    finish(fs, &img);
}

#[test]
fn revision0_images_accept_writes() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    mke2fs(&img, None, 4096, &["-r", "0", "-b", "1024"]);
    let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
    let d = fs.mkdir(ROOT_INO, b"dir", 0o755, 0, 0).unwrap();
    let f = fs.create(d, b"f", 0o644, 0, 0).unwrap();
    fs.write(f, 0, &[3u8; 70_000]).unwrap();
    fs.symlink(d, b"s", b"f", 0, 0).unwrap();
    fs.mknod(d, b"c", 0o20600, (5, 1), 0, 0).unwrap();
    fs.rename(d, b"f", ROOT_INO, b"g").unwrap();
    assert!(matches!(fs.truncate(f, 3 << 30), Err(Ext2Error::FileTooBig)), "rev 0 has no large_file");
    let types: Vec<FileType> = fs.read_dir_all(d).unwrap().into_iter().map(|e| e.file_type).collect();
    assert!(types.contains(&FileType::Symlink) && types.contains(&FileType::CharDevice));
    finish(fs, &img);
}
