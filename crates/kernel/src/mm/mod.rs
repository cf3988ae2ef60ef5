//! Memory: the program break and mmap regions inside a process's wasm
//! linear memory (brk(2), mmap(2), munmap(2), mremap(2), mprotect(2),
//! madvise(2), msync(2), mlock(2), mincore(2)).
//!
//! # The model
//! A process's memory is one wasm linear memory that only grows
//! ([`UserMemory::grow_to`](crate::UserMemory::grow_to)); nothing can be
//! given back to the host. [`MemoryMap`] (analogous to Linux's `mm_struct`)
//! is bookkeeping over that memory at 4 KiB granularity
//! ([`PAGE_SIZE`]):
//!
//! ```text
//! 0 ........ initial break ........ break ... mmap regions and holes ... memory size ... max
//! [toolchain: data, stack] [brk heap ]        (first fit above the break; grows memory at the top)
//! ```
//!
//! - Everything below the *initial break* is the toolchain's business (data
//!   segment, shadow stack, the first 64 KiB): no mapping is ever placed
//!   there without `MAP_FIXED`, and `MAP_FIXED` there is `EPERM` (Linux's
//!   answer below `mmap_min_addr`).
//! - The initial break is set by the host at process start with
//!   [`MemoryMap::init`]`(heap_base, mem_size)` (`heap_base` = the module's
//!   `__heap_base` rounded up). A process whose host never called `init`
//!   gets, at its first memory call, the memory size at that moment as its
//!   initial break: safe for any layout, at the cost of not reusing memory
//!   between `__heap_base` and the initial memory size.
//! - `brk` grows the heap through `grow_to`; shrinking is accepted (the
//!   memory stays, and is zeroed again when the break grows back over it);
//!   failure returns the old break (Linux semantics, no errno). The break
//!   can't grow into a mapping.
//! - mmap places a mapping without `MAP_FIXED` at the hint if it is free,
//!   else at the lowest free range above the break (so memory freed by
//!   munmap is reused first), else at the top, growing the memory.
//!   Reused memory is zeroed when handed out again: memory at and above a
//!   "clean" watermark (the highest address ever handed out) is still
//!   zero from the host and is not touched.
//! - The last 4 KiB page of the 4 GiB space is never mapped, so that no
//!   returned address looks like `-errno` to a 32-bit caller.
//!
//! # What mappings support
//! - Anonymous private mappings: zero-filled memory. `MADV_DONTNEED` zeroes
//!   them again (Linux semantics).
//! - `MAP_SHARED | MAP_ANONYMOUS`: ordinary memory of this process. Threads
//!   and a vfork child share it (they run on the same memory); sharing
//!   with any other process is impossible, since every process has its own
//!   wasm memory.
//! - Private file mappings: the file's bytes are *copied* into the region
//!   at map time through the fd's [`FileOps::read_at`](crate::fs::FileOps::read_at);
//!   bytes past the end of the file read as zero. Later changes to the file
//!   are not seen (Linux leaves this unspecified for private mappings).
//!   `MADV_DONTNEED` re-reads the file.
//! - `MAP_SHARED` file mappings are copies too, made at map time. Stores
//!   into the region reach the file only when the process calls
//!   `msync(MS_SYNC or MS_ASYNC)` over them, or unmaps them (munmap, a
//!   `MAP_FIXED` or `MREMAP_FIXED` mapping over them): then the whole
//!   range (clipped to the file's size at that moment: a mapping never
//!   extends the file) is written back with `FileOps::write_at`. There is no
//!   dirty tracking, so write-back rewrites unchanged bytes too, and may
//!   overwrite what `write(2)` put into the same range after the mapping
//!   was made. At exit and exec the same write-back happens if the
//!   process code calls [`exit_mm`] (the hook for it). Nothing flows the
//!   other way: `write(2)` to the file and other mappings of the same file
//!   are not seen by an existing mapping. `MS_INVALIDATE` is accepted and
//!   does nothing.
//! - `/dev/zero` mappings behave as anonymous ones. Other non-regular
//!   files are `ENODEV`.
//! - The 6th mmap argument is an offset in 4096-byte units (mmap2(2)
//!   semantics, as the asm-generic `mmap` on 32-bit targets); musl passes
//!   `off / 4096`.
//! - Protections are recorded (for `/proc/<pid>/maps`) but not enforced:
//!   wasm memory is always readable and writable. Locks (`mlock`) are
//!   accepted and recorded; everything is always resident (`mincore`).
//!
//! # Who owns the map
//! Threads share their process's map. A vfork child runs on its parent's
//! memory until execve/_exit (ARCHITECTURE §4), like Linux's `CLONE_VM`:
//! its memory calls act on the parent's map ([`mm_owner`]), and mappings
//! it makes stay in the parent after it execs or exits, exactly as in
//! Linux. Process exit and execve (which gives the process fresh memory)
//! call [`exit_mm`] while the old memory is still there; the host calls
//! [`init_memory`] for the new image.

