//! The C side of the ABI layout check: every struct in `wasmpod_abi`
//! ([`wasmpod_abi::STRUCTS`]) that libc has a counterpart of is checked
//! against the toolchain's headers, field by field.
//!
//! Two programs are generated from the same table:
//! - `abi_layout_check.c`: `_Static_assert`s on `sizeof` and `offsetof`,
//!   compiled by `wasmpod-cc -c` when the toolchain is tested; a mismatch
//!   fails the compile with the struct's and the field's name;
//! - `abi_layout_print.c`: a program that compares the same values at run
//!   time and prints one line per mismatch (and `abi layout: N structs, M
//!   fields ok`), for running under `wasmpod run`.
//!
//! Structs that are kernel-only encodings have no C counterpart in the
//! installed headers; they are listed in [`SKIPPED`] with the reason.

use std::fmt::Write as _;

/// How the C struct's size relates to the kernel's.
#[derive(Clone, Copy)]
pub enum Size {
    /// Same size.
    Exact,
    /// The C struct is larger: the kernel reads or writes a prefix (musl
    /// reserves room, e.g. `struct termios` with `NCCS` = 32).
    AtLeast,
}

/// A struct with a C counterpart.
pub struct CStruct {
    /// The name in `wasmpod_abi::STRUCTS`.
    pub abi: &'static str,
    /// The C type.
    pub c: &'static str,
    pub size: Size,
    /// Rust field name → C member designator, where they differ.
    pub rename: &'static [(&'static str, &'static str)],
    /// Fields whose C member may be wider than the kernel's (the kernel
    /// uses a prefix, e.g. the first 8 bytes of musl's 128-byte sigset_t).
    pub wider: &'static [&'static str],
}

const fn s(abi: &'static str, c: &'static str) -> CStruct {
    CStruct { abi, c, size: Size::Exact, rename: &[], wider: &[] }
}

/// The checked structs.
pub const C_STRUCTS: &[CStruct] = &[
    s("fcntl::flock", "struct flock"),
    CStruct {
        rename: &[
            ("st_atime_sec", "st_atim.tv_sec"),
            ("st_atime_nsec", "st_atim.tv_nsec"),
            ("st_mtime_sec", "st_mtim.tv_sec"),
            ("st_mtime_nsec", "st_mtim.tv_nsec"),
            ("st_ctime_sec", "st_ctim.tv_sec"),
            ("st_ctime_nsec", "st_ctim.tv_nsec"),
        ],
        ..s("fs::stat", "struct stat")
    },
    CStruct { size: Size::AtLeast, ..s("fs::dirent64_head", "struct dirent") },
    s("fs::statfs", "struct statfs"),
    s("misc::iovec", "struct iovec"),
    s("misc::utsname", "struct utsname"),
    CStruct { size: Size::AtLeast, ..s("misc::sysinfo", "struct sysinfo") },
    s("misc::rlimit64", "struct rlimit"),
    CStruct {
        rename: &[
            ("ru_utime_sec", "ru_utime.tv_sec"),
            ("ru_utime_usec", "ru_utime.tv_usec"),
            ("ru_stime_sec", "ru_stime.tv_sec"),
            ("ru_stime_usec", "ru_stime.tv_usec"),
        ],
        ..s("misc::rusage", "struct rusage")
    },
    s("poll::pollfd", "struct pollfd"),
    s("poll::epoll_event", "struct epoll_event"),
    s("signal::stack_t", "stack_t"),
    s("signal::siginfo_t", "siginfo_t"),
    CStruct {
        rename: &[
            ("uc_stack_sp", "uc_stack.ss_sp"),
            ("uc_stack_flags", "uc_stack.ss_flags"),
            ("uc_stack_size", "uc_stack.ss_size"),
        ],
        size: Size::AtLeast,
        wider: &["uc_sigmask"],
        ..s("signal::ucontext", "ucontext_t")
    },
    s("signal::sigevent", "struct sigevent"),
    s("signal::signalfd_siginfo", "struct signalfd_siginfo"),
    CStruct { size: Size::AtLeast, wider: &["c_cc"], ..s("termios::termios", "struct termios") },
    s("termios::winsize", "struct winsize"),
    s("time::timespec", "struct timespec"),
    s("time::timeval", "struct timeval"),
    CStruct {
        rename: &[
            ("it_interval_sec", "it_interval.tv_sec"),
            ("it_interval_usec", "it_interval.tv_usec"),
            ("it_value_sec", "it_value.tv_sec"),
            ("it_value_usec", "it_value.tv_usec"),
        ],
        ..s("time::itimerval", "struct itimerval")
    },
    CStruct {
        rename: &[
            ("it_interval_sec", "it_interval.tv_sec"),
            ("it_interval_nsec", "it_interval.tv_nsec"),
            ("it_value_sec", "it_value.tv_sec"),
            ("it_value_nsec", "it_value.tv_nsec"),
        ],
        ..s("time::itimerspec", "struct itimerspec")
    },
    s("time::tms", "struct tms"),
    s("time::timezone", "struct timezone"),
];

/// Structs without a C counterpart in the installed headers, and why.
pub const SKIPPED: &[(&str, &str)] = &[
    ("fs::statx_timestamp", "musl 1.2.3's headers have no statx (added in 1.2.5); programs use the kernel's <linux/stat.h> layout"),
    ("fs::statx", "musl 1.2.3's headers have no statx (added in 1.2.5)"),
    ("signal::k_sigaction", "libc-internal (musl's src/internal/ksigaction.h, the generic layout the port uses unchanged)"),
    ("spawn::spawn_file_actions", "wasmpod's SYS_spawn encoding, built privately by posix_spawn (static asserts in src/process/wasm32/posix_spawn.c)"),
    ("spawn::spawn_file_action", "wasmpod's SYS_spawn encoding (see spawn_file_actions)"),
    ("spawn::spawn_attr", "wasmpod's SYS_spawn encoding (see spawn_file_actions)"),
];

