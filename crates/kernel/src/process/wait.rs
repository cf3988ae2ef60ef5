//! wait4(2) and waitid(2): collecting children's exits, stops and
//! continues.
//!
//! Exits come from zombies ([`ProcState::Zombie`]); stops and continues
//! from `Process.job.report`, which the signal code sets when a child
//! stops or continues, and which a wait consumes (unless `WNOWAIT`).
//! Reaping an exited child removes it ([`super::exit::release`]).
//!
//! Every child is a "non-clone" child (its exit signal is SIGCHLD), so
//! `__WCLONE` alone matches nothing and `__WALL` matches everything;
//! `__WNOTHREAD` changes nothing because children belong to the process,
//! not to a thread.
//!
//! The rusage written is zero except for `ru_utime`, the child's run time
//! (wall-clock, as everywhere in this kernel).

use wasmpod_abi::misc::rusage;
use wasmpod_abi::signal::{siginfo_t, CLD_CONTINUED, CLD_STOPPED, SIGCHLD, SIGCONT};
use wasmpod_abi::wait::*;

use super::exit::{chld_code, release};
use super::{JobReport, Pid, ProcState};
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Which children a wait is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Any,
    Pid(Pid),
    Pgrp(Pid),
}

/// What a wait found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Found {
    pid: Pid,
    uid: u32,
    /// wait4's status word.
    status: i32,
    /// waitid's `si_code` and `si_status`.
    code: i32,
    si_status: i32,
    run_time_ns: u64,
}

/// Looks for a reportable child; `Ok(None)` if some child matches but has
/// nothing to report yet, `ECHILD` if none matches.
fn find(ctx: &mut Ctx, which: Which, options: u32) -> Result<Option<Found>> {
    let me = ctx.pid();
    let children: Vec<Pid> = ctx.process().children.clone();
    let clone_only = options & __WCLONE != 0 && options & __WALL == 0;
    let mut any = false;
    for c in children {
        let Some(p) = ctx.st.procs.procs.get(&c) else { continue };
        let matches = match which {
            Which::Any => true,
            Which::Pid(pid) => p.pid == pid,
            Which::Pgrp(g) => p.pgid == g,
        };
        if !matches || clone_only || p.ppid != me {
            continue;
        }
        any = true;
        let uid = p.creds.uid;
        if let ProcState::Zombie { status } = p.state {
            if options & WEXITED == 0 {
                continue;
            }
            let (code, si_status) = chld_code(status);
            let f = Found { pid: c, uid, status, code, si_status, run_time_ns: p.misc.run_time_ns };
            if options & WNOWAIT == 0 {
                release(&mut ctx.st, c);
            }
            return Ok(Some(f));
        }
        let report = p.job.report;
        let run_time_ns = 0;
        let found = match report {
            Some(JobReport::Stopped(sig)) if options & WSTOPPED != 0 => Some(Found {
                pid: c,
                uid,
                status: w_stopcode(sig),
                code: CLD_STOPPED,
                si_status: sig as i32,
                run_time_ns,
            }),
            Some(JobReport::Continued) if options & WCONTINUED != 0 => Some(Found {
                pid: c,
                uid,
                status: W_CONTINUED,
                code: CLD_CONTINUED,
                si_status: SIGCONT as i32,
                run_time_ns,
            }),
            _ => None,
        };
        if let Some(f) = found {
            if options & WNOWAIT == 0 {
                if let Some(p) = ctx.st.procs.procs.get_mut(&c) {
                    p.job.report = None;
                }
            }
            return Ok(Some(f));
        }
    }
    if !any {
        return_errno!(ECHILD, "no matching child");
    }
    Ok(None)
}

/// Waits (unless `WNOHANG`) for a child to report. `Ok(None)`: `WNOHANG`
/// and nothing to report.
fn do_wait(ctx: &mut Ctx, which: Which, options: u32) -> Result<Option<Found>> {
    let nohang = options & WNOHANG != 0;
    ctx.wait_until(None, Restart::IfSaRestart, |ctx| match find(ctx, which, options)? {
        Some(f) => Ok(Some(Some(f))),
        None if nohang => Ok(Some(None)),
        None => Ok(None),
    })
}

