//! procfs through the system calls: openat, read, readlinkat, getdents64,
//! stat, statfs, with the VFS doing the walk.

use std::sync::Arc;

use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::AbiStruct;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::fs::{FileOps, Metadata, OpenFile};
use crate::kernel::Ctx;
use crate::process::Credentials;
use crate::testing::{Harness, Proc};

fn read_all(p: &Proc, path: &str) -> Result<Vec<u8>, i64> {
    let fd = open(p, path, O_RDONLY, 0);
    if fd < 0 {
        return Err(fd);
    }
    let mut out = Vec::new();
    loop {
        let chunk = read(p, fd, 512);
        if chunk.is_empty() {
            break;
        }
        out.extend(chunk);
    }
    close(p, fd);
    Ok(out)
}

fn read_text(p: &Proc, path: &str) -> String {
    String::from_utf8(read_all(p, path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

fn readlink(p: &Proc, path: &str) -> Result<String, i64> {
    let b = p.alloc(256);
    let n = p.sys(SYS_readlinkat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(b), 256]);
    if n < 0 {
        Err(n)
    } else {
        Ok(String::from_utf8(p.read(b, n as usize)).unwrap())
    }
}

fn getdents(p: &Proc, path: &str) -> Vec<String> {
    let fd = open(p, path, O_RDONLY | O_DIRECTORY, 0);
    assert!(fd >= 0, "{path}: {fd}");
    let buf = p.alloc(4096);
    let mut names = Vec::new();
    loop {
        let n = p.sys(SYS_getdents64, &[fd as u64, u64::from(buf), 4096]);
        assert!(n >= 0, "getdents64: {n}");
        if n == 0 {
            break;
        }
        let data = p.read(buf, n as usize);
        let mut at = 0;
        while at < data.len() {
            let head = dirent64_head::decode(&data[at..]);
            let name = &data[at + 19..at + head.d_reclen as usize];
            let end = name.iter().position(|&c| c == 0).unwrap();
            names.push(String::from_utf8(name[..end].to_vec()).unwrap());
            at += head.d_reclen as usize;
        }
    }
    close(p, fd);
    names
}

/// A pipe-like file with no path.
struct Anon;
impl FileOps for Anon {
    fn read(&self, _ctx: &mut Ctx, _f: &OpenFile, buf: &mut [u8]) -> crate::Result<usize> {
        buf[..2].copy_from_slice(b"hi");
        Ok(2)
    }
    fn metadata(&self, _ctx: &mut Ctx) -> crate::Result<Metadata> {
        Ok(Metadata { ino: 9, mode: S_IFIFO | 0o600, uid: 1000, gid: 1000, ..Default::default() })
    }
    fn describe(&self) -> String {
        "pipe:[9]".into()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn install(p: &Proc, ops: Arc<dyn FileOps>, flags: u32) -> i32 {
    let pid = p.pid;
    let f = OpenFile::new(ops, flags);
    p.kernel.with_state(|st| st.procs.procs.get_mut(&pid).unwrap().files.alloc(f, false, 0, 1024).unwrap())
}

#[test]
fn proc_is_mounted_and_self_links_to_the_pid() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(readlink(&p, "/proc/self").unwrap(), p.pid.to_string());
    let st = stat(&p, "/proc/self").unwrap();
    assert_eq!(st.st_mode & S_IFMT, S_IFDIR, "stat follows /proc/self");
    assert_eq!(st.st_uid, 1000);
}

#[test]
fn proc_has_its_own_device_and_statfs_magic() {
    let h = Harness::new();
    let p = h.process(None);
    let proc_dev = stat(&p, "/proc").unwrap().st_dev;
    assert_ne!(proc_dev, stat(&p, "/").unwrap().st_dev);
    assert_ne!(proc_dev, stat(&p, "/dev").unwrap().st_dev);
    assert_eq!(stat(&p, "/proc/self/status").unwrap().st_dev, proc_dev);
    let buf = p.alloc(statfs::SIZE);
    assert_eq!(p.sys(SYS_statfs, &[p.cstr("/proc"), u64::from(buf)]), 0);
    assert_eq!(p.read_struct::<statfs>(buf).f_type, PROC_SUPER_MAGIC);
}

#[test]
fn reading_proc_self_stat_through_openat() {
    let h = Harness::new();
    let p = h.process(None);
    let text = read_text(&p, "/proc/self/stat");
    assert!(text.starts_with(&format!("{} (", p.pid)));
    let after = &text[text.rfind(')').unwrap() + 1..];
    assert_eq!(after.split_whitespace().count(), 50);
}

#[test]
fn proc_files_are_read_only_for_writes() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "/proc/self/stat", O_WRONLY, 0), errno(EACCES));
    assert_eq!(open(&p, "/proc/newfile", O_WRONLY | O_CREAT, 0o644), errno(EACCES));
}

