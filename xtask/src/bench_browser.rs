//! `cargo xtask bench browser`: the browser host next to the native host
//! and native Linux, in the same run (issue #5's bench).
//!
//! The programs are `tests/bench/*.c` (the same ones as `bench syscalls`,
//! which time themselves and print `BENCH <name> <value> <unit> <iters>`),
//! with the same iteration count on every side:
//! - Linux: built with gcc and run directly;
//! - native host: built with `wasmpod-cc`, run under the release `wasmpod run`;
//! - Chromium: the same wasm file, run in a pod in headless Chromium
//!   (`web/test/browser/bench.mjs`, a fresh page and pod per program).
//!
//! The table goes to stdout and into `docs/benchmarks.md` between the
//! `bench-browser` markers, with the goals checked.

use std::fmt::Write as _;
use std::fs;
use std::process::Command;

use crate::bench_syscalls::{machine, measure, parse_output, splice_doc, Sample};
use crate::conformance::{self, Compiler};
use crate::util::{output, repo_root, step};

/// Program, iterations (same on all three sides).
const BENCHES: &[(&str, u64)] =
    &[("getpid", 1_000_000), ("spawn_wait", 200), ("pipe_throughput", 4096), ("pipe_pingpong", 20_000)];
const START: &str = "<!-- bench-browser:start -->";
const END: &str = "<!-- bench-browser:end -->";

/// One program's results.
struct Row {
    iters: u64,
    linux: Sample,
    host: Sample,
    chromium: Sample,
}

pub fn bench_browser(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unknown argument {a:?} (usage: cargo xtask bench browser)"));
    }
    let root = repo_root();
    crate::setup::npm_ci()?;
    let src_dir = root.join("tests/bench");
    let out = root.join("target/bench-syscalls");
    let native = Compiler::gcc(out.join("native"))?;
    let wasm_cc = Compiler::wasmpod_cc(&root, out.join("wasm"))?;
    let wasmpod = conformance::wasmpod_binary(&root)?;
    let web = root.join("build/web");
    let served = crate::web_tests::prepare(&root)?.join("bench");
    fs::create_dir_all(&served).map_err(|e| format!("creating {}: {e}", served.display()))?;
    let header_hash = conformance::hash_dir(&src_dir)?;
    step("bench browser (Linux, wasmpod run, Chromium)");
    let mut rows = Vec::new();
    for &(name, iters) in BENCHES {
        let src = src_dir.join(format!("{name}.c"));
        let linux = measure(Command::new(native.build(&src, &src_dir, name, header_hash)?), iters, &out)?;
        let wasm = wasm_cc.build(&src, &src_dir, name, header_hash)?;
        let mut cmd = Command::new(&wasmpod);
        cmd.args(["run", "--no-image"]).arg(&wasm);
        let host = measure(cmd, iters, &out)?;
        fs::copy(&wasm, served.join(name)).map_err(|e| format!("copying {}: {e}", wasm.display()))?;
        let mut cmd = Command::new("node");
        cmd.arg(root.join("web/test/browser/bench.mjs"))
            .arg("--wasmpod")
            .arg(&wasmpod)
            .arg("--web")
            .arg(&web)
            .arg(name)
            .arg(iters.to_string())
            .current_dir(&root);
        let desc = format!("{name} in Chromium");
        let chromium = parse_output(&desc, &output(&mut cmd).map_err(|e| format!("{desc}: {e}"))?)?;
        println!(
            "  {:<20} Linux {:>10.1} {:<13} wasmpod run {:>10.1}   Chromium {:>10.1}",
            linux.label, linux.value, linux.unit, host.value, chromium.value
        );
        rows.push(Row { iters, linux, host, chromium });
    }
    let table = render(&rows);
    println!("\n{table}");
    let section = format!(
        "{START}\n## Browser host\n\n\
         Command: `cargo xtask bench browser` (the programs of `tests/bench/`, each built with gcc\n\
         `-O1` and run on Linux, and built with `wasmpod-cc -O1` and run under the release\n\
         `wasmpod run` and in headless Chromium (Debian's chromium through playwright-core,\n\
         a fresh page and pod per program, tmpfs root), in the same run with the same\n\
         iteration counts; each program times itself with `CLOCK_MONOTONIC`). Ratios are\n\
         against Linux: for ns/µs per operation lower is better, for MB/s higher is better.\n\
         Goals (issue #5): getpid in Chromium ≤ 3× Linux, spawn+wait ≤ 10 ms, pipe\n\
         throughput ≥ 50% of Linux.\n\n\
         Measured {}\n\
         at the end of the run (single runs; other builds share the machine, so expect noise).\n\n{table}{END}\n",
        machine()
    );
    splice_doc(&root.join("docs/benchmarks.md"), START, END, &section)?;
    println!("docs/benchmarks.md updated");
    Ok(())
}

/// The goal a row is held to, if the issue sets one: (text, met?).
fn goal(r: &Row) -> Option<(&'static str, bool)> {
    match r.linux.label.as_str() {
        "getpid" => Some(("≤ 3× Linux", r.chromium.value <= 3.0 * r.linux.value)),
        "spawn_wait" if r.chromium.unit == "us/op" => Some(("≤ 10 ms", r.chromium.value <= 10_000.0)),
        "pipe_64k_throughput" => Some(("≥ 50% of Linux", r.chromium.value >= 0.5 * r.linux.value)),
        _ => None,
    }
}

fn render(rows: &[Row]) -> String {
    let mut t = String::from(
        "| benchmark | iterations | Linux (gcc) | wasmpod run | Chromium | wasmpod run/Linux | Chromium/Linux | goal |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let goal = match goal(r) {
            Some((g, true)) => format!("{g}: met"),
            Some((g, false)) => format!("{g}: **not met**"),
            None => "-".into(),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {:.1} {u} | {:.1} {u} | {:.1} {u} | {:.2}× | {:.2}× | {goal} |",
            r.linux.label,
            r.iters,
            r.linux.value,
            r.host.value,
            r.chromium.value,
            r.host.value / r.linux.value,
            r.chromium.value / r.linux.value,
            u = r.linux.unit,
        );
    }
    t
}
