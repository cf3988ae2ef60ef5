//! File walking and sha256 checksums for cache keys and source checks.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::output;

/// Every file under `dir`, sorted (for hashing and copying). Symlinks are
/// listed as files, not followed.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn sha256_file(p: &Path) -> Result<String, String> {
    let out = output(Command::new("sha256sum").arg(p))?;
    Ok(out.split_whitespace().next().unwrap_or_default().to_string())
}

pub fn sha256_bytes(data: &[u8]) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("sha256sum: {e}"))?;
    child.stdin.take().ok_or("sha256sum: no stdin")?.write_all(data).map_err(|e| format!("sha256sum: {e}"))?;
    let out = child.wait_with_output().map_err(|e| format!("sha256sum: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string())
}

/// Appends "path sha256" lines for `files` (paths shown relative to `root`)
/// to `manifest`.
pub fn hash_files(root: &Path, files: &[PathBuf], manifest: &mut String) -> Result<(), String> {
    for f in files {
        let data = fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let rel = f.strip_prefix(root).unwrap_or(f);
        writeln!(manifest, "{} {}", rel.display(), sha256_bytes(&data)?).unwrap();
    }
    Ok(())
}
