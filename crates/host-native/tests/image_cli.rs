//! `wasmpod image` end to end: build, edit, extract; every image is checked
//! with `e2fsck -fn`, bad input must give one line on stderr and no panic.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn wasmpod(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmpod")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> Vec<u8> {
    let o = wasmpod(args);
    assert!(o.status.success(), "wasmpod {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// Fails with one stderr line, no panic.
fn fails(args: &[&str]) -> String {
    let o = wasmpod(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "wasmpod {args:?} should fail");
    assert!(!err.contains("panicked"), "wasmpod {args:?} panicked: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error expected: {err}");
    err
}

fn tool(name: &str) -> PathBuf {
    let p = Path::new("/usr/sbin").join(name);
    assert!(p.exists(), "{name} not found: install e2fsprogs (cargo xtask setup does)");
    p
}

fn fsck_clean(img: &Path) {
    let o = Command::new(tool("e2fsck")).arg("-fn").arg(img).output().unwrap();
    assert!(
        o.status.success(),
        "e2fsck -fn: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn make_tree(root: &Path) {
    use std::os::unix::fs::{symlink, FileExt};
    std::fs::create_dir_all(root.join("etc/deep/er")).unwrap();
    std::fs::write(root.join("etc/passwd"), b"root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::write(root.join("etc/deep/er/data"), (0..200_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>())
        .unwrap();
    std::fs::write(root.join("zeros"), vec![0u8; 100_000]).unwrap();
    symlink("passwd", root.join("etc/pw")).unwrap();
    symlink("/".to_string() + &"x/".repeat(80), root.join("long")).unwrap();
    std::fs::hard_link(root.join("etc/passwd"), root.join("passwd-link")).unwrap();
    let f = std::fs::File::create(root.join("sparse")).unwrap();
    f.set_len(5 << 30).unwrap();
    f.write_all_at(b"middle", 3 << 30).unwrap();
    std::fs::set_permissions(root.join("etc/passwd"), std::fs::Permissions::from_mode(0o4640)).unwrap();
    std::os::unix::fs::chown(root.join("etc/deep"), Some(1000), Some(1000)).unwrap();
    assert!(Command::new("mkfifo").arg(root.join("fifo")).status().unwrap().success());
    // A tree's own lost+found takes the place of the one mkfs makes.
    std::fs::create_dir(root.join("lost+found")).unwrap();
    std::fs::write(root.join("lost+found/kept"), b"kept").unwrap();
    for i in 0..300 {
        std::fs::write(root.join(format!("etc/file-{i:03}")), format!("{i}")).unwrap();
    }
}

fn compare(a: &Path, b: &Path) {
    let mut ea: Vec<_> = std::fs::read_dir(a).unwrap().map(|e| e.unwrap().file_name()).collect();
    let mut eb: Vec<_> = std::fs::read_dir(b).unwrap().map(|e| e.unwrap().file_name()).collect();
    ea.sort();
    eb.sort();
    eb.retain(|n| n != "lost+found" || ea.contains(n));
    assert_eq!(ea, eb, "entries of {}", a.display());
    for n in ea {
        let (pa, pb) = (a.join(&n), b.join(&n));
        let (ma, mb) = (std::fs::symlink_metadata(&pa).unwrap(), std::fs::symlink_metadata(&pb).unwrap());
        assert_eq!(ma.mode(), mb.mode(), "{}", pa.display());
        assert_eq!((ma.uid(), ma.gid()), (mb.uid(), mb.gid()), "{}", pa.display());
        assert_eq!(ma.nlink(), mb.nlink(), "{}", pa.display());
        if ma.is_dir() {
            compare(&pa, &pb);
            assert_eq!(ma.mtime(), mb.mtime(), "{}", pa.display());
        } else if ma.is_symlink() {
            assert_eq!(std::fs::read_link(&pa).unwrap(), std::fs::read_link(&pb).unwrap());
        } else if ma.is_file() {
            assert_eq!((ma.mtime(), ma.mtime_nsec()), (mb.mtime(), mb.mtime_nsec()), "{}", pa.display());
            assert_eq!(ma.len(), mb.len());
            if ma.len() < 1 << 20 {
                assert!(std::fs::read(&pa).unwrap() == std::fs::read(&pb).unwrap(), "{}", pa.display());
            } else {
                // Sparse: both keep their holes.
                assert!(mb.blocks() * 512 < ma.len() / 100, "{} lost its holes", pb.display());
            }
        }
    }
}

#[test]
fn build_is_deterministic_fsck_clean_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    for bs in ["1024", "2048", "4096"] {
        let img = dir.path().join(format!("img{bs}"));
        let img2 = dir.path().join(format!("img{bs}-again"));
        ok(&["image", "build", s(&tree), "-o", s(&img), "--block-size", bs]);
        ok(&["image", "build", s(&tree), "-o", s(&img2), "--block-size", bs]);
        assert!(std::fs::read(&img).unwrap() == std::fs::read(&img2).unwrap(), "same tree, same bytes");
        fsck_clean(&img);
        let out = dir.path().join(format!("out{bs}"));
        ok(&["image", "extract", s(&img), s(&out)]);
        compare(&tree, &out);
        let o = Command::new(tool("debugfs")).args(["-R", "cat /etc/deep/er/data"]).arg(&img).output().unwrap();
        assert!(o.stdout == std::fs::read(tree.join("etc/deep/er/data")).unwrap());
    }
    let img = dir.path().join("img4096");
    assert_eq!(ok(&["image", "cat", s(&img), "/etc/passwd"]), std::fs::read(tree.join("etc/passwd")).unwrap());
    let ls = String::from_utf8(ok(&["image", "ls", s(&img), "/etc"])).unwrap();
    assert!(ls.contains("-rwSr----- ") && ls.contains("pw -> passwd"), "{ls}");
    let info = String::from_utf8(ok(&["image", "info", s(&img)])).unwrap();
    assert!(info.contains("state:             clean"), "{info}");
}

#[test]
fn edits_keep_the_image_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let img = dir.path().join("img");
    ok(&["image", "build", s(&tree), "-o", s(&img), "--size", "64M", "--block-size", "1024"]);
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 64 << 20);
    let host = dir.path().join("hostfile");
    std::fs::write(&host, vec![7u8; 300_000]).unwrap();
    ok(&["image", "mkdir", s(&img), "/new"]);
    ok(&["image", "put", s(&img), s(&host), "/new/copy"]);
    ok(&["image", "put", s(&img), s(&host), "/new"]);
    ok(&["image", "put", s(&img), s(&tree.join("etc/passwd")), "/new/copy"]);
    assert_eq!(ok(&["image", "cat", s(&img), "new/copy"]), std::fs::read(tree.join("etc/passwd")).unwrap());
    assert_eq!(ok(&["image", "cat", s(&img), "new/hostfile"]).len(), 300_000);
    ok(&["image", "rm", s(&img), "/passwd-link"]);
    fails(&["image", "rm", s(&img), "/etc"]);
    ok(&["image", "rm", "-r", s(&img), "/etc"]);
    fsck_clean(&img);
    let ls = String::from_utf8(ok(&["image", "ls", s(&img)])).unwrap();
    assert!(!ls.contains(" etc") && ls.contains(" new"), "{ls}");
}

