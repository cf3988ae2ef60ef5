//! `cargo xtask ports-test lua|sqlite`: output checks for the lua and
//! sqlite ports.
//!
//! Every script of `tests/programs/<port>/` (`*.lua` for lua, `*.sql` for
//! sqlite) runs twice: with the port's native build (gcc, Linux: the
//! oracle) and with its wasm build under the release `wasmpod run`. A
//! script passes when both runs print the same bytes on stdout and exit
//! with the same status, and that status is the one the script expects
//! (0, or the `expect-exit: N` it declares in a comment). stderr is not
//! compared (it carries program paths) but is shown when a check fails.
//!
//! The pod: a tmpfs root with the port's `usr/bin` mounted read-only at
//! `/usr/bin`, the scripts' directory at `/t` (the working directory for
//! lua), and, for lua's `io.popen`/`os.execute`, busybox (the `busybox`
//! port's wasm build) at `/bin` as `sh` and the few applets the scripts
//! run. The native side runs with `PATH` = the native build's `usr/bin`,
//! then `/usr/bin:/bin`.
//!
//! sqlite scripts are fed on stdin to `sqlite3 DB`, once with the database
//! in the pod's tmpfs `/tmp` and once in a host directory mounted into the
//! pod (the native side always uses a fresh host directory).

use std::fs;
use std::io::Read as _;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::{self, Target};
use crate::util::{repo_root, step};

/// Longest a single run may take (the wasm sqlite workload is the slowest).
const TIMEOUT: Duration = Duration::from_secs(600);
/// Applets linked to busybox in the pod's /bin (what the lua scripts run).
const APPLETS: &[&str] = &["sh", "cat", "echo", "kill", "mkdir", "rm", "true"];

