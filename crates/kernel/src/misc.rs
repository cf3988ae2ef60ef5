//! System-wide odds and ends: uname, sethostname, setdomainname, sysinfo,
//! getrandom.

use wasmpod_abi::misc::{sysinfo, utsname, GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};
use wasmpod_abi::syscalls::*;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::{partial, sup, Entry, SyscallArgs};

/// `__NEW_UTS_LEN`: the longest host or domain name.
pub const UTS_LEN: usize = 64;
/// What `uname -r` says: a Linux release the ABI corresponds to, marked as
/// ours.
pub const RELEASE: &str = "6.1.0-wasmpod";
/// What `uname -v` says.
pub const VERSION: &str = "#1 SMP wasmpod";
/// What `uname -m` says.
pub const MACHINE: &str = "wasm32";
/// The memory sysinfo reports as total RAM: 1 GiB, a round figure of the
/// order a browser tab can give a pod (wasm32 processes can address at most
/// 4 GiB each).
pub const TOTAL_RAM: u32 = 1 << 30;
/// getrandom(2): "returns at most 33554431 bytes" per call.
pub const GETRANDOM_MAX: usize = 33_554_431;

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

fn field(s: &[u8]) -> [u8; 65] {
    let mut f = [0u8; 65];
    let n = s.len().min(UTS_LEN);
    f[..n].copy_from_slice(&s[..n]);
    f
}

/// Implements uname(2).
pub fn sys_uname(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let u = utsname {
        sysname: field(b"Linux"),
        nodename: field(&ctx.st.sys.hostname),
        release: field(RELEASE.as_bytes()),
        version: field(VERSION.as_bytes()),
        machine: field(MACHINE.as_bytes()),
        domainname: field(&ctx.st.sys.domainname),
    };
    ctx.write_struct(a.ptr(0), &u)?;
    Ok(0)
}

/// Reads a new host/domain name: privileged only (`EPERM`, checked first
/// as in Linux), at most 64 bytes (`EINVAL`).
fn read_name(ctx: &mut Ctx, a: &SyscallArgs) -> Result<Vec<u8>> {
    let (ptr, len) = (a.ptr(0), a.i32(1));
    if !ctx.process().creds.is_root() {
        return_errno!(EPERM, "sethostname: not privileged");
    }
    if len < 0 || len as usize > UTS_LEN {
        return_errno!(EINVAL, "sethostname: name too long");
    }
    ctx.read_user_vec(ptr, len as usize)
}

/// Implements sethostname(2).
pub fn sys_sethostname(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    ctx.st.sys.hostname = read_name(ctx, a)?;
    Ok(0)
}

/// Implements setdomainname(2).
pub fn sys_setdomainname(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    ctx.st.sys.domainname = read_name(ctx, a)?;
    Ok(0)
}

/// Implements sysinfo(2): uptime from the monotonic clock, `TOTAL_RAM` as
/// total and free memory, no swap, load averages 0, `procs` = the number
/// of threads.
pub fn sys_sysinfo(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let up = ctx.now().saturating_sub(ctx.st.time.boot) / 1_000_000_000;
    let info = sysinfo {
        uptime: up.min(i32::MAX as u64) as i32,
        totalram: TOTAL_RAM,
        freeram: TOTAL_RAM,
        procs: ctx.st.procs.threads.len().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..Default::default()
    };
    ctx.write_struct(a.ptr(0), &info)?;
    Ok(0)
}

/// Implements getrandom(2): `(buf, len, flags)`. The pool is always ready,
/// so `GRND_NONBLOCK` never says `EAGAIN`; `GRND_RANDOM` and
/// `GRND_INSECURE` read the same source. Unknown flags, and
/// `GRND_INSECURE` with `GRND_RANDOM`, are `EINVAL`.
pub fn sys_getrandom(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (buf, len, flags) = (a.ptr(0), a.usize(1), a.u32(2));
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return_errno!(EINVAL, "getrandom: unknown flags");
    }
    if flags & GRND_INSECURE != 0 && flags & GRND_RANDOM != 0 {
        return_errno!(EINVAL, "getrandom: GRND_INSECURE with GRND_RANDOM");
    }
    let len = len.min(GETRANDOM_MAX);
    if u64::from(buf).saturating_add(len as u64) > ctx.mem.size() {
        return_errno!(EFAULT, "getrandom: buffer outside memory");
    }
    let mut done = 0;
    let mut chunk = vec![0u8; len.min(1 << 16)];
    while done < len {
        let n = (len - done).min(chunk.len());
        ctx.platform().random(&mut chunk[..n]);
        ctx.write_user(buf + done as u32, &chunk[..n])?;
        done += n;
    }
    Ok(len as i64)
}

