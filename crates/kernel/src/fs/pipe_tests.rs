use std::sync::Arc;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::signal::{sigbit, SA_RESTART, SIGPIPE, SIGUSR1};
use wasmpod_abi::syscalls::*;

use super::*;
use crate::fs::inode::{Inode, Metadata};
use crate::fs::testfile::{pipe, read, read_until, share, write};
use crate::kernel::Action;
use crate::signal::SigAction;
use crate::testing::{Harness, Proc};

const EINTR: i64 = -4;
const ENXIO: i64 = -6;
const EBADF: i64 = -9;
const EAGAIN: i64 = -11;
const EFAULT: i64 = -14;
const EBUSY: i64 = -16;
const EINVAL: i64 = -22;
const ESPIPE: i64 = -29;
const EPIPE: i64 = -32;
const EPERM: i64 = -1;

fn sigpipe_pending(h: &Harness, tid: i32) -> bool {
    h.kernel.with_state(|st| st.procs.threads[&tid].signals.pending.bits & sigbit(SIGPIPE) != 0)
}

/// Queues SIGUSR1 for `tid` and wakes sleepers.
fn send_usr1(h: &Harness, tid: i32) {
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, tid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.notify();
    });
}

fn set_handler(h: &Harness, pid: i32, flags: u32) {
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&pid).unwrap().signals.actions[SIGUSR1 as usize] =
            SigAction { handler: 0x1234, flags, ..Default::default() }
    });
}

fn fcntl(p: &Proc, fd: i32, cmd: u32, arg: u64) -> i64 {
    p.sys(SYS_fcntl, &[fd as u64, u64::from(cmd), arg])
}

// ---- pipe2 -----------------------------------------------------------------

#[test]
fn pipe2_returns_read_end_then_write_end_at_lowest_fds() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(pipe(&p, 0), (0, 1));
    assert_eq!(pipe(&p, 0), (2, 3));
    assert_eq!(write(&p, 3, b"x"), 1);
    assert_eq!(write(&p, 2, b"x"), EBADF);
    assert_eq!(read(&p, 3, 1), Err(EBADF));
    assert_eq!(read(&p, 2, 1).unwrap(), b"x");
}

#[test]
fn pipe2_rejects_unknown_flags() {
    let h = Harness::new();
    let p = h.process(None);
    let fds = p.alloc(8);
    assert_eq!(p.sys(SYS_pipe2, &[fds as u64, O_EXCL as u64]), EINVAL);
    assert_eq!(p.sys(SYS_pipe2, &[fds as u64, O_APPEND as u64]), EINVAL);
    assert_eq!(p.kernel.with_state(|st| st.procs.procs[&p.pid].files.count()), 0);
}

#[test]
fn pipe2_bad_pointer_is_efault_and_leaves_no_fds() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_pipe2, &[0xffff_fff0, 0]), EFAULT);
    assert_eq!(p.kernel.with_state(|st| st.procs.procs[&p.pid].files.count()), 0);
}

#[test]
fn pipe2_cloexec_marks_both_fds() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_CLOEXEC);
    assert_eq!(fcntl(&p, r, F_GETFD, 0), FD_CLOEXEC as i64);
    assert_eq!(fcntl(&p, w, F_GETFD, 0), FD_CLOEXEC as i64);
}

#[test]
fn pipe2_nonblock_applies_to_both_ends() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_NONBLOCK);
    assert_eq!(read(&p, r, 4), Err(EAGAIN));
    assert_ne!(fcntl(&p, w, F_GETFL, 0) & O_NONBLOCK as i64, 0);
}

#[test]
fn packet_mode_reads_one_write_at_a_time() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_DIRECT);
    assert_eq!(write(&p, w, b"ab"), 2);
    assert_eq!(write(&p, w, b"cde"), 3);
    assert_eq!(read(&p, r, 100).unwrap(), b"ab");
    assert_eq!(read(&p, r, 100).unwrap(), b"cde");
}

#[test]
fn packet_mode_discards_what_does_not_fit_the_read() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_DIRECT);
    write(&p, w, b"abcdef");
    write(&p, w, b"gh");
    assert_eq!(read(&p, r, 2).unwrap(), b"ab");
    assert_eq!(read(&p, r, 100).unwrap(), b"gh");
}

