use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::Harness;

fn link(p: &crate::testing::Proc, a: &str, b: &str, flags: u32) -> i64 {
    let at = AT_FDCWD as u32 as u64;
    p.sys(SYS_linkat, &[at, p.cstr(a), at, p.cstr(b), u64::from(flags)])
}

fn readlink(p: &crate::testing::Proc, path: &str, size: usize) -> Result<Vec<u8>, i64> {
    let b = p.alloc(size.max(1));
    let r = p.sys(SYS_readlinkat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(b), size as u64]);
    if r < 0 {
        Err(r)
    } else {
        Ok(p.read(b, r as usize))
    }
}

fn mknod(p: &crate::testing::Proc, path: &str, mode: u32, dev: u32) -> i64 {
    p.sys(SYS_mknodat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(mode), u64::from(dev)])
}

#[test]
fn hard_link_shares_inode_and_counts_links() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"shared");
    assert_eq!(link(&p, "/tmp/a", "/tmp/b", 0), 0);
    let (a, b) = (stat(&p, "/tmp/a").expect("a"), stat(&p, "/tmp/b").expect("b"));
    assert_eq!(a.st_ino, b.st_ino);
    assert_eq!(a.st_nlink, 2);
    unlink(&p, "/tmp/a");
    assert_eq!(stat(&p, "/tmp/b").expect("b").st_nlink, 1);
    assert_eq!(get(&p, "/tmp/b"), b"shared");
}

#[test]
fn hard_link_to_directory_is_eperm() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    assert_eq!(link(&p, "/tmp/d", "/tmp/e", 0), errno(EPERM));
}

#[test]
fn hard_link_over_existing_is_eexist() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"");
    put(&p, "/tmp/b", b"");
    assert_eq!(link(&p, "/tmp/a", "/tmp/b", 0), errno(EEXIST));
}

#[test]
fn hard_link_across_mounts_is_exdev() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    put(&p, "/tmp/a", b"");
    assert_eq!(link(&p, "/tmp/a", "/dev/a", 0), errno(EXDEV));
}

#[test]
fn linkat_links_symlink_itself_unless_at_symlink_follow() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/target", b"");
    symlink(&p, "/tmp/target", "/tmp/sl");
    assert_eq!(link(&p, "/tmp/sl", "/tmp/l1", 0), 0);
    assert_eq!(lstat(&p, "/tmp/l1").expect("l1").st_mode & S_IFMT, S_IFLNK);
    assert_eq!(link(&p, "/tmp/sl", "/tmp/l2", AT_SYMLINK_FOLLOW), 0);
    assert_eq!(lstat(&p, "/tmp/l2").expect("l2").st_mode & S_IFMT, S_IFREG);
    assert_eq!(link(&p, "/tmp/sl", "/tmp/l3", 0x8000), errno(EINVAL));
}

#[test]
fn link_updates_ctime_of_inode() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"");
    let before = stat(&p, "/tmp/a").expect("a");
    h.advance_ns(2_000_000_000);
    link(&p, "/tmp/a", "/tmp/b", 0);
    let after = stat(&p, "/tmp/a").expect("a");
    assert_eq!(after.st_ctime_sec, before.st_ctime_sec + 2);
    assert_eq!(after.st_mtime_sec, before.st_mtime_sec);
}

#[test]
fn unlink_of_directory_is_eisdir() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    assert_eq!(unlink(&p, "/tmp/d"), errno(EISDIR));
}

#[test]
fn unlink_with_trailing_slash_on_file_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(unlink(&p, "/tmp/f/"), errno(ENOTDIR));
}

#[test]
fn unlink_missing_is_enoent_and_bad_flags_einval() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(unlink(&p, "/tmp/none"), errno(ENOENT));
    assert_eq!(p.sys(SYS_unlinkat, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/x"), 0x1]), errno(EINVAL));
}

#[test]
fn unlink_removes_symlink_not_target() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/t", b"");
    symlink(&p, "/tmp/t", "/tmp/s");
    assert_eq!(unlink(&p, "/tmp/s"), 0);
    assert!(stat(&p, "/tmp/t").is_ok());
}

#[test]
fn unlink_needs_write_permission_on_directory() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/f", b"");
    p.sys(SYS_fchmodat, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/d"), 0o555]);
    assert_eq!(unlink(&p, "/tmp/d/f"), errno(EACCES));
}

#[test]
fn unlink_updates_parent_mtime() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/f", b"");
    let before = stat(&p, "/tmp/d").expect("d");
    h.advance_ns(3_000_000_000);
    unlink(&p, "/tmp/d/f");
    assert_eq!(stat(&p, "/tmp/d").expect("d").st_mtime_sec, before.st_mtime_sec + 3);
}

#[test]
fn sticky_tmp_lets_owner_of_directory_remove_anything() {
    let h = Harness::new();
    let u = h.process(None);
    mkdir(&u, "/tmp/shared", 0o1777);
    u.sys(SYS_fchmodat, &[AT_FDCWD as u32 as u64, u.cstr("/tmp/shared"), 0o1777]);
    let other = h.process_as(None, Credentials::with_ids(1001, 1001));
    put(&other, "/tmp/shared/x", b"");
    // u owns the sticky directory.
    assert_eq!(unlink(&u, "/tmp/shared/x"), 0);
}

