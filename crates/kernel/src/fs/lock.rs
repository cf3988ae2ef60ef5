//! Advisory file locks: POSIX record locks (fcntl `F_GETLK`/`F_SETLK`/
//! `F_SETLKW`, owned by a process) and BSD locks (flock(2), owned by an open
//! file description), plus the per-description fcntl settings
//! `F_SETOWN`/`F_SETSIG` (stored only: no SIGIO is sent yet).
//!
//! Files are identified by their inode's `(dev, ino)` (from
//! `FileOps::metadata`, which for VFS files is the inode's), so locks taken
//! through different opens of one file meet. As in Linux, the two kinds of
//! locks don't interact.
//!
//! Open file description locks (`F_OFD_*`) share the record-lock table:
//! their owner is the description (fcntl(2): "conflicting lock
//! combinations ... are the same as for traditional record locks"), they
//! are released when the description's last fd closes, and `F_OFD_GETLK`
//! reports `l_pid` -1.
//!
//! Not done: mandatory locking, leases, deadlock detection beyond chains
//! of waiting processes (none for OFD locks, as in Linux).

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use wasmpod_abi::fcntl::{
    flock, F_RDLCK, F_UNLCK, F_WRLCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, SEEK_CUR, SEEK_END, SEEK_SET,
};

use super::file::OpenFile;
use crate::error::{Restart, Result};
use crate::kernel::Ctx;
use crate::process::Pid;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// A file's identity: `(dev, ino)`.
pub type FileKey = (u64, u64);

/// Who owns a record lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockOwner {
    /// A traditional POSIX lock of a process.
    Process(Pid),
    /// An OFD lock: the address of the open file description (its liveness
    /// is tracked in `LockGlobal::ofds`).
    Ofd(usize),
}

/// One record lock: bytes `start..=end` (`end == u64::MAX`: to the end of
/// the file however it grows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock {
    pub owner: LockOwner,
    pub start: u64,
    pub end: u64,
    pub write: bool,
}

impl RecordLock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }
}

/// A request a process is blocked on in `F_SETLKW` (for deadlock detection).
#[derive(Clone, Copy, Debug)]
struct Waiting {
    key: FileKey,
    start: u64,
    end: u64,
    write: bool,
}

/// One flock lock, owned by an open file description (dead when the
/// description is gone: released on its last close).
struct FlockLock {
    owner: Weak<OpenFile>,
    exclusive: bool,
}

/// `F_SETOWN`/`F_SETSIG` of a description.
struct DescSettings {
    file: Weak<OpenFile>,
    owner: i32,
    sig: i32,
}

/// Every lock in the system.
#[derive(Default)]
pub struct LockGlobal {
    posix: HashMap<FileKey, Vec<RecordLock>>,
    waiting: HashMap<Pid, Waiting>,
    /// Descriptions owning OFD locks, to drop their locks once they die.
    ofds: HashMap<usize, Weak<OpenFile>>,
    flocks: HashMap<FileKey, Vec<FlockLock>>,
    settings: Vec<DescSettings>,
}

impl LockGlobal {
    /// Drops the OFD locks of descriptions that no longer exist (before an
    /// address could be reused by a new description). True if any went.
    fn purge_dead_ofds(&mut self) -> bool {
        let dead: Vec<usize> = self.ofds.iter().filter(|(_, w)| w.strong_count() == 0).map(|(k, _)| *k).collect();
        if dead.is_empty() {
            return false;
        }
        for d in &dead {
            self.ofds.remove(d);
        }
        self.posix.retain(|_, v| {
            v.retain(|l| !matches!(l.owner, LockOwner::Ofd(a) if dead.contains(&a)));
            !v.is_empty()
        });
        true
    }

    fn first_conflict(&self, key: FileKey, me: LockOwner, start: u64, end: u64, write: bool) -> Option<RecordLock> {
        self.posix.get(&key)?.iter().find(|l| l.owner != me && l.overlaps(start, end) && (write || l.write)).copied()
    }

    /// Whether `me` waiting for a lock held by `holder` would close a cycle
    /// of waiting processes (fcntl(2) EDEADLK).
    fn would_deadlock(&self, me: Pid, holder: Pid) -> bool {
        let mut cur = holder;
        for _ in 0..64 {
            if cur == me {
                return true;
            }
            let Some(w) = self.waiting.get(&cur) else { return false };
            match self.first_conflict(w.key, LockOwner::Process(cur), w.start, w.end, w.write) {
                Some(RecordLock { owner: LockOwner::Process(p), .. }) => cur = p,
                _ => return false,
            }
        }
        false
    }

