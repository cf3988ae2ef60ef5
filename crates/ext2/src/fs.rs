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

use std::collections::HashMap;

use crate::block_map::max_blocks;
use crate::dir::{check_name, DirBlockIter, Found};
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::group::{Geometry, GroupDesc, DESC_SIZE};
use crate::inode::{
    FileType, Inode, Timespec, EXT4_EXTENTS_FL, EXT4_INLINE_DATA_FL, ROOT_INO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO,
    S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
};
use crate::io::BlockIo;
use crate::superblock::{
    Superblock, INCOMPAT_FILETYPE, RO_COMPAT_LARGE_FILE, STATE_VALID, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
};
use wasmpod_blockdev::BlockDevice;

/// Linux's `EXT2_LINK_MAX`.
pub const LINK_MAX: u16 = 32000;

/// Largest size before the `large_file` feature is needed (2 GiB - 1).
const LARGE_FILE_LIMIT: u64 = 0x7FFF_FFFF;

/// Longest data run moved in one device call (1 MiB at 4 KiB blocks).
const MAX_RUN_BLOCKS: u64 = 256;

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
    open_refs: HashMap<u32, u32>,
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
        let raw = BlockIo::read_bytes_raw(&mut dev, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE).map_err(|e| match e {
            Ext2Error::Io(_) => Ext2Error::Corrupt(CorruptKind::Superblock("device size", dev.size_bytes())),
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

    fn check_writable(&self) -> Result<()> {
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

    fn dir_inode(&mut self, ino: u32) -> Result<Inode> {
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

    // ---- file data --------------------------------------------------------

    /// Implements pread: reads up to `buf.len()` bytes at `off`; returns the
    /// count (0 at or past end of file). Holes read as zeros.
    pub fn read(&mut self, ino: u32, off: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if !inode.is_reg() {
            return Err(Ext2Error::InvalidArgument("read of a special file"));
        }
        let size = inode.size();
        if off >= size || buf.is_empty() {
            return Ok(0);
        }
        let len = (size - off).min(buf.len() as u64) as usize;
        let bs = u64::from(self.geo.block_size);
        let mut done = 0usize;
        let mut tmp = Vec::new();
        while done < len {
            let pos = off + done as u64;
            let lblk = pos / bs;
            let in_blk = (pos % bs) as usize;
            let want_blocks = ((in_blk + len - done) as u64).div_ceil(bs).min(MAX_RUN_BLOCKS);
            let first = self.bmap(ino, &inode, lblk)?;
            // Extend the run while the mapping stays contiguous (or a hole).
            let mut n = 1u64;
            while n < want_blocks {
                let next = self.bmap(ino, &inode, lblk + n)?;
                let contiguous = match (first, next) {
                    (Some(a), Some(b)) => b == a + n,
                    (None, None) => true,
                    _ => false,
                };
                if !contiguous {
                    break;
                }
                n += 1;
            }
            let run_bytes = (n * bs) as usize;
            let take = (run_bytes - in_blk).min(len - done);
            match first {
                None => buf[done..done + take].fill(0),
                // Whole blocks: straight into the caller's buffer.
                Some(p) if in_blk == 0 && take == run_bytes => {
                    self.io.read_data(p, &mut buf[done..done + take])?;
                }
                Some(p) => {
                    tmp.resize(run_bytes, 0);
                    self.io.read_data(p, &mut tmp)?;
                    buf[done..done + take].copy_from_slice(&tmp[in_blk..in_blk + take]);
                }
            }
            done += take;
        }
        Ok(len)
    }

    /// Implements pwrite on a regular file: writes all of `data` at `off`,
    /// allocating blocks (holes before `off` stay holes). Updates mtime/ctime.
    pub fn write(&mut self, ino: u32, off: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        let mut inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if !inode.is_reg() {
            return Err(Ext2Error::InvalidArgument("write to a special file"));
        }
        let bs = u64::from(self.geo.block_size);
        let end = off.checked_add(data.len() as u64).ok_or(Ext2Error::FileTooBig)?;
        if end.div_ceil(bs) > max_blocks(bs / 4) {
            return Err(Ext2Error::FileTooBig);
        }
        self.ensure_large_file(end)?;
        let result = self.write_blocks(ino, &mut inode, off, data);
        // Keep what was written even if we ran out of space midway.
        let written = match &result {
            Ok(n) => *n,
            Err(_) => 0,
        };
        let new_end = off + written as u64;
        if new_end > inode.size() {
            inode.set_size(new_end);
        }
        let now = self.now();
        inode.set_mtime(now);
        inode.set_ctime(now);
        self.write_inode(ino, &inode)?;
        result
    }

    fn write_blocks(&mut self, ino: u32, inode: &mut Inode, off: u64, data: &[u8]) -> Result<usize> {
        let bs = u64::from(self.geo.block_size);
        let bsz = bs as usize;
        let mut done = 0usize;
        let mut goal = match (off / bs).checked_sub(1) {
            Some(prev) => self.bmap(ino, inode, prev)?.map(|b| b + 1).unwrap_or(self.inode_goal(ino)),
            None => self.inode_goal(ino),
        };
        // A run of consecutive physical blocks waiting to be written.
        let mut run_start = 0u64;
        let mut run: Vec<u8> = Vec::new();
        while done < data.len() {
            let pos = off + done as u64;
            let lblk = pos / bs;
            let in_blk = (pos % bs) as usize;
            let take = (bsz - in_blk).min(data.len() - done);
            let (phys, fresh) = match self.bmap_alloc(ino, inode, lblk, goal) {
                Ok(x) => x,
                Err(e) => {
                    self.flush_run(run_start, &mut run)?;
                    return if done > 0 && matches!(e, Ext2Error::NoSpace) { Ok(done) } else { Err(e) };
                }
            };
            goal = phys + 1;
            let contiguous = !run.is_empty() && run_start + (run.len() / bsz) as u64 == phys;
            if !contiguous || run.len() >= MAX_RUN_BLOCKS as usize * bsz {
                self.flush_run(run_start, &mut run)?;
                run_start = phys;
            }
            let at = run.len();
            if take == bsz {
                run.extend_from_slice(&data[done..done + take]);
            } else {
                run.resize(at + bsz, 0);
                if !fresh {
                    self.io.read_data(phys, &mut run[at..at + bsz])?;
                }
                run[at + in_blk..at + in_blk + take].copy_from_slice(&data[done..done + take]);
            }
            done += take;
        }
        self.flush_run(run_start, &mut run)?;
        Ok(done)
    }

    fn flush_run(&mut self, start: u64, run: &mut Vec<u8>) -> Result<()> {
        if !run.is_empty() {
            self.io.write_data(start, run)?;
            run.clear();
        }
        Ok(())
    }

    /// Sets `large_file` when a file passes 2 GiB (revision 0 cannot).
    fn ensure_large_file(&mut self, size: u64) -> Result<()> {
        if size > LARGE_FILE_LIMIT && !self.sb.has_ro_compat(RO_COMPAT_LARGE_FILE) {
            if self.sb.rev_level() == 0 {
                return Err(Ext2Error::FileTooBig);
            }
            self.sb.set_feature_ro_compat(self.sb.feature_ro_compat() | RO_COMPAT_LARGE_FILE);
            self.meta_dirty = true;
        }
        Ok(())
    }

    /// Implements truncate: shrinks (freeing blocks, zeroing the tail of the
    /// last block) or extends sparsely.
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<()> {
        self.check_writable()?;
        let mut inode = self.live_inode(ino)?;
        if inode.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if !inode.is_reg() {
            return Err(Ext2Error::InvalidArgument("truncate of a special file"));
        }
        let bs = u64::from(self.geo.block_size);
        if size.div_ceil(bs) > max_blocks(bs / 4) {
            return Err(Ext2Error::FileTooBig);
        }
        self.ensure_large_file(size)?;
        if size < inode.size() {
            self.free_from(ino, &mut inode, size.div_ceil(bs))?;
            let tail = (size % bs) as usize;
            if tail != 0 {
                if let Some(p) = self.bmap(ino, &inode, size / bs)? {
                    let mut b = vec![0u8; bs as usize];
                    self.io.read_data(p, &mut b)?;
                    b[tail..].fill(0);
                    self.io.write_data(p, &b)?;
                }
            }
        }
        inode.set_size(size);
        let now = self.now();
        inode.set_mtime(now);
        inode.set_ctime(now);
        self.write_inode(ino, &inode)
    }

    // ---- namespace --------------------------------------------------------

    /// Allocates and initializes a new inode (not yet linked anywhere).
    fn new_inode(&mut self, parent: u32, mode: u16, uid: u32, gid: u32) -> Result<(u32, Inode)> {
        let is_dir = mode & S_IFMT == S_IFDIR;
        let ino = self.alloc_inode(parent, is_dir)?;
        let mut i = Inode::new(self.geo.inode_size as usize);
        i.set_mode(mode);
        i.set_uid(uid);
        i.set_gid(gid);
        let now = self.now();
        i.set_atime(now);
        i.set_mtime(now);
        i.set_ctime(now);
        i.set_crtime(now);
        i.set_links(1);
        Ok((ino, i))
    }

    /// Checks `name` may be created in `dir`; returns the directory inode.
    fn prepare_create(&mut self, dir: u32, name: &[u8]) -> Result<Inode> {
        self.check_writable()?;
        check_name(name)?;
        let d = self.dir_inode(dir)?;
        if d.links() == 0 {
            return Err(Ext2Error::NotFound);
        }
        if self.find_entry(dir, &d, name)?.is_some() {
            return Err(Ext2Error::Exists);
        }
        Ok(d)
    }

    /// Links a new inode into `dir` and touches the directory.
    fn link_new(&mut self, dir: u32, mut d: Inode, name: &[u8], ino: u32, i: &Inode) -> Result<()> {
        self.write_inode(ino, i)?;
        let now = self.now();
        d.set_mtime(now);
        d.set_ctime(now);
        if let Err(e) = self.add_entry(dir, &mut d, name, ino, i.file_type()) {
            // Undo the allocation so the filesystem stays consistent.
            let mut i = i.clone();
            i.set_links(0);
            self.write_inode(ino, &i)?;
            self.evict(ino)?;
            return Err(e);
        }
        Ok(())
    }

    /// Implements creat/open(O_CREAT): a new empty regular file.
    pub fn create(&mut self, dir: u32, name: &[u8], mode: u16, uid: u32, gid: u32) -> Result<u32> {
        if mode & S_IFMT != 0 && mode & S_IFMT != S_IFREG {
            return Err(Ext2Error::InvalidArgument("create: mode is not a regular file"));
        }
        let d = self.prepare_create(dir, name)?;
        let (ino, i) = self.new_inode(dir, S_IFREG | (mode & 0o7777), uid, gid)?;
        self.link_new(dir, d, name, ino, &i)?;
        Ok(ino)
    }

    /// Implements mknod for character/block devices, FIFOs and sockets
    /// (and regular files). `rdev` is (major, minor).
    pub fn mknod(&mut self, dir: u32, name: &[u8], mode: u16, rdev: (u32, u32), uid: u32, gid: u32) -> Result<u32> {
        let kind = mode & S_IFMT;
        if ![S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFREG].contains(&kind) {
            return Err(Ext2Error::InvalidArgument("mknod: bad file type"));
        }
        let d = self.prepare_create(dir, name)?;
        let (ino, mut i) = self.new_inode(dir, mode, uid, gid)?;
        if kind == S_IFCHR || kind == S_IFBLK {
            let (b0, b1) = encode_dev(rdev.0, rdev.1);
            i.set_block(0, b0);
            i.set_block(1, b1);
        }
        self.link_new(dir, d, name, ino, &i)?;
        Ok(ino)
    }

    /// Implements mkdir.
    pub fn mkdir(&mut self, dir: u32, name: &[u8], mode: u16, uid: u32, gid: u32) -> Result<u32> {
        let mut d = self.prepare_create(dir, name)?;
        if d.links() >= LINK_MAX {
            return Err(Ext2Error::TooManyLinks);
        }
        let (ino, mut i) = self.new_inode(dir, S_IFDIR | (mode & 0o7777), uid, gid)?;
        i.set_links(2);
        let goal = self.inode_goal(ino);
        let blk = match self.bmap_alloc(ino, &mut i, 0, goal) {
            Ok((b, _)) => b,
            Err(e) => {
                self.free_inode_bit(ino, true)?;
                return Err(e);
            }
        };
        let block = self.new_dir_block(ino, dir);
        self.io.put_block(blk, block)?;
        i.set_size(u64::from(self.geo.block_size));
        d.set_links(d.links() + 1);
        self.link_new(dir, d, name, ino, &i)?;
        Ok(ino)
    }

    /// Implements symlink.
    pub fn symlink(&mut self, dir: u32, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<u32> {
        if target.is_empty() {
            return Err(Ext2Error::InvalidArgument("empty symlink target"));
        }
        if target.len() >= self.geo.block_size as usize {
            return Err(Ext2Error::NameTooLong);
        }
        let d = self.prepare_create(dir, name)?;
        let (ino, mut i) = self.new_inode(dir, S_IFLNK | 0o777, uid, gid)?;
        if let Err(e) = self.store_symlink(ino, &mut i, target) {
            self.free_inode_bit(ino, false)?;
            return Err(e);
        }
        self.link_new(dir, d, name, ino, &i)?;
        Ok(ino)
    }

    /// Implements link: a new name `name` in `dir` for `ino`.
    pub fn link(&mut self, ino: u32, dir: u32, name: &[u8]) -> Result<()> {
        let mut d = self.prepare_create(dir, name)?;
        let mut i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        if i.links() >= LINK_MAX {
            return Err(Ext2Error::TooManyLinks);
        }
        if i.links() == 0 {
            return Err(Ext2Error::NotFound);
        }
        let now = self.now();
        d.set_mtime(now);
        d.set_ctime(now);
        self.add_entry(dir, &mut d, name, ino, i.file_type())?;
        i.set_links(i.links() + 1);
        i.set_ctime(now);
        self.write_inode(ino, &i)
    }

    /// Implements unlink (not for directories).
    pub fn unlink(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        let mut d = self.dir_inode(dir)?;
        let f = self.find_entry(dir, &d, name)?.ok_or(Ext2Error::NotFound)?;
        let mut i = self.live_inode(f.ino)?;
        if i.is_dir() {
            return Err(Ext2Error::IsDir);
        }
        self.remove_entry(dir, &f)?;
        let now = self.now();
        d.set_mtime(now);
        d.set_ctime(now);
        self.write_inode(dir, &d)?;
        i.set_links(i.links().saturating_sub(1));
        i.set_ctime(now);
        self.write_inode(f.ino, &i)?;
        if i.links() == 0 {
            self.drop_inode(f.ino)?;
        }
        Ok(())
    }

    /// Implements rmdir.
    pub fn rmdir(&mut self, dir: u32, name: &[u8]) -> Result<()> {
        self.check_writable()?;
        if name == b"." {
            return Err(Ext2Error::InvalidArgument("rmdir of ."));
        }
        if name == b".." {
            return Err(Ext2Error::NotEmpty);
        }
        let mut d = self.dir_inode(dir)?;
        let f = self.find_entry(dir, &d, name)?.ok_or(Ext2Error::NotFound)?;
        let mut i = self.live_inode(f.ino)?;
        if !i.is_dir() {
            return Err(Ext2Error::NotDir);
        }
        if !self.dir_is_empty(f.ino, &i)? {
            return Err(Ext2Error::NotEmpty);
        }
        self.remove_entry(dir, &f)?;
        let now = self.now();
        d.set_links(d.links().saturating_sub(1));
        d.set_mtime(now);
        d.set_ctime(now);
        self.write_inode(dir, &d)?;
        i.set_links(0);
        i.set_ctime(now);
        self.write_inode(f.ino, &i)?;
        self.drop_inode(f.ino)
    }

    /// Whether `anc` is `ino` or one of its ancestors (walking `..`).
    fn is_ancestor(&mut self, anc: u32, mut ino: u32) -> Result<bool> {
        for _ in 0..self.geo.inodes_count {
            if ino == anc {
                return Ok(true);
            }
            if ino == ROOT_INO {
                return Ok(false);
            }
            let d = self.dir_inode(ino)?;
            let parent = self.find_dotdot(ino, &d)?.ino;
            self.check_ino(parent)?;
            ino = parent;
        }
        corrupt(CorruptKind::DirStructure(ino, "loop in .. chain"))
    }

    /// Implements rename(2) (without flags): replaces an existing target of a
    /// compatible type; moving a directory fixes its `..` and link counts.
    pub fn rename(&mut self, old_dir: u32, old_name: &[u8], new_dir: u32, new_name: &[u8]) -> Result<()> {
        self.check_writable()?;
        if old_name == b"." || old_name == b".." {
            return Err(Ext2Error::InvalidArgument("rename of . or .."));
        }
        check_name(new_name)?;
        let od = self.dir_inode(old_dir)?;
        let src = self.find_entry(old_dir, &od, old_name)?.ok_or(Ext2Error::NotFound)?;
        let mut si = self.live_inode(src.ino)?;
        let nd = self.dir_inode(new_dir)?;
        let dst = self.find_entry(new_dir, &nd, new_name)?;
        if let Some(t) = &dst {
            if t.ino == src.ino {
                return Ok(()); // Same file: POSIX says do nothing.
            }
        }
        let src_is_dir = si.is_dir();
        if src_is_dir && old_dir != new_dir && self.is_ancestor(src.ino, new_dir)? {
            return Err(Ext2Error::InvalidArgument("rename: directory into its own subtree"));
        }
        let mut target: Option<(Found, Inode)> = None;
        if let Some(t) = dst {
            let ti = self.live_inode(t.ino)?;
            match (src_is_dir, ti.is_dir()) {
                (true, false) => return Err(Ext2Error::NotDir),
                (false, true) => return Err(Ext2Error::IsDir),
                (true, true) if !self.dir_is_empty(t.ino, &ti)? => return Err(Ext2Error::NotEmpty),
                _ => {}
            }
            target = Some((t, ti));
        } else if src_is_dir && old_dir != new_dir && nd.links() >= LINK_MAX {
            return Err(Ext2Error::TooManyLinks);
        }
        let now = self.now();
        // 1. Put the source under the new name.
        let mut nd = nd;
        match &target {
            Some((t, _)) => self.retarget_entry(t, src.ino, si.file_type())?,
            None => self.add_entry(new_dir, &mut nd, new_name, src.ino, si.file_type())?,
        }
        // 2. Remove the old name (re-find: the insert may have moved nothing,
        // but when both directories are the same the entry offsets still hold).
        let od = if old_dir == new_dir { nd.clone() } else { self.dir_inode(old_dir)? };
        let src_now = self.find_entry(old_dir, &od, old_name)?.ok_or(Ext2Error::NotFound)?;
        self.remove_entry(old_dir, &src_now)?;
        // 3. Link counts.
        let mut nd = if old_dir == new_dir { od } else { nd };
        nd.set_mtime(now);
        nd.set_ctime(now);
        if let Some((t, mut ti)) = target {
            if ti.is_dir() {
                ti.set_links(0);
                // The victim's `..` no longer counts against new_dir.
                nd.set_links(nd.links().saturating_sub(1));
            } else {
                ti.set_links(ti.links().saturating_sub(1));
            }
            ti.set_ctime(now);
            self.write_inode(t.ino, &ti)?;
            if ti.links() == 0 {
                self.write_inode(new_dir, &nd)?;
                self.drop_inode(t.ino)?;
                nd = self.dir_inode(new_dir)?;
            }
        }
        if src_is_dir && old_dir != new_dir {
            let dd = self.find_dotdot(src.ino, &si)?;
            self.retarget_entry(&dd, new_dir, FileType::Directory)?;
            nd.set_links(nd.links() + 1);
            let mut od = self.dir_inode(old_dir)?;
            od.set_links(od.links().saturating_sub(1));
            od.set_mtime(now);
            od.set_ctime(now);
            self.write_inode(new_dir, &nd)?;
            self.write_inode(old_dir, &od)?;
        } else {
            self.write_inode(new_dir, &nd)?;
            if old_dir != new_dir {
                let mut od = self.dir_inode(old_dir)?;
                od.set_mtime(now);
                od.set_ctime(now);
                self.write_inode(old_dir, &od)?;
            }
        }
        si.set_ctime(now);
        self.write_inode(src.ino, &si)
    }

    // ---- open references and orphans -------------------------------------

    /// Records an open reference to `ino` (the VFS opened it).
    pub fn acquire(&mut self, ino: u32) -> Result<()> {
        self.live_inode(ino)?;
        *self.open_refs.entry(ino).or_insert(0) += 1;
        Ok(())
    }

    /// Drops an open reference; the last one frees an unlinked inode.
    pub fn release(&mut self, ino: u32) -> Result<()> {
        let Some(n) = self.open_refs.get_mut(&ino) else {
            return Err(Ext2Error::InvalidArgument("release without acquire"));
        };
        *n -= 1;
        if *n > 0 {
            return Ok(());
        }
        self.open_refs.remove(&ino);
        let i = self.read_inode(ino)?;
        if i.links() == 0 && !self.read_only {
            self.orphan_remove(ino)?;
            self.evict(ino)?;
        }
        Ok(())
    }

    /// The last link went: free now, or orphan until release.
    fn drop_inode(&mut self, ino: u32) -> Result<()> {
        if self.open_refs.contains_key(&ino) {
            self.orphan_add(ino)
        } else {
            self.evict(ino)
        }
    }

    fn orphan_add(&mut self, ino: u32) -> Result<()> {
        let mut i = self.read_inode(ino)?;
        i.set_dtime(self.sb.last_orphan());
        self.write_inode(ino, &i)?;
        self.sb.set_last_orphan(ino);
        self.meta_dirty = true;
        // The list head must reach the disk before anything else does.
        self.write_superblock()
    }

    fn orphan_remove(&mut self, ino: u32) -> Result<()> {
        let next = self.read_inode(ino)?.dtime();
        if self.sb.last_orphan() == ino {
            self.sb.set_last_orphan(next);
            self.meta_dirty = true;
            return Ok(());
        }
        let mut cur = self.sb.last_orphan();
        for _ in 0..self.geo.inodes_count {
            if cur == 0 {
                return Ok(());
            }
            self.check_ino(cur).map_err(|_| Ext2Error::Corrupt(CorruptKind::OrphanList(cur)))?;
            let mut ci = self.read_inode(cur)?;
            if ci.dtime() == ino {
                ci.set_dtime(next);
                return self.write_inode(cur, &ci);
            }
            cur = ci.dtime();
        }
        corrupt(CorruptKind::OrphanList(ino))
    }

    /// Frees orphans left by an unclean stop (at read-write mount).
    fn process_orphans(&mut self) -> Result<()> {
        let mut cur = self.sb.last_orphan();
        let mut n = 0u32;
        while cur != 0 {
            n += 1;
            if n > self.geo.inodes_count || cur < self.geo.first_ino || cur > self.geo.inodes_count {
                return corrupt(CorruptKind::OrphanList(cur));
            }
            let mut i = self.read_inode(cur)?;
            let next = i.dtime();
            self.sb.set_last_orphan(next);
            if i.links() == 0 && i.mode() != 0 {
                self.evict(cur)?;
            } else {
                i.set_dtime(0);
                self.write_inode(cur, &i)?;
            }
            cur = next;
        }
        self.meta_dirty = true;
        Ok(())
    }

    /// Frees an inode with no links: its blocks, xattr block and number.
    fn evict(&mut self, ino: u32) -> Result<()> {
        let mut i = self.read_inode(ino)?;
        let has_blocks = i.is_reg() || i.is_dir() || (i.is_symlink() && self.data_sectors(&i) > 0);
        if has_blocks {
            self.free_from(ino, &mut i, 0)?;
        }
        self.release_xattr_block(ino, &mut i)?;
        let is_dir = i.is_dir();
        i.set_links(0);
        i.set_size(0);
        // e2fsck takes a dtime below s_inodes_count for an orphan-list link,
        // so never store one, whatever the clock says.
        let floor = self.geo.inodes_count.saturating_add(1).max(self.sb.wtime());
        i.set_dtime((self.now().sec.clamp(0, i64::from(u32::MAX)) as u32).max(floor));
        self.write_inode(ino, &i)?;
        self.dir_hint.remove(&ino);
        self.free_inode_bit(ino, is_dir)
    }

    // ---- durability ---------------------------------------------------------

    fn write_superblock(&mut self) -> Result<()> {
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
}
