//! The browser tests (`cargo xtask web --test`, after the Node smoke): builds
//! what `web/test/browser/run.mjs` serves next to the bundle in
//! `build/web/test-programs/` and runs it with the release `wasmpod`.
//!
//! - `web/test/browser/programs/*.c`, built with `wasmpod-cc -O2` →
//!   `test-programs/NAME.wasm` (rebuilt when the source or libc is newer).
//! - The conformance programs (`tests/conformance/*.c`), built exactly as
//!   `cargo xtask conformance` builds them (same flags, same cache in
//!   `target/conformance/wasm`) → `test-programs/conformance/NAME`, so the
//!   browser and the native host run the same bytes.
//! - The test page files (`web/test/browser/page/*`) → `test-programs/`.
//! - A small ext2 root image (`test-programs/root.ext2`, made with
//!   `mke2fs -d`): `/bin/hello` and `/etc/motd`, for booting a pod from an
//!   image served with HTTP Range.
//!
//! It needs the bundle (`build/web/wasmpod.js`, `worker.js`, `kernel.wasm`),
//! `web/node_modules` (playwright-core; [`crate::setup::npm_ci`] installs it
//! when stale) and `/usr/bin/chromium` (`cargo xtask setup`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::conformance::{self, Compiler};
use crate::util::{repo_root, run, step};

/// Flags for the test programs (the conformance programs use the suite's own).
const PROGRAM_FLAGS: &[&str] = &["-O2", "-Wall", "-Werror", "-pthread"];

/// Builds the test programs and runs the browser tests.
pub fn browser_tests() -> Result<(), String> {
    let root = repo_root();
    crate::setup::npm_ci()?;
    let wasmpod = conformance::wasmpod_binary(&root)?;
    step("browser tests: test programs (build/web/test-programs)");
    let out = prepare(&root)?;
    step("browser tests (headless Chromium, web/test/browser/run.mjs)");
    run(Command::new("node")
        .arg(root.join("web/test/browser/run.mjs"))
        .arg("--wasmpod")
        .arg(&wasmpod)
        .arg("--web")
        .arg(out.parent().unwrap_or(&root))
        .current_dir(&root))
}

/// Fills `build/web/test-programs/`; returns its path.
pub fn prepare(root: &Path) -> Result<PathBuf, String> {
    let web = root.join("build/web");
    for f in ["wasmpod.js", "worker.js", "kernel.wasm"] {
        if !web.join(f).exists() {
            return Err(format!("{} missing: `cargo xtask web` builds the bundle", web.join(f).display()));
        }
    }
    let out = web.join("test-programs");
    mkdir(&out.join("conformance"))?;
    let cc = root.join("build/toolchain/bin/wasmpod-cc");
    if !cc.exists() {
        return Err(format!("{} missing: run `cargo xtask toolchain` first", cc.display()));
    }
    // A new libc (a toolchain rebuild) rebuilds the programs too.
    let libc = root.join("build/sysroot/lib/libc.a");
    for src in sources(&root.join("web/test/browser/programs"), "c")? {
        let name = stem(&src)?;
        let wasm = out.join(format!("{name}.wasm"));
        if !(newer(&src, &wasm) && newer(&libc, &wasm)) {
            run(Command::new(&cc).args(PROGRAM_FLAGS).arg("-o").arg(&wasm).arg(&src))?;
        }
    }
    // The product's hello (issue #6), for the root-image tests (shell.mjs).
    let seed = root.join("tests/seed/hello.c");
    let wasm = out.join("seed-hello.wasm");
    if !(newer(&seed, &wasm) && newer(&libc, &wasm)) {
        run(Command::new(&cc).args(PROGRAM_FLAGS).arg("-o").arg(&wasm).arg(&seed))?;
    }
    root_image(root, &out)?;
    for file in sources(&root.join("web/test/browser/page"), "")? {
        copy(&file, &out.join(file.file_name().unwrap_or_default()))?;
    }
    let suite = root.join("tests/conformance");
    let wasm_cc = Compiler::wasmpod_cc(root, root.join("target/conformance/wasm"))?;
    let header_hash = conformance::hash_dir(&suite.join("include"))?;
    for src in sources(&suite, "c")? {
        let name = stem(&src)?;
        let built = wasm_cc.build(&src, &suite.join("include"), &name, header_hash)?;
        copy(&built, &out.join("conformance").join(&name))?;
    }
    Ok(out)
}

/// Text of `/etc/motd` in the test image (tests.js checks it).
const MOTD: &str = "served from an ext2 image\n";

/// `test-programs/root.ext2`: `/bin/hello` (hello.wasm, 0755) and
/// `/etc/motd`, made by mke2fs from a tree under `target/`; and
/// `test-programs/big.ext2`, the same plus a 1 GiB file of data nobody
/// reads (a 1.1 GiB image; sparse on the host where the file system allows).
fn root_image(root: &Path, out: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let tree = root.join("target/browser-test-image");
    if tree.exists() {
        fs::remove_dir_all(&tree).map_err(|e| format!("removing {}: {e}", tree.display()))?;
    }
    mkdir(&tree.join("bin"))?;
    mkdir(&tree.join("etc"))?;
    let hello = tree.join("bin/hello");
    copy(&out.join("hello.wasm"), &hello)?;
    fs::set_permissions(&hello, fs::Permissions::from_mode(0o755)).map_err(|e| format!("{}: {e}", hello.display()))?;
    fs::write(tree.join("etc/motd"), MOTD).map_err(|e| format!("writing motd: {e}"))?;
    let mke2fs = |image: &Path, size: &str| {
        // An empty file first: mke2fs announces the files it has to create.
        fs::File::create(image).map_err(|e| format!("creating {}: {e}", image.display()))?;
        run(Command::new("mke2fs").args(["-q", "-F", "-t", "ext2", "-b", "4096", "-d"]).arg(&tree).arg(image).arg(size))
    };
    mke2fs(&out.join("root.ext2"), "8M")?;
    // The padding is nonzero, so mke2fs stores it (zeros would become holes
    // in the file system itself); written in 1 MiB pieces.
    let big = out.join("big.ext2");
    if !newer(&out.join("hello.wasm"), &big) {
        let pad = tree.join("padding");
        let mut f = fs::File::create(&pad).map_err(|e| format!("{}: {e}", pad.display()))?;
        let piece = vec![0x5au8; 1 << 20];
        for _ in 0..1024 {
            std::io::Write::write_all(&mut f, &piece).map_err(|e| format!("{}: {e}", pad.display()))?;
        }
        let tmp = out.join("big.ext2.tmp");
        mke2fs(&tmp, "1100M")?;
        fs::rename(&tmp, &big).map_err(|e| format!("{}: {e}", big.display()))?;
    }
    Ok(())
}

/// Files in `dir` whose name ends in `.ext` (every file for ""), sorted.
fn sources(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && (ext.is_empty() || p.extension().is_some_and(|x| x == ext)))
        .collect();
    v.sort();
    Ok(v)
}

fn stem(p: &Path) -> Result<String, String> {
    p.file_stem().and_then(|s| s.to_str()).map(str::to_string).ok_or_else(|| format!("bad file name {}", p.display()))
}

/// Whether `out` exists and is at least as new as `src`.
fn newer(src: &Path, out: &Path) -> bool {
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((mtime(src), mtime(out)), (Some(s), Some(o)) if o >= s)
}

fn mkdir(p: &Path) -> Result<(), String> {
    fs::create_dir_all(p).map_err(|e| format!("creating {}: {e}", p.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to).map(|_| ()).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}
