//! The native host: [`Runtime`] is the kernel's [`Platform`] and runs guest
//! code, one OS thread per wasm thread, each with its own wasmtime `Store`
//! and `Instance` on its process's [`SharedMemory`] (docs/program-abi.md is
//! the contract this implements).
//!
//! - A process (spawn, vfork child's exec, the first program) starts on a
//!   new OS thread: fresh memory made from the module's `env.memory`
//!   import type, instantiate, `_start`.
//! - A thread (clone) starts on a new OS thread: the same module on the
//!   process's memory, `__stack_pointer = stack`,
//!   `__wasmpod_thread_start(tls)`.
//! - Each `env.__syscall_<name>` import is a host function calling
//!   `Kernel::syscall` and acting on the result ([`syscall`]): `Exec` and
//!   `ExitThread` unwind the wasm stack with a [`Leave`] host error, signals
//!   run through `__wasmpod_sigtramp`.
//! - Traps end the process with a signal (`Kernel::thread_trapped`) and a
//!   one-line diagnostic on the host's stderr.
//! - `kill_thread` sets the thread's flag and bumps the engine's epoch:
//!   every store's epoch callback runs at its next check in guest code and
//!   the flagged one traps. Host code (the kernel) has no epoch checks, so a
//!   thread is never stopped inside the kernel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use wasmpod_abi::signal::{SIGABRT, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGURG, SIGWINCH};
use wasmpod_abi::syscalls::{self, SYS_exit, SYS_exit_group, SYS_rt_sigreturn};
use wasmpod_kernel::signal::Delivery;
use wasmpod_kernel::{Action, ClockKind, ExecImage, Kernel, Pid, Platform, ThreadStart, Tid};
use wasmtime::{
    Caller, Engine, Extern, ExternType, Instance, Linker, Module, SharedMemory, Store, ThrownException, Trap,
    UpdateDeadline, Val,
};

use super::engine::{ModuleCache, MAX_WASM_STACK};
use super::memory::WasmMemory;

/// Stack of each guest OS thread: wasm's native stack plus the kernel's.
const THREAD_STACK: usize = MAX_WASM_STACK + (8 << 20);

/// Why guest code stops running on this thread (a host error that unwinds
/// the wasm stack out of the host function that raised it).
#[derive(Debug)]
pub enum Leave {
    /// `execve` succeeded: start this image in place of the current one.
    Exec(ExecImage),
    /// The kernel said `ExitThread`.
    Exit,
    /// A signal handler must run but the module has no trampoline: the
    /// process dies of the signal (its default action).
    NoTrampoline(u32),
}

impl std::fmt::Display for Leave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leave::Exec(img) => write!(f, "exec {}", img.path),
            Leave::Exit => write!(f, "thread exit"),
            Leave::NoTrampoline(sig) => write!(f, "signal {sig} with no __wasmpod_sigtramp"),
        }
    }
}

impl std::error::Error for Leave {}

/// A process's code and memory, for starting more threads in it.
#[derive(Clone)]
struct ProcImage {
    module: Module,
    memory: SharedMemory,
}

/// Per-store data: who this thread is.
pub struct ThreadData {
    rt: Arc<Runtime>,
    tid: Tid,
    memory: SharedMemory,
}

/// The pod's host side.
pub struct Runtime {
    me: std::sync::Weak<Runtime>,
    cache: ModuleCache,
    kernel: OnceLock<Arc<Kernel>>,
    start: Instant,
    procs: Mutex<HashMap<Pid, ProcImage>>,
    /// Kill flags of the live guest threads, by tid.
    threads: Mutex<HashMap<Tid, Arc<AtomicBool>>>,
}

impl Runtime {
    pub fn new(engine: Engine) -> Arc<Runtime> {
        Arc::new_cyclic(|me| Runtime {
            me: me.clone(),
            cache: ModuleCache::new(engine),
            kernel: OnceLock::new(),
            start: Instant::now(),
            procs: Mutex::new(HashMap::new()),
            threads: Mutex::new(HashMap::new()),
        })
    }

    /// Connects the kernel (made with this runtime as its platform).
    pub fn set_kernel(&self, k: Arc<Kernel>) {
        let _ = self.kernel.set(k);
    }