#[test]
fn getdents_of_proc_lists_pids_and_fixed_entries() {
    let h = Harness::new();
    let a = h.process(None);
    let b = h.process(None);
    let names = getdents(&a, "/proc");
    assert!(names.contains(&a.pid.to_string()) && names.contains(&b.pid.to_string()), "{names:?}");
    for want in ["self", "meminfo", "uptime", "loadavg", "version", "sys"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
}

#[test]
fn proc_self_exe_reads_and_opens_the_program() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/prog", b"\0asm program bytes");
    let pid = p.pid;
    h.kernel.with_state(|st| st.procs.procs.get_mut(&pid).unwrap().exe = "/tmp/prog".into());
    assert_eq!(readlink(&p, "/proc/self/exe").unwrap(), "/tmp/prog");
    assert_eq!(read_all(&p, "/proc/self/exe").unwrap(), b"\0asm program bytes");
    assert_eq!(stat(&p, "/proc/self/exe").unwrap().st_ino, stat(&p, "/tmp/prog").unwrap().st_ino);
}

#[test]
fn proc_self_fd_of_a_file_names_its_path_and_reopens_it() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"0123456789");
    let fd = open(&p, "/tmp/f", O_RDWR, 0);
    assert_eq!(read(&p, fd, 4), b"0123");
    assert_eq!(readlink(&p, &format!("/proc/self/fd/{fd}")).unwrap(), "/tmp/f");
    // A new description: own offset, same file.
    let fd2 = open(&p, &format!("/proc/self/fd/{fd}"), O_RDONLY, 0);
    assert!(fd2 >= 0, "{fd2}");
    assert_eq!(read(&p, fd2, 3), b"012");
    assert_eq!(write(&p, fd, b"XY"), 2);
    assert_eq!(read(&p, fd2, 10), b"3XY6789");
    assert_eq!(fstat(&p, fd2).st_ino, fstat(&p, fd).st_ino);
}

#[test]
fn proc_self_fd_of_a_renamed_file_still_opens_it() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/old", b"data");
    let fd = open(&p, "/tmp/old", O_RDONLY, 0);
    assert_eq!(
        p.sys(SYS_renameat, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/old"), AT_FDCWD as u32 as u64, p.cstr("/tmp/new")]),
        0
    );
    let fd2 = open(&p, &format!("/proc/self/fd/{fd}"), O_RDONLY, 0);
    assert!(fd2 >= 0, "{fd2}");
    assert_eq!(read(&p, fd2, 10), b"data");
}

#[test]
fn proc_self_fd_of_a_pipe_reads_as_pipe_and_opens_the_same_pipe() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = install(&p, Arc::new(Anon), O_RDONLY);
    assert_eq!(readlink(&p, &format!("/proc/self/fd/{fd}")).unwrap(), "pipe:[9]");
    assert_eq!(stat(&p, &format!("/proc/self/fd/{fd}")).unwrap().st_mode & S_IFMT, S_IFIFO);
    let fd2 = open(&p, &format!("/proc/self/fd/{fd}"), O_RDONLY, 0);
    assert!(fd2 >= 0, "{fd2}");
    assert_eq!(read(&p, fd2, 10), b"hi");
    assert_eq!(readlink(&p, &format!("/proc/self/fd/{fd2}")).unwrap(), "pipe:[9]");
    assert_eq!(open(&p, &format!("/proc/self/fd/{fd}"), O_RDONLY | O_NOFOLLOW, 0), errno(ELOOP));
}

