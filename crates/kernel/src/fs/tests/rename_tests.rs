use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::Harness;

#[test]
fn rename_moves_file_and_keeps_inode() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"data");
    let ino = stat(&p, "/tmp/a").expect("a").st_ino;
    assert_eq!(rename(&p, "/tmp/a", "/tmp/b"), 0);
    assert_eq!(stat(&p, "/tmp/a").unwrap_err(), errno(ENOENT));
    assert_eq!(stat(&p, "/tmp/b").expect("b").st_ino, ino);
    assert_eq!(get(&p, "/tmp/b"), b"data");
}

#[test]
fn rename_replaces_existing_file_atomically() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/new", b"new");
    put(&p, "/tmp/old", b"old");
    let fd = open(&p, "/tmp/old", O_RDONLY, 0);
    assert_eq!(rename(&p, "/tmp/new", "/tmp/old"), 0);
    assert_eq!(get(&p, "/tmp/old"), b"new");
    // The replaced file lives on for its open fd, with no links.
    assert_eq!(fstat(&p, fd).st_nlink, 0);
    assert_eq!(read(&p, fd, 10), b"old");
}

#[test]
fn rename_missing_source_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(rename(&p, "/tmp/nope", "/tmp/x"), errno(ENOENT));
}

#[test]
fn rename_dir_over_file_is_enotdir_and_file_over_dir_is_eisdir() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/f", b"");
    assert_eq!(rename(&p, "/tmp/d", "/tmp/f"), errno(ENOTDIR));
    assert_eq!(rename(&p, "/tmp/f", "/tmp/d"), errno(EISDIR));
}

#[test]
fn rename_dir_over_empty_dir_replaces_it() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    put(&p, "/tmp/a/inside", b"");
    mkdir(&p, "/tmp/b", 0o755);
    assert_eq!(rename(&p, "/tmp/a", "/tmp/b"), 0);
    assert!(stat(&p, "/tmp/b/inside").is_ok());
    assert_eq!(stat(&p, "/tmp/a").unwrap_err(), errno(ENOENT));
}

#[test]
fn rename_dir_over_non_empty_dir_is_enotempty() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    mkdir(&p, "/tmp/b", 0o755);
    put(&p, "/tmp/b/x", b"");
    assert_eq!(rename(&p, "/tmp/a", "/tmp/b"), errno(ENOTEMPTY));
}

#[test]
fn rename_dir_into_own_subtree_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    mkdir(&p, "/tmp/a/b", 0o755);
    assert_eq!(rename(&p, "/tmp/a", "/tmp/a/b/c"), errno(EINVAL));
    assert_eq!(rename(&p, "/tmp/a", "/tmp/a/c"), errno(EINVAL));
}

#[test]
fn rename_to_ancestor_is_enotempty() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    mkdir(&p, "/tmp/a/b", 0o755);
    assert_eq!(rename(&p, "/tmp/a/b", "/tmp/a"), errno(ENOTEMPTY));
}

#[test]
fn rename_of_hard_links_to_same_inode_does_nothing() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"x");
    let at = AT_FDCWD as u32 as u64;
    assert_eq!(p.sys(SYS_linkat, &[at, p.cstr("/tmp/a"), at, p.cstr("/tmp/b"), 0]), 0);
    assert_eq!(rename(&p, "/tmp/a", "/tmp/b"), 0);
    // Both names remain.
    assert!(stat(&p, "/tmp/a").is_ok());
    assert_eq!(stat(&p, "/tmp/b").expect("b").st_nlink, 2);
}

#[test]
fn rename_noreplace_on_existing_target_is_eexist() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"a");
    put(&p, "/tmp/b", b"b");
    assert_eq!(rename2(&p, "/tmp/a", "/tmp/b", RENAME_NOREPLACE), errno(EEXIST));
    assert_eq!(rename2(&p, "/tmp/a", "/tmp/c", RENAME_NOREPLACE), 0);
}

#[test]
fn rename_exchange_swaps_file_and_directory() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"file");
    mkdir(&p, "/tmp/d", 0o755);
    mkdir(&p, "/tmp/sub", 0o755);
    assert_eq!(rename2(&p, "/tmp/f", "/tmp/sub/d2", RENAME_EXCHANGE), errno(ENOENT));
    assert_eq!(rename2(&p, "/tmp/f", "/tmp/d", RENAME_EXCHANGE), 0);
    assert_eq!(stat(&p, "/tmp/f").expect("f").st_mode & S_IFMT, S_IFDIR);
    assert_eq!(get(&p, "/tmp/d"), b"file");
}

