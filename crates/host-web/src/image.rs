//! The root image, read through the io worker (docs/browser-host.md, "Root
//! image and the io worker").
//!
//! The image lives on an HTTP server; only JS can fetch it, and JS in the
//! calling worker cannot run while the kernel is in a system call. So a read
//! of the image happens *inside the kernel*: the kernel writes a request
//! into the io slot (below), wakes the io worker (`Atomics.notify`) and
//! sleeps on the slot's state word (`Atomics.wait`) until the io
//! worker, which waits on that word with `Atomics.waitAsync`, has fetched
//! the range with an HTTP `Range` request, copied the bytes into kernel
//! memory and marked the request done.
//!
//! The stack: [`SlotSource`] (one request per read) → [`ChunkedDevice`]
//! (fixed chunks, LRU chunk cache, read-ahead) → an [`OverlayDevice`]
//! (writes; the image is never written) → ext2 → the root filesystem. The
//! overlay's store is in memory, or, for a pod with a storage key, a
//! [`JournalDelta`] whose log is a file the io worker keeps in OPFS
//! ([`SlotLog`], through the same slot): each flush (fsync, sync, the
//! host's periodic sync) appends one transaction.
//!
//! The wait and the wake are two one-line JS imports standing in for the
//! `memory.atomic.wait32`/`notify` instructions, which stable Rust does not
//! expose yet; no other JS runs in the calling worker.
//!
//! Known gap: the fetch runs with the kernel lock held (ext2 is called
//! under it), so every other process waits while a chunk is on the network.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use wasmpod_abi::errno::Errno;
use wasmpod_blockdev::http::DEFAULT_CHUNK_SIZE;
use wasmpod_blockdev::{
    content_fingerprint, BlockDevice, BlockError, ChunkedConfig, ChunkedDevice, ChunkedStatsHandle, JournalDelta,
    LogFile, OverlayDevice, RangeSource,
};
use wasmpod_kernel::UserMemory;

use crate::web::{kernel, KernelMemory};

#[link(wasm_import_module = "wasmpod")]
extern "C" {
    /// `Atomics.wait` on the i32 at `ptr` in kernel memory while it equals
    /// `expected`, no timeout: the `memory.atomic.wait32` instruction, which
    /// stable Rust does not expose yet (`stdarch_wasm_atomic_wait`,
    /// rust-lang/rust#77839). Returns 0 woken, 1 not equal, 2 timed out.
    fn host_atomic_wait32(ptr: u32, expected: i32) -> i32;
    /// `Atomics.notify` of up to `count` waiters on the i32 at `ptr`
    /// (`memory.atomic.notify`). Returns how many were woken.
    fn host_atomic_notify(ptr: u32, count: u32) -> u32;
}

/// The io slot: one request at a time between the kernel and the io worker.
///
/// Byte layout (little endian, 32 bytes, 8-aligned; all offsets from
/// `wasmpod_io_slot()`):
///
/// | offset | type | field |
/// |---|---|---|
/// | 0 | u32 | `state`: 0 idle, 1 request (kernel → io worker), 2 done, 3 error (io worker → kernel) |
/// | 4 | u32 | `op`: what to do ([`Op`]) |
/// | 8 | u64 | `offset`: first byte of the range (image or log); the log's size for `LogSize` |
/// | 16 | u32 | `len`: bytes wanted / given |
/// | 20 | u32 | `dst`: kernel-memory address of the bytes (to fill, or to write from) |
/// | 24 | i32 | `result`: bytes copied (≤ `len`), 0, or `-errno` (`-EIO`) |
/// | 28 | u32 | `file`: for journal ops, which journal: 0 the root overlay's, n the n-th volume's |
///
/// The kernel fills `op`, `offset`, `len`, `dst`, sets `state` = 1 and
/// notifies the state word; the io worker writes `result` (and `offset`
/// for `LogSize`), then `state` (2 or 3) and notifies. The kernel sets
/// `state` back to 0 once it has read the result.
#[repr(C, align(8))]
struct IoSlot {
    state: AtomicU32,
    op: AtomicU32,
    offset: AtomicU64,
    len: AtomicU32,
    dst: AtomicU32,
    result: AtomicI32,
    file: AtomicU32,
}

const IDLE: u32 = 0;
const REQUEST: u32 = 1;
const DONE: u32 = 2;
const ERROR: u32 = 3;

/// The requests of the io slot (its `op` word).
#[derive(Clone, Copy)]
#[repr(u32)]
enum Op {
    /// Read `len` bytes of the image at `offset` into `dst`.
    ImageRead = 0,
    /// The storage log's size, answered in `offset`.
    LogSize = 1,
    /// Read `len` bytes of the log at `offset` into `dst`.
    LogRead = 2,
    /// Write `len` bytes from `dst` into the log at `offset`.
    LogWrite = 3,
    /// Cut the log to `offset` bytes.
    LogTruncate = 4,
    /// Make the log's writes durable (flush the OPFS file).
    LogSync = 5,
}

