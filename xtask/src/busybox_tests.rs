//! `cargo xtask ports-test busybox [APPLET…]`: busybox's own testsuite
//! (`testsuite/` in its source) run twice with the same configuration: the
//! gcc build on this machine, and the wasm build inside a pod under
//! `wasmpod run`.
//!
//! Both sides run `busybox_tests.sh` (next to this file) (what `testsuite/runtest`
//! does for one applet) under their own busybox `sh`, one applet per
//! process, so a hung applet costs only its own tests (after
//! [`applet_timeout`]). Every test that passes natively must pass in the
//! pod, except the ones `ports/busybox/checks/testsuite-skip.txt` lists with a
//! reason. Tests that fail natively are reported and ignored: they are
//! busybox's known failures for this configuration (or for running as this
//! user), not wasmpod's.
//!
//! Inputs are the two port builds, `build/ports/busybox-native` and
//! `build/ports/busybox-wasm` (each `stage/` and `src/`), from `cargo xtask
//! ports busybox` (built now unless cached). Work directories (the test trees, the
//! pod's root, one log per applet and side) are under
//! `target/busybox-tests/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::conformance::{run_program, wasmpod_binary};
use crate::ports::{self, Recipe, Target};
use crate::util::{repo_root, run, step};

/// How long one applet's tests may take on one side: a guard against a
/// hang, not a performance check. bc's tests are the slowest (two of them
/// pipe millions of lines through two bc's: about a minute natively on a
/// loaded 2-core machine); ten minutes leaves room for the pod and for load.
/// `WASMPOD_BUSYBOX_TEST_TIMEOUT` (seconds) overrides it.
fn applet_timeout() -> Duration {
    let secs = std::env::var("WASMPOD_BUSYBOX_TEST_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    Duration::from_secs(secs)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Verdict {
    Pass,
    Fail,
    /// SKIPPED or UNTESTED: the test's applet or feature is not configured.
    NotRun,
}

/// One side's results: "APPLET: TEST NAME" → verdict.
type Results = BTreeMap<String, Verdict>;

pub fn ports_test(args: &[String]) -> Result<(), String> {
    let root = repo_root();
    let applets_wanted: Vec<String> = args.to_vec();
    crate::toolchain::toolchain()?;
    let native_port = port_dir(Target::Native)?;
    let wasm_port = port_dir(Target::Wasm)?;
    let wasmpod = wasmpod_binary(&root)?;
    let work = root.join("target/busybox-tests");
    let skip_path = root.join("ports/busybox/checks/testsuite-skip.txt");
    let driver = root.join("xtask/src/busybox_tests.sh");

    // Native side: $work/native/{bb,ts}.
    let native_dir = work.join("native");
    fresh_dir(&native_dir)?;
    let native_bb = native_dir.join("bb");
    setup_bindir(&native_port, &native_bb)?;
    copy_tree(&native_port.join("src/testsuite"), &native_dir.join("ts"))?;

    // The pod: a root made of the wasm stage plus /bb, /ts, /testsuite.sh.
    let pod_dir = work.join("pod");
    fresh_dir(&pod_dir)?;
    let pod_root = pod_dir.join("root");
    copy_tree(&wasm_port.join("stage"), &pod_root)?;
    for d in ["tmp", "dev", "proc", "home/user", "etc"] {
        fs::create_dir_all(pod_root.join(d)).map_err(|e| format!("creating {d} in the pod root: {e}"))?;
    }
    // `hostname -f` resolves the host name through /etc/hosts (as it does
    // on the host side); the pod has no DNS.
    fs::write(pod_root.join("etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\twasmpod\n")
        .map_err(|e| format!("writing the pod's /etc/hosts: {e}"))?;
    setup_bindir(&wasm_port, &pod_root.join("bb"))?;
    copy_tree(&wasm_port.join("src/testsuite"), &pod_root.join("ts"))?;
    fs::copy(&driver, pod_root.join("testsuite.sh")).map_err(|e| format!("copying {}: {e}", driver.display()))?;

    let applets = applets_with_tests(&native_bb.join("busybox"), &native_dir.join("ts"), &applets_wanted)?;
    let skips = read_skips(&skip_path)?;
    let timeout = applet_timeout();

    step(&format!("busybox testsuite, native (gcc): {} applets", applets.len()));
    let mut native = Results::new();
    let mut native_trouble = Vec::new();
    let as_user = native_user(&native_dir)?;
    // Only busybox's applets in PATH, as in the pod: a test that finds a
    // host tool (zip, say) natively would not find it in the pod.
    let no_host_tools = native_dir.join("empty-path");
    fs::create_dir_all(&no_host_tools).map_err(|e| format!("creating {}: {e}", no_host_tools.display()))?;
    for applet in &applets {
        let mut cmd = match &as_user {
            Some(setpriv) => {
                let mut c = Command::new(setpriv);
                c.args(["--reuid=1000", "--regid=1000", "--clear-groups"]).arg(native_bb.join("busybox"));
                c
            }
            None => Command::new(native_bb.join("busybox")),
        };
        cmd.arg("sh")
            .arg(&driver)
            .arg(&native_bb)
            .arg(native_dir.join("ts"))
            .arg(applet)
            .env_clear()
            .env("PATH", &no_host_tools)
            .env("HOME", native_dir.join("ts"))
            .env("USER", "user");
        let log = native_dir.join(format!("{applet}.log"));
        let r = run_program(cmd, &native_dir.join("ts"), &log, timeout)?;
        if r.timed_out {
            native_trouble.push(format!("{applet}: timed out (killed); log {}", log.display()));
        }
        parse_results(&r.output, &mut native);
    }

    step(&format!("busybox testsuite, in the pod ({}): {} applets", wasmpod.display(), applets.len()));
    let mut pod = Results::new();
    let mut pod_trouble = Vec::new();
    for applet in &applets {
        let mut cmd = Command::new(&wasmpod);
        cmd.arg("run")
            .arg("--root")
            .arg(&pod_root)
            .args(["--cwd", "/ts", "/bin/sh", "/testsuite.sh", "/bb", "/ts"])
            .arg(applet)
            .env_remove("WASMPOD_TRACE");
        let log = pod_dir.join(format!("{applet}.log"));
        let r = run_program(cmd, &pod_dir, &log, timeout)?;
        if r.timed_out {
            pod_trouble.push(format!("{applet}: timed out (killed); log {}", log.display()));
        }
        parse_results(&r.output, &mut pod);
    }

    report(&native, &pod, &skips, &native_trouble, &pod_trouble, &applets_wanted)
}

/// The pod runs the tests as uid 1000, and several tests (permissions,
/// `tar` into a read-only directory) mean something else for root. When
/// xtask runs as root, the native side runs as uid/gid 1000 too, through
/// util-linux's `setpriv`, in a work directory owned by 1000.
fn native_user(native_dir: &Path) -> Result<Option<PathBuf>, String> {
    let uid = crate::util::output(Command::new("id").arg("-u"))?;
    if uid.trim() != "0" {
        return Ok(None);
    }
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().map(PathBuf::from).find(|p| p.exists());
    let Some(setpriv) = setpriv else {
        println!("note     running as root and setpriv is missing: the native side runs as root");
        return Ok(None);
    };
    run(Command::new("chown").args(["-R", "1000:1000"]).arg(native_dir))?;
    Ok(Some(setpriv))
}

/// `build/ports/busybox-TARGET`: `cargo xtask ports busybox`'s build (from
/// its cache when the recipe is unchanged).
fn port_dir(target: Target) -> Result<PathBuf, String> {
    let recipe = Recipe::load(&repo_root().join("ports/busybox"))?;
    let dir = ports::build(&recipe, target)?;
    if !dir.join("stage/bin/busybox").exists() || !dir.join("src/testsuite").is_dir() {
        return Err(format!("{} has no stage/bin/busybox or src/testsuite", dir.display()));
    }
    Ok(dir)
}

fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
}

/// `cp -a`: the stage's applet links must stay symlinks.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    run(Command::new("cp").arg("-a").arg(from).arg(to))
}

