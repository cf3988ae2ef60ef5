//! `cargo xtask bench [NAME]`: benchmarks, reported as ratios against
//! native Linux tools measured in the same run. `all` is ext2 and
//! syscalls; `browser`, `boot` (they need the web bundle and Chromium) and
//! `programs` (the lua and sqlite ports; Chromium unless `--no-browser`)
//! run alone.

use crate::util::{cargo, repo_root, run, step};

pub fn bench(args: &[String]) -> Result<(), String> {
    let which = args.first().map(String::as_str).unwrap_or("all");
    match which {
        "ext2" => ext2(),
        "syscalls" => crate::bench_syscalls::bench_syscalls(&args[1..]),
        "browser" => crate::bench_browser::bench_browser(&args[1..]),
        "boot" => crate::bench_boot::bench_boot(&args[1..]),
        "programs" => crate::bench_programs::bench_programs(&args[1..]),
        "all" => ext2().and_then(|()| crate::bench_syscalls::bench_syscalls(&[])),
        other => Err(format!("unknown benchmark {other:?} (known: ext2, syscalls, browser, boot, programs)")),
    }
}

/// `wasmpod image build` vs `mke2fs -d`, and sequential reads.
fn ext2() -> Result<(), String> {
    step("bench ext2");
    run(cargo()
        .args(["run", "--release", "--quiet", "-p", "wasmpod-host-native", "--example", "bench_image"])
        .current_dir(repo_root()))
}
