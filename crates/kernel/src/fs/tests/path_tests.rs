use wasmpod_abi::fcntl::*;
use wasmpod_abi::fs::*;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::Harness;

#[test]
fn initial_tree_has_standard_directories() {
    let h = Harness::new();
    let p = h.process(None);
    let tmp = stat(&p, "/tmp").expect("/tmp");
    assert_eq!(tmp.st_mode, S_IFDIR | 0o1777);
    let home = stat(&p, "/home/user").expect("/home/user");
    assert_eq!((home.st_uid, home.st_gid), (1000, 1000));
    assert_eq!(stat(&p, "/root").expect("/root").st_mode, S_IFDIR | 0o700);
    assert!(stat(&p, "/dev").is_ok());
    assert!(stat(&p, "/proc").is_ok());
}

#[test]
fn dev_is_a_separate_mount_with_its_own_st_dev() {
    let h = Harness::new();
    let p = h.process(None);
    let root = stat(&p, "/").expect("/");
    let dev = stat(&p, "/dev").expect("/dev");
    let null = stat(&p, "/dev/null").expect("/dev/null");
    assert_ne!(root.st_dev, dev.st_dev);
    assert_eq!(dev.st_dev, null.st_dev);
}

#[test]
fn dotdot_at_mount_root_climbs_to_parent_mount() {
    let h = Harness::new();
    let p = h.process(None);
    let tmp = stat(&p, "/tmp").expect("/tmp");
    let via = stat(&p, "/dev/../tmp").expect("via /dev/..");
    assert_eq!((tmp.st_dev, tmp.st_ino), (via.st_dev, via.st_ino));
    assert_eq!(chdir(&p, "/dev"), 0);
    assert_eq!(chdir(&p, ".."), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/"));
}

#[test]
fn dotdot_of_root_is_root() {
    let h = Harness::new();
    let p = h.process(None);
    let root = stat(&p, "/").expect("/");
    let up = stat(&p, "/../../..").expect("/..");
    assert_eq!((root.st_dev, root.st_ino), (up.st_dev, up.st_ino));
    assert!(stat(&p, "/../tmp").is_ok());
}

#[test]
fn repeated_slashes_and_dots_are_ignored() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"x");
    assert_eq!(get(&p, "//tmp///./f"), b"x");
    assert_eq!(get(&p, "/tmp/../tmp/./f"), b"x");
}

#[test]
fn empty_path_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(open(&p, "", O_RDONLY, 0), errno(ENOENT));
    assert_eq!(stat(&p, "").unwrap_err(), errno(ENOENT));
}

#[test]
fn empty_path_with_at_empty_path_stats_the_fd() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"abc");
    let fd = open(&p, "/tmp/f", O_RDONLY, 0);
    let buf = p.alloc(128);
    let r = p
        .sys(wasmpod_abi::syscalls::SYS_newfstatat, &[fd as u64, p.cstr(""), u64::from(buf), u64::from(AT_EMPTY_PATH)]);
    assert_eq!(r, 0);
    assert_eq!(p.read_struct::<stat>(buf).st_size, 3);
}

#[test]
fn trailing_slash_on_file_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(open(&p, "/tmp/f/", O_RDONLY, 0), errno(ENOTDIR));
    assert_eq!(stat(&p, "/tmp/f/").unwrap_err(), errno(ENOTDIR));
    assert!(stat(&p, "/tmp/").is_ok());
}

#[test]
fn trailing_slash_follows_symlink_to_directory() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    symlink(&p, "d", "/tmp/dl");
    assert_eq!(lstat(&p, "/tmp/dl").expect("lstat").st_mode & S_IFMT, S_IFLNK);
    assert_eq!(lstat(&p, "/tmp/dl/").expect("lstat/").st_mode & S_IFMT, S_IFDIR);
}

#[test]
fn file_as_path_component_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(open(&p, "/tmp/f/x", O_RDONLY, 0), errno(ENOTDIR));
    assert_eq!(open(&p, "/tmp/f/x", O_RDONLY | O_CREAT, 0o644), errno(ENOTDIR));
}

#[test]
fn component_longer_than_name_max_is_enametoolong() {
    let h = Harness::new();
    let p = h.process(None);
    let long = format!("/tmp/{}", "a".repeat(256));
    assert_eq!(open(&p, &long, O_RDONLY | O_CREAT, 0o644), errno(ENAMETOOLONG));
    let ok = format!("/tmp/{}", "a".repeat(255));
    assert!(open(&p, &ok, O_RDONLY | O_CREAT, 0o644) >= 0);
}

#[test]
fn path_of_path_max_bytes_is_enametoolong() {
    let h = Harness::new();
    let p = h.process(None);
    let long = format!("/tmp/{}", "a/".repeat(2046));
    assert!(long.len() >= PATH_MAX);
    assert_eq!(open(&p, &long, O_RDONLY, 0), errno(ENAMETOOLONG));
}

