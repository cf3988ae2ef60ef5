//! `wasmpod run` on C programs built with the toolchain
//! (`build/toolchain/bin/wasmpod-cc`, made by `cargo xtask setup`/`test`).
//! Each test is skipped, with a message, when the toolchain isn't built.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cc() -> Option<PathBuf> {
    let p = root().join("build/toolchain/bin/wasmpod-cc");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is missing (run `cargo xtask setup` to build the toolchain)", p.display());
        None
    }
}

/// Compiles `src` into `name` (in the test's temporary directory).
fn build(cc: &Path, name: &str, src: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_c");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).expect("write source");
    let out = dir.join(name);
    let r = Command::new(cc).arg("-O1").arg("-o").arg(&out).arg(&c).output().expect("run wasmpod-cc");
    assert!(r.status.success(), "wasmpod-cc {name}.c failed:\n{}", String::from_utf8_lossy(&r.stderr));
    out
}

fn run(prog: &Path, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_c");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmpod"))
        .arg("run")
        .arg(prog)
        .args(args)
        .env("WASMPOD_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wasmpod");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    feeder.join().expect("feeder");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn seed_hello_prints_its_first_line() {
    let Some(cc) = cc() else { return };
    let src = std::fs::read_to_string(root().join("tests/seed/hello.c")).expect("tests/seed/hello.c");
    let prog = build(&cc, "hello", &src);
    let (_, out, err) = run(&prog, &[], b"");
    assert!(out.starts_with("Hello, world!\n"), "stdout {out:?}, stderr {err:?}");
}

#[test]
fn stdio_args_env_and_exit_status() {
    let Some(cc) = cc() else { return };
    let prog = build(
        &cc,
        "args",
        r#"#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    char line[256];
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("HOME=%s\n", getenv("HOME"));
    while (fgets(line, sizeof line, stdin)) printf("> %s", line);
    fprintf(stderr, "to stderr\n");
    return argc + 40;
}
"#,
    );
    let (code, out, err) = run(&prog, &["a b", "c"], b"one\ntwo\n");
    assert_eq!(code, 43, "{err}");
    let name = prog.display().to_string();
    assert_eq!(out, format!("argv[0]={name}\nargv[1]=a b\nargv[2]=c\nHOME=/home/user\n> one\n> two\n"));
    assert_eq!(err, "to stderr\n");
}

#[test]
fn threads_signals_longjmp_spawn_and_vfork() {
    let Some(cc) = cc() else { return };
    let prog = build(
        &cc,
        "mix",
        r#"#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
static int counter;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void *work(void *arg) {
    for (int i = 0; i < 1000; i++) { pthread_mutex_lock(&mu); counter++; pthread_mutex_unlock(&mu); }
    return arg;
}
static sigjmp_buf jb;
static volatile int got;
static void on_usr1(int sig) { got = sig; }
static void on_usr2(int sig) { siglongjmp(jb, sig); }
int main(int argc, char **argv) {
    if (argc > 1) return atoi(argv[1]);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, work, 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
    printf("counter %d\n", counter);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("handler got %d\n", got);
    signal(SIGUSR2, on_usr2);
    int v = sigsetjmp(jb, 1);
    if (v == 0) { raise(SIGUSR2); printf("not reached\n"); }
    else printf("longjmp %d\n", v);
    pid_t pid; int st;
    char *cargv[] = { argv[0], "7", 0 };
    if (posix_spawn(&pid, "/proc/self/exe", 0, 0, cargv, environ) != 0) return 90;
    waitpid(pid, &st, 0);
    printf("spawned exit %d\n", WEXITSTATUS(st));
    pid = vfork();
    if (pid == 0) { char *a[] = { argv[0], "9", 0 }; execv("/proc/self/exe", a); _exit(127); }
    waitpid(pid, &st, 0);
    printf("vfork exit %d\n", WEXITSTATUS(st));
    return 0;
}
"#,
    );
    let (code, out, err) = run(&prog, &[], b"");
    assert_eq!(
        (code, out.as_str()),
        (0, "counter 4000\nhandler got 10\nlongjmp 12\nspawned exit 7\nvfork exit 9\n"),
        "{err}"
    );
}

