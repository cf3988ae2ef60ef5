//! Pseudo-terminal pairs (pty(7)) and the open files of their two ends.
//!
//! A [`Tty`] is one terminal: its line discipline, window size, session
//! and foreground process group, plus the pty bookkeeping (lock, open
//! counts, hangup). Opening /dev/ptmx makes a new pair and returns the
//! master ([`PtyMaster`]); /dev/pts/N, /dev/tty and /dev/console return
//! slaves ([`TtySlave`]). The console is a `Tty` without an index whose
//! master end only the host holds ([`super::HostPty`]).
//!
//! - Master read: the slave's output after OPOST. Empty: blocks (or
//!   `EAGAIN`); once a slave was opened and every slave fd is closed,
//!   `EIO` (Linux), with `POLLHUP`.
//! - Master write: the slave's input, through the line discipline; blocks
//!   while the 4 KiB input buffer is full.
//! - Master close: the slave side hangs up: slave read gives 0, write
//!   `EIO`, poll `POLLHUP`; the session leader gets SIGHUP and SIGCONT.
//! - Slave read/write: job control first ([`super::job`]), then the line
//!   discipline; raw reads follow VMIN/VTIME (termios(3)).

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sync::lock::{Mutex, MutexGuard};
use wasmpod_abi::fcntl::{O_ACCMODE, O_RDONLY, O_RDWR};
use wasmpod_abi::fs::S_IFCHR;
use wasmpod_abi::poll::*;
use wasmpod_abi::termios::{winsize, VMIN, VTIME};

use super::ldisc::Ldisc;
use super::{ioctl, job};
use crate::error::{Restart, Result};
use crate::fs::devices::{makedev, TTYAUX_MAJOR, UNIX98_PTY_SLAVE_MAJOR};
use crate::fs::{FileOps, Inode, Metadata, OpenFile, Timespec};
use crate::kernel::{Ctx, State};
use crate::process::Pid;
use crate::{errno, return_errno};

