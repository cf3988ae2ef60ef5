use std::sync::Arc;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::signal::{SA_RESTART, SIGUSR1};
use wasmpod_abi::syscalls::*;

use super::*;
use crate::fs::testfile::{install, MemFile};
use crate::kernel::Action;
use crate::testing::{Harness, Proc};

const EINTR: i64 = -4;
const EBADF: i64 = -9;
const EAGAIN: i64 = -11;
const EINVAL: i64 = -22;
const EDEADLK: i64 = -35;

fn lk(p: &Proc, fd: i32, cmd: u32, ty: i16, whence: u32, start: i64, len: i64) -> i64 {
    let fl = flock { l_type: ty, l_whence: whence as i16, l_start: start, l_len: len, l_pid: 0 };
    let a = p.put_struct(&fl);
    p.sys(SYS_fcntl, &[fd as u64, u64::from(cmd), u64::from(a)])
}

fn setlk(p: &Proc, fd: i32, ty: i16, start: i64, len: i64) -> i64 {
    lk(p, fd, F_SETLK, ty, SEEK_SET, start, len)
}

fn getlk(p: &Proc, fd: i32, ty: i16, start: i64, len: i64) -> flock {
    let fl = flock { l_type: ty, l_whence: SEEK_SET as i16, l_start: start, l_len: len, l_pid: 12345 };
    let a = p.put_struct(&fl);
    assert_eq!(p.sys(SYS_fcntl, &[fd as u64, u64::from(F_GETLK), u64::from(a)]), 0);
    p.read_struct(a)
}

/// Two processes with the same file open (one description each).
fn two(h: &Harness, data: &[u8]) -> (Proc, i32, Proc, i32, Arc<MemFile>) {
    let f = MemFile::new(data);
    let a = h.process(None);
    let b = h.process(None);
    let fa = install(&a, f.clone(), O_RDWR);
    let fb = install(&b, f.clone(), O_RDWR);
    (a, fa, b, fb, f)
}

fn locks(h: &Harness, f: &MemFile) -> Vec<RecordLock> {
    h.kernel.with_state(|st| st.fs.locks.record_locks((0x801, f.ino)))
}

fn flock_op(p: &Proc, fd: i32, op: u32) -> i64 {
    p.sys(SYS_flock, &[fd as u64, u64::from(op)])
}

fn set_handler(h: &Harness, pid: i32, flags: u32) {
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&pid).unwrap().signals.actions[SIGUSR1 as usize] =
            crate::signal::SigAction { handler: 0x1234, flags, ..Default::default() }
    });
}

fn send_usr1(h: &Harness, tid: i32) {
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, tid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.notify();
    });
}

// ---- POSIX record locks -----------------------------------------------------

#[test]
fn write_lock_conflicts_with_another_process() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 10), 0);
    assert_eq!(setlk(&b, fb, F_WRLCK, 5, 10), EAGAIN);
    assert_eq!(setlk(&b, fb, F_RDLCK, 9, 1), EAGAIN);
    assert_eq!(setlk(&b, fb, F_WRLCK, 10, 10), 0);
}

#[test]
fn read_locks_are_shared_between_processes() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_RDLCK, 0, 0), 0);
    assert_eq!(setlk(&b, fb, F_RDLCK, 0, 0), 0);
    assert_eq!(setlk(&b, fb, F_WRLCK, 100, 1), EAGAIN);
}

#[test]
fn a_process_never_conflicts_with_itself() {
    let h = Harness::new();
    let (a, fa, _b, _fb, f) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_RDLCK, 0, 10), 0);
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 10), 0);
    let l = locks(&h, &f);
    assert_eq!(l.len(), 1);
    assert!(l[0].write);
}

#[test]
fn getlk_describes_the_conflicting_lock_and_its_owner() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 10, 20), 0);
    let got = getlk(&b, fb, F_RDLCK, 0, 15);
    assert_eq!(got.l_type, F_WRLCK);
    assert_eq!(got.l_whence, SEEK_SET as i16);
    assert_eq!((got.l_start, got.l_len), (10, 20));
    assert_eq!(got.l_pid, a.pid);
}

#[test]
fn getlk_without_conflict_sets_only_l_type_to_unlck() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_RDLCK, 0, 5), 0);
    let got = getlk(&b, fb, F_RDLCK, 0, 5);
    assert_eq!(got.l_type, F_UNLCK);
    assert_eq!((got.l_start, got.l_len, got.l_pid), (0, 5, 12345));
    // The owner itself sees no conflict either.
    assert_eq!(getlk(&a, fa, F_WRLCK, 0, 5).l_type, F_UNLCK);
}

