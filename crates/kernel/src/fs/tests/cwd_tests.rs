use wasmpod_abi::fcntl::*;
use wasmpod_abi::syscalls::*;
use wasmpod_abi::Errno::*;

use crate::fs::open::test_util::*;
use crate::process::Credentials;
use crate::testing::Harness;

#[test]
fn cwd_starts_at_root() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(getcwd(&p).as_deref(), Ok("/"));
}

#[test]
fn chdir_then_relative_paths_resolve_from_cwd() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/work", 0o755);
    assert_eq!(chdir(&p, "/tmp/work"), 0);
    put(&p, "rel", b"r");
    assert_eq!(get(&p, "/tmp/work/rel"), b"r");
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp/work"));
}

#[test]
fn chdir_errors() {
    let h = Harness::new();
    let p = h.process(None);
    put(&p, "/tmp/f", b"");
    assert_eq!(chdir(&p, "/tmp/f"), errno(ENOTDIR));
    assert_eq!(chdir(&p, "/tmp/none"), errno(ENOENT));
    assert_eq!(chdir(&p, "/root"), errno(EACCES));
    mkdir(&p, "/tmp/noexec", 0o600);
    assert_eq!(chdir(&p, "/tmp/noexec"), errno(EACCES));
}

#[test]
fn getcwd_after_chdir_into_symlinked_dir_shows_real_path() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/real", 0o755);
    symlink(&p, "/tmp/real", "/tmp/link");
    assert_eq!(chdir(&p, "/tmp/link"), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp/real"));
    assert_eq!(chdir(&p, ".."), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp"));
}

#[test]
fn getcwd_follows_renames_of_ancestors() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/a", 0o755);
    mkdir(&p, "/tmp/a/b", 0o755);
    chdir(&p, "/tmp/a/b");
    assert_eq!(rename(&p, "/tmp/a", "/tmp/z"), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp/z/b"));
}

#[test]
fn getcwd_of_removed_directory_is_enoent() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/gone", 0o755);
    chdir(&p, "/tmp/gone");
    assert_eq!(rmdir(&p, "/tmp/gone"), 0);
    assert_eq!(getcwd(&p).unwrap_err(), errno(ENOENT));
    // Creating in a removed directory fails too.
    assert!(open(&p, "x", O_WRONLY | O_CREAT, 0o644) < 0);
}

#[test]
fn getcwd_small_buffer_is_erange_and_returns_length_with_nul() {
    let h = Harness::new();
    let p = h.process(None);
    chdir(&p, "/tmp");
    let b = p.alloc(16);
    assert_eq!(p.sys(SYS_getcwd, &[u64::from(b), 4]), errno(ERANGE));
    assert_eq!(p.sys(SYS_getcwd, &[u64::from(b), 5]), 5);
    assert_eq!(p.read(b, 5), b"/tmp\0");
}

#[test]
fn fchdir_to_directory_fd() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    let fd = open(&p, "/tmp/d", O_RDONLY | O_DIRECTORY, 0);
    assert_eq!(p.sys(SYS_fchdir, &[fd as u64]), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp/d"));
    put(&p, "/tmp/f", b"");
    let ffd = open(&p, "/tmp/f", O_RDONLY, 0);
    assert_eq!(p.sys(SYS_fchdir, &[ffd as u64]), errno(ENOTDIR));
    assert_eq!(p.sys(SYS_fchdir, &[55]), errno(EBADF));
}

#[test]
fn getcwd_inside_dev_mount() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(chdir(&p, "/dev/pts"), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/dev/pts"));
    assert_eq!(chdir(&p, "../.."), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/"));
}

#[test]
fn child_process_inherits_cwd() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/d", 0o755);
    chdir(&p, "/tmp/d");
    let c = h.process(Some(&p));
    assert_eq!(getcwd(&c).as_deref(), Ok("/tmp/d"));
    // Independent afterwards.
    chdir(&c, "/");
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp/d"));
}

#[test]
fn chroot_needs_root() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(p.sys(SYS_chroot, &[p.cstr("/tmp")]), errno(EPERM));
}

#[test]
fn chroot_confines_absolute_paths_and_dotdot() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/jail", 0o755);
    put(&r, "/tmp/jail/inside", b"in");
    put(&r, "/tmp/outside", b"out");
    assert_eq!(r.sys(SYS_chroot, &[r.cstr("/tmp/jail")]), 0);
    assert_eq!(chdir(&r, "/"), 0);
    assert_eq!(get(&r, "/inside"), b"in");
    assert_eq!(open(&r, "/../outside", O_RDONLY, 0), errno(ENOENT));
    assert_eq!(getcwd(&r).as_deref(), Ok("/"));
}

