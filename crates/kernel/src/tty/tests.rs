//! Behaviour tests for ptys, job control, ioctls, devpts and the host API,
//! driven through syscalls (read, write, ioctl, close) on fds installed
//! with [`super::open_device`] (what the VFS does for the device nodes).

use std::sync::Arc;

use wasmpod_abi::fcntl::{O_NOCTTY, O_RDONLY, O_RDWR, O_WRONLY};
use wasmpod_abi::ioctl::*;
use wasmpod_abi::poll::{POLLHUP, POLLIN, POLLOUT};
use wasmpod_abi::signal::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::termios::*;
use wasmpod_abi::Errno;

use super::*;
use crate::fs::devices::makedev;
use crate::fs::OpenFile;
use crate::kernel::{Action, State};
use crate::process::Credentials;
use crate::testing::{Harness, Proc};

const EIO: i64 = -5;
const ENXIO: i64 = -6;
const EAGAIN: i64 = -11;
const EBUSY: i64 = -16;
const EINVAL: i64 = -22;
const ENOTTY: i64 = -25;
const EPERM: i64 = -1;
const ESRCH: i64 = -3;
const EINTR: i64 = -4;

const PTMX: u64 = makedev(5, 2);
const DEV_TTY: u64 = makedev(5, 0);
const CONSOLE: u64 = makedev(5, 1);

fn pts(n: u32) -> u64 {
    makedev(136, n)
}

/// Opens device `rdev` as `p` and installs it as an fd (negative errno on failure).
fn open_dev(p: &Proc, rdev: u64, flags: u32) -> i64 {
    let mut mem = p.mem.clone();
    p.kernel.with_ctx(p.tid, &mut mem, |ctx| match open_device(ctx, rdev, flags) {
        Ok(ops) => {
            let f = OpenFile::new(ops, flags);
            i64::from(ctx.process_mut().files.alloc(f, false, 0, 1024).expect("fd"))
        }
        Err(e) => -i64::from(e.errno().as_i32()),
    })
}

fn ioctl(p: &Proc, fd: i64, cmd: u32, arg: u64) -> i64 {
    p.sys(SYS_ioctl, &[fd as u64, u64::from(cmd), arg])
}

/// ioctl with a pointer to an int `v`.
fn ioctl_int(p: &Proc, fd: i64, cmd: u32, v: i32) -> i64 {
    let a = p.bytes(&v.to_le_bytes());
    ioctl(p, fd, cmd, u64::from(a))
}

/// ioctl that returns an int through its pointer argument.
fn ioctl_get(p: &Proc, fd: i64, cmd: u32) -> Result<i32, i64> {
    let a = p.alloc(4);
    match ioctl(p, fd, cmd, u64::from(a)) {
        0 => Ok(p.read_i32(a)),
        e => Err(e),
    }
}

fn write(p: &Proc, fd: i64, data: &[u8]) -> i64 {
    let a = p.bytes(data);
    p.sys(SYS_write, &[fd as u64, u64::from(a), data.len() as u64])
}

fn read(p: &Proc, fd: i64, n: usize) -> Result<Vec<u8>, i64> {
    let a = p.alloc(n.max(1));
    let r = p.sys(SYS_read, &[fd as u64, u64::from(a), n as u64]);
    if r < 0 {
        Err(r)
    } else {
        Ok(p.read(a, r as usize))
    }
}

fn close(p: &Proc, fd: i64) {
    assert_eq!(p.sys(SYS_close, &[fd as u64]), 0);
}

fn nonblock(p: &Proc, fd: i64) {
    assert_eq!(ioctl_int(p, fd, FIONBIO, 1), 0);
}

/// A new pty master (O_NOCTTY) and its index.
fn ptmx(p: &Proc) -> (i64, u32) {
    let m = open_dev(p, PTMX, O_RDWR | O_NOCTTY);
    assert!(m >= 0, "ptmx open: {m}");
    let n = ioctl_get(p, m, TIOCGPTN).expect("TIOCGPTN") as u32;
    (m, n)
}

/// An unlocked pair opened with O_NOCTTY: (master, slave, index).
fn pair(p: &Proc) -> (i64, i64, u32) {
    let (m, n) = ptmx(p);
    assert_eq!(ioctl_int(p, m, TIOCSPTLCK, 0), 0);
    let s = open_dev(p, pts(n), O_RDWR | O_NOCTTY);
    assert!(s >= 0, "slave open: {s}");
    (m, s, n)
}

/// A session leader with the slave as controlling terminal.
fn session(h: &Harness) -> (Proc, i64, i64, u32) {
    let p = h.process(None);
    let (m, n) = ptmx(&p);
    assert_eq!(ioctl_int(&p, m, TIOCSPTLCK, 0), 0);
    let s = open_dev(&p, pts(n), O_RDWR);
    assert!(s >= 0);
    (p, m, s, n)
}

fn state<R>(h: &Harness, f: impl FnOnce(&mut State) -> R) -> R {
    h.kernel.with_state(f)
}

fn pending(h: &Harness, pid: i32) -> u64 {
    state(h, |st| st.procs.procs[&pid].signals.pending.bits)
}

fn has_sig(h: &Harness, pid: i32, sig: u32) -> bool {
    pending(h, pid) & sigbit(sig) != 0
}

fn clear_pending(h: &Harness, pid: i32) {
    state(h, |st| st.procs.procs.get_mut(&pid).unwrap().signals.pending = Default::default());
}

fn set_pgid(h: &Harness, pid: i32, pgid: i32) {
    state(h, |st| st.procs.procs.get_mut(&pid).unwrap().pgid = pgid);
}

fn set_handler(h: &Harness, pid: i32, sig: u32, handler: u32) {
    state(h, |st| st.procs.procs.get_mut(&pid).unwrap().signals.actions[sig as usize].handler = handler);
}

/// Installs a (fake) handler so that a default-ignored signal (SIGCONT,
/// SIGWINCH) is queued rather than discarded at generation.
fn catch(h: &Harness, pid: i32, sig: u32) {
    set_handler(h, pid, sig, 77);
}

/// A child of `leader` in a new background process group.
fn background_child(h: &Harness, leader: &Proc) -> Proc {
    let c = h.process(Some(leader));
    set_pgid(h, c.pid, c.pid);
    c
}

fn tty_of(h: &Harness, n: u32) -> Arc<Tty> {
    state(h, |st| st.tty.ptys[&n].clone())
}

/// Spins until `f` holds (the event a blocked thread waits for).
fn wait_for(h: &Harness, mut f: impl FnMut(&mut State) -> bool) {
    let start = std::time::Instant::now();
    while !state(h, &mut f) {
        assert!(start.elapsed().as_secs() < 10, "condition never became true");
        std::thread::yield_now();
    }
}

fn set_termios(p: &Proc, fd: i64, f: impl FnOnce(&mut termios)) {
    let a = p.alloc(termios::SIZE);
    assert_eq!(ioctl(p, fd, TCGETS, u64::from(a)), 0);
    let mut t: termios = p.read_struct(a);
    f(&mut t);
    let b = p.put_struct(&t);
    assert_eq!(ioctl(p, fd, TCSETS, u64::from(b)), 0);
}

fn raw(p: &Proc, fd: i64, vmin: u8, vtime: u8) {
    set_termios(p, fd, |t| {
        t.c_lflag &= !(ICANON | ECHO);
        t.c_cc[VMIN] = vmin;
        t.c_cc[VTIME] = vtime;
    });
}

fn poll(p: &Proc, fd: i64) -> u16 {
    let mut mem = p.mem.clone();
    p.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let f = ctx.file(fd as i32).unwrap();
        f.ops.poll(ctx, &f)
    })
}

use wasmpod_abi::AbiStruct;

// ---- pty pairs -----------------------------------------------------------

#[test]
fn ptmx_hands_out_increasing_indexes() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(ptmx(&p).1, 0);
    assert_eq!(ptmx(&p).1, 1);
}

#[test]
fn pty_index_is_reused_after_both_ends_close() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, n) = pair(&p);
    assert_eq!(n, 0);
    close(&p, s);
    close(&p, m);
    assert_eq!(ptmx(&p).1, 0);
}

#[test]
fn new_pty_is_locked_and_slave_open_fails_with_eio() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, n) = ptmx(&p);
    assert_eq!(ioctl_get(&p, m, TIOCGPTLCK), Ok(1));
    assert_eq!(open_dev(&p, pts(n), O_RDWR), EIO);
    assert_eq!(ioctl_int(&p, m, TIOCSPTLCK, 0), 0);
    assert_eq!(ioctl_get(&p, m, TIOCGPTLCK), Ok(0));
    assert!(open_dev(&p, pts(n), O_RDWR) >= 0);
}

#[test]
fn relocking_pty_blocks_new_slave_opens() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _s, n) = pair(&p);
    assert_eq!(ioctl_int(&p, m, TIOCSPTLCK, 1), 0);
    assert_eq!(open_dev(&p, pts(n), O_RDWR | O_NOCTTY), EIO);
}

