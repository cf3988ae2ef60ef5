//! The wasm32 side of `kernel.wasm`: JS-backed `Platform` and `UserMemory`,
//! and the `wasmpod_*` exports (docs/browser-host.md).

use std::alloc::Layout;
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use wasmpod_kernel::fs::pipe::{HostPipe, HostPipeDir};
use wasmpod_kernel::fs::OpenFile;
use wasmpod_kernel::process::host::InitialProgram;
use wasmpod_kernel::process::Credentials;
use wasmpod_kernel::signal::Delivery;
use wasmpod_kernel::sync::lock::Mutex;
use wasmpod_kernel::{Action, ClockKind, ExecImage, Fault, Kernel, KernelConfig, Platform, ThreadStart, UserMemory};

use crate::handles::Handles;

#[link(wasm_import_module = "wasmpod")]
extern "C" {
    /// Nanoseconds of clock 0 (realtime) or 1 (monotonic).
    fn host_now(clock: u32) -> u64;
    fn host_random(buf: *mut u8, len: usize);
    fn host_start_process(
        pid: i32,
        tid: i32,
        area: u32,
        module: *const u8,
        module_len: usize,
        path: *const u8,
        path_len: usize,
        cache_key: *const u64,
    );
    fn host_start_thread(pid: i32, tid: i32, area: u32, stack: u32, tls: u32, args: *const u64);
    fn host_kill_thread(tid: i32);
    fn host_log(line: *const u8, len: usize);
    /// 0, or nonzero if `[src, src+len)` is outside the calling worker's program memory.
    fn copy_from_user(dst: *mut u8, src: u32, len: usize) -> i32;
    fn copy_to_user(dst: u32, src: *const u8, len: usize) -> i32;
    /// The calling worker's program memory size in 64 KiB pages.
    fn user_pages() -> u32;
    /// Grows it to at least `pages`; 0 on success.
    fn user_grow_to(pages: u32) -> i32;
}

const EBADF: i32 = 9;
const EAGAIN: i32 = 11;
const EEXIST: i32 = 17;
const EINVAL: i32 = 22;
const ENOSYS: i32 = 38;

/// Stack bytes of every worker's kernel instance after the first.
const AREA_STACK: usize = 1 << 20;
const WASM_PAGE: u64 = 65536;

static KERNEL: OnceLock<Arc<Kernel>> = OnceLock::new();
static TLS_SIZE: AtomicU32 = AtomicU32::new(0);
static TLS_ALIGN: AtomicU32 = AtomicU32::new(16);

pub(crate) fn kernel() -> Option<&'static Arc<Kernel>> {
    KERNEL.get()
}

struct JsPlatform;

impl Platform for JsPlatform {
    fn now(&self, clock: ClockKind) -> u64 {
        let c = match clock {
            ClockKind::Realtime => 0,
            ClockKind::Monotonic => 1,
        };
        // SAFETY: a JS import without pointers.
        unsafe { host_now(c) }
    }

    fn random(&self, buf: &mut [u8]) {
        // SAFETY: JS fills exactly `buf.len()` bytes at `buf` in kernel memory.
        unsafe { host_random(buf.as_mut_ptr(), buf.len()) }
    }

    fn start_process(&self, pid: i32, tid: i32, image: ExecImage) {
        let area = area_alloc();
        let key = cache_key_words(&image);
        // SAFETY: JS copies the module, path and key out during the call
        // (the image and the key stay alive until it returns).
        unsafe {
            host_start_process(
                pid,
                tid,
                area,
                image.module.as_ptr(),
                image.module.len(),
                image.path.as_ptr(),
                image.path.len(),
                key.as_ptr(),
            )
        }
    }

    fn start_thread(&self, start: ThreadStart) {
        let area = area_alloc();
        // SAFETY: JS reads the six u64 arguments during the call.
        unsafe { host_start_thread(start.pid, start.tid, area, start.stack, start.tls, start.args.as_ptr()) }
    }

    fn kill_thread(&self, tid: i32) {
        // SAFETY: a JS import without pointers.
        unsafe { host_kill_thread(tid) }
    }

    fn log(&self, line: &str) {
        // SAFETY: JS reads `line.len()` bytes at `line` during the call.
        unsafe { host_log(line.as_ptr(), line.len()) }
    }

