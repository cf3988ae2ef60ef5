//! The mounted filesystem and its inode-number-based API.
//!
//! [`Ext2`] is shaped for a VFS adapter: every operation names inodes by
//! number, names are bytes, and the caller does path walking, permission
//! checks and credential handling (it passes uid/gid in). Times come from a
//! clock the caller installs with [`Ext2::set_clock`]; reads do not update
//! `atime` (a `noatime` mount).
//!
//! Mounting read-write clears `EXT2_VALID_FS` in `s_state` and bumps
//! `s_mnt_count` on disk at once, so an unclean stop is visible to `e2fsck`;
//! [`Ext2::unmount`] sets the state clean again. A read-write mount also
//! processes an orphan list left by an unclean stop (like ext3/ext4; Linux's
//! ext2 leaves that to `e2fsck`).
//!
//! Open files: the caller reports opens with [`Ext2::acquire`] and last
//! closes with [`Ext2::release`]. An inode whose last link goes while it is
//! open is put on the on-disk orphan list (`s_last_orphan`, chained through
//! `i_dtime`) and freed at release.
//!
//! This file holds mounting, inode access, lookup/stat/readdir and
//! durability; file data is in `file.rs`, namespace changes in `namei.rs`,
//! orphans and eviction in `orphan.rs`.

use std::collections::HashMap;

use crate::dir::DirBlockIter;
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::group::{Geometry, GroupDesc, DESC_SIZE};
use crate::inode::{
    FileType, Inode, Timespec, EXT4_EXTENTS_FL, EXT4_INLINE_DATA_FL, ROOT_INO, S_IFBLK, S_IFCHR, S_IFMT,
};
use crate::io::BlockIo;
use crate::superblock::{Superblock, INCOMPAT_FILETYPE, STATE_VALID, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};
use wasmpod_blockdev::{BlockDevice, BlockError};

/// Linux's `EXT2_LINK_MAX`.
pub const LINK_MAX: u16 = 32000;

/// Largest size before the `large_file` feature is needed (2 GiB - 1).
pub(crate) const LARGE_FILE_LIMIT: u64 = 0x7FFF_FFFF;

/// Longest data run moved in one device call (1 MiB at 4 KiB blocks).
pub(crate) const MAX_RUN_BLOCKS: u64 = 256;

/// What `stat` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub ino: u32,
    /// Type and permission bits, as `st_mode`.
    pub mode: u16,
    pub file_type: FileType,
    pub nlink: u16,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte units, as `st_blocks`.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// (major, minor) for device inodes.
    pub rdev: (u32, u32),
    /// Preferred I/O size (the block size).
    pub blksize: u32,
    /// `i_flags`.
    pub flags: u32,
    /// Block holding the inode's extended attributes (`i_file_acl`), 0 if none.
    pub xattr_block: u64,
}

/// Attributes to change with [`Ext2::setattr`]; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct SetAttr {
    /// Permission bits (`0o7777`); the file type cannot change.
    pub mode: Option<u16>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
    pub ctime: Option<Timespec>,
}

/// One directory entry from [`Ext2::readdir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u32,
    pub name: Vec<u8>,
    pub file_type: FileType,
    /// Cookie that continues after this entry.
    pub next: u64,
}

/// What `statfs` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatFs {
    pub block_size: u32,
    pub blocks: u64,
    pub free_blocks: u64,
    /// Free blocks minus the reserved ones.
    pub avail_blocks: u64,
    pub files: u64,
    pub free_files: u64,
    pub name_max: u32,
}

/// A mounted ext2 filesystem.
pub struct Ext2<D: BlockDevice> {
    pub(crate) io: BlockIo<D>,
    pub(crate) sb: Superblock,
    pub(crate) geo: Geometry,
    pub(crate) groups: Vec<GroupDesc>,
    pub(crate) read_only: bool,
    pub(crate) meta_dirty: bool,
    pub(crate) filetype: bool,
    /// First directory block that may have room, per directory.
    pub(crate) dir_hint: HashMap<u32, u64>,
    pub(crate) open_refs: HashMap<u32, u32>,
    clock: Box<dyn Fn() -> Timespec + Send>,
}

