//! execve(2), execveat(2).

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// Implements execve(2).
pub fn sys_execve(_ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    return_errno!(ENOSYS, "execve: not yet")
}

/// Implements execveat(2).
pub fn sys_execveat(_ctx: &mut Ctx, _a: &SyscallArgs) -> Result<i64> {
    return_errno!(ENOSYS, "execveat: not yet")
}