#[test]
fn dev_stdin_reaches_fd_0_through_proc() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = install(&p, Arc::new(Anon), O_RDONLY);
    assert_eq!(fd, 0);
    let fd2 = open(&p, "/dev/stdin", O_RDONLY, 0);
    assert!(fd2 >= 0, "{fd2}");
    assert_eq!(read(&p, fd2, 10), b"hi");
}

#[test]
fn fd_listing_through_getdents() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/a", b"");
    let fd = open(&p, "/tmp/a", O_RDONLY, 0);
    let names = getdents(&p, "/proc/self/fd");
    // The directory fd of the listing itself shows up too, as on Linux.
    assert!(names.contains(&fd.to_string()), "{names:?}");
    let info = read_text(&p, &format!("/proc/self/fdinfo/{fd}"));
    assert!(info.starts_with("pos:\t0\nflags:\t0"), "{info}");
    assert!(!info.contains("mnt_id:\t0\n"), "a tmpfs file has a mount id: {info}");
}

#[test]
fn cwd_link_follows_chdir() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(readlink(&p, "/proc/self/cwd").unwrap(), "/");
    assert_eq!(mkdir(&p, "/tmp/work", 0o755), 0);
    assert_eq!(p.sys(SYS_chdir, &[p.cstr("/tmp/work")]), 0);
    assert_eq!(readlink(&p, "/proc/self/cwd").unwrap(), "/tmp/work");
    assert_eq!(readlink(&p, &format!("/proc/{}/root", p.pid)).unwrap(), "/");
    // Following the link lands in the directory.
    assert_eq!(stat(&p, "/proc/self/cwd").unwrap().st_ino, stat(&p, "/tmp/work").unwrap().st_ino);
}

#[test]
fn mounts_come_from_the_mount_table() {
    let h = Harness::new();
    let p = h.process(None);
    let m = read_text(&p, "/proc/mounts");
    assert!(m.lines().any(|l| l.starts_with("rootfs / tmpfs ")), "{m}");
    assert!(m.lines().any(|l| l.starts_with("devtmpfs /dev devtmpfs ")), "{m}");
    assert!(m.lines().any(|l| l.starts_with("proc /proc proc ") && l.ends_with(" 0 0")), "{m}");
    let info = read_text(&p, "/proc/self/mountinfo");
    let proc_line = info.lines().find(|l| l.contains(" /proc ")).unwrap();
    let dev = stat(&p, "/proc").unwrap().st_dev;
    let mm = format!("{}:{}", crate::fs::devices::major(dev), crate::fs::devices::minor(dev));
    assert_eq!(proc_line.split(' ').nth(2).unwrap(), mm, "{proc_line}");
    assert!(proc_line.contains(" - proc proc "), "{proc_line}");
}

#[test]
fn environ_through_open_is_eacces_for_other_users() {
    let h = Harness::new();
    let owner = h.process(None);
    let other = h.process_as(None, Credentials::with_ids(1001, 1001));
    let path = format!("/proc/{}/environ", owner.pid);
    assert_eq!(open(&other, &path, O_RDONLY, 0), errno(EACCES));
    assert!(read_all(&owner, &path).is_ok());
}

#[test]
fn hostname_sysctl_write_through_open() {
    let h = Harness::new();
    let user = h.process(None);
    assert_eq!(open(&user, "/proc/sys/kernel/hostname", O_WRONLY, 0), errno(EACCES));
    let root = h.process_as(None, Credentials::root());
    let fd = open(&root, "/proc/sys/kernel/hostname", O_WRONLY | O_TRUNC, 0);
    assert!(fd >= 0, "{fd}");
    assert_eq!(write(&root, fd, b"pod7\n"), 5);
    close(&root, fd);
    assert_eq!(read_text(&user, "/proc/sys/kernel/hostname"), "pod7\n");
}

