//! `cargo xtask ports [--target wasm|native] [NAME…]`: builds real programs
//! from Debian's sources for wasmpod (and, from the same source and recipe,
//! natively with gcc, the oracle their checks compare against).
//!
//! A port is a directory `ports/<name>/`:
//! - `recipe`: `key = value` lines (`#` starts a comment): `package`
//!   (Debian source package), `version` (pinned Debian version), `orig`
//!   (the upstream tarball's file name in that source package), `sha256`
//!   (of `orig`), optionally `apt` (Debian build tools, space separated);
//! - `build.sh`: run by bash in the unpacked, patched source tree;
//! - `patches/*.patch`: ours, applied in name order with `patch -p1`;
//! - anything else `build.sh` reads (config files), through `$PORT`;
//! - `checks/`: the port's test data (skip lists…), not a build input.
//!
//! `build.sh` gets `TARGET` (`wasm` or `native`), `SRC` (its working
//! directory), `STAGE` (an empty install root), `PORT`, `JOBS`, and `CC AR
//! RANLIB NM STRIP HOST_TRIPLE` for the target (for wasm, the
//! `wasm32-wasmpod-linux-musl-*` wrappers, also first in `PATH`).
//!
//! Each build is cached in `~/.cache/wasmpod/ports/<name>-<target>-<hash>/`
//! (`stage/`, `src/` — the build tree, kept for test suites — and
//! `build.log`), keyed by the recipe directory (but `checks/`), this file
//! and the compiler
//! (the toolchain's cache key for wasm, `gcc --version` for native), and
//! linked as `build/ports/<name>-<target>`. Builds run in `<entry>.tmp` and
//! are renamed when complete, so an interrupted build is never a cache hit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::digest::{hash_files, sha256_bytes, sha256_file, walk};
use crate::setup::{apt, apt_install, dpkg_installed};
use crate::toolchain::{cache_root, TRIPLE};
use crate::util::{output, repo_root, run, step};

/// The two builds of a port.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    Wasm,
    Native,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Wasm => "wasm",
            Target::Native => "native",
        }
    }
}

/// A parsed `ports/<name>/recipe`.
#[derive(Debug)]
pub struct Recipe {
    pub name: String,
    pub dir: PathBuf,
    pub package: String,
    pub version: String,
    pub orig: String,
    pub sha256: String,
    pub apt: Vec<String>,
}

impl Recipe {
    pub fn load(dir: &Path) -> Result<Recipe, String> {
        let path = dir.join("recipe");
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut keys = parse_recipe(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut take = |k: &str| keys.remove(k).ok_or_else(|| format!("{}: no `{k}`", path.display()));
        let recipe = Recipe {
            name: dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string(),
            dir: dir.to_path_buf(),
            package: take("package")?,
            version: take("version")?,
            orig: take("orig")?,
            sha256: take("sha256")?,
            apt: keys.remove("apt").map(|s| s.split_whitespace().map(String::from).collect()).unwrap_or_default(),
        };
        if let Some(k) = keys.keys().next() {
            return Err(format!("{}: unknown key `{k}`", path.display()));
        }
        if recipe.orig.contains('/') || recipe.sha256.len() != 64 {
            return Err(format!("{}: `orig` must be a file name and `sha256` 64 hex digits", path.display()));
        }
        if !dir.join("build.sh").is_file() {
            return Err(format!("{}: no build.sh", dir.display()));
        }
        Ok(recipe)
    }

    /// The orig tarball in the source cache, fetched and checked if needed.
    pub fn fetch(&self) -> Result<PathBuf, String> {
        let dir = cache_root().join("src");
        let tarball = dir.join(&self.orig);
        if tarball.exists() && sha256_file(&tarball)? == self.sha256 {
            return Ok(tarball);
        }
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        step(&format!("fetching {} {} (apt-get source)", self.package, self.version));
        let pinned = format!("{}={}", self.package, self.version);
        let get = |spec: &str| {
            run(Command::new("apt-get").args(["source", "--download-only", "-qq", spec]).current_dir(&dir))
        };
        // The package lists may predate the deb-src entry; and a point
        // release may have replaced the pinned Debian revision, whose
        // upstream tarball is still the one we pin by checksum.
        if get(&pinned).is_err() {
            apt(&["update", "-qq"])?;
            if get(&pinned).is_err() {
                println!(
                    "{pinned} is gone from the mirror; trying the current {} (same sha256 required)",
                    self.package
                );
                get(&self.package)?;
            }
        }
        let sum = sha256_file(&tarball)?;
        if sum != self.sha256 {
            return Err(format!("{}: sha256 {sum}, expected {}", tarball.display(), self.sha256));
        }
        Ok(tarball)
    }
}

/// `key = value` lines; blank lines and `#` comments are skipped.
fn parse_recipe(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut keys = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || v.is_empty() {
            return Err(format!("line {}: expected `key = value`", n + 1));
        }
        if keys.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("line {}: `{k}` given twice", n + 1));
        }
    }
    Ok(keys)
}