#[test]
fn opening_missing_pts_is_enxio() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open_dev(&p, pts(7), O_RDWR), ENXIO);
    assert_eq!(open_dev(&p, makedev(5, 9), O_RDWR), ENXIO);
}

#[test]
fn master_write_is_read_by_slave_as_a_line() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(write(&p, m, b"hello\n"), 6);
    assert_eq!(read(&p, s, 100), Ok(b"hello\n".to_vec()));
}

#[test]
fn slave_output_reaches_master_with_onlcr() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(write(&p, s, b"a\nb"), 3);
    assert_eq!(read(&p, m, 100), Ok(b"a\r\nb".to_vec()));
}

#[test]
fn master_sees_echo_of_typed_input() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _s, _) = pair(&p);
    write(&p, m, b"ls\r");
    assert_eq!(read(&p, m, 100), Ok(b"ls\r\n".to_vec()));
}

#[test]
fn master_sees_erase_echo_bytes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"ab\x7fc\n");
    assert_eq!(read(&p, m, 100), Ok(b"ab\x08 \x08c\r\n".to_vec()));
    assert_eq!(read(&p, s, 100), Ok(b"ac\n".to_vec()));
}

#[test]
fn master_sees_ctrl_c_echoed_as_caret_c() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _s, _) = pair(&p);
    write(&p, m, b"\x03");
    assert_eq!(read(&p, m, 100), Ok(b"^C".to_vec()));
}

#[test]
fn eof_at_line_start_makes_slave_read_return_zero() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"\x04");
    assert_eq!(read(&p, s, 100), Ok(vec![]));
}

#[test]
fn eof_mid_line_returns_partial_line() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"abc\x04");
    assert_eq!(read(&p, s, 100), Ok(b"abc".to_vec()));
}

#[test]
fn master_read_blocks_until_slave_writes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let reader = p.clone();
    let t = std::thread::spawn(move || read(&reader, m, 100));
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    // Write through the same description from another process's table.
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(s as i32).unwrap());
    let qfd = state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap());
    assert_eq!(write(&q, i64::from(qfd), b"out"), 3);
    assert_eq!(t.join().unwrap(), Ok(b"out".to_vec()));
}

#[test]
fn master_read_without_output_is_eagain_when_nonblocking() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _s, _) = pair(&p);
    nonblock(&p, m);
    assert_eq!(read(&p, m, 10), Err(EAGAIN));
}

#[test]
fn master_read_before_any_slave_open_is_not_eio() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _) = ptmx(&p);
    nonblock(&p, m);
    assert_eq!(read(&p, m, 10), Err(EAGAIN));
}

#[test]
fn master_read_fails_with_eio_after_last_slave_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    close(&p, s);
    assert_eq!(read(&p, m, 10), Err(EIO));
}

#[test]
fn master_drains_output_before_eio() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, s, b"bye");
    close(&p, s);
    assert_eq!(read(&p, m, 10), Ok(b"bye".to_vec()));
    assert_eq!(read(&p, m, 10), Err(EIO));
}

#[test]
fn blocked_master_read_gets_eio_when_slave_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.remove(s as i32).unwrap().file);
    let qfd = state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap());
    let reader = p.clone();
    let t = std::thread::spawn(move || read(&reader, m, 10));
    h.wait_sleeping(p.tid);
    close(&q, i64::from(qfd));
    assert_eq!(t.join().unwrap(), Err(EIO));
}

#[test]
fn master_poll_reports_hangup_after_slave_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(poll(&p, m) & (POLLIN | POLLHUP), 0);
    write(&p, s, b"x");
    assert_ne!(poll(&p, m) & POLLIN, 0);
    close(&p, s);
    assert_ne!(poll(&p, m) & POLLHUP, 0);
}

#[test]
fn slave_poll_readiness_follows_complete_lines() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(poll(&p, s), POLLOUT | wasmpod_abi::poll::POLLWRNORM);
    write(&p, m, b"abc");
    assert_eq!(poll(&p, s) & POLLIN, 0, "no complete line yet");
    write(&p, m, b"\n");
    assert_ne!(poll(&p, s) & POLLIN, 0);
}

#[test]
fn master_close_makes_slave_read_eof_and_write_eio() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"unread\n");
    close(&p, m);
    assert_eq!(read(&p, s, 10), Ok(vec![]));
    assert_eq!(write(&p, s, b"x"), EIO);
    assert_ne!(poll(&p, s) & POLLHUP, 0);
    assert_eq!(ioctl_get(&p, s, TIOCGWINSZ), Err(EIO));
}

#[test]
fn master_close_wakes_blocked_slave_reader_with_eof() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.remove(m as i32).unwrap().file);
    let qfd = state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap());
    let reader = p.clone();
    let t = std::thread::spawn(move || read(&reader, s, 10));
    h.wait_sleeping(p.tid);
    close(&q, i64::from(qfd));
    assert_eq!(t.join().unwrap(), Ok(vec![]));
}

#[test]
fn master_close_sends_sighup_and_sigcont_to_session_leader() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let child = h.process(Some(&p));
    catch(&h, p.pid, SIGCONT);
    close(&child, m); // the child inherited the fds
    close(&p, m);
    assert!(has_sig(&h, p.pid, SIGHUP));
    assert!(has_sig(&h, p.pid, SIGCONT));
    assert!(!has_sig(&h, child.pid, SIGHUP), "only the controlling process gets SIGHUP at hangup");
}

#[test]
fn leader_exit_after_hangup_sends_sighup_to_old_foreground_group() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let job = background_child(&h, &p);
    catch(&h, job.pid, SIGCONT);
    catch(&h, p.pid, SIGCONT);
    let s2 = open_dev(&p, DEV_TTY, O_RDWR);
    assert_eq!(ioctl_int(&p, s2, TIOCSPGRP, job.pid), 0);
    close(&job, m); // inherited
    close(&p, m);
    assert!(has_sig(&h, p.pid, SIGHUP), "hangup signals the leader");
    assert!(!has_sig(&h, job.pid, SIGHUP));
    let mut mem = p.mem.clone();
    h.kernel.with_ctx(p.tid, &mut mem, |ctx| session_leader_exited(ctx, p.pid));
    assert!(has_sig(&h, job.pid, SIGHUP));
    assert!(has_sig(&h, job.pid, SIGCONT));
}

#[test]
fn pty_with_hung_up_slave_disappears_from_devpts_and_cannot_be_reopened() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _s, n) = pair(&p);
    close(&p, m);
    assert_eq!(open_dev(&p, pts(n), O_RDWR), EIO);
    let names = readdir_names(&p);
    assert_eq!(names, vec![".", "..", "ptmx"]);
}

#[test]
fn slave_read_blocks_until_a_line_is_complete() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let qm =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    let reader = p.clone();
    let t = std::thread::spawn(move || read(&reader, s, 100));
    h.wait_sleeping(p.tid);
    write(&q, qm, b"par");
    write(&q, qm, b"tial\n");
    assert_eq!(t.join().unwrap(), Ok(b"partial\n".to_vec()));
}

#[test]
fn slave_read_of_partial_line_is_eagain_when_nonblocking() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    nonblock(&p, s);
    write(&p, m, b"partial");
    assert_eq!(read(&p, s, 100), Err(EAGAIN));
}

#[test]
fn slave_write_stops_at_output_limit_when_nonblocking() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    nonblock(&p, s);
    let big = vec![b'x'; ldisc::OUTPUT_MAX + 100];
    let n = write(&p, s, &big);
    assert!(n > 0 && (n as usize) < big.len(), "{n}");
    assert_eq!(write(&p, s, b"y"), EAGAIN);
    assert_eq!(read(&p, m, 100).unwrap().len(), 100);
    assert_eq!(write(&p, s, b"y"), 1);
}

#[test]
fn blocked_slave_write_completes_when_master_reads() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let writer = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(s as i32).unwrap());
    let ws = i64::from(state(&h, |st| {
        st.procs.procs.get_mut(&writer.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()
    }));
    let total = ldisc::OUTPUT_MAX + 1000;
    let w = writer.clone();
    let t = std::thread::spawn(move || write(&w, ws, &vec![b'z'; total]));
    h.wait_sleeping(writer.tid);
    let mut got = 0;
    while got < total {
        got += read(&p, m, 8192).unwrap().len();
    }
    assert_eq!(t.join().unwrap(), total as i64);
}

#[test]
fn master_write_is_partial_when_raw_input_buffer_fills_nonblocking() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    raw(&p, s, 1, 0);
    nonblock(&p, m);
    assert_eq!(write(&p, m, &vec![b'q'; 5000]), ldisc::INPUT_MAX as i64);
    assert_eq!(write(&p, m, b"q"), EAGAIN);
    assert_eq!(poll(&p, m) & POLLOUT, 0);
}