#[test]
fn getlk_reports_a_lock_to_eof_with_zero_length() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 100, 0), 0);
    let got = getlk(&b, fb, F_WRLCK, 1_000_000, 1);
    assert_eq!((got.l_type, got.l_start, got.l_len), (F_WRLCK, 100, 0));
}

#[test]
fn getlk_with_unlck_type_is_einval() {
    let h = Harness::new();
    let (a, fa, _b, _fb, _) = two(&h, b"");
    assert_eq!(lk(&a, fa, F_GETLK, F_UNLCK, SEEK_SET, 0, 1), EINVAL);
}

#[test]
fn unlocking_the_middle_splits_a_lock() {
    let h = Harness::new();
    let (a, fa, b, fb, f) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 100), 0);
    assert_eq!(setlk(&a, fa, F_UNLCK, 40, 20), 0);
    assert_eq!(locks(&h, &f).len(), 2);
    assert_eq!(setlk(&b, fb, F_WRLCK, 40, 20), 0);
    assert_eq!(setlk(&b, fb, F_WRLCK, 39, 1), EAGAIN);
    assert_eq!(setlk(&b, fb, F_WRLCK, 60, 1), EAGAIN);
}

#[test]
fn touching_locks_of_one_type_merge() {
    let h = Harness::new();
    let (a, fa, _b, _fb, f) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_RDLCK, 0, 10), 0);
    assert_eq!(setlk(&a, fa, F_RDLCK, 10, 10), 0);
    assert_eq!(setlk(&a, fa, F_RDLCK, 30, 10), 0);
    let l = locks(&h, &f);
    assert_eq!(l.len(), 2);
    assert_eq!((l[0].start, l[0].end), (0, 19));
}

#[test]
fn changing_the_type_of_a_middle_range_splits_in_three() {
    let h = Harness::new();
    let (a, fa, b, fb, f) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 100), 0);
    assert_eq!(setlk(&a, fa, F_RDLCK, 40, 20), 0);
    let l = locks(&h, &f);
    assert_eq!(l.len(), 3);
    assert_eq!(setlk(&b, fb, F_RDLCK, 45, 5), 0);
    assert_eq!(setlk(&b, fb, F_RDLCK, 30, 5), EAGAIN);
}

#[test]
fn seek_end_and_seek_cur_resolve_against_size_and_offset() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, &[0u8; 100]);
    assert_eq!(lk(&a, fa, F_SETLK, F_WRLCK, SEEK_END, -10, 5), 0);
    let got = getlk(&b, fb, F_WRLCK, 0, 0);
    assert_eq!((got.l_start, got.l_len), (90, 5));
    let buf = b.alloc(20);
    b.sys(SYS_read, &[fb as u64, buf as u64, 20]);
    assert_eq!(lk(&b, fb, F_SETLK, F_WRLCK, SEEK_CUR, 0, 5), 0);
    assert_eq!(getlk(&a, fa, F_WRLCK, 0, 0).l_start, 20);
}

#[test]
fn negative_length_locks_the_bytes_before_start() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 10, -5), 0);
    let got = getlk(&b, fb, F_WRLCK, 0, 0);
    assert_eq!((got.l_start, got.l_len), (5, 5));
}

#[test]
fn ranges_starting_before_zero_and_bad_fields_are_einval() {
    let h = Harness::new();
    let (a, fa, _b, _fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, -1, 5), EINVAL);
    assert_eq!(setlk(&a, fa, F_WRLCK, 2, -5), EINVAL);
    assert_eq!(lk(&a, fa, F_SETLK, F_WRLCK, 7, 0, 5), EINVAL);
    assert_eq!(setlk(&a, fa, 9, 0, 5), EINVAL);
}

#[test]
fn lock_type_must_match_the_open_mode() {
    let h = Harness::new();
    let p = h.process(None);
    let f = MemFile::new(b"");
    let ro = install(&p, f.clone(), O_RDONLY);
    let wo = install(&p, f, O_WRONLY);
    assert_eq!(setlk(&p, ro, F_WRLCK, 0, 1), EBADF);
    assert_eq!(setlk(&p, wo, F_RDLCK, 0, 1), EBADF);
    assert_eq!(setlk(&p, ro, F_RDLCK, 0, 1), 0);
    assert_eq!(setlk(&p, wo, F_WRLCK, 5, 1), 0);
}

