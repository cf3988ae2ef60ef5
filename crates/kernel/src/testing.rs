//! Fakes for driving the kernel the way processes do: a [`FakePlatform`]
//! with a clock that moves only when told, a [`FakeMemory`] per process, and
//! [`Harness`]/[`Proc`] helpers to make calls and place arguments in memory.
//!
//! Tests that block run the blocking call on a `std::thread` and wait for
//! the *event* ([`Harness::wait_sleeping`]), never for a fixed time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use wasmpod_abi::AbiStruct;

use crate::kernel::{Kernel, KernelConfig, SyscallReturn};
use crate::platform::{ClockKind, ExecImage, Fault, Platform, ThreadStart, UserMemory};
use crate::process::{Credentials, Pid, Tid};

/// 2026-01-01T00:00:00Z: where the fake wall clock starts.
pub const FAKE_EPOCH_NS: u64 = 1_767_225_600 * 1_000_000_000;

/// Something the kernel asked the host to do.
#[derive(Clone, Debug)]
pub enum HostEvent {
    StartProcess { pid: Pid, tid: Tid, image: ExecImage },
    StartThread(ThreadStart),
    KillThread(Tid),
}

/// A deterministic platform.
pub struct FakePlatform {
    mono: AtomicU64,
    rng: Mutex<u64>,
    pub events: Mutex<Vec<HostEvent>>,
    pub log: Mutex<Vec<String>>,
    /// How many times the kernel called [`Platform::wake_host`].
    pub host_wakes: AtomicU64,
}

impl FakePlatform {
    pub fn new() -> Arc<Self> {
        Arc::new(FakePlatform {
            mono: AtomicU64::new(1_000_000_000),
            rng: Mutex::new(0x9E37_79B9_7F4A_7C15),
            events: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            host_wakes: AtomicU64::new(0),
        })
    }

    /// Moves the clock (the harness then wakes the kernel's sleepers).
    pub fn advance_ns(&self, ns: u64) {
        self.mono.fetch_add(ns, Ordering::SeqCst);
    }

    pub fn take_events(&self) -> Vec<HostEvent> {
        std::mem::take(&mut *self.events.lock())
    }
}

impl Platform for FakePlatform {
    fn now(&self, clock: ClockKind) -> u64 {
        let m = self.mono.load(Ordering::SeqCst);
        match clock {
            ClockKind::Monotonic => m,
            ClockKind::Realtime => FAKE_EPOCH_NS + m,
        }
    }
    fn sleep_budget(&self, _deadline: u64) -> Option<std::time::Duration> {
        None
    }
    fn random(&self, buf: &mut [u8]) {
        let mut s = self.rng.lock();
        for b in buf {
            // xorshift64
            *s ^= *s << 13;
            *s ^= *s >> 7;
            *s ^= *s << 17;
            *b = *s as u8;
        }
    }
    fn start_process(&self, pid: Pid, tid: Tid, image: ExecImage) {
        self.events.lock().push(HostEvent::StartProcess { pid, tid, image });
    }
    fn start_thread(&self, start: ThreadStart) {
        self.events.lock().push(HostEvent::StartThread(start));
    }
    fn kill_thread(&self, tid: Tid) {
        self.events.lock().push(HostEvent::KillThread(tid));
    }
    fn log(&self, line: &str) {
        self.log.lock().push(line.to_string());
    }
    fn wake_host(&self) {
        self.host_wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A process's linear memory; clones share the bytes (threads).
#[derive(Clone)]
pub struct FakeMemory {
    bytes: Arc<Mutex<Vec<u8>>>,
    max: u64,
}

impl FakeMemory {
    /// `size` bytes, growable to `max`.
    pub fn new(size: usize, max: u64) -> Self {
        FakeMemory { bytes: Arc::new(Mutex::new(vec![0; size])), max }
    }
}

impl UserMemory for FakeMemory {
    fn read(&self, addr: u32, buf: &mut [u8]) -> Result<(), Fault> {
        let m = self.bytes.lock();
        let a = addr as usize;
        let end = a.checked_add(buf.len()).ok_or(Fault)?;
        buf.copy_from_slice(m.get(a..end).ok_or(Fault)?);
        Ok(())
    }
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        let mut m = self.bytes.lock();
        let a = addr as usize;
        let end = a.checked_add(data.len()).ok_or(Fault)?;
        m.get_mut(a..end).ok_or(Fault)?.copy_from_slice(data);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.bytes.lock().len() as u64
    }
    fn grow_to(&mut self, bytes: u64) -> Result<(), Fault> {
        if bytes > self.max {
            return Err(Fault);
        }
        let page = u64::from(wasmpod_abi::mman::WASM_PAGE_SIZE);
        let want = bytes.div_ceil(page) * page;
        let mut m = self.bytes.lock();
        if want as usize > m.len() {
            m.resize(want as usize, 0);
        }
        Ok(())
    }
}

/// Where the harness's scratch allocations start: the first 64 KiB stay
/// unused so that small addresses (and 0) can be used as bad pointers.
pub const SCRATCH_BASE: u32 = 0x1_0000;
/// Default memory size of a test process (4 MiB, growable to 64 MiB).
pub const TEST_MEM: usize = 4 << 20;

/// A kernel with a fake platform.
pub struct Harness {
    pub kernel: Arc<Kernel>,
    pub platform: Arc<FakePlatform>,
}

impl Harness {
    pub fn new() -> Self {
        let platform = FakePlatform::new();
        let kernel = Kernel::new(platform.clone(), KernelConfig::default());
        Harness { kernel, platform }
    }

