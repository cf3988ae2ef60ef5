//! The kernel object, the per-call context and the one blocking primitive.
//!
//! All kernel state sits in one [`State`] behind one lock (the "big kernel
//! lock", see the lock order in `lib.rs`). A syscall takes the lock, runs its
//! handler with a [`Ctx`], and releases it. A handler that must wait calls
//! [`Ctx::wait_until`], which releases the lock while asleep and wakes on
//! [`Ctx::notify`] by anyone, on timers, and on signals: so every blocking
//! call is interruptible by construction.
//!
//! Wake-ups are kernel-wide for now (one condition variable, `notify_all`
//! when some state a waiter might care about changed). Waiters re-check
//! their condition, so a spurious wake-up costs a lock round trip and nothing
//! else. Targeted wait queues come when a benchmark shows the herd. The
//! same wake-up reaches a host that waits outside the kernel through
//! [`Platform::wake_host`].

use std::sync::Arc;

use crate::sync::lock::{Condvar, Mutex, MutexGuard};
use wasmpod_abi::Errno;

use crate::error::{Error, Restart, Result};
use crate::platform::{ClockKind, ExecImage, Platform, UserMemory};
use crate::process::{Pid, Tid};
use crate::syscall::{SyscallArgs, SyscallTable};

/// All mutable kernel state. Subsystems keep their global parts in fields
/// of their own types.
pub struct State {
    /// Processes and threads (`crate::process`).
    pub procs: crate::process::ProcessTable,
    /// Mounts, the root, global filesystem objects (`crate::fs`).
    pub fs: crate::fs::FsGlobal,
    /// Pseudo-terminals (`crate::tty`).
    pub tty: crate::tty::TtyGlobal,
    /// Timers and clocks (`crate::time`).
    pub time: crate::time::TimeGlobal,
    /// Futex wait lists (`crate::sync`).
    pub futex: crate::sync::FutexTable,
    /// hostname, domain name and other system-wide settings.
    pub sys: crate::misc::SystemInfo,
    notify_pending: bool,
}

impl State {
    /// Something waiters may care about changed: wake every sleeper when
    /// the lock is next released. For code that holds the state without a
    /// [`Ctx`] (host-side pipe ends through [`Kernel::with_state`] or
    /// [`Kernel::host_wait`], signal generation); handlers use [`Ctx::notify`].
    pub fn notify(&mut self) {
        self.notify_pending = true;
    }
}

/// Knobs a host sets when it creates the kernel.
#[derive(Clone, Debug)]
pub struct KernelConfig {
    /// Print a strace-like line for every syscall through `Platform::log`
    /// (the hosts set this from `WASMPOD_TRACE=1`).
    pub trace: bool,
    /// The hostname `uname` starts with.
    pub hostname: String,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig { trace: false, hostname: "wasmpod".into() }
    }
}

/// What the host does after a syscall.
#[derive(Debug)]
pub enum Action {
    /// Return `value` to the program.
    Return,
    /// Deliver pending signals, then issue the same call again with the same
    /// arguments (an interrupted call with `SA_RESTART`, or after a stop).
    Restart,
    /// `execve` succeeded: discard the calling thread's program and start
    /// this image in its place (other threads of the process are gone).
    Exec(ExecImage),
    /// The calling thread is finished (exit, exit_group, a fatal signal): the
    /// host stops running guest code on it and drops it.
    ExitThread,
}

/// The result of [`Kernel::syscall`].
#[derive(Debug)]
pub struct SyscallReturn {
    /// The value to return (`-errno` on failure), when `action` is `Return`.
    pub value: i64,
    pub action: Action,
    /// A signal is ready for delivery: the host calls
    /// [`Kernel::deliver_signal`] before returning to the program.
    pub signal_pending: bool,
}

/// The kernel: shared by every host thread.
pub struct Kernel {
    state: Mutex<State>,
    cond: Condvar,
    platform: Arc<dyn Platform>,
    table: SyscallTable,
    config: KernelConfig,
}