#[test]
fn blocked_master_write_completes_when_slave_reads() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    raw(&p, s, 1, 0);
    let writer = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let wm = i64::from(state(&h, |st| {
        st.procs.procs.get_mut(&writer.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()
    }));
    let w = writer.clone();
    let t = std::thread::spawn(move || write(&w, wm, &vec![b'q'; 6000]));
    h.wait_sleeping(writer.tid);
    let mut got = 0;
    while got < 6000 {
        got += read(&p, s, 4096).unwrap().len();
    }
    assert_eq!(t.join().unwrap(), 6000);
}

#[test]
fn fionread_on_slave_counts_only_complete_lines() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"ab\ncd");
    assert_eq!(ioctl_get(&p, s, FIONREAD), Ok(3));
}

#[test]
fn fionread_on_master_counts_unread_output_and_tiocoutq_is_zero() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, s, b"12345");
    assert_eq!(ioctl_get(&p, m, FIONREAD), Ok(5));
    assert_eq!(ioctl_get(&p, s, TIOCOUTQ), Ok(0), "Linux: a pty transmits at once");
    assert_eq!(ioctl_get(&p, m, TIOCOUTQ), Ok(0));
}

// ---- VMIN / VTIME (termios(3)) -------------------------------------------

#[test]
fn vmin0_vtime0_returns_zero_at_once_without_input() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    raw(&p, s, 0, 0);
    assert_eq!(read(&p, s, 10), Ok(vec![]));
}

#[test]
fn vmin0_vtime0_returns_what_is_available() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    raw(&p, s, 0, 0);
    write(&p, m, b"xy");
    assert_eq!(read(&p, s, 10), Ok(b"xy".to_vec()));
}

#[test]
fn vmin0_vtime_times_out_with_zero_bytes() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    raw(&p, s, 0, 5);
    let r = p.clone();
    let t = std::thread::spawn(move || read(&r, s, 10));
    h.wait_sleeping(p.tid);
    h.advance_ns(400_000_000);
    h.wait_sleeping(p.tid);
    h.advance_ns(100_000_000);
    assert_eq!(t.join().unwrap(), Ok(vec![]));
}

#[test]
fn vmin0_vtime_returns_on_first_byte() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    raw(&p, s, 0, 5);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let qm =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    let r = p.clone();
    let t = std::thread::spawn(move || read(&r, s, 10));
    h.wait_sleeping(p.tid);
    write(&q, qm, b"k");
    assert_eq!(t.join().unwrap(), Ok(b"k".to_vec()));
}

#[test]
fn vmin_without_vtime_blocks_until_vmin_bytes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, n) = pair(&p);
    raw(&p, s, 3, 0);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let qm =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    let tty = tty_of(&h, n);
    let r = p.clone();
    let t = std::thread::spawn(move || read(&r, s, 10));
    h.wait_sleeping(p.tid);
    write(&q, qm, b"a");
    wait_for(&h, |_| tty.lock().ld.input_len() == 0);
    h.advance_ns(10_000_000_000);
    assert!(!t.is_finished());
    write(&q, qm, b"bc");
    assert_eq!(t.join().unwrap(), Ok(b"abc".to_vec()));
}

#[test]
fn vmin_vtime_returns_after_inter_byte_gap() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, n) = pair(&p);
    raw(&p, s, 5, 2);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let qm =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    let tty = tty_of(&h, n);
    let r = p.clone();
    let t = std::thread::spawn(move || read(&r, s, 10));
    h.wait_sleeping(p.tid);
    write(&q, qm, b"ab");
    wait_for(&h, |_| tty.lock().ld.input_len() == 0);
    h.advance_ns(200_000_000);
    assert_eq!(t.join().unwrap(), Ok(b"ab".to_vec()));
}

#[test]
fn vmin_vtime_waits_forever_for_the_first_byte() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    raw(&p, s, 2, 1);
    let q = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let qm =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&q.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    let r = p.clone();
    let t = std::thread::spawn(move || read(&r, s, 10));
    h.wait_sleeping(p.tid);
    h.advance_ns(5_000_000_000);
    h.wait_sleeping(p.tid);
    assert!(!t.is_finished());
    write(&q, qm, b"xy");
    assert_eq!(t.join().unwrap(), Ok(b"xy".to_vec()));
}

#[test]
fn vmin_larger_than_buffer_returns_when_buffer_is_full() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    raw(&p, s, 10, 0);
    write(&p, m, b"abcd");
    assert_eq!(read(&p, s, 3), Ok(b"abc".to_vec()));
}

// ---- signals from input ----------------------------------------------------

#[test]
fn ctrl_c_sends_sigint_to_foreground_group_and_flushes_input() {
    let h = Harness::new();
    let (p, m, s, _) = session(&h);
    write(&p, m, b"pending\nhalf");
    write(&p, m, b"\x03");
    assert!(has_sig(&h, p.pid, SIGINT));
    clear_pending(&h, p.pid);
    assert_eq!(ioctl_get(&p, s, FIONREAD), Ok(0));
    write(&p, m, b"new\n");
    assert_eq!(read(&p, s, 100), Ok(b"new\n".to_vec()));
}

#[test]
fn ctrl_c_does_not_signal_background_groups() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    write(&p, m, b"\x03");
    assert!(has_sig(&h, p.pid, SIGINT));
    assert!(!has_sig(&h, bg.pid, SIGINT));
}

#[test]
fn ctrl_z_sends_sigtstp_and_ctrl_backslash_sigquit() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    write(&p, m, b"\x1a");
    assert!(has_sig(&h, p.pid, SIGTSTP));
    write(&p, m, b"\x1c");
    assert!(has_sig(&h, p.pid, SIGQUIT));
}

#[test]
fn ctrl_c_on_a_terminal_without_session_signals_nobody() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _s, _) = pair(&p);
    write(&p, m, b"\x03");
    assert_eq!(pending(&h, p.pid), 0);
}

#[test]
fn noflsh_keeps_input_after_ctrl_c() {
    let h = Harness::new();
    let (p, m, s, _) = session(&h);
    set_termios(&p, s, |t| t.c_lflag |= NOFLSH);
    write(&p, m, b"keep\n\x03");
    clear_pending(&h, p.pid);
    assert_eq!(read(&p, s, 100), Ok(b"keep\n".to_vec()));
}

#[test]
fn tiocswinsz_sends_sigwinch_to_foreground_group_on_change_only() {
    let h = Harness::new();
    let (p, m, s, _) = session(&h);
    catch(&h, p.pid, SIGWINCH);
    let ws = p.put_struct(&winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 });
    assert_eq!(ioctl(&p, m, TIOCSWINSZ, u64::from(ws)), 0);
    assert!(!has_sig(&h, p.pid, SIGWINCH), "same size: no signal");
    let ws = p.put_struct(&winsize { ws_row: 50, ws_col: 132, ws_xpixel: 0, ws_ypixel: 0 });
    assert_eq!(ioctl(&p, m, TIOCSWINSZ, u64::from(ws)), 0);
    assert!(has_sig(&h, p.pid, SIGWINCH));
    let a = p.alloc(8);
    assert_eq!(ioctl(&p, s, TIOCGWINSZ, u64::from(a)), 0);
    let got: winsize = p.read_struct(a);
    assert_eq!((got.ws_row, got.ws_col), (50, 132));
}

#[test]
fn blocked_slave_read_is_interrupted_by_a_handled_signal() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    set_handler(&h, p.pid, SIGUSR1, 77);
    let r = p.clone();
    let t = std::thread::spawn(move || {
        let a = r.alloc(10);
        r.call(SYS_read, &[s as u64, u64::from(a), 10])
    });
    h.wait_sleeping(p.tid);
    h.kernel.with_state(|st| {
        crate::signal::send_to_process(st, p.pid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.procs.threads.get_mut(&p.tid).unwrap().sleeping = true;
    });
    // Wake the sleeper: any notify does; closing an unrelated fd notifies.
    let q = h.process(None);
    let (qm, _) = ptmx(&q);
    close(&q, qm);
    let ret = t.join().unwrap();
    assert_eq!(ret.value, EINTR);
    assert!(matches!(ret.action, Action::Return));
}

// ---- termios ioctls ------------------------------------------------------------

#[test]
fn tcgets_returns_linux_defaults() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    let a = p.alloc(termios::SIZE);
    assert_eq!(ioctl(&p, s, TCGETS, u64::from(a)), 0);
    assert_eq!(p.read_struct::<termios>(a), termios::linux_default());
}

#[test]
fn clearing_echo_stops_echo_on_master() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    set_termios(&p, s, |t| t.c_lflag &= !ECHO);
    write(&p, m, b"secret\n");
    nonblock(&p, m);
    assert_eq!(read(&p, m, 100), Err(EAGAIN));
    assert_eq!(read(&p, s, 100), Ok(b"secret\n".to_vec()));
}

