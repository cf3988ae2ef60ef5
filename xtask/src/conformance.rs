//! `cargo xtask conformance [--native-only] [--jobs N] [NAME…]`: the C
//! conformance suite (`tests/conformance/*.c`).
//!
//! Each program is built twice with the same flags: with gcc for Linux (the
//! oracle) and with `build/toolchain/bin/wasmpod-cc` for wasmpod. The native
//! binary runs directly, the wasm one under `wasmpod run`. A test counts
//! only where the native run passes; a program passes when it exits 0 and
//! printed its `ok NAME.c` summary line. `tests/conformance/blocklist.txt`
//! lists `name: reason` for programs known not to pass on wasmpod yet: they
//! run anyway, and a blocklisted program that passes is called out.
//!
//! Builds are cached under `target/conformance/{native,wasm}/` keyed by a
//! hash of the source, the header directory, the flags and the compiler's
//! identity, so repeat runs only rebuild what changed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{cargo, repo_root, run, step};

/// Compiler flags for both builds.
const CFLAGS: &[&str] = &["-O1", "-Wall", "-Werror", "-pthread"];
/// Lines of a failing program's output shown in the report.
const SHOWN_LINES: usize = 6;

pub struct Options {
    pub names: Vec<String>,
    pub native_only: bool,
    pub jobs: usize,
    pub timeout: Duration,
}

/// Parses `cargo xtask conformance` arguments.
pub fn conformance(args: &[String]) -> Result<(), String> {
    let mut opts = Options { names: Vec::new(), native_only: false, jobs: 2, timeout: default_timeout() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--native-only" => opts.native_only = true,
            "--jobs" | "-j" => {
                let n = it.next().ok_or("--jobs needs a number")?;
                opts.jobs = n.parse().map_err(|_| format!("bad --jobs value {n:?}"))?;
            }
            "--timeout" => {
                let n = it.next().ok_or("--timeout needs seconds")?;
                let s: u64 = n.parse().map_err(|_| format!("bad --timeout value {n:?}"))?;
                opts.timeout = Duration::from_secs(s);
            }
            s if s.starts_with('-') => {
                return Err(format!(
                    "unknown option {s:?} (usage: cargo xtask conformance [--native-only] [--jobs N] [--timeout SECS] [NAME…])"
                ))
            }
            name => opts.names.push(name.trim_end_matches(".c").to_string()),
        }
    }
    run_suite(&opts)
}

/// `WASMPOD_CONFORMANCE_TIMEOUT` (seconds) or 30 s: generous, since the
/// first run of a wasm program includes compiling it.
pub fn default_timeout() -> Duration {
    let secs = std::env::var("WASMPOD_CONFORMANCE_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    Duration::from_secs(secs)
}

/// A compiler, what identifies it for the build cache, and where its outputs go.
pub struct Compiler {
    path: PathBuf,
    identity: String,
    out_dir: PathBuf,
}

impl Compiler {
    /// gcc from PATH: the native oracle.
    pub fn gcc(out_dir: PathBuf) -> Result<Self, String> {
        let c = Compiler { identity: tool_identity("gcc")?, path: PathBuf::from("gcc"), out_dir };
        c.make_out_dir()?;
        Ok(c)
    }

    /// `build/toolchain/bin/wasmpod-cc`; a clear error when the toolchain is not built.
    /// `WASMPOD_CC` overrides the path.
    pub fn wasmpod_cc(root: &Path, out_dir: PathBuf) -> Result<Self, String> {
        let cc = std::env::var_os("WASMPOD_CC")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("build/toolchain/bin/wasmpod-cc"));
        if !cc.exists() {
            return Err(format!(
                "{} is missing: the wasmpod toolchain is not built (`cargo xtask setup` builds it); \
                 `--native-only` checks the programs against Linux alone",
                cc.display()
            ));
        }
        let c = Compiler { identity: wasm_cc_identity(root, &cc)?, path: cc, out_dir };
        c.make_out_dir()?;
        Ok(c)
    }

    fn make_out_dir(&self) -> Result<(), String> {
        fs::create_dir_all(&self.out_dir).map_err(|e| format!("creating {}: {e}", self.out_dir.display()))
    }

    /// Builds `src` (with `-I include`) to `out_dir/name` unless the cached
    /// output's stamp matches.
    pub fn build(&self, src: &Path, include: &Path, name: &str, header_hash: u64) -> Result<PathBuf, String> {
        build(self, src, include, name, header_hash)
    }
}

/// Everything a worker needs.
struct Suite {
    src_dir: PathBuf,
    header_hash: u64,
    native: Compiler,
    wasm: Option<(Compiler, PathBuf)>,
    run_dir: PathBuf,
    timeout: Duration,
    blocklist: BTreeMap<String, String>,
}

