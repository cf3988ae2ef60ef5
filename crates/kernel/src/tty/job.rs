//! Job control on terminals (credentials(7) "Sessions and process groups",
//! termios(3) "Job control"): controlling terminals, the foreground process
//! group, SIGTTIN/SIGTTOU for background access, hangup and the session
//! leader's exit.
//!
//! The controlling terminal is per session: a process's terminal is the
//! tty whose `session` is the process's session id, unless the process (or
//! the ancestor it was forked from, after that ancestor did so) gave it up
//! with TIOCNOTTY (kept in `TtyGlobal::notty`). This gives Linux's per
//! process `signal->tty` inheritance without a hook in fork.
//!
//! Orphaned process groups are decided by signal delivery's test
//! (`signal::deliver::pgrp_orphaned`): POSIX, without Linux's exception
//! for children of init (in a pod, pid 1 is often the user's shell, and its
//! jobs must get SIGTTIN rather than EIO).

use std::sync::Arc;

use wasmpod_abi::signal::{sigbit, SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SIG_IGN};
use wasmpod_abi::termios::TOSTOP;

use super::pty::Tty;
use crate::error::{Error, Restart, Result};
use crate::kernel::{Ctx, State};
use crate::process::{Pid, ProcState};
use crate::return_errno;
use crate::signal::{send_to_pgrp, send_to_process, SigInfo};

/// A process that gave up its controlling terminal (TIOCNOTTY as a
/// non-leader). Children it forks later have none either; children that
/// existed then keep theirs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoTty {
    /// The process's start time and session then (a reused pid or a new
    /// session invalidates the entry).
    pub start_time: u64,
    pub sid: Pid,
    /// Children at the time of TIOCNOTTY.
    pub kept_children: Vec<Pid>,
}

fn gave_up(st: &State, pid: Pid) -> Option<&NoTty> {
    let p = st.procs.procs.get(&pid)?;
    st.tty.notty.get(&pid).filter(|n| n.start_time == p.start_time && n.sid == p.sid)
}

/// Whether `pid` lost its terminal through TIOCNOTTY, its own or an
/// ancestor's (in the same session) before the fork that made the path.
fn lost_ctty(st: &State, pid: Pid) -> bool {
    if gave_up(st, pid).is_some() {
        return true;
    }
    let mut child = pid;
    // Bounded by the process count: ppid chains have no cycles, but be safe.
    for _ in 0..st.procs.procs.len() {
        let Some(c) = st.procs.procs.get(&child) else {
            return false;
        };
        let Some(parent) = st.procs.procs.get(&c.ppid).filter(|pp| pp.sid == c.sid) else {
            return false;
        };
        if gave_up(st, parent.pid).is_some_and(|n| !n.kept_children.contains(&child)) {
            return true;
        }
        child = parent.pid;
    }
    false
}

/// The controlling terminal of process `pid`, if any.
pub fn ctty_of(st: &State, pid: Pid) -> Option<Arc<Tty>> {
    let p = st.procs.procs.get(&pid)?;
    if !st.tty.notty.is_empty() && lost_ctty(st, pid) {
        return None;
    }
    ctty_of_session(st, p.sid)
}

/// The terminal whose session is `sid`.
pub fn ctty_of_session(st: &State, sid: Pid) -> Option<Arc<Tty>> {
    if sid <= 0 {
        return None;
    }
    st.tty.all().into_iter().find(|t| t.lock().session == sid)
}

/// Whether `tty` is the caller's controlling terminal.
pub fn is_ctty(ctx: &Ctx, tty: &Tty) -> bool {
    ctty_of(&ctx.st, ctx.pid()).is_some_and(|t| std::ptr::eq(&*t, tty))
}

pub(crate) fn caller_is_root(ctx: &Ctx) -> bool {
    ctx.st.procs.procs.get(&ctx.pid()).is_some_and(|p| p.creds.is_root())
}

/// The caller's filesystem uid and gid (owner of a new pty).
pub(crate) fn caller_ids(ctx: &Ctx) -> (u32, u32) {
    ctx.st.procs.procs.get(&ctx.pid()).map_or((0, 0), |p| (p.creds.fsuid, p.creds.fsgid))
}