#[test]
fn tcsetattr_on_master_changes_the_slave_settings() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    set_termios(&p, m, |t| t.c_oflag &= !OPOST);
    write(&p, s, b"a\n");
    assert_eq!(read(&p, m, 10), Ok(b"a\n".to_vec()));
}

#[test]
fn tcsetsf_flushes_pending_input() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"old\n");
    let a = p.put_struct(&termios::linux_default());
    assert_eq!(ioctl(&p, s, TCSETSF, u64::from(a)), 0);
    assert_eq!(ioctl_get(&p, s, FIONREAD), Ok(0));
}

#[test]
fn tcsetsw_keeps_pending_input() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"old\n");
    let a = p.put_struct(&termios::linux_default());
    assert_eq!(ioctl(&p, s, TCSETSW, u64::from(a)), 0);
    assert_eq!(ioctl_get(&p, s, FIONREAD), Ok(4));
}

#[test]
fn tcflsh_flushes_the_selected_queue() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    set_termios(&p, s, |t| t.c_lflag &= !ECHO);
    write(&p, m, b"in\n");
    write(&p, s, b"out");
    assert_eq!(ioctl(&p, s, TCFLSH, u64::from(TCIFLUSH)), 0);
    assert_eq!(ioctl_get(&p, s, FIONREAD), Ok(0));
    assert_eq!(ioctl_get(&p, m, FIONREAD), Ok(3));
    assert_eq!(ioctl(&p, s, TCFLSH, u64::from(TCOFLUSH)), 0);
    assert_eq!(ioctl_get(&p, m, FIONREAD), Ok(3), "output already handed to the master stays");
    assert_eq!(ioctl(&p, m, TCFLSH, u64::from(TCIFLUSH)), 0);
    assert_eq!(ioctl_get(&p, m, FIONREAD), Ok(0), "the master's input is the slave's output");
    assert_eq!(ioctl(&p, s, TCFLSH, 7), EINVAL);
}

#[test]
fn tcxonc_suspends_and_resumes_output() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    nonblock(&p, s);
    assert_eq!(ioctl(&p, s, TCXONC, u64::from(TCOOFF)), 0);
    assert_eq!(write(&p, s, b"x"), EAGAIN);
    assert_eq!(ioctl(&p, s, TCXONC, u64::from(TCOON)), 0);
    assert_eq!(write(&p, s, b"x"), 1);
    assert_eq!(read(&p, m, 10), Ok(b"x".to_vec()));
    assert_eq!(ioctl(&p, s, TCXONC, 9), EINVAL);
}

#[test]
fn tcsbrk_is_accepted() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl(&p, s, TCSBRK, 1), 0);
    assert_eq!(ioctl(&p, s, TCSBRKP, 0), 0);
}

#[test]
fn unknown_ioctl_on_a_tty_is_enotty() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(ioctl(&p, s, 0x1234, 0), ENOTTY);
    assert_eq!(ioctl(&p, m, 0x1234, 0), ENOTTY);
}

#[test]
fn pty_ioctls_are_master_only() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl_get(&p, s, TIOCGPTN), Err(ENOTTY));
    assert_eq!(ioctl_int(&p, s, TIOCSPTLCK, 0), ENOTTY);
}

#[test]
fn line_discipline_is_n_tty_only() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl_get(&p, s, TIOCGETD), Ok(0));
    assert_eq!(ioctl_int(&p, s, TIOCSETD, 0), 0);
    assert_eq!(ioctl_int(&p, s, TIOCSETD, 2), EINVAL);
}

#[test]
fn tiocexcl_makes_reopen_ebusy_for_non_root() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, n) = pair(&p);
    assert_eq!(ioctl(&p, s, TIOCEXCL, 0), 0);
    assert_eq!(open_dev(&p, pts(n), O_RDWR | O_NOCTTY), EBUSY);
    let root = h.process_as(None, Credentials::root());
    assert!(open_dev(&root, pts(n), O_RDWR | O_NOCTTY) >= 0);
    assert_eq!(ioctl(&p, s, TIOCNXCL, 0), 0);
    assert!(open_dev(&p, pts(n), O_RDWR | O_NOCTTY) >= 0);
}

#[test]
fn packet_mode_prefixes_master_reads_with_data_byte() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(ioctl_int(&p, m, TIOCPKT, 1), 0);
    assert_eq!(ioctl_get(&p, m, TIOCGPKT), Ok(1));
    write(&p, s, b"hi");
    assert_eq!(read(&p, m, 10), Ok(b"\0hi".to_vec()));
}

#[test]
fn tiocgptpeer_opens_the_slave() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _n) = ptmx(&p);
    assert_eq!(ioctl(&p, m, TIOCGPTPEER, u64::from(O_RDWR | O_NOCTTY)), EIO, "locked");
    assert_eq!(ioctl_int(&p, m, TIOCSPTLCK, 0), 0);
    let s = ioctl(&p, m, TIOCGPTPEER, u64::from(O_RDWR | O_NOCTTY));
    assert!(s >= 0);
    write(&p, s, b"peer");
    assert_eq!(read(&p, m, 10), Ok(b"peer".to_vec()));
    assert_eq!(ioctl(&p, m, TIOCGPTPEER, 0x4000_0000), EINVAL);
}

#[test]
fn tiocsti_needs_root() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, n) = pair(&p);
    assert_eq!(ioctl(&p, s, TIOCSTI, u64::from(p.bytes(b"x"))), EIO);
    let root = h.process_as(None, Credentials::root());
    let rs = open_dev(&root, pts(n), O_RDWR | O_NOCTTY);
    assert_eq!(ioctl(&root, rs, TIOCSTI, u64::from(root.bytes(b"\n"))), 0);
    assert_eq!(read(&p, s, 10), Ok(b"\n".to_vec()));
}

#[test]
fn tiocgdev_reports_the_slave_device() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, _s, _) = pair(&p);
    let (_m2, s2, n2) = pair(&p);
    assert_eq!(ioctl_get(&p, s2, TIOCGDEV), Ok(makedev(136, n2) as i32));
}

#[test]
fn winsize_is_shared_by_both_ends_and_starts_at_24x80() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let a = p.alloc(8);
    assert_eq!(ioctl(&p, m, TIOCGWINSZ, u64::from(a)), 0);
    assert_eq!(p.read_struct::<winsize>(a).ws_col, 80);
    let ws = p.put_struct(&winsize { ws_row: 10, ws_col: 20, ws_xpixel: 0, ws_ypixel: 0 });
    assert_eq!(ioctl(&p, s, TIOCSWINSZ, u64::from(ws)), 0);
    assert_eq!(ioctl(&p, m, TIOCGWINSZ, u64::from(a)), 0);
    assert_eq!(p.read_struct::<winsize>(a).ws_row, 10);
}

#[test]
fn bad_termios_pointer_is_efault() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl(&p, s, TCGETS, 0xffff_fff0), -(Errno::EFAULT.as_i32() as i64));
}

// ---- controlling terminal --------------------------------------------------------

#[test]
fn session_leader_acquires_ctty_by_opening_slave() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    assert_eq!(ioctl_get(&p, s, TIOCGSID), Ok(p.pid));
    assert_eq!(ioctl_get(&p, s, TIOCGPGRP), Ok(p.pid));
}

#[test]
fn open_with_o_noctty_does_not_acquire() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl_get(&p, s, TIOCGPGRP), Err(ENOTTY));
    assert_eq!(open_dev(&p, DEV_TTY, O_RDWR), ENXIO);
}

#[test]
fn non_leader_open_does_not_acquire() {
    let h = Harness::new();
    let leader = h.process(None);
    let child = h.process(Some(&leader));
    let (m, n) = ptmx(&child);
    ioctl_int(&child, m, TIOCSPTLCK, 0);
    let s = open_dev(&child, pts(n), O_RDWR);
    assert_eq!(ioctl_get(&child, s, TIOCGPGRP), Err(ENOTTY));
}

#[test]
fn write_only_open_does_not_acquire() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, n) = ptmx(&p);
    ioctl_int(&p, m, TIOCSPTLCK, 0);
    let w = open_dev(&p, pts(n), O_WRONLY);
    assert!(w >= 0);
    assert_eq!(open_dev(&p, DEV_TTY, O_RDWR), ENXIO);
    let r = open_dev(&p, pts(n), O_RDONLY);
    assert_eq!(ioctl_get(&p, r, TIOCGSID), Ok(p.pid));
}

#[test]
fn second_terminal_does_not_replace_the_ctty() {
    let h = Harness::new();
    let (p, _m, s, n) = session(&h);
    let (m2, n2) = ptmx(&p);
    ioctl_int(&p, m2, TIOCSPTLCK, 0);
    let s2 = open_dev(&p, pts(n2), O_RDWR);
    assert_eq!(ioctl_get(&p, s2, TIOCGPGRP), Err(ENOTTY));
    assert_eq!(ioctl_get(&p, s, TIOCGPGRP), Ok(p.pid));
    assert_ne!(n, n2);
}

