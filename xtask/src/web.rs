//! `cargo xtask web [--test]`: builds the browser host's kernel
//! (`crates/host-web` → `build/web/kernel.wasm`), checks its imports and
//! exports against docs/browser-host.md with wabt's `wasm-objdump`, and with
//! `--test` runs the Node smoke test (`web/test/node-smoke.mjs`) on a C
//! program built with `wasmpod-cc`, the root-image test
//! (`web/test/node-image.mjs`: an ext2 image over HTTP Range through the io
//! worker), then the browser tests ([`crate::web_tests`]).

use std::path::PathBuf;
use std::process::Command;

use crate::util::{cargo, output, repo_root, run, step};

const TARGET: &str = "wasm32-wasip1-threads";

/// Exports the JS runtime relies on (docs/browser-host.md).
const EXPORTS: &[&str] = &[
    "memory",
    "__stack_pointer",
    "__tls_base",
    "__tls_size",
    "__tls_align",
    "__wasm_init_tls",
    "_initialize",
    "wasmpod_init",
    "wasmpod_area_stack_size",
    "wasmpod_area_alloc",
    "wasmpod_area_free",
    "wasmpod_thread_slot",
    "wasmpod_alloc",
    "wasmpod_free",
    "wasmpod_syscall",
    "wasmpod_syscall_number",
    "wasmpod_exec_release",
    "wasmpod_deliver_signal",
    "wasmpod_host_syscall",
    "wasmpod_host_pipe",
    "wasmpod_pipe_read",
    "wasmpod_pipe_write",
    "wasmpod_pipe_close",
    "wasmpod_spawn_initial",
    "wasmpod_thread_trapped",
    "wasmpod_thread_exited",
    "wasmpod_process_status",
    "wasmpod_host_events",
    "wasmpod_host_pty",
    "wasmpod_pty_read",
    "wasmpod_pty_write",
    "wasmpod_pty_resize",
    "wasmpod_pty_close",
    "wasmpod_spawn_on_pty",
    "wasmpod_io_slot",
    "wasmpod_mount_root_image",
    "wasmpod_mount_volume",
    "wasmpod_io_stats",
];

/// Every import JS must supply; anything else is an error (a new std
/// dependency on WASI must be added to the runtime and the doc first).
const IMPORTS: &[&str] = &[
    "env.memory",
    "wasmpod.host_now",
    "wasmpod.host_random",
    "wasmpod.host_start_process",
    "wasmpod.host_start_thread",
    "wasmpod.host_kill_thread",
    "wasmpod.host_log",
    "wasmpod.copy_from_user",
    "wasmpod.copy_to_user",
    "wasmpod.user_pages",
    "wasmpod.user_grow_to",
    "wasmpod.host_atomic_wait32",
    "wasmpod.host_atomic_notify",
    "wasi_snapshot_preview1.clock_time_get",
    "wasi_snapshot_preview1.random_get",
    "wasi_snapshot_preview1.environ_get",
    "wasi_snapshot_preview1.environ_sizes_get",
    "wasi_snapshot_preview1.fd_write",
    "wasi_snapshot_preview1.proc_exit",
    "wasi_snapshot_preview1.sched_yield",
];

/// Builds kernel.wasm (release) and copies it to `build/web/kernel.wasm`.
pub fn build() -> Result<PathBuf, String> {
    let root = repo_root();
    run(cargo()
        .args(["build", "--quiet", "--release", "-p", "wasmpod-host-web", "--target", TARGET])
        .current_dir(&root))?;
    let built = root.join(format!("target/{TARGET}/release/wasmpod_host_web.wasm"));
    let out = root.join("build/web/kernel.wasm");
    std::fs::create_dir_all(out.parent().unwrap_or(&root)).map_err(|e| format!("build/web: {e}"))?;
    let bytes = std::fs::read(&built).map_err(|e| format!("{}: {e}", built.display()))?;
    std::fs::write(&out, strip_debug(&bytes)?).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

/// `bytes` without the DWARF custom sections (`.debug_*`): 90% of the
/// release build, which keeps `debug = 1` for native backtraces. The
/// `name` section stays, for readable stack traces in the browser.
fn strip_debug(bytes: &[u8]) -> Result<Vec<u8>, String> {
    fn leb(b: &[u8], i: &mut usize) -> Result<usize, String> {
        let (mut r, mut shift) = (0usize, 0);
        loop {
            let x = *b.get(*i).ok_or("truncated wasm module")?;
            *i += 1;
            r |= usize::from(x & 0x7f) << shift;
            shift += 7;
            if x & 0x80 == 0 {
                return Ok(r);
            }
            if shift > 28 {
                return Err("bad LEB128 in wasm module".into());
            }
        }
    }
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err("kernel.wasm is not a wasm module".into());
    }
    let mut out = bytes[..8].to_vec();
    let mut i = 8;
    while i < bytes.len() {
        let start = i;
        let id = bytes[i];
        i += 1;
        let size = leb(bytes, &mut i)?;
        let end = i.checked_add(size).filter(|&e| e <= bytes.len()).ok_or("truncated wasm section")?;
        let debug = id == 0 && {
            let mut j = i;
            let n = leb(bytes, &mut j)?;
            bytes.get(j..j + n).is_some_and(|name| name.starts_with(b".debug"))
        };
        if !debug {
            out.extend_from_slice(&bytes[start..end]);
        }
        i = end;
    }
    Ok(out)
}

