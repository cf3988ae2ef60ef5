//! epoll(7): epoll_create1, epoll_ctl, epoll_pwait, epoll_pwait2.
//!
//! An epoll instance keeps its interest list keyed like Linux's, by the pair
//! (fd number, open file description). It holds the descriptions weakly:
//! epoll(7) "a file descriptor is removed from an interest list only after
//! all the file descriptors referring to the underlying open file
//! description have been closed". Readiness is computed by polling the
//! watched files on every wait (there are no wake-up callbacks; every
//! state change wakes all sleepers, who re-poll).
//!
//! Edge-triggered mode (`EPOLLET`) needs to know when a *new* event
//! happened: files that implement `FileOps::edge_generation` (pipes,
//! eventfds) are reported again only after their generation moved (or new
//! bits became ready). Other files fall back to level-triggered reporting
//! under `EPOLLET`, which can only over-report (a well-formed ET program
//! reads until `EAGAIN` and stays correct), never miss an event.
//!
//! Not done: `EPOLLEXCLUSIVE` (accepted with ADD, no effect), `EPOLLWAKEUP`
//! (ignored), ET generations for ttys and sockets.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use crate::sync::lock::Mutex;
use wasmpod_abi::fcntl::O_RDWR;
use wasmpod_abi::fs::{S_IFDIR, S_IFMT, S_IFREG};
use wasmpod_abi::poll::{
    epoll_event, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLONESHOT, EPOLL_CLOEXEC, EPOLL_CTL_ADD,
    EPOLL_CTL_DEL, EPOLL_CTL_MOD, POLLIN, POLLRDNORM,
};
use wasmpod_abi::AbiStruct;

use super::file::{FileOps, OpenFile};
use super::inode::Metadata;
use super::poll::{file_no_path, read_timeout, restore_sigmask, set_temp_sigmask};
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Linux's `EP_MAX_EVENTS`: maxevents above `INT_MAX / sizeof(struct
/// epoll_event)` is `EINVAL`.
pub const EP_MAX_EVENTS: usize = i32::MAX as usize / epoll_event::SIZE;
/// Linux's `EP_MAX_NESTS`: how deep epoll instances may watch each other.
pub const EP_MAX_NESTS: usize = 4;

type Key = (i32, usize);

struct Watch {
    file: Weak<OpenFile>,
    events: u32,
    data: u64,
    /// `EPOLLONESHOT` fired: nothing more until `EPOLL_CTL_MOD`.
    disabled: bool,
    /// `EPOLLET`: the generation and mask last reported.
    last_gen: Option<u64>,
    last_mask: u32,
}

/// An epoll instance: the `FileOps` of an epoll fd.
#[derive(Default)]
pub struct EpollFile {
    inner: Mutex<EpollState>,
}

#[derive(Default)]
struct EpollState {
    watches: BTreeMap<Key, Watch>,
    /// Where the next scan starts, so that with a small `maxevents` every
    /// ready item gets its turn (Linux rotates its ready list).
    cursor: Option<Key>,
}

/// One watch as seen during a scan.
struct Candidate {
    key: Key,
    file: Arc<OpenFile>,
    events: u32,
    data: u64,
    last_gen: Option<u64>,
    last_mask: u32,
}

impl EpollFile {
    /// The ready items, at most `max`, starting after the cursor. With
    /// `consume`, reporting updates ET/ONESHOT state and the cursor.
    fn scan(&self, ctx: &mut Ctx, max: usize, consume: bool) -> Vec<(u32, u64)> {
        let cands: Vec<Candidate> = {
            let mut s = self.inner.lock();
            s.watches.retain(|_, w| w.file.strong_count() > 0);
            let start = s.cursor;
            let mut order: Vec<(&Key, &Watch)> = s.watches.iter().collect();
            if let Some(c) = start {
                let split = order.iter().position(|(k, _)| **k > c).unwrap_or(order.len());
                order.rotate_left(split);
            }
            order
                .into_iter()
                .filter(|(_, w)| !w.disabled)
                .filter_map(|(k, w)| {
                    Some(Candidate {
                        key: *k,
                        file: w.file.upgrade()?,
                        events: w.events,
                        data: w.data,
                        last_gen: w.last_gen,
                        last_mask: w.last_mask,
                    })
                })
                .collect()
        };
        let mut out = Vec::new();
        for c in cands {
            if out.len() >= max {
                break;
            }
            let mask = u32::from(c.file.ops.poll(ctx, &c.file)) & (c.events | EPOLLERR | EPOLLHUP);
            if mask == 0 {
                continue;
            }
            let gen = if c.events & EPOLLET != 0 { c.file.ops.edge_generation(c.events) } else { None };
            if c.events & EPOLLET != 0 && gen.is_some() && gen == c.last_gen && mask & !c.last_mask == 0 {
                continue;
            }
            out.push((mask, c.data));
            if consume {
                let mut s = self.inner.lock();
                if let Some(w) = s.watches.get_mut(&c.key) {
                    if c.events & EPOLLONESHOT != 0 {
                        w.disabled = true;
                    }
                    if c.events & EPOLLET != 0 {
                        w.last_gen = gen;
                        w.last_mask = mask;
                    }
                }
                s.cursor = Some(c.key);
            }
        }
        out
    }

