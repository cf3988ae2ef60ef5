//! The host-directory filesystem driven through the kernel's system calls
//! (the kernel's `testing` harness): a tempdir mounted with
//! `Kernel::mount_fs` / `mount_root_fs`, checked from both sides.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::{stat, statfs, S_IFMT, S_IFREG};
use wasmpod_abi::syscalls::*;
use wasmpod_host_native::hostfs::HostFs;
use wasmpod_kernel::testing::{Harness, Proc};

const FDCWD: u64 = AT_FDCWD as u32 as u64;
const ENOENT: i64 = -2;
const EEXIST: i64 = -17;
const EXDEV: i64 = -18;
const ENOTEMPTY: i64 = -39;
const EROFS: i64 = -30;
const EPERM: i64 = -1;

fn open(p: &Proc, path: &str, flags: u32, mode: u32) -> i64 {
    p.sys(SYS_openat, &[FDCWD, p.cstr(path), u64::from(flags), u64::from(mode)])
}

fn read_file(p: &Proc, path: &str) -> Result<Vec<u8>, i64> {
    let fd = open(p, path, O_RDONLY, 0);
    if fd < 0 {
        return Err(fd);
    }
    let buf = p.alloc(1 << 16);
    let mut out = Vec::new();
    loop {
        let n = p.sys(SYS_read, &[fd as u64, u64::from(buf), 1 << 16]);
        assert!(n >= 0, "read {path}: {n}");
        if n == 0 {
            break;
        }
        out.extend(p.read(buf, n as usize));
    }
    assert_eq!(p.sys(SYS_close, &[fd as u64]), 0);
    Ok(out)
}

fn write_file(p: &Proc, path: &str, data: &[u8]) -> i64 {
    let fd = open(p, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    if fd < 0 {
        return fd;
    }
    let b = p.bytes(data);
    assert_eq!(p.sys(SYS_write, &[fd as u64, u64::from(b), data.len() as u64]), data.len() as i64);
    p.sys(SYS_close, &[fd as u64])
}

fn stat_of(p: &Proc, path: &str, follow: bool) -> Result<stat, i64> {
    let st = p.alloc(128);
    let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
    let r = p.sys(SYS_newfstatat, &[FDCWD, p.cstr(path), u64::from(st), u64::from(flags)]);
    if r < 0 {
        return Err(r);
    }
    Ok(p.read_struct(st))
}

/// All names of a directory through getdents64 with a small buffer,
/// with each entry's `d_off` cookie.
fn list(p: &Proc, path: &str) -> Vec<(String, i64)> {
    let fd = open(p, path, O_RDONLY | O_DIRECTORY, 0);
    assert!(fd >= 0, "open {path}: {fd}");
    let names = getdents_all(p, fd);
    p.sys(SYS_close, &[fd as u64]);
    names
}

fn getdents_all(p: &Proc, fd: i64) -> Vec<(String, i64)> {
    let buf = p.alloc(256);
    let mut out = Vec::new();
    loop {
        let n = p.sys(SYS_getdents64, &[fd as u64, u64::from(buf), 256]);
        assert!(n >= 0, "getdents64: {n}");
        if n == 0 {
            return out;
        }
        let data = p.read(buf, n as usize);
        let mut at = 0;
        while at < data.len() {
            let off = i64::from_le_bytes(data[at + 8..at + 16].try_into().unwrap());
            let reclen = u16::from_le_bytes([data[at + 16], data[at + 17]]) as usize;
            let name = &data[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap()];
            out.push((String::from_utf8_lossy(name).into_owned(), off));
            at += reclen;
        }
    }
}

/// A tempdir with `outside` (a secret next to the mounted dir) and
/// `mnt/` (the mounted dir) holding a file, a subdirectory and two
/// symlinks that point outside on the host.
fn host_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("outside"), "host secret\n").unwrap();
    let m = d.path().join("mnt");
    std::fs::create_dir_all(m.join("sub/deeper")).unwrap();
    std::fs::write(m.join("hello.txt"), "hello from the host\n").unwrap();
    std::fs::write(m.join("sub/inner"), "inner\n").unwrap();
    std::os::unix::fs::symlink("../outside", m.join("rel_escape")).unwrap();
    std::os::unix::fs::symlink(d.path().join("outside"), m.join("abs_escape")).unwrap();
    std::os::unix::fs::symlink("hello.txt", m.join("good_link")).unwrap();
    d
}