#[test]
fn sticky_tmp_root_may_remove_anything() {
    let h = Harness::new();
    let u = h.process(None);
    put(&u, "/tmp/x", b"");
    let r = h.process_as(None, Credentials::root());
    assert_eq!(unlink(&r, "/tmp/x"), 0);
}

#[test]
fn rmdir_removes_empty_directory_only() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/f", b"");
    assert_eq!(rmdir(&p, "/tmp/d"), errno(ENOTEMPTY));
    unlink(&p, "/tmp/d/f");
    assert_eq!(rmdir(&p, "/tmp/d/"), 0);
    assert_eq!(stat(&p, "/tmp/d").unwrap_err(), errno(ENOENT));
}

#[test]
fn rmdir_on_file_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(rmdir(&p, "/tmp/f"), errno(ENOTDIR));
}

#[test]
fn rmdir_dot_is_einval_dotdot_enotempty_root_ebusy() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    mkdir(&p, "/tmp/d", 0o755);
    assert_eq!(rmdir(&p, "/tmp/d/."), errno(EINVAL));
    assert_eq!(rmdir(&p, "/tmp/d/.."), errno(ENOTEMPTY));
    assert_eq!(rmdir(&p, "/"), errno(EBUSY));
}

#[test]
fn rmdir_of_mount_point_is_ebusy() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    assert_eq!(rmdir(&p, "/dev"), errno(EBUSY));
}

#[test]
fn symlink_stores_target_verbatim() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(symlink(&p, "../some/where", "/tmp/l"), 0);
    assert_eq!(readlink(&p, "/tmp/l", 100).expect("readlink"), b"../some/where");
}

#[test]
fn symlink_over_existing_is_eexist_and_empty_target_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(symlink(&p, "x", "/tmp/f"), errno(EEXIST));
    assert_eq!(symlink(&p, "", "/tmp/g"), errno(ENOENT));
}

#[test]
fn symlink_is_owned_by_caller() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "x", "/tmp/l");
    let st = lstat(&p, "/tmp/l").expect("lstat");
    assert_eq!((st.st_uid, st.st_gid), (1000, 1000));
}

#[test]
fn readlink_truncates_without_nul() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "abcdef", "/tmp/l");
    assert_eq!(readlink(&p, "/tmp/l", 3).expect("readlink"), b"abc");
}

#[test]
fn readlink_of_non_symlink_or_zero_size_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(readlink(&p, "/tmp/f", 10).unwrap_err(), errno(EINVAL));
    symlink(&p, "x", "/tmp/l");
    assert_eq!(readlink(&p, "/tmp/l", 0).unwrap_err(), errno(EINVAL));
}

#[test]
fn readlink_follows_intermediate_symlinks() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    symlink(&p, "/tmp/d", "/tmp/dl");
    symlink(&p, "inner", "/tmp/d/l");
    assert_eq!(readlink(&p, "/tmp/dl/l", 100).expect("readlink"), b"inner");
}

#[test]
fn mknod_regular_and_fifo() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mknod(&p, "/tmp/reg", S_IFREG | 0o644, 0), 0);
    assert_eq!(stat(&p, "/tmp/reg").expect("reg").st_mode, S_IFREG | 0o644);
    assert_eq!(mknod(&p, "/tmp/plain", 0o600, 0), 0);
    assert_eq!(stat(&p, "/tmp/plain").expect("plain").st_mode, S_IFREG | 0o600);
    assert_eq!(mknod(&p, "/tmp/fifo", S_IFIFO | 0o644, 0), 0);
    assert_eq!(stat(&p, "/tmp/fifo").expect("fifo").st_mode, S_IFIFO | 0o644);
}

#[test]
fn mknod_device_needs_root() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mknod(&p, "/tmp/null", S_IFCHR | 0o666, 0x103), errno(EPERM));
    let r = h.process_as(None, Credentials::root());
    assert_eq!(mknod(&r, "/tmp/null", S_IFCHR | 0o666, 0x103), 0);
    let st = stat(&r, "/tmp/null").expect("null");
    assert_eq!(st.st_rdev, crate::fs::devices::makedev(1, 3));
    // A device node made anywhere opens the device.
    let fd = open(&r, "/tmp/null", O_RDWR, 0);
    assert_eq!(write(&r, fd, b"gone"), 4);
    assert_eq!(read(&r, fd, 4), b"");
}

#[test]
fn mknod_directory_is_eperm_and_bad_type_einval() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mknod(&p, "/tmp/d", S_IFDIR | 0o755, 0), errno(EPERM));
    assert_eq!(mknod(&p, "/tmp/x", 0o170000 | 0o644, 0), errno(EINVAL));
}

#[test]
fn mknod_existing_is_eexist() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(mknod(&p, "/tmp/f", S_IFIFO | 0o644, 0), errno(EEXIST));
}

#[test]
fn open_fifo_until_fs_fd_lands_is_enxio_or_works() {
    let h = Harness::new();
    let p = h.process(None);
    mknod(&p, "/tmp/fifo", S_IFIFO | 0o644, 0);
    let r = open(&p, "/tmp/fifo", O_RDONLY | O_NONBLOCK, 0);
    assert!(r == errno(ENXIO) || r >= 0);
}
