//! Resource limits: prlimit64(2), getrlimit(2), setrlimit(2).
//!
//! Limits are stored per process and inherited by children; the fd table
//! enforces `RLIMIT_NOFILE`, the rest are recorded for programs that read
//! them back (`ulimit`, shells).

use wasmpod_abi::misc::{rlimit64, RLIMIT_NOFILE, RLIM_INFINITY, RLIM_NLIMITS};

use super::{Pid, Rlimit};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Linux's `fs.nr_open` default: the highest `RLIMIT_NOFILE` hard limit.
pub const NR_OPEN: u64 = 1 << 20;

/// The process `pid` names (0 = the caller), if the caller may change its
/// limits (prlimit(2): root, or real, effective and saved ids of the target
/// all equal the caller's real id, same for gids).
fn target(ctx: &Ctx, pid: i32) -> Result<Pid> {
    if pid < 0 {
        return_errno!(EINVAL, "prlimit64: negative pid");
    }
    let me = ctx.pid();
    let pid = if pid == 0 { me } else { pid };
    let Some(t) = ctx.st.procs.procs.get(&pid) else {
        return_errno!(ESRCH, "prlimit64: no such process");
    };
    if pid != me {
        let c = &ctx.process().creds;
        let tc = &t.creds;
        let same = c.uid == tc.uid
            && c.uid == tc.euid
            && c.uid == tc.suid
            && c.gid == tc.gid
            && c.gid == tc.egid
            && c.gid == tc.sgid;
        // Linux checks this for reads too (check_prlimit_permission).
        if !same && !c.is_root() {
            return_errno!(EPERM, "prlimit64: not permitted on this process");
        }
    }
    Ok(pid)
}

/// Sets limit `res` of `pid` to `new` with the checks of setrlimit(2).
fn set_limit(ctx: &mut Ctx, pid: Pid, res: usize, new: Rlimit) -> Result<()> {
    if new.cur > new.max {
        return_errno!(EINVAL, "setrlimit: soft limit above hard limit");
    }
    let root = ctx.process().creds.is_root();
    let Some(p) = ctx.st.procs.procs.get_mut(&pid) else {
        return_errno!(ESRCH, "setrlimit: no such process");
    };
    if new.max > p.rlimits[res].max && !root {
        return_errno!(EPERM, "setrlimit: raising the hard limit needs privilege");
    }
    if res == RLIMIT_NOFILE as usize && new.max > NR_OPEN {
        return_errno!(EPERM, "setrlimit: RLIMIT_NOFILE above fs.nr_open");
    }
    p.rlimits[res] = new;
    Ok(())
}

fn resource(r: u32) -> Result<usize> {
    if r >= RLIM_NLIMITS {
        return_errno!(EINVAL, "rlimit: unknown resource");
    }
    Ok(r as usize)
}

/// Implements prlimit64(2): `prlimit64(pid, resource, new_limit, old_limit)`
/// with `struct rlimit64` (two u64, `RLIM_INFINITY` = `u64::MAX`).
pub fn sys_prlimit64(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (pid, res, new_ptr, old_ptr) = (a.i32(0), a.u32(1), a.ptr(2), a.ptr(3));
    let res = resource(res)?;
    let pid = target(ctx, pid)?;
    let new = if new_ptr != 0 {
        let r: rlimit64 = ctx.read_struct(new_ptr)?;
        Some(Rlimit { cur: r.rlim_cur, max: r.rlim_max })
    } else {
        None
    };
    let old = ctx.st.procs.procs.get(&pid).map(|p| p.rlimits[res]).unwrap_or(Rlimit { cur: 0, max: 0 });
    if let Some(new) = new {
        set_limit(ctx, pid, res, new)?;
    }
    if old_ptr != 0 {
        ctx.write_struct(old_ptr, &rlimit64 { rlim_cur: old.cur, rlim_max: old.max })?;
    }
    Ok(0)
}

/// `unsigned long` limits of the old calls: infinity is `~0UL`, and values
/// that don't fit say infinity (Linux's compat rlimit conversion).
fn to_ulong(v: u64) -> u32 {
    if v >= u64::from(u32::MAX) {
        u32::MAX
    } else {
        v as u32
    }
}
fn from_ulong(v: u32) -> u64 {
    if v == u32::MAX {
        RLIM_INFINITY
    } else {
        u64::from(v)
    }
}

/// Implements getrlimit(2) with ILP32 `struct rlimit` (two 32-bit longs).
pub fn sys_getrlimit(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (res, ptr) = (resource(a.u32(0))?, a.ptr(1));
    let r = ctx.process().rlimits[res];
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&to_ulong(r.cur).to_le_bytes());
    b[4..].copy_from_slice(&to_ulong(r.max).to_le_bytes());
    ctx.write_user(ptr, &b)?;
    Ok(0)
}