    pub fn kernel(&self) -> &Arc<Kernel> {
        self.kernel.get().expect("kernel connected")
    }

    /// The guest threads whose host threads still run.
    pub fn live_threads(&self) -> Vec<Tid> {
        let mut v: Vec<Tid> = self.threads.lock().keys().copied().collect();
        v.sort_unstable();
        v
    }

    pub fn cache(&self) -> &ModuleCache {
        &self.cache
    }

    /// Checks that `module` can run under this host (every import known),
    /// with a message naming the first problem.
    pub fn check_module(module: &Module) -> Result<(), String> {
        for imp in module.imports() {
            match (imp.module(), imp.name(), imp.ty()) {
                ("env", "memory", ExternType::Memory(m)) => {
                    if !m.is_shared() || m.is_64() {
                        return Err("env.memory must be a shared 32-bit memory (link with --shared-memory)".into());
                    }
                }
                ("env", "__syscall", ExternType::Func(_)) => {}
                ("env", name, ExternType::Func(_)) if name.starts_with("__syscall_") => {
                    let sys = &name["__syscall_".len()..];
                    if syscalls::number(sys).is_none() {
                        return Err(format!("unknown system call import env.{name}"));
                    }
                }
                (m, n, _) => return Err(format!("unsupported import {m}.{n}")),
            }
        }
        if !module.imports().any(|i| i.module() == "env" && i.name() == "memory") {
            return Err("the module does not import env.memory".into());
        }
        Ok(())
    }

