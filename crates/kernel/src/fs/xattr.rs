//! Extended attributes: the `*xattr` family.
//!
//! No filesystem of ours stores extended attributes yet (tmpfs keeps none;
//! the ext2 crate reads them but the adapter does not expose them). The
//! calls therefore behave as Linux does on a filesystem without xattr
//! support: after resolving the path (ENOENT, ENOTDIR, EACCES, ELOOP as
//! usual) and checking the arguments, get/set/remove say `EOPNOTSUPP` and
//! list returns an empty list. This matters: tools such as `ls` and `cp -a`
//! treat `EOPNOTSUPP` as "no attributes here" but would report `ENOSYS`.

use wasmpod_abi::Errno;

use super::vfs;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::{partial, Entry, SyscallArgs};
use crate::{errno, return_errno};

/// Longest attribute name (`XATTR_NAME_MAX`).
pub const XATTR_NAME_MAX: usize = 255;
/// Largest attribute value (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: usize = 65536;
pub const XATTR_CREATE: u32 = 1;
pub const XATTR_REPLACE: u32 = 2;

/// How a call names its file.
#[derive(Clone, Copy)]
enum Target {
    Path { follow: bool },
    Fd,
}

/// Resolves the file a call names (existence and permissions as for stat).
fn check_target(ctx: &mut Ctx, a: &SyscallArgs, t: Target) -> Result<()> {
    match t {
        Target::Path { follow } => {
            let path = ctx.read_path(a.ptr(0))?;
            vfs::resolve(ctx, wasmpod_abi::fcntl::AT_FDCWD, &path, follow)?;
        }
        Target::Fd => {
            let f = ctx.file(a.fd(0))?;
            if f.is_path_only() {
                return_errno!(EBADF, "xattr call on an O_PATH fd");
            }
        }
    }
    Ok(())
}

/// Reads and checks an attribute name: `ERANGE` when empty or longer than
/// `XATTR_NAME_MAX` (getxattr(2)), `EOPNOTSUPP` outside the known
/// namespaces.
fn check_name(ctx: &Ctx, ptr: u32) -> Result<()> {
    let name = ctx.read_cstr(ptr, XATTR_NAME_MAX, Errno::ERANGE)?;
    if name.is_empty() {
        return_errno!(ERANGE, "empty attribute name");
    }
    let known = [&b"user."[..], b"trusted.", b"security.", b"system."];
    if !known.iter().any(|p| name.starts_with(p)) {
        return_errno!(EOPNOTSUPP, "attribute name outside the user/trusted/security/system namespaces");
    }
    Ok(())
}

fn get(ctx: &mut Ctx, a: &SyscallArgs, t: Target) -> Result<i64> {
    check_target(ctx, a, t)?;
    check_name(ctx, a.ptr(1))?;
    Err(errno!(EOPNOTSUPP, "this filesystem stores no extended attributes"))
}

fn set(ctx: &mut Ctx, a: &SyscallArgs, t: Target) -> Result<i64> {
    check_target(ctx, a, t)?;
    check_name(ctx, a.ptr(1))?;
    if a.usize(3) > XATTR_SIZE_MAX {
        return_errno!(E2BIG, "attribute value larger than XATTR_SIZE_MAX");
    }
    if a.u32(4) & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return_errno!(EINVAL, "setxattr: unknown flags");
    }
    Err(errno!(EOPNOTSUPP, "this filesystem stores no extended attributes"))
}

fn list(ctx: &mut Ctx, a: &SyscallArgs, t: Target) -> Result<i64> {
    check_target(ctx, a, t)?;
    // An empty list: zero bytes, whatever the buffer size.
    Ok(0)
}

fn remove(ctx: &mut Ctx, a: &SyscallArgs, t: Target) -> Result<i64> {
    check_target(ctx, a, t)?;
    check_name(ctx, a.ptr(1))?;
    Err(errno!(EOPNOTSUPP, "this filesystem stores no extended attributes"))
}

/// Implements getxattr(2): `(path, name, value, size)`.
pub fn sys_getxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    get(ctx, a, Target::Path { follow: true })
}
/// Implements lgetxattr(2).
pub fn sys_lgetxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    get(ctx, a, Target::Path { follow: false })
}
/// Implements fgetxattr(2): `(fd, name, value, size)`.
pub fn sys_fgetxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    get(ctx, a, Target::Fd)
}
/// Implements setxattr(2): `(path, name, value, size, flags)`.
pub fn sys_setxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set(ctx, a, Target::Path { follow: true })
}
/// Implements lsetxattr(2).
pub fn sys_lsetxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set(ctx, a, Target::Path { follow: false })
}
/// Implements fsetxattr(2).
pub fn sys_fsetxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    set(ctx, a, Target::Fd)
}
/// Implements listxattr(2): `(path, list, size)`.
pub fn sys_listxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    list(ctx, a, Target::Path { follow: true })
}
/// Implements llistxattr(2).
pub fn sys_llistxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    list(ctx, a, Target::Path { follow: false })
}
/// Implements flistxattr(2).
pub fn sys_flistxattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    list(ctx, a, Target::Fd)
}
/// Implements removexattr(2): `(path, name)`.
pub fn sys_removexattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    remove(ctx, a, Target::Path { follow: true })
}
/// Implements lremovexattr(2).
pub fn sys_lremovexattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    remove(ctx, a, Target::Path { follow: false })
}
/// Implements fremovexattr(2).
pub fn sys_fremovexattr(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    remove(ctx, a, Target::Fd)
}

