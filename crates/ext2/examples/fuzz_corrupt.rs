//! Corrupted-image fuzzer, runnable on stable Rust:
//!
//! ```text
//! cargo run --release -p wasmpod-ext2 --example fuzz_corrupt -- --runs 100000 --seed 1
//! ```
//!
//! Flips bytes in the metadata of `mke2fs -d` images and exercises the
//! driver; exits non-zero and prints the seed/run of every panic.
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let mut runs = 10_000u64;
    let mut seed = 1u64;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), v) {
            ("--runs", Some(v)) => runs = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("usage: fuzz_corrupt [--runs N] [--seed S]");
                std::process::exit(2);
            }
        }
    }
    let bases = common::fuzz::bases();
    let start = std::time::Instant::now();
    let failures = common::fuzz::fuzz(runs, seed, &bases);
    for f in &failures {
        println!("{f}");
    }
    println!("{runs} runs, seed {seed}, {} panics, {:.1}s", failures.len(), start.elapsed().as_secs_f64());
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