/// The mutable part of a tty (behind `Tty::inner`).
pub struct TtyInner {
    pub ld: Ldisc,
    pub winsize: winsize,
    /// The session this is the controlling terminal of (0: none).
    pub session: Pid,
    /// The foreground process group (0: none).
    pub pgrp: Pid,
    /// The slave can't be opened until TIOCSPTLCK(0) (unlockpt).
    pub locked: bool,
    /// The master closed: slave fds read EOF and write EIO.
    pub hung_up: bool,
    /// TIOCEXCL: only root may open the slave again.
    pub excl: bool,
    /// TIOCPKT: master reads start with a status byte.
    pub packet: bool,
    /// Owner and permissions of the /dev/pts node.
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

/// One terminal: a pty pair or the console.
pub struct Tty {
    /// The pts number; `None` for the console.
    pub index: Option<u32>,
    inner: Mutex<TtyInner>,
    /// Open master descriptions (and host handles).
    masters: AtomicUsize,
    /// Open slave descriptions.
    slaves: AtomicUsize,
    /// A slave was opened at least once (before that, master reads block
    /// instead of failing with EIO).
    slave_opened: AtomicBool,
    /// `TtyGlobal::dirty`: set on every last close.
    dirty: Arc<AtomicBool>,
}

impl Tty {
    pub(crate) fn new(index: Option<u32>, uid: u32, gid: u32, now: Timespec, dirty: Arc<AtomicBool>) -> Arc<Tty> {
        Arc::new(Tty {
            index,
            inner: Mutex::new(TtyInner {
                ld: Ldisc::default(),
                winsize: winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 },
                session: 0,
                pgrp: 0,
                locked: index.is_some(),
                hung_up: false,
                excl: false,
                packet: false,
                uid,
                gid,
                mode: 0o620,
                atime: now,
                mtime: now,
                ctime: now,
            }),
            masters: AtomicUsize::new(0),
            slaves: AtomicUsize::new(0),
            slave_opened: AtomicBool::new(false),
            dirty,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, TtyInner> {
        self.inner.lock()
    }

    /// The slave's device number (136:N, or 5:1 for the console).
    pub fn rdev(&self) -> u64 {
        match self.index {
            Some(i) => makedev(UNIX98_PTY_SLAVE_MAJOR, i),
            None => makedev(TTYAUX_MAJOR, 1),
        }
    }

    /// `/dev/pts/N` or `/dev/console`.
    pub fn name(&self) -> String {
        match self.index {
            Some(i) => format!("/dev/pts/{i}"),
            None => "/dev/console".into(),
        }
    }

    pub fn master_open(&self) -> bool {
        self.masters.load(Ordering::Acquire) > 0
    }
    pub fn slave_open(&self) -> bool {
        self.slaves.load(Ordering::Acquire) > 0
    }
    /// Every slave that was opened has been closed (master reads EIO).
    pub fn slave_gone(&self) -> bool {
        self.slave_opened.load(Ordering::Acquire) && !self.slave_open()
    }

    /// Registers a new master reference (ptmx open, host handle).
    pub(crate) fn master_ref(self: &Arc<Self>) {
        self.masters.fetch_add(1, Ordering::AcqRel);
    }
    pub(crate) fn master_unref(&self) {
        self.masters.fetch_sub(1, Ordering::AcqRel);
        self.dirty.store(true, Ordering::Release);
    }

    /// A slave open file for this tty (counts as an open slave).
    pub(crate) fn new_slave(self: &Arc<Self>) -> Arc<TtySlave> {
        self.slaves.fetch_add(1, Ordering::AcqRel);
        self.slave_opened.store(true, Ordering::Release);
        Arc::new(TtySlave { tty: self.clone() })
    }

    /// A master open file for this tty.
    pub(crate) fn new_master(self: &Arc<Self>) -> Arc<PtyMaster> {
        self.master_ref();
        Arc::new(PtyMaster { tty: self.clone() })
    }

    /// Checks that the slave may be opened now: not hung up, unlocked, not
    /// exclusive (unless root).
    pub(crate) fn check_slave_open(&self, root: bool) -> Result<()> {
        let g = self.lock();
        if g.hung_up || !self.master_open() {
            return_errno!(EIO, "pty master is closed");
        }
        if g.locked {
            return_errno!(EIO, "pty is locked (unlockpt not called)");
        }
        if g.excl && !root {
            return_errno!(EBUSY, "tty is in exclusive mode (TIOCEXCL)");
        }
        Ok(())
    }

    // ---- master side -------------------------------------------------------

    /// Takes slave output for the master: `Ok(None)` when there is none yet.
    pub(crate) fn master_try_read(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        let mut g = self.lock();
        if g.packet && g.ld.pktstatus != 0 {
            // A status byte alone (TIOCPKT_FLUSHREAD, _STOP, ...).
            buf[0] = std::mem::take(&mut g.ld.pktstatus);
            return Ok(Some(1));
        }
        let n = if g.packet && g.ld.output_len() > 0 && buf.len() > 1 {
            buf[0] = 0; // TIOCPKT_DATA
            1 + g.ld.take_output(&mut buf[1..])
        } else {
            g.ld.take_output(buf)
        };
        if n > 0 {
            return Ok(Some(n));
        }
        if self.slave_gone() {
            return_errno!(EIO, "every slave fd is closed");
        }
        Ok(None)
    }

    /// Feeds typed input through the line discipline and sends the signals
    /// it raises to the foreground process group. Returns bytes consumed.
    pub(crate) fn input(&self, st: &mut State, data: &[u8]) -> usize {
        let (r, pgrp) = {
            let mut g = self.lock();
            (g.ld.receive(data), g.pgrp)
        };
        for sig in &r.signals {
            if pgrp > 0 {
                crate::signal::send_to_pgrp(st, pgrp, crate::signal::SigInfo::kernel(*sig));
            }
        }
        if r.consumed > 0 {
            st.notify();
        }
        r.consumed
    }

    /// Master read, blocking unless `nonblock`.
    pub(crate) fn master_read(&self, ctx: &mut Ctx, buf: &mut [u8], nonblock: bool) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        ctx.wait_until(None, Restart::IfSaRestart, |ctx| match self.master_try_read(buf)? {
            Some(n) => {
                ctx.notify();
                Ok(Some(n))
            }
            None if nonblock => Err(errno!(EAGAIN, "no output from the slave")),
            None => Ok(None),
        })
    }

    /// Master write: all of `data` unless non-blocking or interrupted.
    pub(crate) fn master_write(&self, ctx: &mut Ctx, data: &[u8], nonblock: bool) -> Result<usize> {
        let mut done = 0;
        let r = ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
            done += self.input(&mut ctx.st, &data[done..]);
            if done == data.len() || (nonblock && done > 0) {
                Ok(Some(()))
            } else if nonblock {
                Err(errno!(EAGAIN, "tty input buffer full"))
            } else {
                Ok(None)
            }
        });
        crate::fs::rw::progress(done, r)?;
        Ok(done)
    }

    fn master_poll(&self) -> u16 {
        let g = self.lock();
        let mut m = 0;
        if g.ld.output_len() > 0 {
            m |= POLLIN | POLLRDNORM;
        }
        if g.packet && g.ld.pktstatus != 0 {
            m |= POLLPRI | POLLIN | POLLRDNORM;
        }
        if g.ld.input_room() {
            m |= POLLOUT | POLLWRNORM;
        }
        if self.slave_gone() {
            m |= POLLHUP;
        }
        m
    }

