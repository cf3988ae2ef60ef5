use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::time::timespec;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::{Harness, Proc, FAKE_EPOCH_NS};

const AT: u64 = AT_FDCWD as u32 as u64;

fn chmod(p: &Proc, path: &str, mode: u32) -> i64 {
    p.sys(SYS_fchmodat, &[AT, p.cstr(path), u64::from(mode)])
}
fn chown(p: &Proc, path: &str, uid: u32, gid: u32) -> i64 {
    p.sys(SYS_fchownat, &[AT, p.cstr(path), u64::from(uid), u64::from(gid), 0])
}
fn utimens(p: &Proc, path: &str, times: Option<[(i64, i64); 2]>, flags: u32) -> i64 {
    let t = match times {
        None => 0,
        Some(ts) => {
            let a = p.put_struct(&timespec { tv_sec: ts[0].0, tv_nsec: ts[0].1 as i32 });
            p.put_struct(&timespec { tv_sec: ts[1].0, tv_nsec: ts[1].1 as i32 });
            u64::from(a)
        }
    };
    p.sys(SYS_utimensat, &[AT, p.cstr(path), t, u64::from(flags)])
}
fn access(p: &Proc, path: &str, mode: u32, flags: u32) -> i64 {
    p.sys(SYS_faccessat2, &[AT, p.cstr(path), u64::from(mode), u64::from(flags)])
}
fn truncate(p: &Proc, path: &str, len: u64) -> i64 {
    p.sys(SYS_truncate, &[p.cstr(path), len & 0xffff_ffff, len >> 32])
}

/// The fake wall clock's seconds right now.
fn now_sec(h: &Harness) -> i64 {
    use crate::platform::Platform;
    (h.platform.now(crate::platform::ClockKind::Realtime) / 1_000_000_000) as i64
}

#[test]
fn new_file_timestamps_come_from_fake_clock() {
    let h = Harness::new();
    let p = h.process(None);
    h.advance_ns(1_500_000_000);
    put(&p, "/tmp/f", b"");
    let st = stat(&p, "/tmp/f").expect("f");
    assert_eq!(st.st_mtime_sec, now_sec(&h));
    assert!(st.st_mtime_sec >= (FAKE_EPOCH_NS / 1_000_000_000) as i64);
    assert_eq!(st.st_mtime_nsec, 500_000_000);
    assert_eq!((st.st_atime_sec, st.st_ctime_sec), (st.st_mtime_sec, st.st_mtime_sec));
}

#[test]
fn write_updates_mtime_and_ctime_not_atime() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/f", O_RDWR | O_CREAT, 0o644);
    let before = fstat(&p, fd);
    h.advance_ns(10_000_000_000);
    write(&p, fd, b"x");
    let after = fstat(&p, fd);
    assert_eq!(after.st_mtime_sec, before.st_mtime_sec + 10);
    assert_eq!(after.st_ctime_sec, before.st_ctime_sec + 10);
    assert_eq!(after.st_atime_sec, before.st_atime_sec);
}

#[test]
fn read_updates_atime_relatime() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abc");
    h.advance_ns(7_000_000_000);
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    read(&p, fd, 3);
    let st = fstat(&p, fd);
    assert_eq!(st.st_atime_sec, st.st_mtime_sec + 7);
    // A second read soon after does not move atime (relatime).
    h.advance_ns(7_000_000_000);
    lseek(&p, fd, 0, SEEK_SET);
    read(&p, fd, 3);
    assert_eq!(fstat(&p, fd).st_atime_sec, st.st_atime_sec);
}

#[test]
fn chmod_changes_mode_and_ctime_only() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    let before = stat(&p, "/tmp/f").expect("f");
    h.advance_ns(4_000_000_000);
    assert_eq!(chmod(&p, "/tmp/f", 0o600), 0);
    let after = stat(&p, "/tmp/f").expect("f");
    assert_eq!(after.st_mode, S_IFREG | 0o600);
    assert_eq!(after.st_ctime_sec, before.st_ctime_sec + 4);
    assert_eq!(after.st_mtime_sec, before.st_mtime_sec);
}

#[test]
fn chmod_by_non_owner_is_eperm() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    let other = h.process_as(None, Credentials::with_ids(1001, 1001));
    assert_eq!(chmod(&other, "/tmp/f", 0o777), errno(EPERM));
    let r = h.process_as(None, Credentials::root());
    assert_eq!(chmod(&r, "/tmp/f", 0o777), 0);
}

