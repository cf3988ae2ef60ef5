//! The file subsystem's rows of the syscall table.

use wasmpod_abi::syscalls::*;

use super::rw;
use crate::syscall::{sup, Entry};

pub const SYSCALLS: &[Entry] = &[
    sup(SYS_read, rw::sys_read),
    sup(SYS_write, rw::sys_write),
    sup(SYS_readv, rw::sys_readv),
    sup(SYS_writev, rw::sys_writev),
    sup(SYS_pread64, rw::sys_pread64),
    sup(SYS_pwrite64, rw::sys_pwrite64),
    sup(SYS_preadv, rw::sys_preadv),
    sup(SYS_pwritev, rw::sys_pwritev),
    crate::syscall::partial(SYS_preadv2, rw::sys_preadv2, "RWF_* flags are EOPNOTSUPP"),
    crate::syscall::partial(SYS_pwritev2, rw::sys_pwritev2, "RWF_* flags are EOPNOTSUPP"),
    sup(SYS_close, rw::sys_close),
    sup(SYS_ioctl, rw::sys_ioctl),
];
