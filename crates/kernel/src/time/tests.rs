//! Behaviour tests for clocks, sleeps, interval timers and timerfd. Time
//! moves only with `h.advance_ns`.

use wasmpod_abi::fcntl::O_NONBLOCK;
use wasmpod_abi::signal::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::time::*;
use wasmpod_abi::wait::w_termsig;
use wasmpod_abi::Errno;

use crate::kernel::Action;
use crate::platform::Platform;
use crate::process::Credentials;
use crate::signal::tests::*;
use crate::signal::Delivery;
use crate::testing::{Harness, Proc, FAKE_EPOCH_NS};

const SEC: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;

fn gettime(p: &Proc, clk: u32) -> u64 {
    let ts = p.alloc(16);
    assert_eq!(p.sys(SYS_clock_gettime, &[clk.into(), ts.into()]), 0);
    p.read_struct::<timespec>(ts).as_nanos()
}

fn ts(p: &Proc, ns: u64) -> u64 {
    u64::from(p.put_struct(&timespec::from_nanos(ns)))
}

// ---- clocks -------------------------------------------------------------------

#[test]
fn monotonic_clock_moves_with_the_platform_clock() {
    let h = Harness::new();
    let p = h.process(None);
    let a = gettime(&p, CLOCK_MONOTONIC);
    h.advance_ns(1_500 * MS);
    assert_eq!(gettime(&p, CLOCK_MONOTONIC) - a, 1_500 * MS);
}

#[test]
fn realtime_clock_reads_the_wall_clock() {
    let h = Harness::new();
    let p = h.process(None);
    let now = h.platform.now(crate::ClockKind::Realtime);
    assert_eq!(gettime(&p, CLOCK_REALTIME), now);
    assert!(gettime(&p, CLOCK_REALTIME) > FAKE_EPOCH_NS);
    assert_eq!(gettime(&p, CLOCK_TAI), now);
}

#[test]
fn boottime_and_raw_follow_monotonic() {
    let h = Harness::new();
    let p = h.process(None);
    let m = gettime(&p, CLOCK_MONOTONIC);
    assert_eq!(gettime(&p, CLOCK_BOOTTIME), m);
    assert_eq!(gettime(&p, CLOCK_MONOTONIC_RAW), m);
}

#[test]
fn coarse_clocks_step_in_4ms() {
    let h = Harness::new();
    let p = h.process(None);
    h.advance_ns(5 * MS + 123);
    let c = gettime(&p, CLOCK_MONOTONIC_COARSE);
    let m = gettime(&p, CLOCK_MONOTONIC);
    assert_eq!(c % (4 * MS), 0);
    assert!(c <= m && m - c < 4 * MS);
    assert_eq!(gettime(&p, CLOCK_REALTIME_COARSE) % (4 * MS), 0);
}

#[test]
fn cpu_time_clocks_count_from_process_start() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(gettime(&p, CLOCK_PROCESS_CPUTIME_ID), 0);
    h.advance_ns(3 * MS);
    assert_eq!(gettime(&p, CLOCK_PROCESS_CPUTIME_ID), 3 * MS);
    assert_eq!(gettime(&p, CLOCK_THREAD_CPUTIME_ID), 3 * MS);
}

#[test]
fn unknown_clocks_are_einval() {
    let h = Harness::new();
    let p = h.process(None);
    let t = p.alloc(16);
    for clk in [10u64, 12, 100, u64::from(u32::MAX)] {
        assert_eq!(p.sys(SYS_clock_gettime, &[clk, t.into()]), err(Errno::EINVAL), "clock {clk}");
        assert_eq!(p.sys(SYS_clock_getres, &[clk, t.into()]), err(Errno::EINVAL), "clock {clk}");
    }
}

#[test]
fn clock_gettime_bad_pointer_is_efault() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_clock_gettime, &[CLOCK_MONOTONIC.into(), 0xffff_fff8]), err(Errno::EFAULT));
}

#[test]
fn time64_alias_reaches_clock_gettime() {
    let h = Harness::new();
    let p = h.process(None);
    let t = p.alloc(16);
    assert_eq!(p.sys(SYS_clock_gettime64, &[CLOCK_MONOTONIC.into(), t.into()]), 0);
    assert_eq!(p.read_struct::<timespec>(t).as_nanos(), h.platform.now(crate::ClockKind::Monotonic));
}

#[test]
fn clock_getres_is_1ns_for_hires_and_4ms_for_coarse_clocks() {
    let h = Harness::new();
    let p = h.process(None);
    let r = p.alloc(16);
    for (clk, want) in [(CLOCK_REALTIME, 1), (CLOCK_MONOTONIC, 1), (CLOCK_MONOTONIC_COARSE, 4 * MS)] {
        assert_eq!(p.sys(SYS_clock_getres, &[clk.into(), r.into()]), 0);
        assert_eq!(p.read_struct::<timespec>(r).as_nanos(), want, "clock {clk}");
    }
    assert_eq!(p.sys(SYS_clock_getres, &[CLOCK_MONOTONIC.into(), 0]), 0, "NULL res is allowed");
}

#[test]
fn clock_settime_needs_root() {
    let h = Harness::new();
    let p = h.process(None);
    let t = ts(&p, 5 * SEC);
    assert_eq!(p.sys(SYS_clock_settime, &[CLOCK_REALTIME.into(), t]), err(Errno::EPERM));
}

