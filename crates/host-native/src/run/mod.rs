//! `wasmpod run`: runs one program in a new pod on the native host.
//!
//! ```text
//! wasmpod run [--image IMG|URL [--overlay FILE] [--cache DIR] [--read-only] | --root DIR]
//!             [--mount HOST:GUEST[:ro]]... [--env K=V]... [--cwd DIR] [--tty]
//!             [PROGRAM [ARGS...]]
//! ```
//!
//! - The default root image: without `--image`, `--root` or `--no-image`,
//!   the image named by `$WASMPOD_IMAGE` (empty: none), else
//!   `build/images/rootfs.ext2` of the current directory when that file
//!   exists (what `cargo xtask build` makes; so commands run from the
//!   checkout get the root image, and everything else the tmpfs root). It
//!   is opened read-only under an in-memory copy-on-write overlay: the
//!   program sees a writable root, and the image file never changes. Host
//!   wasm files run on it as on any root (copied to its `/tmp`).
//! - Without PROGRAM (an image is then required), the image's `/sbin/init`
//!   runs as root in `/` (the image's init mounts what it needs and starts
//!   a login shell as the pod user).
//! - The root is a tmpfs with /tmp, /dev, /proc and /home/user (the
//!   kernel's initial mounts), or with `--image` an ext2 image (writes go
//!   to the image file itself unless `--overlay FILE` keeps them in a
//!   copy-on-write overlay file; `--read-only` mounts it read-only). An
//!   `http(s)://` URL streams the image with range requests (the HTTP
//!   range device of `wasmpod-blockdev`), keeping fetched chunks in
//!   `--cache DIR` (default `~/.cache/wasmpod/images`) so a second run
//!   fetches only what is new; it is never written: writes go to
//!   `--overlay FILE`, or stay in memory. Or
//!   with `--root DIR` a host directory (see [`crate::hostfs`]): the
//!   kernel's devfs and procfs are mounted over its `/dev` and `/proc`
//!   when those exist (nothing is created in DIR for them); `/tmp` is the
//!   directory's own `/tmp` (writes land on the host), and a missing one
//!   stays missing.
//! - `--mount HOST:GUEST[:ro]` mounts the host directory HOST at GUEST
//!   (absolute, not `/`, no `..`; created in the pod, as root with mode
//!   0755, when missing);
//!   with `:ro` every change below it is `EROFS`. Later mounts stack on
//!   earlier ones. HOST and GUEST can't contain `:`.
//! - PROGRAM: if it names a file on the host that is a wasm module (starts
//!   with `\0asm`), the file is copied into the pod as `/tmp/<file name>`
//!   (mode 0755) and run from there, so `/proc/self/exe` and re-exec work
//!   — unless the file lies inside the `--root` directory or a `--mount`
//!   host directory: then it runs in place, from its path in the pod.
//!   Anything else is a path inside the pod (e.g. `/bin/sh` of an image).
//! - The program runs as uid/gid 1000 in /home/user (or `/` if the root
//!   has no /home/user) with `PATH=/bin:/usr/bin`, `HOME=/home/user`,
//!   `USER=user` (and `TERM` from the host with a terminal), plus `--env`.
//! - stdin/stdout/stderr are the host's, through kernel pipes; with `--tty`,
//!   or when both stdin and stdout are terminals, the program gets a pty
//!   instead (see [`stdio`]).
//! - The exit status is the program's (128+n for death by signal n); 126
//!   when the program can't be started, 2 for usage errors.
//! - `WASMPOD_TRACE=1` prints a strace-like line per system call on stderr.

mod engine;
mod memory;
mod runtime;
mod stdio;

use wasmpod_abi::fcntl::{AT_FDCWD, O_CREAT, O_TRUNC, O_WRONLY};
use wasmpod_abi::syscalls::{SYS_close, SYS_fchmodat, SYS_mkdirat, SYS_openat, SYS_sync, SYS_write};
use wasmpod_host_native::hostfs::HostFs;
use wasmpod_kernel::process::host::{exit_code, InitialProgram};
use wasmpod_kernel::process::{Credentials, ProcState};
use wasmpod_kernel::{Fault, Kernel, KernelConfig, Pid, UserMemory};

pub use runtime::Runtime;

const USAGE: &str = "usage: wasmpod run [options] PROGRAM [ARGS...]

