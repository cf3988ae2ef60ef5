//! The kernel's two seams to the outside world (ARCHITECTURE §2):
//! [`Platform`] (clock, randomness, starting programs and threads, logging)
//! and [`UserMemory`] (the calling program's linear memory).
//!
//! Hosts implement both: the native host over wasmtime, the browser host over
//! JS imports, and the tests over fakes (`crate::testing`).

use std::sync::Arc;
use std::time::Duration;

use crate::process::{Pid, Tid};

/// A fault while touching user memory: the range is outside the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault;

/// The memory of the program that made the call (the whole wasm linear
/// memory of its process). All addresses are wasm32 pointers.
pub trait UserMemory {
    /// Copies `buf.len()` bytes from `addr`; `Fault` if any byte is outside.
    fn read(&self, addr: u32, buf: &mut [u8]) -> Result<(), Fault>;
    /// Copies `data` to `addr`; `Fault` if any byte is outside.
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault>;
    /// Current size in bytes.
    fn size(&self) -> u64;
    /// Grows the memory to at least `bytes` (rounded up to whole wasm pages).
    /// Memory never shrinks. `Fault` if the maximum is exceeded.
    fn grow_to(&mut self, bytes: u64) -> Result<(), Fault>;
    /// Atomically compares the 32-bit word at `addr` with `expected`
    /// (futex wait). The default reads it, which is enough while the kernel
    /// lock serialises all futex operations.
    fn load_u32(&self, addr: u32) -> Result<u32, Fault> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

/// Memory for kernel work done on a host's behalf, outside any program:
/// every access faults.
pub struct NoUserMemory;

impl UserMemory for NoUserMemory {
    fn read(&self, _addr: u32, _buf: &mut [u8]) -> Result<(), Fault> {
        Err(Fault)
    }
    fn write(&mut self, _addr: u32, _data: &[u8]) -> Result<(), Fault> {
        Err(Fault)
    }
    fn size(&self) -> u64 {
        0
    }
    fn grow_to(&mut self, _bytes: u64) -> Result<(), Fault> {
        Err(Fault)
    }
}

/// Which clock to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockKind {
    /// Wall-clock time: nanoseconds since the Unix epoch.
    Realtime,
    /// Nanoseconds since the kernel started; never goes back.
    Monotonic,
}

/// A program image ready to start: what `execve`/`spawn` hand to the host.
#[derive(Clone, Debug)]
pub struct ExecImage {
    /// Absolute path of the program inside the pod (what `/proc/self/exe` shows).
    pub path: String,
    /// The wasm module bytes.
    pub module: Arc<Vec<u8>>,
    /// A key that identifies these bytes for compilation caches: the file's
    /// (device, inode, mtime in ns, size). Equal keys mean equal bytes.
    pub cache_key: (u64, u64, i64, u64),
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
}

/// How a new thread of an existing process starts (clone with `CLONE_VM`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadStart {
    pub pid: Pid,
    pub tid: Tid,
    /// The new thread's stack pointer (clone's `stack` argument).
    pub stack: u32,
    /// The TLS block (`CLONE_SETTLS`), or 0.
    pub tls: u32,
    /// The raw clone arguments, for the host's thread-entry glue.
    pub args: [u64; 6],
}

/// Everything the kernel needs from the host.
///
/// Calls happen with the kernel lock held: implementations must not call
/// back into the kernel, and must not block for long (hand work to another
/// thread instead).
pub trait Platform: Send + Sync {
    /// Reads a clock, in nanoseconds.
    fn now(&self, clock: ClockKind) -> u64;

    /// How long the kernel should sleep, in real time, to reach the
    /// monotonic `deadline` (ns). `None` means "until woken": the fake
    /// platform returns `None` and wakes sleepers itself when its clock
    /// advances (see [`crate::Kernel::clock_changed`]).
    fn sleep_budget(&self, deadline: u64) -> Option<Duration> {
        let now = self.now(ClockKind::Monotonic);
        Some(Duration::from_nanos(deadline.saturating_sub(now)))
    }

    /// Fills `buf` with random bytes (getrandom, AT_RANDOM, /dev/urandom).
    fn random(&self, buf: &mut [u8]);

    /// Starts `image` as the main thread `tid` of process `pid` on a new host
    /// thread/worker. Used by `spawn` and by `execve` from a vfork child
    /// (whose calling host thread belongs to the parent).
    fn start_process(&self, pid: Pid, tid: Tid, image: ExecImage);

    /// Starts a new thread of an existing process (clone).
    fn start_thread(&self, start: ThreadStart);

    /// Forcibly stops a host thread that is running guest code and will not
    /// enter the kernel again (SIGKILL of a busy process). The host must not
    /// stop a thread while it is inside the kernel.
    fn kill_thread(&self, _tid: Tid) {}

    /// A line of diagnostics (syscall traces with `WASMPOD_TRACE=1`).
    fn log(&self, line: &str);

    /// State a host might be waiting for may have changed: the kernel calls
    /// this whenever it wakes its own sleepers (data in a host pipe or on a
    /// terminal, a pipe end closed, a process exited, ...). A host whose
    /// event loop cannot sleep inside the kernel (the browser's control
    /// worker, which must not block) uses it to learn that it should poll
    /// its pipes, terminals and processes again, instead of polling on a
    /// timer. Wake-ups are kernel-wide, so it may be spurious. It runs with
    /// the kernel lock held on every wake-up: keep it cheap (an atomic
    /// increment and a notify), and never call back into the kernel.
    /// Hosts that wait inside the kernel (`Kernel::host_wait`) need nothing
    /// here: the default does nothing.
    fn wake_host(&self) {}
}