/// Makes `tty` the controlling terminal of the caller's session and the
/// caller's group its foreground group.
pub(crate) fn set_ctty(st: &mut State, tty: &Tty, pid: Pid) {
    let Some(p) = st.procs.procs.get(&pid) else {
        return;
    };
    let (sid, pgid) = (p.sid, p.pgid);
    {
        let mut g = tty.lock();
        g.session = sid;
        g.pgrp = pgid;
    }
    st.tty.notty.remove(&pid);
    st.tty.old_pgrp.remove(&sid);
}

/// tty_open's rule: a session leader without a controlling terminal that
/// opens a terminal without `O_NOCTTY` acquires it, if no other session
/// has it and the open allows reading (or the caller is root).
pub(crate) fn maybe_acquire(ctx: &mut Ctx, tty: &Tty, flags: u32, readable: bool) {
    if flags & wasmpod_abi::fcntl::O_NOCTTY != 0 || !readable {
        return;
    }
    let pid = ctx.pid();
    let Some(p) = ctx.st.procs.procs.get(&pid) else {
        return;
    };
    if p.pid != p.sid || ctty_of(&ctx.st, pid).is_some() || tty.lock().session != 0 {
        return;
    }
    set_ctty(&mut ctx.st, tty, pid);
}

/// TIOCSCTTY (tty_ioctl(4)): the caller must be a session leader without
/// a controlling terminal; a terminal of another session can be stolen
/// only by root with `arg == 1`.
pub fn set_controlling(ctx: &mut Ctx, tty: &Tty, steal: bool, readable: bool) -> Result<()> {
    let pid = ctx.pid();
    let Some(p) = ctx.st.procs.procs.get(&pid) else {
        return_errno!(EPERM, "no calling process");
    };
    let (leader, sid, root) = (p.pid == p.sid, p.sid, p.creds.is_root());
    let cur = tty.lock().session;
    if leader && cur == sid {
        return Ok(());
    }
    if !leader || ctty_of(&ctx.st, pid).is_some() {
        return_errno!(EPERM, "TIOCSCTTY: not a session leader, or already has a controlling terminal");
    }
    if cur != 0 {
        if steal && root {
            clear_session(&mut ctx.st, tty);
        } else {
            return_errno!(EPERM, "TIOCSCTTY: terminal belongs to another session");
        }
    }
    if !readable && !root {
        return_errno!(EPERM, "TIOCSCTTY: fd not open for reading");
    }
    set_ctty(&mut ctx.st, tty, pid);
    Ok(())
}

/// Dissociates `tty` from its session (no signals).
fn clear_session(st: &mut State, tty: &Tty) {
    let mut g = tty.lock();
    let sid = std::mem::take(&mut g.session);
    g.pgrp = 0;
    drop(g);
    if sid != 0 {
        st.tty.notty.retain(|p, _| st.procs.procs.get(p).is_some_and(|q| q.sid != sid));
    }
}

/// TIOCNOTTY: gives up the controlling terminal. A session leader takes
/// it from the whole session and its foreground group gets SIGHUP and
/// SIGCONT (tty_ioctl(4)).
pub fn give_up(ctx: &mut Ctx, tty: &Tty) -> Result<()> {
    if !is_ctty(ctx, tty) {
        return_errno!(ENOTTY, "TIOCNOTTY: not the controlling terminal");
    }
    let pid = ctx.pid();
    let Some(p) = ctx.st.procs.procs.get(&pid) else {
        return_errno!(ENOTTY, "no calling process");
    };
    if p.pid == p.sid {
        let pgrp = tty.lock().pgrp;
        clear_session(&mut ctx.st, tty);
        if pgrp > 0 {
            send_to_pgrp(&mut ctx.st, pgrp, SigInfo::kernel(SIGHUP));
            send_to_pgrp(&mut ctx.st, pgrp, SigInfo::kernel(SIGCONT));
        }
        ctx.notify();
    } else {
        let entry = NoTty { start_time: p.start_time, sid: p.sid, kept_children: p.children.clone() };
        ctx.st.tty.notty.insert(pid, entry);
    }
    Ok(())
}

/// Whether `sig` is ignored by the caller's process or blocked by the
/// calling thread (Linux's `is_ignored`).
fn ignored_or_blocked(ctx: &Ctx, sig: u32) -> bool {
    let st = &ctx.st;
    let Some(t) = st.procs.threads.get(&ctx.tid) else {
        return false;
    };
    let ignored = st.procs.procs.get(&t.pid).is_some_and(|p| p.signals.actions[sig as usize].handler == SIG_IGN);
    ignored || t.signals.mask & sigbit(sig) != 0
}