options:
  --image IMG|URL  use the ext2 image IMG as the root (written in place), or stream it from
                   an http(s) URL (writes in memory, or in --overlay)
  --overlay FILE   with --image: keep writes in the copy-on-write overlay FILE
  --cache DIR      with --image URL: keep fetched chunks in DIR (default ~/.cache/wasmpod/images)
  --read-only      with --image: mount the image read-only
  --root DIR       use the host directory DIR as the root (/dev, /proc mounted over it)
  --mount HOST:GUEST[:ro]
                   mount the host directory HOST at GUEST in the pod (read-only with :ro)
  --env K=V        add (or replace) an environment variable
  --cwd DIR        start in DIR (inside the pod)
  --tty            give the program a terminal (default when stdin and stdout are terminals)
  --no-image       use the tmpfs root even when a default root image exists

PROGRAM is a wasm file on the host (copied to /tmp/<name> in the pod) or a
path inside the pod; without it, the image's /sbin/init runs as root.
Without --image/--root/--no-image, $WASMPOD_IMAGE or ./build/images/rootfs.ext2
(when present) is the root, with writes kept in memory.
WASMPOD_TRACE=1 traces system calls to stderr.";

/// The exit status when the program cannot be started at all.
const CANNOT_START: i32 = 126;

struct Options {
    image: Option<String>,
    overlay: Option<String>,
    cache: Option<String>,
    read_only: bool,
    root: Option<String>,
    mounts: Vec<MountSpec>,
    env: Vec<String>,
    cwd: Option<String>,
    tty: bool,
    no_image: bool,
    /// The default image is used (read-only base, in-memory overlay).
    default_image: bool,
    /// No PROGRAM: the image's init runs as root.
    as_init: bool,
    program: String,
    args: Vec<String>,
}

/// One `--mount HOST:GUEST[:ro]`.
struct MountSpec {
    host: String,
    guest: String,
    read_only: bool,
}

impl MountSpec {
    fn parse(spec: &str) -> Result<MountSpec, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let (host, guest, read_only) = match parts.as_slice() {
            [h, g] => (*h, *g, false),
            [h, g, "ro"] => (*h, *g, true),
            [h, g, "rw"] => (*h, *g, false),
            _ => return Err(format!("--mount {spec}: expected HOST:GUEST or HOST:GUEST:ro")),
        };
        if host.is_empty() {
            return Err(format!("--mount {spec}: empty host directory"));
        }
        if !guest.starts_with('/') {
            return Err(format!("--mount {spec}: the pod path must be absolute"));
        }
        if guest.split('/').any(|c| c == "..") {
            return Err(format!("--mount {spec}: the pod path can't contain .."));
        }
        if guest.split('/').all(|c| c.is_empty() || c == ".") {
            return Err(format!("--mount {spec}: can't mount on / (use --root DIR)"));
        }
        Ok(MountSpec { host: host.into(), guest: guest.into(), read_only })
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        image: None,
        overlay: None,
        cache: None,
        read_only: false,
        root: None,
        mounts: vec![],
        env: vec![],
        cwd: None,
        tty: false,
        no_image: false,
        default_image: false,
        as_init: false,
        program: String::new(),
        args: vec![],
    };
    let mut i = 0;
    let value = |i: &mut usize, name: &str| -> Result<String, String> {
        *i += 1;
        args.get(*i).cloned().ok_or(format!("{name} needs a value"))
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--image" => o.image = Some(value(&mut i, a)?),
            "--overlay" => o.overlay = Some(value(&mut i, a)?),
            "--cache" => o.cache = Some(value(&mut i, a)?),
            "--read-only" => o.read_only = true,
            "--root" => o.root = Some(value(&mut i, a)?),
            "--mount" => o.mounts.push(MountSpec::parse(&value(&mut i, a)?)?),
            "--env" => {
                let kv = value(&mut i, a)?;
                if !kv.contains('=') || kv.starts_with('=') {
                    return Err(format!("--env {kv}: expected NAME=VALUE"));
                }
                o.env.push(kv);
            }
            "--cwd" => o.cwd = Some(value(&mut i, a)?),
            "--tty" => o.tty = true,
            "--no-image" => o.no_image = true,
            "--" => {
                i += 1;
                break;
            }
            _ if a.starts_with('-') && a.len() > 1 => return Err(format!("unknown option {a}")),
            _ => break,
        }
        i += 1;
    }
    if let Some(program) = args.get(i) {
        o.program = program.clone();
        o.args = args[i + 1..].to_vec();
    }
    if o.overlay.is_some() && o.image.is_none() {
        return Err("--overlay needs --image".into());
    }
    if o.cache.is_some() && !o.image.as_deref().is_some_and(is_url) {
        return Err("--cache needs --image with an http(s) URL".into());
    }
    if o.read_only && o.image.is_none() {
        return Err("--read-only needs --image".into());
    }
    if o.root.is_some() && o.image.is_some() {
        return Err("--root and --image exclude each other".into());
    }
    if o.no_image && (o.root.is_some() || o.image.is_some()) {
        return Err("--no-image excludes --image and --root".into());
    }
    if o.image.is_none() && o.root.is_none() && !o.no_image {
        if let Some(img) = default_image()? {
            o.image = Some(img);
            o.default_image = true;
        }
    }
    if o.program.is_empty() {
        if o.image.is_none() {
            return Err("no PROGRAM given (and no root image whose /sbin/init could run)".into());
        }
        o.program = INIT.into();
        o.as_init = true;
    }
    Ok(o)
}