#[test]
fn closing_any_fd_of_the_file_releases_the_processs_locks() {
    let h = Harness::new();
    let (a, fa, b, fb, f) = two(&h, b"");
    // A second, unrelated open of the same file by a.
    let other = install(&a, f.clone(), O_RDONLY);
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 10), 0);
    assert_eq!(a.sys(SYS_close, &[other as u64]), 0);
    assert_eq!(setlk(&b, fb, F_WRLCK, 0, 10), 0);
}

#[test]
fn closing_a_dup_releases_locks_taken_through_the_original() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    let d = a.sys(SYS_dup, &[fa as u64]);
    assert_eq!(setlk(&a, fa, F_RDLCK, 0, 0), 0);
    a.sys(SYS_close, &[d as u64]);
    assert_eq!(setlk(&b, fb, F_WRLCK, 0, 0), 0);
}

#[test]
fn dup3_over_a_locked_files_fd_releases_the_locks() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    let (r, _w) = crate::fs::testfile::pipe(&a, 0);
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 0), 0);
    assert_eq!(a.sys(SYS_dup3, &[r as u64, fa as u64, 0]), fa as i64);
    assert_eq!(setlk(&b, fb, F_WRLCK, 0, 0), 0);
}

#[test]
fn setlkw_waits_until_the_holder_unlocks() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 10), 0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || lk(&b2, fb, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10));
    h.wait_sleeping(b.tid);
    assert_eq!(setlk(&a, fa, F_UNLCK, 0, 10), 0);
    assert_eq!(t.join().unwrap(), 0);
    assert_eq!(getlk(&a, fa, F_RDLCK, 0, 1).l_pid, b.pid);
}

#[test]
fn setlkw_is_woken_when_the_holder_closes_the_file() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_RDLCK, 0, 0), 0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || lk(&b2, fb, F_SETLKW, F_WRLCK, SEEK_SET, 0, 0));
    h.wait_sleeping(b.tid);
    a.sys(SYS_close, &[fa as u64]);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn setlkw_that_would_close_a_cycle_is_edeadlk() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 10), 0);
    assert_eq!(setlk(&b, fb, F_WRLCK, 10, 10), 0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || lk(&b2, fb, F_SETLKW, F_WRLCK, SEEK_SET, 0, 10));
    h.wait_sleeping(b.tid);
    assert_eq!(lk(&a, fa, F_SETLKW, F_WRLCK, SEEK_SET, 10, 10), EDEADLK);
    // Breaking the cycle lets b through.
    assert_eq!(setlk(&a, fa, F_UNLCK, 0, 10), 0);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn setlkw_interrupted_by_a_handler_restarts_only_with_sa_restart() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 1), 0);
    for (flags, restarted) in [(SA_RESTART, true), (0, false)] {
        set_handler(&h, b.pid, flags);
        let fl = b.put_struct(&flock { l_type: F_WRLCK, l_whence: 0, l_start: 0, l_len: 1, l_pid: 0 });
        let b2 = b.clone();
        let t = std::thread::spawn(move || b2.call(SYS_fcntl, &[fb as u64, u64::from(F_SETLKW), u64::from(fl)]));
        h.wait_sleeping(b.tid);
        send_usr1(&h, b.tid);
        let ret = t.join().unwrap();
        if restarted {
            assert!(matches!(ret.action, Action::Restart));
        } else {
            assert_eq!(ret.value, EINTR);
        }
        h.kernel.with_state(|st| st.procs.threads.get_mut(&b.tid).unwrap().signals.pending.discard(u64::MAX));
    }
}

#[test]
fn process_exit_cleanup_releases_all_record_locks() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(setlk(&a, fa, F_WRLCK, 0, 0), 0);
    h.kernel.with_state(|st| st.fs.locks.process_exited(a.pid));
    assert_eq!(setlk(&b, fb, F_WRLCK, 0, 0), 0);
}

// ---- flock -------------------------------------------------------------------

#[test]
fn flock_exclusive_conflicts_between_descriptions() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, LOCK_EX), 0);
    assert_eq!(flock_op(&b, fb, LOCK_EX | LOCK_NB), EAGAIN);
    assert_eq!(flock_op(&b, fb, LOCK_SH | LOCK_NB), EAGAIN);
}

