//! `cargo xtask toolchain`: builds the C toolchain for wasmpod programs.
//!
//! Output (docs/toolchain.md):
//! - `build/sysroot`: musl's headers, `libc.a`, `crt1.o` and the empty
//!   `libm.a`/`libpthread.a`/… for the `wasm32-wasmpod-linux-musl` target;
//! - `build/toolchain/bin/`: `wasmpod-cc`, `wasmpod-ar`, … and the same
//!   tools under `wasm32-wasmpod-linux-musl-*` names;
//! - `build/toolchain/wasmpod.cmake`: a CMake toolchain file.
//!
//! Both are symlinks into `~/.cache/wasmpod/`: the sysroot is
//! `sysroot-<hash>/`, keyed by what musl's build reads (the musl tarball's
//! checksum, clang's version, `toolchain/musl/`, the `wasmpod-abi` sources
//! the generated headers come from); the tools are `toolchain-<hash>/`,
//! keyed by that plus every other file under `toolchain/` and binaryen's
//! version. A cache hit costs a few checksums.
//!
//! Third-party inputs are fetched, never committed: musl from Debian's
//! source package (`apt-get source`, pinned version and sha256), wasm-opt
//! from npm (`binaryen`, pinned).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::digest::{hash_files, sha256_bytes, sha256_file, walk};
use crate::setup::{apt, apt_install, dpkg_installed};
use crate::util::{output, repo_root, run, step};

/// Debian 12's musl, and the sha256 of its upstream tarball
/// (`musl_1.2.3.orig.tar.gz`), so a changed mirror can't slip in.
pub const MUSL_DEBIAN_VERSION: &str = "1.2.3-1";
pub const MUSL_UPSTREAM_VERSION: &str = "1.2.3";
pub const MUSL_ORIG_SHA256: &str = "7d5b0b6062521e4627e099e4c9dc8248d32a30285e959b7eecaa780cf8cfd4a4";

/// binaryen from npm: Debian's wasm-opt predates `--translate-to-exnref`.
pub const BINARYEN_NPM: &str = "binaryen@132.0.0";

/// Debian packages the toolchain needs.
pub const APT_PACKAGES: &[&str] =
    &["clang-19", "lld-19", "llvm-19", "libclang-rt-19-dev-wasm32", "wabt", "make", "patch", "pkgconf"];

/// The target triple the wrappers are also named after.
pub const TRIPLE: &str = "wasm32-wasmpod-linux-musl";

/// `~/.cache/wasmpod`.
pub fn cache_root() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| home.join(".cache")).join("wasmpod")
}

/// `wasm-opt` from the npm cache.
pub fn wasm_opt() -> PathBuf {
    cache_root().join("npm/node_modules/.bin/wasm-opt")
}

/// Installs the system packages, the deb-src entry, musl's source and
/// binaryen. Idempotent: each step checks first.
pub fn setup_inputs() -> Result<PathBuf, String> {
    let missing: Vec<&str> = APT_PACKAGES.iter().copied().filter(|p| !dpkg_installed(p)).collect();
    if !missing.is_empty() {
        step(&format!("installing Debian packages: {}", missing.join(" ")));
        apt_install(&missing)?;
    }
    let tarball = fetch_musl()?;
    if !wasm_opt().exists() {
        step(&format!("installing {BINARYEN_NPM} from npm"));
        let prefix = cache_root().join("npm");
        fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(BINARYEN_NPM))?;
    }
    Ok(tarball)
}

/// musl's orig tarball from Debian's source package, checksummed.
fn fetch_musl() -> Result<PathBuf, String> {
    let dir = cache_root().join("src");
    let tarball = dir.join(format!("musl_{MUSL_UPSTREAM_VERSION}.orig.tar.gz"));
    if tarball.exists() && sha256_file(&tarball)? == MUSL_ORIG_SHA256 {
        return Ok(tarball);
    }
    ensure_deb_src()?;
    step(&format!("fetching musl {MUSL_DEBIAN_VERSION} (apt-get source)"));
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut cmd = Command::new("apt-get");
    cmd.args(["source", "--download-only", "-qq", &format!("musl={MUSL_DEBIAN_VERSION}")]).current_dir(&dir);
    if run(&mut cmd).is_err() {
        // The package lists may predate the deb-src entry.
        apt(&["update", "-qq"])?;
        run(&mut cmd)?;
    }
    let sum = sha256_file(&tarball)?;
    if sum != MUSL_ORIG_SHA256 {
        return Err(format!("{}: sha256 {sum}, expected {MUSL_ORIG_SHA256}", tarball.display()));
    }
    Ok(tarball)
}

