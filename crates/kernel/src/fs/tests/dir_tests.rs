use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::testing::Harness;

#[test]
fn mkdir_creates_directory_with_umask() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mkdir(&p, "/tmp/d", 0o777), 0);
    let st = stat(&p, "/tmp/d").expect("stat");
    assert_eq!(st.st_mode, S_IFDIR | 0o755);
    assert_eq!(st.st_nlink, 2);
}

#[test]
fn mkdir_existing_is_eexist_even_for_symlink() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    assert_eq!(mkdir(&p, "/tmp/d", 0o755), errno(EEXIST));
    symlink(&p, "/nowhere", "/tmp/l");
    assert_eq!(mkdir(&p, "/tmp/l", 0o755), errno(EEXIST));
    assert_eq!(mkdir(&p, "/", 0o755), errno(EEXIST));
    assert_eq!(mkdir(&p, "/tmp/.", 0o755), errno(EEXIST));
}

#[test]
fn mkdir_with_trailing_slash_works() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mkdir(&p, "/tmp/a/", 0o755), 0);
    assert!(stat(&p, "/tmp/a").is_ok());
}

#[test]
fn mkdir_in_missing_parent_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mkdir(&p, "/tmp/x/y", 0o755), errno(ENOENT));
}

#[test]
fn subdirectory_raises_parent_link_count() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    mkdir(&p, "/tmp/d/a", 0o755);
    mkdir(&p, "/tmp/d/b", 0o755);
    assert_eq!(stat(&p, "/tmp/d").expect("d").st_nlink, 4);
    rmdir(&p, "/tmp/d/a");
    assert_eq!(stat(&p, "/tmp/d").expect("d").st_nlink, 3);
}

#[test]
fn getdents_lists_dot_dotdot_and_entries() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/b", b"");
    put(&p, "/tmp/d/a", b"");
    mkdir(&p, "/tmp/d/c", 0o755);
    assert_eq!(list(&p, "/tmp/d", 4096), vec![".", "..", "b", "a", "c"]);
}

#[test]
fn getdents_of_a_removed_directory_is_enoent_even_for_dot_entries() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/gone", 0o755);
    let fd = open(&p, "/tmp/gone", O_RDONLY | O_DIRECTORY, 0);
    assert!(fd >= 0);
    assert_eq!(p.sys(SYS_unlinkat, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/gone"), u64::from(AT_REMOVEDIR)]), 0);
    let buf = p.alloc(4096);
    assert_eq!(p.sys(SYS_getdents64, &[fd as u64, u64::from(buf), 4096]), -(ENOENT as i64));
    close(&p, fd);
}

#[test]
fn getdents_with_small_buffer_across_many_calls_sees_every_entry_once() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    for i in 0..50 {
        put(&p, &format!("/tmp/d/file{i:02}"), b"");
    }
    // 32 bytes fits one short entry per call.
    let names = list(&p, "/tmp/d", 32);
    assert_eq!(names.len(), 52);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 52);
}

#[test]
fn getdents_buffer_too_small_for_one_entry_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp", O_RDONLY | O_DIRECTORY, 0);
    let b = p.alloc(64);
    assert_eq!(p.sys(SYS_getdents64, &[fd as u64, u64::from(b), 10]), errno(EINVAL));
}

#[test]
fn getdents_records_are_8_byte_aligned_with_types() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/file", b"");
    symlink(&p, "x", "/tmp/d/link");
    let fd = open(&p, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
    let b = p.alloc(4096);
    let n = p.sys(SYS_getdents64, &[fd as u64, u64::from(b), 4096]) as usize;
    let data = p.read(b, n);
    let mut off = 0;
    let mut types = Vec::new();
    while off < n {
        let reclen = u16::from_le_bytes([data[off + 16], data[off + 17]]) as usize;
        assert_eq!(reclen % 8, 0);
        types.push(data[off + 18]);
        off += reclen;
    }
    assert_eq!(types, vec![DT_DIR, DT_DIR, DT_REG, DT_LNK]);
}

#[test]
fn getdents_continues_after_entries_removed_between_calls() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    for n in ["a", "b", "c", "d"] {
        put(&p, &format!("/tmp/d/{n}"), b"");
    }
    let fd = open(&p, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
    let b = p.alloc(32);
    // ".", "..", then "a".
    for _ in 0..3 {
        assert!(p.sys(SYS_getdents64, &[fd as u64, u64::from(b), 32]) > 0);
    }
    unlink(&p, "/tmp/d/b");
    let rest = list_fd(&p, fd, 4096);
    assert_eq!(rest, vec!["c", "d"]);
}