static SLOT: IoSlot = IoSlot {
    state: AtomicU32::new(IDLE),
    op: AtomicU32::new(0),
    offset: AtomicU64::new(0),
    len: AtomicU32::new(0),
    dst: AtomicU32::new(0),
    result: AtomicI32::new(0),
    file: AtomicU32::new(0),
};

/// Serialises requests: the slot holds one. (The kernel lock already does
/// today; this keeps the slot correct if reads ever run outside it.)
static SLOT_LOCK: Mutex<()> = Mutex::new(());

/// The mounted image's counters, for `wasmpod_io_stats`.
static STATS: OnceLock<ChunkedStatsHandle> = OnceLock::new();

/// The remote image as the io worker serves it.
struct SlotSource {
    size: u64,
}

/// The bytes of a slot request: filled by the io worker, or read by it.
enum SlotBuf<'a> {
    None,
    Into(&'a mut [u8]),
    From(&'a [u8]),
}

impl SlotBuf<'_> {
    /// (kernel-memory address, length).
    fn span(&mut self) -> (u32, u32) {
        match self {
            SlotBuf::None => (0, 0),
            SlotBuf::Into(b) => (b.as_mut_ptr() as usize as u32, b.len() as u32),
            SlotBuf::From(b) => (b.as_ptr() as usize as u32, b.len() as u32),
        }
    }
}

/// One request through the slot; blocks this worker until the io worker
/// answers. `buf` is where the io worker writes or reads the bytes (it
/// stays borrowed, alive and unmoved, until this returns). Returns
/// `(result, offset word)`, or `None` for state 3.
fn slot_request(op: Op, file: u32, offset: u64, mut buf: SlotBuf<'_>) -> Option<(i32, u64)> {
    let _guard = SLOT_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (addr, len) = buf.span();
    SLOT.op.store(op as u32, Ordering::Relaxed);
    SLOT.file.store(file, Ordering::Relaxed);
    SLOT.offset.store(offset, Ordering::Relaxed);
    SLOT.len.store(len, Ordering::Relaxed);
    SLOT.dst.store(addr, Ordering::Relaxed);
    SLOT.result.store(0, Ordering::Relaxed);
    // SeqCst store: the fields above are visible before the state.
    SLOT.state.store(REQUEST, Ordering::SeqCst);
    // The state word is the slot's first.
    let word = wasmpod_io_slot();
    // SAFETY: JS imports without pointers into Rust data: they wait on /
    // wake the u32 at `word` in the shared kernel memory.
    unsafe { host_atomic_notify(word, 1) };
    let state = loop {
        match SLOT.state.load(Ordering::SeqCst) {
            // Waits while the word is still REQUEST; returns at once if
            // it already changed (no lost wake-up).
            // SAFETY: as above.
            REQUEST => unsafe {
                host_atomic_wait32(word, REQUEST as i32);
            },
            s @ (DONE | ERROR) => break s,
            // Nothing else may be written while a request is out.
            _ => break ERROR,
        }
    };
    let result = SLOT.result.load(Ordering::SeqCst);
    let offset = SLOT.offset.load(Ordering::SeqCst);
    SLOT.state.store(IDLE, Ordering::SeqCst);
    (state == DONE).then_some((result, offset))
}

/// `Ok(result)` for a request that succeeded, else the error, named.
fn slot_result(what: &str, answer: Option<(i32, u64)>) -> wasmpod_blockdev::Result<(usize, u64)> {
    match answer {
        Some((n, off)) if n >= 0 => Ok((n as usize, off)),
        Some((e, _)) => Err(BlockError::Io(format!("io worker: {what}: errno {}", -e))),
        None => Err(BlockError::Io(format!("io worker: {what} failed"))),
    }
}

impl RangeSource for SlotSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_range(&mut self, offset: u64, buf: &mut [u8]) -> wasmpod_blockdev::Result<usize> {
        let len = buf.len();
        Ok(slot_result("fetch", slot_request(Op::ImageRead, 0, offset, SlotBuf::Into(buf)))?.0.min(len))
    }

    fn name(&self) -> String {
        "io-worker image".into()
    }
}

/// A storage journal the io worker keeps (in OPFS): `file` 0 is the root
/// overlay's, n the n-th volume's.
pub(crate) struct SlotLog {
    pub(crate) file: u32,
}