/// Adds a `deb-src` entry for the suites of the existing Debian `deb` entry
/// when no deb-src entry exists.
fn ensure_deb_src() -> Result<(), String> {
    let mut sources = String::new();
    for dir in ["/etc/apt/sources.list", "/etc/apt/sources.list.d"] {
        let p = Path::new(dir);
        let files: Vec<PathBuf> = if p.is_dir() {
            fs::read_dir(p).map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default()
        } else {
            vec![p.to_path_buf()]
        };
        for f in files {
            sources.push_str(&fs::read_to_string(&f).unwrap_or_default());
            sources.push('\n');
        }
    }
    let has_src = sources.lines().any(|l| {
        let l = l.trim();
        l.starts_with("deb-src ") || (l.starts_with("Types:") && l.contains("deb-src"))
    });
    if has_src {
        return Ok(());
    }
    // The suites of the deb entry for deb.debian.org/debian (deb822 or
    // one-line form); bookworm's by default.
    let mut suites: Vec<String> = Vec::new();
    let mut in_debian = false;
    for l in sources.lines() {
        let l = l.trim();
        if l.is_empty() {
            in_debian = false;
        } else if let Some(u) = l.strip_prefix("URIs:") {
            in_debian = u.trim().trim_end_matches('/').ends_with("debian.org/debian");
        } else if let Some(s) = l.strip_prefix("Suites:") {
            if in_debian && suites.is_empty() {
                suites = s.split_whitespace().map(String::from).collect();
            }
        } else if l.starts_with("deb ") && l.contains("debian.org/debian ") && suites.is_empty() {
            let parts: Vec<&str> = l.split_whitespace().collect();
            if let Some(s) = parts.get(2) {
                suites.push((*s).to_string());
            }
        }
    }
    if suites.is_empty() {
        suites = vec!["bookworm".into(), "bookworm-updates".into()];
    }
    let text = format!(
        "# Added by `cargo xtask setup` for `apt-get source musl` (wasmpod toolchain).\n\
         Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: {}\nComponents: main\n\
         Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        suites.join(" ")
    );
    step("adding a deb-src entry (/etc/apt/sources.list.d/wasmpod-src.sources)");
    let path = "/etc/apt/sources.list.d/wasmpod-src.sources";
    let tmp = std::env::temp_dir().join("wasmpod-src.sources");
    fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut cp = if crate::setup::is_root() {
        Command::new("cp")
    } else {
        let mut c = Command::new("sudo");
        c.arg("cp");
        c
    };
    run(cp.arg(&tmp).arg(path))?;
    apt(&["update", "-qq"])
}

/// The cache keys: `(sysroot, toolchain)`. The sysroot's covers what musl's
/// build reads (the tarball's checksum, clang's version, the port under
/// `toolchain/musl`, the `wasmpod-abi` sources the generated headers come
/// from, and this file, which generates them and writes the build
/// configuration); the toolchain's adds everything else under
/// `toolchain/` (the wrappers, the CMake file) and binaryen's version, so
/// editing a wrapper doesn't rebuild libc.
fn input_hashes(root: &Path) -> Result<(String, String), String> {
    let mut manifest = String::new();
    writeln!(manifest, "musl {MUSL_DEBIAN_VERSION} {MUSL_ORIG_SHA256}").unwrap();
    let clang = output(Command::new("clang-19").arg("--version"))?;
    writeln!(manifest, "clang {}", clang.lines().next().unwrap_or_default()).unwrap();
    let mut files = walk(&root.join("toolchain/musl"));
    files.extend(walk(&root.join("crates/abi/src")));
    files.push(root.join("xtask/src/toolchain.rs"));
    hash_files(root, &files, &mut manifest)?;
    let sysroot = sha256_bytes(manifest.as_bytes())?[..16].to_string();

    let mut manifest = format!("sysroot {sysroot}\nbinaryen {BINARYEN_NPM}\n");
    let rest: Vec<PathBuf> =
        walk(&root.join("toolchain")).into_iter().filter(|f| !f.starts_with(root.join("toolchain/musl"))).collect();
    hash_files(root, &rest, &mut manifest)?;
    Ok((sysroot, sha256_bytes(manifest.as_bytes())?[..16].to_string()))
}

