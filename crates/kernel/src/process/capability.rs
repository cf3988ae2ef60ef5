//! capget/capset, capabilities(7).
//!
//! wasmpod has no per-process capability sets: privilege follows the
//! effective uid (root may do everything, others nothing), which is what
//! every permission check in the kernel uses. capget reports exactly that
//! (root: all capabilities up to `CAP_LAST_CAP` effective and permitted;
//! others: none). capset accepts the sets the caller already has and
//! refuses any change with `EPERM`, since a change could not take effect.

use crate::error::Result;
use crate::kernel::Ctx;
use crate::process::Pid;
use crate::return_errno;
use crate::syscall::{partial, sup, Entry, SyscallArgs};

pub const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
pub const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
/// The highest capability number Linux 6.1 knows (`CAP_CHECKPOINT_RESTORE`).
pub const CAP_LAST_CAP: u32 = 40;

/// `struct __user_cap_header_struct`.
#[derive(Clone, Copy)]
struct Header {
    version: u32,
    pid: i32,
}

/// `struct __user_cap_data_struct`, one per 32 capabilities.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn read_header(ctx: &Ctx, ptr: u32) -> Result<Header> {
    let mut b = [0u8; 8];
    ctx.read_user(ptr, &mut b)?;
    Ok(Header {
        version: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        pid: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    })
}

/// How many data structs a version uses; an unknown version gets the
/// preferred one written back and `EINVAL` (capget(2)).
fn words(ctx: &mut Ctx, hdr_ptr: u32, version: u32) -> Result<usize> {
    match version {
        LINUX_CAPABILITY_VERSION_1 => Ok(1),
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => Ok(2),
        _ => {
            ctx.write_u32(hdr_ptr, LINUX_CAPABILITY_VERSION_3)?;
            return_errno!(EINVAL, "capget: unknown capability version")
        }
    }
}

/// The capability sets of process `pid`, as [`words`] structs.
fn sets_of(ctx: &Ctx, pid: Pid) -> Result<[Data; 2]> {
    let Some(p) = ctx.st.procs.procs.get(&pid) else {
        return_errno!(ESRCH, "capget: no such process");
    };
    if p.creds.euid != 0 {
        return Ok([Data::default(); 2]);
    }
    let all = |word: u32| -> u32 {
        let lo = word * 32;
        (0..32).filter(|b| lo + b <= CAP_LAST_CAP).fold(0, |m, b| m | (1 << b))
    };
    Ok([
        Data { effective: all(0), permitted: all(0), inheritable: 0 },
        Data { effective: all(1), permitted: all(1), inheritable: 0 },
    ])
}

fn target(ctx: &Ctx, pid: i32) -> Result<Pid> {
    if pid < 0 {
        return_errno!(EINVAL, "capget: negative pid");
    }
    Ok(if pid == 0 { ctx.pid() } else { pid })
}

/// Implements capget(2): `(hdrp, datap)`. A NULL `datap` only checks the
/// version (how libcap probes it).
pub fn sys_capget(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let hdr = read_header(ctx, a.ptr(0))?;
    let n = words(ctx, a.ptr(0), hdr.version)?;
    let pid = target(ctx, hdr.pid)?;
    let sets = sets_of(ctx, pid)?;
    if a.ptr(1) == 0 {
        return Ok(0);
    }
    for (i, d) in sets.iter().take(n).enumerate() {
        let mut b = [0u8; 12];
        b[0..4].copy_from_slice(&d.effective.to_le_bytes());
        b[4..8].copy_from_slice(&d.permitted.to_le_bytes());
        b[8..12].copy_from_slice(&d.inheritable.to_le_bytes());
        ctx.write_user(a.ptr(1) + 12 * i as u32, &b)?;
    }
    Ok(0)
}

