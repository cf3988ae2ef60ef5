mod common;
use common::*;
use wasmpod_ext2::mkfs::{format, MkfsOptions};
use wasmpod_ext2::{Ext2, ROOT_INO};

#[test]
fn formatted_image_is_fsck_clean() {
    for bs in [1024u32, 2048, 4096] {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img");
        let dev = format(MemDevice::new(8 << 20), &MkfsOptions { block_size: bs, inodes: 512, ..Default::default() })
            .unwrap();
        dev.save(&img);
        assert_fsck_clean(&img);
        let mut fs = Ext2::open(MemDevice::from_file(&img)).unwrap();
        let f = fs.create(ROOT_INO, b"hello", 0o644, 1000, 1000).unwrap();
        fs.write(f, 0, b"hello world").unwrap();
        let d = fs.mkdir(ROOT_INO, b"sub", 0o755, 0, 0).unwrap();
        fs.symlink(d, b"link", b"../hello", 0, 0).unwrap();
        let dev = fs.unmount().unwrap();
        dev.save(&img);
        assert_fsck_clean(&img);
        assert_eq!(debugfs(&img, "cat /hello"), b"hello world");
    }
}