    fn wake_host(&self) {
        crate::wake::wake_host();
    }
}

/// The calling worker's program memory, through the JS imports.
struct JsMemory;

impl UserMemory for JsMemory {
    fn read(&self, addr: u32, buf: &mut [u8]) -> Result<(), Fault> {
        // SAFETY: JS writes at most `buf.len()` bytes to `buf`.
        match unsafe { copy_from_user(buf.as_mut_ptr(), addr, buf.len()) } {
            0 => Ok(()),
            _ => Err(Fault),
        }
    }
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        // SAFETY: JS reads `data.len()` bytes from `data`.
        match unsafe { copy_to_user(addr, data.as_ptr(), data.len()) } {
            0 => Ok(()),
            _ => Err(Fault),
        }
    }
    fn size(&self) -> u64 {
        // SAFETY: a JS import without pointers.
        u64::from(unsafe { user_pages() }) * WASM_PAGE
    }
    fn grow_to(&mut self, bytes: u64) -> Result<(), Fault> {
        let pages = u32::try_from(bytes.div_ceil(WASM_PAGE)).map_err(|_| Fault)?;
        // SAFETY: a JS import without pointers.
        match unsafe { user_grow_to(pages) } {
            0 => Ok(()),
            _ => Err(Fault),
        }
    }
}

/// The kernel's own memory used as "user" memory, for calls the host makes
/// on its own behalf (`wasmpod_host_syscall`): pointers are kernel
/// addresses of buffers the host got from `wasmpod_alloc`.
pub(crate) struct KernelMemory;

fn kernel_memory_bytes() -> u64 {
    core::arch::wasm32::memory_size(0) as u64 * WASM_PAGE
}

