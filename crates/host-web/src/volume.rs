//! Extra persistent volumes (`Pod.boot({ mounts: [{ path, storageKey }] })`,
//! docs/browser-host.md "Pod storage"): an ext2 filesystem on a
//! [`JournalVolume`] whose journal the io worker keeps in OPFS, made with
//! our mkfs the first time the key is used.

use wasmpod_abi::errno::Errno;
use wasmpod_blockdev::{BlockDevice, JournalVolume};
use wasmpod_ext2::mkfs::{format, MkfsOptions};
use wasmpod_ext2::{Ext2, SetAttr, ROOT_INO};
use wasmpod_kernel::UserMemory;

use crate::image::SlotLog;
use crate::web::{kernel, KernelMemory};

/// The volumes' block size.
const BLOCK: u32 = 4096;

/// Mounts volume `file` (the io worker's journal number, 1 and up) of
/// `size_hi:size_lo` bytes at the directory `path` (`path_len` bytes at
/// `path_ptr` in kernel memory). A blank volume is formatted first, its
/// root directory owned by `uid:gid` with `mode` (the mount point's, so
/// the volume looks like the directory it covers). Returns 0, `-EINVAL`
/// (bad arguments), `-ESTALE` (the journal is of another size, or not one),
/// `-EIO` (storage failed), or the mount's errno (`-ENOENT` no such
/// directory).
#[no_mangle]
pub extern "C" fn wasmpod_mount_volume(
    path_ptr: u32,
    path_len: u32,
    size_lo: u32,
    size_hi: u32,
    file: u32,
    uid: u32,
    gid: u32,
    mode: u32,
) -> i32 {
    let Some(k) = kernel() else { return Errno::ENOSYS.neg() };
    let mut path = vec![0u8; path_len as usize];
    if file == 0 || path_len > 4096 || KernelMemory.read(path_ptr, &mut path).is_err() {
        return Errno::EINVAL.neg();
    }
    let Ok(path) = String::from_utf8(path) else { return Errno::EINVAL.neg() };
    let size = u64::from(size_hi) << 32 | u64::from(size_lo);
    let blocks = size / u64::from(BLOCK);
    if !(256..=(1 << 32)).contains(&blocks) {
        return Errno::EINVAL.neg();
    }
    let vol = match JournalVolume::open(SlotLog { file }, BLOCK, blocks) {
        Ok(v) => v,
        Err(e) => {
            k.platform().log(&format!("volume {path}: {e}"));
            return if matches!(e, wasmpod_blockdev::BlockError::Invalid(_)) {
                Errno::ESTALE.neg()
            } else {
                Errno::EIO.neg()
            };
        }
    };
    let vol = if vol.is_blank() {
        match make_fs(vol, uid, gid, mode) {
            Ok(v) => v,
            Err(e) => {
                k.platform().log(&format!("volume {path}: mkfs: {e}"));
                return Errno::EIO.neg();
            }
        }
    } else {
        vol
    };
    match k.mount_ext2(&path, Box::new(vol), false, &format!("/dev/wasmpod-vol{file}")) {
        Ok(_) => 0,
        Err(e) => {
            k.platform().log(&format!("volume {path}: cannot mount: {e}"));
            -(e.errno() as i32)
        }
    }
}

/// Formats a blank volume, gives its root `uid:gid` and `mode`, and makes
/// it durable (one journal transaction).
fn make_fs<D: BlockDevice>(dev: D, uid: u32, gid: u32, mode: u32) -> Result<D, wasmpod_ext2::Ext2Error> {
    let now = kernel().map(|k| k.platform().now(wasmpod_kernel::ClockKind::Realtime) / 1_000_000_000).unwrap_or(0);
    let opts = MkfsOptions { block_size: BLOCK, time: now as u32, ..Default::default() };
    let mut fs = Ext2::open(format(dev, &opts)?)?;
    let attrs = SetAttr { uid: Some(uid), gid: Some(gid), mode: Some((mode & 0o7777) as u16), ..Default::default() };
    fs.setattr(ROOT_INO, &attrs)?;
    // Unmounting syncs, and the sync flushes the journal.
    fs.unmount()
}