/// The harness with `dir` mounted at `/tmp/mnt`, and a user-1000 process.
fn mounted(dir: &Path, read_only: bool) -> (Harness, Proc) {
    let h = Harness::new();
    let root = h.process_as(None, wasmpod_kernel::process::Credentials::root());
    assert_eq!(root.sys(SYS_mkdirat, &[FDCWD, root.cstr("/tmp/mnt"), 0o755]), 0);
    let fs = HostFs::open(dir, read_only).unwrap();
    h.kernel.mount_fs("/tmp/mnt", fs, "hostfs", "test", if read_only { "ro" } else { "rw" }).unwrap();
    let p = h.process(None);
    (h, p)
}

#[test]
fn reads_stat_and_ids_pass_through() {
    let d = host_tree();
    let host = d.path().join("mnt");
    let (_h, p) = mounted(&host, false);
    assert_eq!(read_file(&p, "/tmp/mnt/hello.txt").unwrap(), b"hello from the host\n");
    assert_eq!(read_file(&p, "/tmp/mnt/sub/inner").unwrap(), b"inner\n");
    assert_eq!(read_file(&p, "/tmp/mnt/good_link").unwrap(), b"hello from the host\n");
    assert_eq!(read_file(&p, "/tmp/mnt/nope"), Err(ENOENT));
    let s = stat_of(&p, "/tmp/mnt/hello.txt", true).unwrap();
    let hm = std::fs::metadata(host.join("hello.txt")).unwrap();
    assert_eq!(s.st_ino, hm.ino(), "inode numbers are the host's");
    assert_eq!(s.st_size, 20);
    assert_eq!(s.st_mode & S_IFMT, S_IFREG);
    assert_eq!(s.st_mode & 0o777, hm.mode() & 0o777);
    // Files of the host user running the test are the pod user's.
    assert_eq!((s.st_uid, s.st_gid), (1000, 1000));
    assert_eq!(s.st_mtime_sec, hm.mtime());
    // All inodes of the mount share one st_dev, not the host's.
    let sd = stat_of(&p, "/tmp/mnt/sub", true).unwrap();
    assert_eq!(sd.st_dev, s.st_dev);
    assert_ne!(s.st_dev, stat_of(&p, "/tmp", true).unwrap().st_dev);
    // readlink gives the link text; the host never follows it.
    let buf = p.alloc(256);
    let n = p.sys(SYS_readlinkat, &[FDCWD, p.cstr("/tmp/mnt/abs_escape"), u64::from(buf), 256]);
    assert_eq!(p.read(buf, n as usize), d.path().join("outside").to_str().unwrap().as_bytes());
    // pread at an offset.
    let fd = open(&p, "/tmp/mnt/hello.txt", O_RDONLY, 0);
    assert_eq!(p.sys(SYS_pread64, &[fd as u64, u64::from(buf), 4, 6]), 4);
    assert_eq!(p.read(buf, 4), b"from");
    // statfs reports the host filesystem.
    let sf = p.alloc(88);
    assert_eq!(p.sys(SYS_fstatfs, &[fd as u64, u64::from(sf)]), 0);
    let sfs: statfs = p.read_struct(sf);
    assert!(sfs.f_bsize > 0 && sfs.f_blocks > 0, "{sfs:?}");
}

