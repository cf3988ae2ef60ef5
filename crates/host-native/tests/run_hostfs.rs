//! `wasmpod run --root DIR` and `--mount HOST:GUEST[:ro]` end to end: a
//! `cat`-like C program built with `build/toolchain/bin/wasmpod-cc`
//! (skipped, with a message, when the toolchain isn't built), and the
//! command line's answers to bad directories.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `hostcat ARG...`: prints each file named (or `path: error`); `-w PATH
/// TEXT` writes TEXT to PATH; `-l PATH` prints the names in a directory
/// (sorted by the test); `-e` prints `/proc/self/exe`.
const HOSTCAT: &str = r#"#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-w") && i + 2 < argc) {
            const char *path = argv[++i], *text = argv[++i];
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
                printf("%s: %s\n", path, strerror(errno));
            } else {
                printf("wrote %s\n", path);
            }
            if (fd >= 0) close(fd);
        } else if (!strcmp(argv[i], "-l") && i + 1 < argc) {
            DIR *d = opendir(argv[++i]);
            struct dirent *e;
            if (!d) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
            while ((e = readdir(d))) if (e->d_name[0] != '.') printf("entry %s\n", e->d_name);
            closedir(d);
        } else if (!strcmp(argv[i], "-e")) {
            char buf[256];
            ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
            buf[n < 0 ? 0 : n] = 0;
            printf("exe %s\n", buf);
        } else {
            char buf[4096];
            int fd = open(argv[i], O_RDONLY);
            ssize_t n;
            if (fd < 0) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
            while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
            close(fd);
        }
    }
    return 0;
}
"#;

/// Builds `hostcat` once per test binary run (shared by the tests).
fn hostcat() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cc = root().join("build/toolchain/bin/wasmpod-cc");
            if !cc.exists() {
                eprintln!("SKIPPED: {} is missing (run `cargo xtask setup`)", cc.display());
                return None;
            }
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_hostfs");
            std::fs::create_dir_all(&dir).expect("tmp dir");
            let c = dir.join("hostcat.c");
            std::fs::write(&c, HOSTCAT).expect("write source");
            let out = dir.join("hostcat");
            let r = Command::new(&cc).arg("-O1").arg("-o").arg(&out).arg(&c).output().expect("run wasmpod-cc");
            assert!(r.status.success(), "wasmpod-cc failed:\n{}", String::from_utf8_lossy(&r.stderr));
            Some(out)
        })
        .clone()
}

fn wasmpod(args: &[&str]) -> (i32, String, String) {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_hostfs/cache");
    let out = Command::new(env!("CARGO_BIN_EXE_wasmpod"))
        .arg("run")
        .args(args)
        .env("WASMPOD_CACHE_DIR", cache)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("start wasmpod");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn root_dir_runs_its_own_program_with_a_read_only_mount() {
    let Some(prog) = hostcat() else { return };
    let d = tempfile::tempdir().unwrap();
    let rootdir = d.path().join("rootfs");
    for sub in ["bin", "dev", "proc", "tmp", "etc"] {
        std::fs::create_dir_all(rootdir.join(sub)).unwrap();
    }
    std::fs::copy(&prog, rootdir.join("bin/hostcat")).unwrap();
    std::fs::write(rootdir.join("etc/motd"), "motd of the root dir\n").unwrap();
    std::fs::write(d.path().join("outside"), "host secret\n").unwrap();
    let data = d.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("hello.txt"), "hello from a host dir\n").unwrap();
    std::os::unix::fs::symlink(d.path().join("outside"), data.join("escape")).unwrap();

    let mount = format!("{}:/data:ro", s(&data));
    let (code, out, err) = wasmpod(&[
        "--root",
        s(&rootdir),
        "--mount",
        &mount,
        s(&rootdir.join("bin/hostcat")),
        "-e",
        "/etc/motd",
        "/data/hello.txt",
        "-w",
        "/data/new",
        "x",
        "-w",
        "/tmp/out",
        "written in the pod",
        "/../outside",
        "/data/../../outside",
        "/data/escape",
        "/dev/null",
    ]);
    assert_eq!(code, 0, "stdout {out:?} stderr {err:?}");
    let want = "exe /bin/hostcat\n\
                motd of the root dir\n\
                hello from a host dir\n\
                /data/new: Read-only file system\n\
                wrote /tmp/out\n\
                /../outside: No such file or directory\n\
                /data/../../outside: No such file or directory\n\
                /data/escape: No such file or directory\n";
    assert_eq!(out, want, "stderr {err:?}");
    assert_eq!(std::fs::read_to_string(rootdir.join("tmp/out")).unwrap(), "written in the pod");
    assert!(!data.join("new").exists());
    // The mount point was made in the root directory itself.
    assert!(rootdir.join("data").is_dir());
}

