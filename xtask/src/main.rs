//! `cargo xtask <command>`: wasmpod's build and test driver.
//!
//! - `demo [--port N]`: builds everything and serves the demo page with
//!   `wasmpod serve` (README's first command).
//! - `setup`: installs what a fresh Debian machine lacks (apt packages,
//!   rustup targets). Idempotent and quiet when everything is present.
//! - `toolchain`: builds the C toolchain for wasmpod programs (musl port,
//!   `wasmpod-cc`), cached under `~/.cache/wasmpod/toolchain-<hash>/`.
//! - `ports [--target wasm|native] [NAME…]`: builds real programs from
//!   Debian sources (ports/), cached under `~/.cache/wasmpod/ports/`.
//! - `test`: setup, format and lint checks, the whole test suite, the
//!   ports and the root image (`build --test`), the browser kernel
//!   (`web --test`), the C conformance suite, the ports' own checks
//!   (busybox's testsuite, lua and sqlite outputs). What `.ci/run`
//!   runs.
//! - `web [--test]`: builds `build/web/kernel.wasm` (crates/host-web),
//!   checks its imports/exports with wasm-objdump, bundles the TypeScript
//!   runtime and demo (web/src → build/web); `--test` adds the Node smoke
//!   test (web/test/node-smoke.mjs) and the browser tests in headless
//!   Chromium (web/test/browser/run.mjs).
//! - `docs`: regenerates generated docs (`docs/syscalls.md`).
//! - `bench [NAME]`: benchmarks (`ext2`, `syscalls`, `browser`), results
//!   as ratios against native Linux tools measured in the same run.
//! - `conformance [--native-only] [NAME…]`: the C conformance suite
//!   (tests/conformance), built with gcc and wasmpod-cc, run on Linux and
//!   under `wasmpod run`.

mod abi_layout;
mod bench;
mod bench_boot;
mod bench_browser;
mod bench_programs;
mod bench_syscalls;
mod build;
mod busybox_tests;
mod conformance;
mod demo;
mod digest;
mod image;
mod port_checks;
mod ports;
mod setup;
mod toolchain;
mod util;
mod web;
mod web_tests;

use std::process::ExitCode;

use util::{cargo, repo_root, run, step};

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask <command>\n\n\
         commands:\n  \
         demo [--port N] build everything and serve the demo page (default port 8080)\n  \
         build [--test] [--with DIR] toolchain, wasm ports, wasmpod, build/images/rootfs.ext2\n  \
         setup          install system packages and rustup targets\n  \
         toolchain      build the C toolchain (build/sysroot, build/toolchain/bin/wasmpod-cc);\n  \
                        --test: and run its tests\n  \
         ports [--target wasm|native] [NAME…]\n  \
         \x20              build ports (ports/NAME) into build/ports/NAME-TARGET\n  \
         test           run every check and test (what CI runs)\n  \
         docs           regenerate docs/syscalls.md\n  \
         bench [NAME]   run benchmarks (ext2, syscalls, browser)\n  \
         conformance [--native-only] [--jobs N] [--timeout SECS] [NAME…]\n  \
         \x20              C conformance suite: gcc on Linux vs wasmpod"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::setup(),
        Some("toolchain") if args.get(1).map(String::as_str) == Some("--gen") => toolchain::gen_into(args.get(2)),
        Some("toolchain") if args.get(1).map(String::as_str) == Some("--test") => toolchain::test(),
        Some("toolchain") => toolchain::toolchain(),
        Some("test") => test(),
        Some("demo") => demo::demo(&args[1..]),
        Some("docs") => docs(),
        Some("web") => web::web(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("conformance") => conformance::conformance(&args[1..]),
        Some("ports-test") if matches!(args.get(1).map(String::as_str), Some("lua" | "sqlite")) => {
            port_checks::ports_test(&args[1..])
        }
        Some("ports-test") if args.get(1).map(String::as_str) == Some("busybox") => {
            busybox_tests::ports_test(&args[2..])
        }
        Some("ports") => ports::ports(&args[1..]),
        Some("build") => build::build(&args[1..]),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Everything CI checks, in order of speed so that cheap failures come first.
fn test() -> Result<(), String> {
    setup::setup()?;
    let root = repo_root();
    step("format check");
    run(cargo().args(["fmt", "--all", "--", "--check"]).current_dir(&root))?;
    step("clippy");
    run(cargo()
        .args(["clippy", "--workspace", "--all-targets", "--all-features", "--quiet", "--", "-D", "warnings"])
        .current_dir(&root))?;
    step("tests");
    run(cargo().args(["test", "--workspace"]).current_dir(&root))?;
    step("C toolchain");
    toolchain::test()?;
    step("ports and the root image (cargo xtask build --test)");
    build::build(&["--test".to_string()])?;
    step("browser host (crates/host-web, web/): Node smoke test and browser tests");
    web::web(&["--test".to_string()])?;
    step("C conformance suite (gcc on Linux vs wasmpod)");
    conformance::run_suite(&conformance::Options {
        names: Vec::new(),
        native_only: false,
        jobs: 2,
        timeout: conformance::default_timeout(),
    })?;
    step("ports' checks: lua and sqlite scripts, natively and in the pod");
    port_checks::ports_test(&["lua".to_string()])?;
    port_checks::ports_test(&["sqlite".to_string()])?;
    step("ports' checks: busybox's testsuite natively and in the pod");
    busybox_tests::ports_test(&[])?;
    step("all checks passed");
    Ok(())
}

fn docs() -> Result<(), String> {
    let root = repo_root();
    run(cargo()
        .args(["test", "--quiet", "-p", "wasmpod-kernel", "--lib", "docs_syscalls_md_is_current"])
        .env("WASMPOD_BLESS", "1")
        .current_dir(&root))?;
    println!("docs/syscalls.md regenerated");
    Ok(())
}
