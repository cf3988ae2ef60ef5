//! mremap(2).

use wasmpod_abi::mman::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};

use super::{ensure_memory, fill_from_file, page_up, with_mm, write_back, zero_user, Backing, Region, MMAP_END, PAGE};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Implements mremap(2): `(old_address, old_size, new_size, flags,
/// new_address)`. Shrinks in place, grows in place when the pages after
/// the mapping are free, otherwise moves (copying the data) with
/// `MREMAP_MAYMOVE`. `MREMAP_DONTUNMAP` leaves the old range mapped and
/// fresh (zero for anonymous memory, the file's bytes for a file mapping).
/// An `old_size` of 0 (duplicating a shared mapping) is `EINVAL`.
pub fn sys_mremap(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (old_addr, old_size, new_size, flags, new_addr) = (a.ptr(0), a.usize(1), a.usize(2), a.u32(3), a.ptr(4));
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        return_errno!(EINVAL, "mremap: unknown flags");
    }
    let may_move = flags & MREMAP_MAYMOVE != 0;
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 && !may_move {
        return_errno!(EINVAL, "mremap: MREMAP_FIXED/MREMAP_DONTUNMAP without MREMAP_MAYMOVE");
    }
    let dont_unmap = flags & MREMAP_DONTUNMAP != 0;
    if dont_unmap && old_size != new_size {
        return_errno!(EINVAL, "mremap: MREMAP_DONTUNMAP needs equal sizes");
    }
    let old = u64::from(old_addr);
    if old % PAGE != 0 {
        return_errno!(EINVAL, "mremap: old address not page aligned");
    }
    let old_len = page_up(old_size as u64);
    let new_len = page_up(new_size as u64);
    if new_len == 0 || old_len == 0 {
        return_errno!(EINVAL, "mremap: zero size");
    }
    let old_end = old + old_len;
    // The old range must lie inside one mapping.
    let region = with_mm(ctx, |mm| mm.regions.range(..=old).next_back().map(|(_, r)| r.clone()))?
        .filter(|r| r.end > old && r.end >= old_end)
        .ok_or(errno!(EFAULT, "mremap: old range is not one mapping"))?;

    if flags & MREMAP_FIXED != 0 {
        let dst = u64::from(new_addr);
        if dst % PAGE != 0 || dst + new_len > MMAP_END {
            return_errno!(EINVAL, "mremap: bad new address");
        }
        if dst < old_end && old < dst + new_len {
            return_errno!(EINVAL, "mremap: new range overlaps the old one");
        }
        if dst < with_mm(ctx, |mm| mm.heap_base)? {
            return_errno!(EPERM, "mremap: new address below the initial break");
        }
        ensure_memory(ctx, dst + new_len)?;
        let removed = with_mm(ctx, |mm| mm.carve(dst, dst + new_len))?;
        for r in &removed {
            let _ = write_back(ctx, r);
        }
        move_range(ctx, &region, old, old_len, dst, new_len, dont_unmap)?;
        return Ok(dst as i64);
    }

    if new_len <= old_len && !dont_unmap {
        if new_len < old_len {
            let removed = with_mm(ctx, |mm| mm.carve(old + new_len, old_end))?;
            for r in &removed {
                let _ = write_back(ctx, r);
            }
        }
        return Ok(old as i64);
    }

    let new_end = old + new_len;
    let fits_in_place = !dont_unmap
        && old_end == region.end
        && new_end <= MMAP_END
        && !with_mm(ctx, |mm| mm.overlaps(old_end, new_end))?;
    if fits_in_place {
        ensure_memory(ctx, new_end)?;
        let dirty = with_mm(ctx, |mm| mm.hand_out(old_end, new_end))?;
        let mut grown = region.slice(old, old_end);
        grown.end = new_end;
        fill_tail(ctx, &grown, old_end, dirty)?;
        with_mm(ctx, |mm| {
            mm.carve(old, old_end);
            mm.insert(grown);
        })?;
        return Ok(old as i64);
    }
    if !may_move {
        return_errno!(ENOMEM, "mremap: can't grow in place without MREMAP_MAYMOVE");
    }
    let dst = with_mm(ctx, |mm| mm.find_free(new_len, None))?.ok_or(errno!(ENOMEM, "mremap: no free range"))?;
    move_range(ctx, &region, old, old_len, dst, new_len, dont_unmap)?;
    Ok(dst as i64)
}

/// Fills `[from, r.end)` of a grown region: the file's bytes, or zeros
/// where the memory may hold old data.
fn fill_tail(ctx: &mut Ctx, r: &Region, from: u64, dirty: Option<(u64, u64)>) -> Result<()> {
    match &r.backing {
        Backing::File(f) => {
            let mut f = f.clone();
            f.offset += from - r.start;
            fill_from_file(ctx, &f, from, r.end)
        }
        Backing::Anonymous => match dirty {
            Some((z0, z1)) => zero_user(ctx, z0.max(from), z1),
            None => Ok(()),
        },
    }
}

