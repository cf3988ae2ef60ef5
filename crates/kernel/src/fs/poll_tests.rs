use wasmpod_abi::fcntl::*;
use wasmpod_abi::poll::*;
use wasmpod_abi::signal::{sigbit, SA_RESTART, SIGUSR1};
use wasmpod_abi::syscalls::*;
use wasmpod_abi::time::timespec;

use crate::fs::testfile::{pipe, share, write};
use crate::kernel::Action;
use crate::testing::{Harness, Proc};

const EINTR: i64 = -4;
const EFAULT: i64 = -14;
const EINVAL: i64 = -22;

fn pfds(p: &Proc, list: &[(i32, u16)]) -> u32 {
    let a = p.alloc(list.len() * 8);
    for (i, (fd, ev)) in list.iter().enumerate() {
        let v = pollfd { fd: *fd, events: *ev, revents: 0xffff };
        p.write(a + 8 * i as u32, &wasmpod_abi::AbiStruct::to_vec(&v));
    }
    a
}

fn revents(p: &Proc, a: u32, i: usize) -> u16 {
    p.read_struct::<pollfd>(a + 8 * i as u32).revents
}

fn ts(p: &Proc, sec: i64, nsec: i32) -> u32 {
    p.put_struct(&timespec { tv_sec: sec, tv_nsec: nsec })
}

fn ppoll(p: &Proc, a: u32, n: usize, tmo: u32) -> i64 {
    p.sys(SYS_ppoll, &[a as u64, n as u64, tmo as u64, 0, 0])
}

#[test]
fn ppoll_reports_a_readable_pipe() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    let a = pfds(&p, &[(r, POLLIN), (w, POLLOUT)]);
    assert_eq!(ppoll(&p, a, 2, ts(&p, 0, 0)), 2);
    assert_eq!(revents(&p, a, 0), POLLIN);
    assert_eq!(revents(&p, a, 1), POLLOUT);
}

#[test]
fn ppoll_zero_timeout_returns_zero_and_clears_revents() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let a = pfds(&p, &[(r, POLLIN)]);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, 0)), 0);
    assert_eq!(revents(&p, a, 0), 0);
}

#[test]
fn ppoll_ignores_negative_fds() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, 0);
    let a = pfds(&p, &[(-1, POLLIN), (w, POLLOUT)]);
    assert_eq!(ppoll(&p, a, 2, ts(&p, 0, 0)), 1);
    assert_eq!(revents(&p, a, 0), 0);
}

#[test]
fn ppoll_reports_pollnval_for_closed_fds() {
    let h = Harness::new();
    let p = h.process(None);
    let a = pfds(&p, &[(9, POLLIN)]);
    assert_eq!(ppoll(&p, a, 1, 0), 1);
    assert_eq!(revents(&p, a, 0), POLLNVAL);
}

#[test]
fn ppoll_reports_pollhup_without_asking_once_writers_are_gone() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    p.sys(SYS_close, &[w as u64]);
    let a = pfds(&p, &[(r, POLLIN)]);
    assert_eq!(ppoll(&p, a, 1, 0), 1);
    assert_eq!(revents(&p, a, 0), POLLIN | POLLHUP);
    let a = pfds(&p, &[(r, 0)]);
    assert_eq!(ppoll(&p, a, 1, 0), 1);
    assert_eq!(revents(&p, a, 0), POLLHUP);
}

#[test]
fn ppoll_reports_pollerr_on_a_write_end_without_readers() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    p.sys(SYS_close, &[r as u64]);
    let a = pfds(&p, &[(w, POLLOUT)]);
    assert_eq!(ppoll(&p, a, 1, 0), 1);
    assert_eq!(revents(&p, a, 0), POLLOUT | POLLERR);
}

#[test]
fn ppoll_write_end_is_not_writable_with_less_than_pipe_buf_free() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, &vec![0u8; 65_536 - 100]);
    let a = pfds(&p, &[(w, POLLOUT)]);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, 0)), 0);
    crate::fs::testfile::read_until(&p, r, 10_000);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, 0)), 1);
}