#[test]
fn rename_exchange_across_directories_fixes_dotdot() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/x", 0o755);
    mkdir(&p, "/tmp/x/dir", 0o755);
    put(&p, "/tmp/file", b"");
    assert_eq!(rename2(&p, "/tmp/x/dir", "/tmp/file", RENAME_EXCHANGE), 0);
    // The directory now lives in /tmp: its ".." is /tmp.
    let tmp = stat(&p, "/tmp").expect("tmp");
    let up = stat(&p, "/tmp/file/..").expect("file/..");
    assert_eq!(tmp.st_ino, up.st_ino);
    assert_eq!(stat(&p, "/tmp/x").expect("x").st_nlink, 2);
}

#[test]
fn rename_with_both_noreplace_and_exchange_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"");
    put(&p, "/tmp/b", b"");
    assert_eq!(rename2(&p, "/tmp/a", "/tmp/b", RENAME_NOREPLACE | RENAME_EXCHANGE), errno(EINVAL));
    assert_eq!(rename2(&p, "/tmp/a", "/tmp/b", 0x100), errno(EINVAL));
}

#[test]
fn rename_across_mounts_is_exdev() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    put(&p, "/tmp/a", b"");
    assert_eq!(rename(&p, "/tmp/a", "/dev/a"), errno(EXDEV));
}

#[test]
fn rename_of_mount_point_is_ebusy() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    assert_eq!(rename(&p, "/dev", "/dev2"), errno(EBUSY));
}

#[test]
fn rename_dot_or_dotdot_is_ebusy() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    assert_eq!(rename(&p, "/tmp/d/.", "/tmp/e"), errno(EBUSY));
    assert_eq!(rename(&p, "/tmp/e", "/tmp/d/.."), errno(EBUSY));
}

#[test]
fn rename_file_with_trailing_slash_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(rename(&p, "/tmp/f/", "/tmp/g"), errno(ENOTDIR));
    assert_eq!(rename(&p, "/tmp/f", "/tmp/g/"), errno(ENOTDIR));
    mkdir(&p, "/tmp/d", 0o755);
    assert_eq!(rename(&p, "/tmp/d/", "/tmp/e/"), 0);
}

#[test]
fn rename_dir_updates_link_counts_of_both_parents() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/p1", 0o755);
    mkdir(&p, "/tmp/p2", 0o755);
    mkdir(&p, "/tmp/p1/c", 0o755);
    assert_eq!(stat(&p, "/tmp/p1").expect("p1").st_nlink, 3);
    assert_eq!(rename(&p, "/tmp/p1/c", "/tmp/p2/c"), 0);
    assert_eq!(stat(&p, "/tmp/p1").expect("p1").st_nlink, 2);
    assert_eq!(stat(&p, "/tmp/p2").expect("p2").st_nlink, 3);
    let p2 = stat(&p, "/tmp/p2").expect("p2").st_ino;
    assert_eq!(stat(&p, "/tmp/p2/c/..").expect("c/..").st_ino, p2);
}

#[test]
fn rename_in_sticky_tmp_of_others_file_is_eperm() {
    let h = Harness::new();
    let owner = h.process(None);
    put(&owner, "/tmp/theirs", b"");
    let other = h.process_as(None, Credentials::with_ids(1001, 1001));
    assert_eq!(rename(&other, "/tmp/theirs", "/tmp/mine"), errno(EPERM));
    assert_eq!(unlink(&other, "/tmp/theirs"), errno(EPERM));
    // The owner may.
    assert_eq!(rename(&owner, "/tmp/theirs", "/tmp/moved"), 0);
}

#[test]
fn rename_needs_write_permission_on_both_directories() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/ro", 0o555);
    put(&p, "/tmp/f", b"");
    assert_eq!(rename(&p, "/tmp/f", "/tmp/ro/f"), errno(EACCES));
}

#[test]
fn renameat_plain_works_with_dirfds() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    mkdir(&p, "/tmp/b", 0o755);
    put(&p, "/tmp/a/f", b"x");
    let da = open(&p, "/tmp/a", O_RDONLY | O_DIRECTORY, 0);
    let db = open(&p, "/tmp/b", O_RDONLY | O_DIRECTORY, 0);
    assert_eq!(p.sys(SYS_renameat, &[da as u64, p.cstr("f"), db as u64, p.cstr("g")]), 0);
    assert_eq!(get(&p, "/tmp/b/g"), b"x");
}

#[test]
fn rename_updates_directory_mtime_and_ctime() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/a", b"");
    let before = stat(&p, "/tmp/d").expect("d");
    h.advance_ns(5_000_000_000);
    rename(&p, "/tmp/d/a", "/tmp/d/b");
    let after = stat(&p, "/tmp/d").expect("d");
    assert_eq!(after.st_mtime_sec, before.st_mtime_sec + 5);
    assert_eq!(after.st_ctime_sec, before.st_ctime_sec + 5);
}