/// The module's imports (`module.name`) and exports, from `wasm-objdump -x`.
fn interface(wasm: &std::path::Path) -> Result<(Vec<String>, Vec<String>, String), String> {
    // One section per run: with two `-j`, wasm-objdump prints only the last.
    let mut text = output(Command::new("wasm-objdump").args(["-x", "-j", "Import"]).arg(wasm))?;
    text += &output(Command::new("wasm-objdump").args(["-x", "-j", "Export"]).arg(wasm))?;
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut memory_line = String::new();
    for line in text.lines() {
        // " - func[3] sig=7 <…> <- wasmpod.copy_to_user", " - func[9] <…> -> \"name\""
        if let Some((_, from)) = line.split_once(" <- ") {
            imports.push(from.trim().to_string());
            if line.contains("memory[") {
                memory_line = line.to_string();
            }
        } else if let Some((_, name)) = line.split_once(" -> ") {
            exports.push(name.trim().trim_matches('"').to_string());
        }
    }
    Ok((imports, exports, memory_line))
}

/// Checks kernel.wasm's interface: required exports present, no import
/// outside the documented set, a shared imported memory.
pub fn check(wasm: &std::path::Path) -> Result<(), String> {
    let (imports, exports, memory) = interface(wasm)?;
    let missing: Vec<_> = EXPORTS.iter().filter(|e| !exports.iter().any(|x| x == *e)).collect();
    if !missing.is_empty() {
        return Err(format!("{}: missing exports {missing:?}", wasm.display()));
    }
    let unknown: Vec<_> = imports.iter().filter(|i| !IMPORTS.contains(&i.as_str())).collect();
    if !unknown.is_empty() {
        return Err(format!("{}: undocumented imports {unknown:?} (docs/browser-host.md)", wasm.display()));
    }
    if !(memory.contains("shared") && memory.contains("<- env.memory")) {
        return Err(format!("{}: env.memory is not an imported shared memory", wasm.display()));
    }
    if exports.iter().any(|e| e.contains("command_export")) || !exports.iter().any(|e| e == "_initialize") {
        return Err(format!("{}: linked as a command, not a reactor", wasm.display()));
    }
    println!("kernel.wasm: {} imports, {} exports as documented", imports.len(), exports.len());
    Ok(())
}

/// Builds the smoke test's C programs and runs `web/test/node-smoke.mjs`.
pub fn smoke(kernel: &std::path::Path) -> Result<(), String> {
    let root = repo_root();
    let cc = root.join("build/toolchain/bin/wasmpod-cc");
    if !cc.exists() {
        return Err(format!("{} missing: run `cargo xtask toolchain` first", cc.display()));
    }
    let work = root.join("target/web-smoke");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut wasm = Vec::new();
    for name in ["hello", "spawn", "threads", "pty"] {
        let out = work.join(format!("{name}.wasm"));
        run(Command::new(&cc).args(["-O2", "-pthread", "-o"]).arg(&out).arg(root.join(format!("web/test/{name}.c"))))?;
        wasm.push(out);
    }
    let kernel_js = node_bundle("src/kernel/index.ts", &work.join("kernel.mjs"))?;
    run(Command::new("node")
        .arg(root.join("web/test/node-smoke.mjs"))
        .arg(kernel)
        .args(&wasm)
        .env("WASMPOD_KERNEL_JS", &kernel_js)
        .current_dir(&root))?;
    image_test(kernel, &cc, &work, &kernel_js)
}

/// One module of `web/src` bundled on its own for the Node tests.
fn node_bundle(src: &str, out: &std::path::Path) -> Result<PathBuf, String> {
    let root = repo_root();
    run(Command::new(root.join("web/node_modules/.bin/esbuild"))
        .arg(src)
        .args(["--bundle", "--format=esm", "--target=es2022", "--log-level=warning"])
        .arg(format!("--outfile={}", out.display()))
        .current_dir(root.join("web")))?;
    Ok(out.to_path_buf())
}