#[test]
fn chmod_by_non_member_clears_setgid() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/tmp/f", b"");
    assert_eq!(chown(&r, "/tmp/f", 1000, 50), 0);
    let u = h.process(None);
    assert_eq!(chmod(&u, "/tmp/f", 0o2755), 0);
    assert_eq!(stat(&u, "/tmp/f").expect("f").st_mode, S_IFREG | 0o755);
}

#[test]
fn fchmod_works_on_fd_and_fchmodat2_nofollow_on_symlink_is_eopnotsupp() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/f", O_RDWR | O_CREAT, 0o644);
    assert_eq!(p.sys(SYS_fchmod, &[fd as u64, 0o640]), 0);
    assert_eq!(fstat(&p, fd).st_mode, S_IFREG | 0o640);
    symlink(&p, "/tmp/f", "/tmp/l");
    let r = p.sys(SYS_fchmodat2, &[AT, p.cstr("/tmp/l"), 0o600, u64::from(AT_SYMLINK_NOFOLLOW)]);
    assert_eq!(r, errno(EOPNOTSUPP));
    // Without NOFOLLOW the target changes.
    assert_eq!(p.sys(SYS_fchmodat2, &[AT, p.cstr("/tmp/l"), 0o600, 0]), 0);
    assert_eq!(fstat(&p, fd).st_mode, S_IFREG | 0o600);
}

#[test]
fn chown_uid_change_needs_root() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(chown(&p, "/tmp/f", 0, u32::MAX), errno(EPERM));
    // Setting the same owner as the owner is allowed.
    assert_eq!(chown(&p, "/tmp/f", 1000, u32::MAX), 0);
    let r = h.process_as(None, Credentials::root());
    assert_eq!(chown(&r, "/tmp/f", 1234, 5678), 0);
    let st = stat(&r, "/tmp/f").expect("f");
    assert_eq!((st.st_uid, st.st_gid), (1234, 5678));
}

#[test]
fn owner_may_change_group_only_to_own_groups() {
    let h = Harness::new();
    let mut c = Credentials::user();
    c.groups = vec![27];
    let p = h.process_as(None, c);
    put(&p, "/tmp/f", b"");
    assert_eq!(chown(&p, "/tmp/f", u32::MAX, 27), 0);
    assert_eq!(stat(&p, "/tmp/f").expect("f").st_gid, 27);
    assert_eq!(chown(&p, "/tmp/f", u32::MAX, 28), errno(EPERM));
}

#[test]
fn chown_clears_setuid_and_setgid() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/tmp/f", b"");
    chmod(&r, "/tmp/f", 0o6755);
    assert_eq!(chown(&r, "/tmp/f", 1000, 1000), 0);
    assert_eq!(stat(&r, "/tmp/f").expect("f").st_mode, S_IFREG | 0o755);
}

#[test]
fn lchown_changes_symlink_itself() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/tmp/t", b"");
    symlink(&r, "/tmp/t", "/tmp/l");
    let rr = r.sys(SYS_fchownat, &[AT, r.cstr("/tmp/l"), 7, 7, u64::from(AT_SYMLINK_NOFOLLOW)]);
    assert_eq!(rr, 0);
    assert_eq!(lstat(&r, "/tmp/l").expect("l").st_uid, 7);
    assert_eq!(stat(&r, "/tmp/t").expect("t").st_uid, 0);
}

#[test]
fn utimensat_sets_explicit_times() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(utimens(&p, "/tmp/f", Some([(100, 5), (200, 6)]), 0), 0);
    let st = stat(&p, "/tmp/f").expect("f");
    assert_eq!((st.st_atime_sec, st.st_atime_nsec), (100, 5));
    assert_eq!((st.st_mtime_sec, st.st_mtime_nsec), (200, 6));
    assert_eq!(st.st_ctime_sec, now_sec(&h));
}

#[test]
fn utimensat_null_times_means_now() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    utimens(&p, "/tmp/f", Some([(1, 0), (1, 0)]), 0);
    h.advance_ns(3_000_000_000);
    assert_eq!(utimens(&p, "/tmp/f", None, 0), 0);
    let st = stat(&p, "/tmp/f").expect("f");
    assert_eq!(st.st_atime_sec, now_sec(&h));
    assert_eq!(st.st_mtime_sec, now_sec(&h));
}