#[test]
fn getcwd_outside_chroot_is_unreachable() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/jail", 0o755);
    chdir(&r, "/tmp");
    r.sys(SYS_chroot, &[r.cstr("/tmp/jail")]);
    assert!(getcwd(&r).expect("getcwd").starts_with("(unreachable)"));
}

#[test]
fn mount_crossing_both_ways_keeps_st_dev_straight() {
    let h = Harness::new();
    let p = h.process(None);
    let slash = stat(&p, "/").expect("/");
    let dev_dir = stat(&p, "/dev").expect("/dev");
    let dot = stat(&p, "/dev/.").expect("/dev/.");
    let up = stat(&p, "/dev/..").expect("/dev/..");
    assert_eq!(dev_dir.st_ino, dot.st_ino);
    assert_eq!((up.st_dev, up.st_ino), (slash.st_dev, slash.st_ino));
}

#[test]
fn mount_list_names_initial_mounts() {
    let h = Harness::new();
    let list = h.kernel.with_state(|st| st.fs.mount_list());
    let paths: Vec<_> = list.iter().map(|m| String::from_utf8_lossy(&m.path).into_owned()).collect();
    assert_eq!(paths[0], "/");
    assert!(paths.iter().any(|p| p == "/dev"));
    assert_eq!(list[0].fs_type, "tmpfs");
}

#[test]
fn mount_at_stacks_new_filesystem_and_hides_old_contents() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/mnt", 0o755);
    put(&p, "/tmp/mnt/hidden", b"");
    let mut mem = p.mem.clone();
    h.kernel
        .with_ctx(p.tid, &mut mem, |ctx| {
            let root = crate::fs::tmpfs::TmpFs::new_root(0o777, 0, 0);
            crate::fs::mount_at(ctx, b"/tmp/mnt", root, "tmpfs", "tmpfs", "rw")
        })
        .expect("mount");
    assert_eq!(stat(&p, "/tmp/mnt/hidden").unwrap_err(), errno(ENOENT));
    put(&p, "/tmp/mnt/new", b"n");
    assert_ne!(stat(&p, "/tmp/mnt").expect("mnt").st_dev, stat(&p, "/tmp").expect("tmp").st_dev);
    assert_eq!(stat(&p, "/tmp/mnt/..").expect("..").st_ino, stat(&p, "/tmp").expect("tmp").st_ino);
    assert_eq!(chdir(&p, "/tmp/mnt"), 0);
    assert_eq!(getcwd(&p).as_deref(), Ok("/tmp/mnt"));
    assert_eq!(unlink(&p, "/tmp/mnt/new"), 0);
    assert_eq!(rmdir(&p, "/tmp/mnt"), errno(EBUSY));
}

fn mount(p: &crate::testing::Proc, fstype: &str, target: &str, flags: u32) -> i64 {
    p.sys(SYS_mount, &[p.cstr("none"), p.cstr(target), p.cstr(fstype), u64::from(flags), 0])
}

fn umount(p: &crate::testing::Proc, target: &str, flags: u32) -> i64 {
    p.sys(SYS_umount2, &[p.cstr(target), u64::from(flags)])
}

#[test]
fn mount_tmpfs_and_umount() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/m", 0o755);
    put(&r, "/tmp/m/under", b"");
    assert_eq!(mount(&r, "tmpfs", "/tmp/m", 0), 0);
    let st = stat(&r, "/tmp/m").expect("m");
    assert_eq!(st.st_mode & 0o7777, 0o1777);
    assert_eq!(stat(&r, "/tmp/m/under").unwrap_err(), errno(ENOENT));
    put(&r, "/tmp/m/over", b"");
    assert_eq!(umount(&r, "/tmp/m", 0), 0);
    assert!(stat(&r, "/tmp/m/under").is_ok());
    assert_eq!(stat(&r, "/tmp/m/over").unwrap_err(), errno(ENOENT));
}

#[test]
fn mount_devtmpfs_has_the_device_nodes() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/d", 0o755);
    assert_eq!(stat(&r, "/tmp/d/null").unwrap_err(), errno(ENOENT));
    assert_eq!(mount(&r, "devtmpfs", "/tmp/d", 0), 0);
    let st = stat(&r, "/tmp/d/null").expect("null");
    assert_eq!(st.st_mode & wasmpod_abi::fs::S_IFMT, wasmpod_abi::fs::S_IFCHR);
    let fd = open(&r, "/tmp/d/zero", O_RDONLY, 0);
    assert!(fd >= 0);
    close(&r, fd);
    assert!(stat(&r, "/tmp/d/pts").is_ok());
    assert_eq!(umount(&r, "/tmp/d", 0), 0);
}

