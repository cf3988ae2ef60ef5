//! Everything else: `utsname`, `sysinfo`, rlimits, `rusage`, `iovec`,
//! futex operations, `getrandom` flags, auxv keys.

abi_struct! {
    /// `struct iovec`.
    pub struct iovec, size 8 {
        pub iov_base: u32 => 0,
        pub iov_len: u32 => 4,
    }
}

/// Most iovecs one call takes (`IOV_MAX`, as Linux's `UIO_MAXIOV`).
pub const IOV_MAX: usize = 1024;

abi_struct! {
    /// `struct utsname`: six 65-byte NUL-terminated fields.
    pub struct utsname, size 390 {
        pub sysname: [u8; 65] => 0,
        pub nodename: [u8; 65] => 65,
        pub release: [u8; 65] => 130,
        pub version: [u8; 65] => 195,
        pub machine: [u8; 65] => 260,
        pub domainname: [u8; 65] => 325,
    }
}

abi_struct! {
    /// `struct sysinfo` on ILP32 (`long` is 4 bytes).
    pub struct sysinfo, size 64 {
        pub uptime: i32 => 0,
        pub loads: [u32; 3] => 4,
        pub totalram: u32 => 16,
        pub freeram: u32 => 20,
        pub sharedram: u32 => 24,
        pub bufferram: u32 => 28,
        pub totalswap: u32 => 32,
        pub freeswap: u32 => 36,
        pub procs: u16 => 40,
        pub totalhigh: u32 => 44,
        pub freehigh: u32 => 48,
        pub mem_unit: u32 => 52,
    }
}

abi_struct! {
    /// `struct rlimit64` (`prlimit64`).
    pub struct rlimit64, size 16 {
        pub rlim_cur: u64 => 0,
        pub rlim_max: u64 => 8,
    }
}

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_CPU: u32 = 0;
pub const RLIMIT_FSIZE: u32 = 1;
pub const RLIMIT_DATA: u32 = 2;
pub const RLIMIT_STACK: u32 = 3;
pub const RLIMIT_CORE: u32 = 4;
pub const RLIMIT_RSS: u32 = 5;
pub const RLIMIT_NPROC: u32 = 6;
pub const RLIMIT_NOFILE: u32 = 7;
pub const RLIMIT_MEMLOCK: u32 = 8;
pub const RLIMIT_AS: u32 = 9;
pub const RLIMIT_LOCKS: u32 = 10;
pub const RLIMIT_SIGPENDING: u32 = 11;
pub const RLIMIT_MSGQUEUE: u32 = 12;
pub const RLIMIT_NICE: u32 = 13;
pub const RLIMIT_RTPRIO: u32 = 14;
pub const RLIMIT_RTTIME: u32 = 15;
pub const RLIM_NLIMITS: u32 = 16;

pub const RUSAGE_SELF: i32 = 0;
pub const RUSAGE_CHILDREN: i32 = -1;
pub const RUSAGE_THREAD: i32 = 1;

abi_struct! {
    /// `struct rusage` as musl declares it with 64-bit `timeval`s on ILP32
    /// (two `timeval`s, fourteen `long`s from `ru_maxrss` at 32 to `ru_nivcsw`
    /// at 84, sixteen reserved `long`s).
    pub struct rusage, size 152 {
        pub ru_utime_sec: i64 => 0,
        pub ru_utime_usec: i64 => 8,
        pub ru_stime_sec: i64 => 16,
        pub ru_stime_usec: i64 => 24,
        pub ru_maxrss: i32 => 32,
        pub ru_minflt: i32 => 48,
        pub ru_majflt: i32 => 52,
        pub ru_nvcsw: i32 => 80,
        pub ru_nivcsw: i32 => 84,
    }
}

pub const FUTEX_WAIT: u32 = 0;
pub const FUTEX_WAKE: u32 = 1;
pub const FUTEX_FD: u32 = 2;
pub const FUTEX_REQUEUE: u32 = 3;
pub const FUTEX_CMP_REQUEUE: u32 = 4;
pub const FUTEX_WAKE_OP: u32 = 5;
pub const FUTEX_LOCK_PI: u32 = 6;
pub const FUTEX_UNLOCK_PI: u32 = 7;
pub const FUTEX_TRYLOCK_PI: u32 = 8;
pub const FUTEX_WAIT_BITSET: u32 = 9;
pub const FUTEX_WAKE_BITSET: u32 = 10;
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

pub const GRND_NONBLOCK: u32 = 1;
pub const GRND_RANDOM: u32 = 2;
pub const GRND_INSECURE: u32 = 4;

pub const AT_NULL: u32 = 0;
pub const AT_PAGESZ: u32 = 6;
pub const AT_UID: u32 = 11;
pub const AT_EUID: u32 = 12;
pub const AT_GID: u32 = 13;
pub const AT_EGID: u32 = 14;
pub const AT_HWCAP: u32 = 16;
pub const AT_CLKTCK: u32 = 17;
pub const AT_SECURE: u32 = 23;
pub const AT_RANDOM: u32 = 25;
pub const AT_EXECFN: u32 = 31;

pub const PR_SET_PDEATHSIG: u32 = 1;
pub const PR_GET_PDEATHSIG: u32 = 2;
pub const PR_GET_DUMPABLE: u32 = 3;
pub const PR_SET_DUMPABLE: u32 = 4;
pub const PR_SET_NAME: u32 = 15;
pub const PR_GET_NAME: u32 = 16;
pub const PR_SET_CHILD_SUBREAPER: u32 = 36;
pub const PR_GET_CHILD_SUBREAPER: u32 = 37;
pub const PR_SET_NO_NEW_PRIVS: u32 = 38;
pub const PR_GET_NO_NEW_PRIVS: u32 = 39;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn layouts() {
        crate::layout::assert_no_overlap(utsname::FIELDS);
        crate::layout::assert_no_overlap(sysinfo::FIELDS);
        crate::layout::assert_no_overlap(rusage::FIELDS);
    }
}