#[test]
fn ppoll_times_out_when_the_fake_clock_passes_the_deadline() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let a = pfds(&p, &[(r, POLLIN)]);
    let t0 = ts(&p, 2, 0);
    let p2 = p.clone();
    let t = std::thread::spawn(move || ppoll(&p2, a, 1, t0));
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    assert_eq!(t.join().unwrap(), 0);
    assert_eq!(p.read_struct::<timespec>(t0), timespec { tv_sec: 0, tv_nsec: 0 });
}

#[test]
fn ppoll_wakes_for_a_write_and_writes_back_the_time_left() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cw = share(&p, w, &c);
    let a = pfds(&p, &[(r, POLLIN)]);
    let t0 = ts(&p, 5, 0);
    let p2 = p.clone();
    let t = std::thread::spawn(move || ppoll(&p2, a, 1, t0));
    h.wait_sleeping(p.tid);
    h.advance_ns(2_000_000_000);
    h.wait_sleeping(p.tid);
    write(&c, cw, b"x");
    assert_eq!(t.join().unwrap(), 1);
    assert_eq!(revents(&p, a, 0), POLLIN);
    assert_eq!(p.read_struct::<timespec>(t0), timespec { tv_sec: 3, tv_nsec: 0 });
}

#[test]
fn ppoll_with_null_timeout_waits_for_an_event() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cw = share(&p, w, &c);
    let a = pfds(&p, &[(r, POLLIN)]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || ppoll(&p2, a, 1, 0));
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000_000);
    h.wait_sleeping(p.tid);
    c.sys(SYS_close, &[cw as u64]);
    p.sys(SYS_close, &[w as u64]);
    assert_eq!(t.join().unwrap(), 1);
    assert_eq!(revents(&p, a, 0), POLLHUP);
}

#[test]
fn ppoll_rejects_invalid_timespecs() {
    let h = Harness::new();
    let p = h.process(None);
    let a = pfds(&p, &[(-1, 0)]);
    assert_eq!(ppoll(&p, a, 1, ts(&p, -1, 0)), EINVAL);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, 1_000_000_000)), EINVAL);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, -1)), EINVAL);
}

#[test]
fn ppoll_nfds_above_rlimit_nofile_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let a = p.alloc(8 * 1025);
    assert_eq!(ppoll(&p, a, 1025, 0), EINVAL);
}

#[test]
fn ppoll_bad_array_is_efault() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(ppoll(&p, 0xffff_fff0, 4, 0), EFAULT);
}

#[test]
fn ppoll_interrupted_by_a_handler_is_eintr_even_with_sa_restart() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).unwrap().signals.actions[SIGUSR1 as usize] =
            crate::signal::SigAction { handler: 0x1234, flags: SA_RESTART, ..Default::default() }
    });
    let a = pfds(&p, &[(r, POLLIN)]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.call(SYS_ppoll, &[a as u64, 1, 0, 0, 0]));
    h.wait_sleeping(p.tid);
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.notify();
    });
    let ret = t.join().unwrap();
    assert!(matches!(ret.action, Action::Return));
    assert_eq!(ret.value, EINTR);
}

#[test]
fn ppoll_interrupted_by_a_signal_without_handler_restarts() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let a = pfds(&p, &[(r, POLLIN)]);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.call(SYS_ppoll, &[a as u64, 1, 0, 0, 0]));
    h.wait_sleeping(p.tid);
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.notify();
    });
    assert!(matches!(t.join().unwrap().action, Action::Restart));
}

