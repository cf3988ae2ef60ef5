//! `cargo xtask setup`: installs what the build and the tests need on a
//! fresh Debian 12 machine. Every step checks first, so a second run
//! installs nothing and prints one line. It also builds the C toolchain
//! (`cargo xtask toolchain`) when its cache entry is missing, and installs
//! the browser host's npm packages (`web/node_modules`) when they are
//! missing or older than `web/package-lock.json`.

use std::process::Command;

use crate::util::{output, run, step};

/// Debian packages the tests use:
/// - e2fsprogs: mke2fs/e2fsck/debugfs, the judges of our ext2 code.
/// - gcc: builds the C conformance suite for Linux, its oracle.
/// - chromium: the browser the browser tests and the browser bench drive
///   (through npm playwright-core, which brings no browser of its own).
/// - fonts-dejavu-core: a monospace font for the terminal in screenshots.
const APT_PACKAGES: &[&str] = &["e2fsprogs", "gcc", "chromium", "fonts-dejavu-core"];

/// rustup targets: the browser kernel is built for wasm32-wasip1-threads.
const RUST_TARGETS: &[&str] = &["wasm32-wasip1-threads"];

pub fn setup() -> Result<(), String> {
    let missing_apt: Vec<&str> = APT_PACKAGES.iter().copied().filter(|p| !dpkg_installed(p)).collect();
    if !missing_apt.is_empty() {
        step(&format!("installing Debian packages: {}", missing_apt.join(" ")));
        apt_install(&missing_apt)?;
    }
    // Node runs the browser host's smoke test (`cargo xtask web --test`):
    // any Node >= 18 (Debian 12's nodejs) has worker_threads and shared
    // wasm memory. A Node already on PATH (e.g. from nodesource) is kept.
    if Command::new("node").arg("--version").output().is_err() {
        step("installing Debian packages: nodejs");
        apt_install(&["nodejs"])?;
    }
    // npm runs `npm ci` below; Debian packages it apart from nodejs.
    if Command::new("npm").arg("--version").output().is_err() {
        step("installing Debian packages: npm");
        apt_install(&["npm"])?;
    }
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    let missing_targets: Vec<&str> =
        RUST_TARGETS.iter().copied().filter(|t| !installed.lines().any(|l| l.trim() == *t)).collect();
    if !missing_targets.is_empty() {
        step(&format!("installing rustup targets: {}", missing_targets.join(" ")));
        run(Command::new("rustup").args(["target", "add"]).args(&missing_targets))?;
    }
    // The C toolchain (musl for wasm32, wasmpod-cc): built once per set of
    // inputs, then a cache hit.
    crate::toolchain::toolchain()?;
    // The ports' build tools and sources (after the toolchain, which adds
    // the deb-src entry `apt-get source` needs).
    crate::ports::setup_inputs()?;
    npm_ci()?;
    println!("setup: all dependencies present");
    Ok(())
}

/// Where `npm_ci` records the hash of the lockfile it installed from.
const NPM_STAMP: &str = "web/node_modules/.wasmpod-package-lock.hash";

/// `npm ci` in `web/` unless `web/node_modules` was installed from the
/// current `web/package-lock.json` (its hash is kept in [`NPM_STAMP`], which
/// `npm ci` itself deletes along with the old `node_modules`). The stamp is
/// written last, so an interrupted install is redone on the next run.
pub fn npm_ci() -> Result<(), String> {
    let root = crate::util::repo_root();
    let lock = root.join("web/package-lock.json");
    let bytes = std::fs::read(&lock).map_err(|e| format!("reading {}: {e}", lock.display()))?;
    let mut h = crate::conformance::Fnv::new();
    h.write(&bytes);
    let hash = format!("{:016x}", h.finish());
    let stamp = root.join(NPM_STAMP);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(hash.as_str()) {
        return Ok(());
    }
    step("installing npm packages (web/package-lock.json -> web/node_modules)");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(root.join("web")))?;
    std::fs::write(&stamp, hash).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

pub fn dpkg_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Whether we run as root (CI's norm); otherwise apt goes through sudo.
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).map(|s| s.trim() == "0").unwrap_or(false)
}

/// `apt-get ARGS`, non-interactive, as root directly or through sudo.
pub fn apt(args: &[&str]) -> Result<(), String> {
    let mut cmd = if is_root() {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.arg("apt-get");
        c
    };
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut cmd)
}

/// `apt-get update` then `apt-get install`.
pub fn apt_install(pkgs: &[&str]) -> Result<(), String> {
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend_from_slice(pkgs);
    apt(&args)
}