impl UserMemory for KernelMemory {
    fn read(&self, addr: u32, buf: &mut [u8]) -> Result<(), Fault> {
        if u64::from(addr) + buf.len() as u64 > kernel_memory_bytes() {
            return Err(Fault);
        }
        // SAFETY: the range is inside the linear memory (checked above), so
        // the pointer is valid for reads; the host owns the buffer.
        unsafe { std::ptr::copy_nonoverlapping(addr as usize as *const u8, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        if u64::from(addr) + data.len() as u64 > kernel_memory_bytes() {
            return Err(Fault);
        }
        // SAFETY: as for `read`; the host gave this buffer for the kernel to fill.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), addr as usize as *mut u8, data.len()) };
        Ok(())
    }
    fn size(&self) -> u64 {
        kernel_memory_bytes()
    }
    fn grow_to(&mut self, _bytes: u64) -> Result<(), Fault> {
        Err(Fault)
    }
}

/// `ExecImage::cache_key` as JS reads it: four little-endian u64 (device,
/// inode, mtime in ns, size) at one address. JS keys its cache of compiled
/// `WebAssembly.Module`s by them, so that workers share one compilation.
fn cache_key_words(image: &ExecImage) -> [u64; 4] {
    let (dev, ino, mtime_ns, size) = image.cache_key;
    // wasm32 is little-endian: the array's bytes are the wire format.
    [dev, ino, mtime_ns as u64, size]
}

// ---- per-worker state ----

/// Words of a worker's status block (`wasmpod_thread_slot`), read by JS.
mod slot {
    /// `action | signal_pending << 8` of the last `wasmpod_syscall`.
    pub const STATUS: usize = 0;
    /// For `Action::Exec`: module bytes and path (kernel addresses, lengths).
    pub const EXEC_MODULE: usize = 1;
    pub const EXEC_MODULE_LEN: usize = 2;
    pub const EXEC_PATH: usize = 3;
    pub const EXEC_PATH_LEN: usize = 4;
    /// For `Action::Exec`: address of the image's cache key (four u64).
    pub const EXEC_KEY: usize = 5;
    /// For `Delivery::Handler`: handler, sig, flags, siginfo, ucontext, sp.
    pub const FRAME: usize = 8;
    pub const WORDS: usize = 16;
}

const ACTION_RETURN: u32 = 0;
const ACTION_RESTART: u32 = 1;
const ACTION_EXEC: u32 = 2;
const ACTION_EXIT_THREAD: u32 = 3;
const SIGNAL_PENDING: u32 = 1 << 8;

thread_local! {
    static SLOT: &'static [AtomicU32; slot::WORDS] = Box::leak(Box::new(std::array::from_fn(|_| AtomicU32::new(0))));
    /// The last Exec image and its cache key (a `Box::into_raw` address, 0
    /// for none), alive until `wasmpod_exec_release`. A plain `Cell<usize>`:
    /// a thread-local whose type needs dropping registers a TLS destructor
    /// on first use, and on wasm32-wasip1-threads that call never returned
    /// in a worker (an in-place execve hung in Chromium).
    static EXEC: Cell<usize> = const { Cell::new(0) };
}

/// Drops the image `EXEC` holds, if any.
fn release_exec() {
    let p = EXEC.with(|e| e.replace(0));
    if p != 0 {
        // SAFETY: a non-zero EXEC is the `Box::into_raw` of the Exec branch
        // of `wasmpod_syscall` on this thread, taken out exactly once here.
        drop(unsafe { Box::from_raw(p as *mut (ExecImage, Box<[u64; 4]>)) });
    }
}

fn set_word(i: usize, v: u32) {
    SLOT.with(|s| s[i].store(v, Ordering::Relaxed));
}

fn area_layout() -> Option<Layout> {
    let tls = TLS_SIZE.load(Ordering::Relaxed) as usize;
    let align = (TLS_ALIGN.load(Ordering::Relaxed) as usize).max(16);
    Layout::from_size_align(AREA_STACK + tls.next_multiple_of(16), align).ok()
}

fn area_alloc() -> u32 {
    match area_layout() {
        // SAFETY: the layout has a nonzero size.
        Some(l) => unsafe { std::alloc::alloc(l) as usize as u32 },
        None => 0,
    }
}

// ---- exports ----

/// Creates the kernel (once, on the first instance) and its init process
/// (pid 1). `tls_size`/`tls_align` are the module's `__tls_size` and
/// `__tls_align`, for the areas of later workers. Returns init's pid, or
/// `-EEXIST`.
#[no_mangle]
pub extern "C" fn wasmpod_init(tls_size: u32, tls_align: u32, trace: u32) -> i32 {
    if KERNEL.get().is_some() {
        return -EEXIST;
    }
    TLS_SIZE.store(tls_size, Ordering::Relaxed);
    TLS_ALIGN.store(tls_align.max(1), Ordering::Relaxed);
    let k = Kernel::new(Arc::new(JsPlatform), KernelConfig { trace: trace != 0, ..KernelConfig::default() });
    if KERNEL.set(k).is_err() {
        return -EEXIST;
    }
    match kernel().map(|k| k.create_init(Credentials::root())) {
        Some(Ok(pid)) => pid,
        Some(Err(e)) => -errno(&e),
        None => -EINVAL,
    }
}

/// Bytes of stack at the start of an area; the TLS block follows.
#[no_mangle]
pub extern "C" fn wasmpod_area_stack_size() -> u32 {
    AREA_STACK as u32
}

/// A new worker's stack+TLS area (0 if out of memory or before init).
#[no_mangle]
pub extern "C" fn wasmpod_area_alloc() -> u32 {
    area_alloc()
}

/// Frees an area whose worker is gone (never the caller's own).
#[no_mangle]
pub extern "C" fn wasmpod_area_free(area: u32) {
    if let (Some(l), true) = (area_layout(), area != 0) {
        // SAFETY: `area` came from `area_alloc` with the same layout (the
        // TLS size never changes after init) and is no longer used.
        unsafe { std::alloc::dealloc(area as usize as *mut u8, l) }
    }
}

/// This worker's status block (`slot::WORDS` u32 words), for JS to read.
#[no_mangle]
pub extern "C" fn wasmpod_thread_slot() -> u32 {
    SLOT.with(|s| s.as_ptr() as usize as u32)
}

/// A kernel-memory buffer for the host (8-byte aligned; 0 on failure).
#[no_mangle]
pub extern "C" fn wasmpod_alloc(len: u32) -> u32 {
    match Layout::from_size_align(len.max(1) as usize, 8) {
        // SAFETY: nonzero size.
        Ok(l) => unsafe { std::alloc::alloc(l) as usize as u32 },
        Err(_) => 0,
    }
}

/// Frees a `wasmpod_alloc` buffer (same `len`).
#[no_mangle]
pub extern "C" fn wasmpod_free(ptr: u32, len: u32) {
    if ptr == 0 {
        return;
    }
    if let Ok(l) = Layout::from_size_align(len.max(1) as usize, 8) {
        // SAFETY: `ptr` came from `wasmpod_alloc(len)`.
        unsafe { std::alloc::dealloc(ptr as usize as *mut u8, l) }
    }
}

fn args(a: [u32; 6]) -> [u64; 6] {
    a.map(u64::from)
}

/// A program's system call (the target of its `env.__syscall_*` imports).
/// Returns the value; the action and the signal flag are in the slot's
/// STATUS word (0 = plain return, nothing pending).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wasmpod_syscall(tid: i32, nr: u32, a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32) -> i32 {
    let Some(k) = kernel() else {
        set_word(slot::STATUS, ACTION_RETURN);
        return -ENOSYS;
    };
    let r = k.syscall(tid, nr, args([a0, a1, a2, a3, a4, a5]), &mut JsMemory);
    let action = match r.action {
        Action::Return => ACTION_RETURN,
        Action::Restart => ACTION_RESTART,
        Action::ExitThread => ACTION_EXIT_THREAD,
        Action::Exec(img) => {
            set_word(slot::EXEC_MODULE, img.module.as_ptr() as usize as u32);
            set_word(slot::EXEC_MODULE_LEN, img.module.len() as u32);
            set_word(slot::EXEC_PATH, img.path.as_ptr() as usize as u32);
            set_word(slot::EXEC_PATH_LEN, img.path.len() as u32);
            let key = Box::new(cache_key_words(&img));
            set_word(slot::EXEC_KEY, key.as_ptr() as usize as u32);
            release_exec();
            let held: Box<(ExecImage, Box<[u64; 4]>)> = Box::new((img, key));
            EXEC.with(|e| e.set(Box::into_raw(held) as usize));
            ACTION_EXEC
        }
    };
    set_word(slot::STATUS, action | if r.signal_pending { SIGNAL_PENDING } else { 0 });
    r.value as i32
}

/// Releases the image of the last `Action::Exec` once JS has copied it.
#[no_mangle]
pub extern "C" fn wasmpod_exec_release() {
    release_exec();
}

/// Delivers one pending signal: 0 = none left, 1 = run the handler frame
/// in slot words FRAME.., 2 = the thread must exit.
#[no_mangle]
pub extern "C" fn wasmpod_deliver_signal(tid: i32, sp: u32) -> i32 {
    let Some(k) = kernel() else { return 0 };
    match k.deliver_signal(tid, &mut JsMemory, sp) {
        Delivery::None => 0,
        Delivery::Handler(f) => {
            for (i, v) in [f.handler, f.sig, f.flags, f.siginfo, f.ucontext, f.sp].into_iter().enumerate() {
                set_word(slot::FRAME + i, v);
            }
            1
        }
        Delivery::ExitThread => 2,
    }
}

/// A system call on the host's own behalf as thread `tid` (normally init,
/// pid 1): pointers are kernel addresses (`wasmpod_alloc` buffers).
/// Returns the value; any action is ignored (a host call never execs).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wasmpod_host_syscall(tid: i32, nr: u32, a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32) -> i32 {
    match kernel() {
        Some(k) => k.syscall(tid, nr, args([a0, a1, a2, a3, a4, a5]), &mut KernelMemory).value as i32,
        None => -ENOSYS,
    }
}

