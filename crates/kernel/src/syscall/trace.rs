//! strace-like lines for `WASMPOD_TRACE=1`: `[pid tid] name(args) = ret`.

use wasmpod_abi::syscalls;

use super::SyscallArgs;
use crate::error::Result;
use crate::kernel::Ctx;

/// Writes one trace line through the platform's log.
pub fn log_call(ctx: &mut Ctx, nr: u32, args: &SyscallArgs, result: &Result<i64>) {
    let name = syscalls::name(nr).unwrap_or("unknown");
    let ret = match result {
        Ok(v) => format!("{v}"),
        Err(e) if e.msg().is_empty() => format!("-1 {}", e.errno().name()),
        Err(e) => format!("-1 {} ({})", e.errno().name(), e.msg()),
    };
    let a = &args.0;
    let line = format!(
        "[{} {}] {}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {}",
        ctx.pid(),
        ctx.tid,
        name,
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5],
        ret
    );
    ctx.platform().log(&line);
}