/// POSIX: a process group is orphaned when no member has a parent in a
/// different group of the same session. The same test as signal
/// delivery's (which drops a stop signal for an orphaned group): if they
/// disagreed, a background read would raise SIGTTIN, see it discarded and
/// restart forever.
pub fn is_orphaned_pgrp(st: &State, pgid: Pid) -> bool {
    crate::signal::deliver::pgrp_orphaned(st, pgid)
}

/// Linux's `__tty_check_change`: a background process touching its
/// controlling terminal gets `sig` sent to its process group and the call
/// restarts after the stop (ERESTARTSYS). When the signal is ignored or
/// blocked, SIGTTIN fails with EIO and SIGTTOU lets the call go on; an
/// orphaned group gets EIO.
pub fn check_change(ctx: &mut Ctx, tty: &Tty, sig: u32) -> Result<()> {
    if !is_ctty(ctx, tty) {
        return Ok(());
    }
    let Some(pgid) = ctx.st.procs.procs.get(&ctx.pid()).map(|p| p.pgid) else {
        return Ok(());
    };
    let fg = tty.lock().pgrp;
    if fg == 0 || fg == pgid {
        return Ok(());
    }
    if ignored_or_blocked(ctx, sig) {
        if sig == SIGTTIN {
            return_errno!(EIO, "background read with SIGTTIN ignored or blocked");
        }
        return Ok(());
    }
    if is_orphaned_pgrp(&ctx.st, pgid) {
        return_errno!(EIO, "background access from an orphaned process group");
    }
    send_to_pgrp(&mut ctx.st, pgid, SigInfo::kernel(sig));
    ctx.notify();
    Err(Error::interrupted(Restart::IfSaRestart))
}

/// Job control before a read of `tty`.
pub(crate) fn check_read(ctx: &mut Ctx, tty: &Tty) -> Result<()> {
    check_change(ctx, tty, SIGTTIN)
}

/// Job control before a write to `tty`: only with TOSTOP.
pub(crate) fn check_write(ctx: &mut Ctx, tty: &Tty) -> Result<()> {
    if tty.lock().ld.termios.c_lflag & TOSTOP == 0 {
        return Ok(());
    }
    check_change(ctx, tty, SIGTTOU)
}

/// The master closed: the slave side hangs up. Linux's `__tty_hangup`:
/// the session leader gets SIGHUP and SIGCONT, the session loses its
/// terminal, and the foreground group is remembered for the leader's exit.
pub(crate) fn hangup(ctx: &mut Ctx, tty: &Tty) {
    let (sid, pgrp) = {
        let mut g = tty.lock();
        if g.hung_up {
            return;
        }
        g.hung_up = true;
        (std::mem::take(&mut g.session), std::mem::take(&mut g.pgrp))
    };
    if sid <= 0 {
        return;
    }
    let leader_alive = ctx.st.procs.procs.get(&sid).is_some_and(|p| p.sid == sid && p.state == ProcState::Running);
    if leader_alive {
        send_to_process(&mut ctx.st, sid, SigInfo::kernel(SIGHUP));
        send_to_process(&mut ctx.st, sid, SigInfo::kernel(SIGCONT));
        if pgrp > 0 {
            ctx.st.tty.old_pgrp.insert(sid, pgrp);
        }
    }
    ctx.notify();
}

/// exit(2) of a session leader: "If the process is a session leader and
/// its controlling terminal is the controlling terminal of the session,
/// then each process in the foreground process group of this controlling
/// terminal is sent a SIGHUP signal, and the terminal is disassociated
/// from this session". We also send SIGCONT, as Linux's
/// `disassociate_ctty` does for a terminal that already hung up.
pub fn session_leader_exited(ctx: &mut Ctx, sid: Pid) {
    let pgrp = match ctty_of_session(&ctx.st, sid) {
        Some(tty) => {
            let pgrp = tty.lock().pgrp;
            clear_session(&mut ctx.st, &tty);
            pgrp
        }
        None => ctx.st.tty.old_pgrp.remove(&sid).unwrap_or(0),
    };
    if pgrp > 0 {
        send_to_pgrp(&mut ctx.st, pgrp, SigInfo::kernel(SIGHUP));
        send_to_pgrp(&mut ctx.st, pgrp, SigInfo::kernel(SIGCONT));
    }
    ctx.notify();
}