mod brk;
mod madvise;
mod mincore;
mod mlock;
mod mmap;
mod mprotect;
mod mremap;
mod msync;

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmpod_abi::mman::{PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use wasmpod_abi::syscalls::*;

use crate::error::Result;
use crate::fs::OpenFile;
use crate::kernel::{Ctx, State};
use crate::process::{Pid, Tid};
use crate::syscall::{nosys, partial, sup, Entry};
use crate::{errno, return_errno};

/// The page size as a 64-bit value (all region arithmetic is 64-bit so that
/// the end of the 4 GiB space is representable).
pub const PAGE: u64 = PAGE_SIZE as u64;
/// The end of the mappable space: 4 GiB minus one page, so no mapping
/// address is in the `-4095..-1` error range of a 32-bit return value.
pub const MMAP_END: u64 = (1 << 32) - PAGE;

/// Rounds up to a whole page (no overflow: inputs are below 2^33).
pub const fn page_up(x: u64) -> u64 {
    x.div_ceil(PAGE) * PAGE
}

/// What a region's bytes come from.
#[derive(Clone)]
pub enum Backing {
    Anonymous,
    File(FileBacking),
}

/// A file mapping's source.
#[derive(Clone)]
pub struct FileBacking {
    /// The open file description (kept for msync write-back).
    pub file: Arc<OpenFile>,
    /// Byte offset in the file of the region's first byte.
    pub offset: u64,
    pub dev: u64,
    pub ino: u64,
    /// What `/proc/<pid>/maps` names the mapping by.
    pub path: Vec<u8>,
}

/// One mapping (Linux's `vm_area_struct`): `[start, end)`, page aligned.
#[derive(Clone)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    /// `PROT_*` bits (recorded, not enforced).
    pub prot: u32,
    pub shared: bool,
    /// mlock'ed (recorded only).
    pub locked: bool,
    pub backing: Backing,
}

impl Region {
    /// The part of this region in `[a, b)` (which must intersect it), with
    /// the file offset moved along.
    fn slice(&self, a: u64, b: u64) -> Region {
        let start = self.start.max(a);
        let end = self.end.min(b);
        let mut r = self.clone();
        r.start = start;
        r.end = end;
        if let Backing::File(f) = &mut r.backing {
            f.offset += start - self.start;
        }
        r
    }

    /// The `rwxp`/`rwxs` column of `/proc/<pid>/maps`.
    pub fn perms(&self) -> String {
        let mut s = String::with_capacity(4);
        s.push(if self.prot & PROT_READ != 0 { 'r' } else { '-' });
        s.push(if self.prot & PROT_WRITE != 0 { 'w' } else { '-' });
        s.push(if self.prot & PROT_EXEC != 0 { 'x' } else { '-' });
        s.push(if self.shared { 's' } else { 'p' });
        s
    }
}

/// A process's memory bookkeeping (analogous to Linux's `mm_struct`). See
/// the module docs for the layout and what is supported.
#[derive(Clone, Default)]
pub struct MemoryMap {
    inited: bool,
    /// The initial break: nothing below it is handed out.
    heap_base: u64,
    brk: u64,
    /// Memory at and above this address was never handed out (still zero
    /// from the host).
    clean_end: u64,
    /// The memory size at the last memory call (for /proc statistics).
    mem_size: u64,
    /// Highest memory size seen (VmPeak).
    peak: u64,
    regions: BTreeMap<u64, Region>,
    /// `mlockall(MCL_FUTURE)`: new mappings are locked.
    lock_future: bool,
    /// Where `wasmpod_startup` wrote this image's startup block
    /// (`process/startup.rs`); `None` until it ran. Exec empties the map,
    /// so a new image starts over.
    startup_block: Option<u32>,
}

