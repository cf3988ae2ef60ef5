//! The ext2 adapter through the syscalls.

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::Errno::*;
use wasmpod_blockdev::memory::MemoryDevice;
use wasmpod_ext2::mkfs::{format, MkfsOptions};

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::{Harness, Proc};

fn image() -> Box<dyn wasmpod_blockdev::BlockDevice> {
    let dev = MemoryDevice::new(1024, 4096).expect("memory device");
    let opts = MkfsOptions { block_size: 1024, inodes: 1024, ..Default::default() };
    Box::new(format(dev, &opts).expect("mkfs"))
}

/// A root process with a fresh ext2 mounted on /tmp/e.
fn setup(read_only: bool) -> (Harness, Proc) {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    assert_eq!(mkdir(&r, "/tmp/e", 0o755), 0);
    h.kernel.mount_ext2("/tmp/e", image(), read_only, "test").expect("mount ext2");
    (h, r)
}

#[test]
fn ext2_mount_shows_root_and_lost_found() {
    let (_h, r) = setup(false);
    let names = list(&r, "/tmp/e", 4096);
    assert!(names.contains(&"lost+found".to_string()));
    assert!(names.contains(&".".to_string()) && names.contains(&"..".to_string()));
    let st = stat(&r, "/tmp/e").expect("root");
    assert_eq!(st.st_ino, 2);
    assert_ne!(st.st_dev, stat(&r, "/tmp").expect("tmp").st_dev);
    assert_eq!(stat(&r, "/tmp/e/..").expect("..").st_ino, stat(&r, "/tmp").expect("tmp").st_ino);
}

#[test]
fn ext2_create_write_read_and_stat() {
    let (h, r) = setup(false);
    h.advance_ns(3_000_000_000);
    put(&r, "/tmp/e/hello", b"hello ext2");
    assert_eq!(get(&r, "/tmp/e/hello"), b"hello ext2");
    let st = stat(&r, "/tmp/e/hello").expect("stat");
    assert_eq!(st.st_size, 10);
    assert_eq!(st.st_mode, S_IFREG | 0o644);
    assert_eq!(st.st_nlink, 1);
    let now = (crate::testing::FAKE_EPOCH_NS / 1_000_000_000) as i64 + 4;
    assert_eq!(st.st_mtime_sec, now);
}

#[test]
fn ext2_directories_rename_and_links() {
    let (_h, r) = setup(false);
    assert_eq!(mkdir(&r, "/tmp/e/d", 0o755), 0);
    put(&r, "/tmp/e/d/f", b"x");
    assert_eq!(rmdir(&r, "/tmp/e/d"), errno(ENOTEMPTY));
    assert_eq!(rename(&r, "/tmp/e/d/f", "/tmp/e/g"), 0);
    assert_eq!(get(&r, "/tmp/e/g"), b"x");
    let at = AT_FDCWD as u32 as u64;
    assert_eq!(r.sys(SYS_linkat, &[at, r.cstr("/tmp/e/g"), at, r.cstr("/tmp/e/d/h"), 0]), 0);
    assert_eq!(stat(&r, "/tmp/e/g").expect("g").st_nlink, 2);
    assert_eq!(symlink(&r, "g", "/tmp/e/s"), 0);
    assert_eq!(get(&r, "/tmp/e/s"), b"x");
    assert_eq!(rename(&r, "/tmp/e/d", "/tmp/e/d/sub"), errno(EINVAL));
    assert_eq!(rename2(&r, "/tmp/e/g", "/tmp/e/s", RENAME_EXCHANGE), errno(EINVAL));
    assert_eq!(rename(&r, "/tmp/e/g", "/tmp/x"), errno(EXDEV));
}