#[derive(Debug)]
enum Outcome {
    Passed,
    Failed(String),
    /// Blocklisted and still failing.
    Blocked(String),
    /// Blocklisted but passing now.
    BlockedPasses,
    /// The native (oracle) build or run failed: the test is not counted.
    Skipped(String),
}

pub fn run_suite(opts: &Options) -> Result<(), String> {
    let root = repo_root();
    let src_dir = root.join("tests/conformance");
    let target = root.join("target/conformance");
    let mut names = list_programs(&src_dir)?;
    if !opts.names.is_empty() {
        for n in &opts.names {
            if !names.contains(n) {
                return Err(format!("no conformance program {n:?} in {}", src_dir.display()));
            }
        }
        names.retain(|n| opts.names.contains(n));
    }
    let blocklist = read_blocklist(&src_dir.join("blocklist.txt"), &names)?;

    let native = Compiler::gcc(target.join("native"))?;
    let wasm = if opts.native_only {
        None
    } else {
        let cc = Compiler::wasmpod_cc(&root, target.join("wasm")).map_err(|e| format!("conformance: {e}"))?;
        Some((cc, wasmpod_binary(&root)?))
    };
    let run_dir = target.join("run");
    fs::create_dir_all(&run_dir).map_err(|e| format!("creating {}: {e}", run_dir.display()))?;

    step(&format!(
        "conformance: {} programs{} ({} jobs)",
        names.len(),
        if opts.native_only { ", native only" } else { "" },
        opts.jobs
    ));
    let suite = Arc::new(Suite {
        header_hash: hash_dir(&src_dir.join("include"))?,
        src_dir,
        native,
        wasm,
        run_dir,
        timeout: opts.timeout,
        blocklist,
    });
    let queue = Arc::new(Mutex::new(names.clone()));
    let results = Arc::new(Mutex::new(BTreeMap::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..opts.jobs.max(1))
        .map(|_| {
            let (suite, queue, results) = (suite.clone(), queue.clone(), results.clone());
            thread::spawn(move || loop {
                let Some(name) = queue.lock().unwrap().pop() else { break };
                let outcome = test_one(&suite, &name);
                results.lock().unwrap().insert(name, outcome);
            })
        })
        .collect();
    for w in workers {
        w.join().map_err(|_| "a conformance worker panicked".to_string())?;
    }
    let results = Arc::try_unwrap(results).map_err(|_| "results still shared")?.into_inner().unwrap();
    report(&results, opts.native_only, started.elapsed())
}

fn report(results: &BTreeMap<String, Outcome>, native_only: bool, took: Duration) -> Result<(), String> {
    let (mut passed, mut failed, mut blocked, mut now_pass, mut skipped) = (0, 0, 0, 0, 0);
    for (name, o) in results {
        match o {
            Outcome::Passed => passed += 1,
            Outcome::Failed(why) => {
                failed += 1;
                println!("FAIL     {name}: {why}");
            }
            Outcome::Blocked(why) => {
                blocked += 1;
                println!("blocked  {name}: {why}");
            }
            Outcome::BlockedPasses => {
                now_pass += 1;
                println!("blocked  {name}: now passes: remove it from tests/conformance/blocklist.txt");
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                println!("skipped  {name}: {why}");
            }
        }
    }
    let what = if native_only { "native (gcc/Linux)" } else { "wasmpod" };
    println!(
        "conformance ({what}, {:.1}s): {blocked} blocked, {now_pass} blocked but passing, {skipped} skipped (fail natively)",
        took.as_secs_f64()
    );
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        Err(format!("conformance: {failed} program(s) failed"))
    } else {
        Ok(())
    }
}

/// The `*.c` files in the suite directory, by name without extension.
fn list_programs(dir: &Path) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".c")).map(str::to_string))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("no conformance programs in {}", dir.display()));
    }
    Ok(names)
}

/// `name: reason` lines; `#` comments and blank lines are ignored. Every name
/// must be a program of the suite (a stale entry is an error).
fn read_blocklist(path: &Path, names: &[String]) -> Result<BTreeMap<String, String>, String> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let mut map = BTreeMap::new();
    let all = list_programs(path.parent().unwrap_or(Path::new(".")))?;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) =
            line.split_once(':').ok_or_else(|| format!("{}:{}: expected `name: reason`", path.display(), i + 1))?;
        let (name, reason) = (name.trim(), reason.trim());
        if reason.is_empty() {
            return Err(format!("{}:{}: {name} needs a reason", path.display(), i + 1));
        }
        if !all.iter().any(|n| n == name) {
            return Err(format!("{}:{}: no conformance program named {name:?}", path.display(), i + 1));
        }
        if names.iter().any(|n| n == name) {
            map.insert(name.to_string(), reason.to_string());
        }
    }
    Ok(map)
}