/// `cargo xtask toolchain`: builds (or finds in the cache) the toolchain
/// and points `build/sysroot` and `build/toolchain` at it.
pub fn toolchain() -> Result<(), String> {
    let root = repo_root();
    let tarball = setup_inputs()?;
    let (sysroot_hash, toolchain_hash) = input_hashes(&root)?;
    let sysroot = cache_root().join(format!("sysroot-{sysroot_hash}"));
    if !sysroot.join("lib/libc.a").exists() {
        step(&format!("building musl for wasmpod into {}", sysroot.display()));
        build_sysroot(&root, &tarball, &sysroot)?;
    }
    let out = cache_root().join(format!("toolchain-{toolchain_hash}"));
    if !out.join("bin/wasmpod-cc").exists() {
        write_toolchain(&root, &sysroot, &out)?;
    }
    link_outputs(&root, &out)?;
    println!("toolchain: {} (build/toolchain/bin/wasmpod-cc)", out.display());
    Ok(())
}

/// Builds musl into `out` (via a temporary directory, so an interrupted
/// build never looks complete).
fn build_sysroot(root: &Path, tarball: &Path, out: &Path) -> Result<(), String> {
    let tmp = out.with_extension("tmp");
    let _ = fs::remove_dir_all(&tmp);
    let src_parent = tmp.join("src");
    fs::create_dir_all(&src_parent).map_err(|e| format!("{}: {e}", src_parent.display()))?;
    run(Command::new("tar").arg("xzf").arg(tarball).arg("-C").arg(&src_parent))?;
    let src = src_parent.join(format!("musl-{MUSL_UPSTREAM_VERSION}"));

    // Our port: arch/wasm32, the wasm32 replacements under src/ and crt/,
    // then the header patches.
    let port = root.join("toolchain/musl");
    for f in walk(&port) {
        let rel = f.strip_prefix(&port).map_err(|e| e.to_string())?;
        if rel.starts_with("patches") {
            continue;
        }
        let dst = src.join(rel);
        fs::create_dir_all(dst.parent().unwrap()).map_err(|e| e.to_string())?;
        fs::copy(&f, &dst).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    for p in walk(&port.join("patches")) {
        run(Command::new("patch").args(["-s", "-p1", "-i"]).arg(&p).current_dir(&src))?;
    }
    let arch = src.join("arch/wasm32");
    fs::write(arch.join("bits/syscall.h.in"), gen_syscall_h_in()).map_err(|e| e.to_string())?;
    fs::write(arch.join("syscall_imports.h"), gen_syscall_imports_h()).map_err(|e| e.to_string())?;

    let config = format!(
        "ARCH = wasm32\n\
         srcdir = .\n\
         prefix = {prefix}\n\
         exec_prefix = {prefix}\n\
         includedir = $(prefix)/include\n\
         libdir = $(prefix)/lib\n\
         CC = clang-19\n\
         CFLAGS = {cflags}\n\
         CFLAGS_AUTO = -Os -pipe -fno-stack-protector -ffunction-sections -fdata-sections -w \
         -Werror=implicit-function-declaration -Werror=implicit-int -Werror=pointer-sign -Werror=pointer-arith \
         -Werror=int-conversion -Werror=incompatible-pointer-types\n\
         CFLAGS_C99FSE = -std=c99 -nostdinc -ffreestanding -frounding-math\n\
         CFLAGS_MEMOPS = -fno-builtin\n\
         AR = llvm-ar-19\n\
         RANLIB = llvm-ranlib-19\n\
         LIBCC =\n\
         SHARED_LIBS =\n\
         TOOL_LIBS =\n\
         ALL_TOOLS =\n",
        prefix = tmp.display(),
        cflags = target_cflags().join(" "),
    );
    fs::write(src.join("config.mak"), config).map_err(|e| e.to_string())?;
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(2);
    run(Command::new("make")
        .arg(format!("-j{jobs}"))
        .args(["-s", "install-headers", "install-libs"])
        .current_dir(&src))?;
    fs::remove_dir_all(&src_parent).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(out);
    fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))
}