#[test]
fn utimensat_omit_and_now_per_field() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    utimens(&p, "/tmp/f", Some([(1, 0), (2, 0)]), 0);
    assert_eq!(utimens(&p, "/tmp/f", Some([(0, UTIME_OMIT), (0, UTIME_NOW)]), 0), 0);
    let st = stat(&p, "/tmp/f").expect("f");
    assert_eq!(st.st_atime_sec, 1);
    assert_eq!(st.st_mtime_sec, now_sec(&h));
}

#[test]
fn utimensat_bad_nsec_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(utimens(&p, "/tmp/f", Some([(1, 1_000_000_000), (1, 0)]), 0), errno(EINVAL));
    assert_eq!(utimens(&p, "/tmp/f", None, 0x4), errno(EINVAL));
}

#[test]
fn utimensat_permission_rules() {
    let h = Harness::new();
    let owner = h.process(None);
    put(&owner, "/tmp/f", b"");
    chmod(&owner, "/tmp/f", 0o666);
    let other = h.process_as(None, Credentials::with_ids(1001, 1001));
    // Write permission suffices for "now"...
    assert_eq!(utimens(&other, "/tmp/f", None, 0), 0);
    // ...but not for explicit times.
    assert_eq!(utimens(&other, "/tmp/f", Some([(1, 0), (1, 0)]), 0), errno(EPERM));
    chmod(&owner, "/tmp/f", 0o644);
    assert_eq!(utimens(&other, "/tmp/f", None, 0), errno(EACCES));
}

#[test]
fn utimensat_nofollow_changes_symlink() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/t", b"");
    symlink(&p, "/tmp/t", "/tmp/l");
    assert_eq!(utimens(&p, "/tmp/l", Some([(5, 0), (6, 0)]), AT_SYMLINK_NOFOLLOW), 0);
    assert_eq!(lstat(&p, "/tmp/l").expect("l").st_mtime_sec, 6);
    assert_ne!(stat(&p, "/tmp/t").expect("t").st_mtime_sec, 6);
}

#[test]
fn truncate_shrinks_and_extends_with_zeros() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"hello world");
    assert_eq!(truncate(&p, "/tmp/f", 5), 0);
    assert_eq!(get(&p, "/tmp/f"), b"hello");
    assert_eq!(truncate(&p, "/tmp/f", 8), 0);
    assert_eq!(get(&p, "/tmp/f"), b"hello\0\0\0");
}

#[test]
fn truncate_to_huge_size_is_sparse() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(truncate(&p, "/tmp/f", 1 << 40), 0);
    let st = stat(&p, "/tmp/f").expect("f");
    assert_eq!(st.st_size, 1 << 40);
    assert_eq!(st.st_blocks, 0);
}

#[test]
fn truncate_errors() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(truncate(&p, "/tmp", 0), errno(EISDIR));
    put(&p, "/tmp/f", b"");
    assert_eq!(truncate(&p, "/tmp/f", u64::MAX), errno(EINVAL));
    chmod(&p, "/tmp/f", 0o444);
    assert_eq!(truncate(&p, "/tmp/f", 0), errno(EACCES));
}

#[test]
fn ftruncate_needs_fd_open_for_writing() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abc");
    let ro = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(p.sys(SYS_ftruncate, &[ro as u64, 0, 0]), errno(EINVAL));
    let rw = open(&p, "/tmp/f", O_RDWR, 0);
    assert_eq!(p.sys(SYS_ftruncate, &[rw as u64, 1, 0]), 0);
    assert_eq!(fstat(&p, rw).st_size, 1);
}

#[test]
fn ftruncate_does_not_move_offset() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abcdef");
    let fd = open(&p, "/tmp/f", O_RDWR, 0);
    read(&p, fd, 4);
    p.sys(SYS_ftruncate, &[fd as u64, 2, 0]);
    assert_eq!(lseek(&p, fd, 0, SEEK_CUR), 4);
    assert_eq!(write(&p, fd, b"Z"), 1);
    assert_eq!(get(&p, "/tmp/f"), b"ab\0\0Z");
}