#[test]
fn clock_settime_by_root_moves_realtime_but_not_monotonic() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    let m = gettime(&p, CLOCK_MONOTONIC);
    let t = ts(&p, 1_000 * SEC);
    assert_eq!(p.sys(SYS_clock_settime, &[CLOCK_REALTIME.into(), t]), 0);
    assert_eq!(gettime(&p, CLOCK_REALTIME), 1_000 * SEC);
    assert_eq!(gettime(&p, CLOCK_MONOTONIC), m);
    h.advance_ns(SEC);
    assert_eq!(gettime(&p, CLOCK_REALTIME), 1_001 * SEC);
    // Everyone sees the new wall clock.
    let q = h.process(None);
    assert_eq!(gettime(&q, CLOCK_REALTIME), 1_001 * SEC);
}

#[test]
fn clock_settime_of_monotonic_or_bad_timespec_is_einval() {
    let h = Harness::new();
    let p = h.process_as(None, Credentials::root());
    let t = ts(&p, SEC);
    assert_eq!(p.sys(SYS_clock_settime, &[CLOCK_MONOTONIC.into(), t]), err(Errno::EINVAL));
    let bad = p.put_struct(&timespec { tv_sec: 1, tv_nsec: -1 });
    assert_eq!(p.sys(SYS_clock_settime, &[CLOCK_REALTIME.into(), bad.into()]), err(Errno::EINVAL));
}

#[test]
fn gettimeofday_gives_microseconds_and_utc() {
    let h = Harness::new();
    let p = h.process(None);
    h.advance_ns(1_234_567);
    let tv = p.alloc(16);
    let tz = p.bytes(&[0xff; 8]);
    assert_eq!(p.sys(SYS_gettimeofday, &[tv.into(), tz.into()]), 0);
    let now = h.platform.now(crate::ClockKind::Realtime);
    let got: timeval = p.read_struct(tv);
    assert_eq!((got.tv_sec as u64, got.tv_usec as u64), (now / SEC, (now % SEC) / 1000));
    assert_eq!(p.read(tz, 8), [0; 8]);
    assert_eq!(p.sys(SYS_gettimeofday, &[0, 0]), 0);
}

#[test]
fn settimeofday_is_eperm_for_users_and_einval_for_bad_usec() {
    let h = Harness::new();
    let p = h.process(None);
    let tv = p.put_struct(&timeval { tv_sec: 10, tv_usec: 0 });
    assert_eq!(p.sys(SYS_settimeofday, &[tv.into(), 0]), err(Errno::EPERM));
    let bad = p.put_struct(&timeval { tv_sec: 10, tv_usec: 1_000_000 });
    assert_eq!(p.sys(SYS_settimeofday, &[bad.into(), 0]), err(Errno::EINVAL));
    let root = h.process_as(None, Credentials::root());
    let tv = root.put_struct(&timeval { tv_sec: 10, tv_usec: 5 });
    assert_eq!(root.sys(SYS_settimeofday, &[tv.into(), 0]), 0);
    assert_eq!(gettime(&root, CLOCK_REALTIME), 10 * SEC + 5_000);
}

// ---- nanosleep / clock_nanosleep ----------------------------------------------------

#[test]
fn nanosleep_blocks_until_the_clock_reaches_the_deadline() {
    let h = Harness::new();
    let p = h.process(None);
    let t = p.clone();
    let rx = spawn(move || {
        let req = ts(&t, 2 * SEC);
        t.sys(SYS_nanosleep, &[req, 0])
    });
    h.wait_sleeping(p.tid);
    h.advance_ns(SEC);
    h.wait_sleeping(p.tid);
    h.advance_ns(SEC);
    assert_eq!(recv(rx), 0);
}

#[test]
fn nanosleep_zero_returns_at_once() {
    let h = Harness::new();
    let p = h.process(None);
    let req = ts(&p, 0);
    assert_eq!(p.sys(SYS_nanosleep, &[req, 0]), 0);
}

#[test]
fn nanosleep_rejects_invalid_timespecs() {
    let h = Harness::new();
    let p = h.process(None);
    for bad in [timespec { tv_sec: 0, tv_nsec: 1_000_000_000 }, timespec { tv_sec: -1, tv_nsec: 0 }] {
        let req = p.put_struct(&bad);
        assert_eq!(p.sys(SYS_nanosleep, &[req.into(), 0]), err(Errno::EINVAL));
    }
    assert_eq!(p.sys(SYS_nanosleep, &[0xffff_fff8, 0]), err(Errno::EFAULT));
}

#[test]
fn nanosleep_interrupted_by_a_handler_is_eintr_with_rem_even_with_sa_restart() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_RESTART, 0);
    let rem = p.alloc(16);
    let t = p.clone();
    let rx = spawn(move || {
        let req = ts(&t, 10 * SEC);
        t.call(SYS_nanosleep, &[req, rem.into()])
    });
    h.wait_sleeping(p.tid);
    h.advance_ns(3 * SEC);
    h.wait_sleeping(p.tid);
    let q = h.process(None);
    kill(&q, p.pid, SIGUSR1);
    let r = recv(rx);
    assert_eq!(r.value, err(Errno::EINTR));
    assert!(matches!(r.action, Action::Return));
    assert_eq!(p.read_struct::<timespec>(rem).as_nanos(), 7 * SEC);
}

#[test]
fn nanosleep_stopped_and_continued_sleeps_only_the_rest() {
    let h = Harness::new();
    let parent = h.process(None);
    let child = h.process(Some(&parent));
    h.kernel.with_state(|st| st.procs.procs.get_mut(&child.pid).unwrap().pgid = child.pid);
    let c = child.clone();
    let rx = spawn(move || {
        let req = ts(&c, 10 * SEC);
        host_call(&c, SYS_nanosleep, &[req, 0], stack(&c))
    });
    h.wait_sleeping(child.tid);
    h.advance_ns(4 * SEC);
    kill(&parent, child.pid, SIGSTOP);
    while !job(&h, child.pid).stopped {
        std::thread::yield_now();
    }
    h.advance_ns(2 * SEC);
    kill(&parent, child.pid, SIGCONT);
    // 6 of 10 seconds have passed; 4 more end the restarted sleep (a
    // fresh 10 s sleep would hang this test).
    h.advance_ns(4 * SEC);
    let (v, frames) = recv(rx);
    assert_eq!(v, 0);
    assert!(frames.is_empty());
}

