//! mprotect(2) and pkey_mprotect(2).

use wasmpod_abi::mman::{PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_WRITE};

use super::{page_range, with_mm};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

fn mprotect(ctx: &mut Ctx, addr: u32, len: usize, prot: u32) -> Result<i64> {
    let (a, b) = page_range(addr, len)?;
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP) != 0 {
        return_errno!(EINVAL, "mprotect: unknown protection bits");
    }
    if prot & PROT_GROWSDOWN != 0 && prot & PROT_GROWSUP != 0 {
        return_errno!(EINVAL, "mprotect: PROT_GROWSDOWN and PROT_GROWSUP");
    }
    let prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
    with_mm(ctx, |mm| {
        // "ENOMEM: Addresses in the range [addr, addr+len-1] are invalid for
        // the address space of the process, or specify one or more pages
        // that are not mapped."
        if !mm.covered(a, b) {
            return_errno!(ENOMEM, "mprotect: range not mapped");
        }
        mm.modify(a, b, |r| r.prot = prot);
        Ok(0)
    })?
}

/// Implements mprotect(2). The new protection is recorded (it shows in
/// `/proc/<pid>/maps`) but not enforced: wasm memory is always readable
/// and writable. The program image and brk heap count as mapped.
pub fn sys_mprotect(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    mprotect(ctx, a.ptr(0), a.usize(1), a.u32(2))
}

/// Implements pkey_mprotect(2): `(addr, len, prot, pkey)`. There are no
/// protection keys: only pkey -1 (plain mprotect) is accepted.
pub fn sys_pkey_mprotect(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    if a.i32(3) != -1 {
        return_errno!(EINVAL, "pkey_mprotect: no protection keys");
    }
    mprotect(ctx, a.ptr(0), a.usize(1), a.u32(2))
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
    fn mprotect_records_the_protection_of_part_of_a_mapping() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 3 * 4096) as u64;
        assert_eq!(p.sys(SYS_mprotect, &[a + 4096, 4096, u64::from(PROT_READ)]), 0);
        let perms: Vec<String> = maps(&p).lines().map(|l| l.split(' ').nth(1).unwrap().to_string()).collect();
        assert_eq!(perms, vec!["rw-p", "r--p", "rw-p"]);
        // Memory stays usable: protections are not enforced.
        p.write(a as u32 + 4096, b"x");
    }

    #[test]
    fn mprotect_unaligned_is_einval_and_unmapped_is_enomem() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        assert_eq!(p.sys(SYS_mprotect, &[a + 8, 4096, 1]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_mprotect, &[a, 8192, 1]), err(Errno::ENOMEM));
        assert_eq!(p.sys(SYS_mprotect, &[a, 4096, 0x40]), err(Errno::EINVAL));
    }

    #[test]
    fn mprotect_of_the_program_image_is_accepted() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_mprotect, &[0x10000, 4096, u64::from(PROT_READ)]), 0);
    }

    #[test]
    fn pkey_mprotect_accepts_only_no_key() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 4096) as u64;
        assert_eq!(p.sys(SYS_pkey_mprotect, &[a, 4096, 1, u64::from(u32::MAX)]), 0);
        assert_eq!(p.sys(SYS_pkey_mprotect, &[a, 4096, 1, 1]), err(Errno::EINVAL));
    }
}