    /// Whether `target` (an epoll description) is reachable from this
    /// instance's watches within `depth` levels (ELOOP detection).
    fn reaches(&self, target: &Arc<OpenFile>, depth: usize) -> bool {
        if depth > EP_MAX_NESTS {
            return true;
        }
        let files: Vec<Arc<OpenFile>> = self.inner.lock().watches.values().filter_map(|w| w.file.upgrade()).collect();
        files.iter().any(|f| match f.ops.as_any().downcast_ref::<EpollFile>() {
            Some(inner) => Arc::ptr_eq(f, target) || inner.reaches(target, depth + 1),
            None => false,
        })
    }
}

impl FileOps for EpollFile {
    /// epoll(7): "The epoll file descriptor itself is pollable": readable
    /// when a wait would report something.
    fn poll(&self, ctx: &mut Ctx, _file: &OpenFile) -> u16 {
        if self.scan(ctx, 1, false).is_empty() {
            0
        } else {
            POLLIN | POLLRDNORM
        }
    }

    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(super::eventfd::anon_inode_metadata())
    }

    fn describe(&self) -> String {
        "anon_inode:[eventpoll]".into()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Implements epoll_create1(2): `(flags)`; only `EPOLL_CLOEXEC`.
pub fn sys_epoll_create1(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(0);
    if flags & !EPOLL_CLOEXEC != 0 {
        return_errno!(EINVAL, "epoll_create1: unknown flags");
    }
    let file = OpenFile::new(Arc::new(EpollFile::default()), O_RDWR);
    let limit = super::dup::nofile_limit(ctx);
    ctx.process_mut().files.alloc(file, flags & EPOLL_CLOEXEC != 0, 0, limit).map(i64::from)
}

/// Implements epoll_ctl(2): `(epfd, op, fd, event)`. epoll_ctl(2):
/// `EEXIST` adding a watched fd, `ENOENT` modifying or deleting an
/// unwatched one, `EINVAL` if epfd is not an epoll fd or fd is epfd itself,
/// `EPERM` if fd does not support poll (regular files, directories),
/// `ELOOP` for watch cycles between epoll instances.
pub fn sys_epoll_ctl(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (epfd, op, fd, evp) = (a.fd(0), a.u32(1), a.fd(2), a.ptr(3));
    let ev: Option<epoll_event> = if op == EPOLL_CTL_DEL { None } else { Some(ctx.read_struct(evp)?) };
    let ep_file = file_no_path(ctx, epfd)?;
    let target = file_no_path(ctx, fd)?;
    let kind = target.ops.metadata(ctx)?.mode & S_IFMT;
    if kind == S_IFREG || kind == S_IFDIR {
        return_errno!(EPERM, "epoll_ctl: file does not support poll");
    }
    let Some(ep) = ep_file.ops.as_any().downcast_ref::<EpollFile>() else {
        return_errno!(EINVAL, "epoll_ctl: epfd is not an epoll fd");
    };
    if Arc::ptr_eq(&ep_file, &target) {
        return_errno!(EINVAL, "epoll_ctl: an epoll fd can't watch itself");
    }
    let key = (fd, Arc::as_ptr(&target) as usize);
    match op {
        EPOLL_CTL_ADD => {
            let ev = ev.unwrap_or_default();
            if ep.inner.lock().watches.get(&key).is_some_and(|w| w.file.strong_count() > 0) {
                return_errno!(EEXIST, "epoll_ctl: fd already watched");
            }
            if let Some(inner) = target.ops.as_any().downcast_ref::<EpollFile>() {
                if inner.reaches(&ep_file, 1) {
                    return_errno!(ELOOP, "epoll_ctl: watch cycle between epoll instances");
                }
            }
            let w = Watch {
                file: Arc::downgrade(&target),
                events: ev.events | EPOLLERR | EPOLLHUP,
                data: ev.data,
                disabled: false,
                last_gen: None,
                last_mask: 0,
            };
            ep.inner.lock().watches.insert(key, w);
        }
        EPOLL_CTL_MOD => {
            let ev = ev.unwrap_or_default();
            if ev.events & EPOLLEXCLUSIVE != 0 {
                return_errno!(EINVAL, "epoll_ctl: EPOLLEXCLUSIVE with EPOLL_CTL_MOD");
            }
            let mut s = ep.inner.lock();
            let Some(w) = s.watches.get_mut(&key) else { return_errno!(ENOENT, "epoll_ctl: fd not watched") };
            w.events = ev.events | EPOLLERR | EPOLLHUP;
            w.data = ev.data;
            w.disabled = false;
            w.last_gen = None;
            w.last_mask = 0;
        }
        EPOLL_CTL_DEL => {
            if ep.inner.lock().watches.remove(&key).is_none() {
                return_errno!(ENOENT, "epoll_ctl: fd not watched");
            }
        }
        _ => return_errno!(EINVAL, "epoll_ctl: unknown op"),
    }
    ctx.notify();
    Ok(0)
}

/// The shared body of epoll_pwait and epoll_pwait2. epoll_wait(2): `EINVAL`
/// for maxevents ≤ 0 or a non-epoll fd, `EFAULT` for an unwritable event
/// buffer; interrupted waits return `EINTR` and are never restarted
/// (signal(7) lists epoll_wait among the calls never restarted).
fn do_epoll_wait(
    ctx: &mut Ctx,
    epfd: i32,
    events: u32,
    maxevents: i32,
    deadline: Option<u64>,
    mask: u32,
    masksize: usize,
) -> Result<i64> {
    if maxevents <= 0 || maxevents as usize > EP_MAX_EVENTS {
        return_errno!(EINVAL, "epoll_wait: bad maxevents");
    }
    let max = maxevents as usize;
    if u64::from(events).saturating_add((max * epoll_event::SIZE) as u64) > ctx.mem.size() {
        return_errno!(EFAULT, "epoll_wait: event buffer outside memory");
    }
    let ep_file = file_no_path(ctx, epfd)?;
    let Some(ep) = ep_file.ops.as_any().downcast_ref::<EpollFile>() else {
        return_errno!(EINVAL, "epoll_wait: not an epoll fd");
    };
    let zero = deadline.is_some_and(|d| d <= ctx.now());
    let old = set_temp_sigmask(ctx, mask, masksize)?;
    let r = ctx.wait_until(deadline, Restart::No, |ctx| {
        let ready = ep.scan(ctx, max, true);
        Ok((!ready.is_empty() || zero).then_some(ready))
    });
    let r = restore_sigmask(ctx, old, r);
    let ready = match r {
        Ok(v) => v,
        Err(e) if super::poll::is_timeout(&e) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut out = vec![0u8; ready.len() * epoll_event::SIZE];
    for ((ev, data), chunk) in ready.iter().zip(out.chunks_exact_mut(epoll_event::SIZE)) {
        epoll_event { events: *ev, data: *data }.encode(chunk);
    }
    ctx.write_user(events, &out)?;
    Ok(ready.len() as i64)
}

/// Implements epoll_pwait(2): `(epfd, events, maxevents, timeout_ms,
/// sigmask, sigsetsize)`; a negative timeout waits forever.
pub fn sys_epoll_pwait(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let timeout = a.i32(3);
    let deadline = if timeout < 0 { None } else { Some(ctx.now().saturating_add(timeout as u64 * 1_000_000)) };
    do_epoll_wait(ctx, a.fd(0), a.ptr(1), a.i32(2), deadline, a.ptr(4), a.usize(5))
}

/// Implements epoll_pwait2(2): `(epfd, events, maxevents, timeout
/// (struct timespec *, NULL = forever), sigmask, sigsetsize)`.
pub fn sys_epoll_pwait2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let deadline = read_timeout(ctx, a.ptr(3))?;
    do_epoll_wait(ctx, a.fd(0), a.ptr(1), a.i32(2), deadline, a.ptr(4), a.usize(5))
}

#[cfg(test)]
#[path = "epoll_tests.rs"]
mod tests;