#[test]
fn sleeping_thread_is_woken_by_advance_not_by_other_calls() {
    let h = Harness::new();
    let p = h.process(None);
    let t = p.clone();
    let rx = spawn(move || {
        let req = ts(&t, SEC);
        t.sys(SYS_nanosleep, &[req, 0])
    });
    h.wait_sleeping(p.tid);
    // Another process's calls wake sleepers to re-check; the sleeper
    // goes back to sleep.
    let q = h.process(None);
    let m = q.bytes(&0u64.to_le_bytes());
    q.sys(SYS_rt_sigprocmask, &[SIG_BLOCK.into(), m.into(), 0, 8]);
    h.wait_sleeping(p.tid);
    assert!(rx.try_recv().is_err(), "the sleep is not over");
    h.advance_ns(SEC);
    assert_eq!(recv(rx), 0);
}

fn clock_nanosleep(p: &Proc, clk: u32, flags: u32, ns: u64, rem: u32) -> i64 {
    let req = ts(p, ns);
    p.sys(SYS_clock_nanosleep, &[clk.into(), flags.into(), req, rem.into()])
}

#[test]
fn clock_nanosleep_abstime_monotonic_wakes_at_that_time() {
    let h = Harness::new();
    let p = h.process(None);
    let target = gettime(&p, CLOCK_MONOTONIC) + 3 * SEC;
    let t = p.clone();
    let rx = spawn(move || clock_nanosleep(&t, CLOCK_MONOTONIC, TIMER_ABSTIME, target, 0));
    h.wait_sleeping(p.tid);
    h.advance_ns(3 * SEC);
    assert_eq!(recv(rx), 0);
}

#[test]
fn clock_nanosleep_abstime_in_the_past_returns_at_once() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(clock_nanosleep(&p, CLOCK_MONOTONIC, TIMER_ABSTIME, 5, 0), 0);
    assert_eq!(clock_nanosleep(&p, CLOCK_REALTIME, TIMER_ABSTIME, FAKE_EPOCH_NS, 0), 0);
}

#[test]
fn clock_nanosleep_abstime_realtime() {
    let h = Harness::new();
    let p = h.process(None);
    let target = gettime(&p, CLOCK_REALTIME) + 2 * SEC;
    let t = p.clone();
    let rx = spawn(move || clock_nanosleep(&t, CLOCK_REALTIME, TIMER_ABSTIME, target, 0));
    h.wait_sleeping(p.tid);
    h.advance_ns(2 * SEC);
    assert_eq!(recv(rx), 0);
}

#[test]
fn clock_nanosleep_relative_interrupted_writes_rem() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR2, HANDLER, 0, 0);
    let rem = p.alloc(16);
    let t = p.clone();
    let rx = spawn(move || clock_nanosleep(&t, CLOCK_MONOTONIC, 0, 5 * SEC, rem));
    h.wait_sleeping(p.tid);
    h.advance_ns(SEC);
    h.wait_sleeping(p.tid);
    kill(&h.process(None), p.pid, SIGUSR2);
    assert_eq!(recv(rx), err(Errno::EINTR));
    assert_eq!(p.read_struct::<timespec>(rem).as_nanos(), 4 * SEC);
}

#[test]
fn clock_nanosleep_abstime_interrupted_leaves_rem_alone() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR2, HANDLER, 0, 0);
    let rem = p.bytes(&[0xaa; 16]);
    let target = gettime(&p, CLOCK_MONOTONIC) + 5 * SEC;
    let t = p.clone();
    let rx = spawn(move || clock_nanosleep(&t, CLOCK_MONOTONIC, TIMER_ABSTIME, target, rem));
    h.wait_sleeping(p.tid);
    kill(&h.process(None), p.pid, SIGUSR2);
    assert_eq!(recv(rx), err(Errno::EINTR));
    assert_eq!(p.read(rem, 16), [0xaa; 16]);
}

#[test]
fn clock_nanosleep_rejects_clocks_it_cannot_sleep_on() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(clock_nanosleep(&p, CLOCK_THREAD_CPUTIME_ID, 0, 1, 0), err(Errno::EINVAL));
    assert_eq!(clock_nanosleep(&p, 99, 0, 1, 0), err(Errno::EINVAL));
    assert_eq!(clock_nanosleep(&p, CLOCK_MONOTONIC_RAW, 0, 1, 0), err(Errno::EOPNOTSUPP));
    assert_eq!(clock_nanosleep(&p, CLOCK_REALTIME_ALARM, 0, 1, 0), err(Errno::EPERM));
    let bad = p.put_struct(&timespec { tv_sec: 0, tv_nsec: -5 });
    assert_eq!(p.sys(SYS_clock_nanosleep, &[CLOCK_MONOTONIC.into(), 0, bad.into(), 0]), err(Errno::EINVAL));
}

// ---- interval timers ----------------------------------------------------------------

fn setitimer(p: &Proc, which: u32, value_us: u64, interval_us: u64) -> itimerval {
    let new = p.put_struct(&itimerval {
        it_interval_sec: (interval_us / 1_000_000) as i64,
        it_interval_usec: (interval_us % 1_000_000) as i64,
        it_value_sec: (value_us / 1_000_000) as i64,
        it_value_usec: (value_us % 1_000_000) as i64,
    });
    let old = p.alloc(32);
    assert_eq!(p.sys(SYS_setitimer, &[which.into(), new.into(), old.into()]), 0);
    p.read_struct(old)
}