#[test]
fn fallocate_mode_zero_extends_others_unsupported() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/f", O_RDWR | O_CREAT, 0o644);
    assert_eq!(p.sys(SYS_fallocate, &[fd as u64, 0, 100, 0, 50, 0]), 0);
    assert_eq!(fstat(&p, fd).st_size, 150);
    assert_eq!(p.sys(SYS_fallocate, &[fd as u64, 0, 0, 0, 10, 0]), 0);
    assert_eq!(fstat(&p, fd).st_size, 150);
    assert_eq!(p.sys(SYS_fallocate, &[fd as u64, 3, 0, 0, 10, 0]), errno(EOPNOTSUPP));
    assert_eq!(p.sys(SYS_fallocate, &[fd as u64, 0, 0, 0, 0, 0]), errno(EINVAL));
}

#[test]
fn access_uses_real_ids_unless_at_eaccess() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/tmp/rootonly", b"");
    chmod(&r, "/tmp/rootonly", 0o600);
    // A set-user-ID-root style process: real 1000, effective 0.
    let mut c = Credentials::user();
    c.euid = 0;
    c.fsuid = 0;
    let p = h.process_as(None, c);
    assert_eq!(access(&p, "/tmp/rootonly", R_OK, 0), errno(EACCES));
    assert_eq!(access(&p, "/tmp/rootonly", R_OK, AT_EACCESS), 0);
    // The real-id check didn't stick.
    assert!(open(&p, "/tmp/rootonly", O_RDONLY, 0) >= 0);
}

#[test]
fn access_modes_and_existence() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(access(&p, "/tmp/f", F_OK, 0), 0);
    assert_eq!(access(&p, "/tmp/f", R_OK | W_OK, 0), 0);
    assert_eq!(access(&p, "/tmp/f", X_OK, 0), errno(EACCES));
    assert_eq!(access(&p, "/tmp/none", F_OK, 0), errno(ENOENT));
    assert_eq!(access(&p, "/tmp/f", 8, 0), errno(EINVAL));
    assert_eq!(p.sys(SYS_faccessat, &[AT, p.cstr("/tmp/f"), u64::from(W_OK)]), 0);
}

#[test]
fn root_exec_needs_some_execute_bit() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/tmp/f", b"");
    chmod(&r, "/tmp/f", 0o644);
    assert_eq!(access(&r, "/tmp/f", X_OK, 0), errno(EACCES));
    chmod(&r, "/tmp/f", 0o601);
    assert_eq!(access(&r, "/tmp/f", X_OK, 0), 0);
    assert_eq!(access(&r, "/tmp", X_OK, 0), 0);
}

#[test]
fn group_permission_bits_apply_to_group_members() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    put(&r, "/tmp/g", b"");
    chown(&r, "/tmp/g", 0, 42);
    chmod(&r, "/tmp/g", 0o640);
    let mut c = Credentials::user();
    c.groups = vec![42];
    let member = h.process_as(None, c);
    let outsider = h.process(None);
    assert_eq!(access(&member, "/tmp/g", R_OK, 0), 0);
    assert_eq!(access(&member, "/tmp/g", W_OK, 0), errno(EACCES));
    assert_eq!(access(&outsider, "/tmp/g", R_OK, 0), errno(EACCES));
}

#[test]
fn owner_bits_apply_even_if_others_allow_more() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    chmod(&p, "/tmp/f", 0o066);
    assert_eq!(open(&p, "/tmp/f", O_RDONLY, 0), errno(EACCES));
}

#[test]
fn umask_returns_previous_and_applies_to_mkdir() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_umask, &[0o077]), 0o022);
    assert_eq!(p.sys(SYS_umask, &[0o1077]), 0o077);
    mkdir(&p, "/tmp/d", 0o777);
    assert_eq!(stat(&p, "/tmp/d").expect("d").st_mode, S_IFDIR | 0o700);
}

#[test]
fn setgid_directory_passes_group_to_new_entries() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/sg", 0o777);
    chown(&r, "/tmp/sg", 0, 77);
    chmod(&r, "/tmp/sg", 0o2777);
    let p = h.process(None);
    put(&p, "/tmp/sg/f", b"");
    mkdir(&p, "/tmp/sg/d", 0o755);
    assert_eq!(stat(&p, "/tmp/sg/f").expect("f").st_gid, 77);
    let d = stat(&p, "/tmp/sg/d").expect("d");
    assert_eq!(d.st_gid, 77);
    assert_eq!(d.st_mode & S_ISGID, S_ISGID);
}