/// The image's init, run when no PROGRAM is given.
const INIT: &str = "/sbin/init";

/// The default root image: `$WASMPOD_IMAGE` (empty: none; a missing file
/// is an error), else `./build/images/rootfs.ext2` when it exists.
fn default_image() -> Result<Option<String>, String> {
    if let Some(v) = std::env::var_os("WASMPOD_IMAGE") {
        let v = v.to_string_lossy().into_owned();
        if v.is_empty() {
            return Ok(None);
        }
        if !std::path::Path::new(&v).is_file() {
            return Err(format!("WASMPOD_IMAGE={v}: no such file"));
        }
        return Ok(Some(v));
    }
    let p = std::path::Path::new("build/images/rootfs.ext2");
    Ok(p.is_file().then(|| p.display().to_string()))
}

/// Entry point of `wasmpod run`; returns the process exit status.
pub fn main(args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-h" || a == "--help") && args.first().is_some_and(|a| a.starts_with('-')) {
        println!("{USAGE}");
        return 0;
    }
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("wasmpod run: {e}\n{USAGE}");
            return 2;
        }
    };
    // Before any thread exists: the signals the host forwards are handled
    // by one thread (sigwait), so every thread must have them blocked.
    stdio::block_forwarded_signals();
    match run(opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wasmpod run: {e}");
            CANNOT_START
        }
    }
}

/// A piece of plain memory for calls the host makes as the pod's init.
struct Scratch(Vec<u8>);