fn getitimer(p: &Proc, which: u32) -> itimerval {
    let cur = p.alloc(32);
    assert_eq!(p.sys(SYS_getitimer, &[which.into(), cur.into()]), 0);
    p.read_struct(cur)
}

#[test]
fn itimer_real_sends_sigalrm_after_the_time_passes() {
    let h = Harness::new();
    let p = h.process(None);
    setitimer(&p, ITIMER_REAL, 2_000_000, 0);
    h.advance_ns(SEC);
    assert!(!p.call(SYS_getpid, &[]).signal_pending);
    h.advance_ns(SEC);
    let r = p.call(SYS_getpid, &[]);
    assert!(r.signal_pending);
    // SIGALRM's default action terminates.
    assert_eq!(deliver(&p, stack(&p)), Delivery::ExitThread);
    assert_eq!(exit_status(&h, p.pid), Some(w_termsig(SIGALRM, false)));
}

#[test]
fn itimer_real_siginfo_comes_from_the_kernel() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGALRM, HANDLER, SA_SIGINFO, 0);
    setitimer(&p, ITIMER_REAL, 1000, 0);
    h.advance_ns(MS);
    p.sys(SYS_getpid, &[]);
    let Delivery::Handler(f) = deliver(&p, stack(&p)) else { panic!("no handler frame") };
    let si: siginfo_t = p.read_struct(f.siginfo);
    assert_eq!((si.si_signo, si.si_code), (SIGALRM as i32, SI_KERNEL));
}

#[test]
fn itimer_real_with_interval_fires_again() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGALRM, HANDLER, SA_NODEFER, 0);
    setitimer(&p, ITIMER_REAL, 1_000_000, 500_000);
    for _ in 0..3 {
        h.advance_ns(SEC);
        assert!(p.call(SYS_getpid, &[]).signal_pending);
        assert!(matches!(deliver(&p, stack(&p)), Delivery::Handler(_)));
        assert_eq!(deliver(&p, stack(&p)), Delivery::None, "missed expirations coalesce");
        h.advance_ns(1);
    }
    let cur = getitimer(&p, ITIMER_REAL);
    assert_eq!((cur.it_interval_sec, cur.it_interval_usec), (0, 500_000));
    assert!(cur.it_value_usec > 0 || cur.it_value_sec > 0);
}

#[test]
fn getitimer_reports_the_time_left() {
    let h = Harness::new();
    let p = h.process(None);
    setitimer(&p, ITIMER_REAL, 5_000_000, 0);
    h.advance_ns(1_500 * MS);
    let cur = getitimer(&p, ITIMER_REAL);
    assert_eq!((cur.it_value_sec, cur.it_value_usec), (3, 500_000));
}

#[test]
fn setitimer_returns_the_old_setting_like_alarm() {
    let h = Harness::new();
    let p = h.process(None);
    let old = setitimer(&p, ITIMER_REAL, 10_000_000, 0);
    assert_eq!(old, itimerval::default());
    h.advance_ns(4 * SEC);
    let old = setitimer(&p, ITIMER_REAL, 0, 0);
    assert_eq!((old.it_value_sec, old.it_value_usec), (6, 0));
    // Disarmed: no SIGALRM.
    h.advance_ns(20 * SEC);
    assert!(!p.call(SYS_getpid, &[]).signal_pending);
    assert_eq!(getitimer(&p, ITIMER_REAL).it_value_sec, 0);
}

#[test]
fn setitimer_rejects_bad_which_and_bad_timeval() {
    let h = Harness::new();
    let p = h.process(None);
    let v = p.put_struct(&itimerval { it_value_usec: 1_000_000, ..Default::default() });
    assert_eq!(p.sys(SYS_setitimer, &[ITIMER_REAL.into(), v.into(), 0]), err(Errno::EINVAL));
    let v = p.put_struct(&itimerval { it_value_sec: 1, ..Default::default() });
    assert_eq!(p.sys(SYS_setitimer, &[3, v.into(), 0]), err(Errno::EINVAL));
    let cur = p.alloc(32);
    assert_eq!(p.sys(SYS_getitimer, &[7, cur.into()]), err(Errno::EINVAL));
}

#[test]
fn itimer_virtual_is_stored_but_never_fires() {
    let h = Harness::new();
    let p = h.process(None);
    setitimer(&p, ITIMER_VIRTUAL, 1000, 1000);
    setitimer(&p, ITIMER_PROF, 2000, 0);
    h.advance_ns(10 * SEC);
    assert!(!p.call(SYS_getpid, &[]).signal_pending);
    assert_eq!(getitimer(&p, ITIMER_VIRTUAL).it_value_usec, 1000);
    assert_eq!(getitimer(&p, ITIMER_PROF).it_value_usec, 2000);
}

#[test]
fn itimers_are_not_inherited_by_children() {
    let h = Harness::new();
    let p = h.process(None);
    setitimer(&p, ITIMER_REAL, 5_000_000, 0);
    let c = h.process(Some(&p));
    assert_eq!(getitimer(&c, ITIMER_REAL), itimerval::default());
    h.advance_ns(5 * SEC);
    assert!(!c.call(SYS_getpid, &[]).signal_pending);
    assert!(p.call(SYS_getpid, &[]).signal_pending);
}