    /// A new process owned by user 1000, child of `parent` (or a new session).
    pub fn process(&self, parent: Option<&Proc>) -> Proc {
        self.process_as(parent, Credentials::user())
    }

    /// A new process with the given credentials.
    pub fn process_as(&self, parent: Option<&Proc>, creds: Credentials) -> Proc {
        let now = self.platform.now(ClockKind::Monotonic);
        let pid = self
            .kernel
            .with_state(|st| crate::process::new_process(st, parent.map(|p| p.pid), creds, now))
            .expect("process table full");
        // Every process has its own memory (vfork children run on the
        // parent's, but act through the parent's `Proc`).
        let mem = FakeMemory::new(TEST_MEM, 64 << 20);
        Proc { kernel: self.kernel.clone(), pid, tid: pid, mem, next: Arc::new(Mutex::new(SCRATCH_BASE)) }
    }

    /// Advances the fake clock and lets sleepers re-check.
    pub fn advance_ns(&self, ns: u64) {
        self.platform.advance_ns(ns);
        self.kernel.clock_changed();
    }

    /// Waits (by spinning on the kernel state, with `yield_now`) until
    /// thread `tid` is asleep in the kernel. Panics after ~10 s of spinning,
    /// which means the thread never blocked: a test failure, not a timing
    /// assumption.
    pub fn wait_sleeping(&self, tid: Tid) {
        let start = std::time::Instant::now();
        loop {
            let asleep = self.kernel.with_state(|st| st.procs.threads.get(&tid).is_some_and(|t| t.sleeping));
            if asleep {
                return;
            }
            assert!(start.elapsed().as_secs() < 10, "thread {tid} never went to sleep in the kernel");
            std::thread::yield_now();
        }
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// A handle to act as one thread of a process.
#[derive(Clone)]
pub struct Proc {
    pub kernel: Arc<Kernel>,
    pub pid: Pid,
    pub tid: Tid,
    pub mem: FakeMemory,
    next: Arc<Mutex<u32>>,
}

impl Proc {
    /// Makes a call and returns everything the host would see.
    pub fn call(&self, nr: u32, args: &[u64]) -> SyscallReturn {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        let mut mem = self.mem.clone();
        self.kernel.syscall(self.tid, nr, a, &mut mem)
    }

    /// Makes a call and returns its value (`-errno` on failure).
    pub fn sys(&self, nr: u32, args: &[u64]) -> i64 {
        self.call(nr, args).value
    }

    /// The same process acting as another thread `tid` (the thread must exist).
    pub fn as_thread(&self, tid: Tid) -> Proc {
        Proc { tid, ..self.clone() }
    }

    /// Allocates `len` zeroed bytes of scratch memory (8-byte aligned).
    pub fn alloc(&self, len: usize) -> u32 {
        let mut n = self.next.lock();
        let addr = *n;
        *n = (addr + len as u32 + 7) & !7;
        assert!((*n as usize) < TEST_MEM, "test scratch memory exhausted");
        let mut mem = self.mem.clone();
        mem.write(addr, &vec![0; len]).expect("scratch inside memory");
        addr
    }

    /// Places `data` in scratch memory.
    pub fn bytes(&self, data: &[u8]) -> u32 {
        let a = self.alloc(data.len().max(1));
        self.write(a, data);
        a
    }

    /// Places a NUL-terminated string in scratch memory.
    pub fn cstr(&self, s: &str) -> u64 {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        u64::from(self.bytes(&v))
    }

    /// Places a NULL-terminated array of C strings (argv/envp) in memory.
    pub fn cstr_array(&self, items: &[&str]) -> u64 {
        let ptrs: Vec<u32> = items.iter().map(|s| self.cstr(s) as u32).collect();
        let arr = self.alloc((ptrs.len() + 1) * 4);
        for (i, p) in ptrs.iter().enumerate() {
            self.write(arr + 4 * i as u32, &p.to_le_bytes());
        }
        u64::from(arr)
    }

    pub fn write(&self, addr: u32, data: &[u8]) {
        let mut mem = self.mem.clone();
        mem.write(addr, data).expect("write inside memory");
    }

    pub fn read(&self, addr: u32, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.mem.read(addr, &mut v).expect("read inside memory");
        v
    }

    pub fn read_u32(&self, addr: u32) -> u32 {
        u32::from_le_bytes(self.read(addr, 4).try_into().expect("4 bytes"))
    }

    pub fn read_i32(&self, addr: u32) -> i32 {
        self.read_u32(addr) as i32
    }

    pub fn read_u64(&self, addr: u32) -> u64 {
        u64::from_le_bytes(self.read(addr, 8).try_into().expect("8 bytes"))
    }

    pub fn read_struct<T: AbiStruct>(&self, addr: u32) -> T {
        T::decode(&self.read(addr, T::SIZE))
    }

    /// Places a struct in scratch memory.
    pub fn put_struct<T: AbiStruct>(&self, v: &T) -> u32 {
        self.bytes(&v.to_vec())
    }
}