    fn new_thread_flag(&self, tid: Tid) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.threads.lock().insert(tid, flag.clone());
        flag
    }

    fn spawn(self: &Arc<Self>, tid: Tid, what: Start) {
        let killed = self.new_thread_flag(tid);
        let rt = self.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("wasmpod-{tid}"))
            .stack_size(THREAD_STACK)
            .spawn(move || rt.thread_main(tid, what, killed));
        if spawned.is_err() {
            self.log(&format!("wasmpod: tid {tid}: cannot start a host thread"));
            self.threads.lock().remove(&tid);
            self.kernel().thread_exited(tid);
        }
    }

    /// Starts the first program (what `Kernel::spawn_initial` returned).
    pub fn start_initial(self: &Arc<Self>, pid: Pid, tid: Tid, image: ExecImage) {
        self.spawn(tid, Start::Process(pid, image));
    }

    fn thread_main(self: Arc<Self>, tid: Tid, what: Start, killed: Arc<AtomicBool>) {
        let mut what = what;
        loop {
            let pid = match &what {
                Start::Process(pid, _) => *pid,
                Start::Thread(t) => t.pid,
            };
            match self.run_guest(tid, &what, &killed) {
                Ok(()) | Err(Outcome::Exit) | Err(Outcome::Killed) => break,
                Err(Outcome::Exec(image)) => what = Start::Process(pid, image),
                Err(Outcome::Trap(sig, why)) => {
                    let (tpid, exe) = self.describe(tid);
                    self.log(&format!("wasmpod: pid {tpid} ({exe}): {} ({why})", signame(sig)));
                    self.kernel().thread_trapped(tid, sig);
                    break;
                }
            }
        }
        self.threads.lock().remove(&tid);
        let k = self.kernel();
        k.thread_exited(tid);
        // Forget the memory of a process that is gone (threads hold their
        // own references while they run).
        let pid = match &what {
            Start::Process(pid, _) => *pid,
            Start::Thread(t) => t.pid,
        };
        let alive = k.with_state(|st| st.procs.procs.get(&pid).is_some_and(|p| p.exiting.is_none()));
        if !alive {
            self.procs.lock().remove(&pid);
        }
    }

    /// The pid and program path of the process thread `tid` runs (for a
    /// lent vfork thread, the child's).
    fn describe(&self, tid: Tid) -> (Pid, String) {
        self.kernel().with_state(|st| {
            let eff = wasmpod_kernel::process::effective_tid(st, tid);
            let pid = st.procs.pid_of(eff);
            let exe = st.procs.procs.get(&pid).map(|p| p.exe.clone()).unwrap_or_default();
            (pid, exe)
        })
    }

    /// Runs guest code for one image (or one thread start) until it
    /// leaves. `Ok` only when guest code returned normally and the thread
    /// was then ended through the kernel.
    fn run_guest(self: &Arc<Self>, tid: Tid, what: &Start, killed: &Arc<AtomicBool>) -> Result<(), Outcome> {
        let engine = self.cache.engine().clone();
        let (module, memory) = match what {
            Start::Process(pid, image) => {
                let module = match self.cache.get(image) {
                    Ok(m) => m,
                    Err(e) => return Err(Outcome::Trap(SIGSEGV, format!("cannot load the program: {e}"))),
                };
                if let Err(e) = Runtime::check_module(&module) {
                    return Err(Outcome::Trap(SIGSEGV, format!("cannot start the program: {e}")));
                }
                let memory = match new_memory(&engine, &module) {
                    Ok(m) => m,
                    Err(e) => return Err(Outcome::Trap(SIGSEGV, format!("cannot create the memory: {e}"))),
                };
                self.procs.lock().insert(*pid, ProcImage { module: module.clone(), memory: memory.clone() });
                (module, memory)
            }
            Start::Thread(t) => match self.procs.lock().get(&t.pid).cloned() {
                Some(p) => (p.module, p.memory),
                None => return Err(Outcome::Trap(SIGSEGV, "thread of a process without a program".into())),
            },
        };
        let data = ThreadData { rt: self.clone(), tid, memory: memory.clone() };
        let mut store = Store::new(&engine, data);
        store.set_epoch_deadline(1);
        let flag = killed.clone();
        store.epoch_deadline_callback(move |_| {
            if flag.load(Ordering::SeqCst) {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Continue(1))
            }
        });
        // A kill that came before the deadline was set bumped an epoch this
        // store never saw: check the flag after setting it.
        if killed.load(Ordering::SeqCst) {
            return Err(Outcome::Killed);
        }
        let instance = instantiate(&mut store, &module, &memory).map_err(|e| classify(e, killed))?;
        let result = match what {
            Start::Process(..) => {
                let start = instance
                    .get_typed_func::<(), ()>(&mut store, "_start")
                    .map_err(|_| Outcome::Trap(SIGSEGV, "the module has no _start export".into()))?;
                start.call(&mut store, ())
            }
            Start::Thread(t) => {
                let entry = instance.get_typed_func::<i32, ()>(&mut store, "__wasmpod_thread_start");
                let sp = instance.get_global(&mut store, "__stack_pointer");
                let (Ok(entry), Some(sp)) = (entry, sp) else {
                    return Err(Outcome::Trap(SIGSEGV, "the module has no __wasmpod_thread_start".into()));
                };
                sp.set(&mut store, Val::I32(t.stack as i32)).map_err(|e| Outcome::Trap(SIGSEGV, e.to_string()))?;
                entry.call(&mut store, t.tls as i32)
            }
        };
        match result {
            Ok(()) => {
                // _start returned: exit(0) of the process; a thread entry
                // returned: exit(0) of the thread (docs/program-abi.md).
                let nr = if matches!(what, Start::Process(..)) { SYS_exit_group } else { SYS_exit };
                let mut mem = WasmMemory { mem: &memory };
                let r = self.kernel().syscall(tid, nr, [0; 6], &mut mem);
                match r.action {
                    Action::Exec(img) => Err(Outcome::Exec(img)),
                    _ => Ok(()),
                }
            }
            Err(e) => Err(classify(e, killed)),
        }
    }

    /// Diagnostics (traps, syscall traces) go to the host's stderr.
    fn log(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// What a thread runs.
enum Start {
    Process(Pid, ExecImage),
    Thread(ThreadStart),
}

/// How guest code stopped (the error side of [`Runtime::run_guest`]).
enum Outcome {
    Exec(ExecImage),
    Exit,
    Killed,
    /// Dies of this signal, for this reason.
    Trap(u32, String),
}

/// Maps what ended a wasm call to an outcome.
fn classify(e: wasmtime::Error, killed: &AtomicBool) -> Outcome {
    if let Some(leave) = e.downcast_ref::<Leave>() {
        return match leave {
            Leave::Exec(img) => Outcome::Exec(img.clone()),
            Leave::Exit => Outcome::Exit,
            Leave::NoTrampoline(sig) => Outcome::Trap(*sig, "handler without a trampoline".into()),
        };
    }
    if killed.load(Ordering::SeqCst) {
        return Outcome::Killed;
    }
    if let Some(trap) = e.downcast_ref::<Trap>() {
        let sig = match trap {
            Trap::UnreachableCodeReached => SIGILL,
            Trap::IntegerDivisionByZero | Trap::IntegerOverflow | Trap::BadConversionToInteger => SIGFPE,
            _ => SIGSEGV,
        };
        let why = match trap {
            Trap::StackOverflow => "stack overflow".to_string(),
            t => t.to_string().trim_start_matches("wasm trap: ").to_string(),
        };
        return Outcome::Trap(sig, why);
    }
    if e.is::<ThrownException>() {
        return Outcome::Trap(SIGABRT, "uncaught wasm exception".into());
    }
    Outcome::Trap(SIGSEGV, format!("{e}"))
}

/// Linux's name of a signal, for diagnostics (`"signal 40"` for the
/// real-time ones).
pub fn signame(sig: u32) -> String {
    match wasmpod_abi::signal::signal_name(sig) {
        "SIGRT" | "?" => format!("signal {sig}"),
        name => name.to_string(),
    }
}

/// A fresh memory of the type the module imports.
fn new_memory(engine: &Engine, module: &Module) -> wasmtime::Result<SharedMemory> {
    for imp in module.imports() {
        if let ("env", "memory", ExternType::Memory(ty)) = (imp.module(), imp.name(), imp.ty()) {
            return SharedMemory::new(engine, ty);
        }
    }
    Err(wasmtime::format_err!("the module does not import env.memory"))
}

/// Instantiates `module` on `memory` with the syscall imports bound.
fn instantiate(store: &mut Store<ThreadData>, module: &Module, memory: &SharedMemory) -> wasmtime::Result<Instance> {
    let mut linker: Linker<ThreadData> = Linker::new(store.engine());
    for imp in module.imports() {
        let name = imp.name();
        match (imp.module(), name) {
            ("env", "memory") => {
                linker.define(&mut *store, "env", "memory", Extern::SharedMemory(memory.clone()))?;
            }
            ("env", "__syscall") => {
                linker.func_wrap(
                    "env",
                    "__syscall",
                    |mut c: Caller<'_, ThreadData>, nr: i32, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32| {
                        syscall(&mut c, nr as u32, [a0, a1, a2, a3, a4, a5])
                    },
                )?;
            }
            ("env", n) if n.starts_with("__syscall_") => {
                let nr = syscalls::number(&n["__syscall_".len()..])
                    .ok_or_else(|| wasmtime::format_err!("unknown system call import env.{n}"))?;
                linker.func_wrap(
                    "env",
                    n,
                    move |mut c: Caller<'_, ThreadData>, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32| {
                        syscall(&mut c, nr, [a0, a1, a2, a3, a4, a5])
                    },
                )?;
            }
            (m, n) => return Err(wasmtime::format_err!("unsupported import {m}.{n}")),
        }
    }
    linker.instantiate(&mut *store, module)
}