impl MemoryMap {
    /// Sets the initial layout; hosts call this at process start (and after
    /// every exec) before the program runs: `heap_base` is the module's
    /// `__heap_base` (the break starts there, rounded up to 16 bytes as
    /// musl's malloc expects nothing more), `mem_size` the memory's initial
    /// size. Memory between `heap_base` and `mem_size` must be zero (a fresh
    /// instance's is). Replaces any previous state.
    pub fn init(&mut self, heap_base: u32, mem_size: u64) {
        let base = u64::from(heap_base);
        *self = MemoryMap {
            inited: true,
            heap_base: base,
            brk: base,
            clean_end: base,
            mem_size,
            peak: mem_size,
            regions: BTreeMap::new(),
            lock_future: false,
            startup_block: None,
        };
    }

    /// The address of this image's startup block, once written.
    pub fn startup_block(&self) -> Option<u32> {
        self.startup_block
    }

    /// Sets up the map of a new image whose startup block sits at
    /// `block` and ends (rounded up) at `heap_base`, where the break
    /// starts: `init` plus the record for a second `wasmpod_startup`.
    pub fn init_with_startup_block(&mut self, block: u32, heap_base: u32, mem_size: u64) {
        self.init(heap_base, mem_size);
        self.startup_block = Some(block);
    }

    /// Whether `init` has run (explicitly or at the first memory call).
    pub fn is_initialized(&self) -> bool {
        self.inited
    }

    /// Lazily initialises with the initial break at the current memory size.
    fn ensure_init(&mut self, mem_size: u64) {
        if !self.inited {
            let base = mem_size.min(MMAP_END);
            self.init(base as u32, mem_size);
        }
        self.mem_size = self.mem_size.max(mem_size);
        self.peak = self.peak.max(mem_size);
    }

    /// The initial break.
    pub fn start_brk(&self) -> u64 {
        self.heap_base
    }

    /// The current break.
    pub fn brk(&self) -> u64 {
        self.brk
    }

    /// The memory size seen at the last memory call.
    pub fn mem_size(&self) -> u64 {
        self.mem_size
    }

    /// Every mapping, by address.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// Bytes in mappings.
    pub fn mapped_bytes(&self) -> u64 {
        self.regions.values().map(|r| r.end - r.start).sum()
    }

    /// Bytes mlock'ed.
    pub fn locked_bytes(&self) -> u64 {
        self.regions.values().filter(|r| r.locked).map(|r| r.end - r.start).sum()
    }

    /// `VmSize`: the whole linear memory (everything in it is addressable).
    pub fn vm_size(&self) -> u64 {
        self.mem_size.max(self.regions.values().map(|r| r.end).max().unwrap_or(0))
    }

    /// `VmPeak`.
    pub fn vm_peak(&self) -> u64 {
        self.peak.max(self.vm_size())
    }

    /// `VmRSS` approximation: the program image up to the break plus every
    /// mapping (untouched pages of a wasm memory are not resident on most
    /// hosts either, but we can't tell which were touched).
    pub fn vm_rss(&self) -> u64 {
        self.brk + self.mapped_bytes()
    }

    /// `/proc/<pid>/maps`: one line per mapping, Linux's format
    /// (`start-end perms offset major:minor inode` then the name padded to
    /// the 32-bit column), plus `[heap]` for the brk area.
    pub fn maps_text(&self) -> String {
        let mut out = String::new();
        let mut lines: Vec<(u64, String)> = Vec::new();
        let heap_end = page_up(self.brk);
        let heap_start = self.heap_base / PAGE * PAGE;
        if self.inited && heap_end > heap_start {
            let mut l = format!("{heap_start:08x}-{heap_end:08x} rw-p 00000000 00:00 0 ");
            pad_name(&mut l, b"[heap]");
            lines.push((heap_start, l));
        }
        for r in self.regions.values() {
            let (off, dev, ino, name): (u64, u64, u64, &[u8]) = match &r.backing {
                Backing::Anonymous => (0, 0, 0, b""),
                Backing::File(f) => (f.offset, f.dev, f.ino, &f.path),
            };
            let mut l = format!(
                "{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ",
                r.start,
                r.end,
                r.perms(),
                off,
                crate::fs::devices::major(dev),
                crate::fs::devices::minor(dev),
                ino
            );
            if !name.is_empty() {
                pad_name(&mut l, name);
            }
            lines.push((r.start, l));
        }
        lines.sort_by_key(|(a, _)| *a);
        for (_, l) in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }

    /// Whether any mapping intersects `[a, b)`.
    fn overlaps(&self, a: u64, b: u64) -> bool {
        self.regions.range(..b).next_back().is_some_and(|(_, r)| r.end > a)
    }

    /// Whether every page of `[a, b)` is mapped: by a mapping, or below the
    /// break (the program image and the brk heap count as mapped).
    fn covered(&self, a: u64, b: u64) -> bool {
        let mut at = a.max(page_up(self.brk));
        for r in self.regions.range(..b).map(|(_, r)| r) {
            if at >= b {
                break;
            }
            if r.end <= at {
                continue;
            }
            if r.start > at {
                return false;
            }
            at = r.end;
        }
        at >= b
    }

    /// Removes `[a, b)` from the map, splitting mappings that straddle the
    /// edges; returns the removed pieces.
    fn carve(&mut self, a: u64, b: u64) -> Vec<Region> {
        let keys: Vec<u64> = self.regions.range(..b).filter(|(_, r)| r.end > a).map(|(k, _)| *k).collect();
        let mut removed = Vec::new();
        for k in keys {
            let Some(r) = self.regions.remove(&k) else { continue };
            if r.start < a {
                let left = r.slice(r.start, a);
                self.regions.insert(left.start, left);
            }
            if r.end > b {
                let right = r.slice(b, r.end);
                self.regions.insert(right.start, right);
            }
            removed.push(r.slice(a, b));
        }
        removed
    }

    /// Bytes of mappings inside `[a, b)`.
    fn carve_len(&self, a: u64, b: u64) -> u64 {
        self.regions.range(..b).map(|(_, r)| r).filter(|r| r.end > a).map(|r| r.end.min(b) - r.start.max(a)).sum()
    }

    fn insert(&mut self, mut r: Region) {
        if self.lock_future {
            r.locked = true;
        }
        self.regions.insert(r.start, r);
    }

    /// Applies `f` to the mappings in `[a, b)`, splitting them at the edges.
    fn modify(&mut self, a: u64, b: u64, mut f: impl FnMut(&mut Region)) {
        for mut r in self.carve(a, b) {
            f(&mut r);
            self.regions.insert(r.start, r);
        }
    }

    /// Bytes counted against `RLIMIT_AS` (Linux's `total_vm`): the program
    /// image and heap up to the break, plus every mapping.
    fn total_vm(&self) -> u64 {
        page_up(self.brk) + self.mapped_bytes()
    }

    /// Bytes counted against `RLIMIT_DATA` (Linux's `data_vm`, roughly):
    /// the brk heap plus private writable mappings.
    fn data_vm(&self) -> u64 {
        let private: u64 =
            self.regions.values().filter(|r| !r.shared && r.prot & PROT_WRITE != 0).map(|r| r.end - r.start).sum();
        page_up(self.brk).saturating_sub(self.heap_base) + private
    }

    /// The lowest address a mapping may use without `MAP_FIXED`.
    fn floor(&self) -> u64 {
        page_up(self.brk.max(self.heap_base))
    }

    /// A free range of `len` bytes (page multiple): at `hint` if that is
    /// free and above the floor, else the lowest free range above the floor.
    fn find_free(&self, len: u64, hint: Option<u64>) -> Option<u64> {
        let floor = self.floor();
        if let Some(h) = hint.map(page_up) {
            if h >= floor && h.checked_add(len).is_some_and(|e| e <= MMAP_END) && !self.overlaps(h, h + len) {
                return Some(h);
            }
        }
        let mut at = floor;
        for r in self.regions.values() {
            if r.end <= at {
                continue;
            }
            if r.start >= at + len {
                break;
            }
            at = r.end;
        }
        (at + len <= MMAP_END).then_some(at)
    }