pub fn ports_test(args: &[String]) -> Result<(), String> {
    let usage = "usage: cargo xtask ports-test lua|sqlite";
    let port = match args {
        [p] if p == "lua" || p == "sqlite" => p.as_str(),
        _ => return Err(usage.into()),
    };
    let root = repo_root();
    ports::build_ports(&[port.to_string()], &[Target::Native, Target::Wasm])?;
    // lua's io.popen and os.execute need a /bin/sh in the pod.
    let with_busybox = port == "lua" && root.join("ports/busybox/recipe").exists();
    if with_busybox {
        ports::build_ports(&["busybox".to_string()], &[Target::Wasm])?;
    } else if port == "lua" {
        println!("note: no ports/busybox: the pod has no /bin/sh, so io.popen and os.execute fail there");
    }
    let wasmpod = crate::conformance::wasmpod_binary(&root)?;
    let work = root.join("target/port-checks").join(port);
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let env = Env {
        wasmpod,
        native_bin: ports::built(port, Target::Native).join("stage/usr/bin"),
        wasm_bin: ports::built(port, Target::Wasm).join("stage/usr/bin"),
        busybox_bin: if with_busybox { Some(busybox_bin(&work)?) } else { None },
        scripts: root.join("tests/programs").join(port),
        work,
    };
    let ext = if port == "lua" { "lua" } else { "sql" };
    let scripts = list(&env.scripts, ext)?;
    if scripts.is_empty() {
        return Err(format!("no *.{ext} scripts in {}", env.scripts.display()));
    }
    step(&format!("ports-test {port}: {} scripts, native build vs wasm under wasmpod run", scripts.len()));
    let (mut passed, mut failed) = (0, 0);
    for script in &scripts {
        let cases: Vec<Case> = if port == "lua" {
            vec![Case::Lua]
        } else {
            vec![Case::Sqlite { host_dir: false }, Case::Sqlite { host_dir: true }]
        };
        for case in cases {
            let label = format!("{port}/{script}{}", case.suffix());
            let start = Instant::now();
            match check(&env, script, case) {
                Ok(()) => {
                    passed += 1;
                    println!("ok   {label} ({:.1}s)", start.elapsed().as_secs_f64());
                }
                Err(why) => {
                    failed += 1;
                    println!("FAIL {label}: {why}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        return Err(format!("ports-test {port}: {failed} failed"));
    }
    Ok(())
}

/// Where the two builds and the scripts are.
struct Env {
    wasmpod: PathBuf,
    native_bin: PathBuf,
    wasm_bin: PathBuf,
    busybox_bin: Option<PathBuf>,
    scripts: PathBuf,
    work: PathBuf,
}

#[derive(Clone, Copy)]
enum Case {
    Lua,
    Sqlite { host_dir: bool },
}

impl Case {
    fn suffix(self) -> &'static str {
        match self {
            Case::Lua => "",
            Case::Sqlite { host_dir: false } => " (db in the pod's /tmp)",
            Case::Sqlite { host_dir: true } => " (db in a mounted host directory)",
        }
    }
}

/// `*.ext` files of `dir`, sorted.
fn list(dir: &Path, ext: &str) -> Result<Vec<String>, String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(&format!(".{ext}")))
        .collect();
    v.sort();
    Ok(v)
}

/// A directory for the pod's /bin: busybox (wasm) and relative links to it.
fn busybox_bin(work: &Path) -> Result<PathBuf, String> {
    let busybox = ports::built("busybox", Target::Wasm).join("stage/bin/busybox");
    let dir = work.join("pod-bin");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::copy(&busybox, dir.join("busybox")).map_err(|e| format!("{}: {e}", busybox.display()))?;
    for a in APPLETS {
        std::os::unix::fs::symlink("busybox", dir.join(a)).map_err(|e| format!("{}/{a}: {e}", dir.display()))?;
    }
    Ok(dir)
}

/// The exit status a script declares with `expect-exit: N` (default 0).
fn expected_exit(text: &str) -> Result<i32, String> {
    for line in text.lines() {
        if let Some(rest) = line.split("expect-exit:").nth(1) {
            return rest.trim().parse().map_err(|_| format!("bad expect-exit line: {line}"));
        }
    }
    Ok(0)
}

/// Runs one script both ways and compares.
fn check(env: &Env, script: &str, case: Case) -> Result<(), String> {
    let path = env.scripts.join(script);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let expect = expected_exit(&text)?;
    let stem = script.rsplit_once('.').map_or(script, |(s, _)| s);
    let scratch = env
        .work
        .join(format!("{stem}{}", if matches!(case, Case::Sqlite { host_dir: true }) { "-hostdir" } else { "" }));
    let native_dir = scratch.join("native");
    let pod_dir = scratch.join("pod");
    for d in [&native_dir, &pod_dir] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }

    let mut native;
    let mut wasm = Command::new(&env.wasmpod);
    // The tmpfs root with the port's binaries mounted (not the checkout's
    // default root image, whose /bin is a link into /usr).
    wasm.args(["run", "--no-image", "--mount"]).arg(format!("{}:/usr/bin:ro", env.wasm_bin.display()));
    wasm.arg("--mount").arg(format!("{}:/t:ro", env.scripts.display()));
    let stdin = match case {
        Case::Lua => {
            native = Command::new(env.native_bin.join("lua"));
            native.arg(script).current_dir(&env.scripts);
            if let Some(bin) = &env.busybox_bin {
                wasm.arg("--mount").arg(format!("{}:/bin:ro", bin.display()));
            }
            wasm.args(["--cwd", "/t", "/usr/bin/lua", script]);
            None
        }
        Case::Sqlite { host_dir } => {
            native = Command::new(env.native_bin.join("sqlite3"));
            native.arg(native_dir.join(format!("{stem}.db"))).current_dir(&native_dir);
            if host_dir {
                wasm.arg("--mount").arg(format!("{}:/data", pod_dir.display()));
                wasm.args(["--cwd", "/data", "/usr/bin/sqlite3", &format!("/data/{stem}.db")]);
            } else {
                wasm.args(["--cwd", "/tmp", "/usr/bin/sqlite3", &format!("/tmp/{stem}.db")]);
            }
            Some(path.as_path())
        }
    };
    native.env_clear().env("PATH", format!("{}:/usr/bin:/bin", env.native_bin.display())).env("HOME", &native_dir);
    let n = run(native, stdin, &scratch.join("native"))?;
    let w = run(wasm, stdin, &scratch.join("wasm"))?;

    if n.code != Some(expect) {
        return Err(format!("the native build exits {} (expected {expect}){}", n.describe(), n.stderr_tail()));
    }
    if w.stdout != n.stdout {
        return Err(format!(
            "stdout differs (wasm {}, native {}): {}{}",
            w.describe(),
            n.describe(),
            first_difference(&n.stdout, &w.stdout),
            w.stderr_tail()
        ));
    }
    if w.code != n.code {
        return Err(format!("exit status: wasm {}, native {}{}", w.describe(), n.describe(), w.stderr_tail()));
    }
    Ok(())
}

