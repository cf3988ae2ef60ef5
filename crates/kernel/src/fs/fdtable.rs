//! The file descriptor table (analogous to Linux's `files_struct`).

use std::sync::Arc;

use super::file::OpenFile;
use crate::errno;
use crate::error::Result;

/// One slot: the description and the fd's own flag.
#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

/// The fds of a process. Cloning gives the copy a vfork/spawn child gets:
/// same open file descriptions, independent table.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

impl FdTable {
    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>> {
        self.entry(fd).map(|e| e.file.clone())
    }

    pub fn entry(&self, fd: i32) -> Result<&FdEntry> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i))
            .and_then(|s| s.as_ref())
            .ok_or(errno!(EBADF, "bad file descriptor"))
    }

    pub fn entry_mut(&mut self, fd: i32) -> Result<&mut FdEntry> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .and_then(|s| s.as_mut())
            .ok_or(errno!(EBADF, "bad file descriptor"))
    }

    /// Installs `file` at the lowest free fd `>= min_fd` below `limit`
    /// (RLIMIT_NOFILE): open(2) "returns the lowest-numbered file descriptor
    /// not currently open". `EMFILE` when none is free.
    pub fn alloc(&mut self, file: Arc<OpenFile>, cloexec: bool, min_fd: usize, limit: u64) -> Result<i32> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(i32::MAX as usize);
        let mut fd = min_fd;
        while fd < self.slots.len() && self.slots[fd].is_some() {
            fd += 1;
        }
        if fd >= limit {
            return Err(errno!(EMFILE, "no free file descriptor"));
        }
        self.put(fd, FdEntry { file, cloexec });
        Ok(fd as i32)
    }

    /// Installs at exactly `fd` (dup2/dup3), returning what was there.
    pub fn install(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) -> Option<FdEntry> {
        let old = self.slots.get_mut(fd).and_then(|s| s.take());
        self.put(fd, FdEntry { file, cloexec });
        old
    }

    fn put(&mut self, fd: usize, e: FdEntry) {
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(e);
    }

    /// Removes `fd` (close).
    pub fn remove(&mut self, fd: i32) -> Result<FdEntry> {
        let i = usize::try_from(fd).map_err(|_| errno!(EBADF, "bad file descriptor"))?;
        let e = self.slots.get_mut(i).and_then(|s| s.take()).ok_or(errno!(EBADF, "bad file descriptor"))?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(e)
    }

    /// Drops every fd marked close-on-exec (execve), returning them so the
    /// caller can finish closing (locks, notifications).
    pub fn close_on_exec(&mut self) -> Vec<FdEntry> {
        let mut closed = Vec::new();
        for s in self.slots.iter_mut() {
            if s.as_ref().is_some_and(|e| e.cloexec) {
                closed.extend(s.take());
            }
        }
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        closed
    }

    /// Removes every fd (exit).
    pub fn clear(&mut self) -> Vec<FdEntry> {
        self.slots.drain(..).flatten().collect()
    }

    /// `(fd, entry)` for every open fd, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &FdEntry)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|e| (i as i32, e)))
    }

    /// Number of open fds.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// One past the highest open fd.
    pub fn end(&self) -> usize {
        self.slots.len()
    }
}
