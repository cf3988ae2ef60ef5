//! Terminal ioctls (tty_ioctl(4), pty(7)). Both ends of a pty answer the
//! termios, window-size and job-control requests for the pair (as Linux's
//! `tty_mode_ioctl`, which acts on the slave for a master fd); the pty
//! requests (TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCGPTPEER, TIOCPKT) are
//! master-only.
//!
//! A pty "transmits" at once, as on Linux: TIOCOUTQ is 0, TCOFLUSH finds
//! nothing to drop, TCSETSW and TCSBRK return at once. FIONREAD on a master
//! counts the slave output it has not read.

use std::sync::Arc;

use wasmpod_abi::fcntl::{O_ACCMODE, O_CLOEXEC, O_NOCTTY, O_NONBLOCK};
use wasmpod_abi::ioctl::*;
use wasmpod_abi::misc::RLIMIT_NOFILE;
use wasmpod_abi::signal::{SIGTTOU, SIGWINCH};
use wasmpod_abi::termios::{termios, winsize, TCIFLUSH, TCIOFF, TCIOFLUSH, TCION, TCOFLUSH, TCOOFF, TCOON};

use super::job;
use super::pty::Tty;
use crate::error::Result;
use crate::fs::OpenFile;
use crate::kernel::Ctx;
use crate::signal::{send_to_pgrp, SigInfo};
use crate::{errno, return_errno};

/// `TIOCGEXCL`: whether the tty is in exclusive mode.
pub const TIOCGEXCL: u32 = 0x8004_5440;

/// Sends SIGWINCH to the foreground group when the size changed.
pub(crate) fn set_winsize(ctx: &mut Ctx, tty: &Tty, ws: winsize) {
    let pgrp = {
        let mut g = tty.lock();
        if g.winsize == ws {
            return;
        }
        g.winsize = ws;
        g.pgrp
    };
    if pgrp > 0 {
        send_to_pgrp(&mut ctx.st, pgrp, SigInfo::kernel(SIGWINCH));
        ctx.notify();
    }
}

/// Job control for requests that change the terminal (TCSETS*, TCFLSH,
/// TCXONC, TCSBRK, TIOCSPGRP): SIGTTOU from the background.
fn check_change(ctx: &mut Ctx, tty: &Arc<Tty>) -> Result<()> {
    job::check_change(ctx, tty, SIGTTOU)
}

fn flush(tty: &Tty, is_master: bool, queue: u32) -> Result<()> {
    let input = match queue {
        TCIFLUSH | TCIOFLUSH => true,
        TCOFLUSH => false,
        _ => return_errno!(EINVAL, "TCFLSH: bad queue selector"),
    };
    // The input of the slave is what it has not read; the input of the
    // master is the slave's output it has not read. Output "flushes" find
    // nothing: a pty hands output to the other side at once (Linux keeps
    // data already queued for the reader).
    let mut g = tty.lock();
    if input {
        if is_master {
            g.ld.flush_output();
        } else {
            g.ld.flush_input();
            g.ld.pktstatus |= super::ldisc::TIOCPKT_FLUSHREAD;
        }
    }
    if queue != TCIFLUSH && !is_master {
        g.ld.pktstatus |= super::ldisc::TIOCPKT_FLUSHWRITE;
    }
    Ok(())
}

