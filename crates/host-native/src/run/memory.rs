//! The kernel's view of a process's memory: [`UserMemory`] over a wasmtime
//! [`SharedMemory`].
//!
//! The memory is shared with every other thread of the process, which may
//! be running guest code at the same moment. Rust code must therefore never
//! form a `&[u8]`/`&mut [u8]` over it (that would assert no one else writes
//! it: undefined behaviour under concurrent wasm stores). Every byte the
//! host touches is accessed through an atomic (relaxed) load or store on
//! the cell's address, as wasmtime's `SharedMemory::data` documentation
//! recommends; aligned 8-byte chunks keep large copies fast. Guest code
//! sees the same effects as from another thread's plain stores: no tearing
//! guarantees beyond what wasm's memory model gives non-atomic accesses.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};

use wasmpod_kernel::{Fault, UserMemory};
use wasmtime::SharedMemory;

/// 64 KiB: the wasm page size.
const WASM_PAGE: u64 = 65536;

/// One thread's handle on its process's memory.
pub struct WasmMemory<'a> {
    pub mem: &'a SharedMemory,
}

/// The cells `[addr, addr + len)` of `data`, or `Fault`.
fn range(data: &[UnsafeCell<u8>], addr: u32, len: usize) -> Result<&[UnsafeCell<u8>], Fault> {
    let start = addr as usize;
    let end = start.checked_add(len).ok_or(Fault)?;
    data.get(start..end).ok_or(Fault)
}

/// Copies `src` (cells of the shared memory) into `dst`.
fn load(src: &[UnsafeCell<u8>], dst: &mut [u8]) {
    let mut i = 0;
    let n = src.len();
    // Bytes up to the first 8-aligned cell, then 8-byte words, then bytes.
    while i < n && !(src[i].get() as usize).is_multiple_of(8) {
        // SAFETY: the pointer comes from a live cell of the shared memory
        // (the slice borrow keeps the memory alive; shared memories never
        // move or shrink); AtomicU8 has u8's size and alignment; all host
        // accesses to the memory are atomic, so there is no data race.
        dst[i] = unsafe { AtomicU8::from_ptr(src[i].get()) }.load(Relaxed);
        i += 1;
    }
    while i + 8 <= n {
        // SAFETY: as above; the address is 8-aligned (checked by the loop
        // above, and i advances by 8) and the 8 cells are inside `src`.
        let w = unsafe { AtomicU64::from_ptr(src[i].get().cast::<u64>()) }.load(Relaxed);
        dst[i..i + 8].copy_from_slice(&w.to_le_bytes());
        i += 8;
    }
    while i < n {
        // SAFETY: as for the first loop.
        dst[i] = unsafe { AtomicU8::from_ptr(src[i].get()) }.load(Relaxed);
        i += 1;
    }
}

/// Copies `src` into `dst` (cells of the shared memory).
fn store(dst: &[UnsafeCell<u8>], src: &[u8]) {
    let mut i = 0;
    let n = dst.len();
    while i < n && !(dst[i].get() as usize).is_multiple_of(8) {
        // SAFETY: see `load`.
        unsafe { AtomicU8::from_ptr(dst[i].get()) }.store(src[i], Relaxed);
        i += 1;
    }
    while i + 8 <= n {
        let w = u64::from_le_bytes(src[i..i + 8].try_into().expect("8 bytes"));
        // SAFETY: see `load` (8-aligned, inside `dst`).
        unsafe { AtomicU64::from_ptr(dst[i].get().cast::<u64>()) }.store(w, Relaxed);
        i += 8;
    }
    while i < n {
        // SAFETY: see `load`.
        unsafe { AtomicU8::from_ptr(dst[i].get()) }.store(src[i], Relaxed);
        i += 1;
    }
}

impl UserMemory for WasmMemory<'_> {
    fn read(&self, addr: u32, buf: &mut [u8]) -> Result<(), Fault> {
        let data = self.mem.data();
        load(range(data, addr, buf.len())?, buf);
        Ok(())
    }

    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        let cells = self.mem.data();
        store(range(cells, addr, data.len())?, data);
        Ok(())
    }

    fn size(&self) -> u64 {
        self.mem.data_size() as u64
    }

    fn grow_to(&mut self, bytes: u64) -> Result<(), Fault> {
        // Other threads may grow the memory concurrently: retry until it
        // is big enough or can't grow.
        loop {
            let cur = self.size();
            if cur >= bytes {
                return Ok(());
            }
            let pages = (bytes - cur).div_ceil(WASM_PAGE);
            self.mem.grow(pages).map_err(|_| Fault)?;
        }
    }

    fn load_u32(&self, addr: u32) -> Result<u32, Fault> {
        let cells = range(self.mem.data(), addr, 4)?;
        let p = cells[0].get();
        if !(p as usize).is_multiple_of(4) {
            let mut b = [0u8; 4];
            load(cells, &mut b);
            return Ok(u32::from_le_bytes(b));
        }
        // SAFETY: 4 live, 4-aligned cells of the shared memory (see `load`);
        // wasm's atomics on the same word are real atomics too.
        Ok(unsafe { AtomicU32::from_ptr(p.cast::<u32>()) }.load(std::sync::atomic::Ordering::SeqCst))
    }
}