/// The root image through the io worker (`web/test/node-image.mjs`): the
/// io worker's source bundled on its own for Node, and `imgtest.c`.
fn image_test(
    kernel: &std::path::Path,
    cc: &std::path::Path,
    work: &std::path::Path,
    kernel_js: &std::path::Path,
) -> Result<(), String> {
    let root = repo_root();
    let prog = work.join("imgtest.wasm");
    run(Command::new(cc).args(["-O2", "-o"]).arg(&prog).arg(root.join("web/test/imgtest.c")))?;
    let io = node_bundle("src/worker/io.ts", &work.join("io.mjs"))?;
    run(Command::new("node")
        .arg(root.join("web/test/node-image.mjs"))
        .arg(kernel)
        .arg(&prog)
        .arg(&io)
        .env("WASMPOD_KERNEL_JS", kernel_js)
        .current_dir(&root))
}

/// `web/src/gen/abi.ts`: the numbers the TypeScript runtime shares with
/// the kernel (errno and signal names, system call numbers), generated from
/// `wasmpod_abi` so there is one source of truth. Not committed.
pub fn gen_abi_ts() -> Result<(), String> {
    use std::fmt::Write;
    let mut s = String::from("// Generated by `cargo xtask web` from crates/abi. Do not edit.\n\n");
    s += "/** Linux errno names by number. */\nexport const ERRNO_NAMES: Record<number, string> = {\n";
    for e in wasmpod_abi::Errno::ALL {
        let _ = writeln!(s, "  {}: '{}',", e.as_i32(), e.name());
    }
    s += "};\n\n/** Signal names by number (1..31; real-time signals are SIGRTMIN+n). */\nexport const SIGNAL_NAMES: Record<number, string> = {\n";
    for sig in 1..32 {
        let _ = writeln!(s, "  {sig}: '{}',", wasmpod_abi::signal::signal_name(sig));
    }
    s += "};\n\n/** System call numbers by name. */\nexport const SYS: Record<string, number> = {\n";
    for (nr, name) in wasmpod_abi::syscalls::SYSCALLS {
        let _ = writeln!(s, "  {name}: {nr},");
    }
    s += "};\n";
    let dir = repo_root().join("web/src/gen");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("abi.ts");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(s.as_str()) {
        std::fs::write(&path, s).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Bundles the TypeScript runtime (`web/src`) with esbuild into
/// `build/web/` (`wasmpod.js`, `worker.js`, the demo page) and type-checks
/// it with `tsc`, which also writes `wasmpod.d.ts` and its `types/`.
pub fn bundle() -> Result<(), String> {
    crate::setup::npm_ci()?;
    gen_abi_ts()?;
    let root = repo_root();
    let web = root.join("web");
    let out = root.join("build/web");
    let bin = |name: &str| web.join("node_modules/.bin").join(name);
    run(Command::new(bin("tsc")).args(["-p", "tsconfig.json"]).current_dir(&web))?;
    let entries =
        [("src/index.ts", "wasmpod.js"), ("src/worker/main.ts", "worker.js"), ("src/demo/main.ts", "demo.js")];
    for (src, dst) in entries {
        run(Command::new(bin("esbuild"))
            .arg(src)
            .args(["--bundle", "--format=esm", "--target=es2022", "--sourcemap", "--log-level=warning"])
            .arg(format!("--outfile={}", out.join(dst).display()))
            .current_dir(&web))?;
    }
    std::fs::write(out.join("wasmpod.d.ts"), "export * from './types/index.js';\n")
        .map_err(|e| format!("build/web/wasmpod.d.ts: {e}"))?;
    let copies = [("src/demo/index.html", "index.html"), ("node_modules/@xterm/xterm/css/xterm.css", "xterm.css")];
    for (src, dst) in copies {
        std::fs::copy(web.join(src), out.join(dst)).map_err(|e| format!("web/{src}: {e}"))?;
    }
    // The demo's terminal program (until the root image has a shell).
    let cc = root.join("build/toolchain/bin/wasmpod-cc");
    std::fs::create_dir_all(out.join("demo")).map_err(|e| format!("build/web/demo: {e}"))?;
    run(Command::new(&cc)
        .args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(out.join("demo/welcome.wasm"))
        .arg(web.join("src/demo/welcome.c")))?;
    Ok(())
}

/// `cargo xtask web [--test]`.
pub fn web(args: &[String]) -> Result<(), String> {
    step("browser kernel (crates/host-web -> build/web/kernel.wasm)");
    let wasm = build()?;
    check(&wasm)?;
    step("browser runtime (web/src -> build/web/wasmpod.js, worker.js)");
    bundle()?;
    if args.iter().any(|a| a == "--test") {
        step("browser host smoke test (Node worker_threads)");
        smoke(&wasm)?;
        crate::web_tests::browser_tests()?;
    }
    Ok(())
}
