//! Directory hashes against e2fsprogs' own (`debugfs dx_hash`): every
//! algorithm, signed and unsigned, with and without a seed.
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use wasmpod_ext2::htree::dirhash;

fn names() -> Vec<String> {
    let mut v: Vec<String> =
        ["a", "hello", "lost+found", "é-ü-名前", "x.txt", "\u{ff}\u{80}"].iter().map(|s| s.to_string()).collect();
    for n in [15, 16, 17, 31, 32, 33, 64, 100, 200, 255] {
        v.push((0..n).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect());
    }
    v.push("é".repeat(100)); // 200 bytes of high-bit characters
    v
}

#[test]
fn dirhash_matches_e2fsprogs() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    common::mke2fs(&img, None, 1024, &[]);
    let seed_uuid = "01234567-89ab-cdef-fedc-ba9876543210";
    let seed_bytes: Vec<u8> = seed_uuid
        .replace('-', "")
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
        .collect();
    let seed_words: [u32; 4] =
        std::array::from_fn(|i| u32::from_le_bytes(seed_bytes[i * 4..i * 4 + 4].try_into().unwrap()));
    let names = names();
    let mut checked = 0;
    // dx_hash takes e2fsprogs' numeric versions: 0-2 signed, 3-5 unsigned.
    for unsigned in [false, true] {
        for version in [0u8, 1, 2] {
            let alg = version + if unsigned { 3 } else { 0 };
            for seed in [None, Some(seed_uuid)] {
                let mut script = String::new();
                for n in &names {
                    let s = seed.map(|s| format!("-s {s} ")).unwrap_or_default();
                    script += &format!("dx_hash -h {alg} {s}{n}\n");
                }
                let mut child = Command::new(common::tool("debugfs"))
                    .args(["-f", "-"])
                    .arg(&img)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
                let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
                let hashes: Vec<u32> = out
                    .lines()
                    .filter_map(|l| l.split(" is 0x").nth(1))
                    .map(|h| u32::from_str_radix(h.split(' ').next().unwrap(), 16).unwrap())
                    .collect();
                assert_eq!(hashes.len(), names.len(), "{out}");
                let words = if seed.is_some() { seed_words } else { [0; 4] };
                for (n, want) in names.iter().zip(hashes) {
                    let got = dirhash(n.as_bytes(), version, words, unsigned).unwrap();
                    assert_eq!(got, want, "{alg} unsigned={unsigned} seed={seed:?} name={n:?}");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 3 * 2 * names.len());
}