/// The testsuite's $bindir: the binary and the `.config` it was built with
/// (runtest reads it to skip tests of features that are off).
fn setup_bindir(port: &Path, bindir: &Path) -> Result<(), String> {
    fs::create_dir_all(bindir).map_err(|e| format!("creating {}: {e}", bindir.display()))?;
    for (from, to) in [("stage/bin/busybox", "busybox"), ("src/.config", ".config")] {
        fs::copy(port.join(from), bindir.join(to)).map_err(|e| format!("copying {from}: {e}"))?;
    }
    Ok(())
}

/// The applets of this configuration (plus `busybox` itself) that have tests
/// (`ts/APPLET.tests` or `ts/APPLET/`), optionally limited to `wanted`.
fn applets_with_tests(busybox: &Path, ts: &Path, wanted: &[String]) -> Result<Vec<String>, String> {
    let out = Command::new(busybox).arg("--list").output().map_err(|e| format!("running busybox --list: {e}"))?;
    let mut all: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    all.push("busybox".into());
    all.sort();
    all.dedup();
    for w in wanted {
        if !all.contains(w) {
            return Err(format!("{w:?} is not an applet of this busybox configuration"));
        }
    }
    Ok(all
        .into_iter()
        .filter(|a| wanted.is_empty() || wanted.contains(a))
        .filter(|a| ts.join(format!("{a}.tests")).is_file() || ts.join(a).is_dir())
        .collect())
}