#[test]
fn statx_reports_basic_stats() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"12345");
    let buf = p.alloc(256);
    let r = p.sys(SYS_statx, &[AT, p.cstr("/tmp/f"), 0, u64::from(STATX_BASIC_STATS), u64::from(buf)]);
    assert_eq!(r, 0);
    let sx: statx = p.read_struct(buf);
    let st = stat(&p, "/tmp/f").expect("f");
    assert_eq!(sx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
    assert_eq!(sx.stx_size, 5);
    assert_eq!(sx.stx_ino, st.st_ino);
    assert_eq!(u32::from(sx.stx_mode), st.st_mode);
    assert_eq!(sx.stx_mtime_sec, st.st_mtime_sec);
    let bad = p.sys(SYS_statx, &[AT, p.cstr("/tmp/f"), 0, u64::from(STATX__RESERVED), u64::from(buf)]);
    assert_eq!(bad, errno(EINVAL));
}

#[test]
fn fstatat_rejects_unknown_flags() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(stat_at(&p, "/tmp", 0x1).unwrap_err(), errno(EINVAL));
}

#[test]
fn inode_numbers_are_unique() {
    let h = Harness::new();
    let p = h.process(None);
    let mut inos = Vec::new();
    for i in 0..20 {
        put(&p, &format!("/tmp/f{i}"), b"");
        inos.push(stat(&p, &format!("/tmp/f{i}")).expect("f").st_ino);
    }
    let n = inos.len();
    inos.sort();
    inos.dedup();
    assert_eq!(inos.len(), n);
}

#[test]
fn statfs_reports_tmpfs_magic() {
    let h = Harness::new();
    let p = h.process(None);
    let buf = p.alloc(120);
    assert_eq!(p.sys(SYS_statfs, &[p.cstr("/tmp"), u64::from(buf)]), 0);
    let s: statfs = p.read_struct(buf);
    assert_eq!(s.f_type, TMPFS_MAGIC);
    assert_eq!(s.f_namelen, 255);
    let fd = open(&p, "/tmp", O_RDONLY, 0);
    assert_eq!(p.sys(SYS_fstatfs, &[fd as u64, u64::from(buf)]), 0);
    assert_eq!(p.sys(SYS_statfs, &[p.cstr("/nonexistent"), u64::from(buf)]), errno(ENOENT));
}

#[test]
fn fsync_succeeds_on_files_and_sync_always() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/f", O_RDWR | O_CREAT, 0o644);
    assert_eq!(p.sys(SYS_fsync, &[fd as u64]), 0);
    assert_eq!(p.sys(SYS_fdatasync, &[fd as u64]), 0);
    assert_eq!(p.sys(SYS_syncfs, &[fd as u64]), 0);
    assert_eq!(p.sys(SYS_sync, &[]), 0);
    assert_eq!(p.sys(SYS_fsync, &[99]), errno(EBADF));
}

fn set_fsize(h: &Harness, p: &Proc, limit: u64) {
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).expect("proc").rlimits[wasmpod_abi::misc::RLIMIT_FSIZE as usize].cur = limit
    });
}

fn sigxfsz_pending(h: &Harness, p: &Proc) -> bool {
    h.kernel.with_state(|st| crate::signal::next_deliverable(st, p.tid) == Some(wasmpod_abi::signal::SIGXFSZ))
}

#[test]
fn write_is_cut_at_rlimit_fsize_then_efbig_with_sigxfsz() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/f", O_RDWR | O_CREAT, 0o644);
    set_fsize(&h, &p, 10);
    assert_eq!(write(&p, fd, b"0123456789abc"), 10);
    assert!(!sigxfsz_pending(&h, &p));
    assert_eq!(write(&p, fd, b"x"), errno(EFBIG));
    assert!(sigxfsz_pending(&h, &p));
    assert_eq!(fstat(&p, fd).st_size, 10);
}

#[test]
fn truncate_beyond_rlimit_fsize_is_efbig() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    set_fsize(&h, &p, 100);
    assert_eq!(truncate(&p, "/tmp/f", 100), 0);
    assert_eq!(truncate(&p, "/tmp/f", 101), errno(EFBIG));
}