fn write_rusage(ctx: &mut Ctx, addr: u32, run_time_ns: u64) -> Result<()> {
    if addr == 0 {
        return Ok(());
    }
    let r = rusage {
        ru_utime_sec: (run_time_ns / 1_000_000_000) as i64,
        ru_utime_usec: ((run_time_ns % 1_000_000_000) / 1000) as i64,
        ..Default::default()
    };
    ctx.write_struct(addr, &r)
}

/// Implements wait4(2): `wait4(pid, wstatus, options, rusage)`.
///
/// pid > 0: that child; 0: any child in the caller's process group; -1:
/// any child; < -1: any child in group `-pid`.
pub fn sys_wait4(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, wstatus, options, ru) = (a.i32(0), a.ptr(1), a.u32(2), a.ptr(3));
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL) != 0 {
        return_errno!(EINVAL, "wait4: unknown options");
    }
    let which = match pid {
        // Linux: -INT_MIN can't be negated.
        i32::MIN => return_errno!(ESRCH, "wait4: no such process group"),
        -1 => Which::Any,
        0 => Which::Pgrp(ctx.process().pgid),
        p if p < 0 => Which::Pgrp(-p),
        p => Which::Pid(p),
    };
    match do_wait(ctx, which, options | WEXITED)? {
        None => Ok(0),
        Some(f) => {
            if wstatus != 0 {
                ctx.write_u32(wstatus, f.status as u32)?;
            }
            write_rusage(ctx, ru, f.run_time_ns)?;
            Ok(i64::from(f.pid))
        }
    }
}