    /// Removes `owner`'s locks on `start..=end`, splitting those that stick
    /// out.
    fn unlock_range(&mut self, key: FileKey, owner: LockOwner, start: u64, end: u64) {
        let Some(list) = self.posix.get_mut(&key) else { return };
        let mut out = Vec::with_capacity(list.len() + 1);
        for l in list.drain(..) {
            if l.owner != owner || !l.overlaps(start, end) {
                out.push(l);
                continue;
            }
            if l.start < start {
                out.push(RecordLock { end: start - 1, ..l });
            }
            if l.end > end {
                out.push(RecordLock { start: end + 1, ..l });
            }
        }
        *list = out;
        if list.is_empty() {
            self.posix.remove(&key);
        }
    }

    /// Sets `owner`'s lock on `start..=end` (after the conflict check):
    /// replaces what it had there, then merges touching locks of the same
    /// type.
    fn apply(&mut self, key: FileKey, owner: LockOwner, start: u64, end: u64, write: bool) {
        self.unlock_range(key, owner, start, end);
        let list = self.posix.entry(key).or_default();
        let mut new = RecordLock { owner, start, end, write };
        list.retain(|l| {
            let touches = l.start <= new.end.saturating_add(1) && new.start <= l.end.saturating_add(1);
            if l.owner == owner && l.write == write && touches {
                new.start = new.start.min(l.start);
                new.end = new.end.max(l.end);
                false
            } else {
                true
            }
        });
        list.push(new);
        list.sort_by_key(|l| (l.start, l.owner));
    }

    /// Drops every record lock of `owner` on `key`; true if any was held.
    fn release_all(&mut self, key: FileKey, owner: LockOwner) -> bool {
        let Some(list) = self.posix.get_mut(&key) else { return false };
        let before = list.len();
        list.retain(|l| l.owner != owner);
        let changed = list.len() != before;
        if list.is_empty() {
            self.posix.remove(&key);
        }
        changed
    }

    /// Whether `owner` holds any record lock at all.
    fn holds_any(&self, owner: LockOwner) -> bool {
        self.posix.values().any(|v| v.iter().any(|l| l.owner == owner))
    }

    /// The record locks on `key`, in start order (for /proc/locks and tests).
    pub fn record_locks(&self, key: FileKey) -> Vec<RecordLock> {
        self.posix.get(&key).cloned().unwrap_or_default()
    }

    /// Releases every record lock of a process (exit). The exit path calls
    /// [`crate::fs::close_hook`] for each fd, which already does this; this
    /// is the catch-all for a process that held locks through a file it no
    /// longer has an fd for.
    pub fn process_exited(&mut self, pid: Pid) {
        self.posix.retain(|_, v| {
            v.retain(|l| l.owner != LockOwner::Process(pid));
            !v.is_empty()
        });
        self.waiting.remove(&pid);
    }

    fn settings_mut(&mut self, file: &Arc<OpenFile>) -> &mut DescSettings {
        self.settings.retain(|s| s.file.strong_count() > 0);
        let i = match self.settings.iter().position(|s| std::ptr::eq(s.file.as_ptr(), Arc::as_ptr(file))) {
            Some(i) => i,
            None => {
                self.settings.push(DescSettings { file: Arc::downgrade(file), owner: 0, sig: 0 });
                self.settings.len() - 1
            }
        };
        &mut self.settings[i]
    }

    fn settings(&self, file: &Arc<OpenFile>) -> Option<&DescSettings> {
        self.settings.iter().find(|s| std::ptr::eq(s.file.as_ptr(), Arc::as_ptr(file)))
    }

    /// `F_GETOWN`.
    pub fn owner(&self, file: &Arc<OpenFile>) -> i32 {
        self.settings(file).map_or(0, |s| s.owner)
    }
    /// `F_SETOWN` (stored only).
    pub fn set_owner(&mut self, file: &Arc<OpenFile>, owner: i32) {
        self.settings_mut(file).owner = owner;
    }
    /// `F_GETSIG`.
    pub fn sig(&self, file: &Arc<OpenFile>) -> i32 {
        self.settings(file).map_or(0, |s| s.sig)
    }
    /// `F_SETSIG` (stored only).
    pub fn set_sig(&mut self, file: &Arc<OpenFile>, sig: i32) {
        self.settings_mut(file).sig = sig;
    }
}

/// The `(dev, ino)` of an open file.
pub fn file_key(ctx: &mut Ctx, file: &OpenFile) -> Result<FileKey> {
    let md = file.ops.metadata(ctx)?;
    Ok((md.dev, md.ino))
}