#[test]
fn flock_conflicts_within_one_process_across_two_opens() {
    let h = Harness::new();
    let p = h.process(None);
    let f = MemFile::new(b"");
    let x = install(&p, f.clone(), O_RDONLY);
    let y = install(&p, f, O_RDONLY);
    assert_eq!(flock_op(&p, x, LOCK_EX), 0);
    assert_eq!(flock_op(&p, y, LOCK_EX | LOCK_NB), EAGAIN);
}

#[test]
fn flock_shared_locks_coexist() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, LOCK_SH), 0);
    assert_eq!(flock_op(&b, fb, LOCK_SH | LOCK_NB), 0);
    assert_eq!(flock_op(&b, fb, LOCK_EX | LOCK_NB), EAGAIN);
}

#[test]
fn flock_is_shared_by_dup_and_released_on_last_close() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    let d = a.sys(SYS_dup, &[fa as u64]) as i32;
    assert_eq!(flock_op(&a, fa, LOCK_EX), 0);
    // The dup holds the same lock: asking again through it is no conflict.
    assert_eq!(flock_op(&a, d, LOCK_EX | LOCK_NB), 0);
    a.sys(SYS_close, &[fa as u64]);
    assert_eq!(flock_op(&b, fb, LOCK_EX | LOCK_NB), EAGAIN);
    a.sys(SYS_close, &[d as u64]);
    assert_eq!(flock_op(&b, fb, LOCK_EX | LOCK_NB), 0);
}

#[test]
fn flock_unlock_through_a_dup_releases() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    let d = a.sys(SYS_dup, &[fa as u64]) as i32;
    assert_eq!(flock_op(&a, fa, LOCK_EX), 0);
    assert_eq!(flock_op(&a, d, LOCK_UN), 0);
    assert_eq!(flock_op(&b, fb, LOCK_EX | LOCK_NB), 0);
}

#[test]
fn flock_converts_shared_to_exclusive() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, LOCK_SH), 0);
    assert_eq!(flock_op(&a, fa, LOCK_EX | LOCK_NB), 0);
    assert_eq!(flock_op(&b, fb, LOCK_SH | LOCK_NB), EAGAIN);
    assert_eq!(flock_op(&a, fa, LOCK_SH), 0);
    assert_eq!(flock_op(&b, fb, LOCK_SH | LOCK_NB), 0);
}

#[test]
fn flock_failed_nonblocking_upgrade_drops_the_shared_lock() {
    // As Linux: conversion removes the old lock first.
    let h = Harness::new();
    let f = MemFile::new(b"");
    let (a, b, c) = (h.process(None), h.process(None), h.process(None));
    let (fa, fb, fc) = (install(&a, f.clone(), O_RDONLY), install(&b, f.clone(), O_RDONLY), install(&c, f, O_RDONLY));
    assert_eq!(flock_op(&a, fa, LOCK_SH), 0);
    assert_eq!(flock_op(&b, fb, LOCK_SH), 0);
    assert_eq!(flock_op(&a, fa, LOCK_EX | LOCK_NB), EAGAIN);
    assert_eq!(flock_op(&b, fb, LOCK_UN), 0);
    assert_eq!(flock_op(&c, fc, LOCK_EX | LOCK_NB), 0);
}

#[test]
fn flock_blocks_until_the_holder_unlocks() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, LOCK_EX), 0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || flock_op(&b2, fb, LOCK_SH));
    h.wait_sleeping(b.tid);
    assert_eq!(flock_op(&a, fa, LOCK_UN), 0);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn flock_blocked_waiter_is_woken_by_the_holders_close() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, LOCK_EX), 0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || flock_op(&b2, fb, LOCK_EX));
    h.wait_sleeping(b.tid);
    a.sys(SYS_close, &[fa as u64]);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn flock_rejects_bad_operations_and_fds() {
    let h = Harness::new();
    let (a, fa, _b, _fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, 0), EINVAL);
    assert_eq!(flock_op(&a, fa, LOCK_SH | LOCK_EX), EINVAL);
    assert_eq!(flock_op(&a, fa, LOCK_NB), EINVAL);
    assert_eq!(flock_op(&a, 77, LOCK_SH), EBADF);
}