#[test]
fn packet_mode_splits_large_writes_into_pipe_buf_packets() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_DIRECT);
    assert_eq!(write(&p, w, &vec![1u8; PIPE_BUF + 10]), (PIPE_BUF + 10) as i64);
    assert_eq!(read(&p, r, 65_536).unwrap().len(), PIPE_BUF);
    assert_eq!(read(&p, r, 65_536).unwrap().len(), 10);
}

#[test]
fn stream_bytes_before_a_packet_are_read_together_then_the_packet_ends_the_read() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"st");
    write(&p, w, b"ream");
    assert_eq!(fcntl(&p, w, F_SETFL, u64::from(O_DIRECT)), 0);
    write(&p, w, b"PKT");
    write(&p, w, b"next");
    assert_eq!(read(&p, r, 100).unwrap(), b"streamPKT");
    assert_eq!(read(&p, r, 100).unwrap(), b"next");
}

// ---- data ------------------------------------------------------------------

#[test]
fn bytes_come_out_in_the_order_written() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"hello ");
    write(&p, w, b"world");
    assert_eq!(read(&p, r, 3).unwrap(), b"hel");
    assert_eq!(read(&p, r, 100).unwrap(), b"lo world");
}

#[test]
fn read_returns_what_is_available_without_waiting_for_more() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"abc");
    assert_eq!(read(&p, r, 4096).unwrap(), b"abc");
}

#[test]
fn read_sees_data_then_eof_after_last_writer_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"tail");
    assert_eq!(p.sys(SYS_close, &[w as u64]), 0);
    assert_eq!(read(&p, r, 100).unwrap(), b"tail");
    assert_eq!(read(&p, r, 100).unwrap(), b"");
}

#[test]
fn a_dup_of_the_write_end_keeps_the_pipe_open() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_NONBLOCK);
    let w2 = p.sys(SYS_dup, &[w as u64]) as i32;
    p.sys(SYS_close, &[w as u64]);
    assert_eq!(read(&p, r, 1), Err(EAGAIN));
    p.sys(SYS_close, &[w2 as u64]);
    assert_eq!(read(&p, r, 1).unwrap(), b"");
}

#[test]
fn zero_length_read_and_write_return_zero() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    assert_eq!(read(&p, r, 0).unwrap(), b"");
    p.sys(SYS_close, &[r as u64]);
    // Linux returns 0 for an empty write before looking at readers.
    assert_eq!(write(&p, w, b""), 0);
    assert!(!sigpipe_pending(&h, p.tid));
}

#[test]
fn write_without_readers_is_epipe_and_raises_sigpipe() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    p.sys(SYS_close, &[r as u64]);
    let b = p.bytes(b"x");
    let ret = p.call(SYS_write, &[w as u64, b as u64, 1]);
    assert_eq!(ret.value, EPIPE);
    assert!(ret.signal_pending);
    assert!(sigpipe_pending(&h, p.tid));
}

#[test]
fn pread_on_a_pipe_is_espipe() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    let b = p.alloc(4);
    assert_eq!(p.sys(SYS_pread64, &[r as u64, b as u64, 1, 0, 0]), ESPIPE);
}

// ---- capacity and non-blocking ---------------------------------------------

#[test]
fn nonblocking_read_of_empty_pipe_is_eagain() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, O_NONBLOCK);
    assert_eq!(read(&p, r, 10), Err(EAGAIN));
}

#[test]
fn default_capacity_is_64_kib() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, O_NONBLOCK);
    let big = vec![7u8; 70_000];
    assert_eq!(write(&p, w, &big), 65_536);
    assert_eq!(write(&p, w, b"x"), EAGAIN);
    assert_eq!(fcntl(&p, w, F_GETPIPE_SZ, 0), 65_536);
}

#[test]
fn nonblocking_small_write_that_does_not_fit_whole_is_eagain() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_NONBLOCK);
    assert_eq!(write(&p, w, &vec![1u8; 65_536 - 100]), 65_436);
    // 200 ≤ PIPE_BUF: all or nothing.
    assert_eq!(write(&p, w, &[2u8; 200]), EAGAIN);
    // Larger than PIPE_BUF: partial.
    assert_eq!(write(&p, w, &vec![3u8; 5000]), 100);
    assert_eq!(read(&p, r, 65_436).unwrap().len(), 65_436);
    assert_eq!(read(&p, r, 1000).unwrap(), vec![3u8; 100]);
}