    // ---- slave side --------------------------------------------------------

    fn slave_read(&self, ctx: &mut Ctx, buf: &mut [u8], nonblock: bool) -> Result<usize> {
        if self.lock().hung_up {
            return Ok(0);
        }
        job::check_read(ctx, self)?;
        if buf.is_empty() {
            return Ok(0);
        }
        let (canon, vmin, vtime) = {
            let g = self.lock();
            (g.ld.canonical(), g.ld.termios.c_cc[VMIN] as usize, u64::from(g.ld.termios.c_cc[VTIME]))
        };
        if canon {
            return ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
                let mut g = self.lock();
                if g.hung_up {
                    return Ok(Some(0));
                }
                match g.ld.read(buf) {
                    Some(n) => {
                        drop(g);
                        ctx.notify();
                        Ok(Some(n))
                    }
                    None if nonblock => Err(errno!(EAGAIN, "no complete line")),
                    None => Ok(None),
                }
            });
        }
        // Raw mode: termios(3) "MIN > 0, TIME > 0" etc. TIME counts tenths
        // of a second.
        let tick = vtime * 100_000_000;
        if vmin == 0 && vtime == 0 {
            let n = self.lock().ld.read_raw(buf);
            if n > 0 {
                ctx.notify();
            }
            return Ok(n);
        }
        let minimum = vmin.min(buf.len());
        let mut got = 0usize;
        let mut deadline = if vmin == 0 { Some(ctx.now().saturating_add(tick)) } else { None };
        loop {
            let mut hung = false;
            let r = ctx.wait_until(deadline, Restart::IfSaRestart, |ctx| {
                let mut g = self.lock();
                if g.hung_up {
                    hung = true;
                    return Ok(Some(()));
                }
                let n = g.ld.read_raw(&mut buf[got..]);
                drop(g);
                if n > 0 {
                    got += n;
                    ctx.notify();
                    return Ok(Some(()));
                }
                if nonblock {
                    if got == 0 {
                        return Err(errno!(EAGAIN, "no input"));
                    }
                    return Ok(Some(()));
                }
                Ok(None)
            });
            match r {
                Ok(()) => {
                    if hung || vmin == 0 || got >= minimum || nonblock || got == buf.len() {
                        return Ok(got);
                    }
                    if vtime > 0 {
                        // The inter-byte timer restarts with every byte.
                        deadline = Some(ctx.now().saturating_add(tick));
                    }
                }
                Err(e) if e.errno() == wasmpod_abi::Errno::ETIMEDOUT => return Ok(got),
                Err(_) if got > 0 => return Ok(got),
                Err(e) => return Err(e),
            }
        }
    }

    fn slave_write(&self, ctx: &mut Ctx, data: &[u8], nonblock: bool) -> Result<usize> {
        if self.lock().hung_up {
            return_errno!(EIO, "terminal hung up");
        }
        job::check_write(ctx, self)?;
        let mut done = 0;
        let r = ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
            let mut g = self.lock();
            if g.hung_up {
                return Err(errno!(EIO, "terminal hung up"));
            }
            let n = g.ld.write_output(&data[done..]);
            drop(g);
            done += n;
            if n > 0 {
                ctx.notify();
            }
            if done == data.len() || (nonblock && done > 0) {
                Ok(Some(()))
            } else if nonblock {
                Err(errno!(EAGAIN, "tty output buffer full"))
            } else {
                Ok(None)
            }
        });
        crate::fs::rw::progress(done, r)?;
        Ok(done)
    }

    fn slave_poll(&self) -> u16 {
        let g = self.lock();
        if g.hung_up {
            return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
        }
        let mut m = 0;
        if g.ld.poll_readable() {
            m |= POLLIN | POLLRDNORM;
        }
        if g.ld.output_room() {
            m |= POLLOUT | POLLWRNORM;
        }
        m
    }

    /// The /dev/pts node's metadata.
    pub fn slave_metadata(&self) -> Metadata {
        let g = self.lock();
        Metadata {
            dev: super::devpts::DEVPTS_DEV,
            ino: self.index.map_or(2, |i| u64::from(i) + 3),
            mode: S_IFCHR | g.mode,
            nlink: 1,
            uid: g.uid,
            gid: g.gid,
            rdev: self.rdev(),
            size: 0,
            blksize: 1024,
            blocks: 0,
            atime: g.atime,
            mtime: g.mtime,
            ctime: g.ctime,
        }
    }
}

/// An open /dev/ptmx: the master end of a pty pair.
pub struct PtyMaster {
    pub tty: Arc<Tty>,
}