/// The current `__stack_pointer` of the calling instance.
fn stack_pointer(c: &mut Caller<'_, ThreadData>) -> Option<(wasmtime::Global, u32)> {
    let g = c.get_export("__stack_pointer")?.into_global()?;
    match g.get(&mut *c) {
        Val::I32(v) => Some((g, v as u32)),
        _ => None,
    }
}

/// One system call from guest code, with the contract's handling of the
/// result (docs/program-abi.md, "Calls and results").
fn syscall(c: &mut Caller<'_, ThreadData>, nr: u32, args: [i32; 6]) -> wasmtime::Result<i32> {
    let args = args.map(|a| u64::from(a as u32));
    let (rt, tid, memory) = {
        let d = c.data();
        (d.rt.clone(), d.tid, d.memory.clone())
    };
    let kernel = rt.kernel();
    loop {
        let r = kernel.syscall(tid, nr, args, &mut WasmMemory { mem: &memory });
        match r.action {
            Action::Exec(img) => return Err(wasmtime::Error::new(Leave::Exec(img))),
            Action::ExitThread => return Err(wasmtime::Error::new(Leave::Exit)),
            Action::Return | Action::Restart => {}
        }
        if r.signal_pending {
            deliver_signals(c, kernel, tid, &memory)?;
        }
        if matches!(r.action, Action::Return) {
            return Ok(r.value as i32);
        }
    }
}

