//! System-wide odds and ends: uname, hostname, sysinfo, getrandom.

use crate::syscall::Entry;

/// Settings `uname` and `sethostname` share.
pub struct SystemInfo {
    pub hostname: Vec<u8>,
    pub domainname: Vec<u8>,
}

impl SystemInfo {
    pub fn new(hostname: &str) -> Self {
        SystemInfo { hostname: hostname.as_bytes().to_vec(), domainname: b"(none)".to_vec() }
    }
}

pub const SYSCALLS: &[Entry] = &[];