impl<D: BlockDevice> Ext2<D> {
    /// Mounts read-write (read-only if the device is, or if the image has
    /// ro_compat features this driver does not know).
    pub fn open(dev: D) -> Result<Ext2<D>> {
        Self::mount(dev, false)
    }

    /// Mounts read-only; nothing is ever written.
    pub fn open_read_only(dev: D) -> Result<Ext2<D>> {
        Self::mount(dev, true)
    }

    fn mount(mut dev: D, force_ro: bool) -> Result<Ext2<D>> {
        // A device too small for a superblock is not an ext2 image; any
        // other device error (a network image that cannot be fetched) stays
        // an I/O error.
        let raw = BlockIo::read_bytes_raw(&mut dev, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE).map_err(|e| match e {
            Ext2Error::Io(BlockError::OutOfRange { .. } | BlockError::Misaligned { .. }) => {
                Ext2Error::Corrupt(CorruptKind::Superblock("device size", dev.size_bytes()))
            }
            e => e,
        })?;
        let sb = Superblock::from_bytes(&raw)?;
        sb.check_incompat()?;
        let geo = Geometry::from_superblock(&sb)?;
        let read_only = force_ro || dev.is_read_only() || sb.needs_read_only();
        let mut io = BlockIo::new(dev, geo.block_size)?;
        if geo.blocks_count > io.device_blocks() {
            return corrupt(CorruptKind::Superblock("s_blocks_count (past device end)", geo.blocks_count));
        }
        let mut gdt = vec![0u8; geo.gdt_blocks as usize * geo.block_size as usize];
        io.read_data(geo.gdt_start(), &mut gdt)?;
        let mut groups = Vec::with_capacity(geo.groups as usize);
        let (mut free_blocks, mut free_inodes) = (0u64, 0u64);
        for g in 0..geo.groups {
            let off = g as usize * DESC_SIZE;
            let gd = GroupDesc::parse(&gdt[off..off + DESC_SIZE]);
            gd.validate(g, &geo)?;
            free_blocks += u64::from(gd.free_blocks);
            free_inodes += u64::from(gd.free_inodes);
            groups.push(gd);
        }
        let filetype = sb.has_incompat(INCOMPAT_FILETYPE);
        let mut fs = Ext2 {
            io,
            sb,
            geo,
            groups,
            read_only,
            meta_dirty: false,
            filetype,
            dir_hint: HashMap::new(),
            open_refs: HashMap::new(),
            clock: Box::new(Timespec::default),
        };
        // Like Linux, trust the group descriptors over the superblock's totals.
        fs.sb.set_free_blocks_count(free_blocks as u32);
        fs.sb.set_free_inodes_count(free_inodes as u32);
        if !fs.read_only {
            let st = fs.sb.state();
            fs.sb.set_state(st & !STATE_VALID);
            fs.sb.set_mnt_count(fs.sb.mnt_count().wrapping_add(1));
            fs.write_superblock()?;
            fs.io.flush()?;
            fs.process_orphans()?;
        }
        Ok(fs)
    }

    /// Installs the clock used for inode times (default: always 0).
    pub fn set_clock(&mut self, clock: impl Fn() -> Timespec + Send + 'static) {
        self.clock = Box::new(clock);
        if !self.read_only {
            self.sb.set_mtime(self.now().sec as u32);
            self.meta_dirty = true;
        }
    }

    pub(crate) fn now(&self) -> Timespec {
        (self.clock)()
    }

    /// Whether the mount is read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The root directory's inode number.
    pub fn root(&self) -> u32 {
        ROOT_INO
    }

