//! Clocks, sleeps and kernel timers (alarm, interval timers, timerfd,
//! timeouts).

use crate::kernel::Ctx;
use crate::syscall::Entry;

/// Kernel-wide time state.
pub struct TimeGlobal {
    /// Monotonic ns at boot (uptime is measured from here).
    pub boot: u64,
}

impl TimeGlobal {
    pub fn new(boot: u64) -> Self {
        TimeGlobal { boot }
    }

    /// The earliest pending timer deadline (monotonic ns).
    pub fn next_deadline(&self) -> Option<u64> {
        None
    }
}

/// Fires every timer whose deadline has passed.
pub fn run_expired_timers(_ctx: &mut Ctx) {}

pub const SYSCALLS: &[Entry] = &[];