/// Implements waitid(2): `waitid(idtype, id, infop, options, rusage)`.
///
/// Returns 0; the child is described in `*infop` (`si_signo` SIGCHLD,
/// `si_code` CLD_*, `si_pid`, `si_uid`, `si_status`). With `WNOHANG` and
/// nothing to report, `*infop` is zeroed (waitid(2): "si_pid ... is 0").
pub fn sys_waitid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (idtype, id, infop, options, ru) = (a.u32(0), a.i32(1), a.ptr(2), a.u32(3), a.ptr(4));
    let known = WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL;
    if options & !known != 0 {
        return_errno!(EINVAL, "waitid: unknown options");
    }
    if options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
        return_errno!(EINVAL, "waitid: no WEXITED, WSTOPPED or WCONTINUED");
    }
    let which = match idtype {
        P_ALL => Which::Any,
        P_PID if id > 0 => Which::Pid(id),
        P_PID => return_errno!(EINVAL, "waitid: P_PID needs a positive id"),
        // Since Linux 5.4, id 0 means the caller's group.
        P_PGID if id == 0 => Which::Pgrp(ctx.process().pgid),
        P_PGID if id > 0 => Which::Pgrp(id),
        P_PGID => return_errno!(EINVAL, "waitid: negative process group"),
        P_PIDFD => return_errno!(EINVAL, "waitid: pidfds are not supported"),
        _ => return_errno!(EINVAL, "waitid: unknown idtype"),
    };
    let found = do_wait(ctx, which, options)?;
    let info = match found {
        None => siginfo_t::default(),
        Some(f) => siginfo_t {
            si_signo: SIGCHLD as i32,
            si_code: f.code,
            si_pid: f.pid,
            si_uid: f.uid,
            si_status: f.si_status,
            ..Default::default()
        },
    };
    if infop != 0 {
        ctx.write_struct(infop, &info).map_err(|_| errno!(EFAULT, "waitid: bad infop"))?;
    }
    write_rusage(ctx, ru, found.map_or(0, |f| f.run_time_ns))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::signal::{
        siginfo_t, CLD_CONTINUED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGSTOP, SIGUSR1,
    };
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::wait::*;
    use wasmpod_abi::Errno;

    use crate::kernel::Action;
    use crate::process::testutil::*;
    use crate::process::JobReport;
    use crate::testing::Harness;

    fn wait4(p: &crate::testing::Proc, pid: i32, options: u32) -> (i64, i32) {
        let status = p.alloc(4);
        p.write(status, &0x5a5a_5a5au32.to_le_bytes());
        let r = p.sys(SYS_wait4, &[pid as u32 as u64, u64::from(status), u64::from(options), 0]);
        (r, p.read_i32(status))
    }

    #[test]
    fn child_stays_zombie_until_parent_waits() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        assert!(exits(&child.call(SYS_exit_group, &[3])));
        assert_eq!(zombie(&h, child.pid), Some(w_exitcode(3)));
        let (r, status) = wait4(&parent, -1, 0);
        assert_eq!(r, i64::from(child.pid));
        assert_eq!(status, 3 << 8);
        assert!(!exists(&h, child.pid), "the zombie is reaped");
    }

    #[test]
    fn exit_status_keeps_only_low_eight_bits() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        child.call(SYS_exit_group, &[0x1ff]);
        let (_, status) = wait4(&parent, child.pid, 0);
        assert_eq!(status & 0x7f, 0, "WIFEXITED");
        assert_eq!((status >> 8) & 0xff, 0xff, "WEXITSTATUS");
    }

    #[test]
    fn death_by_signal_is_encoded_as_termsig() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        with_ctx(&child, |ctx| crate::process::exit::exit_process(ctx, child.pid, w_termsig(9, false)));
        let (r, status) = wait4(&parent, -1, 0);
        assert_eq!(r, i64::from(child.pid));
        assert_eq!(status, 9);
        assert!((((status & 0x7f) + 1) as i8) >= 2, "WIFSIGNALED");
    }

    #[test]
    fn wuntraced_reports_a_stop_once() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        st(&h, |s| {
            let p = s.procs.procs.get_mut(&child.pid).unwrap();
            p.job.stopped = true;
            p.job.report = Some(JobReport::Stopped(SIGSTOP));
        });
        let (r, status) = wait4(&parent, -1, WUNTRACED);
        assert_eq!(r, i64::from(child.pid));
        assert_eq!(status, 0x137f);
        assert_eq!(wait4(&parent, -1, WUNTRACED | WNOHANG).0, 0, "the stop was consumed");
    }

    #[test]
    fn stop_is_not_reported_without_wuntraced() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        st(&h, |s| s.procs.procs.get_mut(&child.pid).unwrap().job.report = Some(JobReport::Stopped(SIGSTOP)));
        assert_eq!(wait4(&parent, -1, WNOHANG).0, 0);
    }

    #[test]
    fn wcontinued_reports_a_continue() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        st(&h, |s| s.procs.procs.get_mut(&child.pid).unwrap().job.report = Some(JobReport::Continued));
        let (r, status) = wait4(&parent, -1, WCONTINUED);
        assert_eq!(r, i64::from(child.pid));
        assert_eq!(status, 0xffff);
        assert!(exists(&h, child.pid), "a continued child is not reaped");
    }

    #[test]
    fn wnohang_returns_zero_while_children_run() {
        let h = Harness::new();
        let parent = h.process(None);
        let _child = h.process(Some(&parent));
        let (r, status) = wait4(&parent, -1, WNOHANG);
        assert_eq!(r, 0);
        assert_eq!(status as u32, 0x5a5a_5a5a, "status untouched");
    }

    #[test]
    fn wait_without_children_is_echild() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(wait4(&p, -1, 0).0, e(Errno::ECHILD));
        assert_eq!(wait4(&p, -1, WNOHANG).0, e(Errno::ECHILD));
    }

    #[test]
    fn waiting_for_a_grandchild_is_echild() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process(Some(&a));
        let c = h.process(Some(&b));
        c.call(SYS_exit_group, &[0]);
        assert_eq!(wait4(&a, c.pid, WNOHANG).0, e(Errno::ECHILD));
        assert_eq!(wait4(&b, c.pid, 0).0, i64::from(c.pid));
    }

    #[test]
    fn wait_by_process_group_only_reaps_that_group() {
        let h = Harness::new();
        let parent = h.process(None);
        let c1 = h.process(Some(&parent));
        let c2 = h.process(Some(&parent));
        assert_eq!(c2.sys(SYS_setpgid, &[0, 0]), 0);
        c1.call(SYS_exit_group, &[1]);
        c2.call(SYS_exit_group, &[2]);
        let (r, status) = wait4(&parent, -c2.pid, 0);
        assert_eq!((r, status), (i64::from(c2.pid), 2 << 8));
        assert_eq!(wait4(&parent, -c2.pid, WNOHANG).0, e(Errno::ECHILD));
        // pid 0: the caller's own group, where c1 still is.
        assert_eq!(wait4(&parent, 0, 0).0, i64::from(c1.pid));
    }

    #[test]
    fn wait_blocks_until_a_child_exits() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        let p2 = parent.clone();
        let t = spawn(move || wait4(&p2, -1, 0));
        h.wait_sleeping(parent.tid);
        child.call(SYS_exit_group, &[7]);
        assert_eq!(t.join().unwrap(), (i64::from(child.pid), 7 << 8));
    }

    #[test]
    fn wait_interrupted_by_handler_without_sa_restart_is_eintr() {
        let h = Harness::new();
        let parent = h.process(None);
        let _child = h.process(Some(&parent));
        set_action(&h, parent.pid, SIGUSR1, 0x100, 0);
        let p2 = parent.clone();
        let t = spawn(move || p2.call(SYS_wait4, &[u32::MAX as u64, 0, 0, 0]));
        h.wait_sleeping(parent.tid);
        st(&h, |s| crate::signal::send_to_process(s, parent.pid, crate::signal::SigInfo::kernel(SIGUSR1)));
        h.kernel.clock_changed();
        let r = t.join().unwrap();
        assert_eq!(r.value, e(Errno::EINTR));
        assert!(r.signal_pending);
    }

    #[test]
    fn wait_interrupted_by_sa_restart_handler_restarts() {
        let h = Harness::new();
        let parent = h.process(None);
        let _child = h.process(Some(&parent));
        set_action(&h, parent.pid, SIGUSR1, 0x100, wasmpod_abi::signal::SA_RESTART);
        let p2 = parent.clone();
        let t = spawn(move || p2.call(SYS_wait4, &[u32::MAX as u64, 0, 0, 0]));
        h.wait_sleeping(parent.tid);
        st(&h, |s| crate::signal::send_to_process(s, parent.pid, crate::signal::SigInfo::kernel(SIGUSR1)));
        h.kernel.clock_changed();
        assert!(matches!(t.join().unwrap().action, Action::Restart));
    }

    #[test]
    fn waitid_fills_siginfo_for_an_exit() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        child.call(SYS_exit_group, &[42]);
        let info = parent.alloc(128);
        assert_eq!(parent.sys(SYS_waitid, &[u64::from(P_ALL), 0, u64::from(info), u64::from(WEXITED), 0]), 0);
        let si: siginfo_t = parent.read_struct(info);
        assert_eq!(si.si_signo, SIGCHLD as i32);
        assert_eq!(si.si_code, CLD_EXITED);
        assert_eq!(si.si_pid, child.pid);
        assert_eq!(si.si_uid, 1000);
        assert_eq!(si.si_status, 42);
        assert!(!exists(&h, child.pid));
    }

    #[test]
    fn waitid_reports_kill_stop_and_continue_codes() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        let info = parent.alloc(128);
        let waitid = |opts: u32| {
            parent.sys(SYS_waitid, &[u64::from(P_PID), child.pid as u64, u64::from(info), u64::from(opts), 0])
        };
        st(&h, |s| s.procs.procs.get_mut(&child.pid).unwrap().job.report = Some(JobReport::Stopped(SIGSTOP)));
        assert_eq!(waitid(WSTOPPED), 0);
        let si: siginfo_t = parent.read_struct(info);
        assert_eq!((si.si_code, si.si_status), (CLD_STOPPED, SIGSTOP as i32));
        st(&h, |s| s.procs.procs.get_mut(&child.pid).unwrap().job.report = Some(JobReport::Continued));
        assert_eq!(waitid(WCONTINUED), 0);
        let si: siginfo_t = parent.read_struct(info);
        assert_eq!((si.si_code, si.si_status), (CLD_CONTINUED, 18));
        with_ctx(&child, |ctx| crate::process::exit::exit_process(ctx, child.pid, w_termsig(15, false)));
        assert_eq!(waitid(WEXITED), 0);
        let si: siginfo_t = parent.read_struct(info);
        assert_eq!((si.si_code, si.si_status), (CLD_KILLED, 15));
    }

    #[test]
    fn waitid_wnowait_leaves_the_zombie() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        child.call(SYS_exit_group, &[1]);
        let info = parent.alloc(128);
        let opts = u64::from(WEXITED | WNOWAIT);
        assert_eq!(parent.sys(SYS_waitid, &[u64::from(P_ALL), 0, u64::from(info), opts, 0]), 0);
        assert_eq!(zombie(&h, child.pid), Some(1 << 8));
        assert_eq!(wait4(&parent, -1, 0).0, i64::from(child.pid));
    }

    #[test]
    fn waitid_wnohang_with_nothing_to_report_zeroes_siginfo() {
        let h = Harness::new();
        let parent = h.process(None);
        let _child = h.process(Some(&parent));
        let info = parent.bytes(&[0xff; 128]);
        let opts = u64::from(WEXITED | WNOHANG);
        assert_eq!(parent.sys(SYS_waitid, &[u64::from(P_ALL), 0, u64::from(info), opts, 0]), 0);
        let si: siginfo_t = parent.read_struct(info);
        assert_eq!((si.si_signo, si.si_pid, si.si_code), (0, 0, 0));
    }

    #[test]
    fn waitid_argument_errors_are_einval() {
        let h = Harness::new();
        let parent = h.process(None);
        let _child = h.process(Some(&parent));
        let info = u64::from(parent.alloc(128));
        let w = |idtype: u32, id: i32, opts: u32| {
            parent.sys(SYS_waitid, &[u64::from(idtype), id as u32 as u64, info, u64::from(opts), 0])
        };
        assert_eq!(w(P_ALL, 0, WNOHANG), e(Errno::EINVAL), "no event option");
        assert_eq!(w(P_PID, 0, WEXITED), e(Errno::EINVAL), "P_PID 0");
        assert_eq!(w(7, 0, WEXITED), e(Errno::EINVAL), "unknown idtype");
        assert_eq!(w(P_ALL, 0, WEXITED | 0x10), e(Errno::EINVAL), "unknown option");
        assert_eq!(w(P_PIDFD, 3, WEXITED), e(Errno::EINVAL));
    }

    #[test]
    fn wait4_argument_errors() {
        let h = Harness::new();
        let parent = h.process(None);
        let _child = h.process(Some(&parent));
        assert_eq!(wait4(&parent, -1, WNOWAIT).0, e(Errno::EINVAL), "WNOWAIT is waitid-only");
        assert_eq!(wait4(&parent, i32::MIN, 0).0, e(Errno::ESRCH));
    }

    #[test]
    fn wclone_alone_matches_no_ordinary_child_but_wall_does() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        child.call(SYS_exit_group, &[0]);
        assert_eq!(wait4(&parent, -1, __WCLONE).0, e(Errno::ECHILD));
        assert_eq!(wait4(&parent, -1, __WALL).0, i64::from(child.pid));
    }

    #[test]
    fn wait4_writes_rusage_with_the_childs_run_time() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        h.advance_ns(2_500_000_000);
        child.call(SYS_exit_group, &[0]);
        let ru = parent.bytes(&[0xff; 152]);
        assert_eq!(parent.sys(SYS_wait4, &[u32::MAX as u64, 0, 0, u64::from(ru)]), i64::from(child.pid));
        let r: wasmpod_abi::misc::rusage = parent.read_struct(ru);
        assert_eq!((r.ru_utime_sec, r.ru_utime_usec), (2, 500_000));
        assert_eq!(r.ru_maxrss, 0);
    }

    #[test]
    fn reaped_pid_no_longer_exists() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        child.call(SYS_exit_group, &[0]);
        assert_eq!(parent.sys(SYS_getpgid, &[child.pid as u64]), i64::from(parent.pid), "zombies keep their group");
        wait4(&parent, -1, 0);
        assert_eq!(parent.sys(SYS_getpgid, &[child.pid as u64]), e(Errno::ESRCH));
    }

    #[test]
    fn waitid_by_process_group() {
        let h = Harness::new();
        let parent = h.process(None);
        let c1 = h.process(Some(&parent));
        let c2 = h.process(Some(&parent));
        c2.sys(SYS_setpgid, &[0, 0]);
        c1.call(SYS_exit_group, &[0]);
        c2.call(SYS_exit_group, &[0]);
        let info = parent.alloc(128);
        let opts = u64::from(WEXITED);
        assert_eq!(parent.sys(SYS_waitid, &[u64::from(P_PGID), c2.pid as u64, u64::from(info), opts, 0]), 0);
        assert_eq!(parent.read_struct::<siginfo_t>(info).si_pid, c2.pid);
        // id 0: the caller's group (Linux 5.4+).
        assert_eq!(parent.sys(SYS_waitid, &[u64::from(P_PGID), 0, u64::from(info), opts, 0]), 0);
        assert_eq!(parent.read_struct::<siginfo_t>(info).si_pid, c1.pid);
    }
}
