use wasmpod_abi::fcntl::*;
use wasmpod_abi::poll::*;
use wasmpod_abi::signal::SA_RESTART;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::time::timespec;

use crate::fs::testfile::{install, pipe, read, share, write, MemFile};
use crate::kernel::Action;
use crate::testing::{Harness, Proc};

const EINTR: i64 = -4;
const EBADF: i64 = -9;
const EFAULT: i64 = -14;
const EEXIST: i64 = -17;
const EINVAL: i64 = -22;
const ENOENT: i64 = -2;
const EPERM: i64 = -1;
const ELOOP: i64 = -40;

fn create(p: &Proc) -> i32 {
    let fd = p.sys(SYS_epoll_create1, &[0]);
    assert!(fd >= 0);
    fd as i32
}

fn ctl(p: &Proc, ep: i32, op: u32, fd: i32, events: u32, data: u64) -> i64 {
    let ev = p.put_struct(&epoll_event { events, data });
    p.sys(SYS_epoll_ctl, &[ep as u64, op as u64, fd as u64, ev as u64])
}

/// epoll_pwait with a ms timeout: `Ok(events)` or `Err(-errno)`.
fn wait(p: &Proc, ep: i32, max: i32, timeout: i32) -> Result<Vec<(u32, u64)>, i64> {
    let buf = p.alloc(16 * max.max(1) as usize);
    let n = p.sys(SYS_epoll_pwait, &[ep as u64, buf as u64, max as u32 as u64, timeout as u32 as u64, 0, 0]);
    if n < 0 {
        return Err(n);
    }
    Ok((0..n as u32).map(|i| p.read_struct::<epoll_event>(buf + 16 * i)).map(|e| (e.events, e.data)).collect())
}

#[test]
fn epoll_create1_rejects_unknown_flags_and_honours_cloexec() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_epoll_create1, &[1]), EINVAL);
    let fd = p.sys(SYS_epoll_create1, &[EPOLL_CLOEXEC as u64]);
    assert_eq!(p.sys(SYS_fcntl, &[fd as u64, F_GETFD as u64]), FD_CLOEXEC as i64);
}

#[test]
fn epoll_reports_a_readable_pipe_with_its_data() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 0xdead_beef_0000_0001), 0);
    assert_eq!(wait(&p, ep, 8, 0).unwrap(), vec![]);
    write(&p, w, b"x");
    assert_eq!(wait(&p, ep, 8, 0).unwrap(), vec![(EPOLLIN, 0xdead_beef_0000_0001)]);
}

#[test]
fn epoll_ctl_add_twice_is_eexist_and_unwatched_mod_del_are_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 0), 0);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 0), EEXIST);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_MOD, w, EPOLLOUT, 0), ENOENT);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_DEL, w, 0, 0), ENOENT);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_DEL, r, 0, 0), 0);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_DEL, r, 0, 0), ENOENT);
}

#[test]
fn epoll_ctl_del_accepts_a_null_event() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 0);
    assert_eq!(p.sys(SYS_epoll_ctl, &[ep as u64, EPOLL_CTL_DEL as u64, r as u64, 0]), 0);
}

#[test]
fn epoll_ctl_rejects_self_non_epoll_and_unknown_ops() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
    assert_eq!(ctl(&p, r, EPOLL_CTL_ADD, w, EPOLLIN, 0), EINVAL);
    assert_eq!(ctl(&p, ep, 99, r, EPOLLIN, 0), EINVAL);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, 55, EPOLLIN, 0), EBADF);
    assert_eq!(ctl(&p, 56, EPOLL_CTL_ADD, r, EPOLLIN, 0), EBADF);
}

#[test]
fn epoll_ctl_on_a_regular_file_is_eperm() {
    let h = Harness::new();
    let p = h.process(None);
    let f = install(&p, MemFile::new(b"x"), O_RDONLY);
    let ep = create(&p);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, f, EPOLLIN, 0), EPERM);
}

#[test]
fn epoll_wait_rejects_bad_maxevents_fds_and_buffers() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = create(&p);
    let (r, _w) = pipe(&p, 0);
    assert_eq!(wait(&p, ep, 0, 0), Err(EINVAL));
    assert_eq!(wait(&p, ep, -1, 0), Err(EINVAL));
    assert_eq!(wait(&p, r, 1, 0), Err(EINVAL));
    assert_eq!(wait(&p, 77, 1, 0), Err(EBADF));
    assert_eq!(p.sys(SYS_epoll_pwait, &[ep as u64, 0xffff_fff0, 4, 0, 0, 0]), EFAULT);
}

#[test]
fn level_triggered_reports_until_drained() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 1);
    write(&p, w, b"abc");
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 1);
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 1);
    read(&p, r, 10).unwrap();
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 0);
}