/// Delivers pending signals until the kernel has none left for the thread.
fn deliver_signals(
    c: &mut Caller<'_, ThreadData>,
    kernel: &Kernel,
    tid: Tid,
    memory: &SharedMemory,
) -> wasmtime::Result<()> {
    loop {
        let sp = stack_pointer(c);
        let cur = sp.map_or(0, |(_, v)| v);
        match kernel.deliver_signal(tid, &mut WasmMemory { mem: memory }, cur) {
            Delivery::None => return Ok(()),
            Delivery::ExitThread => return Err(wasmtime::Error::new(Leave::Exit)),
            Delivery::Handler(frame) => {
                let tramp = c.get_export("__wasmpod_sigtramp").and_then(|e| e.into_func());
                let (Some(tramp), Some((sp_global, saved))) = (tramp, sp) else {
                    // No trampoline: the default action. Ignore-by-default
                    // signals are dropped (after restoring the mask the
                    // frame saved); the others end the process.
                    if matches!(frame.sig, SIGCHLD | SIGURG | SIGWINCH) {
                        let args = [u64::from(frame.ucontext), 0, 0, 0, 0, 0];
                        kernel.syscall(tid, SYS_rt_sigreturn, args, &mut WasmMemory { mem: memory });
                        continue;
                    }
                    return Err(wasmtime::Error::new(Leave::NoTrampoline(frame.sig)));
                };
                let tramp = tramp.typed::<(i32, i32, i32, i32, i32), ()>(&mut *c)?;
                sp_global.set(&mut *c, Val::I32(frame.sp as i32))?;
                let args = (
                    frame.handler as i32,
                    frame.sig as i32,
                    frame.siginfo as i32,
                    frame.ucontext as i32,
                    frame.flags as i32,
                );
                // An error here is a longjmp out of the handler (a wasm
                // exception: ThrownException, with the exception pending
                // in the store), a trap, or a Leave: all propagate as they
                // are, through this host frame, which holds nothing that
                // the unwind would skip.
                tramp.call(&mut *c, args)?;
                sp_global.set(&mut *c, Val::I32(saved as i32))?;
            }
        }
    }
}

impl Platform for Runtime {
    fn now(&self, clock: ClockKind) -> u64 {
        match clock {
            ClockKind::Realtime => SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64),
            // Nanoseconds since the pod started, plus one second so that
            // no timestamp is zero.
            ClockKind::Monotonic => self.start.elapsed().as_nanos() as u64 + 1_000_000_000,
        }
    }

    fn random(&self, buf: &mut [u8]) {
        if getrandom_fill(buf).is_err() {
            // getrandom(2) exists on every Linux this runs on; should it
            // fail, fall back to /dev/urandom.
            use std::io::Read;
            if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
                let _ = f.read_exact(buf);
            }
        }
    }

    fn start_process(&self, pid: Pid, tid: Tid, image: ExecImage) {
        let me = self.self_arc();
        me.spawn(tid, Start::Process(pid, image));
    }

    fn start_thread(&self, start: ThreadStart) {
        let me = self.self_arc();
        me.spawn(start.tid, Start::Thread(start));
    }

    fn kill_thread(&self, tid: Tid) {
        if let Some(flag) = self.threads.lock().get(&tid) {
            flag.store(true, Ordering::SeqCst);
            self.cache.engine().increment_epoch();
        }
    }

    fn log(&self, line: &str) {
        Runtime::log(self, line);
    }
}

impl Runtime {
    /// The `Arc` of this runtime (the kernel holds it as its platform, so
    /// it is alive whenever the kernel calls it).
    fn self_arc(&self) -> Arc<Runtime> {
        self.me.upgrade().expect("runtime alive while the kernel calls it")
    }
}

/// Fills `buf` with getrandom(2).
fn getrandom_fill(buf: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: the pointer and length describe `rest`, a valid writable
        // buffer; getrandom writes at most `len` bytes into it.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        done += n as usize;
    }
    Ok(())
}
