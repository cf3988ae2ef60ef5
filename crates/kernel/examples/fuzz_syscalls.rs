//! Long fuzz runs: `cargo run --release -p wasmpod-kernel --features testing
//! --example fuzz_syscalls -- --calls 1000000 --seed 1`.

fn main() {
    let mut calls = 1_000_000u64;
    let mut seed = 1u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().and_then(|v| v.parse().ok());
        match (a.as_str(), v) {
            ("--calls", Some(v)) => calls = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("usage: fuzz_syscalls [--calls N] [--seed S]");
                std::process::exit(2);
            }
        }
    }
    let start = std::time::Instant::now();
    match wasmpod_kernel::fuzz::run(calls, seed) {
        Ok(r) => {
            println!("{r:?}");
            println!("{} calls in {:.1?}, no panic, invariants held", r.calls, start.elapsed());
        }
        Err(e) => {
            eprintln!("fuzz failure (seed {seed}): {e}");
            std::process::exit(1);
        }
    }
}