const WHY: &str = "no filesystem stores xattrs yet: get/set/remove are EOPNOTSUPP, list is empty";

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[
        partial(SYS_getxattr, sys_getxattr, WHY),
        partial(SYS_lgetxattr, sys_lgetxattr, WHY),
        partial(SYS_fgetxattr, sys_fgetxattr, WHY),
        partial(SYS_setxattr, sys_setxattr, WHY),
        partial(SYS_lsetxattr, sys_lsetxattr, WHY),
        partial(SYS_fsetxattr, sys_fsetxattr, WHY),
        partial(SYS_listxattr, sys_listxattr, WHY),
        partial(SYS_llistxattr, sys_llistxattr, WHY),
        partial(SYS_flistxattr, sys_flistxattr, WHY),
        partial(SYS_removexattr, sys_removexattr, WHY),
        partial(SYS_lremovexattr, sys_lremovexattr, WHY),
        partial(SYS_fremovexattr, sys_fremovexattr, WHY),
    ]
};

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;

    use crate::fs::open::test_util::*;
    use crate::testing::Harness;

    const EOPNOTSUPP: i64 = -95;

    #[test]
    fn xattrs_resolve_the_path_then_say_eopnotsupp() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"x");
        let buf = p.alloc(64);
        let get = |path: &str, name: &str| p.sys(SYS_getxattr, &[p.cstr(path), p.cstr(name), u64::from(buf), 64]);
        assert_eq!(get("/tmp/f", "user.mime"), EOPNOTSUPP);
        assert_eq!(get("/tmp/missing", "user.mime"), -2, "ENOENT comes first");
        assert_eq!(get("/tmp/f/x", "user.mime"), -20, "ENOTDIR");
        assert_eq!(get("/tmp/f", "bogus.name"), EOPNOTSUPP);
        assert_eq!(get("/tmp/f", ""), -34, "ERANGE for an empty name");
        assert_eq!(get("/tmp/f", &"a".repeat(300)), -34, "ERANGE for a name over 255 bytes");
    }

    #[test]
    fn listxattr_is_empty_and_removexattr_unsupported() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"x");
        let buf = p.alloc(64);
        assert_eq!(p.sys(SYS_listxattr, &[p.cstr("/tmp/f"), u64::from(buf), 64]), 0);
        assert_eq!(p.sys(SYS_llistxattr, &[p.cstr("/tmp/nope"), u64::from(buf), 64]), -2);
        assert_eq!(p.sys(SYS_removexattr, &[p.cstr("/tmp/f"), p.cstr("user.a")]), EOPNOTSUPP);
    }

    #[test]
    fn setxattr_checks_size_and_flags_before_refusing() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"x");
        let v = p.bytes(b"value");
        let set = |size: u64, flags: u64| {
            p.sys(SYS_setxattr, &[p.cstr("/tmp/f"), p.cstr("user.k"), u64::from(v), size, flags])
        };
        assert_eq!(set(5, 0), EOPNOTSUPP);
        assert_eq!(set(5, 4), -22, "EINVAL for unknown flags");
        assert_eq!(set(70_000, 0), -7, "E2BIG over XATTR_SIZE_MAX");
    }

    #[test]
    fn fd_xattr_calls_need_a_real_fd() {
        let h = Harness::new();
        let p = h.process(None);
        put(&p, "/tmp/f", b"x");
        let fd = open(&p, "/tmp/f", 0, 0);
        let buf = p.alloc(16);
        assert_eq!(p.sys(SYS_fgetxattr, &[fd as u64, p.cstr("user.a"), u64::from(buf), 16]), EOPNOTSUPP);
        assert_eq!(p.sys(SYS_flistxattr, &[fd as u64, u64::from(buf), 16]), 0);
        assert_eq!(p.sys(SYS_fgetxattr, &[99, p.cstr("user.a"), u64::from(buf), 16]), -9);
        let pfd = open(&p, "/tmp/f", wasmpod_abi::fcntl::O_PATH, 0);
        assert_eq!(p.sys(SYS_flistxattr, &[pfd as u64, u64::from(buf), 16]), -9, "EBADF for O_PATH");
    }
}
