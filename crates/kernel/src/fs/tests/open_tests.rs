use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::Harness;

#[test]
fn open_returns_lowest_free_fd() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"x");
    let a = open(&p, "/tmp/f", O_RDONLY, 0);
    let b = open(&p, "/tmp/f", O_RDONLY, 0);
    let c = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!((a, b, c), (0, 1, 2));
    close(&p, b);
    assert_eq!(open(&p, "/tmp/f", O_RDONLY, 0), 1);
}

#[test]
fn open_fails_with_emfile_at_rlimit_nofile() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"x");
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).expect("proc").rlimits[wasmpod_abi::misc::RLIMIT_NOFILE as usize].cur = 3
    });
    for _ in 0..3 {
        assert!(open(&p, "/tmp/f", O_RDONLY, 0) >= 0);
    }
    assert_eq!(open(&p, "/tmp/f", O_RDONLY, 0), errno(EMFILE));
}

#[test]
fn create_write_read_back() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/hello", b"hello world");
    assert_eq!(get(&p, "/tmp/hello"), b"hello world");
}

#[test]
fn open_missing_without_creat_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "/tmp/nope", O_RDONLY, 0), errno(ENOENT));
}

#[test]
fn o_excl_on_existing_file_is_eexist() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(open(&p, "/tmp/f", O_WRONLY | O_CREAT | O_EXCL, 0o644), errno(EEXIST));
}

#[test]
fn o_excl_does_not_follow_dangling_symlink() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(symlink(&p, "/tmp/target", "/tmp/link"), 0);
    assert_eq!(open(&p, "/tmp/link", O_WRONLY | O_CREAT | O_EXCL, 0o644), errno(EEXIST));
    assert_eq!(stat(&p, "/tmp/target").unwrap_err(), errno(ENOENT));
}

#[test]
fn o_creat_through_dangling_symlink_creates_target() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(symlink(&p, "target", "/tmp/link"), 0);
    let fd = open(&p, "/tmp/link", O_WRONLY | O_CREAT, 0o600);
    assert!(fd >= 0);
    let st = stat(&p, "/tmp/target").expect("created");
    assert_eq!(st.st_mode, S_IFREG | 0o600);
}

#[test]
fn o_trunc_empties_file() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"0123456789");
    let fd = open(&p, "/tmp/f", O_WRONLY | O_TRUNC, 0);
    assert_eq!(fstat(&p, fd).st_size, 0);
    assert_eq!(get(&p, "/tmp/f"), b"");
}

#[test]
fn o_append_writes_at_end_even_after_seek() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abc");
    let fd = open(&p, "/tmp/f", O_WRONLY | O_APPEND, 0);
    assert_eq!(lseek(&p, fd, 0, SEEK_SET), 0);
    assert_eq!(write(&p, fd, b"def"), 3);
    assert_eq!(lseek(&p, fd, 0, SEEK_CUR), 6);
    assert_eq!(get(&p, "/tmp/f"), b"abcdef");
}

#[test]
fn o_append_from_two_descriptions_does_not_overwrite() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/log", b"");
    let a = open(&p, "/tmp/log", O_WRONLY | O_APPEND, 0);
    let b = open(&p, "/tmp/log", O_WRONLY | O_APPEND, 0);
    write(&p, a, b"1");
    write(&p, b, b"2");
    write(&p, a, b"3");
    assert_eq!(get(&p, "/tmp/log"), b"123");
}

#[test]
fn pwrite_on_o_append_file_appends() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abc");
    let fd = open(&p, "/tmp/f", O_WRONLY | O_APPEND, 0);
    let b = p.bytes(b"Z");
    assert_eq!(p.sys(SYS_pwrite64, &[fd as u64, u64::from(b), 1, 0, 0]), 1);
    assert_eq!(get(&p, "/tmp/f"), b"abcZ");
}

#[test]
fn two_opens_have_independent_offsets() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abcdef");
    let a = open(&p, "/tmp/f", O_RDONLY, 0);
    let b = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(read(&p, a, 3), b"abc");
    assert_eq!(read(&p, b, 2), b"ab");
    assert_eq!(read(&p, a, 3), b"def");
}

#[test]
fn read_at_eof_returns_zero() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"ab");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(read(&p, fd, 10), b"ab");
    assert_eq!(read(&p, fd, 10), b"");
}

#[test]
fn write_past_end_leaves_zero_filled_hole() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/sparse", O_RDWR | O_CREAT, 0o644);
    assert_eq!(lseek(&p, fd, 10000, SEEK_SET), 10000);
    assert_eq!(write(&p, fd, b"x"), 1);
    let st = fstat(&p, fd);
    assert_eq!(st.st_size, 10001);
    // Only the page holding the byte is allocated.
    assert_eq!(st.st_blocks, 8);
    let data = get(&p, "/tmp/sparse");
    assert_eq!(data.len(), 10001);
    assert!(data[..10000].iter().all(|&b| b == 0));
}

