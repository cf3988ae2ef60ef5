//! Credentials: get/set of real, effective, saved and filesystem user and
//! group ids, and supplementary groups (credentials(7)).
//!
//! There are no capabilities: "privileged" means the effective uid is 0
//! (for the uid calls, Linux's `CAP_SETUID`; for the gid calls and
//! setgroups, `CAP_SETGID`). The filesystem ids follow the effective ids
//! whenever those change, as in Linux. The calls act on the whole process
//! (POSIX semantics, which musl gives through its set*id broadcast anyway).

use wasmpod_abi::Errno;

use super::Credentials;
use crate::error::{Error, Result};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// `NGROUPS_MAX` on Linux.
pub const NGROUPS_MAX: usize = 65536;

/// The id meaning "leave unchanged" (`(uid_t)-1`).
const KEEP: u32 = u32::MAX;

fn creds<'a>(ctx: &'a Ctx) -> &'a Credentials {
    &ctx.process().creds
}

/// Implements getuid(2).
pub fn sys_getuid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(creds(ctx).uid))
}
/// Implements geteuid(2).
pub fn sys_geteuid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(creds(ctx).euid))
}
/// Implements getgid(2).
pub fn sys_getgid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(creds(ctx).gid))
}
/// Implements getegid(2).
pub fn sys_getegid(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    Ok(i64::from(creds(ctx).egid))
}

/// The three ids of one kind (user or group) and the fs id, so the uid and
/// gid families share their rules.
#[derive(Clone, Copy)]
struct Ids {
    r: u32,
    e: u32,
    s: u32,
    fs: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Group,
}

fn get_ids(c: &Credentials, k: Kind) -> Ids {
    match k {
        Kind::User => Ids { r: c.uid, e: c.euid, s: c.suid, fs: c.fsuid },
        Kind::Group => Ids { r: c.gid, e: c.egid, s: c.sgid, fs: c.fsgid },
    }
}

fn put_ids(c: &mut Credentials, k: Kind, i: Ids) {
    match k {
        Kind::User => (c.uid, c.euid, c.suid, c.fsuid) = (i.r, i.e, i.s, i.fs),
        Kind::Group => (c.gid, c.egid, c.sgid, c.fsgid) = (i.r, i.e, i.s, i.fs),
    }
}

fn eperm(msg: &'static str) -> Error {
    Error::new(Errno::EPERM, msg)
}

/// setuid(2)/setgid(2): privileged → all of real, effective, saved; else
/// only the effective id, to the real or saved id.
fn set_id(ctx: &mut Ctx, k: Kind, id: u32) -> Result<i64> {
    if id == KEEP {
        return_errno!(EINVAL, "set*id: invalid id");
    }
    let c = &mut ctx.process_mut().creds;
    let privileged = c.is_root();
    let mut i = get_ids(c, k);
    if privileged {
        i = Ids { r: id, e: id, s: id, fs: id };
    } else if id == i.r || id == i.s {
        i.e = id;
        i.fs = id;
    } else {
        return Err(eperm("set*id: not permitted"));
    }
    put_ids(c, k, i);
    Ok(0)
}

/// setreuid(2)/setregid(2): unprivileged, the real id may become the real
/// or effective one, the effective id the real, effective or saved one.
/// "If the real user ID is set or the effective user ID is set to a value
/// not equal to the previous real user ID, the saved set-user-ID will be
/// set to the new effective user ID."
fn set_re(ctx: &mut Ctx, k: Kind, r: u32, e: u32) -> Result<i64> {
    let c = &mut ctx.process_mut().creds;
    let privileged = c.is_root();
    let old = get_ids(c, k);
    let mut i = old;
    if r != KEEP {
        if !privileged && r != old.r && r != old.e {
            return Err(eperm("setre*id: real id not permitted"));
        }
        i.r = r;
    }
    if e != KEEP {
        if !privileged && e != old.r && e != old.e && e != old.s {
            return Err(eperm("setre*id: effective id not permitted"));
        }
        i.e = e;
    }
    if r != KEEP || (e != KEEP && e != old.r) {
        i.s = i.e;
    }
    i.fs = i.e;
    put_ids(c, k, i);
    Ok(0)
}

