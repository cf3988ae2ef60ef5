//! `cargo xtask bench boot`: cold and warm boots to a shell prompt in
//! Chromium (issue #7), on the root image padded with 1 GiB of extra files
//! that boot never reads, so what is fetched shows how little of a large
//! image a boot needs. Served by `wasmpod serve` on localhost (WebSocket
//! block protocol); a cold boot starts with an empty OPFS chunk cache, a
//! warm one in the same page after it. Goals: cold ≤ 1.5 s and ≤ 5 MB,
//! warm ≤ 0.5 s and 0 bytes fetched. Results into docs/benchmarks.md.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench_syscalls::{machine, splice_doc};
use crate::ports::{self, Target};
use crate::util::{output, repo_root, step};

const START: &str = "<!-- bench-boot:start -->";
const END: &str = "<!-- bench-boot:end -->";
/// Padding files: 64 × 16 MiB of incompressible bytes.
const PAD_FILES: u64 = 64;
const PAD_FILE_BYTES: u64 = 16 << 20;
const ROUNDS: usize = 3;

pub fn bench_boot(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unknown argument {a:?} (usage: cargo xtask bench boot)"));
    }
    let root = repo_root();
    crate::setup::npm_ci()?;
    crate::build::build(&[])?;
    step("browser bundle (build/web)");
    crate::web::web(&[])?;
    crate::web_tests::prepare(&root)?;
    let wasmpod = crate::conformance::wasmpod_binary(&root)?;
    let padding = root.join("target/bench-boot/padding");
    make_padding(&padding)?;
    let image = root.join("build/images/padded.ext2");
    let stages: Vec<PathBuf> =
        ports::all()?.iter().map(|r| ports::built(&r.name, Target::Wasm).join("stage")).collect();
    crate::image::build_image(&wasmpod, &stages, std::slice::from_ref(&padding), &image)?;
    let size = fs::metadata(&image).map_err(|e| format!("{}: {e}", image.display()))?.len();
    step(&format!("bench boot: {ROUNDS} rounds of a cold and a warm boot in Chromium"));
    let out = output(
        Command::new("node")
            .arg(root.join("web/test/browser/boot-bench.mjs"))
            .arg("--wasmpod")
            .arg(&wasmpod)
            .arg("/images/padded.ext2")
            .arg(ROUNDS.to_string())
            .current_dir(&root),
    )?;
    let boots: Vec<Boot> = out.lines().filter(|l| l.starts_with('{')).map(Boot::parse).collect::<Result<_, _>>()?;
    for b in &boots {
        println!(
            "  {:<5} {:>7.0} ms {:>9} bytes {:>4} requests {:>9} bytes from the cache",
            b.kind, b.ms, b.bytes, b.requests, b.cached
        );
    }
    let table = render(&boots)?;
    println!("\n{table}");
    let section = format!(
        "{START}\n## Boot to a shell prompt (Chromium)\n\n\
         Command: `cargo xtask bench boot`: the root image (`cargo xtask build`) padded with\n\
         {} MiB of extra files ({} MiB image), served by `wasmpod serve` on localhost\n\
         (WebSocket block protocol), booted in headless Chromium until the login shell's prompt\n\
         is on the terminal: a cold boot in a fresh browser context (empty OPFS chunk cache),\n\
         then a warm boot in the same page. Medians of {ROUNDS} rounds. Goals (issue #7): cold\n\
         ≤ 1.5 s and ≤ 5 MB fetched, warm ≤ 0.5 s and nothing fetched.\n\n\
         Measured {}\n\n{table}{END}\n",
        (PAD_FILES * PAD_FILE_BYTES) >> 20,
        size >> 20,
        machine()
    );
    splice_doc(&root.join("docs/benchmarks.md"), START, END, &section)?;
    println!("docs/benchmarks.md updated");
    Ok(())
}

/// `dir/var/padding/NN`: incompressible bytes (xorshift), made once.
fn make_padding(dir: &Path) -> Result<(), String> {
    let pad = dir.join("var/padding");
    fs::create_dir_all(&pad).map_err(|e| format!("{}: {e}", pad.display()))?;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..PAD_FILES {
        let path = pad.join(format!("{i:02}"));
        if fs::metadata(&path).is_ok_and(|m| m.len() == PAD_FILE_BYTES) {
            continue;
        }
        let mut buf = Vec::with_capacity(PAD_FILE_BYTES as usize);
        while (buf.len() as u64) < PAD_FILE_BYTES {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf.extend_from_slice(&x.to_le_bytes());
        }
        let mut f = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(&buf).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// One boot as boot-bench.mjs prints it.
struct Boot {
    kind: String,
    ms: f64,
    bytes: u64,
    requests: u64,
    cached: u64,
}

impl Boot {
    fn parse(line: &str) -> Result<Boot, String> {
        let num = |key: &str| -> Result<f64, String> {
            let at = line.find(&format!("\"{key}\":")).ok_or_else(|| format!("no {key} in {line}"))?;
            let rest = &line[at + key.len() + 3..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            rest[..end].trim().parse().map_err(|_| format!("bad {key} in {line}"))
        };
        let kind = if line.contains("\"kind\":\"cold\"") { "cold" } else { "warm" };
        Ok(Boot {
            kind: kind.into(),
            ms: num("ms")?,
            bytes: num("bytesFetched")? as u64,
            requests: num("requests")? as u64,
            cached: num("bytesFromCache")? as u64,
        })
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn render(boots: &[Boot]) -> Result<String, String> {
    let mut t = String::from(
        "| boot | time to prompt | fetched | requests | from the OPFS cache | goal |\n|---|---:|---:|---:|---:|---|\n",
    );
    for (kind, max_ms, max_bytes) in [("cold", 1500.0, 5_000_000.0), ("warm", 500.0, 0.0)] {
        let of: Vec<&Boot> = boots.iter().filter(|b| b.kind == kind).collect();
        if of.is_empty() {
            return Err(format!("no {kind} boot measured"));
        }
        let ms = median(of.iter().map(|b| b.ms).collect());
        let bytes = median(of.iter().map(|b| b.bytes as f64).collect());
        let requests = median(of.iter().map(|b| b.requests as f64).collect());
        let cached = median(of.iter().map(|b| b.cached as f64).collect());
        let met = ms <= max_ms && bytes <= max_bytes;
        t += &format!(
            "| {kind} | {ms:.0} ms | {:.2} MB | {requests:.0} | {:.2} MB | ≤ {max_ms:.0} ms, ≤ {:.0} MB: {} |\n",
            bytes / 1e6,
            cached / 1e6,
            max_bytes / 1e6,
            if met { "met" } else { "missed" }
        );
    }
    Ok(t)
}
