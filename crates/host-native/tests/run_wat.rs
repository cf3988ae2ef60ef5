//! `wasmpod run` end to end with hand-written modules (WAT) that follow
//! docs/program-abi.md: syscall imports, `_start`, `__stack_pointer`,
//! `__wasmpod_thread_start`, `__wasmpod_sigtramp`, the startup call.
//! They need no toolchain; C programs are tested in `run_c.rs`.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Imports, memory layout and helpers every test module starts with.
///
/// Memory: the shadow stack is [0, 65536) (`__stack_pointer` starts at
/// 65536), test data from 65536, `__heap_base` at 0x30000.
const PRELUDE: &str = r#"
  (import "env" "memory" (memory 4 100 shared))
  (import "env" "__syscall_write" (func $write (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_read" (func $read (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_exit" (func $exit (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_exit_group" (func $exit_group (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_getpid" (func $getpid (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_kill" (func $kill (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_rt_sigaction" (func $rt_sigaction (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_rt_sigreturn" (func $rt_sigreturn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_clone" (func $clone (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_futex" (func $futex (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_openat" (func $openat (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_close" (func $close (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_execve" (func $execve (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_wait4" (func $wait4 (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_pipe2" (func $pipe2 (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "__syscall_wasmpod_startup" (func $startup (param i32 i32 i32 i32 i32 i32) (result i32)))
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
  (func $print (param $addr i32) (param $len i32)
    (drop (call $write (i32.const 1) (local.get $addr) (local.get $len) (i32.const 0) (i32.const 0) (i32.const 0))))
  (func $quit (param $code i32)
    (drop (call $exit_group (local.get $code) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    unreachable)
  ;; argc of this image, through the startup block.
  (func $argc (result i32)
    (i32.load (call $startup (i32.const 0x30000) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
"#;

fn module(body: &str) -> Vec<u8> {
    let text = format!("(module {PRELUDE} {body})");
    wat::parse_str(&text).unwrap_or_else(|e| panic!("bad test module: {e}"))
}

struct Output {
    code: i32,
    out: String,
    err: String,
}

fn tmpdir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run_wat");
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

/// Runs `wasmpod run <name> args...` on the module's bytes.
fn run_bytes(name: &str, wasm: &[u8], args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let dir = tmpdir();
    let file = dir.join(name);
    std::fs::write(&file, wasm).expect("write module");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasmpod"));
    cmd.arg("run").arg(&file).args(args);
    cmd.env("WASMPOD_CACHE_DIR", dir.join("cache")).env_remove("WASMPOD_TRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start wasmpod");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for wasmpod");
    feeder.join().expect("stdin feeder");
    Output {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(name: &str, body: &str, args: &[&str]) -> Output {
    run_bytes(name, &module(body), args, b"", &[])
}

#[test]
fn hello_through_write_and_the_exit_status() {
    let o = run(
        "hello.wasm",
        r#"(data (i32.const 70000) "Hello, world!\n")
           (func (export "_start") (call $print (i32.const 70000) (i32.const 14)) (call $quit (i32.const 3)))"#,
        &[],
    );
    assert_eq!((o.code, o.out.as_str(), o.err.as_str()), (3, "Hello, world!\n", ""));
}

#[test]
fn returning_from_start_is_exit_0() {
    let o = run("ret.wasm", r#"(func (export "_start"))"#, &[]);
    assert_eq!(o.code, 0, "{}", o.err);
}

#[test]
fn out_of_bounds_access_is_sigsegv_with_a_diagnostic() {
    let o = run("oob.wasm", r#"(func (export "_start") (drop (i32.load (i32.const 0x7ffffff0))))"#, &[]);
    assert_eq!(o.code, 139);
    assert_eq!(o.err, "wasmpod: pid 2 (/tmp/oob.wasm): SIGSEGV (out of bounds memory access)\n");
}

#[test]
fn unreachable_is_sigill() {
    let o = run("unr.wasm", r#"(func (export "_start") unreachable)"#, &[]);
    assert_eq!(o.code, 132);
    assert!(o.err.starts_with("wasmpod: pid 2 (/tmp/unr.wasm): SIGILL ("), "{}", o.err);
}

#[test]
fn division_by_zero_is_sigfpe_and_stack_overflow_is_sigsegv() {
    let o = run(
        "div.wasm",
        r#"(func (export "_start") (drop (i32.div_s (i32.const 1) (call $argc_minus_one))))
           (func $argc_minus_one (result i32) (i32.sub (call $argc) (i32.const 1)))"#,
        &[],
    );
    assert_eq!(o.code, 136, "{}", o.err);
    let o = run("deep.wasm", r#"(func $f (export "_start") (call $f))"#, &[]);
    assert_eq!(o.code, 139);
    assert!(o.err.contains("SIGSEGV (stack overflow)"), "{}", o.err);
}

#[test]
fn unknown_syscall_import_is_named_before_start() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "memory" (memory 1 1 shared))
                   (import "env" "__syscall_bogus" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
                   (func (export "_start")))"#,
    )
    .expect("wat");
    let o = run_bytes("bogus.wasm", &wasm, &[], b"", &[]);
    assert_eq!(o.code, 126);
    assert!(o.err.contains("unknown system call import env.__syscall_bogus"), "{}", o.err);
}

#[test]
fn stdin_is_piped_to_the_program() {
    let cat = r#"(func (export "_start") (local $n i32)
        (loop $more
          (local.set $n (call $read (i32.const 0) (i32.const 70000) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0)))
          (if (i32.gt_s (local.get $n) (i32.const 0))
            (then (call $print (i32.const 70000) (local.get $n)) (br $more))))
        (call $quit (i32.const 0)))"#;
    let input = b"line one\nline two\nno newline";
    let o = run_bytes("cat.wasm", &module(cat), &[], input, &[]);
    assert_eq!((o.code, o.out.as_bytes()), (0, &input[..]), "{}", o.err);
}

#[test]
fn trace_prints_syscalls_on_stderr() {
    let body = r#"(data (i32.const 70000) "x") (func (export "_start") (call $print (i32.const 70000) (i32.const 1)) (call $quit (i32.const 0)))"#;
    let o = run_bytes("trace.wasm", &module(body), &[], b"", &[("WASMPOD_TRACE", "1")]);
    assert_eq!((o.code, o.out.as_str()), (0, "x"));
    assert!(o.err.lines().any(|l| l.contains("write(") && l.contains("= 1")), "{}", o.err);
    assert!(o.err.contains("exit_group("), "{}", o.err);
}

/// The startup block: argc, argv and envp as the program sees them.
#[test]
fn the_startup_block_carries_argv_and_envp() {
    // Prints argv[1] and the first envp entry, one per line.
    let body = r#"
      (func $puts (param $s i32) (local $n i32)
        (block $end (loop $l
          (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $s) (local.get $n)))))
          (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l)))
        (call $print (local.get $s) (local.get $n))
        (i32.store8 (i32.const 70000) (i32.const 10)) (call $print (i32.const 70000) (i32.const 1)))
      (func (export "_start") (local $b i32) (local $argc i32)
        (local.set $b (call $startup (i32.const 0x30000) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
        (local.set $argc (i32.load (local.get $b)))
        (call $puts (i32.load offset=8 (local.get $b)))
        ;; envp[0] is after argv's NULL: b + 4 + 4*(argc+1)
        (call $puts (i32.load (i32.add (local.get $b) (i32.add (i32.const 8) (i32.shl (local.get $argc) (i32.const 2))))))
        (call $quit (local.get $argc)))"#;
    let o = run_bytes("args.wasm", &module(body), &["first arg", "x"], b"", &[]);
    assert_eq!((o.code, o.out.as_str()), (3, "first arg\nPATH=/bin:/usr/bin\n"), "{}", o.err);
}

const CLONE_THREAD_FLAGS: u32 = 0x7d0f00;

#[test]
fn a_thread_made_by_clone_runs_on_its_stack_and_is_joined() {
    let body = format!(
        r#"(data (i32.const 70000) "thread\n")
           (data (i32.const 70010) "bad sp or tls\n")
           (data (i32.const 70030) "joined\n")
           (func (export "__wasmpod_thread_start") (param $tls i32)
             (if (i32.and (i32.eq (global.get $sp) (i32.const 0x20000)) (i32.eq (local.get $tls) (i32.const 0x1234)))
               (then (call $print (i32.const 70000) (i32.const 7)))
               (else (call $print (i32.const 70010) (i32.const 14))))
             (drop (call $exit (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
           (func (export "_start") (local $v i32) (local $tid i32)
             (i32.store (i32.const 80000) (i32.const 1))
             (local.set $tid (call $clone (i32.const {CLONE_THREAD_FLAGS}) (i32.const 0x20000) (i32.const 80004)
                                          (i32.const 0x1234) (i32.const 80000) (i32.const 0)))
             (if (i32.le_s (local.get $tid) (i32.const 0)) (then (call $quit (i32.const 50))))
             (block $done (loop $wait
               (local.set $v (i32.atomic.load (i32.const 80000)))
               (br_if $done (i32.eqz (local.get $v)))
               (drop (call $futex (i32.const 80000) (i32.const 128) (local.get $v) (i32.const 0) (i32.const 0) (i32.const 0)))
               (br $wait)))
             (call $print (i32.const 70030) (i32.const 7))
             (call $quit (i32.const 0)))"#
    );
    let o = run("thread.wasm", &body, &[]);
    assert_eq!((o.code, o.out.as_str()), (0, "thread\njoined\n"), "{}", o.err);
}

/// Signal handler bits: a table with the handler at index 2 (1 would be
/// `SIG_IGN`), the trampoline, and `$install` (rt_sigaction(SIGUSR1,
/// {handler 2})).
const SIGNAL_BITS: &str = r#"
  (type $handler_t (func (param i32)))
  (table 3 funcref)
  (elem (i32.const 2) $handler)
  (func (export "__wasmpod_sigtramp") (param $h i32) (param $sig i32) (param $si i32) (param $uc i32) (param $fl i32)
    (call_indirect (type $handler_t) (local.get $sig) (local.get $h))
    (drop (call $rt_sigreturn (local.get $uc) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
  (func $install
    (i32.store (i32.const 71000) (i32.const 2))
    (if (call $rt_sigaction (i32.const 10) (i32.const 71000) (i32.const 0) (i32.const 8) (i32.const 0) (i32.const 0))
      (then (call $quit (i32.const 60)))))
  (func $raise
    (drop (call $kill (call $getpid (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
                      (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))
"#;

#[test]
fn a_signal_handler_runs_through_the_trampoline_on_the_frame_stack() {
    let body = format!(
        r#"{SIGNAL_BITS}
           (data (i32.const 70000) "handler\n")
           (data (i32.const 70010) "after\n")
           (func $handler (param $sig i32)
             ;; Runs on the frame's stack, below the interrupted code's.
             (if (i32.and (i32.eq (local.get $sig) (i32.const 10)) (i32.lt_u (global.get $sp) (i32.const 65536)))
               (then (call $print (i32.const 70000) (i32.const 8)))))
           (func (export "_start")
             (call $install)
             (call $raise)
             ;; __stack_pointer is restored after the handler.
             (if (i32.ne (global.get $sp) (i32.const 65536)) (then (call $quit (i32.const 61))))
             (call $print (i32.const 70010) (i32.const 6))
             (call $quit (i32.const 0)))"#
    );
    let o = run("signal.wasm", &body, &[]);
    assert_eq!((o.code, o.out.as_str()), (0, "handler\nafter\n"), "{}", o.err);
}

#[test]
fn a_handler_may_leave_by_a_wasm_exception_through_the_host_frame() {
    let body = format!(
        r#"{SIGNAL_BITS}
           (tag $longjmp (param i32))
           (data (i32.const 70000) "caught 42\n")
           (func $handler (param $sig i32) (throw $longjmp (i32.const 42)))
           (func (export "_start") (local $v i32)
             (call $install)
             (local.set $v
               (block $caught (result i32)
                 (try_table (catch $longjmp $caught)
                   (call $raise))
                 (i32.const 0)))
             (if (i32.ne (local.get $v) (i32.const 42)) (then (call $quit (i32.const 62))))
             (call $print (i32.const 70000) (i32.const 10))
             (call $quit (i32.const 0)))"#
    );
    let o = run("longjmp.wasm", &body, &[]);
    assert_eq!((o.code, o.out.as_str()), (0, "caught 42\n"), "{}", o.err);
}

#[test]
fn a_signal_without_a_trampoline_takes_the_default_action() {
    let body = r#"
      (table 3 funcref) (elem (i32.const 2) $h) (func $h (param i32))
      (func (export "_start")
        (i32.store (i32.const 71000) (i32.const 2))
        (drop (call $rt_sigaction (i32.const 10) (i32.const 71000) (i32.const 0) (i32.const 8) (i32.const 0) (i32.const 0)))
        (drop (call $kill (call $getpid (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
                          (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
        (call $quit (i32.const 0)))"#;
    let o = run("notramp.wasm", body, &[]);
    assert_eq!(o.code, 128 + 10, "{}", o.err);
}

/// `bytes` as a WAT data string.
fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

#[test]
fn exec_replaces_the_program_and_passes_the_new_arguments() {
    // The second program prints argv[1] and exits with argc.
    let second = module(
        r#"(func (export "_start") (local $b i32) (local $s i32) (local $n i32)
             (local.set $b (call $startup (i32.const 0x30000) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
             (local.set $s (i32.load offset=8 (local.get $b)))
             (block $end (loop $l
               (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $s) (local.get $n)))))
               (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l)))
             (call $print (local.get $s) (local.get $n))
             (call $quit (i32.load (local.get $b))))"#,
    );
    let len = second.len();
    // The first writes the second to /tmp/second and execs it.
    let first = format!(
        r#"(data (i32.const 0x10000) "{code}")
           (data (i32.const 70000) "/tmp/second\00")
           (data (i32.const 70020) "second\00from exec\00")
           (func (export "_start") (local $fd i32)
             (local.set $fd (call $openat (i32.const -100) (i32.const 70000) (i32.const 0x241) (i32.const 0x1ed) (i32.const 0) (i32.const 0)))
             (if (i32.lt_s (local.get $fd) (i32.const 0)) (then (call $quit (i32.const 70))))
             (if (i32.ne (call $write (local.get $fd) (i32.const 0x10000) (i32.const {len}) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const {len}))
               (then (call $quit (i32.const 71))))
             (drop (call $close (local.get $fd) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
             ;; argv = {{"second", "from exec", NULL}} at 70100
             (i32.store (i32.const 70100) (i32.const 70020))
             (i32.store (i32.const 70104) (i32.const 70027))
             (i32.store (i32.const 70108) (i32.const 0))
             (drop (call $execve (i32.const 70000) (i32.const 70100) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
             (call $quit (i32.const 72)))"#,
        code = wat_bytes(&second)
    );
    let o = run("first.wasm", &first, &[]);
    assert_eq!((o.code, o.out.as_str()), (2, "from exec"), "{}", o.err);
}

#[test]
fn sigkill_stops_a_child_spinning_in_guest_code_and_the_pod_lives_on() {
    // Run with an argument: tell the parent through fd 4 (the pipe's write
    // end) and spin. Without: spawn ourselves (/proc/self/exe), wait for
    // the byte, SIGKILL the child, reap it, report its status.
    let body = r#"
      (data (i32.const 70000) "/proc/self/exe\00spin\00")
      (data (i32.const 70040) "killed 9\n")
      (func (export "_start") (local $pid i32)
        (if (i32.gt_s (call $argc) (i32.const 1))
          (then
            (drop (call $write (i32.const 4) (i32.const 70000) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
            (loop $spin (br $spin))))
        (if (call $pipe2 (i32.const 71000) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
          (then (call $quit (i32.const 80))))
        (i32.store (i32.const 70100) (i32.const 70000))
        (i32.store (i32.const 70104) (i32.const 70015))
        (i32.store (i32.const 70108) (i32.const 0))
        (if (call $spawn (i32.const 71100) (i32.const 70000) (i32.const 0) (i32.const 0) (i32.const 70100) (i32.const 0))
          (then (call $quit (i32.const 81))))
        (local.set $pid (i32.load (i32.const 71100)))
        (if (i32.ne (call $read (i32.load (i32.const 71000)) (i32.const 72000) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 1))
          (then (call $quit (i32.const 82))))
        (drop (call $kill (local.get $pid) (i32.const 9) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
        (if (i32.ne (call $wait4 (local.get $pid) (i32.const 71200) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (local.get $pid))
          (then (call $quit (i32.const 83))))
        (if (i32.ne (i32.load (i32.const 71200)) (i32.const 9)) (then (call $quit (i32.const 84))))
        (call $print (i32.const 70040) (i32.const 9))
        (call $quit (i32.const 0)))"#;
    let o = run_bytes("spin.wasm", &module(body), &[], b"", &[("WASMPOD_CHECK_THREADS", "1")]);
    assert_eq!((o.code, o.out.as_str(), o.err.as_str()), (0, "killed 9\n", ""));
}

#[test]
fn exit_group_stops_a_sibling_thread_spinning_in_guest_code() {
    let body = format!(
        r#"(func (export "__wasmpod_thread_start") (param i32)
             (i32.atomic.store (i32.const 80000) (i32.const 1))
             (loop $spin (br $spin)))
           (func (export "_start")
             (drop (call $clone (i32.const {CLONE_THREAD_FLAGS}) (i32.const 0x20000) (i32.const 80004)
                                (i32.const 0) (i32.const 80008) (i32.const 0)))
             (loop $wait (br_if $wait (i32.eqz (i32.atomic.load (i32.const 80000)))))
             (call $quit (i32.const 7)))"#
    );
    let o = run_bytes("spin2.wasm", &module(&body), &[], b"", &[("WASMPOD_CHECK_THREADS", "1")]);
    assert_eq!((o.code, o.err.as_str()), (7, ""));
}

#[test]
fn a_bad_program_file_is_a_clear_error() {
    let o = run_bytes("junk.wasm", b"\0asm\x01\0\0\0\xff\xff", &[], b"", &[]);
    assert_eq!(o.code, 126);
    assert!(o.err.contains("junk.wasm: not a valid wasm module"), "{}", o.err);
    let out = Command::new(env!("CARGO_BIN_EXE_wasmpod")).args(["run", "/nonexistent/prog"]).output().expect("run");
    assert_eq!(out.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/prog"));
}

/// `DIR/root.img` (made afresh with `wasmpod image build`): `/tmp` (1777),
/// `/bin/touch`, which creates `/tmp/made`, and `/bin/exists`, which exits
/// 0 when `/tmp/made` is there (1 otherwise).
fn touch_image(dir: &std::path::Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("tree/bin")).expect("tree");
    std::fs::create_dir_all(dir.join("tree/tmp")).expect("tree");
    let prog = |flags: u32| {
        module(&format!(
            r#"(data (i32.const 70000) "/tmp/made\00")
               (func (export "_start")
                 (if (i32.lt_s (call $openat (i32.const -100) (i32.const 70000) (i32.const {flags}) (i32.const 0x1a4) (i32.const 0) (i32.const 0)) (i32.const 0))
                   (then (call $quit (i32.const 1))))
                 (call $quit (i32.const 0)))"#
        ))
    };
    for (name, flags) in [("touch", 0x41), ("exists", 0)] {
        let bin = dir.join("tree/bin").join(name);
        std::fs::write(&bin, prog(flags)).expect("write");
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    }
    std::fs::set_permissions(dir.join("tree/tmp"), std::os::unix::fs::PermissionsExt::from_mode(0o1777))
        .expect("chmod");
    let img = dir.join("root.img");
    let st = Command::new(env!("CARGO_BIN_EXE_wasmpod"))
        .args(["image", "build"])
        .arg(dir.join("tree"))
        .arg("-o")
        .arg(&img)
        .status();
    assert!(st.expect("image build").success());
    img
}

#[test]
fn an_ext2_image_is_the_root_and_writes_reach_it_or_the_overlay() {
    let dir = tmpdir().join("image");
    let img = touch_image(&dir);
    let wasmpod = env!("CARGO_BIN_EXE_wasmpod");
    let ls_with = |img: &PathBuf, extra: &[&str]| {
        let o = Command::new(wasmpod).args(["image", "ls"]).args(extra).arg(img).arg("/tmp").output().expect("ls");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let ls = |img: &PathBuf| ls_with(img, &[]);
    let run_in = |extra: &[&str]| {
        let o = Command::new(wasmpod).arg("run").arg("--image").arg(&img).args(extra).arg("/bin/touch").output();
        let o = o.expect("run");
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // With an overlay the image itself is untouched.
    let ov = dir.join("changes.cow");
    let (code, err) = run_in(&["--overlay", ov.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert!(!ls(&img).contains("made"));
    let in_overlay = ls_with(&img, &["--overlay", ov.to_str().expect("utf-8")]);
    assert!(in_overlay.contains("made"), "{in_overlay}");
    // Without, the write lands in the image.
    let (code, err) = run_in(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(ls(&img).contains("made"), "{}", ls(&img));
    // Not an image: one clear error, status 126.
    let bad = dir.join("bad.img");
    std::fs::write(&bad, b"not an image").expect("write");
    let o = Command::new(wasmpod).arg("run").arg("--image").arg(&bad).arg("/bin/touch").output().expect("run");
    assert_eq!(o.status.code(), Some(126));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.img") && !err.contains("panicked"), "{err}");

    // The default root image: ./build/images/rootfs.ext2 (or
    // $WASMPOD_IMAGE), under an in-memory overlay: the program runs on it
    // and the file never changes. --no-image keeps the tmpfs root.
    let fresh = dir.join("fresh.img");
    let st = Command::new(wasmpod).args(["image", "build"]).arg(dir.join("tree")).arg("-o").arg(&fresh).status();
    assert!(st.expect("image build").success());
    let checkout = dir.join("checkout");
    std::fs::create_dir_all(checkout.join("build/images")).expect("mkdir");
    std::fs::copy(&fresh, checkout.join("build/images/rootfs.ext2")).expect("copy");
    let before = std::fs::read(&fresh).expect("read");
    let default_run = |extra: &[&str], env: Option<&PathBuf>| {
        let mut c = Command::new(wasmpod);
        c.arg("run").args(extra).arg("/bin/touch").current_dir(&checkout).env_remove("WASMPOD_IMAGE");
        if let Some(img) = env {
            c.env("WASMPOD_IMAGE", img);
        }
        let o = c.output().expect("run");
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = default_run(&[], None);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(checkout.join("build/images/rootfs.ext2")).expect("read") == before, "image changed");
    let (code, err) = default_run(&[], Some(&fresh));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&fresh).expect("read") == before, "image changed");
    // No /bin/touch on the tmpfs root.
    let (code, err) = default_run(&["--no-image"], None);
    assert_eq!(code, 126, "{err}");
    let (code, err) = default_run(&[], Some(&dir.join("missing.img")));
    assert_eq!(code, 2);
    assert!(err.contains("WASMPOD_IMAGE") && err.contains("missing.img"), "{err}");
    // No PROGRAM: the image's /sbin/init, which this tree lacks.
    let o = Command::new(wasmpod).arg("run").current_dir(&checkout).env_remove("WASMPOD_IMAGE").output().expect("run");
    assert_eq!(o.status.code(), Some(126), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/sbin/init"));
    let o = Command::new(wasmpod).args(["run", "--no-image"]).current_dir(&checkout).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_image_url_streams_with_a_chunk_cache_and_an_overlay() {
    let dir = tmpdir().join("image-url");
    let img = touch_image(&dir);
    let wasmpod = env!("CARGO_BIN_EXE_wasmpod");
    let before = std::fs::read(&img).expect("read");

    let served = common::serve(&["--image".as_ref(), img.as_os_str()]);
    let base = served.base.clone();
    let url = format!("{base}/images/rootfs.ext2");

    let cache = dir.join("cache");
    let ov = dir.join("changes.cow");
    let run_url = |extra: &[&str], prog: &str| {
        let o = Command::new(wasmpod)
            .args(["run", "--image", &url, "--cache"])
            .arg(&cache)
            .args(extra)
            .arg(prog)
            .output()
            .expect("run");
        (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let ov_args = ["--overlay", ov.to_str().expect("utf-8")];
    assert_eq!(run_url(&ov_args, "/bin/exists").0, 1);
    let (code, err) = run_url(&ov_args, "/bin/touch");
    assert_eq!(code, 0, "{err}");
    assert_eq!(run_url(&ov_args, "/bin/exists").0, 0, "the overlay keeps the write");
    assert_eq!(run_url(&[], "/bin/touch").0, 0, "without an overlay, writes stay in memory");
    assert_eq!(run_url(&[], "/bin/exists").0, 1);
    assert_eq!(std::fs::read(&img).expect("read"), before, "the served image never changes");
    let chunks = walk_count(&cache);
    assert!(chunks > 0, "fetched chunks are kept in --cache");
    // Bad combinations and a dead URL: clear errors.
    let o = Command::new(wasmpod).args(["run", "--cache", "/tmp/x", "/bin/exists"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(wasmpod).args(["run", "--image", &format!("{base}/images/nope.ext2"), "/bin/exists"]).output();
    let o = o.expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(126), "{err}");
    assert!(err.contains("nope.ext2") && !err.contains("panicked"), "{err}");
}

fn walk_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { walk_count(&e.path()) } else { 1 }).sum::<usize>())
        .unwrap_or(0)
}