/// Writes the wrappers, the target-named links and the CMake file into
/// `out`, with `out/sysroot` pointing at the sysroot.
fn write_toolchain(root: &Path, sysroot: &Path, out: &Path) -> Result<(), String> {
    let tmp = out.with_extension("tmp");
    let _ = fs::remove_dir_all(&tmp);
    let bin = tmp.join("bin");
    fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(sysroot, tmp.join("sysroot")).map_err(|e| e.to_string())?;
    let tdir = root.join("toolchain");
    for tool in ["wasmpod-cc", "wasmpod-ar", "wasmpod-ranlib", "wasmpod-nm", "wasmpod-strip", "wasmpod-pkg-config"] {
        let text = fs::read_to_string(tdir.join("bin").join(tool)).map_err(|e| format!("{tool}: {e}"))?;
        let text = text.replace("@WASM_OPT@", &wasm_opt().display().to_string());
        let dst = bin.join(tool);
        fs::write(&dst, text).map_err(|e| e.to_string())?;
        run(Command::new("chmod").arg("+x").arg(&dst))?;
    }
    for (alias, tool) in [
        ("cc", "wasmpod-cc"),
        ("gcc", "wasmpod-cc"),
        ("clang", "wasmpod-cc"),
        ("ar", "wasmpod-ar"),
        ("ranlib", "wasmpod-ranlib"),
        ("nm", "wasmpod-nm"),
        ("strip", "wasmpod-strip"),
        ("pkg-config", "wasmpod-pkg-config"),
    ] {
        std::os::unix::fs::symlink(tool, bin.join(format!("{TRIPLE}-{alias}"))).map_err(|e| e.to_string())?;
    }
    fs::copy(tdir.join("wasmpod.cmake"), tmp.join("wasmpod.cmake")).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(out);
    fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))
}

/// Compiler flags for the target, shared by the libc build and
/// `wasmpod-cc` (which spells them out again in shell).
fn target_cflags() -> Vec<&'static str> {
    vec![
        "--target=wasm32-unknown-unknown",
        "-matomics",
        "-mbulk-memory",
        "-mmutable-globals",
        "-msign-ext",
        "-mnontrapping-fptoint",
        "-mexception-handling",
        "-mllvm",
        "-wasm-enable-sjlj",
        "-D__wasmpod__",
        "-D__linux__",
        "-D__linux",
        "-D__unix__",
        "-D__unix",
    ]
}

