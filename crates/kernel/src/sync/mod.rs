//! futex(2): the kernel side of user-space locks (`futex.rs`), and the
//! wait lists it keeps ([`FutexTable`]).

pub mod futex;
pub mod lock;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::process::{Pid, Tid};
use crate::syscall::{partial, Entry};
use wasmpod_abi::syscalls::*;

/// A futex's identity: the calling thread's process, and the word's
/// address. Private and shared futexes get the same key: each process has
/// its own wasm memory, so there is no memory shared between processes
/// whose futexes could meet.
///
/// Known gap: a vfork child runs on its parent's memory but keys by its own
/// pid, so a futex it waits on is not woken by the parent's other threads
/// (nor the reverse). Between vfork and execve a child should only call
/// async-signal-safe functions, which don't take locks.
pub type FutexKey = (Pid, u32);

/// One queued waiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    pub tid: Tid,
    /// `FUTEX_WAIT_BITSET`'s mask (`FUTEX_BITSET_MATCH_ANY` for FUTEX_WAIT).
    pub bitset: u32,
}

/// Waiters by futex key, each queue in arrival order (Linux wakes in
/// priority order, which for SCHED_OTHER tasks of equal priority is FIFO).
/// A woken waiter leaves its queue at once and is put in `woken`, so wake
/// counts are exact even before the woken thread runs again.
#[derive(Default)]
pub struct FutexTable {
    queues: BTreeMap<FutexKey, VecDeque<Waiter>>,
    woken: BTreeSet<Tid>,
}

impl FutexTable {
    /// Queues `w` on `key`.
    pub fn enqueue(&mut self, key: FutexKey, w: Waiter) {
        self.queues.entry(key).or_default().push_back(w);
    }

    /// Wakes up to `n` waiters on `key` whose bitset meets `bitset`;
    /// returns how many.
    pub fn wake(&mut self, key: FutexKey, n: usize, bitset: u32) -> usize {
        let mut woken = 0;
        if let Some(q) = self.queues.get_mut(&key) {
            let mut i = 0;
            while i < q.len() && woken < n {
                if q[i].bitset & bitset != 0 {
                    if let Some(w) = q.remove(i) {
                        self.woken.insert(w.tid);
                        woken += 1;
                    }
                } else {
                    i += 1;
                }
            }
            if q.is_empty() {
                self.queues.remove(&key);
            }
        }
        woken
    }

    /// Moves up to `n` waiters from `from` to the end of `to`'s queue;
    /// returns how many.
    pub fn requeue(&mut self, from: FutexKey, to: FutexKey, n: usize) -> usize {
        if from == to || n == 0 {
            return self.queues.get(&from).map_or(0, |q| q.len().min(n));
        }
        let Some(q) = self.queues.get_mut(&from) else { return 0 };
        let k = q.len().min(n);
        let moved: Vec<Waiter> = q.drain(..k).collect();
        if q.is_empty() {
            self.queues.remove(&from);
        }
        self.queues.entry(to).or_default().extend(moved);
        k
    }

    /// Whether `tid` was woken; consumes the wake-up.
    pub fn take_woken(&mut self, tid: Tid) -> bool {
        self.woken.remove(&tid)
    }

    /// Drops every trace of `tid` (its wait ended without a wake-up, or it
    /// is gone).
    pub fn forget(&mut self, tid: Tid) {
        self.woken.remove(&tid);
        self.queues.retain(|_, q| {
            q.retain(|w| w.tid != tid);
            !q.is_empty()
        });
    }

    /// Number of threads waiting on `key` (tests, /proc).
    pub fn waiters(&self, key: FutexKey) -> usize {
        self.queues.get(&key).map_or(0, |q| q.len())
    }
}

pub const SYSCALLS: &[Entry] = &[
    partial(
        SYS_futex,
        futex::sys_futex,
        "WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET; PI operations ENOSYS",
    ),
    partial(SYS_set_robust_list, futex::sys_set_robust_list, "recorded; not walked at thread exit"),
    partial(SYS_get_robust_list, futex::sys_get_robust_list, "returns what set_robust_list recorded"),
];