/// Called for every fd a process closes (through [`crate::fs::close_hook`]):
/// fcntl(2): "If a process closes any file descriptor referring to a file,
/// then all of the process's locks on that file are released, regardless of
/// the file descriptor(s) on which the locks were obtained."
pub fn release_posix_on_close(ctx: &mut Ctx, file: &Arc<OpenFile>) {
    let owner = LockOwner::Process(ctx.pid());
    if !ctx.st.fs.locks.holds_any(owner) {
        return;
    }
    if let Ok(key) = file_key(ctx, file) {
        if ctx.st.fs.locks.release_all(key, owner) {
            ctx.notify();
        }
    }
}

/// The byte range of a `struct flock` as `start..=end`, resolving
/// `l_whence` (fcntl(2): `l_len` 0 means "to the end of the file", negative
/// means the bytes before `l_start`). `EINVAL` for a bad whence or a range
/// starting before 0, `EOVERFLOW` past the largest offset.
pub fn flock_range(ctx: &mut Ctx, file: &OpenFile, fl: &flock) -> Result<(u64, u64)> {
    let base: i64 = match u32::try_from(fl.l_whence).unwrap_or(u32::MAX) {
        SEEK_SET => 0,
        SEEK_CUR => i64::try_from(file.pos()).map_err(|_| errno!(EOVERFLOW, "offset too large"))?,
        SEEK_END => {
            let size = file.ops.metadata(ctx)?.size;
            i64::try_from(size).map_err(|_| errno!(EOVERFLOW, "size too large"))?
        }
        _ => return_errno!(EINVAL, "flock: bad l_whence"),
    };
    let start = base.checked_add(fl.l_start).ok_or(errno!(EOVERFLOW, "flock: l_start overflows"))?;
    if start < 0 {
        return_errno!(EINVAL, "flock: range starts before 0");
    }
    let (s, e) = match fl.l_len {
        0 => (start, i64::MAX),
        len if len > 0 => {
            let end = start.checked_add(len - 1).ok_or(errno!(EOVERFLOW, "flock: range overflows"))?;
            (start, end)
        }
        len => {
            let s = start.checked_add(len).ok_or(errno!(EINVAL, "flock: range starts before 0"))?;
            if s < 0 {
                return_errno!(EINVAL, "flock: range starts before 0");
            }
            (s, start - 1)
        }
    };
    let end = if e == i64::MAX { u64::MAX } else { e as u64 };
    Ok((s as u64, end))
}

/// The owner of a request: the calling process, or for the `F_OFD_*`
/// commands the description (fcntl(2): `l_pid` must be 0 there, `EINVAL`).
fn request_owner(ctx: &mut Ctx, file: &Arc<OpenFile>, fl: &flock, ofd: bool) -> Result<LockOwner> {
    if !ofd {
        return Ok(LockOwner::Process(ctx.pid()));
    }
    if fl.l_pid != 0 {
        return_errno!(EINVAL, "OFD lock: l_pid must be 0");
    }
    let addr = Arc::as_ptr(file) as usize;
    let locks = &mut ctx.st.fs.locks;
    locks.purge_dead_ofds();
    locks.ofds.entry(addr).or_insert_with(|| Arc::downgrade(file));
    Ok(LockOwner::Ofd(addr))
}

/// `F_GETLK`/`F_OFD_GETLK`: fcntl(2): "If the lock could be placed, fcntl()
/// does not actually place it, but returns F_UNLCK in the l_type field of
/// lock and leaves the other fields of the structure unchanged"; otherwise
/// it describes one conflicting lock, with `l_pid` its owner (-1 for an
/// OFD lock).
pub fn fcntl_getlk(ctx: &mut Ctx, file: &Arc<OpenFile>, arg: u32, ofd: bool) -> Result<i64> {
    let mut fl: flock = ctx.read_struct(arg)?;
    let write = match fl.l_type {
        F_RDLCK => false,
        F_WRLCK => true,
        _ => return_errno!(EINVAL, "F_GETLK: l_type must be F_RDLCK or F_WRLCK"),
    };
    let (start, end) = flock_range(ctx, file, &fl)?;
    let key = file_key(ctx, file)?;
    let me = request_owner(ctx, file, &fl, ofd)?;
    ctx.st.fs.locks.purge_dead_ofds();
    match ctx.st.fs.locks.first_conflict(key, me, start, end, write) {
        None => fl.l_type = F_UNLCK,
        Some(l) => {
            fl.l_type = if l.write { F_WRLCK } else { F_RDLCK };
            fl.l_whence = SEEK_SET as i16;
            fl.l_start = l.start as i64;
            fl.l_len = if l.end == u64::MAX { 0 } else { (l.end - l.start + 1) as i64 };
            fl.l_pid = match l.owner {
                LockOwner::Process(p) => p,
                LockOwner::Ofd(_) => -1,
            };
        }
    }
    ctx.write_struct(arg, &fl)?;
    Ok(0)
}