#[test]
fn open_directory_for_writing_is_eisdir() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "/tmp", O_WRONLY, 0), errno(EISDIR));
    assert_eq!(open(&p, "/tmp", O_RDWR, 0), errno(EISDIR));
    assert!(open(&p, "/tmp", O_RDONLY, 0) >= 0);
}

#[test]
fn o_creat_on_existing_directory_is_eisdir() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "/tmp", O_RDONLY | O_CREAT, 0o644), errno(EISDIR));
    assert_eq!(open(&p, "/tmp/new/", O_RDONLY | O_CREAT, 0o644), errno(EISDIR));
}

#[test]
fn read_on_directory_fd_is_eisdir() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp", O_RDONLY, 0);
    let b = p.alloc(8);
    assert_eq!(p.sys(SYS_read, &[fd as u64, u64::from(b), 8]), errno(EISDIR));
}

#[test]
fn o_directory_on_file_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(open(&p, "/tmp/f", O_RDONLY | O_DIRECTORY, 0), errno(ENOTDIR));
}

#[test]
fn o_nofollow_on_symlink_is_eloop() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    symlink(&p, "/tmp/f", "/tmp/l");
    assert_eq!(open(&p, "/tmp/l", O_RDONLY | O_NOFOLLOW, 0), errno(ELOOP));
    // A symlink in a non-final component is still followed.
    assert_eq!(mkdir(&p, "/tmp/d", 0o755), 0);
    symlink(&p, "/tmp/d", "/tmp/dl");
    put(&p, "/tmp/d/x", b"");
    assert!(open(&p, "/tmp/dl/x", O_RDONLY | O_NOFOLLOW, 0) >= 0);
}

#[test]
fn o_path_with_nofollow_opens_the_symlink_itself() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "/nowhere", "/tmp/l");
    let fd = open(&p, "/tmp/l", O_PATH | O_NOFOLLOW, 0);
    assert!(fd >= 0);
    assert_eq!(fstat(&p, fd).st_mode & S_IFMT, S_IFLNK);
    // O_PATH fds can't be read.
    let b = p.alloc(4);
    assert_eq!(p.sys(SYS_read, &[fd as u64, u64::from(b), 4]), errno(EBADF));
}

#[test]
fn o_path_needs_no_read_permission() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/secret", O_WRONLY | O_CREAT, 0o000);
    close(&p, fd);
    assert_eq!(open(&p, "/tmp/secret", O_RDONLY, 0), errno(EACCES));
    assert!(open(&p, "/tmp/secret", O_PATH, 0) >= 0);
}

#[test]
fn o_cloexec_sets_fd_flag() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    let fd = open(&p, "/tmp/f", O_RDONLY | O_CLOEXEC, 0);
    let cloexec = h.kernel.with_state(|st| st.procs.procs[&p.pid].files.entry(fd as i32).map(|e| e.cloexec));
    assert_eq!(cloexec.ok(), Some(true));
}

#[test]
fn created_file_mode_has_umask_applied() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/m", O_WRONLY | O_CREAT, 0o777);
    assert_eq!(fstat(&p, fd).st_mode, S_IFREG | 0o755);
}

#[test]
fn creating_with_read_only_mode_still_opens_for_writing() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/ro", O_RDWR | O_CREAT, 0o444);
    assert!(fd >= 0);
    assert_eq!(write(&p, fd, b"ok"), 2);
    // A second open honours the mode.
    assert_eq!(open(&p, "/tmp/ro", O_WRONLY, 0), errno(EACCES));
}

#[test]
fn new_file_is_owned_by_caller() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/mine", b"");
    let st = stat(&p, "/tmp/mine").expect("stat");
    assert_eq!((st.st_uid, st.st_gid), (1000, 1000));
}

#[test]
fn root_may_open_any_file_for_reading_and_writing() {
    let h = Harness::new();
    let u = h.process(None);
    let fd = open(&u, "/tmp/locked", O_WRONLY | O_CREAT, 0o000);
    close(&u, fd);
    let r = h.process_as(None, Credentials::root());
    assert!(open(&r, "/tmp/locked", O_RDWR, 0) >= 0);
}

#[test]
fn user_cannot_create_in_root_owned_directory() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "/newfile", O_WRONLY | O_CREAT, 0o644), errno(EACCES));
    assert_eq!(mkdir(&p, "/newdir", 0o755), errno(EACCES));
}