/// Every port, by name.
pub fn all() -> Result<Vec<Recipe>, String> {
    let dir = repo_root().join("ports");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("recipe").is_file())
        .collect();
    names.sort();
    names.iter().map(|d| Recipe::load(d)).collect()
}

/// Installs the ports' build tools and fetches their sources (part of
/// `cargo xtask setup`, so that everything from the network comes first).
pub fn setup_inputs() -> Result<(), String> {
    let recipes = all()?;
    let missing: Vec<&str> =
        recipes.iter().flat_map(|r| r.apt.iter().map(String::as_str)).filter(|p| !dpkg_installed(p)).collect();
    if !missing.is_empty() {
        step(&format!("installing Debian packages for ports: {}", missing.join(" ")));
        apt_install(&missing)?;
    }
    for r in &recipes {
        r.fetch()?;
    }
    Ok(())
}

/// `build/ports/<name>-<target>`: where a built port is linked.
pub fn built(name: &str, target: Target) -> PathBuf {
    repo_root().join("build/ports").join(format!("{name}-{}", target.name()))
}

/// The cache key of one build.
fn cache_key(root: &Path, recipe: &Recipe, target: Target) -> Result<String, String> {
    let mut manifest = format!("target {}\n", target.name());
    match target {
        Target::Wasm => {
            // build/toolchain links to toolchain-<its own cache key>.
            let tc = fs::canonicalize(root.join("build/toolchain")).map_err(|e| format!("build/toolchain: {e}"))?;
            writeln!(manifest, "toolchain {}", tc.file_name().unwrap_or_default().to_string_lossy()).unwrap();
        }
        Target::Native => {
            let gcc = output(Command::new("gcc").arg("--version"))?;
            writeln!(manifest, "gcc {}", gcc.lines().next().unwrap_or_default()).unwrap();
        }
    }
    let mut files: Vec<PathBuf> =
        walk(&recipe.dir).into_iter().filter(|f| !f.starts_with(recipe.dir.join("checks"))).collect();
    files.push(root.join("xtask/src/ports.rs"));
    hash_files(root, &files, &mut manifest)?;
    Ok(sha256_bytes(manifest.as_bytes())?[..16].to_string())
}

/// Builds (or finds in the cache) one port for one target and links it
/// as `build/ports/<name>-<target>`.
pub fn build(recipe: &Recipe, target: Target) -> Result<PathBuf, String> {
    let root = repo_root();
    let key = cache_key(&root, recipe, target)?;
    let entry = cache_root().join("ports").join(format!("{}-{}-{key}", recipe.name, target.name()));
    if !entry.join("stage").is_dir() {
        let tarball = recipe.fetch()?;
        step(&format!("building port {} for {} into {}", recipe.name, target.name(), entry.display()));
        build_into(&root, recipe, target, &tarball, &entry)?;
    }
    let link = built(&recipe.name, target);
    fs::create_dir_all(link.parent().unwrap()).map_err(|e| e.to_string())?;
    if fs::read_link(&link).ok().as_deref() != Some(entry.as_path()) {
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&entry, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    }
    Ok(entry)
}

