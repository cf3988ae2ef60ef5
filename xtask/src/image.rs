//! The root image `build/images/rootfs.ext2`: a staging tree assembled from
//! `images/rootfs/` (our FHS files), `images/init/init.c` (built with
//! wasmpod-cc as `/sbin/init`), each wasm port's stage
//! (`build/ports/<name>-wasm/stage`), and busybox's applet links, then
//! `wasmpod image build --owner 0:0 --spec images/rootfs.spec`.
//!
//! - `images/rootfs/` holds `.keep` files so git keeps its empty
//!   directories; they are not copied.
//! - The applet links are made here, in the staging tree (relative
//!   symlinks to `/bin/busybox`, at the path busybox's own `busybox.links`
//!   lists for each applet: the port's `/usr/share/busybox/applets`, else
//!   its build tree's `busybox.links`, else `busybox --list-full` run in
//!   the pod); an applet path a port already installed is left alone.
//! - Owners and modes do not depend on the host user: everything is
//!   root:root except what `images/rootfs.spec` says (`/home/user` is
//!   1000:1000, `/tmp` 1777, …).
//! - The image is written to `rootfs.ext2.tmp` and renamed, so a failed
//!   build never leaves a half image where `wasmpod run`/`serve` would
//!   pick it up.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{repo_root, run, step};

/// Free space the image gets on top of its contents (a sparse file: the
/// room costs nothing on disk, and in the browser it is never fetched).
const HEADROOM: u64 = 256 << 20;

/// Copies `from` into `to` (merging directories, replacing files; symlinks
/// copied as symlinks; `.keep` files skipped).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    fs::create_dir_all(to).map_err(|e| err(to, e))?;
    let mut entries: Vec<_> =
        fs::read_dir(from).map_err(|e| err(from, e))?.collect::<Result<_, _>>().map_err(|e| err(from, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name == ".keep" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ft = e.file_type().map_err(|e| err(&src, e))?;
        if ft.is_dir() {
            copy_tree(&src, &dst)?;
            let mode = fs::metadata(&src).map_err(|e| err(&src, e))?.permissions().mode();
            fs::set_permissions(&dst, fs::Permissions::from_mode(mode)).map_err(|e| err(&dst, e))?;
            continue;
        }
        if fs::symlink_metadata(&dst).is_ok() {
            fs::remove_file(&dst).map_err(|e| err(&dst, e))?;
        }
        if ft.is_symlink() {
            let target = fs::read_link(&src).map_err(|e| err(&src, e))?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| err(&dst, e))?;
        } else {
            fs::copy(&src, &dst).map_err(|e| err(&src, e))?;
        }
    }
    Ok(())
}

/// The relative link target from `link` (an absolute pod path) to `target`.
fn relative_target(link: &str, target: &str) -> String {
    let depth = link.trim_start_matches('/').matches('/').count();
    format!("{}{}", "../".repeat(depth), target.trim_start_matches('/'))
}

