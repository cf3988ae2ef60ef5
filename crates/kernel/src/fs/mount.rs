//! The mount table (analogous to Linux's `struct mount` list and the
//! mount hash): which filesystem root is mounted on which directory.
//!
//! A mount point is identified by its parent mount and the `(st_dev,
//! st_ino)` of the directory it covers, so filesystems whose inodes are
//! made afresh on every lookup (the ext2 adapter, procfs) work too. Mounting
//! over a mount stacks: the newest mount on a point wins, as in Linux.
//!
//! Not here yet: bind mounts, mount propagation, read-only mounts, mount
//! namespaces.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::inode::Inode;
use super::vfs::Location;

/// A mount's id (`/proc/self/mountinfo`'s first column).
pub type MountId = u32;

/// One mounted filesystem.
#[derive(Clone)]
pub struct Mount {
    pub id: MountId,
    /// The root directory of the mounted filesystem.
    pub root: Arc<dyn Inode>,
    /// Where it is mounted (`None` for the root mount).
    pub mountpoint: Option<Location>,
    /// `(dev, ino)` of the covered directory.
    pub mountpoint_key: (u64, u64),
    /// The filesystem type name (`tmpfs`, `proc`, `devpts`, `ext2`, ...).
    pub fs_type: String,
    /// The source (`/proc/mounts`' first column), e.g. `tmpfs`, `none`.
    pub source: String,
    /// Mount options for `/proc/mounts` (e.g. `rw,nosuid`).
    pub options: String,
}

impl Mount {
    /// Mounted read-only (`ro` in the options): changes are `EROFS`.
    pub fn readonly(&self) -> bool {
        self.options.split(',').any(|o| o == "ro")
    }
}

/// What `/proc/mounts` shows for one mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    pub id: MountId,
    pub parent: MountId,
    /// Absolute path of the mount point.
    pub path: Vec<u8>,
    pub fs_type: String,
    pub source: String,
    pub options: String,
}

/// All mounts.
#[derive(Default)]
pub struct MountTable {
    pub(crate) mounts: BTreeMap<MountId, Mount>,
    next_id: MountId,
}

impl MountTable {
    /// Adds a mount; returns its id.
    pub(crate) fn add(&mut self, mut m: Mount) -> MountId {
        self.next_id += 1;
        m.id = self.next_id;
        self.mounts.insert(m.id, m);
        self.next_id
    }

    pub fn get(&self, id: MountId) -> Option<&Mount> {
        self.mounts.get(&id)
    }

    /// The mount stacked on `(parent, key)`, the newest first.
    pub fn mounted_on(&self, parent: MountId, key: (u64, u64)) -> Option<&Mount> {
        self.mounts
            .values()
            .rev()
            .find(|m| m.mountpoint.as_ref().is_some_and(|p| p.mount == parent) && m.mountpoint_key == key)
    }

    /// Whether any mount sits on a directory of mount `parent` (a quick
    /// filter before asking an inode for its number).
    pub fn has_children(&self, parent: MountId) -> bool {
        self.mounts.values().any(|m| m.mountpoint.as_ref().is_some_and(|p| p.mount == parent))
    }

    /// Removes a mount (umount); the caller has checked it is idle.
    pub(crate) fn remove(&mut self, id: MountId) -> Option<Mount> {
        self.mounts.remove(&id)
    }

    /// Every mount, in mount order (`/proc/mounts`).
    pub fn list(&self) -> Vec<MountInfo> {
        self.mounts
            .values()
            .map(|m| MountInfo {
                id: m.id,
                parent: m.mountpoint.as_ref().map_or(m.id, |p| p.mount),
                path: m.mountpoint.as_ref().map_or_else(|| b"/".to_vec(), |p| p.path.clone()),
                fs_type: m.fs_type.clone(),
                source: m.source.clone(),
                options: m.options.clone(),
            })
            .collect()
    }
}
