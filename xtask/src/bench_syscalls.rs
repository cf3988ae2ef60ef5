//! `cargo xtask bench syscalls [--native-only]`: system call costs of
//! wasmpod (native host, release build) next to Linux, same run.
//!
//! The C programs in `tests/bench/` time themselves with
//! `clock_gettime(CLOCK_MONOTONIC)` and print `BENCH <name> <value> <unit>
//! <iterations>`. Each is built with gcc and run natively, then built with
//! `wasmpod-cc` and run under `wasmpod run`, with the same iteration count.
//! The table goes to stdout and into `docs/benchmarks.md` (between the
//! `bench-syscalls` markers).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::conformance::{self, Compiler};
use crate::util::{repo_root, step};

/// Program, iterations (same on both sides).
const BENCHES: &[(&str, u64)] = &[
    ("getpid", 1_000_000),
    ("pipe_pingpong", 20_000),
    ("pipe_throughput", 4096),
    ("open_close", 100_000),
    ("spawn_wait", 200),
];
const START: &str = "<!-- bench-syscalls:start -->";
const END: &str = "<!-- bench-syscalls:end -->";

pub(crate) struct Sample {
    pub value: f64,
    pub unit: String,
    pub label: String,
}

pub fn bench_syscalls(args: &[String]) -> Result<(), String> {
    let native_only = args.iter().any(|a| a == "--native-only");
    if let Some(a) = args.iter().find(|a| *a != "--native-only") {
        return Err(format!("unknown argument {a:?} (usage: cargo xtask bench syscalls [--native-only])"));
    }
    let root = repo_root();
    let src_dir = root.join("tests/bench");
    let out = root.join("target/bench-syscalls");
    let native = Compiler::gcc(out.join("native"))?;
    let wasm = if native_only {
        None
    } else {
        let cc = Compiler::wasmpod_cc(&root, out.join("wasm"))?;
        Some((cc, conformance::wasmpod_binary(&root)?))
    };
    let header_hash = conformance::hash_dir(&src_dir)?;
    step("bench syscalls");
    let mut rows = Vec::new();
    for &(name, iters) in BENCHES {
        let src = src_dir.join(format!("{name}.c"));
        let bin = native.build(&src, &src_dir, name, header_hash)?;
        let n = measure(Command::new(&bin), iters, &out)?;
        let w = match &wasm {
            Some((cc, host)) => {
                let bin = cc.build(&src, &src_dir, name, header_hash)?;
                let mut cmd = Command::new(host);
                cmd.args(["run", "--no-image"]).arg(&bin);
                Some(measure(cmd, iters, &out)?)
            }
            None => None,
        };
        println!(
            "  {:<22} native {:>12.1} {:<13} wasmpod {}",
            n.label,
            n.value,
            n.unit,
            w.as_ref().map_or("-".into(), |w| format!("{:.1} {}", w.value, w.unit))
        );
        rows.push((n, w, iters));
    }
    let table = render(&rows);
    println!("\n{table}");
    if wasm.is_some() {
        write_doc(&root.join("docs/benchmarks.md"), &table)?;
        println!("docs/benchmarks.md updated");
    }
    Ok(())
}

/// Runs one benchmark program and parses its BENCH line.
pub(crate) fn measure(mut cmd: Command, iters: u64, out_dir: &Path) -> Result<Sample, String> {
    cmd.arg(iters.to_string()).current_dir(out_dir).stdin(Stdio::null());
    let desc = format!("{cmd:?}");
    let output = run_with_timeout(cmd, Duration::from_secs(300))?;
    parse_output(&desc, &output)
}

/// The `BENCH <name> <value> <unit> <iterations>` line of a benchmark's output.
pub(crate) fn parse_output(desc: &str, output: &str) -> Result<Sample, String> {
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .ok_or_else(|| format!("{desc} printed no BENCH line:\n{output}"))?;
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() != 4 {
        return Err(format!("{desc}: malformed BENCH line {line:?}"));
    }
    let value: f64 = f[1].parse().map_err(|_| format!("{desc}: bad value in {line:?}"))?;
    Ok(Sample { value, unit: f[2].to_string(), label: f[0].to_string() })
}

fn run_with_timeout(cmd: Command, timeout: Duration) -> Result<String, String> {
    let log = std::env::temp_dir().join(format!("wasmpod-bench-{}.log", std::process::id()));
    let r = conformance::run_program(cmd, Path::new("."), &log, timeout);
    let _ = fs::remove_file(&log);
    let r = r?;
    if r.timed_out || !r.status.is_some_and(|s| s.success()) {
        return Err(format!("benchmark failed ({}):\n{}", r.describe(), r.output));
    }
    Ok(r.output)
}

fn render(rows: &[(Sample, Option<Sample>, u64)]) -> String {
    let mut t = String::from(
        "| benchmark | iterations | native (gcc, Linux) | wasmpod | wasmpod/native |\n|---|---|---|---|---|\n",
    );
    for (n, w, iters) in rows {
        let (wv, ratio) = match w {
            Some(w) => (format!("{:.1} {}", w.value, w.unit), format!("{:.2}×", w.value / n.value)),
            None => ("-".into(), "-".into()),
        };
        let _ = writeln!(t, "| {} | {iters} | {:.1} {} | {wv} | {ratio} |", n.label, n.value, n.unit);
    }
    t
}

fn write_doc(path: &Path, table: &str) -> Result<(), String> {
    let section = format!(
        "{START}\n## System calls\n\n\
         Command: `cargo xtask bench syscalls` (programs in `tests/bench/`, each built with gcc\n\
         `-O1` and run on Linux, and built with `wasmpod-cc -O1` and run under the release\n\
         `wasmpod run`, in the same run with the same iteration counts; each program times\n\
         itself with `CLOCK_MONOTONIC`). For ns/µs per operation lower is better; for MB/s\n\
         higher is better, so there a ratio below 1 is slower than Linux.\n\n\
         Measured {}\n\
         at the end of the run (single runs; other builds share the machine, so expect noise).\n\n{table}{END}\n",
        machine()
    );
    splice_doc(path, START, END, &section)
}

/// "DATE on CPU, N cores, KERNEL, load average L": where and when a table was measured.
pub(crate) fn machine() -> String {
    let date = command_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]));
    let kernel = command_line(Command::new("uname").args(["-srm"]));
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load = fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    format!("{date} on {cpu}, {cores} cores, {kernel}, load average {load}")
}

/// Replaces the text from `start` to `end` (markers included) in the doc at
/// `path` with `section`, or appends `section` when the markers are absent.
pub(crate) fn splice_doc(path: &Path, start: &str, end: &str, section: &str) -> Result<(), String> {
    let doc = fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let new = match (doc.find(start), doc.find(end)) {
        (Some(s), Some(e)) if e > s => match doc[e + end.len()..].trim_start_matches('\n') {
            "" => format!("{}{section}", &doc[..s]),
            rest => format!("{}{section}\n{rest}", &doc[..s]),
        },
        _ => format!("{}\n\n{section}", doc.trim_end()),
    };
    fs::write(path, new).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn command_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