/// Handles `cmd` on an fd of `tty` (master end if `is_master`).
pub fn tty_ioctl(ctx: &mut Ctx, tty: &Arc<Tty>, is_master: bool, file: &OpenFile, cmd: u32, arg: u32) -> Result<i64> {
    if !is_master && tty.lock().hung_up {
        // Linux's hung_up_tty_ioctl.
        if cmd == TIOCSPGRP {
            return_errno!(ENOTTY, "terminal hung up");
        }
        return_errno!(EIO, "terminal hung up");
    }
    match cmd {
        TCGETS => {
            let t = tty.lock().ld.termios;
            ctx.write_struct(arg, &t)?;
            Ok(0)
        }
        TCSETS | TCSETSW | TCSETSF => {
            check_change(ctx, tty)?;
            let t: termios = ctx.read_struct(arg)?;
            let mut g = tty.lock();
            if cmd == TCSETSF {
                g.ld.flush_input();
                g.ld.pktstatus |= super::ldisc::TIOCPKT_FLUSHREAD;
            }
            g.ld.set_termios(t);
            drop(g);
            ctx.notify();
            Ok(0)
        }
        TIOCGWINSZ => {
            let ws = tty.lock().winsize;
            ctx.write_struct(arg, &ws)?;
            Ok(0)
        }
        TIOCSWINSZ => {
            let ws: winsize = ctx.read_struct(arg)?;
            set_winsize(ctx, tty, ws);
            Ok(0)
        }
        FIONREAD => {
            let g = tty.lock();
            let n = if is_master { g.ld.output_len() } else { g.ld.input_len() };
            drop(g);
            ctx.write_u32(arg, n as u32)?;
            Ok(0)
        }
        TIOCOUTQ => {
            // Linux's ptys report 0: output goes to the other side at once.
            ctx.write_u32(arg, 0)?;
            Ok(0)
        }
        TCFLSH => {
            check_change(ctx, tty)?;
            flush(tty, is_master, arg)?;
            ctx.notify();
            Ok(0)
        }
        TCXONC => {
            check_change(ctx, tty)?;
            match arg {
                TCOOFF => tty.lock().ld.set_stopped(true),
                TCOON => tty.lock().ld.set_stopped(false),
                TCIOFF | TCION => {}
                _ => return_errno!(EINVAL, "TCXONC: bad action"),
            }
            ctx.notify();
            Ok(0)
        }
        TCSBRK | TCSBRKP => {
            check_change(ctx, tty)?;
            Ok(0)
        }
        TIOCEXCL | TIOCNXCL => {
            tty.lock().excl = cmd == TIOCEXCL;
            Ok(0)
        }
        TIOCGEXCL => {
            let v = u32::from(tty.lock().excl);
            ctx.write_u32(arg, v)?;
            Ok(0)
        }
        TIOCGETD => {
            ctx.write_u32(arg, 0)?; // N_TTY
            Ok(0)
        }
        TIOCSETD => {
            if ctx.read_u32(arg)? != 0 {
                return_errno!(EINVAL, "only the N_TTY line discipline exists");
            }
            Ok(0)
        }
        TIOCSCTTY => {
            job::set_controlling(ctx, tty, arg == 1, file.readable())?;
            Ok(0)
        }
        TIOCNOTTY => {
            if is_master {
                return_errno!(ENOTTY, "TIOCNOTTY on a pty master");
            }
            job::give_up(ctx, tty)?;
            Ok(0)
        }
        TIOCGPGRP => {
            if !is_master && !job::is_ctty(ctx, tty) {
                return_errno!(ENOTTY, "TIOCGPGRP: not the controlling terminal");
            }
            let pgrp = tty.lock().pgrp;
            ctx.write_u32(arg, pgrp as u32)?;
            Ok(0)
        }
        TIOCSPGRP => set_pgrp(ctx, tty, arg),
        TIOCGSID => {
            if !is_master && !job::is_ctty(ctx, tty) {
                return_errno!(ENOTTY, "TIOCGSID: not the controlling terminal");
            }
            let sid = tty.lock().session;
            if sid == 0 {
                return_errno!(ENOTTY, "TIOCGSID: terminal has no session");
            }
            ctx.write_u32(arg, sid as u32)?;
            Ok(0)
        }
        TIOCSTI => {
            // Linux 6.2+ with the default dev.tty.legacy_tiocsti=0.
            if !job::caller_is_root(ctx) {
                return_errno!(EIO, "TIOCSTI is disabled for non-root (legacy_tiocsti=0)");
            }
            let mut b = [0u8; 1];
            ctx.read_user(arg, &mut b)?;
            tty.input(&mut ctx.st, &b);
            Ok(0)
        }
        TIOCGDEV if !is_master => {
            ctx.write_u32(arg, tty.rdev() as u32)?;
            Ok(0)
        }
        TIOCGPTN | TIOCSPTLCK | TIOCGPTLCK | TIOCGPTPEER | TIOCPKT | TIOCGPKT if is_master => {
            pty_ioctl(ctx, tty, cmd, arg)
        }
        _ => Err(errno!(ENOTTY, "inappropriate ioctl for a terminal")),
    }
}