impl UserMemory for Scratch {
    fn read(&self, addr: u32, buf: &mut [u8]) -> Result<(), Fault> {
        let a = addr as usize;
        buf.copy_from_slice(self.0.get(a..a.checked_add(buf.len()).ok_or(Fault)?).ok_or(Fault)?);
        Ok(())
    }
    fn write(&mut self, addr: u32, data: &[u8]) -> Result<(), Fault> {
        let a = addr as usize;
        self.0.get_mut(a..a.checked_add(data.len()).ok_or(Fault)?).ok_or(Fault)?.copy_from_slice(data);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn grow_to(&mut self, _bytes: u64) -> Result<(), Fault> {
        Err(Fault)
    }
}

/// Copies a host file into the pod at `path` (mode 0755), acting as init.
fn install_file(kernel: &Kernel, init: Pid, path: &str, data: &[u8]) -> Result<(), String> {
    const CHUNK: usize = 1 << 20;
    const DATA: u32 = 8192;
    let mut mem = Scratch(vec![0; DATA as usize + CHUNK]);
    let at = u64::from(AT_FDCWD as u32);
    mem.0[16..16 + path.len()].copy_from_slice(path.as_bytes());
    mem.0[16 + path.len()] = 0;
    let call = |mem: &mut Scratch, nr: u32, args: [u64; 6]| kernel.syscall(init, nr, args, mem).value;
    let flags = u64::from(O_CREAT | O_WRONLY | O_TRUNC);
    let fd = call(&mut mem, SYS_openat, [at, 16, flags, 0o755, 0, 0]);
    if fd < 0 {
        return Err(format!("cannot create {path} in the pod: errno {}", -fd));
    }
    let mut result = Ok(());
    for chunk in data.chunks(CHUNK) {
        mem.0[DATA as usize..DATA as usize + chunk.len()].copy_from_slice(chunk);
        let mut off = 0;
        while off < chunk.len() {
            let n = call(
                &mut mem,
                SYS_write,
                [fd as u64, u64::from(DATA) + off as u64, (chunk.len() - off) as u64, 0, 0, 0],
            );
            if n <= 0 {
                result = Err(format!("cannot write {path} in the pod: errno {}", -n));
                break;
            }
            off += n as usize;
        }
    }
    call(&mut mem, SYS_close, [fd as u64, 0, 0, 0, 0, 0]);
    call(&mut mem, SYS_fchmodat, [at, 16, 0o755, 0, 0, 0]);
    result
}

/// `mkdir -p` in the pod as init (mode 0755; existing directories are fine).
fn make_dirs(kernel: &Kernel, init: Pid, path: &str) -> Result<(), String> {
    let mut mem = Scratch(vec![0; 16 + wasmpod_abi::fs::PATH_MAX + 1]);
    if path.len() >= wasmpod_abi::fs::PATH_MAX {
        return Err(format!("{path}: path too long"));
    }
    let at = u64::from(AT_FDCWD as u32);
    let mut prefix = String::new();
    for comp in path.split('/').filter(|c| !c.is_empty()) {
        prefix.push('/');
        prefix.push_str(comp);
        mem.0[16..16 + prefix.len()].copy_from_slice(prefix.as_bytes());
        mem.0[16 + prefix.len()] = 0;
        let r = kernel.syscall(init, SYS_mkdirat, [at, 16, 0o755, 0, 0, 0], &mut mem).value;
        if r < 0 && r != -i64::from(wasmpod_abi::Errno::EEXIST as i32) {
            let name = wasmpod_abi::Errno::from_i32(-r as i32).map_or("error", |e| e.name());
            return Err(format!("cannot create {prefix} in the pod: {name}"));
        }
    }
    Ok(())
}

/// Every inode of a host directory the pod holds (open files, cwds, paths
/// being walked) is a host fd: lift the soft `RLIMIT_NOFILE` to the hard
/// one (often 1024 → 2^20).
fn raise_open_file_limit() {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `r` is a valid, writable `rlimit`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0 && r.rlim_cur < r.rlim_max {
        r.rlim_cur = r.rlim_max;
        // SAFETY: `r` is a valid `rlimit`; failure leaves the old limit.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &r) };
    }
}

/// Mounts `--root DIR` as the root.
fn mount_root_dir(kernel: &Kernel, dir: &str) -> Result<(), String> {
    let root = HostFs::open(std::path::Path::new(dir), false).map_err(|e| format!("--root {e}"))?;
    kernel.mount_root_fs(root, "hostfs", dir, "rw").map_err(|e| format!("--root {dir}: cannot mount: {e}"))
}

/// Mounts each `--mount`, creating its pod directory first.
fn mount_host_dirs(kernel: &Kernel, init: Pid, mounts: &[MountSpec]) -> Result<(), String> {
    for m in mounts {
        let root = HostFs::open(std::path::Path::new(&m.host), m.read_only).map_err(|e| format!("--mount {e}"))?;
        make_dirs(kernel, init, &m.guest).map_err(|e| format!("--mount {}:{}: {e}", m.host, m.guest))?;
        let opts = if m.read_only { "ro" } else { "rw" };
        kernel
            .mount_fs(&m.guest, root, "hostfs", &m.host, opts)
            .map_err(|e| format!("--mount {}:{}: cannot mount: {e}", m.host, m.guest))?;
    }
    Ok(())
}

/// The pod path of host file `program` when it lies inside the `--root`
/// directory or a `--mount` host directory (the newest mount first).
fn pod_path_of_host_file(o: &Options, program: &str) -> Option<String> {
    let file = std::fs::canonicalize(program).ok()?;
    let inside = |host: &str, guest: &str| -> Option<String> {
        let dir = std::fs::canonicalize(host).ok()?;
        let rel = file.strip_prefix(&dir).ok()?;
        let rel = rel.to_str()?;
        Some(format!("{}/{rel}", guest.trim_end_matches('/')))
    };
    o.mounts.iter().rev().find_map(|m| inside(&m.host, &m.guest)).or_else(|| inside(o.root.as_deref()?, "/"))
}

fn is_url(img: &str) -> bool {
    img.starts_with("http://") || img.starts_with("https://")
}

/// An image streamed from `url`: the HTTP range device with a persistent
/// chunk store, under an overlay (`--overlay`, or in memory) unless
/// `--read-only`.
fn url_image(o: &Options, url: &str) -> Result<Box<dyn wasmpod_blockdev::BlockDevice>, String> {
    use wasmpod_blockdev::http::ThreadSleeper;
    use wasmpod_blockdev::{DirChunkStore, HttpConfig, HttpRangeDevice, OverlayDevice, UreqFetcher};
    let cache = match &o.cache {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_else(|| "/tmp".into());
            std::env::var_os("XDG_CACHE_HOME")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| home.join(".cache"))
                .join("wasmpod/images")
        }
    };
    let store = DirChunkStore::new(&cache).map_err(|e| format!("--cache {}: {e}", cache.display()))?;
    let base = HttpRangeDevice::open_with(
        UreqFetcher::new(url),
        HttpConfig::default(),
        Box::new(ThreadSleeper),
        Some(Box::new(store)),
    )
    .map_err(|e| format!("{url}: {e}"))?;
    Ok(match (&o.overlay, o.read_only) {
        (Some(ov), _) => Box::new(OverlayDevice::open(base, ov).map_err(|e| format!("{ov}: {e}"))?),
        (None, true) => Box::new(base),
        (None, false) => Box::new(OverlayDevice::in_memory(base).map_err(|e| format!("{url}: {e}"))?),
    })
}