fn test_one(s: &Suite, name: &str) -> Outcome {
    let src = s.src_dir.join(format!("{name}.c"));
    let include = s.src_dir.join("include");
    let summary = format!("ok {name}.c");
    // The oracle first.
    let native = match build(&s.native, &src, &include, name, s.header_hash) {
        Ok(p) => p,
        Err(e) => return Outcome::Skipped(format!("gcc build failed:\n{}", indent(&e))),
    };
    let mut cmd = Command::new(&native);
    cmd.env_clear().env("PATH", "/usr/local/bin:/usr/bin:/bin").env("HOME", &s.run_dir);
    match run_program(cmd, &s.run_dir, &s.run_dir.join(format!("{name}.native.log")), s.timeout) {
        Ok(r) if r.passed(&summary) => {}
        Ok(r) => return Outcome::Skipped(format!("fails natively ({}):\n{}", r.describe(), indent(&r.output))),
        Err(e) => return Outcome::Skipped(format!("could not run natively: {e}")),
    }
    let Some((cc, host)) = &s.wasm else { return Outcome::Passed };
    let blocked = s.blocklist.get(name);
    let fail = |why: String| match blocked {
        Some(reason) => Outcome::Blocked(format!("{reason}\n    ({})", brief(&why))),
        None => Outcome::Failed(why),
    };
    let wasm = match build(cc, &src, &include, name, s.header_hash) {
        Ok(p) => p,
        Err(e) => return fail(format!("wasmpod-cc build failed:\n{}", indent(&e))),
    };
    let mut cmd = Command::new(host);
    cmd.arg("run").arg(&wasm);
    match run_program(cmd, &s.run_dir, &s.run_dir.join(format!("{name}.wasm.log")), s.timeout) {
        Ok(r) if r.passed(&summary) => match blocked {
            Some(_) => Outcome::BlockedPasses,
            None => Outcome::Passed,
        },
        Ok(r) => fail(format!("{} under wasmpod:\n{}", r.describe(), indent(&r.output))),
        Err(e) => fail(format!("could not run wasmpod: {e}")),
    }
}

/// Builds `src` with `cc` unless the cached output's stamp matches.
fn build(cc: &Compiler, src: &Path, include: &Path, name: &str, header_hash: u64) -> Result<PathBuf, String> {
    let source = fs::read(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let mut h = Fnv::new();
    h.write(&source);
    h.write(&header_hash.to_le_bytes());
    h.write(cc.identity.as_bytes());
    for f in CFLAGS {
        h.write(f.as_bytes());
    }
    let stamp_value = format!("{:016x}", h.finish());
    let out = cc.out_dir.join(name);
    let stamp = cc.out_dir.join(format!("{name}.hash"));
    if out.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(stamp_value.as_str()) {
        return Ok(out);
    }
    let _ = fs::remove_file(&stamp);
    let tmp = cc.out_dir.join(format!("{name}.tmp"));
    let output = Command::new(&cc.path)
        .args(CFLAGS)
        .arg("-I")
        .arg(include)
        .arg("-o")
        .arg(&tmp)
        .arg(src)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not start {}: {e}", cc.path.display()))?;
    if !output.status.success() {
        let _ = fs::remove_file(&tmp);
        let mut msg = String::from_utf8_lossy(&output.stderr).into_owned();
        msg.push_str(&String::from_utf8_lossy(&output.stdout));
        return Err(msg);
    }
    fs::rename(&tmp, &out).map_err(|e| format!("renaming {}: {e}", tmp.display()))?;
    fs::write(&stamp, &stamp_value).map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    Ok(out)
}

/// How a program run ended, with its combined output.
pub struct RunResult {
    pub status: Option<ExitStatus>,
    pub timed_out: bool,
    pub output: String,
}

impl RunResult {
    fn passed(&self, summary: &str) -> bool {
        !self.timed_out && self.status.is_some_and(|s| s.success()) && self.output.lines().any(|l| l == summary)
    }

    pub fn describe(&self) -> String {
        use std::os::unix::process::ExitStatusExt;
        if self.timed_out {
            return "timed out (killed)".into();
        }
        match self.status {
            Some(s) if s.success() => "exit 0 without its `ok` line".into(),
            Some(s) => match (s.code(), s.signal()) {
                (Some(c), _) => format!("exit status {c}"),
                (_, Some(sig)) => format!("killed by signal {sig}"),
                _ => format!("{s}"),
            },
            None => "no status".into(),
        }
    }
}

/// Runs `cmd` in its own process group with stdin from /dev/null and both
/// output streams into `log`; on timeout kills the whole group.
pub fn run_program(mut cmd: Command, cwd: &Path, log: &Path, timeout: Duration) -> Result<RunResult, String> {
    let file = fs::File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    cmd.current_dir(cwd).stdin(Stdio::null()).stdout(file).stderr(err);
    let (status, timed_out) = spawn_and_wait(&mut cmd, timeout)?;
    let output = String::from_utf8_lossy(&fs::read(log).unwrap_or_default()).into_owned();
    Ok(RunResult { status, timed_out, output })
}

/// Spawns `cmd` in a process group of its own and waits for it for at most
/// `timeout`, then kills the group. Stray members of the group (a test's
/// children) are killed either way. Returns `(status, timed_out)`.
pub fn spawn_and_wait(cmd: &mut Command, timeout: Duration) -> Result<(Option<ExitStatus>, bool), String> {
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|e| format!("spawning {:?}: {e}", cmd.get_program()))?;
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) => {}
            Err(e) => return Err(format!("waiting: {e}")),
        }
        if start.elapsed() > timeout {
            timed_out = true;
            kill_group(child.id());
            let _ = child.kill();
            break child.wait().ok();
        }
        thread::sleep(Duration::from_millis(5));
    };
    kill_group(child.id());
    Ok((status, timed_out))
}

fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `--version` output of a compiler found in PATH.
fn tool_identity(tool: &str) -> Result<String, String> {
    let out = Command::new(tool)
        .arg("--version")
        .output()
        .map_err(|e| format!("conformance needs {tool} (the native oracle): {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wrapper script, where its sysroot resolves to (a content-hashed
/// cache directory) and the sizes and times of the sysroot's libraries.
fn wasm_cc_identity(root: &Path, cc: &Path) -> Result<String, String> {
    let mut id = String::new();
    let script = fs::read(cc).map_err(|e| format!("reading {}: {e}", cc.display()))?;
    let _ = write!(id, "{:016x}", {
        let mut h = Fnv::new();
        h.write(&script);
        h.finish()
    });
    let sysroot = cc.parent().and_then(Path::parent).map_or_else(|| root.join("build/sysroot"), |d| d.join("sysroot"));
    let resolved = fs::canonicalize(&sysroot).unwrap_or(sysroot);
    let _ = write!(id, " {}", resolved.display());
    if let Ok(entries) = fs::read_dir(resolved.join("lib")) {
        let mut files: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        files.sort_by_key(|e| e.file_name());
        for e in files {
            if let Ok(m) = e.metadata() {
                let mtime = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                let _ = write!(id, " {:?}:{}:{:?}", e.file_name(), m.len(), mtime);
            }
        }
    }
    Ok(id)
}

/// `WASMPOD_BIN`, or the release `wasmpod` built now.
pub fn wasmpod_binary(root: &Path) -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("WASMPOD_BIN") {
        return Ok(PathBuf::from(p));
    }
    step("building wasmpod (release)");
    run(cargo()
        .args(["build", "--release", "--quiet", "-p", "wasmpod-host-native", "--bin", "wasmpod"])
        .current_dir(root))?;
    let bin = root.join("target/release/wasmpod");
    if !bin.exists() {
        return Err(format!("{} missing after the build", bin.display()));
    }
    Ok(bin)
}

pub fn hash_dir(dir: &Path) -> Result<u64, String> {
    let mut files: Vec<_> =
        fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?.filter_map(|e| e.ok()).collect();
    files.sort_by_key(|e| e.file_name());
    let mut h = Fnv::new();
    for f in files {
        h.write(f.file_name().as_encoded_bytes());
        h.write(&fs::read(f.path()).map_err(|e| format!("reading {}: {e}", f.path().display()))?);
    }
    Ok(h.finish())
}

fn indent(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out: Vec<String> = lines.iter().take(SHOWN_LINES).map(|l| format!("    | {l}")).collect();
    if lines.len() > SHOWN_LINES {
        out.push(format!("    | … ({} more lines)", lines.len() - SHOWN_LINES));
    }
    if out.is_empty() {
        out.push("    | (no output)".into());
    }
    out.join("\n")
}

/// A failure in one line: how it ended and the first line of output.
fn brief(why: &str) -> String {
    let mut lines = why.lines().map(|l| l.trim_start().trim_start_matches("| ").trim());
    let first = lines.next().unwrap_or("").trim_end_matches(':');
    match lines.next() {
        Some(out) => format!("{first}: {out}"),
        None => first.to_string(),
    }
}

/// FNV-1a, 64 bits: a stable content hash for the build cache.
pub struct Fnv(u64);

impl Fnv {
    pub fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    pub fn finish(&self) -> u64 {
        self.0
    }
}