/// setresuid(2)/setresgid(2): unprivileged, each new id must be one of the
/// current real, effective or saved ids.
fn set_res(ctx: &mut Ctx, k: Kind, r: u32, e: u32, s: u32) -> Result<i64> {
    let c = &mut ctx.process_mut().creds;
    let privileged = c.is_root();
    let old = get_ids(c, k);
    let allowed = |v: u32| v == KEEP || privileged || v == old.r || v == old.e || v == old.s;
    if !(allowed(r) && allowed(e) && allowed(s)) {
        return Err(eperm("setres*id: not permitted"));
    }
    let mut i = old;
    if r != KEEP {
        i.r = r;
    }
    if e != KEEP {
        i.e = e;
    }
    if s != KEEP {
        i.s = s;
    }
    i.fs = i.e;
    put_ids(c, k, i);
    Ok(0)
}

fn get_res(ctx: &mut Ctx, k: Kind, a: &SyscallArgs) -> Result<i64> {
    let i = get_ids(creds(ctx), k);
    ctx.write_u32(a.ptr(0), i.r)?;
    ctx.write_u32(a.ptr(1), i.e)?;
    ctx.write_u32(a.ptr(2), i.s)?;
    Ok(0)
}

/// setfsuid(2)/setfsgid(2): always returns the previous fs id; changes it
/// when privileged or when the new id is the real, effective, saved or
/// current fs id. No error is ever returned.
fn set_fs(ctx: &mut Ctx, k: Kind, id: u32) -> Result<i64> {
    let c = &mut ctx.process_mut().creds;
    let privileged = c.is_root();
    let mut i = get_ids(c, k);
    let old = i.fs;
    if id != KEEP && (privileged || id == i.r || id == i.e || id == i.s || id == i.fs) {
        i.fs = id;
        put_ids(c, k, i);
    }
    Ok(i64::from(old))
}

/// Implements setuid(2).
pub fn sys_setuid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_id(ctx, Kind::User, a.u32(0))
}
/// Implements setgid(2).
pub fn sys_setgid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_id(ctx, Kind::Group, a.u32(0))
}
/// Implements setreuid(2).
pub fn sys_setreuid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_re(ctx, Kind::User, a.u32(0), a.u32(1))
}
/// Implements setregid(2).
pub fn sys_setregid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_re(ctx, Kind::Group, a.u32(0), a.u32(1))
}
/// Implements setresuid(2).
pub fn sys_setresuid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_res(ctx, Kind::User, a.u32(0), a.u32(1), a.u32(2))
}
/// Implements setresgid(2).
pub fn sys_setresgid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_res(ctx, Kind::Group, a.u32(0), a.u32(1), a.u32(2))
}
/// Implements getresuid(2).
pub fn sys_getresuid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    get_res(ctx, Kind::User, a)
}
/// Implements getresgid(2).
pub fn sys_getresgid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    get_res(ctx, Kind::Group, a)
}
/// Implements setfsuid(2).
pub fn sys_setfsuid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_fs(ctx, Kind::User, a.u32(0))
}
/// Implements setfsgid(2).
pub fn sys_setfsgid(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set_fs(ctx, Kind::Group, a.u32(0))
}

/// Implements getgroups(2): `getgroups(size, list)`. Size 0 returns the
/// count without writing; a size smaller than the count is `EINVAL`.
pub fn sys_getgroups(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (size, list) = (a.i32(0), a.ptr(1));
    if size < 0 {
        return_errno!(EINVAL, "getgroups: negative size");
    }
    let groups = creds(ctx).groups.clone();
    if size == 0 {
        return Ok(groups.len() as i64);
    }
    if (size as usize) < groups.len() {
        return_errno!(EINVAL, "getgroups: list too small");
    }
    let bytes: Vec<u8> = groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    ctx.write_user(list, &bytes)?;
    Ok(groups.len() as i64)
}