/// `len` bytes at `ptr` in kernel memory (the host's own buffer).
pub(crate) fn kernel_bytes(ptr: u32, len: u32) -> Vec<u8> {
    let mut v = vec![0u8; len as usize];
    if KernelMemory.read(ptr, &mut v).is_err() {
        v.clear();
    }
    v
}

fn split_nul(blob: &[u8]) -> Vec<Vec<u8>> {
    blob.split(|&b| b == 0).filter(|s| !s.is_empty()).map(<[u8]>::to_vec).collect()
}

struct PipeEntry {
    /// The guest's end until a program gets it.
    file: Option<Arc<OpenFile>>,
    end: Arc<HostPipe>,
}

static PIPES: Mutex<Handles<PipeEntry>> = Mutex::new(Handles::new());

/// A host pipe: `dir` 0 = host writes, guest reads (stdin); 1 = guest
/// writes, host reads (stdout/stderr). Returns a handle (≥ 0) or -errno.
#[no_mangle]
pub extern "C" fn wasmpod_host_pipe(dir: u32) -> i32 {
    let Some(k) = kernel() else { return -ENOSYS };
    let dir = match dir {
        0 => HostPipeDir::ToGuest,
        1 => HostPipeDir::FromGuest,
        _ => return -EINVAL,
    };
    let (file, end) = k.host_pipe(dir);
    PIPES.lock().insert(PipeEntry { file: Some(file), end: Arc::new(end) })
}