#[test]
fn escaping_by_dotdot_or_symlink_stays_inside_the_pod() {
    let d = host_tree();
    let (_h, p) = mounted(&d.path().join("mnt"), false);
    // `..` from the mount's root is the pod's /tmp, not the host's parent.
    assert_eq!(read_file(&p, "/tmp/mnt/../outside"), Err(ENOENT));
    assert_eq!(read_file(&p, "/tmp/mnt/sub/../../outside"), Err(ENOENT));
    assert_eq!(read_file(&p, "/tmp/mnt/sub/../hello.txt").unwrap(), b"hello from the host\n");
    // Links pointing outside on the host resolve inside the pod.
    assert_eq!(read_file(&p, "/tmp/mnt/rel_escape"), Err(ENOENT));
    assert_eq!(read_file(&p, "/tmp/mnt/abs_escape"), Err(ENOENT));
    // A pod file at the place the relative link names is what it reaches.
    assert_eq!(write_file(&p, "/tmp/outside", b"pod file\n"), 0);
    assert_eq!(read_file(&p, "/tmp/mnt/rel_escape").unwrap(), b"pod file\n");
    assert_eq!(std::fs::read(d.path().join("outside")).unwrap(), b"host secret\n");
    // Writing through a link that points outside never touches the host file.
    assert_eq!(write_file(&p, "/tmp/mnt/rel_escape", b"changed\n"), 0);
    assert_eq!(std::fs::read(d.path().join("outside")).unwrap(), b"host secret\n");
    // getcwd from inside the mount walks back to the pod's root.
    assert_eq!(p.sys(SYS_chdir, &[p.cstr("/tmp/mnt/sub/deeper")]), 0);
    let buf = p.alloc(256);
    assert!(p.sys(SYS_getcwd, &[u64::from(buf), 256]) > 0);
    assert_eq!(p.read(buf, 20), b"/tmp/mnt/sub/deeper\0");
    assert_eq!(read_file(&p, "../../../outside").unwrap(), b"changed\n");
}

#[test]
fn dotdot_of_a_directory_moved_out_on_the_host_is_enoent() {
    let d = host_tree();
    let (_h, p) = mounted(&d.path().join("mnt"), false);
    assert_eq!(p.sys(SYS_chdir, &[p.cstr("/tmp/mnt/sub/deeper")]), 0);
    assert_eq!(read_file(&p, "../inner").unwrap(), b"inner\n");
    // A host process moves the pod's cwd next to the secret.
    std::fs::rename(d.path().join("mnt/sub/deeper"), d.path().join("moved")).unwrap();
    assert_eq!(read_file(&p, "../outside"), Err(ENOENT));
    assert_eq!(read_file(&p, "../../outside"), Err(ENOENT));
    // Moved back in, it works again.
    std::fs::rename(d.path().join("moved"), d.path().join("mnt/sub/deeper")).unwrap();
    assert_eq!(read_file(&p, "../inner").unwrap(), b"inner\n");
}

#[test]
fn root_dir_cannot_be_left_and_gets_dev() {
    let d = host_tree();
    let host = d.path().join("mnt");
    std::fs::create_dir(host.join("dev")).unwrap();
    let h = Harness::new();
    h.kernel.mount_root_fs(HostFs::open(&host, false).unwrap(), "hostfs", "test", "rw").unwrap();
    let p = h.process(None);
    assert_eq!(read_file(&p, "/hello.txt").unwrap(), b"hello from the host\n");
    assert_eq!(read_file(&p, "/../outside"), Err(ENOENT));
    assert_eq!(read_file(&p, "/../../hello.txt").unwrap(), b"hello from the host\n");
    assert_eq!(read_file(&p, "/rel_escape"), Err(ENOENT));
    assert_eq!(read_file(&p, "/abs_escape"), Err(ENOENT));
    // The kernel's devfs is mounted over the directory's /dev.
    assert_eq!(read_file(&p, "/dev/null").unwrap(), b"");
    assert_eq!(write_file(&p, "/dev/null", b"gone"), 0);
    assert!(!host.join("dev/null").exists());
    let names: Vec<String> = list(&p, "/").into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"hello.txt".to_string()) && names.contains(&"..".to_string()), "{names:?}");
}