    /// Marks `[a, b)` handed out; returns the part that may hold old data
    /// (below the clean watermark) and must be zeroed.
    fn hand_out(&mut self, a: u64, b: u64) -> Option<(u64, u64)> {
        let dirty = (a < self.clean_end).then(|| (a, b.min(self.clean_end)));
        self.clean_end = self.clean_end.max(b);
        dirty
    }
}

/// Pads a maps line to the 32-bit name column (Linux pads to
/// `25 + 6 * sizeof(void *) - 1` characters, then one space).
fn pad_name(line: &mut String, name: &[u8]) {
    const COL: usize = 25 + 6 * 4 - 1;
    while line.len() < COL {
        line.push(' ');
    }
    line.push(' ');
    line.push_str(&String::from_utf8_lossy(name));
}

/// The process whose memory thread `tid` runs on: its own, or, for a vfork
/// child (which borrows its parent's host thread and memory until exec or
/// exit), the parent's (followed through nested vforks).
pub fn mm_owner(st: &State, tid: Tid) -> Pid {
    let mut cur = tid;
    for _ in 0..st.procs.threads.len() {
        match st.procs.threads.values().find(|t| t.vfork_child == Some(cur)) {
            Some(t) => cur = t.tid,
            None => break,
        }
    }
    st.procs.pid_of(cur)
}

/// Bytes of memory held by every process (the sum of their linear
/// memories as last seen): what `/proc/meminfo` subtracts from the total
/// (sysinfo's `freeram` could too).
pub fn used_memory(st: &State) -> u64 {
    st.procs.procs.values().map(|p| p.mm.vm_size()).sum()
}

/// Sets up process `pid`'s memory map for a new program image: hosts call
/// this (through `Kernel::with_state`) when they start a program, after
/// spawn or exec, with the module's `__heap_base` and the memory's initial
/// size. See [`MemoryMap::init`].
pub fn init_memory(st: &mut State, pid: Pid, heap_base: u32, mem_size: u64) {
    if let Some(p) = st.procs.procs.get_mut(&pid) {
        p.mm.init(heap_base, mem_size);
    }
}

/// Process `pid`'s memory is going away (exit, or exec replacing it):
/// writes its shared file mappings back (as munmap would) and empties its
/// map, dropping the open files the mappings hold. The write-back needs
/// the process's memory, so it happens only when `ctx` runs on it (the
/// exiting process's own thread, the usual case); otherwise the mappings
/// are just dropped. A vfork child (running on its parent's memory) only
/// empties its own, unused map: the parent's mappings stay.
pub fn exit_mm(ctx: &mut Ctx, pid: Pid) {
    let runs_on_it = mm_owner(&ctx.st, ctx.tid) == pid;
    let Some(p) = ctx.st.procs.procs.get_mut(&pid) else { return };
    let map = std::mem::take(&mut p.mm);
    if runs_on_it {
        for r in map.regions.values() {
            let _ = write_back(ctx, r);
        }
    }
}

/// Runs `f` on the caller's memory map (initialised on first use).
fn with_mm<R>(ctx: &mut Ctx, f: impl FnOnce(&mut MemoryMap) -> R) -> Result<R> {
    let owner = mm_owner(&ctx.st, ctx.tid);
    let size = ctx.mem.size();
    let p = ctx.st.procs.procs.get_mut(&owner).ok_or(errno!(ESRCH, "caller has no process"))?;
    p.mm.ensure_init(size);
    Ok(f(&mut p.mm))
}

/// Grows the caller's memory to at least `end` bytes (`ENOMEM` beyond its
/// maximum).
fn ensure_memory(ctx: &mut Ctx, end: u64) -> Result<()> {
    if end > ctx.mem.size() {
        ctx.mem.grow_to(end).map_err(|_| errno!(ENOMEM, "memory can't grow that far"))?;
        let size = ctx.mem.size();
        with_mm(ctx, |mm| mm.ensure_init(size))?;
    }
    Ok(())
}

/// The caller's soft limit `res` (`RLIMIT_AS`, `RLIMIT_DATA`).
fn rlimit(ctx: &Ctx, res: u32) -> u64 {
    ctx.process().rlimits[res as usize].cur
}