#[test]
fn edge_triggered_reports_once_per_new_event() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLET, 1);
    write(&p, w, b"abc");
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLIN, 1)]);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![]);
    // More data is a new event even though the pipe was never drained.
    write(&p, w, b"d");
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLIN, 1)]);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![]);
}

#[test]
fn edge_triggered_sees_data_that_arrives_after_a_drain_between_waits() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLET, 1);
    write(&p, w, b"a");
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 1);
    read(&p, r, 10).unwrap();
    write(&p, w, b"b");
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 1);
}

#[test]
fn edge_triggered_reading_part_of_the_data_is_not_a_new_input_event() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLET, 1);
    write(&p, w, b"abc");
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 1);
    read(&p, r, 1).unwrap();
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 0);
}

#[test]
fn edge_triggered_eventfd_reports_each_write() {
    let h = Harness::new();
    let p = h.process(None);
    let efd = p.sys(SYS_eventfd2, &[0, 0]) as i32;
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, 5);
    let one = p.bytes(&1u64.to_le_bytes());
    p.sys(SYS_write, &[efd as u64, one as u64, 8]);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLIN, 5)]);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![]);
    p.sys(SYS_write, &[efd as u64, one as u64, 8]);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLIN, 5)]);
}

#[test]
fn oneshot_reports_once_until_rearmed_with_mod() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLONESHOT, 3);
    write(&p, w, b"x");
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 1);
    write(&p, w, b"y");
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 0);
    // Still watched: ADD says EEXIST, MOD re-arms.
    assert_eq!(ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 3), EEXIST);
    assert_eq!(ctl(&p, ep, EPOLL_CTL_MOD, r, EPOLLIN | EPOLLONESHOT, 4), 0);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLIN, 4)]);
}

#[test]
fn epoll_ctl_mod_changes_the_events_watched() {
    let h = Harness::new();
    let p = h.process(None);
    let (_r, w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, w, EPOLLIN, 1);
    assert_eq!(wait(&p, ep, 4, 0).unwrap().len(), 0);
    ctl(&p, ep, EPOLL_CTL_MOD, w, EPOLLOUT, 2);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLOUT, 2)]);
}

#[test]
fn epoll_reports_hangup_and_error_without_asking() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let (r2, w2) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, 0, 1);
    ctl(&p, ep, EPOLL_CTL_ADD, w2, 0, 2);
    p.sys(SYS_close, &[w as u64]);
    p.sys(SYS_close, &[r2 as u64]);
    let mut got = wait(&p, ep, 4, 0).unwrap();
    got.sort_by_key(|e| e.1);
    assert_eq!(got, vec![(EPOLLHUP, 1), (EPOLLERR, 2)]);
}

#[test]
fn small_maxevents_gives_every_ready_item_a_turn() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = create(&p);
    for i in 0..3u64 {
        let (r, w) = pipe(&p, 0);
        write(&p, w, b"x");
        ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, i);
    }
    let mut seen: Vec<u64> = (0..3).map(|_| wait(&p, ep, 1, 0).unwrap()[0].1).collect();
    seen.sort();
    assert_eq!(seen, vec![0, 1, 2]);
}

#[test]
fn closing_the_last_fd_of_a_watched_description_removes_it() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    write(&p, w, b"x");
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 1);
    let d = p.sys(SYS_dup, &[r as u64]);
    p.sys(SYS_close, &[r as u64]);
    // A dup keeps the description (and the watch) alive: epoll(7) Q6.
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![(EPOLLIN, 1)]);
    p.sys(SYS_close, &[d as u64]);
    assert_eq!(wait(&p, ep, 4, 0).unwrap(), vec![]);
}

#[test]
fn epoll_wait_blocks_until_a_watched_fd_is_ready() {
    let h = Harness::new();
    let p = h.process(None);
    let c = h.process(None);
    let (r, w) = pipe(&p, 0);
    let cw = share(&p, w, &c);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 7);
    let p2 = p.clone();
    let t = std::thread::spawn(move || wait(&p2, ep, 4, -1));
    h.wait_sleeping(p.tid);
    write(&c, cw, b"x");
    assert_eq!(t.join().unwrap().unwrap(), vec![(EPOLLIN, 7)]);
}

#[test]
fn epoll_wait_times_out_in_milliseconds_on_the_fake_clock() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, _w) = pipe(&p, 0);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, r, EPOLLIN, 7);
    let p2 = p.clone();
    let t = std::thread::spawn(move || wait(&p2, ep, 4, 1500));
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    h.wait_sleeping(p.tid);
    h.advance_ns(500_000_000);
    assert_eq!(t.join().unwrap().unwrap(), vec![]);
}