#[test]
fn alarm_interrupts_a_sleep() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGALRM, HANDLER, 0, 0);
    setitimer(&p, ITIMER_REAL, 1_000_000, 0);
    let rem = p.alloc(16);
    let t = p.clone();
    let rx = spawn(move || {
        let req = ts(&t, 10 * SEC);
        t.sys(SYS_nanosleep, &[req, rem.into()])
    });
    h.wait_sleeping(p.tid);
    h.advance_ns(SEC);
    assert_eq!(recv(rx), err(Errno::EINTR));
    assert_eq!(p.read_struct::<timespec>(rem).as_nanos(), 9 * SEC);
}

#[test]
fn armed_timer_sets_the_next_kernel_deadline() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(h.kernel.with_state(|st| st.time.next_deadline()), None);
    let now = h.platform.now(crate::ClockKind::Monotonic);
    setitimer(&p, ITIMER_REAL, 2_000_000, 0);
    assert_eq!(h.kernel.with_state(|st| st.time.next_deadline()), Some(now + 2 * SEC));
    setitimer(&p, ITIMER_REAL, 0, 0);
    assert_eq!(h.kernel.with_state(|st| st.time.next_deadline()), None, "re-arming drops the old entry");
}

#[test]
fn periodic_next_skips_missed_periods() {
    assert_eq!(super::periodic_next(100, 10, 100), (110, 1));
    assert_eq!(super::periodic_next(100, 10, 135), (140, 4));
}

// ---- timerfd -----------------------------------------------------------------------

fn timerfd(p: &Proc, clk: u32, flags: u32) -> i64 {
    p.sys(SYS_timerfd_create, &[clk.into(), flags.into()])
}

fn tfd_set(p: &Proc, fd: i64, flags: u32, value: u64, interval: u64) -> itimerspec {
    let v = timespec::from_nanos(value);
    let i = timespec::from_nanos(interval);
    let new = p.put_struct(&itimerspec {
        it_interval_sec: i.tv_sec,
        it_interval_nsec: i.tv_nsec,
        it_value_sec: v.tv_sec,
        it_value_nsec: v.tv_nsec,
    });
    let old = p.alloc(32);
    assert_eq!(p.sys(SYS_timerfd_settime, &[fd as u64, flags.into(), new.into(), old.into()]), 0);
    p.read_struct(old)
}

fn tfd_read(p: &Proc, fd: i64) -> (i64, u64) {
    let buf = p.alloc(8);
    let n = p.sys(SYS_read, &[fd as u64, buf.into(), 8]);
    (n, p.read_u64(buf))
}

#[test]
fn timerfd_counts_expirations_of_a_periodic_timer() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    assert!(fd >= 0);
    tfd_set(&p, fd, 0, SEC, SEC);
    h.advance_ns(3 * SEC + 500 * MS);
    assert_eq!(tfd_read(&p, fd), (8, 3));
    h.advance_ns(SEC);
    assert_eq!(tfd_read(&p, fd), (8, 1));
}

#[test]
fn timerfd_nonblocking_read_before_expiry_is_eagain() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    assert_eq!(tfd_read(&p, fd).0, err(Errno::EAGAIN));
    tfd_set(&p, fd, 0, SEC, 0);
    assert_eq!(tfd_read(&p, fd).0, err(Errno::EAGAIN));
}

#[test]
fn timerfd_read_needs_8_bytes() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    let buf = p.alloc(8);
    assert_eq!(p.sys(SYS_read, &[fd as u64, buf.into(), 4]), err(Errno::EINVAL));
}

#[test]
fn timerfd_blocking_read_waits_for_the_expiry() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0);
    tfd_set(&p, fd, 0, 2 * SEC, 0);
    let t = p.clone();
    let rx = spawn(move || tfd_read(&t, fd));
    h.wait_sleeping(p.tid);
    h.advance_ns(2 * SEC);
    assert_eq!(recv(rx), (8, 1));
}

#[test]
fn timerfd_one_shot_fires_once() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    tfd_set(&p, fd, 0, SEC, 0);
    h.advance_ns(5 * SEC);
    assert_eq!(tfd_read(&p, fd), (8, 1));
    assert_eq!(tfd_read(&p, fd).0, err(Errno::EAGAIN));
}

#[test]
fn timerfd_abstime_on_realtime_clock() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_REALTIME, TFD_NONBLOCK);
    let at = gettime(&p, CLOCK_REALTIME) + 2 * SEC;
    tfd_set(&p, fd, TFD_TIMER_ABSTIME, at, 0);
    h.advance_ns(SEC);
    assert_eq!(tfd_read(&p, fd).0, err(Errno::EAGAIN));
    h.advance_ns(SEC);
    assert_eq!(tfd_read(&p, fd), (8, 1));
}

#[test]
fn timerfd_abstime_in_the_past_expires_at_once() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    tfd_set(&p, fd, TFD_TIMER_ABSTIME, 1, 0);
    assert_eq!(tfd_read(&p, fd), (8, 1));
}

#[test]
fn timerfd_gettime_shows_time_left_and_interval() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0);
    tfd_set(&p, fd, 0, 3 * SEC, 250 * MS);
    h.advance_ns(SEC);
    let cur = p.alloc(32);
    assert_eq!(p.sys(SYS_timerfd_gettime, &[fd as u64, cur.into()]), 0);
    let v: itimerspec = p.read_struct(cur);
    assert_eq!((v.it_value_sec, v.it_value_nsec), (2, 0));
    assert_eq!((v.it_interval_sec, v.it_interval_nsec), (0, 250_000_000));
}