#[test]
fn changes_reach_the_host_with_the_hosts_errors() {
    let d = host_tree();
    let host = d.path().join("mnt");
    let (_h, p) = mounted(&host, false);
    // create, write, pwrite, append, truncate
    assert_eq!(write_file(&p, "/tmp/mnt/new.txt", b"0123456789"), 0);
    assert_eq!(std::fs::read(host.join("new.txt")).unwrap(), b"0123456789");
    assert_eq!(std::fs::metadata(host.join("new.txt")).unwrap().mode() & 0o7777, 0o644 & !0o022);
    let fd = open(&p, "/tmp/mnt/new.txt", O_RDWR, 0);
    let b = p.bytes(b"AB");
    assert_eq!(p.sys(SYS_pwrite64, &[fd as u64, u64::from(b), 2, 4]), 2);
    assert_eq!(p.sys(SYS_ftruncate, &[fd as u64, 8]), 0);
    assert_eq!(p.sys(SYS_fsync, &[fd as u64]), 0);
    assert_eq!(std::fs::read(host.join("new.txt")).unwrap(), b"0123AB67");
    p.sys(SYS_close, &[fd as u64]);
    let fd = open(&p, "/tmp/mnt/new.txt", O_WRONLY | O_APPEND, 0);
    assert_eq!(p.sys(SYS_write, &[fd as u64, u64::from(b), 2]), 2);
    p.sys(SYS_close, &[fd as u64]);
    assert_eq!(std::fs::read(host.join("new.txt")).unwrap(), b"0123AB67AB");
    // chmod and utimensat
    assert_eq!(p.sys(SYS_fchmodat, &[FDCWD, p.cstr("/tmp/mnt/new.txt"), 0o600]), 0);
    assert_eq!(std::fs::metadata(host.join("new.txt")).unwrap().mode() & 0o7777, 0o600);
    let mut ts = vec![0u8; 32];
    ts[0..8].copy_from_slice(&1_000_000_000i64.to_le_bytes());
    ts[16..24].copy_from_slice(&1_500_000_000i64.to_le_bytes());
    ts[24..28].copy_from_slice(&7i32.to_le_bytes());
    let t = p.bytes(&ts);
    assert_eq!(p.sys(SYS_utimensat, &[FDCWD, p.cstr("/tmp/mnt/new.txt"), u64::from(t), 0]), 0);
    let hm = std::fs::metadata(host.join("new.txt")).unwrap();
    assert_eq!((hm.atime(), hm.mtime(), hm.mtime_nsec()), (1_000_000_000, 1_500_000_000, 7));
    // chown to someone else is refused; to the owner it is a no-op
    assert_eq!(p.sys(SYS_fchownat, &[FDCWD, p.cstr("/tmp/mnt/new.txt"), 1000, 1000, 0]), 0);
    // mkdir, rename (file and across directories), link, symlink, unlink, rmdir
    assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/mnt/d"), 0o750]), 0);
    assert_eq!(std::fs::metadata(host.join("d")).unwrap().mode() & 0o7777, 0o750);
    assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/mnt/d"), 0o750]), EEXIST);
    let mv = |a: &str, b: &str| p.sys(SYS_renameat2, &[FDCWD, p.cstr(a), FDCWD, p.cstr(b), 0]);
    assert_eq!(mv("/tmp/mnt/new.txt", "/tmp/mnt/d/moved"), 0);
    assert!(!host.join("new.txt").exists());
    assert_eq!(std::fs::read(host.join("d/moved")).unwrap(), b"0123AB67AB");
    let ln = p.sys(SYS_linkat, &[FDCWD, p.cstr("/tmp/mnt/d/moved"), FDCWD, p.cstr("/tmp/mnt/hard"), 0]);
    assert_eq!(ln, 0);
    assert_eq!(
        std::fs::metadata(host.join("hard")).unwrap().ino(),
        std::fs::metadata(host.join("d/moved")).unwrap().ino()
    );
    assert_eq!(stat_of(&p, "/tmp/mnt/hard", true).unwrap().st_nlink, 2);
    assert_eq!(p.sys(SYS_symlinkat, &[p.cstr("d/moved"), FDCWD, p.cstr("/tmp/mnt/sym")]), 0);
    assert_eq!(std::fs::read_link(host.join("sym")).unwrap(), Path::new("d/moved"));
    assert_eq!(read_file(&p, "/tmp/mnt/sym").unwrap(), b"0123AB67AB");
    assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/tmp/mnt/d"), u64::from(AT_REMOVEDIR)]), ENOTEMPTY);
    assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/tmp/mnt/d/moved"), 0]), 0);
    assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/tmp/mnt/d"), u64::from(AT_REMOVEDIR)]), 0);
    assert!(!host.join("d").exists());
    assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/tmp/mnt/nope"), 0]), ENOENT);
    // Renames and links out of the mount are EXDEV.
    assert_eq!(mv("/tmp/mnt/hard", "/tmp/elsewhere"), EXDEV);
    // RENAME_NOREPLACE reaches the host.
    assert_eq!(p.sys(SYS_renameat2, &[FDCWD, p.cstr("/tmp/mnt/hard"), FDCWD, p.cstr("/tmp/mnt/hello.txt"), 1]), EEXIST);
    // A file the host changes meanwhile is seen at once.
    std::fs::write(host.join("hello.txt"), "changed on the host\n").unwrap();
    assert_eq!(read_file(&p, "/tmp/mnt/hello.txt").unwrap(), b"changed on the host\n");
    // O_TMPFILE, then linked into the tree.
    let fd = open(&p, "/tmp/mnt", O_TMPFILE_FLAGS | O_RDWR, 0o640);
    assert!(fd >= 0, "O_TMPFILE: {fd}");
    assert_eq!(p.sys(SYS_write, &[fd as u64, u64::from(b), 2]), 2);
    let empty = p.cstr("");
    let r = p.sys(SYS_linkat, &[fd as u64, empty, FDCWD, p.cstr("/tmp/mnt/tmpf"), u64::from(AT_EMPTY_PATH)]);
    assert_eq!(r, 0);
    assert_eq!(std::fs::read(host.join("tmpf")).unwrap(), b"AB");
    assert_eq!(std::fs::metadata(host.join("tmpf")).unwrap().mode() & 0o7777, 0o640);
}