impl Drop for PtyMaster {
    fn drop(&mut self) {
        self.tty.master_unref();
    }
}

/// An open slave end (/dev/pts/N, /dev/tty, /dev/console).
pub struct TtySlave {
    pub tty: Arc<Tty>,
}

impl Drop for TtySlave {
    fn drop(&mut self) {
        self.tty.slaves.fetch_sub(1, Ordering::AcqRel);
        self.tty.dirty.store(true, Ordering::Release);
    }
}

impl FileOps for PtyMaster {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        self.tty.master_read(ctx, buf, file.nonblocking())
    }
    fn write(&self, ctx: &mut Ctx, file: &OpenFile, buf: &[u8]) -> Result<usize> {
        self.tty.master_write(ctx, buf, file.nonblocking())
    }
    fn poll(&self, _ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        self.tty.master_poll()
    }
    fn ioctl(&self, ctx: &mut Ctx, file: &OpenFile, cmd: u32, arg: u32) -> Result<i64> {
        ioctl::tty_ioctl(ctx, &self.tty, true, file, cmd, arg)
    }
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        // What fstat shows for an fd from /dev/ptmx: the devtmpfs node.
        Ok(Metadata {
            mode: S_IFCHR | 0o666,
            nlink: 1,
            rdev: makedev(TTYAUX_MAJOR, 2),
            blksize: 4096,
            ..Default::default()
        })
    }
    fn describe(&self) -> String {
        "/dev/ptmx".into()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl FileOps for TtySlave {
    fn read(&self, ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        self.tty.slave_read(ctx, buf, file.nonblocking())
    }
    fn write(&self, ctx: &mut Ctx, file: &OpenFile, buf: &[u8]) -> Result<usize> {
        self.tty.slave_write(ctx, buf, file.nonblocking())
    }
    fn poll(&self, _ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        self.tty.slave_poll()
    }
    fn ioctl(&self, ctx: &mut Ctx, file: &OpenFile, cmd: u32, arg: u32) -> Result<i64> {
        ioctl::tty_ioctl(ctx, &self.tty, false, file, cmd, arg)
    }
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(self.tty.slave_metadata())
    }
    fn inode(&self) -> Option<Arc<dyn Inode>> {
        self.tty.index.map(|_| Arc::new(super::devpts::PtsNode { tty: self.tty.clone() }) as Arc<dyn Inode>)
    }
    fn describe(&self) -> String {
        self.tty.name()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Whether open `flags` allow reading (a write-only open can't acquire a
/// controlling terminal).
fn reads(flags: u32) -> bool {
    matches!(flags & O_ACCMODE, O_RDONLY | O_RDWR)
}

/// Opens a slave of `tty` for the caller: checks, then the controlling
/// terminal rule of tty_open.
pub(crate) fn open_slave(ctx: &mut Ctx, tty: &Arc<Tty>, flags: u32) -> Result<Arc<TtySlave>> {
    let root = job::caller_is_root(ctx);
    tty.check_slave_open(root)?;
    let slave = tty.new_slave();
    if tty.index.is_some() {
        job::maybe_acquire(ctx, tty, flags, reads(flags) || root);
    }
    Ok(slave)
}

/// Opens device `major:minor` (see [`super::open_device`]).
pub(crate) fn open_device(ctx: &mut Ctx, major: u32, minor: u32, flags: u32) -> Result<Arc<dyn FileOps>> {
    match (major, minor) {
        (TTYAUX_MAJOR, 0) => {
            let tty = job::ctty_of(&ctx.st, ctx.pid()).ok_or(errno!(ENXIO, "no controlling terminal"))?;
            if tty.lock().hung_up {
                return_errno!(EIO, "controlling terminal hung up");
            }
            // /dev/tty never changes the controlling terminal.
            Ok(tty.new_slave())
        }
        (TTYAUX_MAJOR, 1) => {
            let tty = ctx.st.tty.console.clone().ok_or(errno!(ENXIO, "no console attached by the host"))?;
            Ok(open_slave(ctx, &tty, flags)?)
        }
        (TTYAUX_MAJOR, 2) => {
            let (uid, gid) = job::caller_ids(ctx);
            let now = Timespec::from_nanos(ctx.platform().now(crate::platform::ClockKind::Realtime));
            let tty = ctx.st.tty.new_pair(uid, gid, now)?;
            Ok(tty.new_master())
        }
        (UNIX98_PTY_SLAVE_MAJOR, n) => {
            let tty = ctx.st.tty.ptys.get(&n).cloned().ok_or(errno!(ENXIO, "no such pty"))?;
            Ok(open_slave(ctx, &tty, flags)?)
        }
        _ => Err(errno!(ENXIO, "no such tty device")),
    }
}