/// Zeroes `[a, b)` of user memory.
fn zero_user(ctx: &mut Ctx, a: u64, b: u64) -> Result<()> {
    const CHUNK: u64 = 64 << 10;
    let zeros = vec![0u8; CHUNK.min(b.saturating_sub(a)) as usize];
    let mut at = a;
    while at < b {
        let n = (b - at).min(CHUNK);
        ctx.write_user(at as u32, &zeros[..n as usize])?;
        at += n;
    }
    Ok(())
}

/// Fills `[a, b)` with the file's bytes from `offset` on (zero past EOF).
fn fill_from_file(ctx: &mut Ctx, f: &FileBacking, a: u64, b: u64) -> Result<()> {
    const CHUNK: usize = 1 << 20;
    let mut at = a;
    let mut buf = vec![0u8; CHUNK.min(b.saturating_sub(a) as usize)];
    let mut eof = false;
    while at < b {
        let want = ((b - at) as usize).min(CHUNK);
        let chunk = &mut buf[..want];
        let mut got = 0;
        while !eof && got < want {
            let off = f.offset + (at - a) + got as u64;
            let n = f.file.ops.read_at(ctx, &f.file, off, &mut chunk[got..])?;
            if n == 0 {
                eof = true;
            }
            got += n;
        }
        chunk[got..].fill(0);
        ctx.write_user(at as u32, chunk)?;
        at += want as u64;
    }
    Ok(())
}

/// Writes a shared file mapping's bytes back to its file (msync, munmap),
/// clipped to the file's current size.
fn write_back(ctx: &mut Ctx, r: &Region) -> Result<()> {
    let Backing::File(f) = &r.backing else { return Ok(()) };
    if !r.shared {
        return Ok(());
    }
    let size = f.file.ops.metadata(ctx)?.size;
    let end_off = (f.offset + (r.end - r.start)).min(size);
    if end_off <= f.offset {
        return Ok(());
    }
    let len = (end_off - f.offset) as usize;
    let data = ctx.read_user_vec(r.start as u32, len)?;
    let mut done = 0;
    while done < len {
        let n = f.file.ops.write_at(ctx, &f.file, f.offset + done as u64, &data[done..])?;
        if n == 0 {
            return_errno!(EIO, "msync: short write-back");
        }
        done += n;
    }
    Ok(())
}

/// Validates an `(addr, len)` range argument that must start on a page:
/// returns `[addr, addr + page_up(len))` (`EINVAL` unaligned, `ENOMEM`
/// outside the address space).
fn page_range(addr: u32, len: usize) -> Result<(u64, u64)> {
    let a = u64::from(addr);
    if a % PAGE != 0 {
        return_errno!(EINVAL, "address not page aligned");
    }
    let b = a + page_up(len as u64);
    if b > 1 << 32 {
        return_errno!(ENOMEM, "range beyond the address space");
    }
    Ok((a, b))
}

/// The memory subsystem's calls.
pub const SYSCALLS: &[Entry] = &[
    sup(SYS_brk, brk::sys_brk),
    partial(
        SYS_mmap,
        mmap::sys_mmap,
        "offset in 4096-byte units (mmap2); file mappings are copies, MAP_SHARED written back by msync/munmap",
    ),
    sup(SYS_munmap, mmap::sys_munmap),
    sup(SYS_mremap, mremap::sys_mremap),
    partial(SYS_mprotect, mprotect::sys_mprotect, "protections recorded, not enforced"),
    partial(SYS_pkey_mprotect, mprotect::sys_pkey_mprotect, "only pkey -1; protections not enforced"),
    sup(SYS_madvise, madvise::sys_madvise),
    partial(SYS_msync, msync::sys_msync, "writes whole shared file ranges back; MS_INVALIDATE does nothing"),
    sup(SYS_mlock, mlock::sys_mlock),
    sup(SYS_munlock, mlock::sys_munlock),
    sup(SYS_mlock2, mlock::sys_mlock2),
    sup(SYS_mlockall, mlock::sys_mlockall),
    sup(SYS_munlockall, mlock::sys_munlockall),
    sup(SYS_mincore, mincore::sys_mincore),
    nosys(SYS_process_madvise, "no access to other processes' memory"),
];

#[cfg(test)]
pub(crate) mod test_util {
    use wasmpod_abi::mman::*;
    use wasmpod_abi::syscalls::*;

    use crate::testing::Proc;