#[test]
fn dev_tty_opens_the_controlling_terminal() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let child = h.process(Some(&p));
    let t = open_dev(&child, DEV_TTY, O_RDWR);
    assert!(t >= 0);
    write(&child, t, b"via /dev/tty");
    assert_eq!(read(&p, m, 100), Ok(b"via /dev/tty".to_vec()));
}

#[test]
fn tiocsctty_makes_ctty_for_a_session_leader() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl(&p, s, TIOCSCTTY, 0), 0);
    assert_eq!(ioctl_get(&p, s, TIOCGSID), Ok(p.pid));
    assert_eq!(ioctl(&p, s, TIOCSCTTY, 0), 0, "already ours: no-op");
}

#[test]
fn tiocsctty_from_non_leader_is_eperm() {
    let h = Harness::new();
    let leader = h.process(None);
    let child = h.process(Some(&leader));
    let (_m, s, _) = pair(&child);
    assert_eq!(ioctl(&child, s, TIOCSCTTY, 0), EPERM);
}

#[test]
fn tiocsctty_when_already_having_a_ctty_is_eperm() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let (_m2, s2, _) = pair(&p);
    assert_eq!(ioctl(&p, s2, TIOCSCTTY, 0), EPERM);
}

#[test]
fn tiocsctty_on_another_sessions_terminal_is_eperm_unless_root_steals() {
    let h = Harness::new();
    let (owner, _m, s, n) = session(&h);
    let other = h.process(None);
    let os = open_dev(&other, pts(n), O_RDWR | O_NOCTTY);
    assert_eq!(ioctl(&other, os, TIOCSCTTY, 1), EPERM, "arg 1 needs root");
    let root = h.process_as(None, Credentials::root());
    let rs = open_dev(&root, pts(n), O_RDWR | O_NOCTTY);
    assert_eq!(ioctl(&root, rs, TIOCSCTTY, 0), EPERM);
    assert_eq!(ioctl(&root, rs, TIOCSCTTY, 1), 0);
    assert_eq!(ioctl_get(&root, rs, TIOCGSID), Ok(root.pid));
    assert_eq!(ioctl_get(&owner, s, TIOCGPGRP), Err(ENOTTY), "the old session lost it");
}

#[test]
fn tiocnotty_by_leader_hangs_up_foreground_and_clears_session() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    let child = h.process(Some(&p));
    catch(&h, child.pid, SIGCONT);
    assert_eq!(ioctl(&p, s, TIOCNOTTY, 0), 0);
    assert!(has_sig(&h, child.pid, SIGHUP));
    assert!(has_sig(&h, child.pid, SIGCONT));
    assert_eq!(open_dev(&child, DEV_TTY, O_RDWR), ENXIO);
}

#[test]
fn tiocnotty_by_non_leader_only_detaches_that_process() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    let child = h.process(Some(&p));
    let ct = open_dev(&child, DEV_TTY, O_RDWR);
    assert_eq!(ioctl(&child, ct, TIOCNOTTY, 0), 0);
    assert_eq!(pending(&h, p.pid), 0);
    assert_eq!(open_dev(&child, DEV_TTY, O_RDWR), ENXIO);
    assert_eq!(ioctl_get(&p, s, TIOCGPGRP), Ok(p.pid));
}

#[test]
fn tiocnotty_on_a_terminal_that_is_not_ours_is_enotty() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    assert_eq!(ioctl(&p, s, TIOCNOTTY, 0), ENOTTY);
}

#[test]
fn tiocspgrp_moves_the_foreground_group() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    let job = background_child(&h, &p);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, job.pid), 0);
    assert_eq!(ioctl_get(&p, s, TIOCGPGRP), Ok(job.pid));
}

#[test]
fn tiocspgrp_error_cases() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, -1), EINVAL);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, 999), ESRCH);
    let stranger = h.process(None);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, stranger.pid), EPERM);
    let (_m2, s2, _) = pair(&p);
    assert_eq!(ioctl_int(&p, s2, TIOCSPGRP, p.pid), ENOTTY);
}

#[test]
fn tiocgpgrp_on_master_works_without_being_the_ctty() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let other = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(m as i32).unwrap());
    let om =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&other.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    assert_eq!(ioctl_get(&other, om, TIOCGPGRP), Ok(p.pid));
    assert_eq!(ioctl_get(&other, om, TIOCGSID), Ok(p.pid));
}

#[test]
fn tiocspgrp_from_background_raises_sigttou_and_restarts() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    let a = bg.bytes(&bg.pid.to_le_bytes());
    let r = bg.call(SYS_ioctl, &[t as u64, u64::from(TIOCSPGRP), u64::from(a)]);
    assert!(matches!(r.action, Action::Restart));
    assert!(has_sig(&h, bg.pid, SIGTTOU));
    clear_pending(&h, bg.pid);
    assert_eq!(ioctl_get(&bg, t, TIOCGPGRP), Ok(p.pid), "the foreground group did not change");
}

#[test]
fn tiocspgrp_from_background_with_sigttou_ignored_succeeds() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    set_handler(&h, bg.pid, SIGTTOU, SIG_IGN);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    assert_eq!(ioctl_int(&bg, t, TIOCSPGRP, bg.pid), 0);
    assert_eq!(ioctl_get(&bg, t, TIOCGPGRP), Ok(bg.pid));
}

// ---- background access -------------------------------------------------------------

#[test]
fn background_read_sends_sigttin_to_its_group_and_restarts() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    let a = bg.alloc(10);
    let r = bg.call(SYS_read, &[t as u64, u64::from(a), 10]);
    assert!(matches!(r.action, Action::Restart));
    assert!(has_sig(&h, bg.pid, SIGTTIN));
    assert!(!has_sig(&h, p.pid, SIGTTIN));
}

#[test]
fn background_read_with_sigttin_ignored_is_eio() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    set_handler(&h, bg.pid, SIGTTIN, SIG_IGN);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    assert_eq!(read(&bg, t, 10), Err(EIO));
}

#[test]
fn background_read_with_sigttin_blocked_is_eio() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    state(&h, |st| st.procs.threads.get_mut(&bg.tid).unwrap().signals.mask |= sigbit(SIGTTIN));
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    assert_eq!(read(&bg, t, 10), Err(EIO));
    assert!(!has_sig(&h, bg.pid, SIGTTIN));
}

#[test]
fn background_read_from_orphaned_group_is_eio() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    let bg = background_child(&h, &p);
    // The parent leaves the session's group structure: reparent to nobody.
    state(&h, |st| st.procs.procs.get_mut(&bg.pid).unwrap().ppid = 0);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(s as i32).unwrap());
    let t =
        i64::from(state(&h, |st| st.procs.procs.get_mut(&bg.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    assert_eq!(read(&bg, t, 10), Err(EIO));
    assert!(!has_sig(&h, bg.pid, SIGTTIN));
}

#[test]
fn foreground_read_is_not_job_controlled() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let child = h.process(Some(&p));
    let t = open_dev(&child, DEV_TTY, O_RDWR);
    write(&p, m, b"fg\n");
    assert_eq!(read(&child, t, 10), Ok(b"fg\n".to_vec()));
}

#[test]
fn read_of_a_terminal_that_is_not_the_ctty_is_not_job_controlled() {
    let h = Harness::new();
    let (p, m, s, n) = session(&h);
    let stranger = h.process(None);
    let st = open_dev(&stranger, pts(n), O_RDWR | O_NOCTTY);
    let _ = s;
    write(&p, m, b"x\n");
    assert_eq!(read(&stranger, st, 10), Ok(b"x\n".to_vec()));
}

#[test]
fn background_write_is_allowed_without_tostop() {
    let h = Harness::new();
    let (p, m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    assert_eq!(write(&bg, t, b"bg"), 2);
    assert_eq!(read(&p, m, 10), Ok(b"bg".to_vec()));
}

#[test]
fn background_write_with_tostop_sends_sigttou() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    set_termios(&p, s, |t| t.c_lflag |= TOSTOP);
    let bg = background_child(&h, &p);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    let a = bg.bytes(b"x");
    let r = bg.call(SYS_write, &[t as u64, u64::from(a), 1]);
    assert!(matches!(r.action, Action::Restart));
    assert!(has_sig(&h, bg.pid, SIGTTOU));
}

#[test]
fn background_write_with_tostop_and_sigttou_ignored_goes_through() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    set_termios(&p, s, |t| t.c_lflag |= TOSTOP);
    let bg = background_child(&h, &p);
    set_handler(&h, bg.pid, SIGTTOU, SIG_IGN);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    assert_eq!(write(&bg, t, b"x"), 1);
}

#[test]
fn background_tcsetattr_sends_sigttou() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let bg = background_child(&h, &p);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    let a = bg.put_struct(&termios::linux_default());
    let r = bg.call(SYS_ioctl, &[t as u64, u64::from(TCSETS), u64::from(a)]);
    assert!(matches!(r.action, Action::Restart));
    assert!(has_sig(&h, bg.pid, SIGTTOU));
    let g = bg.alloc(termios::SIZE);
    clear_pending(&h, bg.pid);
    assert_eq!(ioctl(&bg, t, TCGETS, u64::from(g)), 0, "tcgetattr is allowed from the background");
}