#[test]
fn epoll_pwait2_takes_a_timespec_timeout() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = create(&p);
    let buf = p.alloc(16);
    let zero = p.put_struct(&timespec::default());
    assert_eq!(p.sys(SYS_epoll_pwait2, &[ep as u64, buf as u64, 1, zero as u64, 0, 0]), 0);
    let bad = p.put_struct(&timespec { tv_sec: 0, tv_nsec: -5 });
    assert_eq!(p.sys(SYS_epoll_pwait2, &[ep as u64, buf as u64, 1, bad as u64, 0, 0]), EINVAL);
    let one = p.put_struct(&timespec { tv_sec: 1, tv_nsec: 0 });
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.sys(SYS_epoll_pwait2, &[ep as u64, buf as u64, 1, one as u64, 0, 0]));
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    assert_eq!(t.join().unwrap(), 0);
}

#[test]
fn epoll_wait_is_never_restarted_after_a_handler() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = create(&p);
    h.kernel.with_state(|st| {
        st.procs.procs.get_mut(&p.pid).unwrap().signals.actions[10] =
            crate::signal::SigAction { handler: 0x1234, flags: SA_RESTART, ..Default::default() }
    });
    let buf = p.alloc(16);
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.call(SYS_epoll_pwait, &[ep as u64, buf as u64, 1, u32::MAX as u64, 0, 0]));
    h.wait_sleeping(p.tid);
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(10));
        st.notify();
    });
    let ret = t.join().unwrap();
    assert!(matches!(ret.action, Action::Return));
    assert_eq!(ret.value, EINTR);
}

#[test]
fn an_epoll_fd_is_pollable_and_nestable() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p, 0);
    let inner = create(&p);
    let outer = create(&p);
    ctl(&p, inner, EPOLL_CTL_ADD, r, EPOLLIN, 1);
    assert_eq!(ctl(&p, outer, EPOLL_CTL_ADD, inner, EPOLLIN, 2), 0);
    assert_eq!(wait(&p, outer, 4, 0).unwrap(), vec![]);
    write(&p, w, b"x");
    assert_eq!(wait(&p, outer, 4, 0).unwrap(), vec![(EPOLLIN, 2)]);
    let pfd = p.put_struct(&pollfd { fd: inner, events: POLLIN, revents: 0 });
    assert_eq!(p.sys(SYS_ppoll, &[pfd as u64, 1, p.put_struct(&timespec::default()) as u64, 0, 0]), 1);
}

#[test]
fn epoll_watch_cycles_are_eloop() {
    let h = Harness::new();
    let p = h.process(None);
    let a = create(&p);
    let b = create(&p);
    assert_eq!(ctl(&p, a, EPOLL_CTL_ADD, b, EPOLLIN, 0), 0);
    assert_eq!(ctl(&p, b, EPOLL_CTL_ADD, a, EPOLLIN, 0), ELOOP);
}

#[test]
fn epoll_fd_describes_itself_as_eventpoll() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = create(&p);
    let d = h.kernel.with_state(|st| st.procs.procs[&p.pid].files.get(ep).unwrap().ops.describe());
    assert_eq!(d, "anon_inode:[eventpoll]");
}

#[test]
fn epoll_wait_is_woken_by_an_eventfd_write_from_another_process() {
    let h = Harness::new();
    let p = h.process(None);
    let efd = p.sys(SYS_eventfd2, &[0, 0]) as i32;
    let c = h.process(None);
    let cfd = share(&p, efd, &c);
    let ep = create(&p);
    ctl(&p, ep, EPOLL_CTL_ADD, efd, EPOLLIN, 9);
    let p2 = p.clone();
    let t = std::thread::spawn(move || wait(&p2, ep, 4, -1));
    h.wait_sleeping(p.tid);
    let one = c.bytes(&3u64.to_le_bytes());
    assert_eq!(c.sys(SYS_write, &[cfd as u64, one as u64, 8]), 8);
    assert_eq!(t.join().unwrap().unwrap(), vec![(EPOLLIN, 9)]);
}

#[test]
fn epoll_pwait_sigmask_applies_during_the_wait_only() {
    let h = Harness::new();
    let p = h.process(None);
    let ep = create(&p);
    let buf = p.alloc(16);
    let block = p.bytes(&(1u64 << 9).to_le_bytes());
    let p2 = p.clone();
    let t = std::thread::spawn(move || p2.sys(SYS_epoll_pwait, &[ep as u64, buf as u64, 1, 1000, block as u64, 8]));
    h.wait_sleeping(p.tid);
    // SIGUSR1 is blocked by the temporary mask: it does not interrupt.
    h.kernel.with_state(|st| {
        crate::signal::send_to_thread(st, p.tid, crate::signal::SigInfo::kernel(10));
        st.notify();
    });
    h.wait_sleeping(p.tid);
    h.advance_ns(1_000_000_000);
    assert_eq!(t.join().unwrap(), 0);
    let (mask, saved) = h.kernel.with_state(|st| {
        let t = &st.procs.threads[&p.tid].signals;
        (t.mask, t.saved_mask)
    });
    assert_eq!((mask, saved), (0, None));
}