    /// The 4 MiB test memory is the initial break of a harness process.
    pub const BASE: u64 = crate::testing::TEST_MEM as u64;

    pub fn mmap_anon(p: &Proc, len: u64) -> i64 {
        p.sys(
            SYS_mmap,
            &[0, len, u64::from(PROT_READ | PROT_WRITE), u64::from(MAP_PRIVATE | MAP_ANONYMOUS), u64::MAX, 0],
        )
    }

    pub fn mmap_at(p: &Proc, addr: u64, len: u64, flags: u32) -> i64 {
        p.sys(SYS_mmap, &[addr, len, u64::from(PROT_READ | PROT_WRITE), u64::from(flags), u64::MAX, 0])
    }

    pub fn maps(p: &Proc) -> String {
        let pid = p.pid;
        p.kernel.with_state(|st| st.procs.procs[&pid].mm.maps_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Harness;

    #[test]
    fn vfork_child_memory_calls_use_the_parents_map() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        let (pp, cp) = (parent.pid, child.pid);
        h.kernel.with_state(|st| st.procs.threads.get_mut(&pp).unwrap().vfork_child = Some(cp));
        // The call arrives on the parent's host thread and runs as the child.
        let a = test_util::mmap_anon(&parent, 8192);
        assert!(a > 0);
        let (parent_has, child_has) = h
            .kernel
            .with_state(|st| (st.procs.procs[&pp].mm.regions().count(), st.procs.procs[&cp].mm.regions().count()));
        assert_eq!((parent_has, child_has), (1, 0));
    }

    #[test]
    fn exit_mm_writes_shared_mappings_back_and_empties_the_map() {
        use wasmpod_abi::fcntl::O_RDWR;
        let h = Harness::new();
        let p = h.process(None);
        let (fd, f) = mmap::tests::open_mem_file(&p, b"before", O_RDWR);
        let a =
            p.sys(wasmpod_abi::syscalls::SYS_mmap, &[0, 6, 3, u64::from(wasmpod_abi::mman::MAP_SHARED), fd as u64, 0]);
        p.write(a as u32, b"AFTER!");
        let mut mem = p.mem.clone();
        let pid = p.pid;
        h.kernel.with_ctx(p.tid, &mut mem, |ctx| exit_mm(ctx, pid));
        assert_eq!(&*f.data.lock(), b"AFTER!");
        assert_eq!(test_util::maps(&p), "");
    }

    #[test]
    fn exit_mm_of_a_vfork_child_leaves_the_parents_map() {
        let h = Harness::new();
        let parent = h.process(None);
        let child = h.process(Some(&parent));
        let (pp, cp) = (parent.pid, child.pid);
        assert!(test_util::mmap_anon(&parent, 4096) > 0);
        h.kernel.with_state(|st| st.procs.threads.get_mut(&pp).unwrap().vfork_child = Some(cp));
        let mut mem = parent.mem.clone();
        h.kernel.with_ctx(cp, &mut mem, |ctx| exit_mm(ctx, cp));
        assert_eq!(test_util::maps(&parent).lines().count(), 1);
    }

    #[test]
    fn exit_mm_from_another_process_drops_without_writing_back() {
        use wasmpod_abi::fcntl::O_RDWR;
        let h = Harness::new();
        let p = h.process(None);
        let killer = h.process(None);
        let (fd, f) = mmap::tests::open_mem_file(&p, b"before", O_RDWR);
        let a =
            p.sys(wasmpod_abi::syscalls::SYS_mmap, &[0, 6, 3, u64::from(wasmpod_abi::mman::MAP_SHARED), fd as u64, 0]);
        p.write(a as u32, b"AFTER!");
        let pid = p.pid;
        let mut mem = killer.mem.clone();
        h.kernel.with_ctx(killer.tid, &mut mem, |ctx| exit_mm(ctx, pid));
        assert_eq!(&*f.data.lock(), b"before");
        assert_eq!(test_util::maps(&p), "");
    }

    #[test]
    fn process_exit_writes_shared_mappings_back() {
        use wasmpod_abi::fcntl::O_RDWR;
        let h = Harness::new();
        let p = h.process(None);
        let (fd, f) = mmap::tests::open_mem_file(&p, b"before", O_RDWR);
        let a =
            p.sys(wasmpod_abi::syscalls::SYS_mmap, &[0, 6, 3, u64::from(wasmpod_abi::mman::MAP_SHARED), fd as u64, 0]);
        p.write(a as u32, b"AFTER!");
        p.sys(wasmpod_abi::syscalls::SYS_exit_group, &[0]);
        assert_eq!(&*f.data.lock(), b"AFTER!");
    }

    #[test]
    fn execve_writes_shared_mappings_back_and_starts_an_empty_map() {
        use wasmpod_abi::fcntl::O_RDWR;
        use wasmpod_abi::syscalls::*;
        let h = Harness::new();
        let p = h.process(None);
        let (fd, f) = mmap::tests::open_mem_file(&p, b"before", O_RDWR);
        let a = p.sys(SYS_mmap, &[0, 6, 3, u64::from(wasmpod_abi::mman::MAP_SHARED), fd as u64, 0]);
        p.write(a as u32, b"AFTER!");
        crate::process::testutil::make_program(&p, "/tmp/prog");
        let (argv, envp) = (p.cstr_array(&["prog"]), p.cstr_array(&[]));
        let r = p.call(SYS_execve, &[p.cstr("/tmp/prog"), argv, envp]);
        assert!(matches!(r.action, crate::kernel::Action::Exec(_)), "value {}", r.value);
        assert_eq!(&*f.data.lock(), b"AFTER!");
        assert_eq!(test_util::maps(&p), "");
        let pid = p.pid;
        assert!(!h.kernel.with_state(|st| st.procs.procs[&pid].mm.is_initialized()));
    }

    #[test]
    fn init_memory_sets_the_break_for_a_new_image() {
        let h = Harness::new();
        let p = h.process(None);
        let pid = p.pid;
        h.kernel.with_state(|st| init_memory(st, pid, 0x20000, 4 << 20));
        assert_eq!(p.sys(wasmpod_abi::syscalls::SYS_brk, &[0]), 0x20000);
    }

    #[test]
    fn mappings_made_by_a_real_vfork_child_stay_in_the_parent() {
        use wasmpod_abi::syscalls::*;
        let h = Harness::new();
        let init = h.process(None);
        let parent = h.process(Some(&init));
        assert_eq!(parent.sys(SYS_vfork, &[]), 0);
        let child = parent.sys(SYS_getpid, &[]);
        assert_ne!(child, i64::from(parent.pid));
        let a = test_util::mmap_anon(&parent, 4096);
        assert!(a > 0);
        assert_eq!(parent.sys(SYS_exit_group, &[0]), child, "the parent's thread gets the child's pid back");
        assert_eq!(parent.sys(SYS_getpid, &[]), i64::from(parent.pid));
        let maps = test_util::maps(&parent);
        assert!(maps.starts_with(&format!("{a:08x}-")), "{maps}");
        // The parent's next mapping doesn't reuse the child's range.
        let b = test_util::mmap_anon(&parent, 4096);
        assert!(b > 0 && b != a);
    }

    #[test]
    fn carve_splits_and_keeps_file_offsets() {
        let mut mm = MemoryMap::default();
        mm.init(0x10000, 0x100000);
        let f = crate::fs::OpenFile::new(Arc::new(NullOps), 0);
        mm.insert(Region {
            start: 0x20000,
            end: 0x24000,
            prot: 3,
            shared: false,
            locked: false,
            backing: Backing::File(FileBacking { file: f, offset: 0x1000, dev: 0, ino: 7, path: b"/f".to_vec() }),
        });
        let removed = mm.carve(0x21000, 0x22000);
        assert_eq!(removed.len(), 1);
        let starts: Vec<(u64, u64, u64)> = mm
            .regions()
            .map(|r| match &r.backing {
                Backing::File(f) => (r.start, r.end, f.offset),
                Backing::Anonymous => (0, 0, 0),
            })
            .collect();
        assert_eq!(starts, vec![(0x20000, 0x21000, 0x1000), (0x22000, 0x24000, 0x3000)]);
    }

    struct NullOps;
    impl crate::fs::FileOps for NullOps {
        fn metadata(&self, _ctx: &mut Ctx) -> Result<crate::fs::Metadata> {
            Ok(Default::default())
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
}