#[test]
fn fionread_reports_unread_bytes() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"12345");
    let out = p.alloc(4);
    assert_eq!(p.sys(SYS_ioctl, &[r as u64, wasmpod_abi::ioctl::FIONREAD as u64, out as u64]), 0);
    assert_eq!(p.read_u32(out), 5);
}

#[test]
fn unknown_ioctl_on_pipe_is_enotty() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    assert_eq!(p.sys(SYS_ioctl, &[r as u64, wasmpod_abi::ioctl::TCGETS as u64, 0]), -25);
}

#[test]
fn f_setpipe_sz_rounds_up_to_a_power_of_two_pages() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 5000), 8192);
    assert_eq!(fcntl(&p, r, F_GETPIPE_SZ, 0), 8192);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 0), 4096);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 3 * 4096), 16384);
}

#[test]
fn f_setpipe_sz_limits_what_fits() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, O_NONBLOCK);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 4096), 4096);
    assert_eq!(write(&p, w, &vec![0u8; 10_000]), 4096);
}

#[test]
fn f_setpipe_sz_below_buffered_data_is_ebusy() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, 0);
    write(&p, w, &vec![0u8; 10_000]);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 4096), EBUSY);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 16384), 16384);
}

#[test]
fn f_setpipe_sz_above_pipe_max_size_needs_privilege() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, 0);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 1 << 20), 1 << 20);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 2 << 20), EPERM);
    let root = h.process_as(None, crate::process::Credentials::root());
    let (_r, w) = pipe(&root, 0);
    assert_eq!(fcntl(&root, w, F_SETPIPE_SZ, 2 << 20), 2 << 20);
    assert_eq!(fcntl(&root, w, F_SETPIPE_SZ, 0xffff_ffff), EINVAL);
}

// ---- blocking --------------------------------------------------------------

#[test]
fn blocking_read_is_woken_by_a_writer() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(Some(&p));
    let (r, w) = pipe(&p, 0);
    let cw = share(&p, w, &c);
    let p2 = p.clone();
    let t = std::thread::spawn(move || read(&p2, r, 100));
    h.wait_sleeping(p.tid);
    assert_eq!(write(&c, cw, b"wake"), 4);
    assert_eq!(t.join().unwrap().unwrap(), b"wake");
}

#[test]
fn blocking_read_sees_eof_when_the_last_writer_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cw = share(&p, w, &c);
    p.sys(SYS_close, &[w as u64]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || read(&p2, r, 100));
    h.wait_sleeping(p.tid);
    assert_eq!(c.sys(SYS_close, &[cw as u64]), 0);
    assert_eq!(t.join().unwrap().unwrap(), b"");
}

#[test]
fn blocking_write_completes_a_large_write_as_the_reader_drains() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cr = share(&p, r, &c);
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let p2 = p.clone();
    let d2 = data.clone();
    let t = std::thread::spawn(move || write(&p2, w, &d2));
    h.wait_sleeping(p.tid);
    let got = read_until(&c, cr, data.len());
    assert_eq!(t.join().unwrap(), 100_000);
    assert_eq!(got, data);
}

#[test]
fn blocked_writer_gets_epipe_when_the_last_reader_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cr = share(&p, r, &c);
    p.sys(SYS_close, &[r as u64]);
    write(&p, w, &vec![0u8; 65_536]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || write(&p2, w, b"more"));
    h.wait_sleeping(p.tid);
    c.sys(SYS_close, &[cr as u64]);
    assert_eq!(t.join().unwrap(), EPIPE);
    assert!(sigpipe_pending(&h, p.tid));
}

