//! wasmpod's kernel: the Linux personality, host-agnostic (ARCHITECTURE §1–4).
//!
//! Both hosts call [`Kernel::syscall`] for every system call a program makes,
//! start and stop programs through the [`Platform`] trait, and give the
//! kernel the caller's memory through [`UserMemory`]. The kernel never
//! touches wasmtime, the browser, files, sockets or clocks directly.
//!
//! # Lock order
//! 1. `Kernel::state` — the one big kernel lock. Every syscall holds it from
//!    entry to exit, except while asleep in `Ctx::wait_until`.
//! 2. Locks inside kernel objects (`OpenFile::pos`, pipe buffers, inode
//!    data): taken only with (1) held, never held across a wait, and never
//!    two of the same kind at once unless ordered by address.
//!
//! Platform and UserMemory calls happen with (1) held; they must not call
//! back into the kernel.
#![forbid(unsafe_code)]

pub mod error;
pub mod fs;
pub mod kernel;
pub mod misc;
pub mod mm;
pub mod platform;
pub mod process;
pub mod signal;
pub mod sync;
pub mod syscall;
pub mod time;
pub mod tty;

#[cfg(any(test, feature = "testing"))]
pub mod fuzz;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, Restart, Result};
pub use kernel::{Action, Ctx, Kernel, KernelConfig, State, SyscallReturn};
pub use platform::{ClockKind, ExecImage, Fault, Platform, ThreadStart, UserMemory};
pub use process::{Pid, Tid};