#[test]
fn timerfd_settime_returns_the_old_setting_and_zero_disarms() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    assert_eq!(tfd_set(&p, fd, 0, 4 * SEC, SEC), itimerspec::default());
    h.advance_ns(SEC);
    let old = tfd_set(&p, fd, 0, 0, 0);
    assert_eq!((old.it_value_sec, old.it_interval_sec), (3, 1));
    h.advance_ns(10 * SEC);
    assert_eq!(tfd_read(&p, fd).0, err(Errno::EAGAIN));
}

#[test]
fn timerfd_rearming_drops_unread_expirations() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK);
    tfd_set(&p, fd, 0, SEC, 0);
    h.advance_ns(2 * SEC);
    tfd_set(&p, fd, 0, SEC, 0);
    assert_eq!(tfd_read(&p, fd).0, err(Errno::EAGAIN));
}

#[test]
fn timerfd_create_rejects_bad_clock_and_flags() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(timerfd(&p, CLOCK_PROCESS_CPUTIME_ID, 0), err(Errno::EINVAL));
    assert_eq!(timerfd(&p, 77, 0), err(Errno::EINVAL));
    assert_eq!(timerfd(&p, CLOCK_MONOTONIC, 1), err(Errno::EINVAL));
    assert_eq!(timerfd(&p, CLOCK_BOOTTIME_ALARM, 0), err(Errno::EPERM));
    assert!(timerfd(&p, CLOCK_BOOTTIME, 0) >= 0);
}

#[test]
fn timerfd_flags_set_cloexec_and_nonblock() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) as i32;
    let plain = timerfd(&p, CLOCK_MONOTONIC, 0) as i32;
    h.kernel.with_state(|st| {
        let files = &st.procs.procs[&p.pid].files;
        let e = files.entry(fd).unwrap();
        assert!(e.cloexec && e.file.flags() & O_NONBLOCK != 0);
        let e = files.entry(plain).unwrap();
        assert!(!e.cloexec && e.file.flags() & O_NONBLOCK == 0);
    });
}

#[test]
fn timerfd_settime_checks_fd_flags_and_values() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0);
    let new = p.put_struct(&itimerspec { it_value_sec: 1, ..Default::default() });
    assert_eq!(p.sys(SYS_timerfd_settime, &[77, 0, new.into(), 0]), err(Errno::EBADF));
    assert_eq!(p.sys(SYS_timerfd_settime, &[fd as u64, 4, new.into(), 0]), err(Errno::EINVAL));
    let bad = p.put_struct(&itimerspec { it_value_nsec: 1_000_000_000, ..Default::default() });
    assert_eq!(p.sys(SYS_timerfd_settime, &[fd as u64, 0, bad.into(), 0]), err(Errno::EINVAL));
    let bad = p.put_struct(&itimerspec { it_value_sec: 1, it_interval_sec: -1, ..Default::default() });
    assert_eq!(p.sys(SYS_timerfd_settime, &[fd as u64, 0, bad.into(), 0]), err(Errno::EINVAL));
    let cur = p.alloc(32);
    assert_eq!(p.sys(SYS_timerfd_gettime, &[77, cur.into()]), err(Errno::EBADF));
}

#[test]
fn timerfd_polls_readable_once_expired() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, TFD_NONBLOCK) as i32;
    tfd_set(&p, fd.into(), 0, SEC, 0);
    let poll = || {
        let mut mem = p.mem.clone();
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
            let f = ctx.file(fd).unwrap();
            f.ops.poll(ctx, &f)
        })
    };
    assert_eq!(poll(), 0);
    h.advance_ns(SEC);
    assert_eq!(poll(), wasmpod_abi::poll::POLLIN);
    tfd_read(&p, fd.into());
    assert_eq!(poll(), 0);
}

#[test]
fn timerfd_expiry_wakes_a_sleeper_through_the_timer_queue() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0);
    tfd_set(&p, fd, 0, SEC, SEC);
    let now = h.platform.now(crate::ClockKind::Monotonic);
    assert_eq!(h.kernel.with_state(|st| st.time.next_deadline()), Some(now + SEC));
    h.advance_ns(SEC);
    p.sys(SYS_getpid, &[]);
    assert_eq!(h.kernel.with_state(|st| st.time.next_deadline()), Some(now + 2 * SEC), "periodic re-queue");
    p.sys(SYS_close, &[fd as u64]);
    h.advance_ns(SEC);
    p.sys(SYS_getpid, &[]);
    assert_eq!(h.kernel.with_state(|st| st.time.next_deadline()), None, "a closed timerfd leaves the queue");
}

#[test]
fn timerfd_read_interrupted_by_a_handler_is_eintr_without_sa_restart() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0);
    let t = p.clone();
    let rx = spawn(move || {
        let buf = t.alloc(8);
        t.call(SYS_read, &[fd as u64, buf.into(), 8])
    });
    h.wait_sleeping(p.tid);
    kill(&h.process(None), p.pid, SIGUSR1);
    let r = recv(rx);
    assert_eq!(r.value, err(Errno::EINTR));
    assert!(matches!(r.action, Action::Return));
}

#[test]
fn timerfd_read_restarts_after_a_sa_restart_handler() {
    let h = Harness::new();
    let p = h.process(None);
    sigaction(&p, SIGUSR1, HANDLER, SA_RESTART, 0);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0);
    let t = p.clone();
    let rx = spawn(move || {
        let buf = t.alloc(8);
        t.call(SYS_read, &[fd as u64, buf.into(), 8])
    });
    h.wait_sleeping(p.tid);
    kill(&h.process(None), p.pid, SIGUSR1);
    let r = recv(rx);
    assert!(matches!(r.action, Action::Restart));
    assert!(r.signal_pending);
}