/// Mounts `--image` as the root.
fn mount_image(kernel: &Kernel, o: &Options, img: &str) -> Result<(), String> {
    use wasmpod_blockdev::{BlockDevice, FileDevice, OverlayDevice};
    if is_url(img) {
        let dev = url_image(o, img)?;
        kernel.mount_root_ext2(dev, o.read_only, img).map_err(|e| format!("{img}: cannot mount: {e}"))?;
        return Ok(());
    }
    const SECTOR: u32 = 512;
    let fail = |e: wasmpod_blockdev::BlockError| match e {
        wasmpod_blockdev::BlockError::Misaligned { len, .. } => {
            format!("{img}: not an ext2 image: {len} bytes is not a whole number of {SECTOR}-byte sectors")
        }
        e => format!("{img}: {e}"),
    };
    let dev: Box<dyn BlockDevice> = match (&o.overlay, o.read_only) {
        _ if o.default_image => {
            let base = FileDevice::open_read_only(img, SECTOR).map_err(fail)?;
            Box::new(OverlayDevice::in_memory(base).map_err(fail)?)
        }
        (Some(ov), _) => {
            let base = FileDevice::open_read_only(img, SECTOR).map_err(fail)?;
            Box::new(OverlayDevice::open(base, ov).map_err(|e| format!("{ov}: {e}"))?)
        }
        (None, true) => Box::new(FileDevice::open_read_only(img, SECTOR).map_err(fail)?),
        (None, false) => Box::new(FileDevice::open_read_write(img, SECTOR).map_err(fail)?),
    };
    kernel.mount_root_ext2(dev, o.read_only, img).map_err(|e| format!("{img}: cannot mount: {e}"))?;
    Ok(())
}

