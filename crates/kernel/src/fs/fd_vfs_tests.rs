//! fs-fd behaviour on real VFS files (tmpfs) and across process exit.

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::{stat, S_IFIFO, S_IFMT};
use wasmpod_abi::syscalls::*;

use crate::fs::testfile::{pipe, read, write};
use crate::testing::{Harness, Proc};

const EAGAIN: i64 = -11;
const EPERM: i64 = -1;
const ESPIPE: i64 = -29;

fn open(p: &Proc, path: &str, flags: u32) -> i32 {
    let fd = p.sys(SYS_openat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(flags), 0o666]);
    assert!(fd >= 0, "open {path}: {fd}");
    fd as i32
}

/// lseek returning the new offset (wasm32 lseek writes it through a pointer).
fn lseek(p: &Proc, fd: i32, off: u64, whence: u32) -> i64 {
    let res = p.alloc(8);
    let r = p.sys(SYS_lseek, &[fd as u64, off, 0, u64::from(whence), u64::from(res)]);
    if r < 0 {
        r
    } else {
        p.read_u64(res) as i64
    }
}

fn setlk(p: &Proc, fd: i32, ty: i16, start: i64, len: i64) -> i64 {
    let a = p.put_struct(&flock { l_type: ty, l_whence: 0, l_start: start, l_len: len, l_pid: 0 });
    p.sys(SYS_fcntl, &[fd as u64, u64::from(F_SETLK), u64::from(a)])
}

#[test]
fn record_locks_on_a_tmpfs_file_conflict_between_processes() {
    let h = Harness::new();
    let a = h.process(None);
    let b = h.process(None);
    let fa = open(&a, "/tmp/lockme", O_RDWR | O_CREAT);
    let fb = open(&b, "/tmp/lockme", O_RDWR);
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 0), 0);
    assert_eq!(setlk(&b, fb, F_RDLCK, 10, 1), EAGAIN);
    // Another file is independent.
    let other = open(&b, "/tmp/other", O_RDWR | O_CREAT);
    assert_eq!(setlk(&b, other, F_WRLCK, 0, 0), 0);
}

#[test]
fn exit_releases_the_processs_record_locks() {
    let h = Harness::new();
    let a = h.process(None);
    let b = h.process(None);
    let fa = open(&a, "/tmp/exitlock", O_RDWR | O_CREAT);
    let fb = open(&b, "/tmp/exitlock", O_RDWR);
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 0), 0);
    a.call(SYS_exit_group, &[0]);
    assert_eq!(setlk(&b, fb, F_WRLCK, 0, 0), 0);
}

#[test]
fn exit_releases_flock_locks_of_its_descriptions() {
    let h = Harness::new();
    let a = h.process(None);
    let b = h.process(None);
    let fa = open(&a, "/tmp/exitflock", O_RDONLY | O_CREAT);
    let fb = open(&b, "/tmp/exitflock", O_RDONLY);
    assert_eq!(a.sys(SYS_flock, &[fa as u64, u64::from(LOCK_EX)]), 0);
    assert_eq!(b.sys(SYS_flock, &[fb as u64, u64::from(LOCK_EX | LOCK_NB)]), EAGAIN);
    a.call(SYS_exit_group, &[0]);
    assert_eq!(b.sys(SYS_flock, &[fb as u64, u64::from(LOCK_EX | LOCK_NB)]), 0);
}

#[test]
fn dup_shares_the_offset_of_a_tmpfs_file_with_lseek() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/off", O_RDWR | O_CREAT);
    write(&p, fd, b"0123456789");
    let d = p.sys(SYS_dup, &[fd as u64]) as i32;
    assert_eq!(lseek(&p, d, 3, SEEK_SET), 3);
    assert_eq!(read(&p, fd, 2).unwrap(), b"34");
    assert_eq!(lseek(&p, d, 0, SEEK_CUR), 5);
    // A separate open has its own offset.
    let other = open(&p, "/tmp/off", O_RDONLY);
    assert_eq!(read(&p, other, 2).unwrap(), b"01");
}

#[test]
fn fstat_on_a_pipe_says_fifo_and_lseek_says_espipe() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let st = p.alloc(128);
    assert_eq!(p.sys(SYS_fstat, &[r as u64, st as u64]), 0);
    assert_eq!(p.read_struct::<stat>(st).st_mode & S_IFMT, S_IFIFO);
    assert_eq!(lseek(&p, r, 0, SEEK_CUR), ESPIPE);
}

#[test]
fn sendfile_from_a_tmpfs_file_into_a_pipe() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/tmp/src", O_RDWR | O_CREAT);
    write(&p, fd, b"file contents");
    assert_eq!(lseek(&p, fd, 0, SEEK_SET), 0);
    let (r, w) = pipe(&p, 0);
    assert_eq!(p.sys(SYS_sendfile, &[w as u64, fd as u64, 0, 1000]), 13);
    assert_eq!(read(&p, r, 100).unwrap(), b"file contents");
}

