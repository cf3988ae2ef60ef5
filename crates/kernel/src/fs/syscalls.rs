//! The file subsystem's rows of the syscall table.

use wasmpod_abi::syscalls::*;

use super::{dup, epoll, eventfd, fcntl, lock, pipe, poll, rw, select, sendfile};
use crate::syscall::{nosys, partial, sup, Entry};

pub const SYSCALLS: &[Entry] = &[
    sup(SYS_read, rw::sys_read),
    sup(SYS_write, rw::sys_write),
    sup(SYS_readv, rw::sys_readv),
    sup(SYS_writev, rw::sys_writev),
    sup(SYS_pread64, rw::sys_pread64),
    sup(SYS_pwrite64, rw::sys_pwrite64),
    sup(SYS_preadv, rw::sys_preadv),
    sup(SYS_pwritev, rw::sys_pwritev),
    partial(SYS_preadv2, rw::sys_preadv2, "RWF_* flags are EOPNOTSUPP"),
    partial(SYS_pwritev2, rw::sys_pwritev2, "RWF_* flags are EOPNOTSUPP"),
    sup(SYS_close, rw::sys_close),
    sup(SYS_ioctl, rw::sys_ioctl),
    // fs-fd
    partial(SYS_pipe2, pipe::sys_pipe2, "O_DIRECT accepted but pipes stay byte streams (no packet mode)"),
    sup(SYS_dup, dup::sys_dup),
    sup(SYS_dup3, dup::sys_dup3),
    sup(SYS_close_range, dup::sys_close_range),
    partial(
        SYS_fcntl,
        fcntl::sys_fcntl,
        "F_OFD_*, leases, notify and seals are EINVAL; F_SETOWN/F_SETSIG stored, no SIGIO",
    ),
    sup(SYS_flock, lock::sys_flock),
    partial(SYS_ppoll, poll::sys_ppoll, "temporary sigmask restored at return, not after the interrupting handler"),
    partial(
        SYS_pselect6,
        select::sys_pselect6,
        "temporary sigmask restored at return, not after the interrupting handler",
    ),
    sup(SYS_epoll_create1, epoll::sys_epoll_create1),
    sup(SYS_epoll_ctl, epoll::sys_epoll_ctl),
    partial(
        SYS_epoll_pwait,
        epoll::sys_epoll_pwait,
        "EPOLLET is exact for pipes and eventfds, level-triggered for other files",
    ),
    partial(
        SYS_epoll_pwait2,
        epoll::sys_epoll_pwait2,
        "EPOLLET is exact for pipes and eventfds, level-triggered for other files",
    ),
    sup(SYS_eventfd2, eventfd::sys_eventfd2),
    sup(SYS_sendfile, sendfile::sys_sendfile),
    sup(SYS_copy_file_range, sendfile::sys_copy_file_range),
    nosys(SYS_splice, "splice needs page-reference pipe buffers; use read/write or sendfile"),
    nosys(SYS_tee, "tee needs page-reference pipe buffers; use read/write"),
    nosys(SYS_vmsplice, "vmsplice needs page-reference pipe buffers; use write"),
];