/// Collects the driver's "VERDICT: APPLET: NAME" lines. A name that occurs
/// twice (some scripts reuse one) gets " (2)", " (3)", … so both count.
fn parse_results(output: &str, results: &mut Results) {
    for line in output.lines() {
        let Some((verdict, rest)) = line.split_once(": ") else { continue };
        let v = match verdict {
            "PASS" => Verdict::Pass,
            "FAIL" => Verdict::Fail,
            "SKIPPED" | "UNTESTED" => Verdict::NotRun,
            _ => continue,
        };
        let mut key = rest.trim_end().to_string();
        let mut n = 2;
        while results.contains_key(&key) {
            key = format!("{} ({n})", rest.trim_end());
            n += 1;
        }
        results.insert(key, v);
    }
}

/// `ports/busybox/checks/testsuite-skip.txt`: `APPLET: TEST NAME -- reason` lines
/// (`APPLET: *` for all of an applet's tests); `#` comments and blank lines
/// are ignored. Returns pattern → reason.
fn read_skips(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    let mut map = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (test, reason) = line
            .rsplit_once(" -- ")
            .ok_or_else(|| format!("{}:{}: expected `APPLET: TEST NAME -- reason`", path.display(), i + 1))?;
        let (test, reason) = (test.trim(), reason.trim());
        if reason.is_empty() || !test.contains(": ") {
            return Err(format!("{}:{}: expected `APPLET: TEST NAME -- reason`", path.display(), i + 1));
        }
        map.insert(test.to_string(), reason.to_string());
    }
    Ok(map)
}

fn skip_reason<'a>(skips: &'a BTreeMap<String, String>, test: &str) -> Option<&'a String> {
    skips.get(test).or_else(|| {
        let applet = test.split_once(": ").map_or(test, |(a, _)| a);
        skips.get(&format!("{applet}: *"))
    })
}

fn count(results: &Results) -> (usize, usize, usize) {
    let pass = results.values().filter(|v| **v == Verdict::Pass).count();
    let fail = results.values().filter(|v| **v == Verdict::Fail).count();
    (pass, fail, results.len() - pass - fail)
}