#[test]
fn session_leader_exit_hangs_up_foreground_and_dissociates() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    let job = background_child(&h, &p);
    catch(&h, job.pid, SIGCONT);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, job.pid), 0);
    let mut mem = p.mem.clone();
    h.kernel.with_ctx(p.tid, &mut mem, |ctx| session_leader_exited(ctx, p.pid));
    assert!(has_sig(&h, job.pid, SIGHUP));
    assert!(has_sig(&h, job.pid, SIGCONT));
    assert!(!has_sig(&h, p.pid, SIGHUP));
    assert_eq!(open_dev(&job, DEV_TTY, O_RDWR), ENXIO);
}

#[test]
fn session_leader_exit_without_ctty_signals_nobody() {
    let h = Harness::new();
    let p = h.process(None);
    let child = h.process(Some(&p));
    let mut mem = p.mem.clone();
    h.kernel.with_ctx(p.tid, &mut mem, |ctx| session_leader_exited(ctx, p.pid));
    assert_eq!(pending(&h, child.pid), 0);
}

// ---- devpts ------------------------------------------------------------------

fn readdir_names(p: &Proc) -> Vec<String> {
    let mut mem = p.mem.clone();
    p.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let root = devpts_root().unwrap();
        let mut names = vec![];
        root.readdir(ctx, 0, &mut |e| {
            names.push(String::from_utf8(e.name).unwrap());
            true
        })
        .unwrap();
        names
    })
}

#[test]
fn devpts_lists_ptmx_and_open_ptys_including_locked_ones() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m0, _s0, _) = pair(&p);
    let (_m1, _) = ptmx(&p);
    assert_eq!(readdir_names(&p), vec![".", "..", "ptmx", "0", "1"]);
}

#[test]
fn devpts_entry_disappears_when_master_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m0, _) = ptmx(&p);
    let (_m1, _) = ptmx(&p);
    close(&p, m0);
    assert_eq!(readdir_names(&p), vec![".", "..", "ptmx", "1"]);
}

#[test]
fn devpts_readdir_resumes_from_cookie() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m0, _) = ptmx(&p);
    let (_m1, _) = ptmx(&p);
    let mut mem = p.mem.clone();
    let (first, rest) = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let root = devpts_root().unwrap();
        let mut first = vec![];
        root.readdir(ctx, 0, &mut |e| {
            first.push(e.clone());
            first.len() < 4
        })
        .unwrap();
        let mut rest = vec![];
        let next = first.last().unwrap().next;
        root.readdir(ctx, next, &mut |e| {
            rest.push(String::from_utf8(e.name).unwrap());
            true
        })
        .unwrap();
        (first, rest)
    });
    assert_eq!(first.last().unwrap().name, b"0");
    assert_eq!(rest, vec!["1"]);
}

#[test]
fn devpts_node_metadata_names_device_mode_and_owner() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::with_ids(1234, 99));
    let (_m, n) = ptmx(&p);
    let (_m, n2) = ptmx(&p);
    let mut mem = p.mem.clone();
    let md = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let node = devpts_root().unwrap().lookup(ctx, n2.to_string().as_bytes()).unwrap();
        node.metadata(ctx).unwrap()
    });
    assert_eq!(md.rdev, makedev(136, n2));
    assert_eq!(md.mode, wasmpod_abi::fs::S_IFCHR | 0o620);
    assert_eq!((md.uid, md.gid), (1234, 99));
    assert_eq!(md.ino, u64::from(n2) + 3);
    assert_ne!(n, n2);
}

#[test]
fn devpts_lookup_of_missing_pty_is_enoent_and_ptmx_exists() {
    let h = Harness::new();
    let p = h.process(None);
    let mut mem = p.mem.clone();
    h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let root = devpts_root().unwrap();
        assert_eq!(root.lookup(ctx, b"0").err().unwrap().errno(), Errno::ENOENT);
        assert_eq!(root.lookup(ctx, b"00").err().unwrap().errno(), Errno::ENOENT);
        let ptmx = root.lookup(ctx, b"ptmx").unwrap();
        assert_eq!(ptmx.metadata(ctx).unwrap().rdev, makedev(5, 2));
    });
}

#[test]
fn opening_a_devpts_node_opens_the_slave_after_unlock() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, n) = ptmx(&p);
    let mut mem = p.mem.clone();
    let node =
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| devpts_root().unwrap().lookup(ctx, n.to_string().as_bytes()).unwrap());
    let r = h.kernel.with_ctx(p.tid, &mut mem, |ctx| node.open(ctx, O_RDWR).err().map(|e| e.errno()));
    assert_eq!(r, Some(Errno::EIO));
    ioctl_int(&p, m, TIOCSPTLCK, 0);
    let ok = h.kernel.with_ctx(p.tid, &mut mem, |ctx| node.open(ctx, O_RDWR | O_NOCTTY).unwrap().is_some());
    assert!(ok);
}

#[test]
fn chmod_on_a_devpts_node_changes_its_mode() {
    let h = Harness::new();
    let p = h.process(None);
    let (_m, s, _) = pair(&p);
    let mut mem = p.mem.clone();
    let mode = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let f = ctx.file(s as i32).unwrap();
        let node = f.ops.inode().unwrap();
        node.set_attr(ctx, &crate::fs::SetAttr { mode: Some(0o600), ..Default::default() }).unwrap();
        f.ops.metadata(ctx).unwrap().mode
    });
    assert_eq!(mode & 0o7777, 0o600);
}

// ---- host API -------------------------------------------------------------------

#[test]
fn host_pty_input_reaches_slave_and_output_reaches_host() {
    let h = Harness::new();
    let (host, n) = h.kernel.host_pty().unwrap();
    let p = h.process(None);
    let s = open_dev(&p, pts(n), O_RDWR | O_NOCTTY);
    assert_eq!(host.write_input(&h.kernel, b"echo hi\r", false).ok(), Some(8));
    assert_eq!(read(&p, s, 100), Ok(b"echo hi\n".to_vec()));
    write(&p, s, b"hi\n");
    let mut buf = [0u8; 100];
    let k = host.read_output(&h.kernel, &mut buf, false).unwrap();
    assert_eq!(&buf[..k], b"echo hi\r\nhi\r\n");
    assert_eq!(host.read_output(&h.kernel, &mut buf, false).err().map(|e| e.errno()), Some(Errno::EAGAIN));
}

#[test]
fn slave_output_and_echo_wake_the_host() {
    let h = Harness::new();
    let (host, n) = h.kernel.host_pty().unwrap();
    let p = h.process(None);
    let s = open_dev(&p, pts(n), O_RDWR | O_NOCTTY);
    let wakes = || h.platform.host_wakes.load(std::sync::atomic::Ordering::SeqCst);
    let before = wakes();
    write(&p, s, b"out\n");
    let after_output = wakes();
    assert!(after_output > before, "program output wakes the host");
    assert_eq!(host.write_input(&h.kernel, b"x", false).ok(), Some(1));
    assert!(wakes() > after_output, "typed input (and its echo) wakes the host");
    let mut buf = [0u8; 16];
    let k = host.read_output(&h.kernel, &mut buf, false).unwrap();
    assert_eq!(&buf[..k], b"out\r\nx");
}

#[test]
fn host_read_output_blocks_on_a_host_thread_until_output() {
    let h = Harness::new();
    let (host, _n) = h.kernel.host_pty().unwrap();
    let host = Arc::new(host);
    let p = h.process(None);
    let file = host.open_slave(&h.kernel, O_RDWR).unwrap();
    let s = i64::from(state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    let (k2, h2) = (h.kernel.clone(), host.clone());
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let n = h2.read_output(&k2, &mut buf, true).unwrap();
        buf[..n].to_vec()
    });
    wait_for(&h, |st| st.tty.host_waits > 0);
    assert_eq!(write(&p, s, b"prompt$ "), 8);
    assert_eq!(t.join().unwrap(), b"prompt$ ");
}