#[test]
fn bad_input_gives_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("f"), b"x").unwrap();
    let img = dir.path().join("img");
    ok(&["image", "build", s(&tree), "-o", s(&img)]);
    let junk = dir.path().join("junk");
    std::fs::write(&junk, vec![0x55u8; 100_000]).unwrap();
    let e = fails(&["image", "ls", s(&junk)]);
    assert!(e.contains("not ext2"), "{e}");
    let short = dir.path().join("short");
    std::fs::write(&short, &std::fs::read(&img).unwrap()[..50_000]).unwrap();
    fails(&["image", "ls", s(&short)]);
    fails(&["image", "ls", s(&dir.path().join("missing"))]);
    assert!(fails(&["image", "cat", s(&img), "/nope"]).contains("no such file"));
    fails(&["image", "cat", s(&img), "/"]);
    fails(&["image", "mkdir", s(&img), "/f"]);
    fails(&["image", "mkdir", s(&img), "/a/b"]);
    fails(&["image", "rm", s(&img), "/"]);
    fails(&["image", "build", s(&tree), "-o", s(&dir.path().join("x")), "--size", "10K"]);
    fails(&["image", "build", s(&tree), "-o", s(&dir.path().join("x")), "--block-size", "3000"]);
    fails(&["image", "build", s(&dir.path().join("nodir")), "-o", s(&dir.path().join("x"))]);
    fails(&["image", "frobnicate"]);
    // An overlay made over one image is refused over another.
    let ov = dir.path().join("ovl");
    ok(&["image", "mkdir", s(&img), "/d", "--overlay", s(&ov)]);
    std::fs::write(tree.join("g"), b"other").unwrap();
    let img2 = dir.path().join("img2");
    ok(&["image", "build", s(&tree), "-o", s(&img2)]);
    fails(&["image", "ls", s(&img2), "--overlay", s(&ov)]);
    fails(&["image", "build", s(&tree), "-o", s(&img2), "--overlay", s(&ov)]);
    fsck_clean(&img);
}