const O_TMPFILE_FLAGS: u32 = __O_TMPFILE | O_DIRECTORY;

#[test]
fn chown_to_another_user_is_eperm() {
    let d = host_tree();
    let h = Harness::new();
    let root = h.process_as(None, wasmpod_kernel::process::Credentials::root());
    assert_eq!(root.sys(SYS_mkdirat, &[FDCWD, root.cstr("/tmp/mnt"), 0o755]), 0);
    h.kernel.mount_fs("/tmp/mnt", HostFs::open(&d.path().join("mnt"), false).unwrap(), "hostfs", "t", "rw").unwrap();
    let r = root.sys(SYS_fchownat, &[FDCWD, root.cstr("/tmp/mnt/hello.txt"), 1234, 1234, 0]);
    assert_eq!(r, EPERM);
}

#[test]
fn read_only_mount_is_erofs_for_every_change() {
    let d = host_tree();
    let host = d.path().join("mnt");
    let (_h, p) = mounted(&host, true);
    assert_eq!(read_file(&p, "/tmp/mnt/hello.txt").unwrap(), b"hello from the host\n");
    assert_eq!(write_file(&p, "/tmp/mnt/new", b"x"), EROFS);
    assert_eq!(open(&p, "/tmp/mnt/hello.txt", O_WRONLY, 0), EROFS);
    assert_eq!(open(&p, "/tmp/mnt/hello.txt", O_RDONLY | O_TRUNC, 0), EROFS);
    assert_eq!(p.sys(SYS_mkdirat, &[FDCWD, p.cstr("/tmp/mnt/d"), 0o755]), EROFS);
    assert_eq!(p.sys(SYS_unlinkat, &[FDCWD, p.cstr("/tmp/mnt/hello.txt"), 0]), EROFS);
    assert_eq!(p.sys(SYS_fchmodat, &[FDCWD, p.cstr("/tmp/mnt/hello.txt"), 0o600]), EROFS);
    assert_eq!(p.sys(SYS_symlinkat, &[p.cstr("x"), FDCWD, p.cstr("/tmp/mnt/l")]), EROFS);
    let mv = p.sys(SYS_renameat2, &[FDCWD, p.cstr("/tmp/mnt/hello.txt"), FDCWD, p.cstr("/tmp/mnt/x"), 0]);
    assert_eq!(mv, EROFS);
    assert_eq!(p.sys(SYS_truncate, &[p.cstr("/tmp/mnt/hello.txt"), 0]), EROFS);
    assert_eq!(std::fs::read(host.join("hello.txt")).unwrap(), b"hello from the host\n");
    assert!(!host.join("new").exists() && !host.join("d").exists());
}

