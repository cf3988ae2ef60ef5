//! The host wake word: how the browser's control worker learns, without
//! polling on a timer, that state it serves may have changed (output in a
//! host pipe or on a terminal, a pipe end closed, a process exited).
//!
//! The kernel calls [`wasmpod_kernel::Platform::wake_host`] whenever it
//! wakes its own sleepers; the JS platform bumps one 32-bit word in kernel
//! memory and notifies every `memory.atomic.wait32`/`Atomics.waitAsync`
//! waiter on it. JS reads the word (`Atomics.load`), polls what it serves,
//! and then waits for the word to differ from what it read before polling
//! (`Atomics.waitAsync(i32, addr >> 2, seen)`), so a wake-up between its
//! read and its wait is never lost. Wake-ups are kernel-wide, so some are
//! spurious (and the control worker's own calls bump the word too: a poll
//! that consumed output wakes it once more, the next poll finds nothing
//! and changes nothing).
//!
//! The word is a std `Condvar`: on this target its whole state is one
//! futex word, and `notify_all` is exactly "add 1, then
//! `memory.atomic.notify` all waiters". That is the operation we need,
//! and the only way to emit `memory.atomic.notify` on stable Rust
//! (`core::arch::wasm32::memory_atomic_notify` is unstable). The size
//! assertion below fails the build if std ever lays `Condvar` out
//! differently; the Node smoke test waits on the word, so a word that
//! stops changing fails it too.

use std::sync::Condvar;

static HOST_EVENTS: Condvar = Condvar::new();

// The word JS waits on is the whole `Condvar` (see the module docs).
const _: () = assert!(std::mem::size_of::<Condvar>() == 4 && std::mem::align_of::<Condvar>() == 4);

/// Bumps the word and wakes every waiter (`Platform::wake_host`).
pub(crate) fn wake_host() {
    HOST_EVENTS.notify_all();
}

/// The address of the host wake word (a u32 in kernel memory, 4-aligned):
/// JS waits on it with `Atomics.waitAsync` (docs/browser-host.md).
#[no_mangle]
pub extern "C" fn wasmpod_host_events() -> u32 {
    &HOST_EVENTS as *const Condvar as usize as u32
}
