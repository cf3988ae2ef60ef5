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