#[test]
fn writes_up_to_pipe_buf_are_not_interleaved_between_two_writers() {
    let h = Harness::new();
    let p = h.process(None);
    let a = h.process(None);
    let b = h.process(None);
    let (r, w) = pipe(&p, 0);
    let aw = share(&p, w, &a);
    let bw = share(&p, w, &b);
    // Leave 100 bytes of room: neither 4096-byte write may start.
    write(&p, w, &vec![b'.'; 65_536 - 100]);
    let (a2, b2) = (a.clone(), b.clone());
    let ta = std::thread::spawn(move || write(&a2, aw, &[b'a'; PIPE_BUF]));
    h.wait_sleeping(a.tid);
    let tb = std::thread::spawn(move || write(&b2, bw, &[b'b'; PIPE_BUF]));
    h.wait_sleeping(b.tid);
    let got = read_until(&p, r, 65_436 + 2 * PIPE_BUF);
    assert_eq!(ta.join().unwrap(), PIPE_BUF as i64);
    assert_eq!(tb.join().unwrap(), PIPE_BUF as i64);
    assert!(got[..65_436].iter().all(|&c| c == b'.'));
    let first = &got[65_436..65_436 + PIPE_BUF];
    let second = &got[65_436 + PIPE_BUF..];
    assert!(first.iter().all(|&c| c == first[0]), "first block interleaved");
    assert!(second.iter().all(|&c| c == second[0]), "second block interleaved");
    assert_ne!(first[0], second[0]);
}

#[test]
fn blocking_read_interrupted_with_sa_restart_is_restarted() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    set_handler(&h, p.pid, SA_RESTART);
    let b = p.alloc(8);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.call(SYS_read, &[r as u64, b as u64, 8]));
    h.wait_sleeping(p.tid);
    send_usr1(&h, p.tid);
    let ret = t.join().unwrap();
    assert!(matches!(ret.action, Action::Restart), "{:?}", ret.action);
    assert!(ret.signal_pending);
}

#[test]
fn blocking_read_interrupted_without_sa_restart_is_eintr() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    set_handler(&h, p.pid, 0);
    let b = p.alloc(8);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.call(SYS_read, &[r as u64, b as u64, 8]));
    h.wait_sleeping(p.tid);
    send_usr1(&h, p.tid);
    let ret = t.join().unwrap();
    assert!(matches!(ret.action, Action::Return));
    assert_eq!(ret.value, EINTR);
}

#[test]
fn blocking_write_interrupted_after_progress_returns_the_partial_count() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, 0);
    set_handler(&h, p.pid, SA_RESTART);
    let p2 = p.clone();
    let t = std::thread::spawn(move || write(&p2, w, &vec![1u8; 70_000]));
    h.wait_sleeping(p.tid);
    send_usr1(&h, p.tid);
    assert_eq!(t.join().unwrap(), 65_536);
}

// ---- identity ---------------------------------------------------------------

#[test]
fn pipe_fstat_is_a_fifo_owned_by_the_creator() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let mut mem = p.mem.clone();
    let (mr, mw) = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let fr = ctx.file(r).unwrap();
        let fw = ctx.file(w).unwrap();
        (fr.ops.metadata(ctx).unwrap(), fw.ops.metadata(ctx).unwrap())
    });
    assert_eq!(mr.mode & wasmpod_abi::fs::S_IFMT, wasmpod_abi::fs::S_IFIFO);
    assert_eq!(mr.ino, mw.ino);
    assert_eq!((mr.uid, mr.gid), (1000, 1000));
}

#[test]
fn each_pipe_describes_itself_with_its_own_inode_number() {
    let h = Harness::new();
    let p = h.process(None);
    pipe(&p, 0);
    pipe(&p, 0);
    let names: Vec<String> = h
        .kernel
        .with_state(|st| (0..4).map(|fd| st.procs.procs[&p.pid].files.get(fd).unwrap().ops.describe()).collect());
    assert!(names[0].starts_with("pipe:["));
    assert_eq!(names[0], names[1]);
    assert_eq!(names[2], names[3]);
    assert_ne!(names[0], names[2]);
}

// ---- FIFOs -------------------------------------------------------------------

struct FifoInode {
    ino: u64,
}

