//! msync(2).

use wasmpod_abi::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};

use super::{page_range, with_mm, write_back};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements msync(2). `MS_SYNC` and `MS_ASYNC` both write the shared
/// file mappings in the range back to their files now (clipped to the
/// range and to each file's size); `MS_INVALIDATE` is accepted and does
/// nothing (see the module docs for why mappings are copies).
pub fn sys_msync(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let flags = a.u32(2);
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 {
        return_errno!(EINVAL, "msync: unknown flags");
    }
    if flags & MS_ASYNC != 0 && flags & MS_SYNC != 0 {
        return_errno!(EINVAL, "msync: MS_SYNC and MS_ASYNC");
    }
    let (start, end) = page_range(a.ptr(0), a.usize(1))?;
    let (covered, pieces) = with_mm(ctx, |mm| {
        let pieces: Vec<_> =
            mm.regions.range(..end).map(|(_, r)| r).filter(|r| r.end > start).map(|r| r.slice(start, end)).collect();
        (mm.covered(start, end), pieces)
    })?;
    if !covered {
        return_errno!(ENOMEM, "msync: range not mapped");
    }
    if flags & (MS_SYNC | MS_ASYNC) != 0 {
        for r in &pieces {
            write_back(ctx, r)?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::O_RDWR;
    use wasmpod_abi::mman::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::mm::test_util::*;
    use crate::testing::Harness;

    fn err(e: Errno) -> i64 {
        -i64::from(e.as_i32())
    }

    #[test]
    fn msync_writes_back_only_the_given_range() {
        let h = Harness::new();
        let p = h.process(None);
        let content = vec![b'.'; 8192];
        let (fd, f) = crate::mm::mmap::tests::open_mem_file(&p, &content, O_RDWR);
        let a = p.sys(SYS_mmap, &[0, 8192, 3, u64::from(MAP_SHARED), fd as u64, 0]) as u64;
        p.write(a as u32, b"A");
        p.write(a as u32 + 4096, b"B");
        assert_eq!(p.sys(SYS_msync, &[a + 4096, 4096, u64::from(MS_ASYNC)]), 0);
        let d = f.data.lock().clone();
        assert_eq!((d[0], d[4096]), (b'.', b'B'));
    }

    #[test]
    fn msync_errors() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        assert_eq!(p.sys(SYS_msync, &[a, 4096, u64::from(MS_SYNC | MS_ASYNC)]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_msync, &[a, 4096, 8]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_msync, &[a + 4, 4096, u64::from(MS_SYNC)]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_msync, &[a + 4096, 4096, u64::from(MS_SYNC)]), err(Errno::ENOMEM));
        assert_eq!(p.sys(SYS_msync, &[a, 4096, u64::from(MS_INVALIDATE)]), 0);
    }
}