impl Kernel {
    /// A kernel with an empty process table and the initial mounts
    /// (tmpfs root, devfs at /dev, procfs at /proc).
    pub fn new(platform: Arc<dyn Platform>, config: KernelConfig) -> Arc<Kernel> {
        let now = platform.now(ClockKind::Monotonic);
        let state = State {
            procs: crate::process::ProcessTable::default(),
            fs: crate::fs::FsGlobal::new_at(crate::fs::Timespec::from_nanos(platform.now(ClockKind::Realtime))),
            tty: crate::tty::TtyGlobal::default(),
            time: crate::time::TimeGlobal::new(now),
            futex: crate::sync::FutexTable::default(),
            sys: crate::misc::SystemInfo::new(&config.hostname),
            notify_pending: false,
        };
        Arc::new(Kernel {
            state: Mutex::new(state),
            cond: Condvar::new(),
            platform,
            table: SyscallTable::build(),
            config,
        })
    }

    pub fn platform(&self) -> &Arc<dyn Platform> {
        &self.platform
    }

    pub fn config(&self) -> &KernelConfig {
        &self.config
    }

    /// The syscall table (for docs and traces).
    pub fn table(&self) -> &SyscallTable {
        &self.table
    }

    /// Runs `f` with the kernel lock held and a context for thread `tid`,
    /// outside any syscall (host hooks and tests use this).
    pub fn with_ctx<R>(&self, tid: Tid, mem: &mut dyn UserMemory, f: impl FnOnce(&mut Ctx) -> R) -> R {
        let st = self.state.lock();
        let mut ctx = Ctx { kernel: self, st, tid, mem, action: None };
        let r = f(&mut ctx);
        ctx.flush_notify();
        r
    }