#[test]
fn relative_and_absolute_symlinks_resolve() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    put(&p, "/tmp/a/f", b"A");
    symlink(&p, "a/f", "/tmp/rel");
    symlink(&p, "/tmp/a/f", "/tmp/abs");
    symlink(&p, "../a/f", "/tmp/a/up");
    assert_eq!(get(&p, "/tmp/rel"), b"A");
    assert_eq!(get(&p, "/tmp/abs"), b"A");
    assert_eq!(get(&p, "/tmp/a/up"), b"A");
}

#[test]
fn symlink_loop_is_eloop() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "/tmp/b", "/tmp/a");
    symlink(&p, "/tmp/a", "/tmp/b");
    assert_eq!(open(&p, "/tmp/a", O_RDONLY, 0), errno(ELOOP));
    assert_eq!(stat(&p, "/tmp/a/x").unwrap_err(), errno(ELOOP));
}

#[test]
fn chain_of_40_symlinks_resolves_but_41_is_eloop() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/l0", b"end");
    for i in 1..=41 {
        assert_eq!(symlink(&p, &format!("l{}", i - 1), &format!("/tmp/l{i}")), 0);
    }
    assert_eq!(get(&p, "/tmp/l40"), b"end");
    assert_eq!(open(&p, "/tmp/l41", O_RDONLY, 0), errno(ELOOP));
}

#[test]
fn dangling_symlink_is_enoent_but_lstat_works() {
    let h = Harness::new();
    let p = h.process(None);
    symlink(&p, "/nowhere", "/tmp/dang");
    assert_eq!(stat(&p, "/tmp/dang").unwrap_err(), errno(ENOENT));
    let st = lstat(&p, "/tmp/dang").expect("lstat");
    assert_eq!(st.st_mode, S_IFLNK | 0o777);
    assert_eq!(st.st_size, 8);
}

#[test]
fn dotdot_after_symlink_is_physical() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/real", 0o755);
    mkdir(&p, "/tmp/real/sub", 0o755);
    put(&p, "/tmp/real/marker", b"m");
    symlink(&p, "/tmp/real/sub", "/tmp/link");
    // link/.. is /tmp/real, not /tmp.
    assert_eq!(get(&p, "/tmp/link/../marker"), b"m");
}

#[test]
fn search_permission_needed_on_every_directory() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    mkdir(&p, "/tmp/a/b", 0o755);
    put(&p, "/tmp/a/b/f", b"");
    assert_eq!(p.sys(wasmpod_abi::syscalls::SYS_fchmodat, &[AT_FDCWD as u32 as u64, p.cstr("/tmp/a"), 0o644]), 0);
    assert_eq!(stat(&p, "/tmp/a/b/f").unwrap_err(), errno(EACCES));
    // Root searches anyway.
    let r = h.process_as(None, Credentials::root());
    assert!(stat(&r, "/tmp/a/b/f").is_ok());
}

#[test]
fn lookup_path_follows_and_checks_like_open() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/exe", b"\0asm");
    symlink(&p, "/tmp/exe", "/tmp/exe-link");
    let mut mem = p.mem.clone();
    let r = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let a = crate::fs::lookup_path(ctx, AT_FDCWD, b"/tmp/exe-link", true)?;
        let m = a.metadata(ctx)?;
        let b = crate::fs::lookup_path(ctx, AT_FDCWD, b"/tmp/exe-link", false)?;
        let n = b.metadata(ctx)?;
        let abs = crate::fs::absolute_path(ctx, AT_FDCWD, b"/tmp/../tmp/exe-link")?;
        Ok::<_, crate::Error>((m.mode & S_IFMT, n.mode & S_IFMT, abs))
    });
    assert_eq!(r.expect("lookups"), (S_IFREG, S_IFLNK, b"/tmp/exe".to_vec()));
}

#[test]
fn open_path_returns_description_without_fd() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"data");
    let mut mem = p.mem.clone();
    let n = h.kernel.with_ctx(p.tid, &mut mem, |ctx| {
        let f = crate::fs::open_path(ctx, AT_FDCWD, b"/tmp/f", O_RDONLY, 0)?;
        let mut buf = [0u8; 8];
        let n = f.ops.read(ctx, &f, &mut buf)?;
        Ok::<_, crate::Error>((n, ctx.process().files.count(), f.path.clone()))
    });
    assert_eq!(n.expect("open_path"), (4, 0, b"/tmp/f".to_vec()));
}

#[test]
fn o_path_directory_fd_works_as_dirfd() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    put(&p, "/tmp/d/f", b"via O_PATH");
    let dfd = open(&p, "/tmp/d", O_PATH | O_DIRECTORY, 0);
    assert!(dfd >= 0);
    let fd = p.sys(wasmpod_abi::syscalls::SYS_openat, &[dfd as u64, p.cstr("f"), 0, 0]);
    assert_eq!(read(&p, fd, 32), b"via O_PATH");
    // getdents needs a real open.
    let b = p.alloc(256);
    assert_eq!(p.sys(wasmpod_abi::syscalls::SYS_getdents64, &[dfd as u64, u64::from(b), 256]), errno(EBADF));
}

