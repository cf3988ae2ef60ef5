//! wasmpod's Linux ABI for `wasm32-wasmpod-linux-musl` (ARCHITECTURE §3).
//!
//! The single source of truth for what crosses the user/kernel boundary:
//! syscall numbers and names, `Errno`, flag and ioctl constants, and the
//! byte layout of every struct a syscall passes. Everything is spelled as in
//! Linux so a grep against man pages and `<linux/*.h>` works.
//!
//! wasm32 is ILP32 little-endian; `time_t`, `off_t`, `ino_t`, `dev_t` and
//! `blkcnt_t` are 64-bit, and 64-bit integers are 8-byte aligned (clang's
//! wasm32 data layout). Struct layouts follow musl's generic 64-bit-time
//! layouts so libc can pass user structs through unchanged.
//!
//! Structs are declared with [`abi_struct!`], which fixes every field's offset
//! and the total size explicitly and generates safe encode/decode code; the
//! offsets are checked by tests here and, through the toolchain, against the C
//! headers.
#![no_std]
#![forbid(unsafe_code)]
#![allow(non_upper_case_globals, non_camel_case_types)]

#[macro_use]
mod layout;

pub mod errno;
pub mod fcntl;
pub mod fs;
pub mod ioctl;
pub mod misc;
pub mod mman;
pub mod poll;
pub mod sched;
pub mod signal;
pub mod spawn;
pub mod syscalls;
pub mod termios;
pub mod time;
pub mod wait;

pub use errno::Errno;
pub use layout::AbiStruct;

/// The largest encoded ABI struct (a stack buffer of this size fits any).
pub const fn layout_cap() -> usize {
    layout::alloc_free::CAP
}