#[test]
fn mount_of_a_host_dir_is_read_and_written_by_c_code() {
    let Some(prog) = hostcat() else { return };
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.txt"), "first file\n").unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::fs::write(d.path().join("sub/b.txt"), "second file\n").unwrap();
    // The pod path is made, parents included, on the tmpfs root.
    let mount = format!("{}:/mnt/host/data", s(d.path()));
    // The program's own host directory too: it runs from there, in place.
    let bin = format!("{}:/opt/bin:ro", s(prog.parent().unwrap()));
    let (code, out, err) = wasmpod(&[
        "--mount",
        &mount,
        "--mount",
        &bin,
        s(&prog),
        "-e",
        "/mnt/host/data/a.txt",
        "/mnt/host/data/sub/b.txt",
        "-w",
        "/mnt/host/data/sub/c.txt",
        "from the pod\n",
        "/mnt/host/data/sub/c.txt",
        "-l",
        "/mnt/host/data/sub",
    ]);
    assert_eq!(code, 0, "stdout {out:?} stderr {err:?}");
    let mut lines: Vec<&str> = out.lines().collect();
    let entries: Vec<&str> = {
        let mut e: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("entry ")).collect();
        e.sort();
        e
    };
    lines.retain(|l| !l.starts_with("entry "));
    assert_eq!(
        lines,
        ["exe /opt/bin/hostcat", "first file", "second file", "wrote /mnt/host/data/sub/c.txt", "from the pod"],
        "{err}"
    );
    assert_eq!(entries, ["entry b.txt", "entry c.txt"]);
    assert_eq!(std::fs::read_to_string(d.path().join("sub/c.txt")).unwrap(), "from the pod\n");
}

#[test]
fn bad_directories_are_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("file");
    std::fs::write(&file, "not a dir").unwrap();
    let missing = d.path().join("missing");
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (vec!["--root".into(), s(&missing).into()], 126, "No such file or directory"),
        (vec!["--root".into(), s(&file).into()], 126, "not a directory"),
        (vec!["--mount".into(), format!("{}:/x", s(&missing))], 126, "No such file or directory"),
        (vec!["--mount".into(), format!("{}:/x:ro", s(&file))], 126, "not a directory"),
        (vec!["--mount".into(), format!("{}:relative", s(d.path()))], 2, "must be absolute"),
        (vec!["--mount".into(), format!("{}:/x:rx", s(d.path()))], 2, "expected HOST:GUEST"),
        (vec!["--mount".into(), s(d.path()).into()], 2, "expected HOST:GUEST"),
        (vec!["--mount".into(), format!("{}:/", s(d.path()))], 2, "use --root"),
        (vec!["--mount".into(), format!("{}:/tmp/../x", s(d.path()))], 2, "can't contain .."),
        (vec!["--root".into(), s(d.path()).into(), "--image".into(), s(&file).into()], 2, "exclude"),
    ];
    for (args, want_code, want_msg) in cases {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.push("/bin/true");
        let (code, out, err) = wasmpod(&a);
        assert_eq!(code, want_code, "{args:?}: stdout {out:?} stderr {err:?}");
        let first = err.lines().next().unwrap_or_default();
        assert!(first.starts_with("wasmpod run: ") && first.contains(want_msg), "{args:?}: {err:?}");
        if want_code == 126 {
            assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        }
    }
    // A mount on a pod path under a file: a clear error, not a crash.
    let (code, _, err) = wasmpod(&["--mount", &format!("{}:/dev/null/x", s(d.path())), "/bin/true"]);
    assert_eq!(code, 126, "{err}");
    assert!(err.starts_with("wasmpod run: --mount") && err.lines().count() == 1, "{err:?}");
}
