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

/// One ABI struct's layout: its name (module path inside this crate), its
/// size and its fields as `(name, offset, width)`.
pub type StructLayout = (&'static str, usize, &'static [(&'static str, usize, usize)]);

macro_rules! registry {
    ($($m:ident :: $s:ident),* $(,)?) => {
        /// Every struct declared with `abi_struct!`, for the toolchain's
        /// generated C layout checks (`cargo xtask toolchain`). A test below
        /// keeps it complete.
        pub const STRUCTS: &[StructLayout] = &[
            $((concat!(stringify!($m), "::", stringify!($s)), <$m::$s as AbiStruct>::SIZE, $m::$s::FIELDS),)*
        ];
    };
}

registry! {
    fcntl::flock,
    fs::stat, fs::statx_timestamp, fs::statx, fs::dirent64_head, fs::statfs,
    misc::iovec, misc::utsname, misc::sysinfo, misc::rlimit64, misc::rusage,
    poll::pollfd, poll::epoll_event,
    signal::k_sigaction, signal::stack_t, signal::siginfo_t, signal::ucontext, signal::sigevent,
    signal::signalfd_siginfo,
    spawn::spawn_file_actions, spawn::spawn_file_action, spawn::spawn_attr,
    termios::termios, termios::winsize,
    time::timespec, time::timeval, time::itimerval, time::itimerspec, time::tms, time::timezone,
}

#[cfg(test)]
mod registry_tests {
    /// Every `abi_struct!` in the sources is in [`super::STRUCTS`].
    #[test]
    fn registry_lists_every_abi_struct() {
        let sources = [
            include_str!("fcntl.rs"),
            include_str!("fs.rs"),
            include_str!("misc.rs"),
            include_str!("poll.rs"),
            include_str!("signal.rs"),
            include_str!("spawn.rs"),
            include_str!("termios.rs"),
            include_str!("time.rs"),
            include_str!("errno.rs"),
            include_str!("ioctl.rs"),
            include_str!("mman.rs"),
            include_str!("sched.rs"),
            include_str!("syscalls.rs"),
            include_str!("wait.rs"),
        ];
        let declared: usize = sources.iter().map(|s| s.matches("\nabi_struct! {").count()).sum();
        assert_eq!(declared, super::STRUCTS.len(), "a struct declared with abi_struct! is missing from STRUCTS");
    }
}