#[test]
fn overlay_writes_leave_the_image_untouched_and_persist_in_the_overlay() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let img = dir.path().join("base.img");
    let ov = dir.path().join("changes.ovl");
    ok(&["image", "build", s(&tree), "-o", s(&img)]);
    let before = std::fs::read(&img).unwrap();
    let host = dir.path().join("note.txt");
    std::fs::write(&host, b"kept in the overlay\n").unwrap();

    ok(&["image", "put", s(&img), s(&host), "/note.txt", "--overlay", s(&ov)]);
    ok(&["image", "mkdir", s(&img), "/newdir", "--overlay", s(&ov)]);
    assert_eq!(std::fs::read(&img).unwrap(), before, "the base image must not change");

    // Reopening the overlay shows the writes; the plain image does not.
    assert_eq!(ok(&["image", "cat", s(&img), "/note.txt", "--overlay", s(&ov)]), b"kept in the overlay\n");
    let listing = String::from_utf8(ok(&["image", "ls", s(&img), "/", "--overlay", s(&ov)])).unwrap();
    assert!(listing.contains("newdir"), "{listing}");
    let err = fails(&["image", "cat", s(&img), "/note.txt"]);
    assert!(err.contains("note.txt"), "{err}");

    // The overlay+base image is a consistent filesystem.
    let out = dir.path().join("out");
    ok(&["image", "extract", s(&img), s(&out), "--overlay", s(&ov)]);
    assert_eq!(std::fs::read(out.join("note.txt")).unwrap(), b"kept in the overlay\n");
}

#[test]
fn flatten_applies_an_overlay_or_a_journal_and_gives_a_clean_image() {
    use wasmpod_blockdev::{content_fingerprint, BlockDevice, FileDevice, JournalDelta, OverlayDevice};
    use wasmpod_ext2::{Ext2, ROOT_INO};

    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    let img = dir.path().join("base.img");
    ok(&["image", "build", s(&tree), "-o", s(&img), "--size", "64M"]);
    let before = std::fs::read(&img).unwrap();

    // An overlay made by the CLI.
    let ov = dir.path().join("changes.ovl");
    let host = dir.path().join("note.txt");
    std::fs::write(&host, b"from the overlay\n").unwrap();
    ok(&["image", "put", s(&img), s(&host), "/note.txt", "--overlay", s(&ov)]);
    let flat = dir.path().join("flat.img");
    ok(&["image", "flatten", s(&img), "-o", s(&flat), "--overlay", s(&ov)]);
    fsck_clean(&flat);
    assert_eq!(ok(&["image", "cat", s(&flat), "/note.txt"]), b"from the overlay\n");

    // A journal as a browser pod writes it (1 KiB blocks, content
    // fingerprint): one file synced, then a crash before the next sync.
    let jpath = dir.path().join("root.journal");
    {
        let mut base = FileDevice::open_read_only(&img, 1024).unwrap();
        let fp = content_fingerprint(&mut base).unwrap();
        let file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&jpath).unwrap();
        let journal = JournalDelta::open(file, 1024, base.num_blocks(), fp).unwrap();
        let dev: Box<dyn BlockDevice> = Box::new(OverlayDevice::with_store(base, journal).unwrap());
        let mut fs = Ext2::open(dev).unwrap();
        let ino = fs.create(ROOT_INO, b"synced.txt", 0o644, 1000, 1000).unwrap();
        fs.write(ino, 0, &vec![b's'; 70_000]).unwrap();
        fs.sync().unwrap();
        for i in 0..50 {
            let ino = fs.create(ROOT_INO, format!("lost{i}").as_bytes(), 0o644, 0, 0).unwrap();
            fs.write(ino, 0, &vec![b'l'; 5000]).unwrap();
        }
        // Dropped without sync or unmount: the power cut.
    }
    let flat = dir.path().join("flat-journal.img");
    ok(&["image", "flatten", s(&img), "-o", s(&flat), "--journal", s(&jpath)]);
    fsck_clean(&flat);
    assert_eq!(ok(&["image", "cat", s(&flat), "/synced.txt"]), vec![b's'; 70_000]);
    let err = fails(&["image", "cat", s(&flat), "/lost0"]);
    assert!(err.contains("lost0"), "{err}");
    assert_eq!(std::fs::read(&img).unwrap(), before, "the base image must not change");

    // Bad input: no store, both, a journal over another image, not a journal.
    fails(&["image", "flatten", s(&img), "-o", s(&flat)]);
    fails(&["image", "flatten", s(&img), "-o", s(&flat), "--overlay", s(&ov), "--journal", s(&jpath)]);
    fails(&["image", "ls", s(&img), "--journal", s(&jpath)]);
    let other = dir.path().join("other.img");
    ok(&["image", "build", s(&tree.join("etc")), "-o", s(&other), "--size", "64M"]);
    let err = fails(&["image", "flatten", s(&other), "-o", s(&flat), "--journal", s(&jpath)]);
    assert!(err.contains("another base image"), "{err}");
    let err = fails(&["image", "flatten", s(&img), "-o", s(&flat), "--journal", s(&host)]);
    assert!(err.contains("not a wasmpod journal"), "{err}");
}
