//! The devpts filesystem (mounted at /dev/pts): a directory with `ptmx`
//! (5:2, mode 0000 as Linux's default `ptmxmode`) and one node per pty
//! pair whose master is open, named after its index (136:N, mode 0620,
//! owned by the process that opened /dev/ptmx). As on Linux, a node
//! appears at the ptmx open, before unlockpt, and disappears when the
//! master closes. Inode numbers follow Linux: root 1, ptmx 2, N at N+3.
//!
//! The directory is stateless: it reads the pty table from the kernel
//! state on every lookup and readdir.

use std::any::Any;
use std::sync::Arc;

use wasmpod_abi::fs::{DT_CHR, DT_DIR, S_IFCHR, S_IFDIR};

use super::pty::Tty;
use crate::error::Result;
use crate::fs::devices::{makedev, TTYAUX_MAJOR};
use crate::fs::{DirEntry, FileOps, FsStats, Inode, Metadata, SetAttr};
use crate::kernel::Ctx;
use crate::{errno, return_errno};

/// The device number of the devpts superblock (an anonymous device, as
/// Linux gives pseudo filesystems).
pub const DEVPTS_DEV: u64 = makedev(0, 24);
/// `DEVPTS_SUPER_MAGIC`.
pub const DEVPTS_SUPER_MAGIC: u32 = 0x1cd1;

/// /dev/pts itself.
pub struct DevptsRoot;

/// /dev/pts/ptmx.
pub struct PtmxNode;

/// /dev/pts/N.
pub struct PtsNode {
    pub tty: Arc<Tty>,
}

fn visible(tty: &Tty) -> bool {
    tty.master_open() && !tty.lock().hung_up
}

fn parse_index(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

impl Inode for DevptsRoot {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(Metadata { dev: DEVPTS_DEV, ino: 1, mode: S_IFDIR | 0o755, nlink: 2, blksize: 1024, ..Default::default() })
    }

    fn lookup(&self, ctx: &mut Ctx, name: &[u8]) -> Result<Arc<dyn Inode>> {
        if name == b"ptmx" {
            return Ok(Arc::new(PtmxNode));
        }
        let i = parse_index(name).ok_or(errno!(ENOENT, "no such pty"))?;
        match ctx.st.tty.ptys.get(&i) {
            Some(t) if visible(t) => Ok(Arc::new(PtsNode { tty: t.clone() })),
            _ => Err(errno!(ENOENT, "no such pty")),
        }
    }

    /// Cookies: 0 ".", 1 "..", 2 "ptmx", `N + 3` resumes at pty index N.
    fn readdir(&self, ctx: &mut Ctx, cookie: u64, sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        let fixed: [(&[u8], u64, u8); 3] = [(b".", 1, DT_DIR), (b"..", 1, DT_DIR), (b"ptmx", 2, DT_CHR)];
        for (pos, (name, ino, kind)) in fixed.iter().enumerate() {
            let pos = pos as u64;
            if pos >= cookie && !sink(DirEntry { ino: *ino, name: name.to_vec(), kind: *kind, next: pos + 1 }) {
                return Ok(());
            }
        }
        let from = cookie.saturating_sub(3);
        let ttys: Vec<Arc<Tty>> = ctx.st.tty.ptys.values().cloned().collect();
        for t in ttys {
            let Some(i) = t.index else { continue };
            if u64::from(i) < from || !visible(&t) {
                continue;
            }
            let e = DirEntry {
                ino: u64::from(i) + 3,
                name: i.to_string().into_bytes(),
                kind: DT_CHR,
                next: u64::from(i) + 4,
            };
            if !sink(e) {
                return Ok(());
            }
        }
        Ok(())
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        Ok(FsStats { fs_type: DEVPTS_SUPER_MAGIC, block_size: 4096, name_max: 255, ..Default::default() })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Inode for PtmxNode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(Metadata {
            dev: DEVPTS_DEV,
            ino: 2,
            mode: S_IFCHR,
            nlink: 1,
            rdev: makedev(TTYAUX_MAJOR, 2),
            blksize: 1024,
            ..Default::default()
        })
    }
    fn open(&self, ctx: &mut Ctx, flags: u32) -> Result<Option<Arc<dyn FileOps>>> {
        super::open_device(ctx, makedev(TTYAUX_MAJOR, 2), flags).map(Some)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Inode for PtsNode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        Ok(self.tty.slave_metadata())
    }

    /// chmod/chown (grantpt in glibc) and timestamps; the VFS checks
    /// permissions. Size changes are ignored, as for any character device.
    fn set_attr(&self, _ctx: &mut Ctx, attr: &SetAttr) -> Result<()> {
        let mut g = self.tty.lock();
        if let Some(m) = attr.mode {
            g.mode = m & 0o7777;
        }
        if let Some(u) = attr.uid {
            g.uid = u;
        }
        if let Some(gid) = attr.gid {
            g.gid = gid;
        }
        if let Some(t) = attr.atime {
            g.atime = t;
        }
        if let Some(t) = attr.mtime {
            g.mtime = t;
        }
        if let Some(t) = attr.ctime {
            g.ctime = t;
        }
        Ok(())
    }

    fn open(&self, ctx: &mut Ctx, flags: u32) -> Result<Option<Arc<dyn FileOps>>> {
        if self.tty.index.is_none() {
            return_errno!(ENXIO, "not a pts node");
        }
        let slave = super::pty::open_slave(ctx, &self.tty, flags)?;
        Ok(Some(slave))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