fn report(
    native: &Results,
    pod: &Results,
    skips: &BTreeMap<String, String>,
    native_trouble: &[String],
    pod_trouble: &[String],
    applets_wanted: &[String],
) -> Result<(), String> {
    let mut regressions = Vec::new();
    let mut skipped = 0;
    let mut stale = Vec::new();
    for (test, v) in native {
        let in_pod = pod.get(test).copied();
        let reason = skip_reason(skips, test);
        match (v, in_pod, reason) {
            (Verdict::Pass, Some(Verdict::Pass), Some(_)) if skips.contains_key(test) => stale.push(test.clone()),
            (Verdict::Pass, Some(Verdict::Pass), _) => {}
            (Verdict::Pass, _, Some(why)) => {
                skipped += 1;
                println!("skip     {test}: {why}");
            }
            (Verdict::Pass, got, None) => {
                let got = match got {
                    Some(Verdict::Fail) => "fails",
                    Some(Verdict::NotRun) => "is skipped",
                    Some(Verdict::Pass) => unreachable!("handled above"),
                    None => "did not run (its applet's run ended early)",
                };
                println!("FAIL     {test}: passes natively, {got} in the pod");
                regressions.push(test.clone());
            }
            (Verdict::Fail, _, _) => println!("native-fail {test} (pod: {})", describe(in_pod)),
            (Verdict::NotRun, _, _) => {}
        }
    }
    for test in &stale {
        println!("note     {test}: passes in the pod now; remove it from ports/busybox/checks/testsuite-skip.txt");
    }
    if applets_wanted.is_empty() {
        for pattern in skips.keys() {
            let matches = if let Some(applet) = pattern.strip_suffix(": *") {
                native.keys().any(|t| t.starts_with(&format!("{applet}: ")))
            } else {
                native.contains_key(pattern)
            };
            if !matches {
                println!("note     {pattern}: on the skip list but no such test ran natively");
            }
        }
    }
    for t in native_trouble {
        println!("native:  {t}");
    }
    for t in pod_trouble {
        println!("pod:     {t}");
    }
    let (np, nf, nn) = count(native);
    let (pp, pf, pn) = count(pod);
    println!("busybox testsuite, native (gcc build): {np} passed, {nf} failed ({nn} not run: applet or feature off)");
    println!("busybox testsuite, in the pod (wasmpod run): {pp} passed, {pf} failed ({pn} not run)");
    println!(
        "{} native passes fail in the pod: {skipped} on the skip list, {} not",
        skipped + regressions.len(),
        regressions.len()
    );
    if regressions.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "busybox testsuite: {} test(s) pass natively but not in the pod (and are not in ports/busybox/checks/testsuite-skip.txt)",
            regressions.len()
        ))
    }
}

fn describe(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Pass) => "passes",
        Some(Verdict::Fail) => "fails",
        Some(Verdict::NotRun) => "not run",
        None => "missing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_results_keeps_duplicate_names() {
        let mut r = Results::new();
        parse_results("PASS: sed: a\nnoise\nFAIL: sed: a\nSKIPPED: tar: b\nPASS:nospace\n", &mut r);
        assert_eq!(r.get("sed: a"), Some(&Verdict::Pass));
        assert_eq!(r.get("sed: a (2)"), Some(&Verdict::Fail));
        assert_eq!(r.get("tar: b"), Some(&Verdict::NotRun));
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn skip_list_matches_tests_and_whole_applets() {
        let dir = std::env::temp_dir().join(format!("bb-skip-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let f = dir.join("skip.txt");
        fs::write(&f, "# comment\n\nsed: sed x -- why\ntar: * -- all of tar\n").unwrap();
        let skips = read_skips(&f).unwrap();
        assert_eq!(skip_reason(&skips, "sed: sed x").map(String::as_str), Some("why"));
        assert_eq!(skip_reason(&skips, "sed: sed y"), None);
        assert_eq!(skip_reason(&skips, "tar: anything").map(String::as_str), Some("all of tar"));
        fs::write(&f, "sed: no reason\n").unwrap();
        assert!(read_skips(&f).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