#[test]
fn flock_and_record_locks_do_not_interact() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(flock_op(&a, fa, LOCK_EX), 0);
    assert_eq!(setlk(&b, fb, F_WRLCK, 0, 0), 0);
}

// ---- open file description locks --------------------------------------------------

fn ofd(p: &Proc, fd: i32, cmd: u32, ty: i16, start: i64, len: i64) -> i64 {
    lk(p, fd, cmd, ty, SEEK_SET, start, len)
}

#[test]
fn ofd_locks_conflict_between_two_opens_in_one_process() {
    let h = Harness::new();
    let p = h.process(None);
    let f = MemFile::new(b"");
    let x = install(&p, f.clone(), O_RDWR);
    let y = install(&p, f, O_RDWR);
    assert_eq!(ofd(&p, x, F_OFD_SETLK, F_WRLCK, 0, 10), 0);
    assert_eq!(ofd(&p, y, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN);
    // A dup is the same description: no conflict.
    let d = p.sys(SYS_dup, &[x as u64]) as i32;
    assert_eq!(ofd(&p, d, F_OFD_SETLK, F_RDLCK, 0, 10), 0);
}

#[test]
fn ofd_getlk_reports_pid_minus_one() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(ofd(&a, fa, F_OFD_SETLK, F_WRLCK, 3, 4), 0);
    let fl = flock { l_type: F_RDLCK, l_whence: 0, l_start: 0, l_len: 0, l_pid: 0 };
    let q = b.put_struct(&fl);
    assert_eq!(b.sys(SYS_fcntl, &[fb as u64, u64::from(F_OFD_GETLK), u64::from(q)]), 0);
    let got: flock = b.read_struct(q);
    assert_eq!((got.l_type, got.l_start, got.l_len, got.l_pid), (F_WRLCK, 3, 4, -1));
    // A traditional F_GETLK sees it too.
    assert_eq!(getlk(&b, fb, F_RDLCK, 0, 0).l_pid, -1);
}

#[test]
fn ofd_requests_need_l_pid_zero() {
    let h = Harness::new();
    let (a, fa, _b, _fb, _) = two(&h, b"");
    let fl = a.put_struct(&flock { l_type: F_WRLCK, l_whence: 0, l_start: 0, l_len: 1, l_pid: 7 });
    assert_eq!(a.sys(SYS_fcntl, &[fa as u64, u64::from(F_OFD_SETLK), u64::from(fl)]), EINVAL);
}

#[test]
fn ofd_locks_conflict_with_the_same_processs_posix_locks() {
    let h = Harness::new();
    let p = h.process(None);
    let f = MemFile::new(b"");
    let x = install(&p, f.clone(), O_RDWR);
    let y = install(&p, f, O_RDWR);
    assert_eq!(setlk(&p, x, F_WRLCK, 0, 10), 0);
    assert_eq!(ofd(&p, y, F_OFD_SETLK, F_RDLCK, 0, 1), EAGAIN);
}

#[test]
fn ofd_locks_survive_closing_another_fd_and_go_with_the_description() {
    let h = Harness::new();
    let (a, fa, b, fb, f) = two(&h, b"");
    let other = install(&a, f, O_RDONLY);
    let d = a.sys(SYS_dup, &[fa as u64]) as i32;
    assert_eq!(ofd(&a, fa, F_OFD_SETLK, F_WRLCK, 0, 0), 0);
    // Unlike POSIX locks, closing some other fd of the file keeps it...
    a.sys(SYS_close, &[other as u64]);
    a.sys(SYS_close, &[fa as u64]);
    assert_eq!(ofd(&b, fb, F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN);
    // ...until the description's last fd closes.
    a.sys(SYS_close, &[d as u64]);
    assert_eq!(ofd(&b, fb, F_OFD_SETLK, F_WRLCK, 0, 0), 0);
}

#[test]
fn ofd_setlkw_waits_until_the_other_description_closes() {
    let h = Harness::new();
    let (a, fa, b, fb, _) = two(&h, b"");
    assert_eq!(ofd(&a, fa, F_OFD_SETLK, F_WRLCK, 0, 0), 0);
    let b2 = b.clone();
    let t = std::thread::spawn(move || ofd(&b2, fb, F_OFD_SETLKW, F_WRLCK, 0, 0));
    h.wait_sleeping(b.tid);
    a.sys(SYS_close, &[fa as u64]);
    assert_eq!(t.join().unwrap(), 0);
}
