//! Namespace operations: create, mknod, mkdir, symlink, link, unlink,
//! rmdir and rename (Linux's `ext2/namei.c`).
//!
//! Each checks names and types the way the Linux syscalls do and keeps link
//! counts exact: a directory counts its `..` in its parent and its own `.`.
//! Permission checks and credentials are the caller's (the VFS).

use crate::dir::{check_name, Found};
use crate::error::{corrupt, CorruptKind, Ext2Error, Result};
use crate::fs::{encode_dev, Ext2, LINK_MAX};
use crate::inode::{FileType, Inode, ROOT_INO, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use wasmpod_blockdev::BlockDevice;

impl<D: BlockDevice> Ext2<D> {
    /// Allocates and initializes a new inode (not yet linked anywhere).
    pub(crate) fn new_inode(&mut self, parent: u32, mode: u16, uid: u32, gid: u32) -> Result<(u32, Inode)> {
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
    pub(crate) fn prepare_create(&mut self, dir: u32, name: &[u8]) -> Result<Inode> {
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
    pub(crate) fn link_new(&mut self, dir: u32, mut d: Inode, name: &[u8], ino: u32, i: &Inode) -> Result<()> {
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
    pub(crate) fn is_ancestor(&mut self, anc: u32, mut ino: u32) -> Result<bool> {
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
}
