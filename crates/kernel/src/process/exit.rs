//! Exit: exit, exit_group, and ending a process for a fatal signal.

use crate::kernel::Ctx;
use crate::process::Pid;

/// Ends process `pid` with wait status `status` (already encoded:
/// `w_exitcode(code)` or `w_termsig(sig, core)`): every thread leaves at
/// its next kernel exit, fds close, children go to init, the parent gets
/// SIGCHLD, the process becomes a zombie. Called by exit_group and by
/// fatal default signal actions.
pub fn exit_process(ctx: &mut Ctx, pid: Pid, status: i32) {
    if let Some(p) = ctx.st.procs.procs.get_mut(&pid) {
        if p.exiting.is_none() {
            p.exiting = Some(status);
        }
    }
    ctx.notify();
}