impl Inode for FifoInode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(Metadata {
            dev: 0x802,
            ino: self.ino,
            mode: wasmpod_abi::fs::S_IFIFO | 0o644,
            nlink: 1,
            ..Default::default()
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn fifo(ino: u64) -> Arc<dyn Inode> {
    Arc::new(FifoInode { ino })
}

/// Opens the FIFO as the VFS would: returns the fd or -errno, and the
/// whole syscall-like return for restart checks.
fn open_fifo_fd(p: &Proc, inode: &Arc<dyn Inode>, flags: u32) -> i64 {
    let mut mem = p.mem.clone();
    let inode = inode.clone();
    p.kernel.with_ctx(p.tid, &mut mem, |ctx| match open_fifo(ctx, inode, flags) {
        Ok(ops) => {
            let f = OpenFile::new(ops, flags);
            i64::from(ctx.process_mut().files.alloc(f, false, 0, 1024).unwrap())
        }
        Err(e) => -i64::from(e.errno().as_i32()),
    })
}

#[test]
fn fifo_open_read_write_never_blocks() {
    let h = Harness::new();
    let p = h.process(None);
    let f = fifo(1);
    let fd = open_fifo_fd(&p, &f, O_RDWR) as i32;
    assert_eq!(write(&p, fd, b"self"), 4);
    assert_eq!(read(&p, fd, 10).unwrap(), b"self");
}

#[test]
fn fifo_nonblocking_write_open_without_reader_is_enxio() {
    let h = Harness::new();
    let p = h.process(None);
    let f = fifo(2);
    assert_eq!(open_fifo_fd(&p, &f, O_WRONLY | O_NONBLOCK), ENXIO);
    let r = open_fifo_fd(&p, &f, O_RDONLY | O_NONBLOCK);
    assert!(r >= 0);
    assert!(open_fifo_fd(&p, &f, O_WRONLY | O_NONBLOCK) >= 0);
}

#[test]
fn fifo_nonblocking_read_open_succeeds_and_reads_eof_without_writers() {
    let h = Harness::new();
    let p = h.process(None);
    let f = fifo(3);
    let fd = open_fifo_fd(&p, &f, O_RDONLY | O_NONBLOCK) as i32;
    assert!(fd >= 0);
    assert_eq!(read(&p, fd, 10).unwrap(), b"");
}

#[test]
fn fifo_blocking_read_open_waits_for_a_writer() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let f = fifo(4);
    let (p2, f2) = (p.clone(), f.clone());
    let t = std::thread::spawn(move || open_fifo_fd(&p2, &f2, O_RDONLY));
    h.wait_sleeping(p.tid);
    let w = open_fifo_fd(&c, &f, O_WRONLY) as i32;
    assert!(w >= 0);
    let r = t.join().unwrap() as i32;
    assert!(r >= 0);
    write(&c, w, b"via fifo");
    assert_eq!(read(&p, r, 100).unwrap(), b"via fifo");
}

#[test]
fn fifo_blocking_write_open_waits_for_a_reader() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let f = fifo(5);
    let (p2, f2) = (p.clone(), f.clone());
    let t = std::thread::spawn(move || open_fifo_fd(&p2, &f2, O_WRONLY));
    h.wait_sleeping(p.tid);
    let r = open_fifo_fd(&c, &f, O_RDONLY | O_NONBLOCK) as i32;
    assert!(r >= 0);
    let w = t.join().unwrap() as i32;
    assert!(w >= 0);
    write(&p, w, b"x");
    assert_eq!(read(&c, r, 10).unwrap(), b"x");
}

#[test]
fn fifo_open_interrupted_by_a_handled_signal_is_eintr() {
    let h = Harness::new();
    let p = h.process(None);
    let f = fifo(6);
    set_handler(&h, p.pid, 0);
    let (p2, f2) = (p.clone(), f.clone());
    let t = std::thread::spawn(move || open_fifo_fd(&p2, &f2, O_RDONLY));
    h.wait_sleeping(p.tid);
    send_usr1(&h, p.tid);
    assert_eq!(t.join().unwrap(), EINTR);
    // The interrupted open left no reader behind.
    assert_eq!(open_fifo_fd(&p, &f, O_WRONLY | O_NONBLOCK), ENXIO);
}

#[test]
fn fifo_contents_are_discarded_when_every_end_closes() {
    let h = Harness::new();
    let p = h.process(None);
    let f = fifo(7);
    let fd = open_fifo_fd(&p, &f, O_RDWR) as i32;
    write(&p, fd, b"stale");
    p.sys(SYS_close, &[fd as u64]);
    let fd = open_fifo_fd(&p, &f, O_RDWR | O_NONBLOCK) as i32;
    assert_eq!(read(&p, fd, 10), Err(EAGAIN));
}

#[test]
fn different_fifo_inodes_are_different_pipes() {
    let h = Harness::new();
    let p = h.process(None);
    let a = open_fifo_fd(&p, &fifo(8), O_RDWR | O_NONBLOCK) as i32;
    let b = open_fifo_fd(&p, &fifo(9), O_RDWR | O_NONBLOCK) as i32;
    write(&p, a, b"a");
    assert_eq!(read(&p, b, 10), Err(EAGAIN));
    assert_eq!(read(&p, a, 10).unwrap(), b"a");
}