/// Makes the busybox applet links listed in `links` (one absolute path per
/// line) in `stage`, pointing at `/bin/busybox`; returns how many it made.
fn applet_links(stage: &Path, links: &str) -> Result<usize, String> {
    let mut made = 0;
    for line in links.lines().map(str::trim).filter(|l| l.starts_with('/')) {
        if line == "/bin/busybox" || line.split('/').any(|c| c == "..") {
            continue;
        }
        let path = stage.join(line.trim_start_matches('/'));
        if fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::os::unix::fs::symlink(relative_target(line, "/bin/busybox"), &path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        made += 1;
    }
    Ok(made)
}

/// Assembles the staging tree in `stage` from the port stages `ports`
/// (plus `extra` trees, copied last) and builds `out` with `wasmpod`.
pub fn build_image(wasmpod: &Path, ports: &[PathBuf], extra: &[PathBuf], out: &Path) -> Result<(), String> {
    let root = repo_root();
    let stage = root.join("target/image-stage");
    step(&format!("root image: staging tree {}", stage.display()));
    if stage.exists() {
        fs::remove_dir_all(&stage).map_err(|e| format!("{}: {e}", stage.display()))?;
    }
    copy_tree(&root.join("images/rootfs"), &stage)?;
    for tree in ports.iter().chain(extra) {
        if !tree.is_dir() {
            return Err(format!("{}: not a directory", tree.display()));
        }
        println!("  + {}", tree.display());
        copy_tree(tree, &stage)?;
    }
    let sbin = stage.join("sbin");
    fs::create_dir_all(&sbin).map_err(|e| format!("{}: {e}", sbin.display()))?;
    run(Command::new(root.join("build/toolchain/bin/wasmpod-cc"))
        .args(["-O2", "-Wall", "-Werror", "-o"])
        .arg(sbin.join("init"))
        .arg(root.join("images/init/init.c")))?;
    if stage.join("bin/busybox").is_file() {
        let lists = [stage.join("usr/share/busybox/applets"), root.join("build/ports/busybox-wasm/src/busybox.links")];
        let links = match lists.iter().find_map(|l| fs::read_to_string(l).ok()) {
            Some(t) => t,
            None => busybox_list(wasmpod, &stage)?,
        };
        let n = applet_links(&stage, &links)?;
        println!("  busybox: {n} applet links");
    } else {
        println!("  (no /bin/busybox in the ports: the image has no shell)");
    }
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let size = tree_bytes(&stage)? + HEADROOM;
    let tmp = out.with_extension("ext2.tmp");
    step(&format!("root image: {}", out.display()));
    run(Command::new(wasmpod)
        .args(["image", "build"])
        .arg(&stage)
        .arg("-o")
        .arg(&tmp)
        .args(["--owner", "0:0", "--spec"])
        .arg(root.join("images/rootfs.spec"))
        .args(["--size", &format!("{}M", size.div_ceil(1 << 20))]))?;
    fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("root image: {} ({} MiB)", out.display(), size >> 20);
    Ok(())
}

/// `busybox --list-full` run in the staging tree (when the build tree's
/// `busybox.links` is not at hand).
fn busybox_list(wasmpod: &Path, stage: &Path) -> Result<String, String> {
    let out = Command::new(wasmpod)
        .args(["run", "--root"])
        .arg(stage)
        .args(["/bin/busybox", "--list-full"])
        .output()
        .map_err(|e| format!("wasmpod run busybox --list-full: {e}"))?;
    if !out.status.success() {
        return Err(format!("busybox --list-full failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(|l| format!("/{l}\n")).collect())
}

/// Bytes of the regular files under `dir`, rounded up to 4 KiB each.
fn tree_bytes(dir: &Path) -> Result<u64, String> {
    let mut total = 0;
    for e in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let md = fs::symlink_metadata(e.path()).map_err(|err| format!("{}: {err}", e.path().display()))?;
        total += if md.is_dir() { tree_bytes(&e.path())? + 4096 } else { md.len().div_ceil(4096) * 4096 };
    }
    Ok(total)
}

/// One check of the built image: `wasmpod run ARGS` with `stdin`; each
/// `want` text must appear in a line of the output (and the output equal
/// `exact` when given), and the exit status must be `status`.
struct Check<'a> {
    name: &'a str,
    args: Vec<String>,
    stdin: &'a str,
    want: &'a [&'a str],
    exact: Option<&'a str>,
    status: i32,
}

fn run_check(wasmpod: &Path, image: &Path, c: &Check) -> Result<(), String> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(wasmpod)
        .arg("run")
        .args(&c.args)
        .env("WASMPOD_IMAGE", image)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", wasmpod.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    stdin.write_all(c.stdin.as_bytes()).map_err(|e| format!("{}: writing stdin: {e}", c.name))?;
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| format!("{}: {e}", c.name))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut problems = Vec::new();
    if out.status.code() != Some(c.status) {
        problems.push(format!("exit status {:?}, want {}", out.status.code(), c.status));
    }
    if let Some(exact) = c.exact {
        if stdout != exact {
            problems.push(format!("stdout {stdout:?}, want exactly {exact:?}"));
        }
    }
    for w in c.want {
        if !stdout.lines().any(|l| l.contains(w)) {
            problems.push(format!("no line with {w:?}"));
        }
    }
    if problems.is_empty() {
        println!("ok    {}", c.name);
        return Ok(());
    }
    Err(format!(
        "FAIL  {}: {}\n  stdout:\n{}\n  stderr:\n{}",
        c.name,
        problems.join("; "),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// What tests/seed/hello.c prints (the exact text).
pub const HELLO: &str = "Hello, world!\n648A6A6FFFFDAA0BADB23B8BAF90B6168DD16B3A  -\n";

/// The checks of the root image under `wasmpod run` (`cargo xtask build
/// --test`): the product's hello, init's login shell and mounts, the shell
/// demo driven through its prompts. Prints one line per check and `N passed,
/// N failed`.
pub fn test_image(wasmpod: &Path, image: &Path) -> Result<(), String> {
    let root = repo_root();
    let dir = root.join("target/image-tests");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let hello = dir.join("hello.wasm");
    run(Command::new(root.join("build/toolchain/bin/wasmpod-cc"))
        .args(["-O2", "-o"])
        .arg(&hello)
        .arg(root.join("tests/seed/hello.c")))?;
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let checks = [
        Check {
            name: "tests/seed/hello.c: exact output",
            args: vec![hello.display().to_string()],
            stdin: "",
            want: &[],
            exact: Some(HELLO),
            status: 0,
        },
        Check {
            name: "init: login shell as user 1000 in /home/user, mounts, hostname, exit status",
            args: vec![],
            stdin: "id -u; id -g; pwd; echo \"$HOME $USER $LOGNAME $SHELL\"; hostname; \
                    awk '$2 == \"/tmp\" || $2 == \"/proc\" || $2 == \"/dev\" { print \"mount\", $2, $3 }' /proc/mounts; \
                    ls -ld /tmp | cut -c1-10; touch /tmp/x && echo tmp-writable; exit 7\n",
            want: &[
                "1000",
                "/home/user",
                "/home/user user user /bin/sh",
                "wasmpod",
                "mount /tmp tmpfs",
                "mount /proc proc",
                "drwxrwxrwt",
                "tmp-writable",
            ],
            exact: None,
            status: 7,
        },
        Check {
            name: "the image's files: passwd, os-release, the programs on PATH",
            args: s(&["/bin/sh", "-c", "grep ^user: /etc/passwd; . /etc/os-release && echo $ID; \
                       m=0; for a in ls cat cp mv rm ln mkdir chmod touch head tail wc sort uniq cut tr \
                       sed awk grep find xargs diff tar gzip sha1sum od ps kill vi less lua sqlite3; do \
                       command -v $a >/dev/null || { echo missing $a; m=$((m+1)); }; done; echo missing: $m"]),
            stdin: "",
            want: &["user:x:1000:1000:wasmpod user:/home/user:/bin/sh", "wasmpod", "missing: 0"],
            exact: None,
            status: 0,
        },
        Check {
            name: "the shell demo (usr/share/wasmpod/demo.sh) through its prompts",
            args: s(&["/bin/sh", "/usr/share/wasmpod/demo.sh"]),
            stdin: "add first note here\nadd\n\nadd second note here\nlist\nstats\nbogus\n\nshell\necho in-shell $((1+2)) $0\nexit 5\n",
            want: &[
                "wasmpod shell demo: notes in /home/user/notes.txt",
                "demo> [list]: added note 1: first note here",
                "demo> [list]: note [hello from wasmpod]: added note 2: hello from wasmpod",
                "demo> [list]: added note 3: second note here",
                "  2  hello from wasmpod",
                "      2 here",
                "      2 note",
                "      1 first",
                "demo> [list]: unknown command 'bogus' (add, list, stats, clear, shell, quit)",
                "demo> [list]:   1  first note here",
                "in-shell 3 /bin/sh",
            ],
            exact: None,
            status: 5,
        },
    ];
    let (mut passed, mut failed) = (0, 0);
    for c in &checks {
        match run_check(wasmpod, image, c) {
            Ok(()) => passed += 1,
            Err(e) => {
                println!("{e}");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        return Err(format!("root image checks: {failed} failed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_are_relative() {
        assert_eq!(relative_target("/bin/ls", "/bin/busybox"), "../bin/busybox");
        assert_eq!(relative_target("/usr/bin/awk", "/bin/busybox"), "../../bin/busybox");
        assert_eq!(relative_target("/linuxrc", "/bin/busybox"), "bin/busybox");
    }

    #[test]
    fn applet_links_skip_existing_and_bad_paths() {
        let dir = std::env::temp_dir().join(format!("xtask-links-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("usr/bin")).unwrap();
        fs::write(dir.join("usr/bin/lua"), b"").unwrap();
        let n = applet_links(&dir, "/bin/ls\n/usr/bin/lua\n/bin/busybox\n/../x\nsbin/bad\n/usr/sbin/chroot\n").unwrap();
        assert_eq!(n, 2);
        assert_eq!(fs::read_link(dir.join("bin/ls")).unwrap(), Path::new("../bin/busybox"));
        assert_eq!(fs::read_link(dir.join("usr/sbin/chroot")).unwrap(), Path::new("../../bin/busybox"));
        assert!(fs::symlink_metadata(dir.join("usr/bin/lua")).unwrap().is_file());
        fs::remove_dir_all(&dir).unwrap();
    }
}