#[test]
fn a_null_dereference_is_sigsegv_with_a_diagnostic() {
    let Some(cc) = cc() else { return };
    let prog = build(
        &cc,
        "crash",
        "#include <stdlib.h>\nint main(void) { volatile int *p = (int *)0xfffffff0u; return *p; }\n",
    );
    let (code, _, err) = run(&prog, &[], b"");
    assert_eq!(code, 139, "{err}");
    assert!(err.contains("(/tmp/crash): SIGSEGV (out of bounds memory access)"), "{err}");
}

/// Reads from `fd` until `want` appears in everything read (panics after
/// 30 s without it: the program never produced it).
fn read_until(fd: i32, seen: &mut String, want: &str) {
    let start = std::time::Instant::now();
    while !seen.contains(want) {
        assert!(start.elapsed().as_secs() < 30, "never saw {want:?}; got {seen:?}");
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, 100) } <= 0 {
            continue;
        }
        let mut buf = [0u8; 1024];
        // SAFETY: reads into a valid buffer of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        assert!(n > 0, "terminal closed; got {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n as usize]));
    }
}

fn set_winsize(fd: i32, rows: u16, cols: u16) {
    let ws = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCSWINSZ reads the winsize we pass.
    unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) };
}

#[test]
fn on_a_terminal_the_program_gets_a_pty_with_size_changes_and_ctrl_c() {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let Some(cc) = cc() else { return };
    let prog = build(
        &cc,
        "tty",
        r#"#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
static volatile sig_atomic_t winch;
static void on_winch(int s) { (void)s; winch = 1; }
int main(void) {
    struct winsize ws;
    signal(SIGWINCH, on_winch);
    ioctl(0, TIOCGWINSZ, &ws);
    printf("isatty %d size %dx%d\n", isatty(0), ws.ws_row, ws.ws_col);
    fflush(stdout);
    char line[100];
    if (fgets(line, sizeof line, stdin)) printf("got %s", line);
    fflush(stdout);
    for (;;) {
        pause();
        if (winch) { winch = 0; ioctl(0, TIOCGWINSZ, &ws); printf("resized %dx%d\n", ws.ws_row, ws.ws_col); fflush(stdout); }
    }
}
"#,
    );
    let (mut master, mut slave) = (0, 0);
    let ws = libc::winsize { ws_row: 33, ws_col: 101, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: out-pointers to two ints; NULL name and termios; a valid winsize.
    let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(r, 0, "openpty");
    // SAFETY: openpty gave us these fds; we own them from here on.
    let (master_fd, slave_fd) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_c");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasmpod"));
    cmd.arg("run")
        .arg(&prog)
        .env("WASMPOD_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::from(slave_fd.try_clone().expect("dup")))
        .stdout(Stdio::from(slave_fd.try_clone().expect("dup")))
        .stderr(Stdio::from(slave_fd));
    // SAFETY: between fork and exec only async-signal-safe calls: a new
    // session whose controlling terminal is the pty (so SIGWINCH reaches
    // wasmpod as it would in a terminal emulator).
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start wasmpod");
    let mut seen = String::new();
    read_until(master, &mut seen, "isatty 1 size 33x101\r\n");
    // SAFETY: writes from a valid buffer.
    unsafe { libc::write(master, b"hello\r".as_ptr().cast(), 6) };
    read_until(master, &mut seen, "got hello\r\n");
    set_winsize(master, 40, 120);
    read_until(master, &mut seen, "resized 40x120\r\n");
    // SAFETY: as above.
    unsafe { libc::write(master, b"\x03".as_ptr().cast(), 1) };
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "Ctrl-C is SIGINT for the program; output {seen:?}");
    drop(master_fd);
}

#[test]
fn sigint_ends_a_program_spinning_in_guest_code_with_status_130() {
    // Linux kills the whole group at once for a signal whose action is
    // SIG_DFL: neither thread ever enters the kernel again.
    use std::io::BufRead;
    let Some(cc) = cc() else { return };
    let prog = build(
        &cc,
        "spin",
        r#"#include <pthread.h>
#include <stdio.h>
static void *spin(void *arg) { volatile unsigned long *x = arg; for (;;) ++*x; }
int main(void) {
    static volatile unsigned long a, b;
    pthread_t t;
    pthread_create(&t, 0, spin, (void *)&a);
    printf("spinning\n");
    fflush(stdout);
    spin((void *)&b);
}
"#,
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_c");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmpod"))
        .arg("run")
        .arg(&prog)
        .env("WASMPOD_CACHE_DIR", dir.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wasmpod");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
    assert_eq!(line, "spinning\n");
    // SAFETY: sends a signal to the child we started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130));
}