#[test]
fn o_path_ignores_other_flags() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"keep");
    let fd = open(&p, "/tmp/f", O_PATH | O_TRUNC | O_WRONLY, 0);
    assert!(fd >= 0);
    assert_eq!(get(&p, "/tmp/f"), b"keep");
}

#[test]
fn dotdot_from_a_file_component_is_enotdir() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(stat(&p, "/tmp/f/..").unwrap_err(), errno(ENOTDIR));
    assert_eq!(stat(&p, "/tmp/f/.").unwrap_err(), errno(ENOTDIR));
}

#[test]
fn relative_path_resolves_from_cwd_after_chdir_to_mount() {
    let h = Harness::new();
    let p = h.process(None);
    chdir(&p, "/dev");
    let fd = open(&p, "null", O_WRONLY, 0);
    assert!(fd >= 0);
    assert!(stat(&p, "../tmp").is_ok());
}

#[test]
fn sticky_tmp_forbids_replacing_others_file_by_rename() {
    let h = Harness::new();
    let owner = h.process(None);
    put(&owner, "/tmp/theirs", b"");
    let other = h.process_as(None, Credentials::with_ids(1001, 1001));
    put(&other, "/tmp/mine", b"");
    assert_eq!(rename(&other, "/tmp/mine", "/tmp/theirs"), errno(EPERM));
}

#[test]
fn dev_shm_is_world_writable_and_sticky() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(stat(&p, "/dev/shm").expect("shm").st_mode, S_IFDIR | 0o1777);
    put(&p, "/dev/shm/seg", b"shared");
    assert_eq!(get(&p, "/dev/shm/seg"), b"shared");
}

#[test]
fn fs_global_new_at_stamps_boot_tree() {
    let t = crate::fs::Timespec { sec: 1_767_225_600, nsec: 5 };
    let fs = crate::fs::FsGlobal::new_at(t);
    let h = Harness::new();
    h.kernel.with_state(|st| st.fs = fs);
    let p = h.process(None);
    for path in ["/", "/tmp", "/home/user", "/dev", "/dev/null"] {
        let st = stat(&p, path).expect(path);
        assert_eq!((st.st_mtime_sec, st.st_ctime_sec, st.st_atime_nsec), (t.sec, t.sec, 5), "{path}");
    }
}

#[test]
fn dev_stdout_with_o_creat_reaches_fd_1_file() {
    let h = Harness::new();
    let p = h.process(None);
    let f0 = open(&p, "/dev/null", O_RDONLY, 0);
    let f1 = open(&p, "/tmp/out", O_WRONLY | O_CREAT, 0o644);
    assert_eq!((f0, f1), (0, 1));
    // What a shell does for `echo hi > /dev/stdout`.
    let fd = open(&p, "/dev/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o666);
    assert!(fd >= 0, "{fd}");
    assert_eq!(write(&p, fd, b"hi\n"), 3);
    assert_eq!(get(&p, "/tmp/out"), b"hi\n");
}

#[test]
fn dev_stdout_reaches_a_pipe_on_fd_1() {
    let h = Harness::new();
    let p = h.process(None);
    let fds = p.alloc(8);
    assert_eq!(p.sys(wasmpod_abi::syscalls::SYS_pipe2, &[u64::from(fds), 0]), 0);
    let (r, w) = (p.read_i32(fds), p.read_i32(fds + 4));
    assert_eq!((r, w), (0, 1));
    let fd = open(&p, "/dev/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o666);
    assert!(fd >= 0, "{fd}");
    assert_eq!(write(&p, fd, b"piped"), 5);
    assert_eq!(read(&p, 0, 16), b"piped");
}

#[test]
fn proc_self_cwd_reads_the_cwd() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/here", 0o755);
    chdir(&p, "/tmp/here");
    let b = p.alloc(64);
    let n = p.sys(
        wasmpod_abi::syscalls::SYS_readlinkat,
        &[AT_FDCWD as u32 as u64, p.cstr("/proc/self/cwd"), u64::from(b), 64],
    );
    assert_eq!(p.read(b, n.max(0) as usize), b"/tmp/here");
    // And it can be walked through.
    put(&p, "/tmp/here/f", b"x");
    assert_eq!(get(&p, "/proc/self/cwd/f"), b"x");
}

#[test]
fn host_context_without_process_can_look_up_and_open() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"host");
    let mut mem = crate::platform::NoUserMemory;
    let r = h.kernel.with_ctx(0, &mut mem, |ctx| {
        let f = crate::fs::open_path(ctx, AT_FDCWD, b"tmp/f", O_RDONLY, 0)?;
        let mut buf = [0u8; 8];
        let n = f.ops.read(ctx, &f, &mut buf)?;
        let made = crate::fs::open_path(ctx, AT_FDCWD, b"/root/by-host", O_WRONLY | O_CREAT, 0o666)?;
        let m = made.ops.metadata(ctx)?;
        Ok::<_, crate::Error>((buf[..n].to_vec(), m.uid, m.mode & 0o777))
    });
    assert_eq!(r.expect("host open"), (b"host".to_vec(), 0, 0o644));
}