    /// Runs `f` with the kernel lock held, with no calling thread.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut st = self.state.lock();
        let r = f(&mut st);
        self.flush_kill_requests(&mut st, 0);
        if std::mem::take(&mut st.notify_pending) {
            self.wake_all();
        }
        r
    }

    /// The system call entry point both hosts use. `tid` is the host
    /// thread's kernel thread id (as given at process/thread start); during
    /// a vfork it is still the parent's, and the kernel redirects the call
    /// to the child that borrows the thread.
    pub fn syscall(&self, tid: Tid, nr: u32, args: [u64; 6], mem: &mut dyn UserMemory) -> SyscallReturn {
        let st = self.state.lock();
        let mut ctx = Ctx { kernel: self, st, tid, mem, action: None };
        ctx.tid = crate::process::effective_tid(&ctx.st, tid);
        let nr = wasmpod_abi::syscalls::canonical(nr);
        if crate::process::must_exit(&ctx.st, ctx.tid) {
            // A vfork child that died (of a signal) while its code still
            // runs on this lent thread: see process/vfork.rs.
            if ctx.tid != tid {
                let r = crate::process::vfork::dead_child_call(&mut ctx, nr);
                ctx.flush_notify();
                return r;
            }
            // A thread of an exiting (or already reaped) process never runs
            // a handler again: exit_group/a fatal signal ended it.
            return SyscallReturn { value: 0, action: Action::ExitThread, signal_pending: false };
        }
        crate::time::run_expired_timers(&mut ctx);
        let args = SyscallArgs(args);
        let entry = self.table.get(nr);
        let result = match entry.and_then(|e| e.handler) {
            Some(h) => h(&mut ctx, &args),
            None => Err(Error::new(Errno::ENOSYS, "syscall not implemented")),
        };
        // Hangups of ttys whose last fd closed during the call.
        crate::tty::run_deferred(&mut ctx);
        if self.config.trace {
            crate::syscall::trace::log_call(&mut ctx, nr, &args, &result);
        }
        let ret = ctx.finish(result);
        ctx.flush_notify();
        ret
    }

    /// Delivers one pending signal to thread `tid` on its way back to the
    /// program (the host calls this while `signal_pending` is set). `sp` is
    /// the thread's current stack pointer: a handler frame (siginfo,
    /// ucontext with the saved mask) is written below it, or on the
    /// alternate stack.
    pub fn deliver_signal(&self, tid: Tid, mem: &mut dyn UserMemory, sp: u32) -> crate::signal::Delivery {
        let st = self.state.lock();
        let mut ctx = Ctx { kernel: self, st, tid, mem, action: None };
        ctx.tid = crate::process::effective_tid(&ctx.st, tid);
        if ctx.tid != tid && crate::process::must_exit(&ctx.st, ctx.tid) {
            // A dead vfork child's code runs on until its _exit/execve,
            // which gives the thread back (process/vfork.rs): don't end
            // the lender's thread.
            return crate::signal::Delivery::None;
        }
        let d = crate::signal::deliver(&mut ctx, sp);
        // A fatal signal closes fds outside any syscall.
        crate::tty::run_deferred(&mut ctx);
        ctx.flush_notify();
        d
    }

    /// Blocks a *host* thread that is not a guest thread (the host's stdin
    /// pump or stdout reader, a terminal pump reading a pty master) until
    /// `ready` returns `Some`. `ready` runs with the lock held, with a
    /// context whose `tid` is 0 and which has no user memory, first at once
    /// and then after every wake-up; notifications it makes are sent before
    /// this returns or sleeps. No signals, no deadline: the caller's
    /// condition must cover shutdown (e.g. its pipe end closing).
    pub fn host_wait<R>(&self, mut ready: impl FnMut(&mut Ctx) -> Option<R>) -> R {
        let mut mem = crate::platform::NoUserMemory;
        let st = self.state.lock();
        let mut ctx = Ctx { kernel: self, st, tid: 0, mem: &mut mem, action: None };
        loop {
            let r = ready(&mut ctx);
            ctx.flush_notify();
            if let Some(r) = r {
                return r;
            }
            self.cond.wait(&mut ctx.st);
        }
    }

    /// Asks the host to stop the threads a fatal signal hit while they ran
    /// guest code (`ProcessTable::kill_requests`), except `caller`, which
    /// is in the kernel and leaves through the normal exit path.
    fn flush_kill_requests(&self, st: &mut State, caller: Tid) {
        if st.procs.kill_requests.is_empty() {
            return;
        }
        for t in std::mem::take(&mut st.procs.kill_requests) {
            if t != caller {
                self.platform.kill_thread(t);
            }
        }
    }

    /// Wakes every sleeper so that it re-reads the clock. The fake platform
    /// calls this after advancing time; real hosts never need to.
    pub fn clock_changed(&self) {
        let mut st = self.state.lock();
        st.notify_pending = false;
        self.wake_all();
    }

    /// Wakes every sleeper: the kernel's own (guest threads in
    /// [`Ctx::wait_until`], host threads in [`Kernel::host_wait`]) and the
    /// host's event loop ([`Platform::wake_host`]). The one place the
    /// kernel-wide wake-up happens.
    fn wake_all(&self) {
        self.cond.notify_all();
        self.platform.wake_host();
    }
}

/// The context of one kernel entry: the locked state, the calling thread
/// and its memory.
pub struct Ctx<'a> {
    pub kernel: &'a Kernel,
    pub st: MutexGuard<'a, State>,
    /// The calling thread (after vfork redirection).
    pub tid: Tid,
    pub mem: &'a mut dyn UserMemory,
    /// Set by handlers whose success is not a plain return (execve sets
    /// `Exec`, exit sets `ExitThread`).
    pub action: Option<Action>,
}