fn pipe_end(h: i32) -> Option<Arc<HostPipe>> {
    PIPES.lock().get(h).map(|e| e.end.clone())
}

/// Reads from a host pipe into kernel memory at `buf`. `block` = 0: returns
/// -EAGAIN when empty. Returns bytes read (0 = end of file) or -errno.
#[no_mangle]
pub extern "C" fn wasmpod_pipe_read(h: i32, buf: u32, len: u32, block: u32) -> i32 {
    let Some(end) = pipe_end(h) else { return -EBADF };
    let mut v = vec![0u8; len as usize];
    let n = if block != 0 {
        end.read(&mut v)
    } else {
        match end.try_read(&mut v) {
            Some(n) => n,
            None => return -EAGAIN,
        }
    };
    match KernelMemory.write(buf, &v[..n]) {
        Ok(()) => n as i32,
        Err(_) => -EINVAL,
    }
}

/// Writes `len` bytes at `buf` (kernel memory) to a host pipe. `block` = 0:
/// -EAGAIN when full. Returns bytes written (0 = the guest's end is closed).
#[no_mangle]
pub extern "C" fn wasmpod_pipe_write(h: i32, buf: u32, len: u32, block: u32) -> i32 {
    let Some(end) = pipe_end(h) else { return -EBADF };
    let data = kernel_bytes(buf, len);
    if data.len() != len as usize {
        return -EINVAL;
    }
    let n = if block != 0 {
        end.write(&data)
    } else {
        match end.try_write(&data) {
            Some(n) => n,
            None => return -EAGAIN,
        }
    };
    n as i32
}

/// Closes the host's end (stdin: the guest reads EOF) and frees the handle.
#[no_mangle]
pub extern "C" fn wasmpod_pipe_close(h: i32) -> i32 {
    let e = PIPES.lock().remove(h);
    match e {
        Some(e) => {
            e.end.close();
            0
        }
        None => -EBADF,
    }
}

/// Starts the first program of a run: `path` (in the pod), `argv`/`envp`
/// as NUL-separated strings, `cwd` (len 0 = /), and host pipe handles for
/// fds 0, 1, 2 (-1 = none). All pointers are kernel memory. The kernel
/// calls `host_start_process` for it before this returns. Returns the pid
/// or -errno.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wasmpod_spawn_initial(
    path: u32,
    path_len: u32,
    argv: u32,
    argv_len: u32,
    envp: u32,
    envp_len: u32,
    cwd: u32,
    cwd_len: u32,
    stdin: i32,
    stdout: i32,
    stderr: i32,
) -> i32 {
    let mut fds = Vec::new();
    {
        let mut p = PIPES.lock();
        for (fd, h) in [stdin, stdout, stderr].into_iter().enumerate() {
            if h < 0 {
                continue;
            }
            match p.get_mut(h).and_then(|e| e.file.take()) {
                Some(f) => fds.push((fd as i32, f)),
                None => return -EBADF,
            }
        }
    }
    let prog =
        SpawnArgs { path: (path, path_len), argv: (argv, argv_len), envp: (envp, envp_len), cwd: (cwd, cwd_len) };
    spawn_program(prog, fds, |_, _| Ok(()))
}

/// The program part of a `wasmpod_spawn_*` call: (address, length) pairs
/// in kernel memory.
pub(crate) struct SpawnArgs {
    pub path: (u32, u32),
    /// NUL-separated.
    pub argv: (u32, u32),
    /// NUL-separated.
    pub envp: (u32, u32),
    /// Length 0 = `/`.
    pub cwd: (u32, u32),
}