#[test]
fn ppoll_sigmask_unblocks_a_pending_signal_for_the_wait_only() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    h.kernel.with_state(|st| {
        st.procs.threads.get_mut(&p.tid).unwrap().signals.mask = sigbit(SIGUSR1);
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.procs.procs.get_mut(&p.pid).unwrap().signals.actions[SIGUSR1 as usize].handler = 0x1234;
    });
    let a = pfds(&p, &[(r, POLLIN)]);
    let empty = p.bytes(&0u64.to_le_bytes());
    let ret = p.call(SYS_ppoll, &[a as u64, 1, 0, empty as u64, 8]);
    assert!(matches!(ret.action, Action::Return));
    assert_eq!(ret.value, EINTR);
    assert!(ret.signal_pending, "the temporary mask stays until delivery");
    let saved = h.kernel.with_state(|st| st.procs.threads[&p.tid].signals.saved_mask);
    assert_eq!(saved, Some(sigbit(SIGUSR1)));
    // Delivery runs the handler and hands the caller's mask to its frame.
    let mut mem = p.mem.clone();
    let d = h.kernel.deliver_signal(p.tid, &mut mem, 0x30_0000);
    assert!(matches!(d, crate::signal::Delivery::Handler(_)), "{d:?}");
    assert_eq!(h.kernel.with_state(|st| st.procs.threads[&p.tid].signals.saved_mask), None);
}

#[test]
fn ppoll_sigmask_blocks_a_signal_during_the_wait() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let a = pfds(&p, &[(r, POLLIN)]);
    let block = p.bytes(&sigbit(SIGUSR1).to_le_bytes());
    let t0 = ts(&p, 1, 0);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.sys(SYS_ppoll, &[a as u64, 1, t0 as u64, block as u64, 8]));
    h.wait_sleeping(p.tid);
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(SIGUSR1));
        st.notify();
    });
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn ppoll_sigsetsize_other_than_8_is_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let a = pfds(&p, &[(-1, 0)]);
    let m = p.alloc(16);
    assert_eq!(p.sys(SYS_ppoll, &[a as u64, 1, 0, m as u64, 16]), EINVAL);
}

#[test]
fn fifo_opened_nonblocking_for_read_reports_no_hangup_before_any_writer() {
    let h = Harness::new();
    let p = h.process(None);
    struct F;
    impl crate::fs::Inode for F {
        fn metadata(&self, _: &mut crate::Ctx) -> crate::Result<crate::fs::Metadata> {
            Ok(crate::fs::Metadata { dev: 9, ino: 9, mode: wasmpod_abi::fs::S_IFIFO, ..Default::default() })
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
    let inode: std::sync::Arc<dyn crate::fs::Inode> = std::sync::Arc::new(F);
    let open = |flags: u32| {
        let mut mem = p.mem.clone();
        let inode = inode.clone();
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
            let ops = crate::fs::pipe::open_fifo(ctx, inode, flags).unwrap();
            ctx.process_mut().files.alloc(crate::fs::OpenFile::new(ops, flags), false, 0, 1024).unwrap()
        })
    };
    let r = open(O_RDONLY | O_NONBLOCK);
    let a = pfds(&p, &[(r, POLLIN)]);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, 0)), 0);
    let w = open(O_WRONLY | O_NONBLOCK);
    p.sys(SYS_close, &[w as u64]);
    assert_eq!(ppoll(&p, a, 1, ts(&p, 0, 0)), 1);
    assert_eq!(revents(&p, a, 0), POLLHUP);
}

#[test]
fn ppoll_puts_the_callers_mask_back_when_it_returns_normally() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    h.kernel.with_state(|st| st.procs.threads.get_mut(&p.tid).unwrap().signals.mask = sigbit(SIGUSR1));
    let a = pfds(&p, &[(r, POLLIN)]);
    let other = p.bytes(&sigbit(12).to_le_bytes());
    assert_eq!(p.sys(SYS_ppoll, &[a as u64, 1, 0, other as u64, 8]), 1);
    let (mask, saved) = h.kernel.with_state(|st| {
        let t = &st.procs.threads[&p.tid].signals;
        (t.mask, t.saved_mask)
    });
    assert_eq!((mask, saved), (sigbit(SIGUSR1), None));
}

#[test]
fn ppoll_timeout_puts_the_callers_mask_back() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let a = pfds(&p, &[(r, POLLIN)]);
    let all = p.bytes(&u64::MAX.to_le_bytes());
    assert_eq!(p.sys(SYS_ppoll, &[a as u64, 1, ts(&p, 0, 0) as u64, all as u64, 8]), 0);
    assert_eq!(h.kernel.with_state(|st| st.procs.threads[&p.tid].signals.mask), 0);
}