/// Moves `[old, old + old_len)` (inside `region`) to `[dst, dst + new_len)`.
fn move_range(
    ctx: &mut Ctx,
    region: &Region,
    old: u64,
    old_len: u64,
    dst: u64,
    new_len: u64,
    dont_unmap: bool,
) -> Result<()> {
    ensure_memory(ctx, dst + new_len)?;
    let keep = old_len.min(new_len);
    let data = ctx.read_user_vec(old as u32, keep as usize)?;
    let piece = region.slice(old, old + old_len);
    // Shrinking while moving: the cut-off tail is unmapped (and written back).
    if new_len < old_len {
        let _ = write_back(ctx, &piece.slice(old + new_len, old + old_len));
    }
    let dirty = with_mm(ctx, |mm| {
        mm.carve(old, old + old_len);
        mm.hand_out(dst, dst + new_len)
    })?;
    ctx.write_user(dst as u32, &data)?;
    let mut moved = piece.clone();
    moved.start = dst;
    moved.end = dst + new_len;
    if new_len > keep {
        fill_tail(ctx, &moved, dst + keep, dirty)?;
    }
    with_mm(ctx, |mm| mm.insert(moved))?;
    if dont_unmap {
        // The old range stays mapped, emptied as Linux's moved-away pages are.
        match &piece.backing {
            Backing::Anonymous => zero_user(ctx, old, old + old_len)?,
            Backing::File(f) => fill_from_file(ctx, f, old, old + old_len)?,
        }
        with_mm(ctx, |mm| mm.insert(piece))?;
    }
    Ok(())
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

    #[test]
    fn mremap_grows_in_place_when_the_next_pages_are_free() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        p.write(a as u32, b"keep");
        assert_eq!(p.sys(SYS_mremap, &[a, 4096, 3 * 4096, 0, 0]), a as i64);
        assert_eq!(p.read(a as u32, 4), b"keep");
        assert_eq!(p.read(a as u32 + 4096, 8192), vec![0; 8192]);
        assert!(maps(&p).starts_with(&format!("{:08x}-{:08x} ", a, a + 3 * 4096)));
    }

    #[test]
    fn mremap_without_maymove_fails_when_blocked() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        let _b = mmap_anon(&p, 4096);
        assert_eq!(p.sys(SYS_mremap, &[a, 4096, 8192, 0, 0]), err(Errno::ENOMEM));
    }

    #[test]
    fn mremap_maymove_copies_the_data_to_a_new_range() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 8192) as u64;
        let b = mmap_anon(&p, 4096) as u64;
        let data: Vec<u8> = (0..8192u32).map(|i| (i * 7) as u8).collect();
        p.write(a as u32, &data);
        let n = p.sys(SYS_mremap, &[a, 8192, 5 * 4096, u64::from(MREMAP_MAYMOVE), 0]);
        assert!(n > 0 && n as u64 != a, "{n:#x}");
        let n = n as u64;
        assert!(n >= b + 4096 || n + 5 * 4096 <= b);
        assert_eq!(p.read(n as u32, 8192), data);
        assert_eq!(p.read(n as u32 + 8192, 3 * 4096), vec![0; 3 * 4096]);
        // The old range is unmapped: one mapping for b, one for n.
        assert_eq!(maps(&p).lines().count(), 2, "{}", maps(&p));
    }

    #[test]
    fn mremap_shrinks_in_place() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4 * 4096) as u64;
        assert_eq!(p.sys(SYS_mremap, &[a, 4 * 4096, 4096, 0, 0]), a as i64);
        assert_eq!(maps(&p), format!("{:08x}-{:08x} rw-p 00000000 00:00 0 \n", a, a + 4096));
    }

    #[test]
    fn mremap_fixed_moves_to_the_given_address() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        p.write(a as u32, b"moved");
        let dst = a + (1 << 20);
        let r = p.sys(SYS_mremap, &[a, 4096, 4096, u64::from(MREMAP_MAYMOVE | MREMAP_FIXED), dst]);
        assert_eq!(r, dst as i64);
        assert_eq!(p.read(dst as u32, 5), b"moved");
        // Overlapping old and new ranges are EINVAL; FIXED needs MAYMOVE.
        assert_eq!(
            p.sys(SYS_mremap, &[dst, 4096, 8192, u64::from(MREMAP_MAYMOVE | MREMAP_FIXED), dst]),
            err(Errno::EINVAL)
        );
        assert_eq!(p.sys(SYS_mremap, &[dst, 4096, 4096, u64::from(MREMAP_FIXED), a]), err(Errno::EINVAL));
    }

    #[test]
    fn mremap_of_an_unmapped_range_is_efault() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        assert_eq!(p.sys(SYS_mremap, &[a + (1 << 20), 4096, 8192, u64::from(MREMAP_MAYMOVE), 0]), err(Errno::EFAULT));
        // Old range longer than the mapping.
        assert_eq!(p.sys(SYS_mremap, &[a, 8192, 3 * 4096, u64::from(MREMAP_MAYMOVE), 0]), err(Errno::EFAULT));
    }

    #[test]
    fn mremap_bad_arguments_are_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        assert_eq!(p.sys(SYS_mremap, &[a + 1, 4096, 8192, 1, 0]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_mremap, &[a, 4096, 0, 1, 0]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_mremap, &[a, 4096, 8192, 0x80, 0]), err(Errno::EINVAL));
    }

    #[test]
    fn mremap_dontunmap_leaves_the_old_range_mapped_and_empty() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        p.write(a as u32, b"data");
        let n = p.sys(SYS_mremap, &[a, 4096, 4096, u64::from(MREMAP_MAYMOVE | MREMAP_DONTUNMAP), 0]);
        assert!(n > 0 && n as u64 != a);
        assert_eq!(p.read(n as u32, 4), b"data");
        assert_eq!(p.read(a as u32, 4), vec![0; 4]);
        assert_eq!(maps(&p).lines().count(), 2);
    }
}