/// `build/sysroot` and `build/toolchain` as symlinks into the cache.
fn link_outputs(root: &Path, out: &Path) -> Result<(), String> {
    let build = root.join("build");
    fs::create_dir_all(&build).map_err(|e| e.to_string())?;
    let sysroot = fs::read_link(out.join("sysroot")).map_err(|e| e.to_string())?;
    for (name, target) in [("sysroot", sysroot), ("toolchain", out.to_path_buf())] {
        let link = build.join(name);
        if fs::symlink_metadata(&link).is_ok() {
            if fs::read_link(&link).ok().as_deref() == Some(target.as_path()) {
                continue;
            }
            fs::remove_file(&link).or_else(|_| fs::remove_dir_all(&link)).map_err(|e| e.to_string())?;
        }
        std::os::unix::fs::symlink(&target, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    }
    Ok(())
}

/// `cargo xtask toolchain --gen DIR`: writes the generated headers into
/// `DIR/arch/wasm32` of a musl tree (for working on the port by hand).
pub fn gen_into(dir: Option<&String>) -> Result<(), String> {
    let arch = Path::new(dir.ok_or("usage: cargo xtask toolchain --gen MUSL_DIR")?).join("arch/wasm32");
    fs::create_dir_all(arch.join("bits")).map_err(|e| e.to_string())?;
    fs::write(arch.join("bits/syscall.h.in"), gen_syscall_h_in()).map_err(|e| e.to_string())?;
    fs::write(arch.join("syscall_imports.h"), gen_syscall_imports_h()).map_err(|e| e.to_string())?;
    fs::write(Path::new(dir.unwrap()).join("abi_layout_check.c"), crate::abi_layout::gen_check_c()?)
        .map_err(|e| e.to_string())?;
    fs::write(Path::new(dir.unwrap()).join("abi_layout_print.c"), crate::abi_layout::gen_print_c()?)
        .map_err(|e| e.to_string())
}

/// musl's `arch/wasm32/bits/syscall.h.in`: `__NR_*` for every call in
/// `wasmpod_abi::syscalls::SYSCALLS` (musl's build derives `SYS_*`), plus
/// the names musl's generic code looks for:
/// - the `*_time64` names
///   with the number of the 64-bit call, so musl takes its time64 paths
///   with 64-bit structs and never its 32-bit fallbacks;
/// - `mmap2` = `mmap`: wasmpod's mmap takes the offset in pages.
pub fn gen_syscall_h_in() -> String {
    use wasmpod_abi::syscalls::{number, SYSCALLS, TIME64_ALIASES};
    let mut s = String::from("/* Generated by `cargo xtask toolchain` from wasmpod_abi::syscalls. */\n");
    for (nr, name) in SYSCALLS {
        writeln!(s, "#define __NR_{name} {nr}").unwrap();
    }
    for (_, alias, canonical) in TIME64_ALIASES {
        writeln!(s, "#define __NR_{alias} {canonical}").unwrap();
    }
    for (alias, of) in [("mmap2", "mmap")] {
        if let Some(nr) = number(of) {
            writeln!(s, "#define __NR_{alias} {nr}").unwrap();
        }
    }
    s
}

/// `arch/wasm32/syscall_imports.h`: one import per call and the dispatch
/// switch (see syscall_arch.h).
pub fn gen_syscall_imports_h() -> String {
    use wasmpod_abi::syscalls::SYSCALLS;
    let mut s = String::from(
        "/* Generated by `cargo xtask toolchain` from wasmpod_abi::syscalls::SYSCALLS.\n \
         * One wasm import per system call, (i32 x 6) -> i32 (docs/program-abi.md). */\n\n",
    );
    for (_, name) in SYSCALLS {
        writeln!(
            s,
            "__attribute__((import_module(\"env\"), import_name(\"__syscall_{name}\")))\n\
             long __wasmpod_sc_{name}(long, long, long, long, long, long);"
        )
        .unwrap();
    }
    s.push_str(
        "\n__attribute__((import_module(\"env\"), import_name(\"__syscall\")))\n\
         long __wasmpod_sc_generic(long, long, long, long, long, long, long);\n\n\
         static __inline __attribute__((__always_inline__))\n\
         long __wasmpod_syscall(long n, long a, long b, long c, long d, long e, long f)\n{\n\
         \tif (!__builtin_constant_p(n))\n\t\treturn __wasmpod_sc_generic(n, a, b, c, d, e, f);\n\
         \tswitch (n) {\n",
    );
    for (nr, name) in SYSCALLS {
        writeln!(s, "\tcase {nr}: return __wasmpod_sc_{name}(a, b, c, d, e, f);").unwrap();
    }
    s.push_str("\tdefault: return __wasmpod_sc_generic(n, a, b, c, d, e, f);\n\t}\n}\n");
    s
}

/// What the toolchain's tests need to know about a linked program.
struct ModuleShape {
    imports: Vec<String>,
    exports: Vec<String>,
    shared_memory: bool,
    bad_signatures: Vec<String>,
}

/// Reads imports, exports and the memory import from `wasm-objdump -x`.
fn module_shape(path: &Path) -> Result<ModuleShape, String> {
    let dump = output(Command::new("wasm-objdump").arg("-x").arg(path))?;
    let mut types = std::collections::HashMap::new();
    let mut shape = ModuleShape { imports: vec![], exports: vec![], shared_memory: false, bad_signatures: vec![] };
    let mut section = "";
    for line in dump.lines() {
        if !line.starts_with(' ') {
            section = line.split('[').next().unwrap_or("");
            continue;
        }
        let l = line.trim();
        match section {
            "Type" => {
                // " - type[3] (i32, i32) -> i32"
                if let Some((idx, sig)) = l.strip_prefix("- type[").and_then(|r| r.split_once("] ")) {
                    types.insert(format!("sig={idx}"), sig.to_string());
                }
            }
            "Import" => {
                let Some(name) = l.rsplit("<- ").next() else { continue };
                if l.starts_with("- memory") {
                    shape.shared_memory = l.contains("shared");
                } else if l.starts_with("- func") {
                    let sig = l.split_whitespace().find(|w| w.starts_with("sig=")).unwrap_or("");
                    let ty = types.get(sig).cloned().unwrap_or_default();
                    let want = if name == "env.__syscall" {
                        "(i32, i32, i32, i32, i32, i32, i32) -> i32"
                    } else {
                        "(i32, i32, i32, i32, i32, i32) -> i32"
                    };
                    if ty != want {
                        shape.bad_signatures.push(format!("{name}: {ty}"));
                    }
                }
                shape.imports.push(name.to_string());
            }
            "Export" => {
                if let Some((_, name)) = l.rsplit_once("-> \"") {
                    shape.exports.push(name.trim_end_matches('"').to_string());
                }
            }
            _ => {}
        }
    }
    Ok(shape)
}

/// Checks a linked program against docs/program-abi.md: only the contract's
/// imports with the contract's signature, all its exports, shared memory.
fn check_module(path: &Path) -> Result<(), String> {
    let shape = module_shape(path)?;
    let name = path.display();
    if !shape.shared_memory {
        return Err(format!("{name}: env.memory is not an imported shared memory"));
    }
    for imp in &shape.imports {
        let ok = imp == "env.memory"
            || imp == "env.__syscall"
            || imp.strip_prefix("env.__syscall_").is_some_and(|n| wasmpod_abi::syscalls::number(n).is_some());
        if !ok {
            return Err(format!("{name}: import {imp} is not in the program interface"));
        }
    }
    if !shape.bad_signatures.is_empty() {
        return Err(format!("{name}: imports with the wrong signature: {}", shape.bad_signatures.join(", ")));
    }
    for exp in
        ["_start", "__stack_pointer", "__tls_base", "__wasm_init_tls", "__wasmpod_thread_start", "__wasmpod_sigtramp"]
    {
        if !shape.exports.iter().any(|e| e == exp) {
            return Err(format!("{name}: missing export {exp}"));
        }
    }
    Ok(())
}

/// The toolchain's tests (`cargo xtask test` runs them): the generated ABI
/// layout check compiles (and a broken one fails naming the field), the
/// sample programs link and have the contract's shape and validate, and
/// when node is present they run under the JavaScript smoke host.
pub fn test() -> Result<(), String> {
    toolchain()?;
    let root = repo_root();
    let cc = root.join("build/toolchain/bin/wasmpod-cc");
    let work = root.join("target/toolchain-tests");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;

    step("toolchain: ABI layout check (wasmpod-cc -c abi_layout_check.c)");
    let check = work.join("abi_layout_check.c");
    let text = crate::abi_layout::gen_check_c()?;
    fs::write(&check, &text).map_err(|e| e.to_string())?;
    run(Command::new(&cc).arg("-c").arg(&check).arg("-o").arg(work.join("abi_layout_check.o")))?;
    // The check must be able to fail: move one offset and expect the
    // compiler to name the field.
    let broken = text.replacen("== 8, \"time::timespec.tv_nsec", "== 12, \"time::timespec.tv_nsec", 1);
    if broken == text {
        return Err("abi layout self-test: timespec.tv_nsec check not found".into());
    }
    fs::write(work.join("broken.c"), broken).map_err(|e| e.to_string())?;
    let out = Command::new(&cc)
        .arg("-c")
        .arg(work.join("broken.c"))
        .arg("-o")
        .arg(work.join("broken.o"))
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() || !String::from_utf8_lossy(&out.stderr).contains("time::timespec.tv_nsec") {
        return Err("abi layout self-test: a wrong offset did not fail the check with the field's name".into());
    }
    fs::write(work.join("abi_layout_print.c"), crate::abi_layout::gen_print_c()?).map_err(|e| e.to_string())?;

    step("toolchain: sample programs link and have the program interface's shape");
    let mut programs: Vec<PathBuf> = vec![root.join("tests/seed/hello.c"), work.join("abi_layout_print.c")];
    programs
        .extend(walk(&root.join("tests/toolchain")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "c")));
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let mut ran = 0;
    for src in &programs {
        let stem = src.file_stem().and_then(|s| s.to_str()).unwrap_or("prog").to_string();
        let exe = work.join(&stem);
        run(Command::new(&cc).args(["-O2", "-Wall", "-Werror", "-o"]).arg(&exe).arg(src))?;
        check_module(&exe)?;
        // wasm-opt validates what it reads.
        run(Command::new(wasm_opt())
            .args(["--enable-threads", "--enable-bulk-memory", "--enable-mutable-globals", "--enable-sign-ext"])
            .args(["--enable-nontrapping-float-to-int", "--enable-exception-handling", "-q"])
            .arg(&exe)
            .arg("-o")
            .arg("/dev/null"))
        .map_err(|e| format!("{}: does not validate: {e}", exe.display()))?;
        // The smoke host has no threads and no processes: those run only
        // under `wasmpod run` below.
        if !node || ["threads", "cancel", "spawn"].contains(&stem.as_str()) {
            continue;
        }
        // Node 20 has no exnref: run the build before wasm-opt's
        // translation, in the JavaScript smoke host.
        let legacy = work.join(format!("{stem}.legacy"));
        run(Command::new(&cc).env("WASMPOD_WASM_OPT", "true").args(["-O2", "-o"]).arg(&legacy).arg(src))?;
        let out = Command::new("node")
            .arg(root.join("toolchain/dev/minihost.mjs"))
            .arg(&legacy)
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let first = stdout.lines().next().unwrap_or_default();
        if !sample_passed(&stem, &out.status, first) {
            return Err(format!(
                "{stem}: unexpected result in the smoke host ({}): {stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        println!("  {stem}: {first}");
        ran += 1;
    }
    println!("toolchain tests: {} programs linked and checked, {ran} run in the smoke host", programs.len());
    run_under_wasmpod(&root, &work, &programs)
}

/// The `wasmpod` binary: the debug build `cargo test --workspace` just made
/// (in `cargo xtask test`), else a release build, else a build with the test
/// profile (whose dependencies `cargo test` builds). An existing binary is
/// used as is: run `cargo build -p wasmpod-host-native` after changing the
/// host.
fn wasmpod_binary(root: &Path) -> Result<PathBuf, String> {
    for p in ["target/debug/wasmpod", "target/release/wasmpod"] {
        if root.join(p).exists() {
            return Ok(root.join(p));
        }
    }
    step("building wasmpod (cargo build --profile test -p wasmpod-host-native)");
    run(crate::util::cargo()
        .args(["build", "-q", "--profile", "test", "-p", "wasmpod-host-native", "--bin", "wasmpod"])
        .current_dir(root))?;
    Ok(root.join("target/debug/wasmpod"))
}

/// A sample program's verdict from its exit status and first line of
/// output: `ok…` (or the layout check's `abi layout:` line) and success;
/// `hello` only has to greet, since its execve of /bin/sh fails until the
/// userland exists.
fn sample_passed(stem: &str, status: &std::process::ExitStatus, first: &str) -> bool {
    match stem {
        "hello" => first == "Hello, world!",
        _ => status.success() && (first == "ok" || first.starts_with("ok ") || first.starts_with("abi layout:")),
    }
}

/// Runs the linked samples for real under `wasmpod run`.
fn run_under_wasmpod(root: &Path, work: &Path, programs: &[PathBuf]) -> Result<(), String> {
    let wasmpod = wasmpod_binary(root)?;
    step(&format!("toolchain: sample programs under {}", wasmpod.display()));
    let mut failed = Vec::new();
    for src in programs {
        let stem = src.file_stem().and_then(|s| s.to_str()).unwrap_or("prog").to_string();
        let exe = work.join(&stem);
        let out = Command::new(&wasmpod)
            .args(["run", "--no-image"])
            .arg(&exe)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{}: {e}", wasmpod.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let first = stdout.lines().next().unwrap_or_default();
        let ok = sample_passed(&stem, &out.status, first);
        println!("  {stem}: {} ({})", if ok { first } else { "FAILED" }, out.status);
        if !ok {
            println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
            failed.push(stem);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("under wasmpod run: {} failed", failed.join(", ")))
    }
}