#[test]
fn fifo_fstat_is_the_inodes() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open_fifo_fd(&p, &fifo(10), O_RDWR);
    let md = h.kernel.with_ctx(p.tid, &mut p.mem.clone(), |ctx| {
        let f = ctx.file(fd as i32).unwrap();
        f.ops.metadata(ctx).unwrap()
    });
    assert_eq!((md.dev, md.ino), (0x802, 10));
}

// ---- host pipes ---------------------------------------------------------------

fn install_file(p: &Proc, f: Arc<OpenFile>) -> i32 {
    p.kernel.with_state(|st| st.procs.procs.get_mut(&p.pid).unwrap().files.alloc(f, false, 0, 1024)).unwrap()
}

#[test]
fn host_pipe_to_guest_delivers_data_then_eof_on_close() {
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::ToGuest);
    let fd = install_file(&p, file);
    assert!(host.write_all(b"line\n"));
    assert_eq!(read(&p, fd, 100).unwrap(), b"line\n");
    host.close();
    assert_eq!(read(&p, fd, 100).unwrap(), b"");
}

#[test]
fn host_read_blocks_on_a_host_thread_until_the_guest_writes() {
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::FromGuest);
    let fd = install_file(&p, file);
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let mut out = Vec::new();
        loop {
            let n = host.read(&mut buf);
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    });
    assert_eq!(write(&p, fd, b"hello "), 6);
    assert_eq!(write(&p, fd, b"host"), 4);
    p.sys(SYS_close, &[fd as u64]);
    assert_eq!(t.join().unwrap(), b"hello host");
}

#[test]
fn host_write_blocks_while_full_until_the_guest_reads() {
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::ToGuest);
    let fd = install_file(&p, file);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let d2 = data.clone();
    let t = std::thread::spawn(move || {
        let ok = host.write_all(&d2);
        host.close();
        ok
    });
    let got = read_until(&p, fd, usize::MAX);
    assert!(t.join().unwrap());
    assert_eq!(got, data);
}

#[test]
fn guest_write_after_host_reader_closes_is_epipe() {
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::FromGuest);
    let fd = install_file(&p, file);
    drop(host);
    assert_eq!(write(&p, fd, b"x"), EPIPE);
}

#[test]
fn host_write_after_guest_closes_returns_zero() {
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::ToGuest);
    let fd = install_file(&p, file);
    p.sys(SYS_close, &[fd as u64]);
    assert_eq!(host.write(b"x"), 0);
    assert!(!host.write_all(b"x"));
}

#[test]
fn host_close_from_another_thread_ends_a_blocked_host_read() {
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::FromGuest);
    let _fd = install_file(&p, file);
    let host = Arc::new(host);
    let h2 = host.clone();
    let t = std::thread::spawn(move || h2.read(&mut [0u8; 8]));
    host.close();
    assert_eq!(t.join().unwrap(), 0);
}

