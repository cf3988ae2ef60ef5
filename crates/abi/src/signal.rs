//! Signals: numbers, `sigaction` flags, `k_sigaction`, `siginfo_t`, `stack_t`.

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGUSR1: u32 = 10;
pub const SIGSEGV: u32 = 11;
pub const SIGUSR2: u32 = 12;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
pub const SIGTERM: u32 = 15;
pub const SIGSTKFLT: u32 = 16;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const SIGURG: u32 = 23;
pub const SIGXCPU: u32 = 24;
pub const SIGXFSZ: u32 = 25;
pub const SIGVTALRM: u32 = 26;
pub const SIGPROF: u32 = 27;
pub const SIGWINCH: u32 = 28;
pub const SIGIO: u32 = 29;
pub const SIGPWR: u32 = 30;
pub const SIGSYS: u32 = 31;
pub const SIGRTMIN: u32 = 32;
pub const SIGRTMAX: u32 = 64;
/// Number of signals plus one (signals are 1..=64).
pub const NSIG: u32 = 65;

/// Linux's name of a signal number, e.g. `"SIGINT"`.
pub fn signal_name(sig: u32) -> &'static str {
    const NAMES: [&str; 32] = [
        "0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    match sig {
        0..=31 => NAMES[sig as usize],
        32..=64 => "SIGRT",
        _ => "?",
    }
}

pub const SA_NOCLDSTOP: u32 = 0x0000_0001;
pub const SA_NOCLDWAIT: u32 = 0x0000_0002;
pub const SA_SIGINFO: u32 = 0x0000_0004;
pub const SA_RESTORER: u32 = 0x0400_0000;
pub const SA_ONSTACK: u32 = 0x0800_0000;
pub const SA_RESTART: u32 = 0x1000_0000;
pub const SA_NODEFER: u32 = 0x4000_0000;
pub const SA_RESETHAND: u32 = 0x8000_0000;

pub const SIG_BLOCK: u32 = 0;
pub const SIG_UNBLOCK: u32 = 1;
pub const SIG_SETMASK: u32 = 2;

/// `SIG_DFL` and `SIG_IGN` as handler values.
pub const SIG_DFL: u32 = 0;
pub const SIG_IGN: u32 = 1;

pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
/// Disarm the alternate stack while a handler runs on it (Linux 4.7+).
pub const SS_AUTODISARM: u32 = 1 << 31;
pub const MINSIGSTKSZ: u32 = 2048;
pub const SIGSTKSZ: u32 = 8192;

/// `si_code` values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_MESGQ: i32 = -3;
pub const SI_ASYNCIO: i32 = -4;
pub const SI_SIGIO: i32 = -5;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;
pub const SEGV_MAPERR: i32 = 1;
pub const ILL_ILLOPC: i32 = 1;

abi_struct! {
    /// The kernel's `struct k_sigaction` as musl passes it to
    /// `rt_sigaction` (musl's `src/internal/ksigaction.h`): the mask is two
    /// 32-bit words, low word first, so the struct is 4-byte aligned.
    pub struct k_sigaction, size 20 {
        pub handler: u32 => 0,
        pub flags: u32 => 4,
        pub restorer: u32 => 8,
        pub mask: [u32; 2] => 12,
    }
}

abi_struct! {
    /// `stack_t` for `sigaltstack`.
    pub struct stack_t, size 12 {
        pub ss_sp: u32 => 0,
        pub ss_flags: i32 => 4,
        pub ss_size: u32 => 8,
    }
}

abi_struct! {
    /// `siginfo_t` (128 bytes). The union starts at offset 12 on ILP32;
    /// the fields are named after the union member they serve:
    /// `si_pid`/`si_uid` (kill, rt, chld), `si_status` (chld),
    /// `si_value` (rt, timer), `si_utime`/`si_stime` (chld, `clock_t`),
    /// `si_addr` (sigfault, aliases `si_pid`), `si_timerid`/`si_overrun`
    /// (timer, alias `si_pid`/`si_uid`).
    pub struct siginfo_t, size 128 {
        pub si_signo: i32 => 0,
        pub si_errno: i32 => 4,
        pub si_code: i32 => 8,
        pub si_pid: i32 => 12,
        pub si_uid: u32 => 16,
        pub si_status: i32 => 20,
        pub si_utime: i32 => 24,
        pub si_stime: i32 => 28,
    }
}