/// `F_SETLK`/`F_SETLKW` (and their `F_OFD_*` forms): takes, changes or
/// releases a record lock. Conflicts with other owners' locks: `EAGAIN`
/// for `F_SETLK`; `F_SETLKW` waits (`EINTR` on a signal, `EDEADLK` if a
/// process would close a cycle of waiting processes). fcntl(2): `EBADF` if
/// the file is not open for reading (read lock) or writing (write lock).
pub fn fcntl_setlk(ctx: &mut Ctx, file: &Arc<OpenFile>, wait: bool, arg: u32, ofd: bool) -> Result<i64> {
    let fl: flock = ctx.read_struct(arg)?;
    let write = match fl.l_type {
        F_RDLCK if !file.readable() => return_errno!(EBADF, "read lock on a file not open for reading"),
        F_WRLCK if !file.writable() => return_errno!(EBADF, "write lock on a file not open for writing"),
        F_RDLCK => Some(false),
        F_WRLCK => Some(true),
        F_UNLCK => None,
        _ => return_errno!(EINVAL, "F_SETLK: bad l_type"),
    };
    let (start, end) = flock_range(ctx, file, &fl)?;
    let key = file_key(ctx, file)?;
    let me = request_owner(ctx, file, &fl, ofd)?;
    let pid = ctx.pid();
    let Some(write) = write else {
        ctx.st.fs.locks.unlock_range(key, me, start, end);
        ctx.notify();
        return Ok(0);
    };
    let r = ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
        let locks = &mut ctx.st.fs.locks;
        locks.purge_dead_ofds();
        match locks.first_conflict(key, me, start, end, write) {
            None => {
                locks.waiting.remove(&pid);
                locks.apply(key, me, start, end, write);
                ctx.notify();
                Ok(Some(()))
            }
            Some(_) if !wait => return_errno!(EAGAIN, "conflicting record lock"),
            Some(l) => {
                if let (LockOwner::Process(_), LockOwner::Process(holder)) = (me, l.owner) {
                    if locks.would_deadlock(pid, holder) {
                        locks.waiting.remove(&pid);
                        return_errno!(EDEADLK, "record lock wait would deadlock");
                    }
                    locks.waiting.insert(pid, Waiting { key, start, end, write });
                }
                Ok(None)
            }
        }
    });
    if r.is_err() {
        ctx.st.fs.locks.waiting.remove(&pid);
    }
    r.map(|()| 0)
}

/// Implements flock(2): `(fd, operation)`. Locks belong to the open file
/// description: fds made by dup share them, and they are released when the
/// description's last fd closes. flock(2): "A call to flock() may block if
/// an incompatible lock is held by another process" (`EWOULDBLOCK` with
/// `LOCK_NB`); "Converting a lock (shared to exclusive, or vice versa) is not
/// guaranteed to be atomic: the existing lock is first removed, and then a
/// new lock is established" (as in Linux, a failed conversion loses the old
/// lock).
pub fn sys_flock(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, op) = (a.fd(0), a.u32(1));
    let file = ctx.file(fd)?;
    if file.is_path_only() {
        return_errno!(EBADF, "flock on an O_PATH fd");
    }
    let nb = op & LOCK_NB != 0;
    let exclusive = match op & !LOCK_NB {
        LOCK_SH => Some(false),
        LOCK_EX => Some(true),
        LOCK_UN => None,
        _ => return_errno!(EINVAL, "flock: bad operation"),
    };
    let key = file_key(ctx, &file)?;
    let me = Arc::as_ptr(&file);
    let mine = |l: &FlockLock| std::ptr::eq(l.owner.as_ptr(), me);
    {
        let list = ctx.st.fs.locks.flocks.entry(key).or_default();
        list.retain(|l| l.owner.strong_count() > 0);
        if let Some(i) = list.iter().position(mine) {
            if Some(list[i].exclusive) == exclusive {
                return Ok(0);
            }
            list.remove(i);
            ctx.notify();
        }
    }
    let Some(exclusive) = exclusive else {
        if ctx.st.fs.locks.flocks.get(&key).is_some_and(|l| l.is_empty()) {
            ctx.st.fs.locks.flocks.remove(&key);
        }
        return Ok(0);
    };
    ctx.wait_until(None, Restart::IfSaRestart, |ctx| {
        let list = ctx.st.fs.locks.flocks.entry(key).or_default();
        list.retain(|l| l.owner.strong_count() > 0);
        let conflict = list.iter().any(|l| !mine(l) && (exclusive || l.exclusive));
        if !conflict {
            list.push(FlockLock { owner: Arc::downgrade(&file), exclusive });
            return Ok(Some(0));
        }
        if nb {
            return_errno!(EWOULDBLOCK, "flock: conflicting lock");
        }
        Ok(None)
    })
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