#[test]
fn ext2_unlink_while_open_keeps_data() {
    let (_h, r) = setup(false);
    put(&r, "/tmp/e/f", b"still here");
    let fd = open(&r, "/tmp/e/f", O_RDONLY, 0);
    assert_eq!(unlink(&r, "/tmp/e/f"), 0);
    assert_eq!(stat(&r, "/tmp/e/f").unwrap_err(), errno(ENOENT));
    assert_eq!(fstat(&r, fd).st_nlink, 0);
    assert_eq!(read(&r, fd, 64), b"still here");
    assert_eq!(close(&r, fd), 0);
    // The inode is free again: a new file may reuse it, and the tree is fine.
    put(&r, "/tmp/e/g", b"new");
    assert_eq!(get(&r, "/tmp/e/g"), b"new");
}

#[test]
fn ext2_getcwd_and_large_directory() {
    let (_h, r) = setup(false);
    mkdir(&r, "/tmp/e/a", 0o755);
    mkdir(&r, "/tmp/e/a/b", 0o755);
    assert_eq!(chdir(&r, "/tmp/e/a/b"), 0);
    assert_eq!(getcwd(&r).as_deref(), Ok("/tmp/e/a/b"));
    for i in 0..100 {
        put(&r, &format!("/tmp/e/a/file-with-a-long-name-{i:03}"), b"");
    }
    let names = list(&r, "/tmp/e/a", 256);
    assert_eq!(names.len(), 103);
}

#[test]
fn ext2_attributes_and_statfs() {
    let (_h, r) = setup(false);
    put(&r, "/tmp/e/f", b"abcdef");
    let at = AT_FDCWD as u32 as u64;
    assert_eq!(r.sys(SYS_fchmodat, &[at, r.cstr("/tmp/e/f"), 0o600]), 0);
    assert_eq!(r.sys(SYS_fchownat, &[at, r.cstr("/tmp/e/f"), 7, 8, 0]), 0);
    let st = stat(&r, "/tmp/e/f").expect("f");
    assert_eq!((st.st_mode, st.st_uid, st.st_gid), (S_IFREG | 0o600, 7, 8));
    assert_eq!(r.sys(SYS_truncate, &[r.cstr("/tmp/e/f"), 3, 0]), 0);
    assert_eq!(get(&r, "/tmp/e/f"), b"abc");
    let buf = r.alloc(120);
    assert_eq!(r.sys(SYS_statfs, &[r.cstr("/tmp/e"), u64::from(buf)]), 0);
    let s: statfs = r.read_struct(buf);
    assert_eq!(s.f_type, EXT2_SUPER_MAGIC);
    assert_eq!(s.f_bsize, 1024);
    let fd = open(&r, "/tmp/e/f", O_RDWR, 0);
    assert_eq!(r.sys(SYS_fsync, &[fd as u64]), 0);
}

#[test]
fn ext2_device_nodes_and_fifos() {
    let (_h, r) = setup(false);
    let at = AT_FDCWD as u32 as u64;
    assert_eq!(r.sys(SYS_mknodat, &[at, r.cstr("/tmp/e/null"), u64::from(S_IFCHR | 0o666), 0x103]), 0);
    assert_eq!(stat(&r, "/tmp/e/null").expect("null").st_rdev, crate::fs::devices::makedev(1, 3));
    let fd = open(&r, "/tmp/e/null", O_RDWR, 0);
    assert_eq!(write(&r, fd, b"gone"), 4);
    assert_eq!(r.sys(SYS_mknodat, &[at, r.cstr("/tmp/e/fifo"), u64::from(S_IFIFO | 0o644), 0]), 0);
    assert_eq!(stat(&r, "/tmp/e/fifo").expect("fifo").st_mode, S_IFIFO | 0o644);
}

#[test]
fn ext2_read_only_mount_is_erofs() {
    let (_h, r) = setup(true);
    assert_eq!(open(&r, "/tmp/e/f", O_WRONLY | O_CREAT, 0o644), errno(EROFS));
    assert_eq!(mkdir(&r, "/tmp/e/d", 0o755), errno(EROFS));
    assert!(stat(&r, "/tmp/e/lost+found").is_ok());
    let list = r.kernel.with_state(|st| st.fs.mount_list());
    assert_eq!(list.iter().find(|m| m.path == b"/tmp/e").map(|m| m.options.as_str()), Some("ro,relatime"));
}
