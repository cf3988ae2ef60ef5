//! Random sequences of namespace operations, then checks of what must hold
//! in any Linux directory tree: directory link counts are 2 + subdirectories,
//! every `..` names the directory holding the entry, and a file's link
//! count is the number of names it has.

use std::collections::HashMap;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;

use crate::fs::open::test_util::*;
use crate::testing::{Harness, Proc};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const NAMES: &[&str] = &["a", "b", "c", "a/x", "a/y", "b/x", "b/z", "a/x/q", "b/z/r", "c/s"];

fn path(i: u64) -> String {
    format!("/tmp/m/{}", NAMES[i as usize % NAMES.len()])
}

fn random_op(p: &Proc, rng: &mut Rng) {
    let (a, b) = (path(rng.below(100)), path(rng.below(100)));
    let at = AT_FDCWD as u32 as u64;
    match rng.below(9) {
        0 | 1 => {
            mkdir(p, &a, 0o755);
        }
        2 => {
            let fd = open(p, &a, O_WRONLY | O_CREAT, 0o644);
            if fd >= 0 {
                close(p, fd);
            }
        }
        3 => {
            unlink(p, &a);
        }
        4 => {
            rmdir(p, &a);
        }
        5 | 6 => {
            rename(p, &a, &b);
        }
        7 => {
            p.sys(SYS_linkat, &[at, p.cstr(&a), at, p.cstr(&b), 0]);
        }
        _ => {
            rename2(p, &a, &b, RENAME_EXCHANGE);
        }
    }
}

/// Walks the tree under `dir`, checking directory invariants and counting
/// names per file inode.
fn check_dir(p: &Proc, dir: &str, names: &mut HashMap<u64, (u32, u32)>) {
    let d = stat(p, dir).expect("dir");
    let mut subdirs = 0;
    for n in list(p, dir, 4096) {
        if n == "." || n == ".." {
            continue;
        }
        let child = format!("{dir}/{n}");
        let st = lstat(p, &child).expect("entry");
        if st.st_mode & S_IFMT == S_IFDIR {
            subdirs += 1;
            let up = stat(p, &format!("{child}/..")).expect("..");
            assert_eq!(up.st_ino, d.st_ino, "{child}/.. is not {dir}");
            check_dir(p, &child, names);
        } else {
            let e = names.entry(st.st_ino).or_insert((0, st.st_nlink));
            e.0 += 1;
        }
    }
    assert_eq!(d.st_nlink, 2 + subdirs, "link count of {dir}");
}

#[test]
fn random_namespace_operations_keep_tree_invariants() {
    let mut total_names = 0;
    for seed in 1..=12u64 {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mkdir(&p, "/tmp/m", 0o755), 0);
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..300 {
            random_op(&p, &mut rng);
        }
        let mut names = HashMap::new();
        check_dir(&p, "/tmp/m", &mut names);
        total_names += names.values().map(|v| v.0).sum::<u32>();
        for (ino, (count, nlink)) in names {
            assert_eq!(count, nlink, "seed {seed}: inode {ino} has {count} names but nlink {nlink}");
        }
    }
    // The sequences did build trees (the checks above had work to do).
    assert!(total_names > 12, "only {total_names} file names in all runs");
}

#[test]
fn random_namespace_operations_keep_tree_invariants_on_ext2() {
    use wasmpod_blockdev::memory::MemoryDevice;
    use wasmpod_ext2::mkfs::{format, MkfsOptions};
    for seed in 1..=6u64 {
        let h = Harness::new();
        let p = h.process_as(None, crate::process::Credentials::root());
        assert_eq!(mkdir(&p, "/tmp/m", 0o755), 0);
        let dev = MemoryDevice::new(1024, 2048).expect("device");
        let img = format(dev, &MkfsOptions { block_size: 1024, inodes: 256, ..Default::default() }).expect("mkfs");
        h.kernel.mount_ext2("/tmp/m", Box::new(img), false, "model").expect("mount");
        let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
        for _ in 0..300 {
            random_op(&p, &mut rng);
        }
        let mut names = HashMap::new();
        check_dir(&p, "/tmp/m", &mut names);
        for (ino, (count, nlink)) in names {
            assert_eq!(count, nlink, "seed {seed}: inode {ino} has {count} names but nlink {nlink}");
        }
    }
}