#[test]
fn copy_file_range_between_tmpfs_files() {
    let h = Harness::new();
    let p = h.process(None);
    let a = open(&p, "/tmp/cfr_a", O_RDWR | O_CREAT);
    let b = open(&p, "/tmp/cfr_b", O_RDWR | O_CREAT);
    write(&p, a, b"abcdef");
    assert_eq!(lseek(&p, a, 1, SEEK_SET), 1);
    assert_eq!(p.sys(SYS_copy_file_range, &[a as u64, 0, b as u64, 0, 4, 0]), 4);
    let c = open(&p, "/tmp/cfr_b", O_RDONLY);
    assert_eq!(read(&p, c, 10).unwrap(), b"bcde");
}

#[test]
fn epoll_refuses_tmpfs_files_and_directories() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = p.sys(SYS_epoll_create1, &[0]);
    let f = open(&p, "/tmp/plain", O_RDWR | O_CREAT);
    let d = open(&p, "/tmp", O_RDONLY | O_DIRECTORY);
    let ev = p.put_struct(&wasmpod_abi::poll::epoll_event { events: 1, data: 0 });
    assert_eq!(p.sys(SYS_epoll_ctl, &[ep as u64, 1, f as u64, ev as u64]), EPERM);
    assert_eq!(p.sys(SYS_epoll_ctl, &[ep as u64, 1, d as u64, ev as u64]), EPERM);
}

#[test]
fn poll_says_a_regular_file_is_always_ready() {
    let h = Harness::new();
    let p = h.process(None);
    let f = open(&p, "/tmp/ready", O_RDWR | O_CREAT);
    let pfd = p.put_struct(&wasmpod_abi::poll::pollfd { fd: f, events: 1 | 4, revents: 0 });
    let zero = p.put_struct(&wasmpod_abi::time::timespec::default());
    assert_eq!(p.sys(SYS_ppoll, &[pfd as u64, 1, zero as u64, 0, 0]), 1);
    let got = p.read_struct::<wasmpod_abi::poll::pollfd>(pfd).revents;
    assert_eq!(got & (1 | 4), 1 | 4);
}

#[test]
fn o_path_fds_are_invalid_for_poll_select_epoll_and_locks_but_dup_fine() {
    let h = Harness::new();
    let p = h.process(None);
    let f = open(&p, "/tmp", O_PATH);
    let pfd = p.put_struct(&wasmpod_abi::poll::pollfd { fd: f, events: 1, revents: 0 });
    assert_eq!(p.sys(SYS_ppoll, &[pfd as u64, 1, 0, 0, 0]), 1);
    assert_eq!(p.read_struct::<wasmpod_abi::poll::pollfd>(pfd).revents, wasmpod_abi::poll::POLLNVAL);
    let mut bits = vec![0u8; 128];
    bits[f as usize / 8] |= 1 << (f % 8);
    let set = p.bytes(&bits);
    assert_eq!(p.sys(SYS_pselect6, &[f as u64 + 1, set as u64, 0, 0, 0, 0]), -9);
    let ep = p.sys(SYS_epoll_create1, &[0]);
    let ev = p.put_struct(&wasmpod_abi::poll::epoll_event { events: 1, data: 0 });
    assert_eq!(p.sys(SYS_epoll_ctl, &[ep as u64, 1, f as u64, ev as u64]), -9);
    assert_eq!(p.sys(SYS_flock, &[f as u64, u64::from(LOCK_SH)]), -9);
    assert_eq!(setlk(&p, f, F_RDLCK, 0, 0), -9);
    let d = p.sys(SYS_dup, &[f as u64]);
    assert!(d >= 0);
    assert_ne!(p.sys(SYS_fcntl, &[d as u64, u64::from(F_GETFL)]) as u32 & O_PATH, 0);
}

#[test]
fn musl_ilp32_lock_command_numbers_work_like_the_plain_ones() {
    let h = Harness::new();
    let a = h.process(None);
    let b = h.process(None);
    let fa = open(&a, "/tmp/lk64", O_RDWR | O_CREAT);
    let fb = open(&b, "/tmp/lk64", O_RDWR);
    let fl = a.put_struct(&flock { l_type: F_WRLCK, l_whence: 0, l_start: 0, l_len: 0, l_pid: 0 });
    assert_eq!(a.sys(SYS_fcntl, &[fa as u64, u64::from(F_SETLK64), u64::from(fl)]), 0);
    let q = b.put_struct(&flock { l_type: F_RDLCK, l_whence: 0, l_start: 5, l_len: 1, l_pid: 0 });
    assert_eq!(b.sys(SYS_fcntl, &[fb as u64, u64::from(F_GETLK64), u64::from(q)]), 0);
    assert_eq!(b.read_struct::<flock>(q).l_pid, a.pid);
    assert_eq!(b.sys(SYS_fcntl, &[fb as u64, u64::from(F_SETLK64), u64::from(q)]), EAGAIN);
}