/// Implements capset(2): `(hdrp, datap)`. Only the caller's own sets, and
/// only unchanged (see the module docs).
pub fn sys_capset(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let hdr = read_header(ctx, a.ptr(0))?;
    let n = words(ctx, a.ptr(0), hdr.version)?;
    let me = ctx.pid();
    if hdr.pid != 0 && hdr.pid != me {
        return_errno!(EPERM, "capset: only the caller's own capabilities");
    }
    let have = sets_of(ctx, me)?;
    for (i, cur) in have.iter().take(n).enumerate() {
        let raw = ctx.read_user_vec(a.ptr(1) + 12 * i as u32, 12)?;
        let w = |o: usize| u32::from_le_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
        let new = Data { effective: w(0), permitted: w(4), inheritable: w(8) };
        if new != *cur {
            return_errno!(EPERM, "capset: capabilities follow the uid in wasmpod and cannot change");
        }
    }
    Ok(0)
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[
        sup(SYS_capget, sys_capget),
        partial(SYS_capset, sys_capset, "capabilities follow the effective uid; only unchanged sets are accepted"),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Credentials;
    use crate::testing::Harness;
    use wasmpod_abi::syscalls::*;

    fn header(p: &crate::testing::Proc, version: u32, pid: i32) -> u32 {
        let mut b = version.to_le_bytes().to_vec();
        b.extend_from_slice(&pid.to_le_bytes());
        p.bytes(&b)
    }

    #[test]
    fn root_has_every_capability_and_users_none() {
        let h = Harness::new();
        let root = h.process_as(None, Credentials::root());
        let user = h.process(None);
        let data = root.alloc(24);
        assert_eq!(
            root.sys(SYS_capget, &[u64::from(header(&root, LINUX_CAPABILITY_VERSION_3, 0)), u64::from(data)]),
            0
        );
        assert_eq!(root.read_u32(data), u32::MAX, "caps 0..31 effective");
        assert_eq!(root.read_u32(data + 12), 0x1ff, "caps 32..40 effective");
        let d2 = user.alloc(24);
        assert_eq!(user.sys(SYS_capget, &[u64::from(header(&user, LINUX_CAPABILITY_VERSION_3, 0)), u64::from(d2)]), 0);
        assert_eq!(user.read(d2, 24), vec![0; 24]);
        // Another process's sets, and a missing one.
        assert_eq!(
            user.sys(SYS_capget, &[u64::from(header(&user, LINUX_CAPABILITY_VERSION_3, root.pid)), u64::from(d2)]),
            0
        );
        assert_eq!(user.read_u32(d2), u32::MAX);
        assert_eq!(
            user.sys(SYS_capget, &[u64::from(header(&user, LINUX_CAPABILITY_VERSION_3, 9999)), u64::from(d2)]),
            -3
        );
    }

    #[test]
    fn unknown_version_writes_the_preferred_one_and_fails() {
        let h = Harness::new();
        let p = h.process(None);
        let hdr = header(&p, 0x1234, 0);
        assert_eq!(p.sys(SYS_capget, &[u64::from(hdr), 0]), -22);
        assert_eq!(p.read_u32(hdr), LINUX_CAPABILITY_VERSION_3);
        // Probing with a known version and no data pointer succeeds.
        assert_eq!(p.sys(SYS_capget, &[u64::from(hdr), 0]), 0);
    }

    #[test]
    fn capset_accepts_no_change_and_refuses_changes() {
        let h = Harness::new();
        let p = h.process(None);
        let hdr = header(&p, LINUX_CAPABILITY_VERSION_3, 0);
        let zeros = p.alloc(24);
        assert_eq!(p.sys(SYS_capset, &[u64::from(hdr), u64::from(zeros)]), 0);
        let raise = p.bytes(&[1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(p.sys(SYS_capset, &[u64::from(hdr), u64::from(raise)]), -1);
        let other = header(&p, LINUX_CAPABILITY_VERSION_3, 9999);
        assert_eq!(p.sys(SYS_capset, &[u64::from(other), u64::from(zeros)]), -1);
    }
}