#[test]
fn lseek_to_zero_rewinds_directory() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    let fd = open(&p, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
    assert_eq!(list_fd(&p, fd, 4096).len(), 2);
    assert_eq!(lseek(&p, fd, 0, SEEK_SET), 0);
    assert_eq!(list_fd(&p, fd, 4096).len(), 2);
    assert_eq!(lseek(&p, fd, 0, SEEK_END), errno(EINVAL));
}

#[test]
fn getdents_on_file_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    let b = p.alloc(64);
    assert_eq!(p.sys(SYS_getdents64, &[fd as u64, u64::from(b), 64]), errno(ENOTDIR));
}

#[test]
fn dev_lists_standard_nodes() {
    let h = Harness::new();
    let p = h.process(None);
    let names = list(&p, "/dev", 4096);
    for n in ["null", "zero", "full", "random", "urandom", "tty", "console", "ptmx", "fd", "stdin", "pts"] {
        assert!(names.iter().any(|x| x == n), "/dev/{n} missing");
    }
    let null = stat(&p, "/dev/null").expect("null");
    assert_eq!(null.st_mode, S_IFCHR | 0o666);
    assert_eq!(null.st_rdev, crate::fs::devices::makedev(1, 3));
}

#[test]
fn dev_null_reads_eof_and_swallows_writes() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/dev/null", O_RDWR, 0);
    assert_eq!(write(&p, fd, b"gone"), 4);
    assert_eq!(read(&p, fd, 10), b"");
    assert_eq!(fstat(&p, fd).st_rdev, crate::fs::devices::makedev(1, 3));
}

#[test]
fn dev_zero_reads_zeros() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/dev/zero", O_RDWR, 0);
    let b = p.bytes(&[0xff; 16]);
    assert_eq!(p.sys(SYS_read, &[fd as u64, u64::from(b), 16]), 16);
    assert_eq!(p.read(b, 16), vec![0; 16]);
    assert_eq!(write(&p, fd, b"x"), 1);
}

#[test]
fn dev_full_write_is_enospc() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/dev/full", O_RDWR, 0);
    assert_eq!(write(&p, fd, b"x"), errno(ENOSPC));
    assert_eq!(read(&p, fd, 4), vec![0; 4]);
}

#[test]
fn dev_urandom_fills_buffer_from_platform() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/dev/urandom", O_RDONLY, 0);
    let a = read(&p, fd, 32);
    let b = read(&p, fd, 32);
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
    assert!(a.iter().any(|&x| x != 0));
}

#[test]
fn dev_stdin_is_a_symlink_into_proc() {
    let h = Harness::new();
    let p = h.process(None);
    let b = p.alloc(64);
    let n = p.sys(SYS_readlinkat, &[AT_FDCWD as u32 as u64, p.cstr("/dev/stdin"), u64::from(b), 64]);
    assert_eq!(p.read(b, n as usize), b"/proc/self/fd/0");
}

#[test]
fn getdents_of_large_directory_lists_all_in_creation_order() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/big", 0o755);
    for i in 0..300 {
        put(&p, &format!("/tmp/big/{i}"), b"");
    }
    let names = list(&p, "/tmp/big", 1024);
    assert_eq!(names.len(), 302);
    let want: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    assert_eq!(&names[2..], &want[..]);
}

#[test]
fn getdents_sees_entries_added_after_position() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/a", b"");
    let fd = open(&p, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
    assert_eq!(list_fd(&p, fd, 4096), vec![".", "..", "a"]);
    put(&p, "/tmp/d/b", b"");
    assert_eq!(list_fd(&p, fd, 4096), vec!["b"]);
}

#[test]
fn getdents_works_on_proc_and_dev_pts() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/dev/null", O_RDONLY, 0);
    assert_eq!(fd, 0);
    let names = list(&p, "/proc/self/fd", 4096);
    assert!(names.contains(&"0".to_string()), "{names:?}");
    let root = list(&p, "/proc", 4096);
    assert!(root.contains(&"self".to_string()));
    let pts = list(&p, "/dev/pts", 4096);
    assert!(pts.contains(&".".to_string()));
}

#[test]
fn ptmx_opens_a_master_and_its_pts_node_appears() {
    let h = Harness::new();
    let p = h.process(None);
    let m = open(&p, "/dev/ptmx", O_RDWR | O_NOCTTY, 0);
    assert!(m >= 0, "{m}");
    let st = fstat(&p, m);
    assert_eq!(st.st_rdev, crate::fs::devices::makedev(5, 2));
    let pts = list(&p, "/dev/pts", 4096);
    assert!(pts.iter().any(|n| n.parse::<u32>().is_ok()), "{pts:?}");
}
