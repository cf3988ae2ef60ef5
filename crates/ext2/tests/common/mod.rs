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
        if len % DEV_BS as usize != 0 {
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
        let blocks = file.metadata().expect("stat").len() / 4096;
        FileDevice { file, blocks }
    }
}

impl BlockDevice for FileDevice {
    fn block_size(&self) -> u32 {
        4096
    }
    fn num_blocks(&self) -> u64 {
        self.blocks
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        self.file.read_exact_at(buf, start * 4096).map_err(|e| BlockError::Io(e.to_string()))
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<(), BlockError> {
        self.file.write_all_at(buf, start * 4096).map_err(|e| BlockError::Io(e.to_string()))
    }
    fn flush(&mut self) -> Result<(), BlockError> {
        Ok(())
    }
}

fn tool(name: &str) -> PathBuf {
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
    let out = Command::new(tool("debugfs"))
        .arg("-R")
        .arg(request)
        .arg(img)
        .output()
        .expect("run debugfs");
    assert!(out.status.success(), "debugfs failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}