/// One finished run.
struct Output {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Output {
    fn describe(&self) -> String {
        match (self.timed_out, self.code, self.signal) {
            (true, _, _) => "timed out".into(),
            (_, Some(c), _) => format!("status {c}"),
            (_, _, Some(s)) => format!("by signal {s}"),
            _ => "?".into(),
        }
    }

    fn stderr_tail(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(8)..];
        if tail.is_empty() {
            return String::new();
        }
        format!("\n    stderr:\n{}", tail.iter().map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n"))
    }
}

/// Runs `cmd` in its own process group, stdin from `stdin` (or /dev/null),
/// stdout and stderr into `<log>.out` and `<log>.err`; kills the group on
/// timeout.
fn run(mut cmd: Command, stdin: Option<&Path>, log: &Path) -> Result<Output, String> {
    let out_path = log.with_extension("out");
    let err_path = log.with_extension("err");
    let file = |p: &Path| fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    cmd.stdout(file(&out_path)?).stderr(file(&err_path)?);
    match stdin {
        Some(p) => cmd.stdin(fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => cmd.stdin(Stdio::null()),
    };
    let (status, timed_out) = crate::conformance::spawn_and_wait(&mut cmd, TIMEOUT)?;
    let read = |p: &Path| {
        let mut v = Vec::new();
        fs::File::open(p).and_then(|mut f| f.read_to_end(&mut v)).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok::<_, String>(v)
    };
    Ok(Output {
        code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out,
        stdout: read(&out_path)?,
        stderr: read(&err_path)?,
    })
}

/// The first line where two outputs differ, both versions.
fn first_difference(native: &[u8], wasm: &[u8]) -> String {
    let n = String::from_utf8_lossy(native);
    let w = String::from_utf8_lossy(wasm);
    let (mut nl, mut wl) = (n.split_inclusive('\n'), w.split_inclusive('\n'));
    let mut line = 1;
    loop {
        match (nl.next(), wl.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return format!(
                    "line {line}\n    native: {:?}\n    wasm:   {:?}",
                    a.unwrap_or("<end of output>"),
                    b.unwrap_or("<end of output>")
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{expected_exit, first_difference};

    #[test]
    fn expect_exit_lines() {
        assert_eq!(expected_exit("-- nothing\nselect 1;").unwrap(), 0);
        assert_eq!(expected_exit("-- a script\n-- expect-exit: 1\n").unwrap(), 1);
        assert!(expected_exit("-- expect-exit: x").is_err());
    }

    #[test]
    fn first_difference_names_the_line() {
        let d = first_difference(b"a\nb\nc\n", b"a\nB\nc\n");
        assert!(d.starts_with("line 2"), "{d}");
        assert!(d.contains("\"b\\n\"") && d.contains("\"B\\n\""), "{d}");
        let d = first_difference(b"a\n", b"a\nextra\n");
        assert!(d.contains("<end of output>"), "{d}");
    }
}