impl LogFile for SlotLog {
    fn size(&mut self) -> wasmpod_blockdev::Result<u64> {
        Ok(slot_result("storage size", slot_request(Op::LogSize, self.file, 0, SlotBuf::None))?.1)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> wasmpod_blockdev::Result<()> {
        let len = buf.len();
        match slot_result("storage read", slot_request(Op::LogRead, self.file, offset, SlotBuf::Into(buf)))?.0 {
            n if n == len => Ok(()),
            n => Err(BlockError::Io(format!("io worker: storage read: {n} of {len} bytes at {offset}"))),
        }
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> wasmpod_blockdev::Result<()> {
        match slot_result("storage write", slot_request(Op::LogWrite, self.file, offset, SlotBuf::From(data)))?.0 {
            n if n == data.len() => Ok(()),
            n => Err(BlockError::Io(format!("io worker: storage write: {n} of {} bytes at {offset}", data.len()))),
        }
    }

    fn truncate(&mut self, len: u64) -> wasmpod_blockdev::Result<()> {
        slot_result("storage truncate", slot_request(Op::LogTruncate, self.file, len, SlotBuf::None))?;
        Ok(())
    }

    fn sync(&mut self) -> wasmpod_blockdev::Result<()> {
        slot_result("storage flush", slot_request(Op::LogSync, self.file, 0, SlotBuf::None))?;
        Ok(())
    }
}

// ---- exports ----

/// The io slot's address in kernel memory (layout: [`IoSlot`]).
#[no_mangle]
pub extern "C" fn wasmpod_io_slot() -> u32 {
    &SLOT as *const IoSlot as usize as u32
}

/// Mounts the ext2 image the io worker serves (`size_hi:size_lo` bytes) as
/// the root filesystem: io slot → chunks of `chunk_size` bytes (0 = the
/// default, 256 KiB; a power of two from 1 KiB to 16 MiB) → overlay → ext2.
/// The overlay is in memory, or with `persistent` != 0 the journal in the
/// io worker's storage log. Call after `wasmpod_init`, with the io worker
/// running, before any program starts. Returns 0, or `-EINVAL` (bad size
/// or chunk size), `-EBUSY` (already mounted), `-ESTALE` (the storage log
/// was made for another image, or is not one), `-EIO`/… from ext2 (not an
/// ext2 image, the fetch failed).
#[no_mangle]
pub extern "C" fn wasmpod_mount_root_image(size_lo: u32, size_hi: u32, chunk_size: u32, persistent: u32) -> i32 {
    let Some(k) = kernel() else { return Errno::ENOSYS.neg() };
    if STATS.get().is_some() {
        return Errno::EBUSY.neg();
    }
    let size = u64::from(size_hi) << 32 | u64::from(size_lo);
    let chunk = if chunk_size == 0 { DEFAULT_CHUNK_SIZE } else { chunk_size };
    let dev = match ChunkedDevice::new(SlotSource { size }, ChunkedConfig::with_chunk_size(chunk)) {
        Ok(d) => d,
        Err(e) => {
            k.platform().log(&format!("root image: {e}"));
            return Errno::EINVAL.neg();
        }
    };
    let stats = dev.stats_handle();
    let dev: Box<dyn BlockDevice> = if persistent == 0 {
        match OverlayDevice::in_memory(dev) {
            Ok(d) => Box::new(d),
            Err(_) => return Errno::EINVAL.neg(),
        }
    } else {
        match journal_overlay(dev) {
            Ok(d) => d,
            Err(e) => {
                k.platform().log(&format!("root image: pod storage: {e}"));
                return if matches!(e, BlockError::Invalid(_)) { Errno::ESTALE.neg() } else { Errno::EIO.neg() };
            }
        }
    };
    match k.mount_root_ext2(dev, false, "/dev/root") {
        Ok(_) => {
            let _ = STATS.set(stats);
            0
        }
        Err(e) => {
            k.platform().log(&format!("root image: cannot mount: {e}"));
            -(e.errno() as i32)
        }
    }
}

/// The image under a journal overlay kept in the io worker's storage log.
fn journal_overlay<B: BlockDevice + 'static>(mut base: B) -> wasmpod_blockdev::Result<Box<dyn BlockDevice>> {
    let fingerprint = content_fingerprint(&mut base)?;
    let journal = JournalDelta::open(SlotLog { file: 0 }, base.block_size(), base.num_blocks(), fingerprint)?;
    Ok(Box::new(OverlayDevice::with_store(base, journal)?))
}

/// Writes the root image's counters at `ptr` (kernel memory, 16 bytes):
/// bytes fetched, then requests made, as little-endian u64 (zeros without
/// an image). Returns 0, or `-EINVAL` for a bad pointer.
#[no_mangle]
pub extern "C" fn wasmpod_io_stats(ptr: u32) -> i32 {
    let s = STATS.get().map(ChunkedStatsHandle::get).unwrap_or_default();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&s.bytes_fetched.to_le_bytes());
    out[8..].copy_from_slice(&s.requests.to_le_bytes());
    match KernelMemory.write(ptr, &out) {
        Ok(()) => 0,
        Err(_) => Errno::EINVAL.neg(),
    }
}