#[test]
fn user_cannot_search_roots_home() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/root/x", b"");
    let p = h.process(None);
    assert_eq!(open(&p, "/root/x", O_RDONLY, 0), errno(EACCES));
    assert_eq!(stat(&p, "/root/x").unwrap_err(), errno(EACCES));
}

#[test]
fn o_tmpfile_creates_unnamed_file_that_linkat_can_name() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp", O_TMPFILE | O_RDWR, 0o600);
    assert!(fd >= 0, "{fd}");
    assert_eq!(write(&p, fd, b"anon"), 4);
    let st = fstat(&p, fd);
    assert_eq!((st.st_mode, st.st_nlink), (S_IFREG | 0o600, 0));
    assert_eq!(list(&p, "/tmp", 4096), vec![".", ".."]);
    let at = AT_FDCWD as u32 as u64;
    let r = p.sys(SYS_linkat, &[fd as u64, p.cstr(""), at, p.cstr("/tmp/named"), u64::from(AT_EMPTY_PATH)]);
    assert_eq!(r, 0);
    assert_eq!(get(&p, "/tmp/named"), b"anon");
    assert_eq!(fstat(&p, fd).st_nlink, 1);
}

#[test]
fn o_tmpfile_with_o_excl_cannot_be_linked() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp", O_TMPFILE | O_RDWR | O_EXCL, 0o600);
    let at = AT_FDCWD as u32 as u64;
    let r = p.sys(SYS_linkat, &[fd as u64, p.cstr(""), at, p.cstr("/tmp/named"), u64::from(AT_EMPTY_PATH)]);
    assert_eq!(r, errno(ENOENT));
}

#[test]
fn o_tmpfile_needs_write_access_and_a_directory() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "/tmp", O_TMPFILE | O_RDONLY, 0o600), errno(EINVAL));
    put(&p, "/tmp/f", b"");
    assert_eq!(open(&p, "/tmp/f", O_TMPFILE | O_RDWR, 0o600), errno(ENOTDIR));
    assert_eq!(open(&p, "/", O_TMPFILE | O_RDWR, 0o600), errno(EACCES));
}

#[test]
fn linkat_of_deleted_file_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    unlink(&p, "/tmp/f");
    let at = AT_FDCWD as u32 as u64;
    let r = p.sys(SYS_linkat, &[fd as u64, p.cstr(""), at, p.cstr("/tmp/g"), u64::from(AT_EMPTY_PATH)]);
    assert_eq!(r, errno(ENOENT));
}

#[test]
fn bad_path_pointer_is_efault() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_openat, &[AT_FDCWD as u32 as u64, 0xffff_fff0, 0, 0]), errno(EFAULT));
}

#[test]
fn openat_relative_to_directory_fd() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/f", b"in d");
    let dfd = open(&p, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
    let fd = p.sys(SYS_openat, &[dfd as u64, p.cstr("f"), 0, 0]);
    assert_eq!(read(&p, fd, 10), b"in d");
    // An absolute path ignores dirfd, even a bad one.
    assert!(p.sys(SYS_openat, &[999, p.cstr("/tmp/d/f"), 0, 0]) >= 0);
}

#[test]
fn openat_relative_to_file_fd_is_enotdir_and_bad_fd_ebadf() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(p.sys(SYS_openat, &[fd as u64, p.cstr("x"), 0, 0]), errno(ENOTDIR));
    assert_eq!(p.sys(SYS_openat, &[77, p.cstr("x"), 0, 0]), errno(EBADF));
}

#[test]
fn lseek_whence_rules() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"0123456789");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(lseek(&p, fd, -2, SEEK_END), 8);
    assert_eq!(read(&p, fd, 5), b"89");
    assert_eq!(lseek(&p, fd, -3, SEEK_CUR), 7);
    assert_eq!(lseek(&p, fd, -1, SEEK_SET), errno(EINVAL));
    assert_eq!(lseek(&p, fd, -100, SEEK_CUR), errno(EINVAL));
    assert_eq!(lseek(&p, fd, 0, 17), errno(EINVAL));
    // Past the end is allowed.
    assert_eq!(lseek(&p, fd, 1 << 40, SEEK_SET), 1 << 40);
}

#[test]
fn lseek_data_and_hole() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"0123456789");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(lseek(&p, fd, 3, SEEK_DATA), 3);
    assert_eq!(lseek(&p, fd, 3, SEEK_HOLE), 10);
    assert_eq!(lseek(&p, fd, 10, SEEK_DATA), errno(ENXIO));
}

#[test]
fn lseek_bad_fd_is_ebadf() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(lseek(&p, 42, 0, SEEK_SET), errno(EBADF));
}

