//! Test support: an in-memory device, a file device, and e2fsprogs wrappers.
//!
//! The e2fsprogs helpers fail loudly when the tools are missing: a test that
//! silently skips its oracle proves nothing.
#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmpod_blockdev::{BlockDevice, BlockError};

/// Block size of the test devices (smaller than every filesystem block size,
/// so the driver's device-to-filesystem block translation is exercised).
pub const DEV_BS: u32 = 512;

/// A device held in memory.
pub struct MemDevice {
    pub data: Vec<u8>,
}

impl MemDevice {
    pub fn new(bytes: usize) -> MemDevice {
        MemDevice { data: vec![0; bytes] }
    }
    pub fn from_file(p: &Path) -> MemDevice {
        MemDevice { data: std::fs::read(p).expect("read image") }
    }
    pub fn save(&self, p: &Path) {
        std::fs::write(p, &self.data).expect("write image");
    }
    fn range(&self, start: u64, len: usize) -> Result<std::ops::Range<usize>, BlockError> {
        let bs = u64::from(DEV_BS);
        if !len.is_multiple_of(DEV_BS as usize) {
            return Err(BlockError::Misaligned { len, block_size: DEV_BS });
        }
        let count = len as u64 / bs;
        if start + count > self.num_blocks() {
            return Err(BlockError::OutOfRange { block: start, count, device_blocks: self.num_blocks() });
        }
        let s = (start * bs) as usize;
        Ok(s..s + len)
    }
}

impl BlockDevice for MemDevice {
    fn block_size(&self) -> u32 {
        DEV_BS
    }
    fn num_blocks(&self) -> u64 {
        self.data.len() as u64 / u64::from(DEV_BS)
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        let r = self.range(start, buf.len())?;
        buf.copy_from_slice(&self.data[r]);
        Ok(())
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), BlockError> {
        let r = self.range(start, buf.len())?;
        self.data[r].copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}

/// A device backed by a (possibly sparse) file, for images too big for memory.
pub struct FileDevice {
    file: File,
    blocks: u64,
}

impl FileDevice {
    pub fn open(p: &Path) -> FileDevice {
        let file = OpenOptions::new().read(true).write(true).open(p).expect("open image");
        let blocks = file.metadata().expect("stat").len() / u64::from(DEV_BS);
        FileDevice { file, blocks }
    }
}

impl BlockDevice for FileDevice {
    fn block_size(&self) -> u32 {
        DEV_BS
    }
    fn num_blocks(&self) -> u64 {
        self.blocks
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        self.file.read_exact_at(buf, start * u64::from(DEV_BS)).map_err(|e| BlockError::Io(e.to_string()))
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), BlockError> {
        self.file.write_all_at(buf, start * u64::from(DEV_BS)).map_err(|e| BlockError::Io(e.to_string()))
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}

pub fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} not found: install e2fsprogs (cargo xtask setup does) — these tests need it as their oracle");
}