/// TIOCSPGRP, in Linux's order of checks: job control (EIO becomes
/// ENOTTY), EFAULT, EINVAL for a negative id, ENOTTY if this is not the
/// caller's controlling terminal, ESRCH for no such group, EPERM for a
/// group of another session.
fn set_pgrp(ctx: &mut Ctx, tty: &Arc<Tty>, arg: u32) -> Result<i64> {
    match check_change(ctx, tty) {
        Err(e) if e.errno() == wasmpod_abi::Errno::EIO => return_errno!(ENOTTY, "TIOCSPGRP from an orphaned group"),
        r => r?,
    }
    let pgrp = ctx.read_u32(arg)? as i32;
    if pgrp < 0 {
        return_errno!(EINVAL, "TIOCSPGRP: negative process group");
    }
    let pid = ctx.pid();
    let Some(sid) = ctx.st.procs.procs.get(&pid).map(|p| p.sid) else {
        return_errno!(ENOTTY, "no calling process");
    };
    if !job::is_ctty(ctx, tty) || tty.lock().session != sid {
        return_errno!(ENOTTY, "TIOCSPGRP: not the controlling terminal");
    }
    let Some(group_sid) = ctx.st.procs.procs.values().find(|p| p.pgid == pgrp).map(|p| p.sid) else {
        return_errno!(ESRCH, "TIOCSPGRP: no such process group");
    };
    if group_sid != sid {
        return_errno!(EPERM, "TIOCSPGRP: process group in another session");
    }
    tty.lock().pgrp = pgrp;
    Ok(0)
}

/// Master-only pty requests (pty(7)).
fn pty_ioctl(ctx: &mut Ctx, tty: &Arc<Tty>, cmd: u32, arg: u32) -> Result<i64> {
    match cmd {
        TIOCGPTN => {
            let n = tty.index.ok_or(errno!(ENOTTY, "not a pts pair"))?;
            ctx.write_u32(arg, n)?;
            Ok(0)
        }
        TIOCSPTLCK => {
            let v = ctx.read_u32(arg)?;
            tty.lock().locked = v != 0;
            Ok(0)
        }
        TIOCGPTLCK => {
            let v = u32::from(tty.lock().locked);
            ctx.write_u32(arg, v)?;
            Ok(0)
        }
        TIOCPKT => {
            let v = ctx.read_u32(arg)?;
            let mut g = tty.lock();
            if v != 0 && !g.packet {
                g.ld.pktstatus = 0;
            }
            g.packet = v != 0;
            Ok(0)
        }
        TIOCGPKT => {
            let v = u32::from(tty.lock().packet);
            ctx.write_u32(arg, v)?;
            Ok(0)
        }
        TIOCGPTPEER => {
            // arg is open(2) flags for the new slave fd.
            let flags = arg;
            if flags & !(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) != 0 {
                return_errno!(EINVAL, "TIOCGPTPEER: bad flags");
            }
            let slave = super::pty::open_slave(ctx, tty, flags)?;
            let file = OpenFile::new(slave, flags);
            let limit = ctx.process().rlimits[RLIMIT_NOFILE as usize].cur;
            let fd = ctx.process_mut().files.alloc(file, flags & O_CLOEXEC != 0, 0, limit)?;
            Ok(i64::from(fd))
        }
        _ => Err(errno!(ENOTTY, "inappropriate ioctl for a pty master")),
    }
}
