//! mincore(2).

use super::{page_range, with_mm, PAGE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements mincore(2): every mapped page is resident (wasm memory is
/// never paged out), so each byte of `vec` becomes 1.
pub fn sys_mincore(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (start, end) = page_range(a.ptr(0), a.usize(1))?;
    if !with_mm(ctx, |mm| mm.covered(start, end))? {
        return_errno!(ENOMEM, "mincore: range not mapped");
    }
    let pages = ((end - start) / PAGE) as usize;
    ctx.write_user(a.ptr(2), &vec![1u8; pages])?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::mm::test_util::*;
    use crate::testing::Harness;

    #[test]
    fn mincore_reports_every_page_resident() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 3 * 4096) as u64;
        let v = p.alloc(4);
        p.write(v, &[9; 4]);
        assert_eq!(p.sys(SYS_mincore, &[a, 3 * 4096 - 10, u64::from(v)]), 0);
        assert_eq!(p.read(v, 4), vec![1, 1, 1, 9]);
        assert_eq!(p.sys(SYS_mincore, &[a, 4 * 4096, u64::from(v)]), -i64::from(Errno::ENOMEM.as_i32()));
        assert_eq!(p.sys(SYS_mincore, &[a, 4096, 0xFFFF_0000]), -i64::from(Errno::EFAULT.as_i32()));
    }
}
