//! personality(2): wasmpod runs programs with the Linux personality only.

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::{partial, Entry, SyscallArgs};

/// `PER_LINUX`.
pub const PER_LINUX: u32 = 0;
/// The query value: returns the persona without changing it.
pub const PERSONALITY_QUERY: u32 = 0xffff_ffff;

/// Implements personality(2): `PER_LINUX` (0) is current and may be set;
/// `0xffffffff` queries. Other personas (execution domains, `ADDR_*`
/// flags) would change behaviour wasmpod does not have: `EINVAL`.
pub fn sys_personality(_ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    match a.u32(0) {
        PERSONALITY_QUERY | PER_LINUX => Ok(i64::from(PER_LINUX)),
        _ => return_errno!(EINVAL, "personality: only PER_LINUX is available"),
    }
}

pub const SYSCALLS: &[Entry] = {
    use wasmpod_abi::syscalls::*;
    &[partial(SYS_personality, sys_personality, "only PER_LINUX; other personas are EINVAL")]
};

#[cfg(test)]
mod tests {
    use crate::testing::Harness;
    use wasmpod_abi::syscalls::*;

    #[test]
    fn personality_is_linux() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_personality, &[0xffff_ffff]), 0);
        assert_eq!(p.sys(SYS_personality, &[0]), 0);
        assert_eq!(p.sys(SYS_personality, &[0x0040000]), -22, "ADDR_NO_RANDOMIZE is not offered");
    }
}