#[test]
fn readdir_cookies_are_small_and_resume_where_they_left() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..300 {
        std::fs::write(d.path().join(format!("file-with-a-long-name-{i:04}")), "").unwrap();
    }
    let (_h, p) = mounted(d.path(), false);
    let all = list(&p, "/tmp/mnt");
    assert_eq!(all.len(), 302, "300 files, . and ..");
    let mut names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 302, "no duplicates");
    assert!(all.iter().all(|(_, off)| *off > 0 && *off < 1 << 31), "cookies fit a 32-bit long");
    // Seek back to the cookie after entry 150 and read the rest again.
    let fd = open(&p, "/tmp/mnt", O_RDONLY | O_DIRECTORY, 0);
    let first = getdents_all(&p, fd);
    assert_eq!(first, all, "a second open sees the same entries and cookies");
    let res = p.alloc(8);
    assert_eq!(p.sys(SYS_lseek, &[fd as u64, all[150].1 as u64, 0, 0, u64::from(res)]), 0);
    assert_eq!(p.read_u64(res), all[150].1 as u64);
    let rest = getdents_all(&p, fd);
    assert_eq!(rest, all[151..].to_vec());
    p.sys(SYS_close, &[fd as u64]);
}

#[test]
fn host_fifos_never_block_the_kernel() {
    let d = tempfile::tempdir().unwrap();
    let st = Command::new("mkfifo").arg(d.path().join("fifo")).status().expect("mkfifo");
    assert!(st.success());
    let (_h, p) = mounted(d.path(), false);
    let s = stat_of(&p, "/tmp/mnt/fifo", true).unwrap();
    assert_eq!(s.st_mode & S_IFMT, wasmpod_abi::fs::S_IFIFO);
    // The pod's own FIFO: a non-blocking reader opens at once.
    let fd = open(&p, "/tmp/mnt/fifo", O_RDONLY | O_NONBLOCK, 0);
    assert!(fd >= 0, "{fd}");
    // Returns (whatever the kernel answers for FIFOs) rather than blocking.
    assert!(matches!(p.sys(SYS_fsync, &[fd as u64]), 0 | -22));
    assert!(p.sys(SYS_truncate, &[p.cstr("/tmp/mnt/fifo"), 0]) < 0);
    assert_eq!(p.sys(SYS_sync, &[]), 0);
    p.sys(SYS_close, &[fd as u64]);
}