#[test]
fn unlink_while_open_keeps_data_until_close() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"still here");
    let fd = open(&p, "/tmp/f", O_RDWR, 0);
    assert_eq!(unlink(&p, "/tmp/f"), 0);
    assert_eq!(stat(&p, "/tmp/f").unwrap_err(), errno(ENOENT));
    assert_eq!(fstat(&p, fd).st_nlink, 0);
    assert_eq!(read(&p, fd, 100), b"still here");
    assert_eq!(write(&p, fd, b"!"), 1);
    assert_eq!(fstat(&p, fd).st_size, 11);
    // A new file with the same name is a different inode.
    put(&p, "/tmp/f", b"new");
    assert_ne!(stat(&p, "/tmp/f").expect("new").st_ino, fstat(&p, fd).st_ino);
}

#[test]
fn openat2_opens_and_rejects_resolve_flags() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"x");
    let how = p.alloc(24);
    p.write(how, &u64::from(O_RDONLY).to_le_bytes());
    assert!(p.sys(SYS_openat2, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/f"), u64::from(how), 24]) >= 0);
    p.write(how + 16, &1u64.to_le_bytes());
    assert_eq!(p.sys(SYS_openat2, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/f"), u64::from(how), 24]), errno(EINVAL));
}

#[test]
fn write_by_non_root_clears_setuid() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/suid", O_RDWR | O_CREAT, 0o755);
    assert_eq!(p.sys(SYS_fchmod, &[fd as u64, 0o6755]), 0);
    assert_eq!(write(&p, fd, b"x"), 1);
    assert_eq!(fstat(&p, fd).st_mode, S_IFREG | 0o755);
}

#[test]
fn lookup_exec_requires_regular_executable_file() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/prog", b"\0asm");
    let run = |path: &'static [u8]| {
        let mut mem = p.mem.clone();
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| crate::fs::lookup_exec(ctx, AT_FDCWD, path).map(|r| r.2))
    };
    assert_eq!(run(b"/tmp/prog").unwrap_err().errno(), EACCES);
    assert_eq!(p.sys(SYS_fchmodat, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/prog"), 0o755]), 0);
    assert_eq!(run(b"/tmp/../tmp/prog").expect("exec"), b"/tmp/prog");
    assert_eq!(run(b"/tmp").unwrap_err().errno(), EACCES);
    assert_eq!(run(b"/tmp/none").unwrap_err().errno(), ENOENT);
}

#[test]
fn o_creat_through_symlink_chain_to_existing_file_opens_it() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/target", b"old contents");
    symlink(&p, "/tmp/l2", "/tmp/l1");
    symlink(&p, "target", "/tmp/l2");
    let fd = open(&p, "/tmp/l1", O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    assert!(fd >= 0);
    assert_eq!(write(&p, fd, b"new"), 3);
    assert_eq!(get(&p, "/tmp/target"), b"new");
}

#[test]
fn o_creat_through_dev_stdout_style_link_to_device() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "/dev/null", "/tmp/out");
    let fd = open(&p, "/tmp/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    assert!(fd >= 0);
    assert_eq!(write(&p, fd, b"x"), 1);
    assert_eq!(fstat(&p, fd).st_mode & S_IFMT, S_IFCHR);
}

#[test]
fn readlinkat_empty_path_with_at_fdcwd_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    let b = p.alloc(16);
    assert_eq!(p.sys(SYS_readlinkat, &[AT_FDCWD as u32 as u64, p.cstr(""), u64::from(b), 16]), errno(ENOENT));
}

#[test]
fn readlinkat_empty_path_reads_o_path_symlink_fd() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "dest", "/tmp/l");
    let fd = open(&p, "/tmp/l", O_PATH | O_NOFOLLOW, 0);
    let b = p.alloc(16);
    assert_eq!(p.sys(SYS_readlinkat, &[fd as u64, p.cstr(""), u64::from(b), 16]), 4);
    assert_eq!(p.read(b, 4), b"dest");
}

#[test]
fn openat2_rejects_oversized_or_unknown_fields() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"x");
    let how = p.alloc(32);
    p.write(how + 24, &[1]);
    let at = AT_FDCWD as u32 as u64;
    assert_eq!(p.sys(SYS_openat2, &[at, p.cstr("/tmp/f"), u64::from(how), 32]), errno(E2BIG));
    assert_eq!(p.sys(SYS_openat2, &[at, p.cstr("/tmp/f"), u64::from(how), 8192]), errno(E2BIG));
    assert_eq!(p.sys(SYS_openat2, &[at, p.cstr("/tmp/f"), u64::from(how), 16]), errno(EINVAL));
}