pub const SYSCALLS: &[Entry] = &[
    sup(SYS_uname, sys_uname),
    sup(SYS_sethostname, sys_sethostname),
    sup(SYS_setdomainname, sys_setdomainname),
    partial(SYS_sysinfo, sys_sysinfo, "fixed total RAM, no load averages"),
    sup(SYS_getrandom, sys_getrandom),
];

#[cfg(test)]
mod tests {
    use wasmpod_abi::misc::{sysinfo, utsname, GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::Harness;

    fn cstr(f: &[u8]) -> &[u8] {
        &f[..f.iter().position(|&c| c == 0).unwrap_or(f.len())]
    }

    #[test]
    fn uname_describes_the_pod() {
        let h = Harness::new();
        let p = h.process(None);
        let b = p.alloc(390);
        assert_eq!(p.sys(SYS_uname, &[u64::from(b)]), 0);
        let u: utsname = p.read_struct(b);
        assert_eq!(cstr(&u.sysname), b"Linux");
        assert_eq!(cstr(&u.nodename), b"wasmpod");
        assert_eq!(cstr(&u.release), super::RELEASE.as_bytes());
        assert_eq!(cstr(&u.machine), b"wasm32");
        assert_eq!(cstr(&u.domainname), b"(none)");
        assert_eq!(p.sys(SYS_uname, &[0xffff_ff00]), e(Errno::EFAULT));
    }

    #[test]
    fn sethostname_needs_root_and_at_most_64_bytes() {
        let h = Harness::new();
        let p = h.process(None);
        let name = p.bytes(b"box");
        assert_eq!(p.sys(SYS_sethostname, &[u64::from(name), 3]), e(Errno::EPERM));
        let r = h.process_as(None, Credentials::root());
        let name = r.bytes(b"box");
        assert_eq!(r.sys(SYS_sethostname, &[u64::from(name), 3]), 0);
        let long = r.bytes(&[b'x'; 65]);
        assert_eq!(r.sys(SYS_sethostname, &[u64::from(long), 65]), e(Errno::EINVAL));
        assert_eq!(r.sys(SYS_setdomainname, &[u64::from(long), 64]), 0);
        let b = r.alloc(390);
        r.sys(SYS_uname, &[u64::from(b)]);
        let u: utsname = r.read_struct(b);
        assert_eq!(cstr(&u.nodename), b"box");
        assert_eq!(cstr(&u.domainname), &[b'x'; 64][..]);
    }

    #[test]
    fn sysinfo_reports_uptime_and_memory() {
        let h = Harness::new();
        let p = h.process(None);
        h.advance_ns(65_000_000_000);
        let b = p.alloc(64);
        assert_eq!(p.sys(SYS_sysinfo, &[u64::from(b)]), 0);
        let s: sysinfo = p.read_struct(b);
        assert_eq!(s.uptime, 65);
        assert_eq!(s.totalram, super::TOTAL_RAM);
        assert_eq!((s.mem_unit, s.procs), (1, 1));
    }

    #[test]
    fn getrandom_fills_the_buffer_and_checks_flags() {
        let h = Harness::new();
        let p = h.process(None);
        let b = p.alloc(64);
        assert_eq!(p.sys(SYS_getrandom, &[u64::from(b), 64, u64::from(GRND_NONBLOCK)]), 64);
        assert_ne!(p.read(b, 64), vec![0; 64]);
        assert_eq!(p.sys(SYS_getrandom, &[u64::from(b), 8, u64::from(GRND_RANDOM)]), 8);
        assert_eq!(p.sys(SYS_getrandom, &[u64::from(b), 8, 8]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_getrandom, &[u64::from(b), 8, u64::from(GRND_INSECURE | GRND_RANDOM)]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_getrandom, &[0xffff_fff0, 64, 0]), e(Errno::EFAULT));
        assert_eq!(p.sys(SYS_getrandom, &[u64::from(b), 0, 0]), 0);
    }
}