/// Implements setgroups(2): privileged only (`EPERM`, checked first); more than
/// `NGROUPS_MAX` is `EINVAL`.
pub fn sys_setgroups(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (size, list) = (a.usize(0), a.ptr(1));
    // Linux checks the privilege first.
    if !creds(ctx).is_root() {
        return_errno!(EPERM, "setgroups: not privileged");
    }
    if size > NGROUPS_MAX {
        return_errno!(EINVAL, "setgroups: too many groups");
    }
    let bytes = ctx.read_user_vec(list, size * 4)?;
    let mut groups: Vec<u32> = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    // Linux keeps the list sorted (groups_sort); getgroups shows it so.
    groups.sort_unstable();
    ctx.process_mut().creds.groups = groups;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::{Harness, Proc};

    const KEEP: u64 = u32::MAX as u64;

    fn res(p: &Proc, nr: u32) -> (u32, u32, u32) {
        let b = p.alloc(12);
        assert_eq!(p.sys(nr, &[u64::from(b), u64::from(b + 4), u64::from(b + 8)]), 0);
        (p.read_u32(b), p.read_u32(b + 4), p.read_u32(b + 8))
    }

    #[test]
    fn default_user_ids() {
        let h = Harness::new();
        let p = h.process(None);
        for nr in [SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid] {
            assert_eq!(p.sys(nr, &[]), 1000);
        }
        assert_eq!(res(&p, SYS_getresuid), (1000, 1000, 1000));
    }

    #[test]
    fn unprivileged_setuid_to_a_foreign_id_is_eperm() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_setuid, &[0]), e(Errno::EPERM));
        assert_eq!(p.sys(SYS_setuid, &[1000]), 0, "own id is fine");
        assert_eq!(p.sys(SYS_setuid, &[KEEP]), e(Errno::EINVAL));
    }

    #[test]
    fn root_setuid_changes_all_three_ids() {
        let h = Harness::new();
        let p = h.process_as(None, Credentials::root());
        assert_eq!(p.sys(SYS_setuid, &[1000]), 0);
        assert_eq!(res(&p, SYS_getresuid), (1000, 1000, 1000));
        assert_eq!(p.sys(SYS_setuid, &[0]), e(Errno::EPERM), "privilege is gone for good");
        assert_eq!(p.sys(SYS_setfsuid, &[KEEP]), 1000, "fs id followed");
    }

    #[test]
    fn saved_root_lets_euid_switch_back() {
        let h = Harness::new();
        let p = h.process_as(None, Credentials::root());
        assert_eq!(p.sys(SYS_setresuid, &[1000, 1000, 0]), 0);
        assert_eq!(p.sys(SYS_geteuid, &[]), 1000);
        assert_eq!(p.sys(SYS_setuid, &[0]), 0, "unprivileged setuid to the saved id");
        assert_eq!(res(&p, SYS_getresuid), (1000, 0, 0));
    }

    #[test]
    fn setreuid_swap_updates_the_saved_id() {
        let h = Harness::new();
        let p = h.process_as(None, Credentials::root());
        assert_eq!(p.sys(SYS_setresuid, &[1000, 2000, 2000]), 0);
        // Unprivileged swap of real and effective.
        assert_eq!(p.sys(SYS_setreuid, &[2000, 1000]), 0);
        assert_eq!(res(&p, SYS_getresuid), (2000, 1000, 1000), "ruid set → suid = new euid");
        assert_eq!(p.sys(SYS_setreuid, &[3000, KEEP]), e(Errno::EPERM));
        assert_eq!(p.sys(SYS_setreuid, &[KEEP, 3000]), e(Errno::EPERM));
    }

    #[test]
    fn setreuid_effective_equal_to_real_keeps_saved() {
        let h = Harness::new();
        let p = h.process_as(None, Credentials::root());
        p.sys(SYS_setresuid, &[1000, 2000, 3000]);
        assert_eq!(p.sys(SYS_setreuid, &[KEEP, 1000]), 0);
        assert_eq!(res(&p, SYS_getresuid), (1000, 1000, 3000));
        assert_eq!(p.sys(SYS_setreuid, &[KEEP, 3000]), 0, "to the saved id is allowed");
        assert_eq!(res(&p, SYS_getresuid), (1000, 3000, 3000));
    }

    #[test]
    fn setresuid_unprivileged_must_pick_current_ids() {
        let h = Harness::new();
        let p = h.process_as(None, Credentials::root());
        p.sys(SYS_setresuid, &[1000, 2000, 3000]);
        assert_eq!(p.sys(SYS_setresuid, &[3000, 1000, 2000]), 0);
        assert_eq!(res(&p, SYS_getresuid), (3000, 1000, 2000));
        assert_eq!(p.sys(SYS_setresuid, &[4000, KEEP, KEEP]), e(Errno::EPERM));
        assert_eq!(res(&p, SYS_getresuid), (3000, 1000, 2000), "nothing changed on failure");
    }

    #[test]
    fn setresgid_and_getresgid() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_setresgid, &[KEEP, KEEP, KEEP]), 0);
        assert_eq!(p.sys(SYS_setresgid, &[0, KEEP, KEEP]), e(Errno::EPERM));
        assert_eq!(res(&p, SYS_getresgid), (1000, 1000, 1000));
        let r = h.process_as(None, Credentials::root());
        assert_eq!(r.sys(SYS_setresgid, &[5, 6, 7]), 0);
        assert_eq!(res(&r, SYS_getresgid), (5, 6, 7));
        assert_eq!(r.sys(SYS_getegid, &[]), 6);
    }

    #[test]
    fn setgid_unprivileged_follows_the_uid_rules() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_setgid, &[0]), e(Errno::EPERM));
        assert_eq!(p.sys(SYS_setgid, &[1000]), 0);
        assert_eq!(p.sys(SYS_setregid, &[KEEP, 0]), e(Errno::EPERM));
    }

    #[test]
    fn setfsuid_returns_the_old_id_and_never_fails() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_setfsuid, &[0]), 1000, "refused silently");
        assert_eq!(p.sys(SYS_setfsuid, &[KEEP]), 1000);
        let r = h.process_as(None, Credentials::root());
        assert_eq!(r.sys(SYS_setfsuid, &[1234]), 0);
        assert_eq!(r.sys(SYS_setfsuid, &[KEEP]), 1234);
        assert_eq!(r.sys(SYS_setfsgid, &[55]), 0);
        assert_eq!(r.sys(SYS_setfsgid, &[KEEP]), 55);
    }

    #[test]
    fn setgroups_needs_root_and_getgroups_reports_sorted() {
        let h = Harness::new();
        let p = h.process(None);
        let list = p.bytes(&[3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(p.sys(SYS_setgroups, &[2, u64::from(list)]), e(Errno::EPERM));
        let r = h.process_as(None, Credentials::root());
        let list = r.bytes(&[3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(r.sys(SYS_setgroups, &[2, u64::from(list)]), 0);
        assert_eq!(r.sys(SYS_getgroups, &[0, 0]), 2, "size 0 counts");
        let out = r.alloc(8);
        assert_eq!(r.sys(SYS_getgroups, &[2, u64::from(out)]), 2);
        assert_eq!((r.read_u32(out), r.read_u32(out + 4)), (1, 3));
        assert_eq!(r.sys(SYS_getgroups, &[1, u64::from(out)]), e(Errno::EINVAL), "list too small");
        assert_eq!(r.sys(SYS_setgroups, &[65537, u64::from(list)]), e(Errno::EINVAL));
    }

    #[test]
    fn children_inherit_credentials() {
        let h = Harness::new();
        let r = h.process_as(None, Credentials::root());
        r.sys(SYS_setresuid, &[7, 7, 7]);
        r.sys(SYS_vfork, &[]);
        assert_eq!(r.sys(SYS_getuid, &[]), 7);
    }
}