abi_struct! {
    /// wasmpod's `ucontext_t` (152 bytes, 4-byte aligned), written by the
    /// kernel below a handler's frame and read back by `rt_sigreturn`.
    /// The C declaration the toolchain uses (musl arch `bits/signal.h`):
    ///
    /// ```c
    /// typedef struct { unsigned long __reserved; } mcontext_t;  /* wasm has no registers to save */
    /// typedef struct __ucontext {
    ///     unsigned long uc_flags;        /*  0 */
    ///     struct __ucontext *uc_link;    /*  4 */
    ///     stack_t uc_stack;              /*  8: ss_sp 8, ss_flags 12, ss_size 16 */
    ///     mcontext_t uc_mcontext;        /* 20 */
    ///     sigset_t uc_sigmask;           /* 24: musl's 128-byte sigset_t */
    /// } ucontext_t;                      /* 152 */
    /// ```
    ///
    /// The kernel uses the first 8 bytes of `uc_sigmask` (signals 1..=64,
    /// low word first, so it is also a little-endian `u64` at an 8-aligned
    /// offset) and writes the remaining 120 bytes as zero.
    pub struct ucontext, size 152 {
        pub uc_flags: u32 => 0,
        pub uc_link: u32 => 4,
        pub uc_stack_sp: u32 => 8,
        pub uc_stack_flags: i32 => 12,
        pub uc_stack_size: u32 => 16,
        pub uc_mcontext: u32 => 20,
        pub uc_sigmask: u64 => 24,
    }
}

/// `sigev_notify` values.
pub const SIGEV_SIGNAL: i32 = 0;
pub const SIGEV_NONE: i32 = 1;
pub const SIGEV_THREAD: i32 = 2;
pub const SIGEV_THREAD_ID: i32 = 4;

abi_struct! {
    /// `struct sigevent` (64 bytes, musl's layout on ILP32): `sigev_value`
    /// is the `union sigval` (an int or a pointer, both 4 bytes);
    /// `sigev_notify_thread_id` is the first member of the trailing union.
    pub struct sigevent, size 64 {
        pub sigev_value: i32 => 0,
        pub sigev_signo: i32 => 4,
        pub sigev_notify: i32 => 8,
        pub sigev_notify_thread_id: i32 => 12,
    }
}

/// signalfd4 flags.
pub const SFD_CLOEXEC: u32 = crate::fcntl::O_CLOEXEC;
pub const SFD_NONBLOCK: u32 = crate::fcntl::O_NONBLOCK;

abi_struct! {
    /// `struct signalfd_siginfo` (128 bytes, the same on every
    /// architecture): what a read from a signalfd returns per signal.
    pub struct signalfd_siginfo, size 128 {
        pub ssi_signo: u32 => 0,
        pub ssi_errno: i32 => 4,
        pub ssi_code: i32 => 8,
        pub ssi_pid: u32 => 12,
        pub ssi_uid: u32 => 16,
        pub ssi_fd: i32 => 20,
        pub ssi_tid: u32 => 24,
        pub ssi_band: u32 => 28,
        pub ssi_overrun: u32 => 32,
        pub ssi_trapno: u32 => 36,
        pub ssi_status: i32 => 40,
        pub ssi_int: i32 => 44,
        pub ssi_ptr: u64 => 48,
        pub ssi_utime: u64 => 56,
        pub ssi_stime: u64 => 64,
        pub ssi_addr: u64 => 72,
        pub ssi_addr_lsb: u16 => 80,
    }
}

impl siginfo_t {
    /// `si_value` of `rt`/`timer` signals shares the slot of `si_status`.
    pub fn si_value(&self) -> i32 {
        self.si_status
    }
}

/// A 64-bit signal set, bit `n-1` for signal `n`.
pub type sigset_t = u64;

/// The bit of signal `sig` in a [`sigset_t`]; zero for numbers outside 1..=64.
pub const fn sigbit(sig: u32) -> u64 {
    if sig >= 1 && sig <= 64 {
        1u64 << (sig - 1)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn layouts() {
        crate::layout::assert_no_overlap(k_sigaction::FIELDS);
        crate::layout::assert_no_overlap(siginfo_t::FIELDS);
        crate::layout::assert_no_overlap(ucontext::FIELDS);
        crate::layout::assert_no_overlap(signalfd_siginfo::FIELDS);
        crate::layout::assert_no_overlap(sigevent::FIELDS);
        crate::layout::assert_no_overlap(stack_t::FIELDS);
        // uc_stack is a stack_t at offset 8.
        let offs: [usize; 3] = core::array::from_fn(|i| stack_t::FIELDS[i].1 + 8);
        assert_eq!(offs, [8, 12, 16]);
        assert_eq!(ucontext::FIELDS.iter().find(|f| f.0 == "uc_sigmask").map(|f| f.1 % 8), Some(0));
        assert_eq!(sigbit(SIGKILL), 1 << 8);
        assert_eq!(sigbit(65), 0);
        assert_eq!(signal_name(SIGTERM), "SIGTERM");
    }
}
