//! The kernel's locks: `parking_lot`'s on native hosts; on wasm32 a thin
//! wrapper over std's, with the same API.
//!
//! On stable Rust, `parking_lot` cannot park on wasm32 (its
//! `memory.atomic.wait32` parker needs its `nightly` feature; the fallback
//! panics on the first contended lock or condition wait). std's `Mutex` and
//! `Condvar` for `wasm32-wasip1-threads` are futex-based on
//! `memory.atomic.wait32`/`notify` and work on stable, which is what the
//! browser host (`crates/host-web`, one kernel instance per Worker on a
//! shared memory) needs.

#[cfg(not(target_arch = "wasm32"))]
pub use parking_lot::{Condvar, Mutex, MutexGuard};

#[cfg(target_arch = "wasm32")]
pub use self::wasm::{Condvar, Mutex, MutexGuard};

#[cfg(target_arch = "wasm32")]
mod wasm {
    use std::ops::{Deref, DerefMut};
    use std::sync::PoisonError;
    use std::time::Duration;

    /// A mutex without poisoning (a panicking kernel is lost anyway).
    #[derive(Default)]
    pub struct Mutex<T: ?Sized>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub const fn new(v: T) -> Self {
            Mutex(std::sync::Mutex::new(v))
        }
        pub fn into_inner(self) -> T {
            self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl<T: ?Sized> Mutex<T> {
        pub fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard(Some(self.0.lock().unwrap_or_else(PoisonError::into_inner)))
        }
        pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            match self.0.try_lock() {
                Ok(g) => Some(MutexGuard(Some(g))),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(MutexGuard(Some(p.into_inner()))),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }
        pub fn get_mut(&mut self) -> &mut T {
            self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
        }
    }

    impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Mutex { .. }")
        }
    }

    /// Always `Some` except inside [`Condvar`] waits.
    pub struct MutexGuard<'a, T: ?Sized>(Option<std::sync::MutexGuard<'a, T>>);

    impl<T: ?Sized> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.0.as_deref().expect("guard present outside a wait")
        }
    }

    impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.0.as_deref_mut().expect("guard present outside a wait")
        }
    }

    /// The result of [`Condvar::wait_for`].
    pub struct WaitTimeoutResult(bool);

    impl WaitTimeoutResult {
        pub fn timed_out(&self) -> bool {
            self.0
        }
    }

    #[derive(Default)]
    pub struct Condvar(std::sync::Condvar);

    impl Condvar {
        pub const fn new() -> Self {
            Condvar(std::sync::Condvar::new())
        }
        pub fn notify_all(&self) -> usize {
            self.0.notify_all();
            0
        }
        pub fn notify_one(&self) -> bool {
            self.0.notify_one();
            false
        }
        pub fn wait<T>(&self, g: &mut MutexGuard<'_, T>) {
            if let Some(inner) = g.0.take() {
                g.0 = Some(self.0.wait(inner).unwrap_or_else(PoisonError::into_inner));
            }
        }
        pub fn wait_for<T>(&self, g: &mut MutexGuard<'_, T>, dur: Duration) -> WaitTimeoutResult {
            let Some(inner) = g.0.take() else { return WaitTimeoutResult(true) };
            let (inner, r) = self.0.wait_timeout(inner, dur).unwrap_or_else(PoisonError::into_inner);
            g.0 = Some(inner);
            WaitTimeoutResult(r.timed_out())
        }
    }
}
