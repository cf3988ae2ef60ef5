//! wasmpod's spawn.

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements wasmpod's spawn.
pub fn sys_spawn(_ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    return_errno!(ENOSYS, "spawn: not yet")
}