/// What every `wasmpod_spawn_*` export shares: `Kernel::spawn_initial`
/// with `fds`, then `setup(kernel, pid)` (e.g. make a terminal the
/// controlling one) while the process exists but runs nothing yet, then
/// `host_start_process`. Returns the pid or -errno; if `setup` fails the
/// process is ended before it ever runs.
pub(crate) fn spawn_program(
    prog: SpawnArgs,
    fds: Vec<(i32, Arc<OpenFile>)>,
    setup: impl FnOnce(&Arc<Kernel>, i32) -> wasmpod_kernel::Result<()>,
) -> i32 {
    let Some(k) = kernel() else { return -ENOSYS };
    let Ok(path) = String::from_utf8(kernel_bytes(prog.path.0, prog.path.1)) else { return -EINVAL };
    let Ok(cwd) = String::from_utf8(kernel_bytes(prog.cwd.0, prog.cwd.1)) else { return -EINVAL };
    let prog = InitialProgram {
        path: &path,
        argv: split_nul(&kernel_bytes(prog.argv.0, prog.argv.1)),
        envp: split_nul(&kernel_bytes(prog.envp.0, prog.envp.1)),
        cwd: if cwd.is_empty() { None } else { Some(&cwd) },
        creds: Credentials::user(),
        fds,
    };
    let (pid, tid, image) = match k.spawn_initial(prog) {
        Ok(r) => r,
        Err(e) => return -errno(&e),
    };
    if let Err(e) = setup(k, pid) {
        // Never started: the kernel treats it as a thread that vanished.
        k.thread_exited(tid);
        return -errno(&e);
    }
    k.platform().start_process(pid, tid, image);
    pid
}

/// The errno of a kernel error, as the exports return it (negated).
pub(crate) fn errno(e: &wasmpod_kernel::Error) -> i32 {
    e.errno().as_i32()
}

/// A worker's guest code trapped: the process dies of `sig`.
#[no_mangle]
pub extern "C" fn wasmpod_thread_trapped(tid: i32, sig: u32) {
    if let Some(k) = kernel() {
        k.thread_trapped(tid, sig);
    }
}

/// A worker's thread is gone (after `ExitThread`, or its entry returned).
#[no_mangle]
pub extern "C" fn wasmpod_thread_exited(tid: i32) {
    if let Some(k) = kernel() {
        k.thread_exited(tid);
    }
}

/// The wait status of a process started by `wasmpod_spawn_initial` once it
/// has ended, else -1.
#[no_mangle]
pub extern "C" fn wasmpod_process_status(pid: i32) -> i32 {
    kernel().and_then(|k| k.process_status(pid)).unwrap_or(-1)
}

extern "C" {
    fn __wasm_call_ctors();
}

/// The reactor entry (as wasi-libc's crt1-reactor): runs the static
/// constructors once, on the first instance, before `wasmpod_init`. Its
/// presence also makes wasm-ld link a reactor, whose exports are not
/// wrapped in per-call constructor/destructor calls as a command's are.
#[no_mangle]
pub extern "C" fn _initialize() {
    // SAFETY: the linker-generated constructor list, run once by contract.
    unsafe { __wasm_call_ctors() }
}

/// The number of the system call named `name` (UTF-8 at `name` in kernel
/// memory, without the `__syscall_` prefix), or -1: how JS binds a
/// program's `env.__syscall_<name>` imports.
#[no_mangle]
pub extern "C" fn wasmpod_syscall_number(name: u32, len: u32) -> i32 {
    let name = kernel_bytes(name, len);
    wasmpod_abi::syscalls::SYSCALLS
        .iter()
        .find(|(_, n)| n.as_bytes() == name.as_slice())
        .map_or(-1, |(nr, _)| *nr as i32)
}

/// The allocator: wasi-libc's malloc under a lock of our own. libc's
/// malloc takes its lock only once libc believes it is multi-threaded
/// (`pthread_create` ran), which never happens here: the "threads" are
/// instances in other workers, so without this lock two workers could
/// allocate at once.
struct LockedAlloc;

/// std's `Mutex` is futex-based on this target (`memory.atomic.wait32`)
/// and never allocates, so it can guard the allocator.
static ALLOC_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alloc_guard() -> std::sync::MutexGuard<'static, ()> {
    ALLOC_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// SAFETY: every call goes to `System` with the lock held; layouts pass through.
unsafe impl std::alloc::GlobalAlloc for LockedAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _g = alloc_guard();
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let _g = alloc_guard();
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.dealloc(p, l) };
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let _g = alloc_guard();
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let _g = alloc_guard();
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: LockedAlloc = LockedAlloc;
