//! Character devices by number: opening a device inode lands here, and the
//! subsystem that owns the major number makes the open file.
//!
//! Numbers as in Linux's `Documentation/admin-guide/devices.txt`:
//! 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom (devfs, fs-vfs);
//! 5:0 tty, 5:1 console, 5:2 ptmx, 136:N pts/N (tty subsystem).

use std::sync::Arc;

use super::FileOps;
use crate::kernel::Ctx;

/// `makedev(major, minor)` as Linux encodes it in `dev_t` (glibc/musl
/// `makedev`).
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}
pub const fn major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}
pub const fn minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

pub const MEM_MAJOR: u32 = 1;
pub const TTYAUX_MAJOR: u32 = 5;
pub const UNIX98_PTY_SLAVE_MAJOR: u32 = 136;

/// Opens character device `rdev`.
pub fn open_chrdev(ctx: &mut Ctx, rdev: u64, flags: u32) -> crate::Result<Arc<dyn FileOps>> {
    match major(rdev) {
        MEM_MAJOR => super::devfs::open_mem(minor(rdev)),
        TTYAUX_MAJOR | UNIX98_PTY_SLAVE_MAJOR => crate::tty::open_device(ctx, rdev, flags),
        _ => Err(crate::errno!(ENXIO, "no such device")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn makedev_round_trips_like_glibc() {
        let d = makedev(136, 3);
        assert_eq!(major(d), 136);
        assert_eq!(minor(d), 3);
        assert_eq!(makedev(1, 3), 0x103);
        let big = makedev(4095, 1 << 20);
        assert_eq!((major(big), minor(big)), (4095, 1 << 20));
    }
}