#[test]
fn lseek_and_pread_on_proc_files() {
    let h = Harness::new();
    let p = h.process(None);
    let fd = open(&p, "/proc/sys/kernel/ostype", O_RDONLY, 0);
    assert_eq!(read(&p, fd, 3), b"Lin");
    let res = p.alloc(8);
    assert_eq!(p.sys(SYS_lseek, &[fd as u64, 1, 0, u64::from(SEEK_SET), u64::from(res)]), 0);
    assert_eq!(p.read_u64(res), 1);
    assert_eq!(read(&p, fd, 10), b"inux\n");
    let b = p.alloc(8);
    assert_eq!(p.sys(SYS_pread64, &[fd as u64, u64::from(b), 2, 3, 0]), 2);
    assert_eq!(p.read(b, 2), b"ux");
}

#[test]
fn maps_through_open_shows_mmap_regions() {
    let h = Harness::new();
    let p = h.process(None);
    let a = crate::mm::test_util::mmap_anon(&p, 4096) as u64;
    let m = read_text(&p, "/proc/self/maps");
    assert!(m.starts_with(&format!("{:08x}-{:08x} rw-p ", a, a + 4096)), "{m}");
}

#[test]
fn mmap_of_a_tmpfs_file_through_the_vfs() {
    use wasmpod_abi::mman::*;
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/m", b"mapped file");
    let fd = open(&p, "/tmp/m", O_RDWR, 0);
    let a = p.sys(SYS_mmap, &[0, 11, u64::from(PROT_READ | PROT_WRITE), u64::from(MAP_SHARED), fd as u64, 0]);
    assert!(a > 0, "{a}");
    assert_eq!(p.read(a as u32, 11), b"mapped file");
    p.write(a as u32, b"MAPPED");
    assert_eq!(p.sys(SYS_msync, &[a as u64, 4096, u64::from(MS_SYNC)]), 0);
    assert_eq!(read_all(&p, "/tmp/m").unwrap(), b"MAPPED file");
    let maps = read_text(&p, "/proc/self/maps");
    assert!(maps.lines().any(|l| l.contains(" rw-s ") && l.ends_with("/tmp/m")), "{maps}");
    // A directory can't be mapped.
    let d = open(&p, "/tmp", O_RDONLY | O_DIRECTORY, 0);
    assert_eq!(p.sys(SYS_mmap, &[0, 4096, 1, u64::from(MAP_PRIVATE), d as u64, 0]), errno(ENODEV));
}

#[test]
fn threads_show_in_task_and_thread_self() {
    use wasmpod_abi::sched::*;
    let h = Harness::new();
    let p = h.process(None);
    let flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    let tid = p.sys(SYS_clone, &[u64::from(flags), 0x9000, 0, 0, 0]) as i32;
    assert!(tid > p.pid);
    let t = p.as_thread(tid);
    assert_eq!(readlink(&t, "/proc/thread-self").unwrap(), format!("{}/task/{}", p.pid, tid));
    assert_eq!(readlink(&t, "/proc/self").unwrap(), p.pid.to_string());
    let names = getdents(&p, "/proc/self/task");
    assert_eq!(names, vec![".".to_string(), "..".into(), p.pid.to_string(), tid.to_string()]);
    let status = read_text(&t, "/proc/thread-self/status");
    assert!(status.contains(&format!("\nPid:\t{tid}\n")) && status.contains(&format!("\nTgid:\t{}\n", p.pid)));
    assert!(read_text(&p, "/proc/self/status").contains("\nThreads:\t2\n"));
    // A thread id is no entry of /proc's listing, but is reachable, as on Linux.
    assert!(!getdents(&p, "/proc").contains(&tid.to_string()));
    assert!(read_text(&p, &format!("/proc/{tid}/status")).contains(&format!("\nPid:\t{tid}\n")));
}