impl Ctx<'_> {
    /// Turns a handler's result into what the host does next.
    fn finish(&mut self, result: Result<i64>) -> SyscallReturn {
        let mut value = 0;
        let mut action = self.action.take().unwrap_or(Action::Return);
        match result {
            Ok(v) => value = v,
            Err(e) if e.errno() == Errno::EINTR && e.restart() != Restart::No => {
                if crate::signal::should_restart(self, e.restart()) {
                    action = Action::Restart;
                } else {
                    value = -i64::from(Errno::EINTR.as_i32());
                }
            }
            Err(e) => value = -i64::from(e.errno().as_i32()),
        }
        if crate::process::must_exit(&self.st, self.tid) {
            action = Action::ExitThread;
        }
        let signal_pending =
            !matches!(action, Action::ExitThread) && crate::signal::has_deliverable(&self.st, self.tid);
        SyscallReturn { value, action, signal_pending }
    }

    pub fn platform(&self) -> &dyn Platform {
        &*self.kernel.platform
    }

    /// The process of the calling thread.
    pub fn pid(&self) -> Pid {
        self.st.procs.pid_of(self.tid)
    }

    /// The calling process.
    ///
    /// # Panics
    /// If the calling thread has no process: the kernel removes a thread
    /// only after it left the kernel for good, so this is a kernel bug.
    pub fn process(&self) -> &crate::process::Process {
        let pid = self.pid();
        self.st.procs.procs.get(&pid).expect("calling thread has a process")
    }

    /// The calling process, mutably.
    pub fn process_mut(&mut self) -> &mut crate::process::Process {
        let pid = self.pid();
        self.st.procs.procs.get_mut(&pid).expect("calling thread has a process")
    }

    /// The calling thread.
    pub fn thread(&self) -> &crate::process::Thread {
        self.st.procs.threads.get(&self.tid).expect("calling thread exists")
    }

    /// The calling thread, mutably.
    pub fn thread_mut(&mut self) -> &mut crate::process::Thread {
        let tid = self.tid;
        self.st.procs.threads.get_mut(&tid).expect("calling thread exists")
    }

    /// The open file behind `fd` of the calling process (`EBADF`).
    pub fn file(&self, fd: i32) -> Result<Arc<crate::fs::OpenFile>> {
        self.process().files.get(fd)
    }

    /// Monotonic nanoseconds.
    pub fn now(&self) -> u64 {
        self.kernel.platform.now(ClockKind::Monotonic)
    }

    /// Something waiters may care about changed: wake every sleeper when
    /// the lock is next released.
    pub fn notify(&mut self) {
        self.st.notify_pending = true;
    }

    /// Sends the wake-ups and the host kill requests this kernel entry
    /// made. Every way into the kernel ends here (syscalls, host hooks,
    /// host waits), so a signal sent from any of them (a terminal's ^C
    /// typed through `HostPty`) stops busy threads at once.
    fn flush_notify(&mut self) {
        self.kernel.flush_kill_requests(&mut self.st, self.tid);
        if std::mem::take(&mut self.st.notify_pending) {
            self.kernel.wake_all();
        }
    }

    /// Blocks the calling thread until `ready` returns `Some`, the monotonic
    /// `deadline` (ns) passes (`ETIMEDOUT`), or a signal arrives for the
    /// thread (`EINTR` with the given restart behaviour). `ready` runs with
    /// the lock held, first immediately and then after every wake-up.
    pub fn wait_until<R>(
        &mut self,
        deadline: Option<u64>,
        restart: Restart,
        mut ready: impl FnMut(&mut Ctx) -> Result<Option<R>>,
    ) -> Result<R> {
        loop {
            if let Some(r) = ready(self)? {
                return Ok(r);
            }
            if crate::signal::interrupts_wait(self) {
                return Err(Error::interrupted(restart));
            }
            let now = self.now();
            if let Some(d) = deadline {
                if now >= d {
                    return Err(Error::new(Errno::ETIMEDOUT, "wait timed out"));
                }
            }
            self.sleep(deadline);
            crate::time::run_expired_timers(self);
        }
    }

    /// Sleeps once (until notified, or until the earlier of `deadline` and
    /// the next kernel timer). Callers loop and re-check.
    fn sleep(&mut self, deadline: Option<u64>) {
        self.flush_notify();
        let wake_at = match (deadline, self.st.time.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let budget = wake_at.and_then(|d| self.kernel.platform.sleep_budget(d));
        self.st.procs.set_sleeping(self.tid, true);
        match budget {
            Some(dur) => {
                self.kernel.cond.wait_for(&mut self.st, dur);
            }
            None => self.kernel.cond.wait(&mut self.st),
        }
        self.st.procs.set_sleeping(self.tid, false);
    }

    // ---- user memory -------------------------------------------------------

    /// Copies `buf.len()` bytes from user address `addr` (EFAULT on a bad range).
    ///
    /// A NULL pointer (address 0) is `EFAULT` as on Linux, although
    /// address 0 is readable wasm memory: no C object ever lives there.
    pub fn read_user(&self, addr: u32, buf: &mut [u8]) -> Result<()> {
        if addr == 0 && !buf.is_empty() {
            return Err(Error::new(Errno::EFAULT, "NULL user pointer"));
        }
        self.mem.read(addr, buf).map_err(|_| Error::new(Errno::EFAULT, "bad user address"))
    }

    /// Copies `data` to user address `addr` (EFAULT on a bad range).
    pub fn write_user(&mut self, addr: u32, data: &[u8]) -> Result<()> {
        if addr == 0 && !data.is_empty() {
            return Err(Error::new(Errno::EFAULT, "NULL user pointer"));
        }
        self.mem.write(addr, data).map_err(|_| Error::new(Errno::EFAULT, "bad user address"))
    }

    /// Reads `len` bytes into a new vector (checked against the memory size
    /// first, so a huge bogus length is EFAULT, not an allocation).
    pub fn read_user_vec(&self, addr: u32, len: usize) -> Result<Vec<u8>> {
        let end = u64::from(addr).checked_add(len as u64).ok_or(Error::new(Errno::EFAULT, "address overflow"))?;
        if end > self.mem.size() || (addr == 0 && len > 0) {
            return Err(Error::new(Errno::EFAULT, "bad user address"));
        }
        let mut v = vec![0u8; len];
        self.read_user(addr, &mut v)?;
        Ok(v)
    }

    /// Reads a struct from user memory.
    pub fn read_struct<T: wasmpod_abi::AbiStruct>(&self, addr: u32) -> Result<T> {
        let mut b = [0u8; wasmpod_abi::layout_cap()];
        let b = &mut b[..T::SIZE];
        self.read_user(addr, b)?;
        Ok(T::decode(b))
    }

    /// Writes a struct to user memory.
    pub fn write_struct<T: wasmpod_abi::AbiStruct>(&mut self, addr: u32, v: &T) -> Result<()> {
        let b = v.to_vec();
        self.write_user(addr, &b)
    }

    pub fn read_u32(&self, addr: u32) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_user(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u32(&mut self, addr: u32, v: u32) -> Result<()> {
        self.write_user(addr, &v.to_le_bytes())
    }

    pub fn read_u64(&self, addr: u32) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read_user(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn write_u64(&mut self, addr: u32, v: u64) -> Result<()> {
        self.write_user(addr, &v.to_le_bytes())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the
    /// NUL). Longer: `ENAMETOOLONG` (for paths) — callers pass the errno
    /// they need through `too_long`.
    pub fn read_cstr(&self, addr: u32, max: usize, too_long: Errno) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut chunk = [0u8; 256];
        let mut at = addr;
        loop {
            // Read up to the end of memory, at most one chunk at a time.
            let avail = self.mem.size().saturating_sub(u64::from(at));
            if avail == 0 {
                return Err(Error::new(Errno::EFAULT, "unterminated string"));
            }
            let n = (chunk.len() as u64).min(avail) as usize;
            self.read_user(at, &mut chunk[..n])?;
            if let Some(z) = chunk[..n].iter().position(|&c| c == 0) {
                out.extend_from_slice(&chunk[..z]);
                if out.len() > max {
                    return Err(Error::new(too_long, "string too long"));
                }
                return Ok(out);
            }
            out.extend_from_slice(&chunk[..n]);
            if out.len() > max {
                return Err(Error::new(too_long, "string too long"));
            }
            at = at.checked_add(n as u32).ok_or(Error::new(Errno::EFAULT, "unterminated string"))?;
        }
    }

    /// Reads a path argument: at most `PATH_MAX` bytes including the NUL
    /// (`ENAMETOOLONG` beyond), never empty unless the caller allows it.
    pub fn read_path(&self, addr: u32) -> Result<Vec<u8>> {
        self.read_cstr(addr, wasmpod_abi::fs::PATH_MAX - 1, Errno::ENAMETOOLONG)
    }
}
