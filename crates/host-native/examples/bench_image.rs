//! Benchmark: `wasmpod image build` against `mke2fs -t ext2 -d` on a
//! 20 000-file tree, and sequential reads of a large file from an image
//! (through the ext2 driver) against the host filesystem. Prints a markdown
//! table.
//!
//! ```text
//! cargo run --release -p wasmpod-host-native --example bench_image [-- --files N]
//! ```
#![allow(dead_code)]

#[path = "../src/image/mod.rs"]
mod image;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use wasmpod_ext2::Ext2;

fn make_tree(root: &Path, files: usize) -> u64 {
    let mut bytes = 0u64;
    let mut x = 0x1234_5678u32;
    let per_dir = 100;
    for i in 0..files {
        let d = root.join(format!("d{:03}/s{:02}", i / per_dir / 10, (i / per_dir) % 10));
        if i % per_dir == 0 {
            std::fs::create_dir_all(&d).unwrap();
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        // Mostly small files, like a root filesystem: 0..16 KiB, some 64 KiB.
        let len = if x.is_multiple_of(50) { 65_536 } else { (x % 16_384) as usize };
        let data: Vec<u8> = (0..len).map(|k| (k as u32).wrapping_mul(x) as u8 | 1).collect();
        std::fs::write(d.join(format!("file-{i:05}")), &data).unwrap();
        bytes += len as u64;
    }
    bytes
}

/// Best of three runs (the machine is shared; the minimum is the least noisy).
fn time(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut files = 20_000usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--files") {
        files = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(files);
    }
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let bytes = make_tree(&tree, files);
    let ours = dir.path().join("ours.img");
    let theirs = dir.path().join("mke2fs.img");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    // Warm the page cache for both contenders.
    image::main(&["build".into(), s(&tree), "-o".into(), s(&ours)]);
    let t_ours = time(|| {
        let _ = std::fs::remove_file(&ours);
        assert_eq!(image::main(&["build".into(), s(&tree), "-o".into(), s(&ours)]), 0)
    });
    let size_kib = std::fs::metadata(&ours).unwrap().len() / 1024;
    let mke2fs = |img: &Path| {
        let st = Command::new("/usr/sbin/mke2fs")
            .args(["-q", "-F", "-t", "ext2", "-b", "4096", "-d"])
            .arg(&tree)
            .arg(img)
            .arg(format!("{size_kib}k"))
            .status()
            .expect("mke2fs (install e2fsprogs)");
        assert!(st.success());
    };
    let t_mke2fs = time(|| {
        let _ = std::fs::remove_file(&theirs);
        mke2fs(&theirs)
    });

    // Sequential read: a 256 MiB file, 1 MiB at a time.
    let big_tree = dir.path().join("big");
    std::fs::create_dir(&big_tree).unwrap();
    let big_len = 256usize << 20;
    let data: Vec<u8> = (0..big_len).map(|i| (i as u32).wrapping_mul(2_654_435_761) as u8 | 1).collect();
    std::fs::write(big_tree.join("big"), &data).unwrap();
    drop(data);
    let big_img = dir.path().join("big.img");
    assert_eq!(image::main(&["build".into(), s(&big_tree), "-o".into(), s(&big_img)]), 0);
    let mut buf = vec![0u8; 1 << 20];
    let read_host = || {
        use std::io::Read;
        let mut f = std::fs::File::open(big_tree.join("big")).unwrap();
        let mut b = vec![0u8; 1 << 20];
        while f.read(&mut b).unwrap() > 0 {}
    };
    read_host();
    let t_host = time(read_host);
    let dev = image::dev_for_bench(&big_img);
    let mut fs = Ext2::open_read_only(dev).unwrap();
    let ino = fs.lookup(2, b"big").unwrap();
    let mut read_ours = || {
        let mut off = 0u64;
        loop {
            let n = fs.read(ino, off, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            off += n as u64;
        }
    };
    read_ours();
    let t_read = time(read_ours);
    let mb = big_len as f64 / (1 << 20) as f64;
    println!("| benchmark ({files} files, {:.0} MiB) | wasmpod | native | ratio |", bytes as f64 / (1 << 20) as f64);
    println!("|---|---|---|---|");
    println!("| image build vs `mke2fs -t ext2 -d` (s) | {t_ours:.3} | {t_mke2fs:.3} | {:.2}x |", t_ours / t_mke2fs);
    println!(
        "| sequential read 256 MiB (MB/s) | {:.0} | {:.0} | {:.2}x |",
        mb / t_read,
        mb / t_host,
        (mb / t_read) / (mb / t_host)
    );
}