#[test]
fn timerfd_fstat_reports_an_anonymous_inode() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = timerfd(&p, CLOCK_MONOTONIC, 0) as i32;
    let mut mem = p.mem.clone();
    let (md, name) = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let f = ctx.file(fd).unwrap();
        (f.ops.metadata(ctx).unwrap(), f.ops.describe())
    });
    assert_eq!(md.mode, 0o600);
    assert_eq!(name, "anon_inode:[timerfd]");
}

#[test]
fn exit_hook_drops_the_process_timers() {
    let h = Harness::new();
    let p = h.process(None);
    setitimer(&p, ITIMER_REAL, 5_000_000, 0);
    h.kernel.with_state(|st| super::on_exit(st, p.pid));
    assert_eq!(h.kernel.with_state(|st| st.time.queued()), 0);
    assert_eq!(getitimer(&p, ITIMER_REAL), itimerval::default());
}

#[test]
fn timer_of_an_exited_process_sends_nothing() {
    let h = Harness::new();
    let p = h.process(None);
    let q = h.process(None);
    setitimer(&p, ITIMER_REAL, 1_000_000, 1_000_000);
    kill(&q, p.pid, SIGKILL);
    deliver(&p, stack(&p));
    h.advance_ns(SEC);
    q.sys(SYS_getpid, &[]);
    assert_eq!(pending(&h, &p), (0, 0));
    assert_eq!(h.kernel.with_state(|st| st.time.queued()), 0, "the periodic timer is not re-armed");
}

// ---- POSIX timers ------------------------------------------------------------------

fn timer_create(p: &Proc, clk: u32, ev: Option<sigevent>) -> i64 {
    let sevp = ev.map_or(0, |e| p.put_struct(&e));
    let idp = p.alloc(4);
    let r = p.sys(SYS_timer_create, &[clk.into(), sevp.into(), idp.into()]);
    if r < 0 {
        r
    } else {
        i64::from(p.read_i32(idp))
    }
}

fn timer_set(p: &Proc, id: i64, flags: u32, value: u64, interval: u64) -> itimerspec {
    let (v, i) = (timespec::from_nanos(value), timespec::from_nanos(interval));
    let new = p.put_struct(&itimerspec {
        it_interval_sec: i.tv_sec,
        it_interval_nsec: i.tv_nsec,
        it_value_sec: v.tv_sec,
        it_value_nsec: v.tv_nsec,
    });
    let old = p.alloc(32);
    assert_eq!(p.sys(SYS_timer_settime, &[id as u64, flags.into(), new.into(), old.into()]), 0);
    p.read_struct(old)
}

fn sig_ev(notify: i32, signo: u32, value: i32, tid: i32) -> sigevent {
    sigevent { sigev_value: value, sigev_signo: signo as i32, sigev_notify: notify, sigev_notify_thread_id: tid }
}

#[test]
fn timer_create_default_sends_sigalrm_with_the_timer_id() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(timer_create(&p, CLOCK_MONOTONIC, None), 0);
    assert_eq!(timer_create(&p, CLOCK_MONOTONIC, None), 1);
    sigaction(&p, SIGALRM, HANDLER, SA_SIGINFO, 0);
    timer_set(&p, 1, 0, SEC, 0);
    h.advance_ns(SEC);
    assert!(p.call(SYS_getpid, &[]).signal_pending);
    let Delivery::Handler(f) = deliver(&p, stack(&p)) else { panic!("no handler frame") };
    let si: siginfo_t = p.read_struct(f.siginfo);
    assert_eq!((si.si_signo, si.si_code, si.si_pid, si.si_value()), (SIGALRM as i32, SI_TIMER, 1, 1));
}

#[test]
fn timer_with_sigev_signal_uses_its_signal_and_value() {
    let h = Harness::new();
    let p = h.process(None);
    let id = timer_create(&p, CLOCK_REALTIME, Some(sig_ev(SIGEV_SIGNAL, SIGRTMIN + 1, 99, 0)));
    procmask(&p, SIG_BLOCK, bit_of(SIGRTMIN + 1));
    timer_set(&p, id, 0, 10 * MS, 0);
    h.advance_ns(10 * MS);
    let info = p.alloc(128);
    let s = p.bytes(&bit_of(SIGRTMIN + 1).to_le_bytes());
    let z = ts(&p, 0);
    assert_eq!(p.sys(SYS_rt_sigtimedwait, &[s.into(), info.into(), z, 8]), i64::from(SIGRTMIN + 1));
    assert_eq!(p.read_struct::<siginfo_t>(info).si_value(), 99);
}

fn bit_of(s: u32) -> u64 {
    sigbit(s)
}

#[test]
fn timer_with_sigev_none_only_counts_down() {
    let h = Harness::new();
    let p = h.process(None);
    let id = timer_create(&p, CLOCK_MONOTONIC, Some(sig_ev(SIGEV_NONE, 0, 0, 0)));
    timer_set(&p, id, 0, 3 * SEC, SEC);
    h.advance_ns(4 * SEC + 500 * MS);
    assert!(!p.call(SYS_getpid, &[]).signal_pending);
    let cur = p.alloc(32);
    assert_eq!(p.sys(SYS_timer_gettime, &[id as u64, cur.into()]), 0);
    let v: itimerspec = p.read_struct(cur);
    assert_eq!((v.it_value_sec, v.it_value_nsec, v.it_interval_sec), (0, 500_000_000, 1));
}