#[test]
fn mount_needs_root_and_known_type() {
    let h = Harness::new();
    let p = h.process(None);
    assert_eq!(mount(&p, "tmpfs", "/tmp", 0), errno(EPERM));
    let r = h.process_as(None, Credentials::root());
    assert_eq!(mount(&r, "ext9", "/tmp", 0), errno(ENODEV));
    assert_eq!(mount(&r, "tmpfs", "/tmp", wasmpod_abi::fs::MS_BIND), errno(EINVAL));
    put(&r, "/tmp/f", b"");
    assert_eq!(mount(&r, "tmpfs", "/tmp/f", 0), errno(ENOTDIR));
}

#[test]
fn umount_busy_or_not_a_mount() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/m", 0o755);
    assert_eq!(umount(&r, "/tmp/m", 0), errno(EINVAL));
    mount(&r, "tmpfs", "/tmp/m", 0);
    let fd = open(&r, "/tmp/m", O_RDONLY, 0);
    assert_eq!(umount(&r, "/tmp/m", 0), errno(EBUSY));
    close(&r, fd);
    chdir(&r, "/tmp/m");
    assert_eq!(umount(&r, "/tmp/m", 0), errno(EBUSY));
    chdir(&r, "/");
    assert_eq!(umount(&r, "/tmp/m", 0), 0);
    assert_eq!(umount(&r, "/", 0), errno(EBUSY));
    assert_eq!(umount(&r, "/tmp", 0x100), errno(EINVAL));
}

#[test]
fn mounts_show_in_mount_list_with_options() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/m", 0o755);
    mount(&r, "tmpfs", "/tmp/m", wasmpod_abi::fs::MS_NOSUID | wasmpod_abi::fs::MS_RDONLY);
    let list = h.kernel.with_state(|st| st.fs.mount_list());
    let m = list.iter().find(|m| m.path == b"/tmp/m").expect("listed");
    assert_eq!(m.fs_type, "tmpfs");
    assert_eq!(m.options, "ro,nosuid");
}

#[test]
fn process_cwd_path_of_another_process() {
    let h = Harness::new();
    let p = h.process(None);
    mkdir(&p, "/tmp/w", 0o755);
    chdir(&p, "/tmp/w");
    let q = h.process(None);
    let mut mem = q.mem.clone();
    let path = h.kernel.with_ctx(q.tid, &mut mem, |ctx| crate::fs::process_cwd_path(ctx, p.pid));
    assert_eq!(path.expect("cwd"), b"/tmp/w");
}

#[test]
fn read_only_mount_refuses_changes_with_erofs() {
    let h = Harness::new();
    let r = h.process_as(None, Credentials::root());
    mkdir(&r, "/tmp/m", 0o755);
    assert_eq!(mount(&r, "tmpfs", "/tmp/m", wasmpod_abi::fs::MS_RDONLY), 0);
    assert_eq!(open(&r, "/tmp/m/f", O_WRONLY | O_CREAT, 0o644), errno(EROFS));
    assert_eq!(mkdir(&r, "/tmp/m/d", 0o755), errno(EROFS));
    assert_eq!(symlink(&r, "x", "/tmp/m/l"), errno(EROFS));
    assert_eq!(p_chmod(&r, "/tmp/m", 0o700), errno(EROFS));
    assert_eq!(unlink(&r, "/tmp/m/none"), errno(EROFS));
    assert_eq!(mkdir(&r, "/tmp/m/.", 0o755), errno(EEXIST));
    let at = AT_FDCWD as u32 as u64;
    assert_eq!(r.sys(SYS_faccessat, &[at, r.cstr("/tmp/m"), u64::from(W_OK)]), errno(EROFS));
    assert_eq!(r.sys(SYS_faccessat, &[at, r.cstr("/tmp/m"), u64::from(R_OK)]), 0);
    assert!(open(&r, "/tmp/m", O_RDONLY, 0) >= 0);
}

fn p_chmod(p: &crate::testing::Proc, path: &str, mode: u32) -> i64 {
    p.sys(SYS_fchmodat, &[AT_FDCWD as u32 as u64, p.cstr(path), u64::from(mode)])
}