#[test]
fn host_pty_is_usable_again_after_its_slaves_closed() {
    // The browser runs programs one after another on one terminal: EIO
    // between them means "no program holds it", not a dead terminal.
    let h = Harness::new();
    let (host, _n) = h.kernel.host_pty().unwrap();
    drop(host.open_slave(&h.kernel, O_RDWR).unwrap());
    let mut buf = [0u8; 16];
    assert_eq!(host.read_output(&h.kernel, &mut buf, false).err().map(|e| e.errno()), Some(Errno::EIO));
    let p = h.process(None);
    let file = host.open_slave(&h.kernel, O_RDWR).unwrap();
    let s = i64::from(state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    assert_eq!(host.read_output(&h.kernel, &mut buf, false).err().map(|e| e.errno()), Some(Errno::EAGAIN));
    assert_eq!(write(&p, s, b"again"), 5);
    let k = host.read_output(&h.kernel, &mut buf, false).unwrap();
    assert_eq!(&buf[..k], b"again");
}

#[test]
fn host_read_output_is_eio_after_slaves_close() {
    let h = Harness::new();
    let (host, _n) = h.kernel.host_pty().unwrap();
    let file = host.open_slave(&h.kernel, O_RDWR).unwrap();
    drop(file);
    let mut buf = [0u8; 8];
    assert_eq!(host.read_output(&h.kernel, &mut buf, true).err().map(|e| e.errno()), Some(Errno::EIO));
}

#[test]
fn host_pty_controls_a_session_and_ctrl_c_interrupts_it() {
    let h = Harness::new();
    let (host, _n) = h.kernel.host_pty().unwrap();
    let p = h.process(None);
    catch(&h, p.pid, SIGWINCH);
    host.set_controlling(&h.kernel, p.pid).unwrap();
    host.write_input(&h.kernel, b"\x03", true).unwrap();
    assert!(has_sig(&h, p.pid, SIGINT));
    host.resize(&h.kernel, 40, 100);
    assert!(has_sig(&h, p.pid, SIGWINCH));
}

#[test]
fn host_close_hangs_up_the_session() {
    let h = Harness::new();
    let (host, _n) = h.kernel.host_pty().unwrap();
    let p = h.process(None);
    let file = host.open_slave(&h.kernel, O_RDWR).unwrap();
    let s = i64::from(state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()));
    host.set_controlling(&h.kernel, p.pid).unwrap();
    host.close(&h.kernel);
    assert!(has_sig(&h, p.pid, SIGHUP));
    clear_pending(&h, p.pid);
    assert_eq!(read(&p, s, 10), Ok(vec![]));
}

#[test]
fn host_write_input_blocks_until_the_program_reads() {
    let h = Harness::new();
    let (host, n) = h.kernel.host_pty().unwrap();
    let host = Arc::new(host);
    let p = h.process(None);
    let s = open_dev(&p, pts(n), O_RDWR | O_NOCTTY);
    raw(&p, s, 1, 0);
    let (k2, h2) = (h.kernel.clone(), host.clone());
    let t = std::thread::spawn(move || h2.write_input(&k2, &vec![b'k'; 5000], true).unwrap());
    wait_for(&h, |st| st.tty.host_waits > 0);
    let mut got = 0;
    while got < 5000 {
        got += read(&p, s, 1000).unwrap().len();
    }
    assert_eq!(t.join().unwrap(), 5000);
}

#[test]
fn console_is_enxio_until_the_host_attaches_one() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open_dev(&p, CONSOLE, O_RDWR), ENXIO);
    let console = h.kernel.attach_console().unwrap();
    assert!(h.kernel.attach_console().is_err());
    let c = open_dev(&p, CONSOLE, O_RDWR);
    assert!(c >= 0);
    assert_eq!(ioctl_get(&p, c, TIOCGPGRP), Err(ENOTTY), "opening the console never makes it the ctty");
    write(&p, c, b"boot\n");
    let mut buf = [0u8; 16];
    let k = console.read_output(&h.kernel, &mut buf, false).unwrap();
    assert_eq!(&buf[..k], b"boot\r\n");
    assert_eq!(console.index(), None);
    console.close(&h.kernel);
    assert_eq!(open_dev(&p, CONSOLE, O_RDWR), ENXIO);
}

// ---- through the VFS and the process calls -----------------------------------------

fn open_path(p: &Proc, path: &str, flags: u32) -> i64 {
    p.sys(SYS_openat, &[wasmpod_abi::fcntl::AT_FDCWD as u32 as u64, p.cstr(path), u64::from(flags), 0])
}

#[test]
fn openpty_through_dev_ptmx_and_dev_pts() {
    let h = Harness::new();
    let p = h.process(None);
    let m = open_path(&p, "/dev/ptmx", O_RDWR | O_NOCTTY);
    assert!(m >= 0, "{m}");
    let n = ioctl_get(&p, m, TIOCGPTN).unwrap();
    assert_eq!(open_path(&p, &format!("/dev/pts/{n}"), O_RDWR | O_NOCTTY), EIO);
    assert_eq!(ioctl_int(&p, m, TIOCSPTLCK, 0), 0);
    let s = open_path(&p, &format!("/dev/pts/{n}"), O_RDWR | O_NOCTTY);
    assert!(s >= 0, "{s}");
    write(&p, m, b"typed\n");
    assert_eq!(read(&p, s, 64), Ok(b"typed\n".to_vec()));
    let st = p.alloc(wasmpod_abi::fs::stat::SIZE);
    assert_eq!(p.sys(SYS_fstat, &[s as u64, u64::from(st)]), 0);
    let st: wasmpod_abi::fs::stat = p.read_struct(st);
    assert_eq!(st.st_rdev, makedev(136, n as u32));
}

#[test]
fn getdents_of_dev_pts_lists_open_ptys() {
    let h = Harness::new();
    let p = h.process(None);
    let _m = open_path(&p, "/dev/ptmx", O_RDWR | O_NOCTTY);
    let d = open_path(&p, "/dev/pts", O_RDONLY | wasmpod_abi::fcntl::O_DIRECTORY);
    assert!(d >= 0, "{d}");
    let buf = p.alloc(1024);
    let n = p.sys(SYS_getdents64, &[d as u64, u64::from(buf), 1024]);
    assert!(n > 0, "{n}");
    let raw = p.read(buf, n as usize);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("ptmx") && text.contains('0'), "{text:?}");
}

#[test]
fn setsid_then_opening_a_pts_acquires_it() {
    let h = Harness::new();
    let parent = h.process(None);
    let p = h.process(Some(&parent));
    assert_eq!(p.sys(SYS_setsid, &[]), i64::from(p.pid));
    let m = open_path(&p, "/dev/ptmx", O_RDWR);
    assert_eq!(ioctl_get(&p, m, TIOCGSID), Err(ENOTTY), "ptmx is never acquired");
    ioctl_int(&p, m, TIOCSPTLCK, 0);
    let n = ioctl_get(&p, m, TIOCGPTN).unwrap();
    let s = open_path(&p, &format!("/dev/pts/{n}"), O_RDWR);
    assert_eq!(ioctl_get(&p, s, TIOCGSID), Ok(p.pid));
    let t = open_path(&p, "/dev/tty", O_RDWR);
    assert!(t >= 0, "{t}");
}

#[test]
fn exit_of_session_leader_sends_sighup_to_foreground_job() {
    let h = Harness::new();
    let (p, _m, s, _) = session(&h);
    let job = background_child(&h, &p);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, job.pid), 0);
    p.call(SYS_exit_group, &[0]);
    assert!(has_sig(&h, job.pid, SIGHUP));
    assert_eq!(open_dev(&job, DEV_TTY, O_RDWR), ENXIO);
}

#[test]
fn reopening_the_slave_clears_master_eio() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, n) = pair(&p);
    close(&p, s);
    assert_eq!(read(&p, m, 4), Err(EIO));
    let s2 = open_dev(&p, pts(n), O_RDWR | O_NOCTTY);
    assert!(s2 >= 0);
    write(&p, s2, b"back");
    assert_eq!(read(&p, m, 4), Ok(b"back".to_vec()));
}

#[test]
fn tiocsctty_through_a_write_only_fd_is_eperm_for_non_root() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, n) = ptmx(&p);
    ioctl_int(&p, m, TIOCSPTLCK, 0);
    let w = open_dev(&p, pts(n), O_WRONLY | O_NOCTTY);
    assert_eq!(ioctl(&p, w, TIOCSCTTY, 0), EPERM);
}

#[test]
fn tiocgptpeer_without_o_noctty_acquires_for_a_session_leader() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, _) = ptmx(&p);
    ioctl_int(&p, m, TIOCSPTLCK, 0);
    let s = ioctl(&p, m, TIOCGPTPEER, u64::from(O_RDWR));
    assert_eq!(ioctl_get(&p, s, TIOCGSID), Ok(p.pid));
}

#[test]
fn hung_up_slave_ioctls_fail_like_linux() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    close(&p, m);
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, p.pid), ENOTTY);
    assert_eq!(ioctl(&p, s, TCGETS, u64::from(p.alloc(64))), EIO);
}

#[test]
fn werase_echo_reaches_the_master() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"ab cd\x17\n");
    assert_eq!(read(&p, m, 100), Ok(b"ab cd\x08 \x08\x08 \x08\r\n".to_vec()));
    assert_eq!(read(&p, s, 100), Ok(b"ab \n".to_vec()));
}

#[test]
fn kill_echo_reaches_the_master() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, m, b"xy\x15z\n");
    assert_eq!(read(&p, m, 100), Ok(b"xy\x08 \x08\x08 \x08z\r\n".to_vec()));
    assert_eq!(read(&p, s, 100), Ok(b"z\n".to_vec()));
}

