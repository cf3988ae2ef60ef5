use wasmpod_abi::syscalls::*;
use wasmpod_abi::time::timespec;

use crate::fs::testfile::{pipe, share, write};
use crate::testing::{Harness, Proc};

const EINTR: i64 = -4;
const EBADF: i64 = -9;
const EINVAL: i64 = -22;

/// An fd_set of 1024 bits with `fds` set.
fn set(p: &Proc, fds: &[i32]) -> u32 {
    let mut b = vec![0u8; 128];
    for &fd in fds {
        b[fd as usize / 8] |= 1 << (fd % 8);
    }
    p.bytes(&b)
}

fn isset(p: &Proc, s: u32, fd: i32) -> bool {
    p.read(s + fd as u32 / 8, 1)[0] & (1 << (fd % 8)) != 0
}

fn ts(p: &Proc, sec: i64) -> u32 {
    p.put_struct(&timespec { tv_sec: sec, tv_nsec: 0 })
}

fn select(p: &Proc, n: i32, r: u32, w: u32, e: u32, tmo: u32) -> i64 {
    p.sys(SYS_pselect6, &[n as u64, r as u64, w as u64, e as u64, tmo as u64, 0])
}

#[test]
fn select_reports_readable_and_writable_fds_and_clears_the_rest() {
    let h = Harness::new();
    let p = h.process(None);
    let (r1, w1) = pipe(&p, 0);
    let (r2, _w2) = pipe(&p, 0);
    write(&p, w1, b"x");
    let rs = set(&p, &[r1, r2]);
    let ws = set(&p, &[w1]);
    assert_eq!(select(&p, 8, rs, ws, 0, ts(&p, 0)), 2);
    assert!(isset(&p, rs, r1));
    assert!(!isset(&p, rs, r2));
    assert!(isset(&p, ws, w1));
}

#[test]
fn select_counts_each_set_bit_separately() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = p.sys(SYS_eventfd2, &[1, 0]) as i32;
    let rs = set(&p, &[fd]);
    let ws = set(&p, &[fd]);
    assert_eq!(select(&p, fd + 1, rs, ws, 0, ts(&p, 0)), 2);
}

#[test]
fn select_on_a_closed_fd_is_ebadf() {
    let h = Harness::new();
    let p = h.process(None);
    pipe(&p, 0);
    assert_eq!(select(&p, 10, set(&p, &[0, 7]), 0, 0, ts(&p, 0)), EBADF);
}

#[test]
fn select_ignores_bits_at_or_above_nfds() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    // Bit 9 names no open fd, but nfds stops before it.
    let rs = set(&p, &[r, 9]);
    assert_eq!(select(&p, 2, rs, 0, 0, ts(&p, 0)), 1);
    assert!(!isset(&p, rs, 9));
}

#[test]
fn select_negative_nfds_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(select(&p, -1, 0, 0, 0, 0), EINVAL);
}

#[test]
fn select_zero_timeout_polls_and_clears_sets() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let rs = set(&p, &[r]);
    assert_eq!(select(&p, 4, rs, 0, 0, ts(&p, 0)), 0);
    assert!(!isset(&p, rs, r));
}

#[test]
fn select_times_out_on_the_fake_clock_and_zeroes_the_timeout() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let rs = set(&p, &[r]);
    let t0 = ts(&p, 3);
    let p2 = p.clone();
    let t = std::thread::spawn(move || select(&p2, 4, rs, 0, 0, t0));
    h.wait_sleeping(p.tid);
    h.advance_ns(3_000_000_000);
    assert_eq!(t.join().unwrap(), 0);
    assert!(!isset(&p, rs, r));
    assert_eq!(p.read_struct::<timespec>(t0), timespec::default());
}

#[test]
fn select_waits_for_data_and_writes_back_the_time_left() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cw = share(&p, w, &c);
    let rs = set(&p, &[r]);
    let t0 = ts(&p, 10);
    let p2 = p.clone();
    let t = std::thread::spawn(move || select(&p2, 4, rs, 0, 0, t0));
    h.wait_sleeping(p.tid);
    h.advance_ns(4_000_000_000);
    h.wait_sleeping(p.tid);
    write(&c, cw, b"go");
    assert_eq!(t.join().unwrap(), 1);
    assert!(isset(&p, rs, r));
    assert_eq!(p.read_struct::<timespec>(t0).tv_sec, 6);
}

#[test]
fn select_counts_end_of_file_as_readable() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    p.sys(SYS_close, &[w as u64]);
    let rs = set(&p, &[r]);
    assert_eq!(select(&p, 4, rs, 0, 0, 0), 1);
}

#[test]
fn select_with_no_fds_and_a_timeout_is_a_sleep() {
    let h = Harness::new();
    let p = h.process(None);
    let t0 = ts(&p, 1);
    let p2 = p.clone();
    let t = std::thread::spawn(move || select(&p2, 0, 0, 0, 0, t0));
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn select_interrupted_by_a_handled_signal_is_eintr() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).unwrap().signals.actions[10].handler = 0x1234;
    });
    let rs = set(&p, &[r]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || select(&p2, 4, rs, 0, 0, 0));
    h.wait_sleeping(p.tid);
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(10));
        st.notify();
    });
    assert_eq!(t.join().unwrap(), EINTR);
}

#[test]
fn pselect6_sigmask_argument_needs_size_8() {
    let h = Harness::new();
    let p = h.process(None);
    let mask = p.bytes(&0u64.to_le_bytes());
    let mut arg = Vec::new();
    arg.extend_from_slice(&mask.to_le_bytes());
    arg.extend_from_slice(&16u32.to_le_bytes());
    let a = p.bytes(&arg);
    assert_eq!(p.sys(SYS_pselect6, &[0, 0, 0, 0, ts(&p, 0) as u64, a as u64]), EINVAL);
    let mut arg = Vec::new();
    arg.extend_from_slice(&mask.to_le_bytes());
    arg.extend_from_slice(&8u32.to_le_bytes());
    let a = p.bytes(&arg);
    assert_eq!(p.sys(SYS_pselect6, &[0, 0, 0, 0, ts(&p, 0) as u64, a as u64]), 0);
}

#[test]
fn select_exceptfds_stay_clear_for_pipes() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    let es = set(&p, &[r]);
    assert_eq!(select(&p, 4, 0, 0, es, ts(&p, 0)), 0);
    assert!(!isset(&p, es, r));
}

#[test]
fn pselect6_sigmask_lets_a_blocked_pending_signal_interrupt() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    h.kernel.with_state(|st| {
        st.procs.threads.get_mut(&p.tid).unwrap().signals.mask = 1 << 9;
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(10));
        st.procs.procs.get_mut(&p.pid).unwrap().signals.actions[10].handler = 0x1234;
    });
    let mask = p.bytes(&0u64.to_le_bytes());
    let mut arg = Vec::new();
    arg.extend_from_slice(&mask.to_le_bytes());
    arg.extend_from_slice(&8u32.to_le_bytes());
    let sig = p.bytes(&arg);
    let rs = set(&p, &[r]);
    assert_eq!(p.sys(SYS_pselect6, &[4, rs as u64, 0, 0, 0, sig as u64]), EINTR);
    let saved = h.kernel.with_state(|st| st.procs.threads[&p.tid].signals.saved_mask);
    assert_eq!(saved, Some(1 << 9));
}