fn host_wakes(h: &Harness) -> u64 {
    h.platform.host_wakes.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn guest_output_and_close_on_a_host_pipe_wake_the_host() {
    // A host that polls from an event loop (the browser's control worker)
    // learns of new output and of EOF through Platform::wake_host.
    let h = Harness::new();
    let p = h.process(None);
    let (file, host) = h.kernel.host_pipe(HostPipeDir::FromGuest);
    let fd = install_file(&p, file);
    let before = host_wakes(&h);
    assert_eq!(write(&p, fd, b"out"), 3);
    let after_write = host_wakes(&h);
    assert!(after_write > before, "a write to a host pipe wakes the host");
    p.sys(SYS_close, &[fd as u64]);
    assert!(host_wakes(&h) > after_write, "closing the guest end wakes the host");
    let mut buf = [0u8; 8];
    assert_eq!(host.try_read(&mut buf), Some(3));
    assert_eq!(host.try_read(&mut buf), Some(0));
}

#[test]
fn a_call_that_changes_nothing_does_not_wake_the_host() {
    let h = Harness::new();
    let p = h.process(None);
    let before = host_wakes(&h);
    p.sys(SYS_getpid, &[]);
    assert_eq!(host_wakes(&h), before);
}

#[test]
fn mkfifo_then_open_through_the_vfs_gives_one_pipe() {
    let h = Harness::new();
    let p = h.process(None);
    let at = AT_FDCWD as u32 as u64;
    let path = p.cstr("/tmp/fifo");
    let mode = u64::from(wasmpod_abi::fs::S_IFIFO | 0o644);
    assert_eq!(p.sys(SYS_mknodat, &[at, path, mode, 0]), 0);
    assert_eq!(p.sys(SYS_openat, &[at, path, u64::from(O_WRONLY | O_NONBLOCK), 0]), ENXIO);
    let r = p.sys(SYS_openat, &[at, path, u64::from(O_RDONLY | O_NONBLOCK), 0]) as i32;
    let w = p.sys(SYS_openat, &[at, path, u64::from(O_WRONLY), 0]) as i32;
    assert!(r >= 0 && w >= 0);
    assert_eq!(write(&p, w, b"through the fs"), 14);
    assert_eq!(read(&p, r, 100).unwrap(), b"through the fs");
}

#[test]
fn host_try_read_and_try_write_never_block() {
    let h = Harness::new();
    let p = h.process(None);
    let (out_file, out) = h.kernel.host_pipe(HostPipeDir::FromGuest);
    let (in_file, inp) = h.kernel.host_pipe(HostPipeDir::ToGuest);
    let ofd = install_file(&p, out_file);
    let ifd = install_file(&p, in_file);
    let mut buf = [0u8; 8];
    assert_eq!(out.try_read(&mut buf), None);
    write(&p, ofd, b"hi");
    assert_eq!(out.try_read(&mut buf), Some(2));
    assert_eq!(&buf[..2], b"hi");
    assert_eq!(inp.try_write(&vec![0u8; 70_000]), Some(65_536));
    assert_eq!(inp.try_write(b"x"), None);
    read_until(&p, ifd, 65_536);
    assert_eq!(inp.try_write(b"x"), Some(1));
    p.sys(SYS_close, &[ofd as u64]);
    assert_eq!(out.try_read(&mut buf), Some(0));
}

// ---- vectored I/O on pipes (musl's stdio reads and writes with readv/writev) ----

fn iovecs(p: &Proc, parts: &[(u32, usize)]) -> u32 {
    let mut raw = Vec::new();
    for (base, len) in parts {
        raw.extend_from_slice(&base.to_le_bytes());
        raw.extend_from_slice(&(*len as u32).to_le_bytes());
    }
    p.bytes(&raw)
}

#[test]
fn readv_returns_what_is_there_without_blocking_on_the_next_iovec() {
    // musl's fread: iov[0] = the caller's buffer, iov[1] = the FILE buffer.
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"abcd");
    let (a, b) = (p.alloc(4), p.alloc(16));
    let iov = iovecs(&p, &[(a, 4), (b, 16)]);
    assert_eq!(p.sys(SYS_readv, &[r as u64, iov as u64, 2]), 4);
    assert_eq!(p.read(a, 4), b"abcd");
}

#[test]
fn readv_scatters_one_read_across_iovecs() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"hello world");
    let (a, b) = (p.alloc(5), p.alloc(16));
    let iov = iovecs(&p, &[(a, 5), (0, 0), (b, 16)]);
    assert_eq!(p.sys(SYS_readv, &[r as u64, iov as u64, 3]), 11);
    assert_eq!(p.read(a, 5), b"hello");
    assert_eq!(p.read(b, 6), b" world");
}

#[test]
fn writev_up_to_pipe_buf_is_atomic_across_iovecs() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_NONBLOCK);
    write(&p, w, &vec![0u8; 65_536 - 100]);
    let (a, b) = (p.bytes(&[1u8; 60]), p.bytes(&[2u8; 60]));
    let iov = iovecs(&p, &[(a, 60), (b, 60)]);
    // 120 bytes ≤ PIPE_BUF and only 100 free: all or nothing.
    assert_eq!(p.sys(SYS_writev, &[w as u64, iov as u64, 2]), EAGAIN);
    read_until(&p, r, 65_536 - 100);
    assert_eq!(p.sys(SYS_writev, &[w as u64, iov as u64, 2]), 120);
    let got = read(&p, r, 200).unwrap();
    assert_eq!(&got[..60], &[1u8; 60]);
    assert_eq!(&got[60..], &[2u8; 60]);
}