    /// The superblock as found (and as updated while mounted).
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The validated geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geo
    }

    /// The group descriptors.
    pub fn group_descriptors(&self) -> &[GroupDesc] {
        &self.groups
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Ext2Error::ReadOnly);
        }
        Ok(())
    }

    pub(crate) fn check_ino(&self, ino: u32) -> Result<()> {
        if ino == 0 || ino > self.geo.inodes_count {
            return corrupt(CorruptKind::InodeNumber(u64::from(ino)));
        }
        Ok(())
    }

    fn inode_loc(&self, ino: u32) -> Result<(u64, usize)> {
        self.check_ino(ino)?;
        let ipg = self.geo.inodes_per_group;
        let g = ((ino - 1) / ipg) as usize;
        let idx = u64::from((ino - 1) % ipg);
        let byte = idx * u64::from(self.geo.inode_size);
        let bs = u64::from(self.geo.block_size);
        Ok((u64::from(self.groups[g].inode_table) + byte / bs, (byte % bs) as usize))
    }

    /// Reads an inode record (whatever its state).
    pub(crate) fn read_inode(&mut self, ino: u32) -> Result<Inode> {
        let (blk, off) = self.inode_loc(ino)?;
        let isz = self.geo.inode_size as usize;
        let block = self.io.block(blk)?;
        Ok(Inode { raw: block[off..off + isz].to_vec() })
    }

    /// Reads an inode that must be in use and in a format we implement.
    pub(crate) fn live_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.read_inode(ino)?;
        if inode.mode() == 0 || inode.links() == 0 && !self.open_refs.contains_key(&ino) {
            return corrupt(CorruptKind::Inode(ino, "reference to an unused inode"));
        }
        if inode.flags() & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL) != 0 {
            return Err(Ext2Error::Unsupported(format!("inode {ino}: extents or inline data")));
        }
        if inode.extra_isize() > 0 && (128 + inode.extra_isize() > inode.raw.len() || inode.extra_isize() % 4 != 0) {
            return corrupt(CorruptKind::Inode(ino, "bad i_extra_isize"));
        }
        Ok(inode)
    }

    pub(crate) fn write_inode(&mut self, ino: u32, inode: &Inode) -> Result<()> {
        self.check_writable()?;
        let (blk, off) = self.inode_loc(ino)?;
        let isz = self.geo.inode_size as usize;
        self.io.block_mut(blk)?[off..off + isz].copy_from_slice(&inode.raw[..isz]);
        Ok(())
    }

    /// A block near the start of the inode's group (allocation goal).
    pub(crate) fn inode_goal(&self, ino: u32) -> u64 {
        let g = (ino.saturating_sub(1) / self.geo.inodes_per_group).min(self.geo.groups - 1);
        self.geo.group_first_block(g)
    }

    pub(crate) fn dir_inode(&mut self, ino: u32) -> Result<Inode> {
        let inode = self.live_inode(ino)?;
        if !inode.is_dir() {
            return Err(Ext2Error::NotDir);
        }
        Ok(inode)
    }

    // ---- lookups and metadata -------------------------------------------

    /// Implements lookup: the inode named `name` in directory `dir`.
    pub fn lookup(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        let d = self.dir_inode(dir)?;
        if name.len() > crate::dir::NAME_MAX {
            return Err(Ext2Error::NameTooLong);
        }
        match self.find_entry(dir, &d, name)? {
            Some(f) => {
                self.check_ino(f.ino)?;
                Ok(f.ino)
            }
            None => Err(Ext2Error::NotFound),
        }
    }

    /// Implements stat.
    pub fn stat(&mut self, ino: u32) -> Result<Stat> {
        let i = self.live_inode(ino)?;
        let rdev = match i.mode() & S_IFMT {
            S_IFCHR | S_IFBLK => decode_dev(i.block(0), i.block(1)),
            _ => (0, 0),
        };
        Ok(Stat {
            ino,
            mode: i.mode(),
            file_type: i.file_type(),
            nlink: i.links(),
            uid: i.uid(),
            gid: i.gid(),
            size: i.size(),
            blocks: u64::from(i.blocks()),
            atime: i.atime(),
            mtime: i.mtime(),
            ctime: i.ctime(),
            rdev,
            blksize: self.geo.block_size,
            flags: i.flags(),
            xattr_block: u64::from(i.file_acl()),
        })
    }

    /// Implements the attribute part of setattr/chmod/chown/utimensat.
    /// `ctime` is set to now unless given.
    pub fn setattr(&mut self, ino: u32, a: &SetAttr) -> Result<Stat> {
        self.check_writable()?;
        let mut i = self.live_inode(ino)?;
        if let Some(m) = a.mode {
            i.set_mode((i.mode() & S_IFMT) | (m & 0o7777));
        }
        if let Some(u) = a.uid {
            i.set_uid(u);
        }
        if let Some(g) = a.gid {
            i.set_gid(g);
        }
        if let Some(t) = a.atime {
            i.set_atime(t);
        }
        if let Some(t) = a.mtime {
            i.set_mtime(t);
        }
        i.set_ctime(a.ctime.unwrap_or_else(|| self.now()));
        self.write_inode(ino, &i)?;
        self.stat(ino)
    }

    /// Implements statfs.
    pub fn statfs(&self) -> StatFs {
        let free = u64::from(self.sb.free_blocks_count());
        StatFs {
            block_size: self.geo.block_size,
            blocks: self.geo.blocks_count,
            free_blocks: free,
            avail_blocks: free.saturating_sub(u64::from(self.sb.r_blocks_count())),
            files: u64::from(self.geo.inodes_count),
            free_files: u64::from(self.sb.free_inodes_count()),
            name_max: crate::dir::NAME_MAX as u32,
        }
    }

    /// Implements getdents: entries of `dir` from `cookie` (0 = start) to the
    /// end of the directory block holding it; empty means end of directory.
    /// Continue with the last entry's `next`.
    pub fn readdir(&mut self, dir: u32, cookie: u64) -> Result<Vec<DirEntry>> {
        let d = self.dir_inode(dir)?;
        let bs = u64::from(self.geo.block_size);
        let ft = self.filetype;
        let mut out = Vec::new();
        let mut lblk = cookie / bs;
        while lblk < self.dir_nblocks(&d) {
            let phys = self.dir_block(dir, &d, lblk)?;
            let block = self.io.block(phys)?.to_vec();
            for e in DirBlockIter::new(&block, ft, dir, lblk * bs) {
                let e = e?;
                let pos = lblk * bs + e.off as u64;
                if pos < cookie || e.inode == 0 {
                    continue;
                }
                self.check_ino(e.inode)?;
                let file_type = if ft { FileType::from_dirent(e.ftype) } else { self.read_inode(e.inode)?.file_type() };
                out.push(DirEntry {
                    ino: e.inode,
                    name: e.name(&block).to_vec(),
                    file_type,
                    next: pos + e.rec_len as u64,
                });
            }
            if !out.is_empty() {
                break;
            }
            lblk += 1;
        }
        Ok(out)
    }

    /// All entries of a directory (convenience over [`Ext2::readdir`]).
    pub fn read_dir_all(&mut self, dir: u32) -> Result<Vec<DirEntry>> {
        let mut all = Vec::new();
        let mut cookie = 0;
        loop {
            let batch = self.readdir(dir, cookie)?;
            let Some(last) = batch.last() else {
                return Ok(all);
            };
            cookie = last.next;
            all.extend(batch);
        }
    }

    // ---- durability ---------------------------------------------------------

    pub(crate) fn write_superblock(&mut self) -> Result<()> {
        let bytes = self.sb.as_bytes().to_vec();
        BlockIo::write_bytes_raw(self.io.device(), SUPERBLOCK_OFFSET, &bytes)
    }

    fn write_gdt(&mut self) -> Result<()> {
        let bs = self.geo.block_size as usize;
        let mut gdt = vec![0u8; self.geo.gdt_blocks as usize * bs];
        for (g, gd) in self.groups.iter().enumerate() {
            gd.write(&mut gdt[g * DESC_SIZE..(g + 1) * DESC_SIZE]);
        }
        self.io.write_data(self.geo.gdt_start(), &gdt)
    }

    /// Implements sync/fsync: writes every change to the device and flushes it.
    /// The filesystem stays marked as mounted (not clean).
    pub fn sync(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.io.flush_cache()?;
        if self.meta_dirty {
            self.write_gdt()?;
            self.sb.set_wtime(self.now().sec as u32);
            self.write_superblock()?;
            self.meta_dirty = false;
        }
        self.io.flush()
    }

    /// Unmounts: writes everything, marks the filesystem clean, and hands
    /// the device back. Dropping an `Ext2` without this is an unclean stop.
    pub fn unmount(mut self) -> Result<D> {
        if !self.read_only {
            self.meta_dirty = true;
            let st = self.sb.state();
            self.sb.set_state(st | STATE_VALID);
            self.sync()?;
        }
        Ok(self.io.into_device())
    }

    /// Writes everything like [`Ext2::sync`] but hands the device back
    /// without marking the filesystem clean: what a power cut after the last
    /// sync leaves behind. Open references are forgotten (orphans stay on
    /// the on-disk list).
    pub fn into_device_unclean(mut self) -> Result<D> {
        self.sync()?;
        Ok(self.io.into_device())
    }
}

