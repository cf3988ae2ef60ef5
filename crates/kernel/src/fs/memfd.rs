//! memfd_create(2): an anonymous, growable file in memory.
//!
//! Every memfd is an unlinked regular file of one kernel-wide internal
//! tmpfs (like Linux's internal shm mount), so it reads, writes, seeks,
//! truncates, maps and stats like any tmpfs file, and goes away with its
//! last reference. `/proc/<pid>/fd` shows it as `/memfd:NAME (deleted)`.
//!
//! Not here yet: file seals (`F_ADD_SEALS` is EINVAL in fcntl), so
//! `MFD_ALLOW_SEALING` is accepted but sealing itself fails.

use std::sync::{Arc, OnceLock};

use wasmpod_abi::fcntl::O_RDWR;

use super::inode_file::InodeFile;
use super::tmpfs::{TmpFs, TmpInode};
use super::vfs::Location;
use super::OpenFile;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::{partial, Entry, SyscallArgs};
use crate::{errno, return_errno};

pub const MFD_CLOEXEC: u32 = 0x1;
pub const MFD_ALLOW_SEALING: u32 = 0x2;
pub const MFD_HUGETLB: u32 = 0x4;
pub const MFD_NOEXEC_SEAL: u32 = 0x8;
pub const MFD_EXEC: u32 = 0x10;
/// memfd_create(2): "The name ... limited to 249 bytes" (NAME_MAX minus
/// the "memfd:" prefix).
pub const MFD_NAME_MAX: usize = 249;

/// The internal tmpfs all memfds live in. Its root never gets an entry
/// (memfds are unlinked from birth), so sharing it between kernels in one
/// host process shares nothing observable.
fn memfd_root() -> Arc<TmpInode> {
    static ROOT: OnceLock<Arc<TmpInode>> = OnceLock::new();
    ROOT.get_or_init(|| TmpFs::new_root(0o1777, 0, 0)).clone()
}

/// Implements memfd_create(2): `(name, flags)`.
pub fn sys_memfd_create(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(1);
    let known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & !known != 0 {
        return_errno!(EINVAL, "memfd_create: unknown flags");
    }
    if flags & MFD_HUGETLB != 0 {
        return_errno!(EINVAL, "memfd_create: no huge pages");
    }
    if flags & MFD_NOEXEC_SEAL != 0 && flags & MFD_EXEC != 0 {
        return_errno!(EINVAL, "memfd_create: MFD_EXEC with MFD_NOEXEC_SEAL");
    }
    let name = ctx.read_cstr(a.ptr(0), MFD_NAME_MAX, wasmpod_abi::Errno::EINVAL)?;
    let creds = ctx.process().creds.clone();
    let mode = if flags & MFD_NOEXEC_SEAL != 0 { 0o666 } else { 0o777 };
    let root: Arc<dyn crate::fs::Inode> = memfd_root();
    let inode = root.create_tmpfile(ctx, mode, creds.fsuid, creds.fsgid, false)?;
    let mut path = b"/memfd:".to_vec();
    path.extend_from_slice(&name);
    path.extend_from_slice(b" (deleted)");
    let mount = ctx.st.fs.root_mount;
    let loc = Location { mount, inode, path: path.clone() };
    let file = OpenFile::with_path(InodeFile::new(loc, false), O_RDWR, path);
    super::open::install_fd(ctx, file, flags & MFD_CLOEXEC != 0).map(i64::from).map_err(|e| {
        if e.errno() == wasmpod_abi::Errno::EMFILE {
            errno!(EMFILE, "memfd_create: no free fd")
        } else {
            e
        }
    })
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[partial(
        SYS_memfd_create,
        sys_memfd_create,
        "MFD_ALLOW_SEALING accepted but seals are not implemented; no MFD_HUGETLB",
    )]
};

#[cfg(test)]
mod tests {
    use wasmpod_abi::fs::stat;
    use wasmpod_abi::syscalls::*;

    use crate::fs::open::test_util::*;
    use crate::testing::Harness;

    #[test]
    fn memfd_is_a_readable_writable_unlinked_file() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = p.sys(SYS_memfd_create, &[p.cstr("buf"), 1]);
        assert!(fd >= 0, "{fd}");
        assert_eq!(write(&p, fd, b"hello memfd"), 11);
        assert_eq!(p.sys(SYS_lseek, &[fd as u64, 0, 0, 0, u64::from(p.alloc(8))]), 0);
        assert_eq!(read(&p, fd, 64), b"hello memfd");
        assert_eq!(p.sys(SYS_ftruncate, &[fd as u64, 4096, 0]), 0);
        let st = p.alloc(128);
        assert_eq!(p.sys(SYS_fstat, &[fd as u64, u64::from(st)]), 0);
        let s: stat = p.read_struct(st);
        assert_eq!(s.st_size, 4096);
        assert_eq!(s.st_nlink, 0, "memfds are never linked");
        assert_eq!(s.st_mode & 0o170000, 0o100000);
        // MFD_CLOEXEC sets FD_CLOEXEC.
        assert_eq!(p.sys(SYS_fcntl, &[fd as u64, 1]), 1);
    }

    #[test]
    fn memfd_checks_flags_and_name_length() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_memfd_create, &[p.cstr("x"), 0x100]), -22);
        assert_eq!(p.sys(SYS_memfd_create, &[p.cstr("x"), 4]), -22, "no hugetlb");
        assert_eq!(p.sys(SYS_memfd_create, &[p.cstr(&"n".repeat(250)), 0]), -22);
        assert!(p.sys(SYS_memfd_create, &[p.cstr(&"n".repeat(249)), 0]) >= 0);
        assert_eq!(p.sys(SYS_memfd_create, &[0xffff_fff0, 0]), -14, "EFAULT for a name outside memory");
    }

    #[test]
    fn two_memfds_are_independent() {
        let h = Harness::new();
        let p = h.process(None);
        let a = p.sys(SYS_memfd_create, &[p.cstr("a"), 0]);
        let b = p.sys(SYS_memfd_create, &[p.cstr("b"), 0]);
        assert_eq!(write(&p, a, b"AAAA"), 4);
        assert_eq!(read(&p, b, 16), b"");
    }
}