fn run(o: Options) -> Result<i32, String> {
    let trace = std::env::var("WASMPOD_TRACE").is_ok_and(|v| v == "1");
    let engine = engine::new_engine().map_err(|e| format!("wasmtime: {e}"))?;
    let rt = Runtime::new(engine);
    let kernel = Kernel::new(rt.clone(), KernelConfig { trace, ..KernelConfig::default() });
    rt.set_kernel(kernel.clone());
    if let Some(img) = &o.image {
        mount_image(&kernel, &o, img)?;
    }
    if o.root.is_some() || !o.mounts.is_empty() {
        raise_open_file_limit();
    }
    if let Some(dir) = &o.root {
        mount_root_dir(&kernel, dir)?;
    }
    let init = kernel.create_init(Credentials::root()).map_err(|e| format!("cannot create init: {e}"))?;
    mount_host_dirs(&kernel, init, &o.mounts)?;

    // The program: a wasm file on the host, or a path in the pod.
    let host_bytes = std::fs::read(&o.program).ok().filter(|b| b.starts_with(b"\0asm"));
    let pod_path = match host_bytes {
        Some(bytes) => {
            // Through the module cache: a second compile of a large program
            // (seconds for sqlite3) on every run would dwarf its run time.
            let bytes = std::sync::Arc::new(bytes);
            let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(bytes.as_slice()).into();
            let module = rt
                .cache()
                .get_bytes(hash, &bytes)
                .map_err(|e| format!("{}: not a valid wasm module: {e}", o.program))?;
            Runtime::check_module(&module).map_err(|e| format!("{}: {e}", o.program))?;
            if let Some(path) = pod_path_of_host_file(&o, &o.program) {
                path
            } else {
                let name = std::path::Path::new(&o.program)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "a.out".into());
                let path = format!("/tmp/{name}");
                install_file(&kernel, init, &path, &bytes)?;
                path
            }
        }
        None if o.program.starts_with('/') => o.program.clone(),
        None if std::path::Path::new(&o.program).exists() => {
            return Err(format!("{}: not a wasm module", o.program));
        }
        None => return Err(format!("{}: no such file on the host (pod paths must be absolute)", o.program)),
    };

    let use_tty = o.tty || stdio::stdin_and_stdout_are_terminals();
    let mut env: Vec<String> = vec!["PATH=/bin:/usr/bin".into(), "HOME=/home/user".into(), "USER=user".into()];
    if use_tty {
        let term = std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into());
        env.push(format!("TERM={term}"));
    }
    for kv in &o.env {
        let name = kv.split('=').next().unwrap_or_default();
        env.retain(|e| e.split('=').next() != Some(name));
        env.push(kv.clone());
    }
    let mut argv = vec![o.program.clone().into_bytes()];
    argv.extend(o.args.iter().map(|a| a.clone().into_bytes()));
    let envp: Vec<Vec<u8>> = env.into_iter().map(String::into_bytes).collect();

    let mut io = stdio::Stdio::new(&kernel, use_tty).map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let start = |cwd: Option<&str>, fds| {
        kernel.spawn_initial(InitialProgram {
            path: &pod_path,
            argv: argv.clone(),
            envp: envp.clone(),
            cwd,
            creds: if o.as_init { Credentials::root() } else { Credentials::user() },
            fds,
        })
    };
    let spawned = match &o.cwd {
        Some(d) => start(Some(d), io.guest_fds()).map_err(|e| format!("{pod_path} (cwd {d}): {e}")),
        None if o.as_init => start(Some("/"), io.guest_fds()).map_err(|e| format!("{pod_path}: {e}")),
        None => start(Some("/home/user"), io.guest_fds())
            .or_else(|_| start(None, io.guest_fds()))
            .map_err(|e| format!("{pod_path}: {e}")),
    };
    let (pid, tid, image) = spawned?;
    io.attach(&kernel, pid);
    let _forwarder = stdio::forward_signals(kernel.clone(), init, pid, io.pty());
    rt.start_initial(pid, tid, image);

    let status = kernel.host_wait(|ctx| {
        if let Some(p) = ctx.st.procs.procs.get(&pid) {
            if let ProcState::Zombie { status } = p.state {
                return Some(status);
            }
        }
        ctx.st.procs.host_watched.get(&pid).copied().flatten()
    });
    io.finish();
    // Everything written to an image reaches it (or its overlay) before we
    // go: sync(2) as init.
    let synced = kernel.syscall(init, SYS_sync, [0; 6], &mut Scratch(vec![]));
    if o.image.is_some() && synced.value < 0 {
        eprintln!("wasmpod run: syncing the image failed: errno {}", -synced.value);
    }
    if std::env::var_os("WASMPOD_CHECK_THREADS").is_some_and(|v| v == "1") {
        // For tests: every guest thread must end (a spinning one through
        // kill_thread) once the pod's processes are gone.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !rt.live_threads().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let left = rt.live_threads();
        if !left.is_empty() {
            eprintln!("wasmpod: guest threads still running: {left:?}");
        }
    }
    Ok(exit_code(status))
}