#[test]
fn timer_with_sigev_thread_id_signals_that_thread() {
    let h = Harness::new();
    let p = h.process(None);
    let t2 = add_thread(&h, &p);
    sigaction(&p, SIGUSR1, HANDLER, 0, 0);
    let id = timer_create(&p, CLOCK_MONOTONIC, Some(sig_ev(SIGEV_THREAD_ID, SIGUSR1, 0, t2.tid)));
    timer_set(&p, id, 0, SEC, 0);
    h.advance_ns(SEC);
    assert!(!p.call(SYS_getpid, &[]).signal_pending);
    assert!(matches!(deliver(&t2, stack(&t2)), Delivery::Handler(_)));
    let other = h.process(None);
    assert_eq!(
        timer_create(&p, CLOCK_MONOTONIC, Some(sig_ev(SIGEV_THREAD_ID, SIGUSR1, 0, other.tid))),
        err(Errno::EINVAL)
    );
}

#[test]
fn timer_create_rejects_bad_clock_signal_and_notify() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(timer_create(&p, CLOCK_PROCESS_CPUTIME_ID, None), err(Errno::EINVAL));
    assert_eq!(timer_create(&p, 42, None), err(Errno::EINVAL));
    assert_eq!(timer_create(&p, CLOCK_REALTIME_ALARM, None), err(Errno::EPERM));
    assert_eq!(timer_create(&p, CLOCK_MONOTONIC, Some(sig_ev(SIGEV_SIGNAL, 65, 0, 0))), err(Errno::EINVAL));
    assert_eq!(timer_create(&p, CLOCK_MONOTONIC, Some(sig_ev(SIGEV_SIGNAL, 0, 0, 0))), err(Errno::EINVAL));
    assert_eq!(timer_create(&p, CLOCK_MONOTONIC, Some(sig_ev(SIGEV_THREAD, SIGUSR1, 0, 0))), err(Errno::EINVAL));
}

#[test]
fn periodic_timer_counts_overruns_while_its_signal_is_pending() {
    let h = Harness::new();
    let p = h.process(None);
    procmask(&p, SIG_BLOCK, bit_of(SIGALRM));
    let id = timer_create(&p, CLOCK_MONOTONIC, None);
    timer_set(&p, id, 0, SEC, SEC);
    h.advance_ns(SEC);
    p.sys(SYS_getpid, &[]);
    h.advance_ns(3 * SEC);
    p.sys(SYS_getpid, &[]);
    // One queued signal; three more expirations counted as overruns.
    let (shared, _) = pending(&h, &p);
    assert_eq!(shared, bit_of(SIGALRM));
    let info = p.alloc(128);
    let s = p.bytes(&bit_of(SIGALRM).to_le_bytes());
    let z = ts(&p, 0);
    assert_eq!(p.sys(SYS_rt_sigtimedwait, &[s.into(), info.into(), z, 8]), i64::from(SIGALRM));
    assert_eq!(p.sys(SYS_rt_sigtimedwait, &[s.into(), info.into(), z, 8]), err(Errno::EAGAIN));
    h.advance_ns(SEC);
    p.sys(SYS_getpid, &[]);
    assert_eq!(p.sys(SYS_timer_getoverrun, &[id as u64]), 3);
    let si: siginfo_t = p.read_struct(info);
    assert_eq!(si.si_code, SI_TIMER);
}

#[test]
fn timer_abstime_and_old_value() {
    let h = Harness::new();
    let p = h.process(None);
    let id = timer_create(&p, CLOCK_REALTIME, Some(sig_ev(SIGEV_NONE, 0, 0, 0)));
    let at = gettime(&p, CLOCK_REALTIME) + 5 * SEC;
    assert_eq!(timer_set(&p, id, TIMER_ABSTIME, at, 0), itimerspec::default());
    h.advance_ns(2 * SEC);
    let old = timer_set(&p, id, 0, 0, 0);
    assert_eq!((old.it_value_sec, old.it_value_nsec), (3, 0));
}

#[test]
fn deleted_timer_sends_nothing_and_its_id_is_invalid() {
    let h = Harness::new();
    let p = h.process(None);
    let id = timer_create(&p, CLOCK_MONOTONIC, None);
    timer_set(&p, id, 0, SEC, 0);
    assert_eq!(p.sys(SYS_timer_delete, &[id as u64]), 0);
    h.advance_ns(2 * SEC);
    assert!(!p.call(SYS_getpid, &[]).signal_pending);
    let cur = p.alloc(32);
    assert_eq!(p.sys(SYS_timer_gettime, &[id as u64, cur.into()]), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_timer_delete, &[id as u64]), err(Errno::EINVAL));
    assert_eq!(p.sys(SYS_timer_getoverrun, &[7]), err(Errno::EINVAL));
    assert_eq!(timer_create(&p, CLOCK_MONOTONIC, None), 0, "ids are reused");
}

#[test]
fn timer_settime_rejects_null_and_invalid_values() {
    let h = Harness::new();
    let p = h.process(None);
    let id = timer_create(&p, CLOCK_MONOTONIC, None);
    assert_eq!(p.sys(SYS_timer_settime, &[id as u64, 0, 0, 0]), err(Errno::EINVAL));
    let bad = p.put_struct(&itimerspec { it_value_nsec: -1, ..Default::default() });
    assert_eq!(p.sys(SYS_timer_settime, &[id as u64, 0, bad.into(), 0]), err(Errno::EINVAL));
}

#[test]
fn posix_timers_belong_to_their_process() {
    let h = Harness::new();
    let p = h.process(None);
    let id = timer_create(&p, CLOCK_MONOTONIC, None);
    timer_set(&p, id, 0, SEC, SEC);
    let c = h.process(Some(&p));
    let cur = c.alloc(32);
    assert_eq!(c.sys(SYS_timer_gettime, &[id as u64, cur.into()]), err(Errno::EINVAL));
    h.kernel.with_state(|st| super::on_exit(st, p.pid));
    assert_eq!(h.kernel.with_state(|st| (st.time.queued(), st.time.posix_timers.len())), (0, 0));
}