/// Runs `mke2fs -q -F -t ext2 <args> -d tree img size_kib`.
pub fn mke2fs(img: &Path, tree: Option<&Path>, size_kib: u64, args: &[&str]) {
    let mut c = Command::new(tool("mke2fs"));
    c.args(["-q", "-F", "-t", "ext2"]).args(args);
    if let Some(t) = tree {
        c.arg("-d").arg(t);
    }
    c.arg(img).arg(format!("{size_kib}k"));
    c.env("E2FSPROGS_FAKE_TIME", "1700000000");
    let out = c.output().expect("run mke2fs");
    assert!(out.status.success(), "mke2fs failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `e2fsck -fn img`; returns (exit code, combined output).
pub fn e2fsck(img: &Path) -> (i32, String) {
    let out = Command::new(tool("e2fsck")).arg("-fn").arg(img).output().expect("run e2fsck");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Asserts `e2fsck -fn` finds nothing to fix.
pub fn assert_fsck_clean(img: &Path) {
    let (code, text) = e2fsck(img);
    assert_eq!(code, 0, "e2fsck -fn reported problems:\n{text}");
}

/// Runs `e2fsck` with extra flags (e.g. `-fp`), returning (code, output).
pub fn e2fsck_with(img: &Path, flags: &str) -> (i32, String) {
    let out = Command::new(tool("e2fsck")).arg(flags).arg(img).output().expect("run e2fsck");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Runs a debugfs request on an image, returning stdout bytes.
pub fn debugfs(img: &Path, request: &str) -> Vec<u8> {
    let out = Command::new(tool("debugfs")).arg("-R").arg(request).arg(img).output().expect("run debugfs");
    assert!(out.status.success(), "debugfs failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Builds the reference tree used by the read-back tests: sizes around block
/// boundaries and every indirection level, a big directory, a deep chain,
/// short and long symlinks, hard links, special files, odd modes and owners,
/// and (if `sparse_big`) a sparse file past 4 GiB.
pub fn build_tree(root: &Path, big_dir_entries: usize, sparse_big: bool) {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let w = |p: &Path, data: &[u8]| std::fs::write(p, data).unwrap();
    let pattern = |n: usize, seed: u8| -> Vec<u8> {
        (0..n).map(|i| (i as u32).wrapping_mul(2654435761).wrapping_add(u32::from(seed)).to_le_bytes()[1]).collect()
    };
    for (i, n) in [0usize, 1, 11, 1023, 1024, 1025, 4095, 4096, 4097, 12 * 1024, 13 * 1024, 300 * 1024, 1100 * 1024]
        .into_iter()
        .enumerate()
    {
        w(&root.join(format!("f{n}")), &pattern(n, i as u8));
    }
    let big = root.join("bigdir");
    std::fs::create_dir(&big).unwrap();
    for i in 0..big_dir_entries {
        w(&big.join(format!("entry-with-a-longish-name-{i:05}")), format!("{i}\n").as_bytes());
    }
    // Bytes >= 0x80 make signed and unsigned directory hashes differ.
    for i in 0..big_dir_entries / 20 {
        w(&big.join(format!("é-ü-名前-{i:04}")), b"utf8\n");
    }
    let mut deep = root.join("deep");
    for i in 0..40 {
        deep = deep.join(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    w(&deep.join("leaf"), b"bottom\n");
    symlink("f11", root.join("short-link")).unwrap();
    symlink("x".repeat(59), root.join("link59")).unwrap();
    symlink("y".repeat(60), root.join("link60")).unwrap();
    symlink(format!("/{}", "long/".repeat(100)), root.join("long-link")).unwrap();
    std::fs::hard_link(root.join("f4097"), root.join("hard-link-to-f4097")).unwrap();
    std::fs::hard_link(root.join("f4097"), root.join("deep/hard2")).unwrap();
    let odd = root.join("odd-mode");
    w(&odd, b"odd");
    std::fs::set_permissions(&odd, std::fs::Permissions::from_mode(0o4751)).unwrap();
    std::os::unix::fs::chown(&odd, Some(1234), Some(5678)).unwrap();
    assert!(Command::new("mkfifo").arg(root.join("fifo")).status().unwrap().success());
    assert!(Command::new("mknod").arg(root.join("chr")).args(["c", "4", "64"]).status().unwrap().success());
    assert!(Command::new("mknod").arg(root.join("blk")).args(["b", "259", "70000"]).status().unwrap().success());
    std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    if sparse_big {
        let f = File::create(root.join("sparse")).unwrap();
        f.set_len((4 << 30) + 12345).unwrap();
        f.write_all_at(b"start", 0).unwrap();
        f.write_all_at(&pattern(10000, 9), 3 << 30).unwrap();
        f.write_all_at(b"end", (4 << 30) + 12340).unwrap();
    }
}

pub mod fuzz;