fn pipe(p: &Proc) -> (i64, i64) {
    let fds = p.alloc(8);
    assert_eq!(p.sys(SYS_pipe2, &[u64::from(fds), 0]), 0);
    (i64::from(p.read_i32(fds)), i64::from(p.read_i32(fds + 4)))
}

#[test]
fn real_pipe_fds_link_as_pipe_and_reopen_to_the_same_pipe() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p);
    let rl = readlink(&p, &format!("/proc/self/fd/{r}")).unwrap();
    assert!(rl.starts_with("pipe:[") && rl.ends_with(']'), "{rl}");
    assert_eq!(readlink(&p, &format!("/proc/self/fd/{w}")).unwrap(), rl, "both ends name one pipe");
    let st = stat(&p, &format!("/proc/self/fd/{r}")).unwrap();
    assert_eq!(st.st_mode & S_IFMT, S_IFIFO);
    assert_eq!(format!("pipe:[{}]", st.st_ino), rl);
    // Writing through a reopened write end reaches the original read end.
    let w2 = open(&p, &format!("/proc/self/fd/{w}"), O_WRONLY, 0);
    assert!(w2 >= 0, "{w2}");
    assert_eq!(write(&p, w2, b"through proc"), 12);
    let r2 = open(&p, &format!("/proc/self/fd/{r}"), O_RDONLY, 0);
    assert!(r2 >= 0, "{r2}");
    assert_eq!(read(&p, r2, 7), b"through");
    assert_eq!(read(&p, r, 10), b" proc");
    let info = read_text(&p, &format!("/proc/self/fdinfo/{r}"));
    assert!(info.starts_with("pos:\t0\nflags:\t00\n"), "{info}");
}

#[test]
fn dev_stdout_on_a_pipe_writes_into_it() {
    let h = Harness::new();
    let p = h.process(None);
    let (r, w) = pipe(&p);
    if w != 1 {
        assert_eq!(p.sys(SYS_dup3, &[w as u64, 1, 0]), 1);
    }
    let out = open(&p, "/dev/stdout", O_WRONLY, 0);
    assert!(out >= 0, "{out}");
    assert_eq!(write(&p, out, b"hello"), 5);
    assert_eq!(read(&p, r, 5), b"hello");
}

#[test]
fn stat_names_the_controlling_terminal_and_foreground_group() {
    use wasmpod_abi::ioctl::{TIOCGPTN, TIOCSPTLCK};
    let h = Harness::new();
    let p = h.process(None);
    let m = open(&p, "/dev/ptmx", O_RDWR | O_NOCTTY, 0);
    assert!(m >= 0, "{m}");
    let arg = p.alloc(4);
    assert_eq!(p.sys(SYS_ioctl, &[m as u64, u64::from(TIOCSPTLCK), u64::from(arg)]), 0);
    assert_eq!(p.sys(SYS_ioctl, &[m as u64, u64::from(TIOCGPTN), u64::from(arg)]), 0);
    let n = p.read_u32(arg);
    let fields = |p: &Proc| -> Vec<String> {
        let t = read_text(p, "/proc/self/stat");
        t[t.rfind(')').unwrap() + 2..].split(' ').map(String::from).collect()
    };
    // Fields 7 and 8 (tty_nr, tpgid) are at 4 and 5 after "(comm)".
    assert_eq!((fields(&p)[4].as_str(), fields(&p)[5].as_str()), ("0", "-1"));
    // A session leader opening the slave gets it as controlling terminal.
    let s = open(&p, &format!("/dev/pts/{n}"), O_RDWR, 0);
    assert!(s >= 0, "{s}");
    let f = fields(&p);
    assert_eq!(f[4], (crate::fs::devices::makedev(136, n) as u32).to_string());
    assert_eq!(f[5], p.pid.to_string());
}
