//! Time: `timespec`, `timeval`, timers, clock ids.

pub const CLOCK_REALTIME: u32 = 0;
pub const CLOCK_MONOTONIC: u32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
pub const CLOCK_MONOTONIC_RAW: u32 = 4;
pub const CLOCK_REALTIME_COARSE: u32 = 5;
pub const CLOCK_MONOTONIC_COARSE: u32 = 6;
pub const CLOCK_BOOTTIME: u32 = 7;
pub const CLOCK_REALTIME_ALARM: u32 = 8;
pub const CLOCK_BOOTTIME_ALARM: u32 = 9;
pub const CLOCK_TAI: u32 = 11;

pub const TIMER_ABSTIME: u32 = 1;
pub const ITIMER_REAL: u32 = 0;
pub const ITIMER_VIRTUAL: u32 = 1;
pub const ITIMER_PROF: u32 = 2;
pub const TFD_TIMER_ABSTIME: u32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
pub const TFD_CLOEXEC: u32 = crate::fcntl::O_CLOEXEC;
pub const TFD_NONBLOCK: u32 = crate::fcntl::O_NONBLOCK;

/// Clock ticks per second reported by `times` and `/proc` (`AT_CLKTCK`).
pub const CLK_TCK: u64 = 100;

pub const NSEC_PER_SEC: i64 = 1_000_000_000;

abi_struct! {
    /// `struct timespec` with 64-bit `time_t` on ILP32 (musl's layout:
    /// `tv_nsec` is a `long` followed by 4 bytes of padding).
    pub struct timespec, size 16 {
        pub tv_sec: i64 => 0,
        pub tv_nsec: i32 => 8,
    }
}

abi_struct! {
    /// `struct timeval` with 64-bit `time_t` and `suseconds_t`.
    pub struct timeval, size 16 {
        pub tv_sec: i64 => 0,
        pub tv_usec: i64 => 8,
    }
}

abi_struct! {
    /// `struct itimerval` (two `timeval`s, flattened).
    pub struct itimerval, size 32 {
        pub it_interval_sec: i64 => 0,
        pub it_interval_usec: i64 => 8,
        pub it_value_sec: i64 => 16,
        pub it_value_usec: i64 => 24,
    }
}

abi_struct! {
    /// `struct itimerspec` (two `timespec`s, flattened).
    pub struct itimerspec, size 32 {
        pub it_interval_sec: i64 => 0,
        pub it_interval_nsec: i32 => 8,
        pub it_value_sec: i64 => 16,
        pub it_value_nsec: i32 => 24,
    }
}

abi_struct! {
    /// `struct tms` (`clock_t` is a 32-bit `long`).
    pub struct tms, size 16 {
        pub tms_utime: i32 => 0,
        pub tms_stime: i32 => 4,
        pub tms_cutime: i32 => 8,
        pub tms_cstime: i32 => 12,
    }
}

abi_struct! {
    /// `struct timezone`.
    pub struct timezone, size 8 {
        pub tz_minuteswest: i32 => 0,
        pub tz_dsttime: i32 => 4,
    }
}

impl timespec {
    /// Whether `tv_nsec` is in `0..1e9` (otherwise syscalls say EINVAL).
    pub fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && (0..NSEC_PER_SEC as i32).contains(&self.tv_nsec)
    }
    /// Nanoseconds, saturating.
    pub fn as_nanos(&self) -> u64 {
        (self.tv_sec.max(0) as u64).saturating_mul(NSEC_PER_SEC as u64).saturating_add(self.tv_nsec.max(0) as u64)
    }
    pub fn from_nanos(ns: u64) -> Self {
        timespec { tv_sec: (ns / NSEC_PER_SEC as u64) as i64, tv_nsec: (ns % NSEC_PER_SEC as u64) as i32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AbiStruct;
    #[test]
    fn timespec_round_trip() {
        let t = timespec::from_nanos(3_500_000_001);
        assert_eq!(t.tv_sec, 3);
        assert_eq!(t.tv_nsec, 500_000_001);
        assert_eq!(t.as_nanos(), 3_500_000_001);
        assert_eq!(timespec::decode(&t.to_vec()), t);
        assert!(!timespec { tv_sec: 0, tv_nsec: 1_000_000_000 }.is_valid());
    }
}