#[test]
fn writev_with_a_bad_iovec_is_efault_before_writing() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, O_NONBLOCK);
    let a = p.bytes(b"ok");
    let iov = iovecs(&p, &[(a, 2), (0xffff_fff0, 8)]);
    assert_eq!(p.sys(SYS_writev, &[w as u64, iov as u64, 2]), EFAULT);
    assert_eq!(read(&p, r, 10), Err(EAGAIN));
}

#[test]
fn a_read_larger_than_the_kernel_bounce_buffer_returns_a_full_pipe_without_blocking() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    assert_eq!(fcntl(&p, w, F_SETPIPE_SZ, 1 << 20), 1 << 20);
    assert_eq!(write(&p, w, &vec![5u8; 1 << 20]), 1 << 20);
    let b = p.alloc(2 << 20);
    assert_eq!(p.sys(SYS_read, &[r as u64, b as u64, 2 << 20]), 1 << 20);
}

#[test]
fn eof_comes_only_when_an_inheriting_child_exits_too() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    // The child inherits both ends (as after fork/spawn).
    let c = h.process(Some(&p));
    p.sys(SYS_close, &[w as u64]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || read(&p2, r, 10));
    h.wait_sleeping(p.tid);
    assert_eq!(write(&c, w, b"bye"), 3);
    assert_eq!(t.join().unwrap().unwrap(), b"bye");
    let p2 = p.clone();
    let t = std::thread::spawn(move || read(&p2, r, 10));
    h.wait_sleeping(p.tid);
    c.call(SYS_exit_group, &[0]);
    assert_eq!(t.join().unwrap().unwrap(), b"");
}

#[test]
fn many_writers_of_small_messages_never_interleave() {
    const WRITERS: usize = 4;
    const MSGS: usize = 300;
    const LEN: usize = 100;
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let mut threads = Vec::new();
    for id in 0..WRITERS {
        let c = h.process(None);
        let cw = share(&p, w, &c);
        threads.push(std::thread::spawn(move || {
            let buf = c.alloc(LEN);
            for seq in 0..MSGS {
                let mut msg = vec![id as u8; LEN];
                msg[1..3].copy_from_slice(&(seq as u16).to_le_bytes());
                c.write(buf, &msg);
                assert_eq!(c.sys(SYS_write, &[cw as u64, buf as u64, LEN as u64]), LEN as i64);
            }
            c.sys(SYS_close, &[cw as u64]);
        }));
    }
    p.sys(SYS_close, &[w as u64]);
    let all = read_until(&p, r, usize::MAX);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(all.len(), WRITERS * MSGS * LEN);
    let mut next = [0u16; WRITERS];
    for msg in all.chunks(LEN) {
        let id = msg[0] as usize;
        assert!(msg[3..].iter().all(|&b| b == msg[0]), "message torn");
        assert_eq!(u16::from_le_bytes([msg[1], msg[2]]), next[id], "writer {id} out of order");
        next[id] += 1;
    }
}

#[test]
fn sigpipe_with_the_default_action_ends_the_writer() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    p.sys(SYS_close, &[r as u64]);
    let b = p.bytes(b"x");
    let ret = p.call(SYS_write, &[w as u64, b as u64, 1]);
    assert_eq!(ret.value, EPIPE);
    assert!(ret.signal_pending);
    let mut mem = p.mem.clone();
    let d = h.kernel.deliver_signal(p.tid, &mut mem, 0x30_0000);
    assert_eq!(d, crate::signal::Delivery::ExitThread);
    let state = h.kernel.with_state(|st| st.procs.procs.get(&p.pid).map(|pr| pr.state));
    assert_eq!(state, Some(crate::process::ProcState::Zombie { status: SIGPIPE as i32 }));
}

#[test]
fn ignored_sigpipe_leaves_just_epipe() {
    let h = Harness::new();
    let p = h.process(None);
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).unwrap().signals.actions[SIGPIPE as usize].handler = wasmpod_abi::signal::SIG_IGN
    });
    let (r, w) = pipe(&p, 0);
    p.sys(SYS_close, &[r as u64]);
    let b = p.bytes(b"x");
    let ret = p.call(SYS_write, &[w as u64, b as u64, 1]);
    assert_eq!(ret.value, EPIPE);
    assert!(!ret.signal_pending);
    assert!(!sigpipe_pending(&h, p.tid));
}
