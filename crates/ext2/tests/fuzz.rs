//! A short corrupted-image fuzz run inside the normal suite; long runs:
//! `cargo run --release -p wasmpod-ext2 --example fuzz_corrupt -- --runs 100000 --seed 1`.
mod common;

#[test]
fn corrupted_images_never_panic() {
    let bases = common::fuzz::bases();
    let failures = common::fuzz::fuzz(2000, 42, &bases);
    assert!(failures.is_empty(), "{} panics, first: {:?}", failures.len(), &failures[..failures.len().min(5)]);
}