const HEADERS: &[&str] = &[
    "fcntl.h",
    "sys/stat.h",
    "dirent.h",
    "sys/statfs.h",
    "sys/uio.h",
    "sys/utsname.h",
    "sys/sysinfo.h",
    "sys/resource.h",
    "poll.h",
    "sys/epoll.h",
    "signal.h",
    "ucontext.h",
    "sys/signalfd.h",
    "termios.h",
    "sys/ioctl.h",
    "time.h",
    "sys/time.h",
    "sys/times.h",
    "stdio.h",
    "stddef.h",
];

/// One check: struct, C member (None = the struct's size), expected
/// offset/size, expected width, whether wider is fine.
struct Check {
    what: String,
    c_type: &'static str,
    member: Option<String>,
    offset: usize,
    width: usize,
    at_least: bool,
}

fn checks() -> Result<Vec<Check>, String> {
    let mut out = Vec::new();
    for (name, size, fields) in wasmpod_abi::STRUCTS {
        if SKIPPED.iter().any(|(n, _)| n == name) {
            continue;
        }
        let c = C_STRUCTS
            .iter()
            .find(|c| c.abi == *name)
            .ok_or_else(|| format!("abi struct {name} is neither checked nor skipped (xtask/src/abi_layout.rs)"))?;
        out.push(Check {
            what: format!("{name} ({})", c.c),
            c_type: c.c,
            member: None,
            offset: 0,
            width: *size,
            at_least: matches!(c.size, Size::AtLeast),
        });
        for (field, off, width) in *fields {
            let member = c.rename.iter().find(|(r, _)| r == field).map_or(*field, |(_, m)| *m);
            out.push(Check {
                what: format!("{name}.{field} ({}.{member})", c.c),
                c_type: c.c,
                member: Some(member.to_string()),
                offset: *off,
                width: *width,
                at_least: c.wider.contains(field),
            });
        }
    }
    Ok(out)
}

fn prelude() -> String {
    let mut s = String::from(
        "/* Generated by `cargo xtask toolchain` from wasmpod_abi::STRUCTS\n \
         * (xtask/src/abi_layout.rs). Do not edit. */\n#define _GNU_SOURCE\n",
    );
    for h in HEADERS {
        writeln!(s, "#include <{h}>").unwrap();
    }
    s
}

/// The compile-time check.
pub fn gen_check_c() -> Result<String, String> {
    let mut s = prelude();
    for c in checks()? {
        let op = if c.at_least { ">=" } else { "==" };
        match &c.member {
            None => {
                writeln!(s, "_Static_assert(sizeof({}) {op} {}, \"{}: size\");", c.c_type, c.width, c.what).unwrap()
            }
            Some(m) => {
                writeln!(
                    s,
                    "_Static_assert(__builtin_offsetof({t}, {m}) == {o}, \"{w}: offset must be {o}\");\n\
                     _Static_assert(sizeof(((({t} *)0)->{m})) {op} {n}, \"{w}: width must be {n}\");",
                    t = c.c_type,
                    o = c.offset,
                    n = c.width,
                    w = c.what
                )
                .unwrap();
            }
        }
    }
    Ok(s)
}

/// The run-time check: prints mismatches, exits 1 if any.
pub fn gen_print_c() -> Result<String, String> {
    let mut s = prelude();
    s.push_str(
        "\nstatic int bad, n;\n\
         static void check(const char *what, const char *kind, size_t got, size_t want, int at_least)\n{\n\
         \tn++;\n\
         \tif (at_least ? got < want : got != want) {\n\
         \t\tprintf(\"MISMATCH %s: %s %zu, kernel %zu\\n\", what, kind, got, want);\n\
         \t\tbad++;\n\t}\n}\n\nint main(void)\n{\n",
    );
    let mut structs = 0;
    for c in checks()? {
        match &c.member {
            None => {
                structs += 1;
                writeln!(
                    s,
                    "\tcheck(\"{}\", \"size\", sizeof({}), {}, {});",
                    c.what, c.c_type, c.width, c.at_least as u8
                )
                .unwrap()
            }
            Some(m) => writeln!(
                s,
                "\tcheck(\"{w}\", \"offset\", __builtin_offsetof({t}, {m}), {o}, 0);\n\
                 \tcheck(\"{w}\", \"width\", sizeof((({t} *)0)->{m}), {n}, {a});",
                w = c.what,
                t = c.c_type,
                o = c.offset,
                n = c.width,
                a = c.at_least as u8
            )
            .unwrap(),
        }
    }
    writeln!(
        s,
        "\tif (!bad) printf(\"abi layout: {structs} structs, %d checks ok\\n\", n);\n\
         \telse printf(\"abi layout: %d of %d checks failed\\n\", bad, n);\n\
         \treturn bad != 0;\n}}"
    )
    .unwrap();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_abi_struct_is_checked_or_skipped() {
        checks().unwrap();
        for c in C_STRUCTS {
            assert!(
                wasmpod_abi::STRUCTS.iter().any(|(n, _, _)| *n == c.abi),
                "{} is not in wasmpod_abi::STRUCTS",
                c.abi
            );
        }
    }

    #[test]
    fn renames_name_real_fields() {
        for c in C_STRUCTS {
            let (_, _, fields) = wasmpod_abi::STRUCTS.iter().find(|(n, _, _)| *n == c.abi).unwrap();
            for (r, _) in c.rename {
                assert!(fields.iter().any(|(f, _, _)| f == r), "{}: no field {r}", c.abi);
            }
        }
    }
}