/// Implements setrlimit(2) with ILP32 `struct rlimit`.
pub fn sys_setrlimit(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (res, ptr) = (resource(a.u32(0))?, a.ptr(1));
    let new = Rlimit { cur: from_ulong(ctx.read_u32(ptr)?), max: from_ulong(ctx.read_u32(ptr + 4)?) };
    let me = ctx.pid();
    set_limit(ctx, me, res, new)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::misc::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::{Harness, Proc};

    fn get(p: &Proc, pid: i32, res: u32) -> Result<(u64, u64), i64> {
        let old = p.alloc(16);
        match p.sys(SYS_prlimit64, &[pid as u32 as u64, u64::from(res), 0, u64::from(old)]) {
            0 => {
                let r: rlimit64 = p.read_struct(old);
                Ok((r.rlim_cur, r.rlim_max))
            }
            err => Err(err),
        }
    }

    fn set(p: &Proc, pid: i32, res: u32, cur: u64, max: u64) -> i64 {
        let new = p.put_struct(&rlimit64 { rlim_cur: cur, rlim_max: max });
        p.sys(SYS_prlimit64, &[pid as u32 as u64, u64::from(res), u64::from(new), 0])
    }

    #[test]
    fn default_nofile_limits() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(get(&p, 0, RLIMIT_NOFILE), Ok((1024, 4096)));
        assert_eq!(get(&p, 0, RLIMIT_AS), Ok((RLIM_INFINITY, RLIM_INFINITY)));
    }

    #[test]
    fn soft_above_hard_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(set(&p, 0, RLIMIT_NOFILE, 5000, 4096), e(Errno::EINVAL));
    }

    #[test]
    fn raising_the_hard_limit_needs_root() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(set(&p, 0, RLIMIT_NOFILE, 100, 200), 0, "lowering is fine");
        assert_eq!(get(&p, 0, RLIMIT_NOFILE), Ok((100, 200)));
        assert_eq!(set(&p, 0, RLIMIT_NOFILE, 100, 300), e(Errno::EPERM));
        let r = h.process_as(None, Credentials::root());
        assert_eq!(set(&r, 0, RLIMIT_NOFILE, 100, 8192), 0);
        assert_eq!(set(&r, 0, RLIMIT_NOFILE, 100, (1 << 20) + 1), e(Errno::EPERM), "above nr_open");
    }

    #[test]
    fn prlimit_sets_and_returns_old_in_one_call() {
        let h = Harness::new();
        let p = h.process(None);
        let new = p.put_struct(&rlimit64 { rlim_cur: 10, rlim_max: 20 });
        let old = p.alloc(16);
        let r = p.sys(SYS_prlimit64, &[0, u64::from(RLIMIT_CORE), u64::from(new), u64::from(old)]);
        assert_eq!(r, 0);
        let o: rlimit64 = p.read_struct(old);
        assert_eq!((o.rlim_cur, o.rlim_max), (0, RLIM_INFINITY));
        assert_eq!(get(&p, 0, RLIMIT_CORE), Ok((10, 20)));
    }

    #[test]
    fn other_users_processes_are_eperm_and_missing_ones_esrch() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process_as(None, Credentials::with_ids(2000, 2000));
        assert_eq!(get(&a, b.pid, RLIMIT_NOFILE), Err(e(Errno::EPERM)));
        let c = h.process(None);
        assert_eq!(set(&a, c.pid, RLIMIT_NOFILE, 1, 1), 0, "same user");
        assert_eq!(get(&c, 0, RLIMIT_NOFILE), Ok((1, 1)));
        assert_eq!(get(&a, 9999, RLIMIT_NOFILE), Err(e(Errno::ESRCH)));
    }

    #[test]
    fn unknown_resource_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(get(&p, 0, 16), Err(e(Errno::EINVAL)));
        let b = p.alloc(8);
        assert_eq!(p.sys(SYS_getrlimit, &[16, u64::from(b)]), e(Errno::EINVAL));
    }

    #[test]
    fn old_getrlimit_uses_32_bit_longs_with_infinity() {
        let h = Harness::new();
        let p = h.process(None);
        let b = p.alloc(8);
        assert_eq!(p.sys(SYS_getrlimit, &[u64::from(RLIMIT_STACK), u64::from(b)]), 0);
        assert_eq!((p.read_u32(b), p.read_u32(b + 4)), (8 << 20, u32::MAX));
        p.write(b, &[64, 0, 0, 0, 128, 0, 0, 0]);
        assert_eq!(p.sys(SYS_setrlimit, &[u64::from(RLIMIT_NOFILE), u64::from(b)]), 0);
        assert_eq!(get(&p, 0, RLIMIT_NOFILE), Ok((64, 128)));
    }

    #[test]
    fn children_inherit_limits() {
        let h = Harness::new();
        let p = h.process(None);
        set(&p, 0, RLIMIT_NOFILE, 50, 60);
        let c = h.process(Some(&p));
        assert_eq!(get(&c, 0, RLIMIT_NOFILE), Ok((50, 60)));
    }
}