/// Encodes a device number into `i_block[0..2]` the way Linux does: the old
/// 16-bit form when it fits, else the new 32-bit form in `i_block[1]`.
pub fn encode_dev(major: u32, minor: u32) -> (u32, u32) {
    if major < 256 && minor < 256 {
        ((major << 8) | minor, 0)
    } else {
        (0, (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12))
    }
}

/// Decodes `i_block[0..2]` of a device inode into (major, minor).
pub fn decode_dev(b0: u32, b1: u32) -> (u32, u32) {
    if b0 != 0 {
        ((b0 >> 8) & 0xff, b0 & 0xff)
    } else {
        ((b1 & 0xfff00) >> 8, (b1 & 0xff) | ((b1 >> 12) & 0xfff00))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_round_trip_in_both_encodings() {
        for (ma, mi) in [(1, 3), (8, 0), (254, 255), (259, 0), (4, 70000), (0, 300)] {
            let (a, b) = encode_dev(ma, mi);
            assert_eq!(decode_dev(a, b), (ma, mi), "{ma}:{mi}");
        }
        assert_eq!(encode_dev(1, 3), (0x103, 0));
    }

    /// A device whose reads fail (a network image that cannot be fetched).
    struct Failing(wasmpod_blockdev::MemoryDevice);

    impl BlockDevice for Failing {
        fn block_size(&self) -> u32 {
            self.0.block_size()
        }
        fn num_blocks(&self) -> u64 {
            self.0.num_blocks()
        }
        fn read_blocks(&mut self, _: u64, _: &mut [u8]) -> wasmpod_blockdev::Result<()> {
            Err(BlockError::Io("connection refused".into()))
        }
        fn write_blocks(&mut self, s: u64, b: &[u8]) -> wasmpod_blockdev::Result<()> {
            self.0.write_blocks(s, b)
        }
        fn flush(&mut self) -> wasmpod_blockdev::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_device_too_small_is_corrupt_but_a_failing_one_is_an_io_error() {
        let small = wasmpod_blockdev::MemoryDevice::new(512, 2).unwrap();
        assert!(matches!(Ext2::open(small), Err(Ext2Error::Corrupt(_))));
        let failing = Failing(wasmpod_blockdev::MemoryDevice::new(1024, 64).unwrap());
        assert!(matches!(Ext2::open(failing), Err(Ext2Error::Io(BlockError::Io(_)))));
    }
}
