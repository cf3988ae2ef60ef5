//! lseek(2).

use wasmpod_abi::fcntl::{SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};

use crate::error::Result;
use crate::kernel::Ctx;
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// Implements lseek(2) for wasm32: `(fd, off_lo, off_hi, whence,
/// result_ptr)`. The new 64-bit offset is written as a `u64` to
/// `result_ptr` and the call returns 0 (ARCHITECTURE §3: 64-bit results
/// come back through memory). `ESPIPE` on pipes, sockets and ttys;
/// `EINVAL` for a bad whence or a negative result. Directories take
/// `SEEK_SET`/`SEEK_CUR` to a readdir cookie. `SEEK_DATA`/`SEEK_HOLE` treat
/// the whole file as data.
pub fn sys_lseek(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (fd, off, whence, result) = (a.fd(0), a.i64_pair(1), a.u32(3), a.ptr(4));
    let file = ctx.file(fd)?;
    if file.is_path_only() {
        return_errno!(EBADF, "lseek on an O_PATH fd");
    }
    if !file.ops.seekable() {
        return_errno!(ESPIPE, "file is not seekable");
    }
    let is_dir = file.ops.inode().is_some_and(|i| i.metadata(ctx).is_ok_and(|m| super::vfs::is_dir(&m)));
    let new: i128 = match whence {
        SEEK_SET => i128::from(off),
        SEEK_CUR => i128::from(file.pos()) + i128::from(off),
        SEEK_END | SEEK_DATA | SEEK_HOLE if is_dir => return_errno!(EINVAL, "whence not valid on a directory"),
        SEEK_END => i128::from(file.ops.metadata(ctx)?.size) + i128::from(off),
        SEEK_DATA | SEEK_HOLE => {
            // lseek(2): "ENXIO ... offset is beyond the end of the file".
            let size = file.ops.metadata(ctx)?.size;
            if off < 0 || off as u64 >= size {
                return_errno!(ENXIO, "offset beyond end of file");
            }
            if whence == SEEK_DATA {
                i128::from(off)
            } else {
                i128::from(size)
            }
        }
        _ => return_errno!(EINVAL, "lseek: bad whence"),
    };
    if new < 0 {
        return_errno!(EINVAL, "lseek: negative offset");
    }
    let new = u64::try_from(new).ok().filter(|&n| n <= i64::MAX as u64).ok_or(errno!(EOVERFLOW, "offset overflow"))?;
    ctx.write_user(result, &new.to_le_bytes())?;
    file.set_pos(new);
    Ok(0)
}
