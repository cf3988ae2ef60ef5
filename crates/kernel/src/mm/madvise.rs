//! madvise(2).

use wasmpod_abi::mman::*;

use super::{fill_from_file, page_range, with_mm, zero_user, Backing, PAGE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements madvise(2). Advice is accepted and ignored, except
/// `MADV_DONTNEED` (and `MADV_DONTNEED_LOCKED`), which gives Linux's
/// observable result: private anonymous memory (mappings and the brk heap)
/// reads as zero afterwards, private file mappings re-read the file; shared
/// mappings keep their data. `MADV_REMOVE` needs a shared mapping.
pub fn sys_madvise(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (start, end) = page_range(a.ptr(0), a.usize(1))?;
    let advice = a.u32(2);
    let known = matches!(advice, MADV_NORMAL..=MADV_DONTNEED | MADV_FREE..=MADV_COLLAPSE);
    if !known {
        return_errno!(EINVAL, "madvise: unknown advice");
    }
    if start == end {
        return Ok(0);
    }
    let (covered, regions, heap) = with_mm(ctx, |mm| {
        let regions: Vec<_> = mm.regions.range(..end).map(|(_, r)| r).filter(|r| r.end > start).cloned().collect();
        (mm.covered(start, end), regions, (mm.heap_base / PAGE * PAGE, mm.brk))
    })?;
    if !covered {
        return_errno!(ENOMEM, "madvise: range not mapped");
    }
    match advice {
        MADV_DONTNEED | MADV_DONTNEED_LOCKED => {
            let (h0, h1) = (heap.0.max(start), heap.1.min(end));
            if h0 < h1 {
                zero_user(ctx, h0, h1)?;
            }
            for r in regions.iter().filter(|r| !r.shared) {
                let piece = r.slice(start, end);
                match &piece.backing {
                    Backing::Anonymous => zero_user(ctx, piece.start, piece.end)?,
                    Backing::File(f) => fill_from_file(ctx, f, piece.start, piece.end)?,
                }
            }
        }
        MADV_REMOVE if regions.iter().any(|r| !r.shared) => {
            return_errno!(EINVAL, "madvise: MADV_REMOVE on a private mapping")
        }
        _ => {}
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::O_RDONLY;
    use wasmpod_abi::mman::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::mm::test_util::*;
    use crate::testing::Harness;

    fn err(e: Errno) -> i64 {
        -i64::from(e.as_i32())
    }

    #[test]
    fn madvise_dontneed_zeroes_private_anonymous_memory() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 8192) as u64;
        p.write(a as u32, &[5; 8192]);
        assert_eq!(p.sys(SYS_madvise, &[a + 4096, 4096, u64::from(MADV_DONTNEED)]), 0);
        assert_eq!(p.read(a as u32, 4096), vec![5; 4096]);
        assert_eq!(p.read(a as u32 + 4096, 4096), vec![0; 4096]);
    }

    #[test]
    fn madvise_dontneed_keeps_shared_anonymous_memory() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_at(&p, 0, 4096, MAP_SHARED | MAP_ANONYMOUS) as u64;
        p.write(a as u32, b"keep");
        assert_eq!(p.sys(SYS_madvise, &[a, 4096, u64::from(MADV_DONTNEED)]), 0);
        assert_eq!(p.read(a as u32, 4), b"keep");
    }

    #[test]
    fn madvise_dontneed_rereads_a_private_file_mapping() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, _) = crate::mm::mmap::tests::open_mem_file(&p, b"file data", O_RDONLY);
        let a = p.sys(SYS_mmap, &[0, 4096, 3, u64::from(MAP_PRIVATE), fd as u64, 0]) as u64;
        p.write(a as u32, b"FILE");
        assert_eq!(p.sys(SYS_madvise, &[a, 4096, u64::from(MADV_DONTNEED)]), 0);
        assert_eq!(p.read(a as u32, 9), b"file data");
    }

    #[test]
    fn madvise_other_advice_is_accepted_and_changes_nothing() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        p.write(a as u32, b"same");
        for adv in [MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_FREE, MADV_HUGEPAGE] {
            assert_eq!(p.sys(SYS_madvise, &[a, 4096, u64::from(adv)]), 0, "advice {adv}");
        }
        assert_eq!(p.read(a as u32, 4), b"same");
    }

    #[test]
    fn madvise_errors() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        assert_eq!(p.sys(SYS_madvise, &[a + 1, 4096, 0]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_madvise, &[a, 4096, 77]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_madvise, &[a, 8192, 0]), err(Errno::ENOMEM));
        assert_eq!(p.sys(SYS_madvise, &[a, 4096, u64::from(MADV_REMOVE)]), err(Errno::EINVAL));
    }

    #[test]
    fn madvise_dontneed_zeroes_the_brk_heap() {
        let h = Harness::new();
        let p = h.process(None);
        p.sys(SYS_brk, &[BASE + 8192]);
        p.write(BASE as u32, b"heap");
        assert_eq!(p.sys(SYS_madvise, &[BASE, 8192, u64::from(MADV_DONTNEED)]), 0);
        assert_eq!(p.read(BASE as u32, 4), vec![0; 4]);
    }
}
