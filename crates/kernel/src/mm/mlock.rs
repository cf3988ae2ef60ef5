//! mlock(2), munlock, mlock2, mlockall, munlockall: accepted and recorded;
//! all memory is always resident.

use wasmpod_abi::mman::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT};

use super::{page_up, with_mm, PAGE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// `[addr rounded down, addr + len rounded up)`: mlock rounds instead of
/// failing on unaligned addresses.
fn lock_range(ctx: &mut Ctx, addr: u32, len: usize, lock: bool) -> Result<i64> {
    let a = u64::from(addr) / PAGE * PAGE;
    let b = page_up(u64::from(addr) + len as u64);
    if b > 1 << 32 {
        return_errno!(ENOMEM, "mlock: range beyond the address space");
    }
    with_mm(ctx, |mm| {
        if !mm.covered(a, b) {
            return_errno!(ENOMEM, "mlock: range not mapped");
        }
        mm.modify(a, b, |r| r.locked = lock);
        Ok(0)
    })?
}

/// Implements mlock(2).
pub fn sys_mlock(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    lock_range(ctx, a.ptr(0), a.usize(1), true)
}

/// Implements mlock2(2): `MLOCK_ONFAULT` is the only flag.
pub fn sys_mlock2(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    if a.u32(2) & !MLOCK_ONFAULT != 0 {
        return_errno!(EINVAL, "mlock2: unknown flags");
    }
    lock_range(ctx, a.ptr(0), a.usize(1), true)
}

/// Implements munlock(2).
pub fn sys_munlock(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    lock_range(ctx, a.ptr(0), a.usize(1), false)
}

/// Implements mlockall(2).
pub fn sys_mlockall(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(0);
    if flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags & (MCL_CURRENT | MCL_FUTURE) == 0 {
        return_errno!(EINVAL, "mlockall: bad flags");
    }
    with_mm(ctx, |mm| {
        if flags & MCL_CURRENT != 0 {
            mm.regions.values_mut().for_each(|r| r.locked = true);
        }
        mm.lock_future = flags & MCL_FUTURE != 0;
    })?;
    Ok(0)
}

/// Implements munlockall(2).
pub fn sys_munlockall(ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    with_mm(ctx, |mm| {
        mm.regions.values_mut().for_each(|r| r.locked = false);
        mm.lock_future = false;
    })?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::mman::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::mm::test_util::*;
    use crate::testing::Harness;

    fn err(e: Errno) -> i64 {
        -i64::from(e.as_i32())
    }

    fn locked(p: &crate::testing::Proc) -> u64 {
        let pid = p.pid;
        p.kernel.with_state(|st| st.procs.procs[&pid].mm.locked_bytes())
    }

    #[test]
    fn mlock_and_munlock_are_recorded() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 8192) as u64;
        assert_eq!(p.sys(SYS_mlock, &[a + 10, 100]), 0, "unaligned addresses are rounded");
        assert_eq!(locked(&p), 4096);
        assert_eq!(p.sys(SYS_munlock, &[a, 8192]), 0);
        assert_eq!(locked(&p), 0);
        assert_eq!(p.sys(SYS_mlock2, &[a, 8192, u64::from(MLOCK_ONFAULT)]), 0);
        assert_eq!(locked(&p), 8192);
        assert_eq!(p.sys(SYS_mlock2, &[a, 8192, 2]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_mlock, &[a, 3 * 4096]), err(Errno::ENOMEM));
    }

    #[test]
    fn mlockall_future_locks_new_mappings() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_mlockall, &[0]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_mlockall, &[u64::from(MCL_CURRENT | MCL_FUTURE)]), 0);
        mmap_anon(&p, 4096);
        assert_eq!(locked(&p), 4096);
        assert_eq!(p.sys(SYS_munlockall, &[]), 0);
        assert_eq!(locked(&p), 0);
        mmap_anon(&p, 4096);
        assert_eq!(locked(&p), 0);
    }
}