#[test]
fn slave_fstat_reports_the_pts_node() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, n) = pair(&p);
    let st = p.alloc(wasmpod_abi::fs::stat::SIZE);
    assert_eq!(p.sys(SYS_fstat, &[s as u64, u64::from(st)]), 0);
    let st: wasmpod_abi::fs::stat = p.read_struct(st);
    assert_eq!(st.st_rdev, makedev(136, n));
    assert_eq!(st.st_uid, 1000);
    let mt = p.alloc(wasmpod_abi::fs::stat::SIZE);
    assert_eq!(p.sys(SYS_fstat, &[m as u64, u64::from(mt)]), 0);
    assert_eq!(p.read_struct::<wasmpod_abi::fs::stat>(mt).st_rdev, makedev(5, 2));
}

#[test]
fn proc_stat_fields_name_the_ctty_and_foreground_group() {
    let h = Harness::new();
    let (p, _m, _s, n) = session(&h);
    let stranger = h.process(None);
    assert_eq!(state(&h, |st| proc_stat_tty(st, p.pid)), (makedev(136, n) as u32, p.pid));
    assert_eq!(state(&h, |st| proc_stat_tty(st, stranger.pid)), (0, -1));
}

#[test]
fn ctrl_c_keeps_output_already_queued_for_the_master() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    write(&p, s, b"OUT");
    write(&p, m, b"abc\x03");
    assert_eq!(read(&p, m, 100), Ok(b"OUT^C".to_vec()), "echo of abc in the same batch is dropped");
}

#[test]
fn children_forked_after_tiocnotty_have_no_ctty_but_earlier_ones_keep_it() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let mid = h.process(Some(&p));
    let early = h.process(Some(&mid));
    let t = open_dev(&mid, DEV_TTY, O_RDWR);
    assert_eq!(ioctl(&mid, t, TIOCNOTTY, 0), 0);
    let late = h.process(Some(&mid));
    let late_child = h.process(Some(&late));
    assert_eq!(open_dev(&late, DEV_TTY, O_RDWR), ENXIO);
    assert_eq!(open_dev(&late_child, DEV_TTY, O_RDWR), ENXIO);
    assert!(open_dev(&early, DEV_TTY, O_RDWR) >= 0);
}

#[test]
fn setsid_after_tiocnotty_lets_the_process_acquire_a_terminal_again() {
    let h = Harness::new();
    let (p, _m, _s, _) = session(&h);
    let c = h.process(Some(&p));
    let t = open_dev(&c, DEV_TTY, O_RDWR);
    assert_eq!(ioctl(&c, t, TIOCNOTTY, 0), 0);
    assert_eq!(c.sys(SYS_setsid, &[]), i64::from(c.pid));
    let (_m2, s2, _) = pair(&c);
    assert_eq!(ioctl(&c, s2, TIOCSCTTY, 0), 0);
    assert_eq!(ioctl_get(&c, s2, TIOCGSID), Ok(c.pid));
}

#[test]
fn packet_mode_reports_flush_and_flow_control_status() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    assert_eq!(ioctl_int(&p, m, TIOCPKT, 1), 0);
    assert_eq!(ioctl(&p, s, TCFLSH, u64::from(TCIFLUSH)), 0);
    assert_ne!(poll(&p, m) & wasmpod_abi::poll::POLLPRI, 0);
    assert_eq!(read(&p, m, 10), Ok(vec![ldisc::TIOCPKT_FLUSHREAD]));
    write(&p, m, b"\x13");
    assert_eq!(read(&p, m, 10), Ok(vec![ldisc::TIOCPKT_STOP]));
    write(&p, m, b"\x11");
    assert_eq!(read(&p, m, 10), Ok(vec![ldisc::TIOCPKT_START]));
    nonblock(&p, m);
    assert_eq!(read(&p, m, 10), Err(EAGAIN));
}

#[test]
fn host_runs_a_session_on_a_pty_until_the_program_exits() {
    let h = Harness::new();
    let (pty, _n) = h.kernel.host_pty().unwrap();
    let p = h.process(None);
    for fd in 0..3 {
        let file = pty.open_slave(&h.kernel, O_RDWR).unwrap();
        state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.install(fd, file, false));
    }
    pty.set_controlling(&h.kernel, p.pid).unwrap();
    let prog = p.clone();
    let t = std::thread::spawn(move || {
        let line = read(&prog, 0, 100).unwrap();
        write(&prog, 1, b"out\n");
        line
    });
    h.wait_sleeping(p.tid);
    pty.write_input(&h.kernel, b"ls\r", true).unwrap();
    assert_eq!(t.join().unwrap(), b"ls\n");
    let mut buf = [0u8; 64];
    let n = pty.read_output(&h.kernel, &mut buf, true).unwrap();
    assert_eq!(&buf[..n], b"ls\r\nout\r\n");
    p.call(SYS_exit_group, &[0]);
    assert_eq!(pty.read_output(&h.kernel, &mut buf, true).err().map(|e| e.errno()), Some(Errno::EIO));
}

#[test]
fn background_reader_stops_on_sigttin_then_reads_after_fg_and_sigcont() {
    let h = Harness::new();
    let (p, m, s, _) = session(&h);
    let bg = background_child(&h, &p);
    let t = open_dev(&bg, DEV_TTY, O_RDWR);
    let a = bg.alloc(16);
    let r = bg.call(SYS_read, &[t as u64, u64::from(a), 16]);
    assert!(matches!(r.action, Action::Restart) && r.signal_pending);
    // The host delivers SIGTTIN: the default action stops the process.
    let k = h.kernel.clone();
    let mut mem = bg.mem.clone();
    let tid = bg.tid;
    let stopper = std::thread::spawn(move || k.deliver_signal(tid, &mut mem, 0x8000));
    h.wait_sleeping(bg.tid);
    assert!(state(&h, |st| st.procs.procs[&bg.pid].job.stopped));
    // The shell puts the job in the foreground and continues it (fg).
    assert_eq!(ioctl_int(&p, s, TIOCSPGRP, bg.pid), 0);
    assert_eq!(p.sys(SYS_kill, &[bg.pid as u64, u64::from(SIGCONT)]), 0);
    assert_eq!(stopper.join().unwrap(), crate::signal::Delivery::None);
    write(&p, m, b"input\n");
    assert_eq!(read(&bg, t, 16), Ok(b"input\n".to_vec()), "the restarted read now succeeds");
}

/// ppoll(2) on one fd for `events`, no timeout; returns revents.
fn ppoll1(p: &Proc, fd: i64, events: u16) -> u16 {
    let mut pfd = (fd as i32).to_le_bytes().to_vec();
    pfd.extend_from_slice(&events.to_le_bytes());
    pfd.extend_from_slice(&0u16.to_le_bytes());
    let a = p.bytes(&pfd);
    let r = p.sys(SYS_ppoll, &[u64::from(a), 1, 0, 0, 8]);
    assert_eq!(r, 1, "ppoll result");
    u16::from_le_bytes(p.read(a + 6, 2).try_into().unwrap())
}

#[test]
fn ppoll_on_master_wakes_when_the_slave_writes() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let writer = h.process(None);
    let file = state(&h, |st| st.procs.procs[&p.pid].files.get(s as i32).unwrap());
    let ws = i64::from(state(&h, |st| {
        st.procs.procs.get_mut(&writer.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()
    }));
    let poller = p.clone();
    let t = std::thread::spawn(move || ppoll1(&poller, m, POLLIN));
    h.wait_sleeping(p.tid);
    write(&writer, ws, b"!");
    assert_eq!(t.join().unwrap() & POLLIN, POLLIN);
}

#[test]
fn ppoll_on_slave_wakes_on_a_complete_line_and_on_hangup() {
    let h = Harness::new();
    let p = h.process(None);
    let (m, s, _) = pair(&p);
    let typist = h.process(None);
    let file = state(&h, |st| st.procs.procs.get_mut(&p.pid).unwrap().files.remove(m as i32).unwrap().file);
    let tm = i64::from(state(&h, |st| {
        st.procs.procs.get_mut(&typist.pid).unwrap().files.alloc(file, false, 0, 64).unwrap()
    }));
    let poller = p.clone();
    let t = std::thread::spawn(move || ppoll1(&poller, s, POLLIN));
    h.wait_sleeping(p.tid);
    write(&typist, tm, b"half");
    h.wait_sleeping(p.tid);
    write(&typist, tm, b"\n");
    assert_eq!(t.join().unwrap() & POLLIN, POLLIN);
    assert_eq!(read(&p, s, 16), Ok(b"half\n".to_vec()));
    let poller = p.clone();
    let t = std::thread::spawn(move || ppoll1(&poller, s, POLLIN));
    h.wait_sleeping(p.tid);
    close(&typist, tm);
    assert_ne!(t.join().unwrap() & POLLHUP, 0);
}