fn build_into(root: &Path, recipe: &Recipe, target: Target, tarball: &Path, entry: &Path) -> Result<(), String> {
    let tmp = entry.with_extension("tmp");
    let _ = fs::remove_dir_all(&tmp);
    let (src, stage) = (tmp.join("src"), tmp.join("stage"));
    for d in [&src, &stage] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    run(Command::new("tar").arg("xf").arg(tarball).args(["--strip-components=1", "-C"]).arg(&src))?;
    let mut patches: Vec<PathBuf> =
        walk(&recipe.dir.join("patches")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "patch")).collect();
    patches.sort();
    for p in &patches {
        run(Command::new("patch").args(["-s", "-p1", "--batch", "--forward", "-i"]).arg(p).current_dir(&src))
            .map_err(|e| format!("port {}: {} does not apply: {e}", recipe.name, p.display()))?;
    }

    let log_path = tmp.join("build.log");
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(2);
    let mut cmd = Command::new("bash");
    cmd.arg(recipe.dir.join("build.sh"))
        .current_dir(&src)
        .env("TARGET", target.name())
        .env("SRC", &src)
        .env("STAGE", &stage)
        .env("PORT", &recipe.dir)
        .env("JOBS", std::env::var("JOBS").unwrap_or_else(|_| jobs.to_string()))
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    match target {
        Target::Wasm => {
            let bin = root.join("build/toolchain/bin");
            let path = std::env::var("PATH").unwrap_or_default();
            cmd.env("PATH", format!("{}:{path}", bin.display())).env("HOST_TRIPLE", TRIPLE);
            for (var, tool) in [("CC", "cc"), ("AR", "ar"), ("RANLIB", "ranlib"), ("NM", "nm"), ("STRIP", "strip")] {
                cmd.env(var, bin.join(format!("{TRIPLE}-{tool}")));
            }
        }
        Target::Native => {
            let triple = output(Command::new("gcc").arg("-dumpmachine"))?;
            cmd.env("HOST_TRIPLE", triple.trim());
            for (var, tool) in [("CC", "gcc"), ("AR", "ar"), ("RANLIB", "ranlib"), ("NM", "nm"), ("STRIP", "strip")] {
                cmd.env(var, tool);
            }
        }
    }
    let status = cmd.status().map_err(|e| format!("could not start bash: {e}"))?;
    if !status.success() {
        let text = fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for l in tail.iter().rev() {
            eprintln!("  | {l}");
        }
        return Err(format!(
            "port {} ({}): build.sh failed with {status}; full log: {}",
            recipe.name,
            target.name(),
            log_path.display()
        ));
    }
    if walk(&stage).is_empty() {
        return Err(format!("port {} ({}): build.sh installed nothing into $STAGE", recipe.name, target.name()));
    }
    let _ = fs::remove_dir_all(entry);
    fs::rename(&tmp, entry).map_err(|e| format!("{}: {e}", entry.display()))
}

/// `cargo xtask ports [--target wasm|native] [NAME…]`.
pub fn ports(args: &[String]) -> Result<(), String> {
    let mut targets = vec![Target::Wasm, Target::Native];
    let mut names = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => {
                targets = match it.next().map(String::as_str) {
                    Some("wasm") => vec![Target::Wasm],
                    Some("native") => vec![Target::Native],
                    other => return Err(format!("--target wants wasm or native, not {other:?}")),
                }
            }
            n if n.starts_with('-') => return Err(format!("unknown option {n}")),
            n => names.push(n.to_string()),
        }
    }
    build_ports(&names, &targets)
}

/// Builds the named ports (every port when `names` is empty) for `targets`.
pub fn build_ports(names: &[String], targets: &[Target]) -> Result<(), String> {
    crate::toolchain::toolchain()?;
    let recipes = all()?;
    for n in names {
        if !recipes.iter().any(|r| &r.name == n) {
            return Err(format!("no port named {n} (ports/{n}/recipe)"));
        }
    }
    for r in recipes.iter().filter(|r| names.is_empty() || names.contains(&r.name)) {
        for &t in targets {
            let entry = build(r, t)?;
            println!("port {} ({}): {}", r.name, t.name(), entry.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_recipe;

    #[test]
    fn recipe_lines() {
        let k = parse_recipe("# c\npackage = lua5.4  # trailing\n\nversion=5.4.4-3\n").unwrap();
        assert_eq!(k["package"], "lua5.4");
        assert_eq!(k["version"], "5.4.4-3");
        assert!(parse_recipe("package lua").unwrap_err().contains("line 1"));
        assert!(parse_recipe("a = 1\na = 2").unwrap_err().contains("twice"));
        assert!(parse_recipe("a =").is_err());
    }
}
