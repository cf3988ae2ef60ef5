//! brk(2): the program break.

use wasmpod_abi::misc::RLIMIT_DATA;

use super::{ensure_memory, page_up, with_mm, zero_user};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;

/// Implements brk(2) with the raw system call's semantics (the libc
/// wrapper's `-1`/`ENOMEM` is built on top): returns the new break on
/// success and the unchanged break on failure, never an errno. `brk(0)`
/// (or any address below the initial break) asks for the current break.
/// Shrinking is accepted; the memory stays, and is zeroed again if the
/// break grows back over it.
pub fn sys_brk(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let want = u64::from(a.ptr(0));
    let data_limit = super::rlimit(ctx, RLIMIT_DATA);
    let (old, base, blocked) = with_mm(ctx, |mm| {
        // The break may not grow into a mapping (Linux checks the pages
        // between the old and the new break end), nor past RLIMIT_DATA.
        let grow = page_up(want).saturating_sub(page_up(mm.brk));
        let blocked = want > mm.brk
            && (mm.overlaps(page_up(mm.brk), page_up(want)) || mm.data_vm().saturating_add(grow) > data_limit);
        (mm.brk, mm.heap_base, blocked)
    })?;
    if want < base || want == old || blocked || page_up(want) > super::MMAP_END {
        return Ok(old as i64);
    }
    if want > old {
        if ensure_memory(ctx, want).is_err() {
            return Ok(old as i64);
        }
        if let Some((z0, z1)) = with_mm(ctx, |mm| mm.hand_out(old, page_up(want)))? {
            zero_user(ctx, z0, z1)?;
        }
    }
    with_mm(ctx, |mm| mm.brk = want)?;
    Ok(want as i64)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::syscalls::*;

    use crate::mm::test_util::*;
    use crate::testing::Harness;
    use crate::UserMemory;

    #[test]
    fn brk_zero_returns_the_initial_break_at_the_memory_size() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_brk, &[0]), BASE as i64);
    }

    #[test]
    fn brk_grows_memory_and_reports_the_new_break() {
        let h = Harness::new();
        let p = h.process(None);
        let want = BASE + 200_000;
        assert_eq!(p.sys(SYS_brk, &[want]), want as i64);
        assert_eq!(p.sys(SYS_brk, &[0]), want as i64);
        assert!(p.mem.size() >= want);
        // The new heap is usable memory.
        p.write(want as u32 - 4, b"heap");
        assert_eq!(p.read(want as u32 - 4, 4), b"heap");
    }

    #[test]
    fn brk_shrink_is_accepted_and_regrowth_is_zeroed() {
        let h = Harness::new();
        let p = h.process(None);
        let top = BASE + 3 * 4096;
        assert_eq!(p.sys(SYS_brk, &[top]), top as i64);
        p.write(BASE as u32 + 4096, b"old data");
        assert_eq!(p.sys(SYS_brk, &[BASE]), BASE as i64);
        assert_eq!(p.sys(SYS_brk, &[0]), BASE as i64);
        assert_eq!(p.sys(SYS_brk, &[top]), top as i64);
        assert_eq!(p.read(BASE as u32 + 4096, 8), vec![0; 8]);
    }

    #[test]
    fn brk_beyond_the_memory_maximum_returns_the_old_break() {
        let h = Harness::new();
        let p = h.process(None);
        // The harness memory can grow to 64 MiB.
        assert_eq!(p.sys(SYS_brk, &[100 << 20]), BASE as i64);
        assert_eq!(p.sys(SYS_brk, &[0]), BASE as i64);
    }

    #[test]
    fn brk_below_the_initial_break_changes_nothing() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_brk, &[BASE + 8192]), (BASE + 8192) as i64);
        assert_eq!(p.sys(SYS_brk, &[4096]), (BASE + 8192) as i64);
    }

    #[test]
    fn brk_cannot_grow_into_a_mapping() {
        let h = Harness::new();
        let p = h.process(None);
        let m = mmap_anon(&p, 4096);
        assert_eq!(m, BASE as i64, "first mapping sits right above the break");
        assert_eq!(p.sys(SYS_brk, &[BASE + 100]), BASE as i64);
    }

    #[test]
    fn brk_beyond_rlimit_data_returns_the_old_break() {
        let h = Harness::new();
        let p = h.process(None);
        let pid = p.pid;
        h.kernel.with_state(|st| {
            st.procs.procs.get_mut(&pid).unwrap().rlimits[wasmpod_abi::misc::RLIMIT_DATA as usize].cur = 64 << 10
        });
        assert_eq!(p.sys(SYS_brk, &[BASE + (64 << 10)]), (BASE + (64 << 10)) as i64);
        assert_eq!(p.sys(SYS_brk, &[BASE + (64 << 10) + 1]), (BASE + (64 << 10)) as i64);
    }

    #[test]
    fn init_sets_the_initial_break_for_hosts() {
        let h = Harness::new();
        let p = h.process(None);
        let pid = p.pid;
        h.kernel.with_state(|st| st.procs.procs.get_mut(&pid).unwrap().mm.init(0x30000, 4 << 20));
        assert_eq!(p.sys(SYS_brk, &[0]), 0x30000);
        assert_eq!(p.sys(SYS_brk, &[0x31000]), 0x31000);
        // Mappings go above the break, never below it.
        let m = mmap_anon(&p, 4096);
        assert!(m >= 0x31000, "{m:#x}");
    }

    #[test]
    fn maps_shows_the_heap() {
        let h = Harness::new();
        let p = h.process(None);
        p.sys(SYS_brk, &[BASE + 5000]);
        let text = maps(&p);
        assert!(text.contains(&format!("{:08x}-{:08x} rw-p 00000000 00:00 0", BASE, BASE + 8192)), "{text}");
        assert!(text.trim_end().ends_with("[heap]"), "{text}");
    }
}
