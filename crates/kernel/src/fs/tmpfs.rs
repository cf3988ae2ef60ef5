//! tmpfs: a filesystem that lives in kernel memory (the root, /tmp, and —
//! populated with device nodes — /dev).
//!
//! File data is kept in 4 KiB pages in a map, so sparse files (a truncate
//! to a terabyte, a write far past the end) cost only the pages written.
//! Directory entries carry a sequence number given at insertion, which is
//! the `readdir` cookie: cookies stay valid while entries come and go
//! (getdents64 across calls never repeats or skips a surviving entry).
//!
//! Timestamps follow Linux: a write sets mtime and ctime; a change of
//! attributes sets ctime (the VFS passes it in [`SetAttr`]); link, unlink,
//! create and rename set the directory's mtime and ctime and the inode's
//! ctime; reads update atime with `relatime` rules.
//!
//! The VFS checks permissions and the rename/unlink rules; this module only
//! keeps the tree consistent (link counts, `..`). Not here: size limits
//! (`size=` mount option), xattrs, O_TMPFILE.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use crate::sync::lock::Mutex;
use wasmpod_abi::fs::*;

use super::inode::{DirEntry, FsStats, Inode, Metadata, NodeKind, SetAttr, Timespec};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::platform::ClockKind;
use crate::{errno, return_errno};

/// Page size of file data.
const PAGE: u64 = 4096;
/// tmpfs reports directory sizes in units of 20 bytes per entry, like
/// Linux's `BOGO_DIRENT_SIZE`.
const BOGO_DIRENT_SIZE: u64 = 20;
/// Largest file size: Linux's `MAX_LFS_FILESIZE` on 64-bit.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;
/// First cookie of a real entry: 0 is the start, 1 is after ".", 2 after "..".
const FIRST_SEQ: u64 = 3;

static NEXT_ANON_DEV: AtomicU64 = AtomicU64::new(16);

/// A new anonymous device number (major 0) for a filesystem instance, like
/// Linux's `get_anon_bdev`: each mount gets its own `st_dev`.
pub fn alloc_anon_dev() -> u64 {
    super::devices::makedev(0, NEXT_ANON_DEV.fetch_add(1, Ordering::Relaxed) as u32)
}

/// Per-instance data shared by all inodes of one tmpfs.
pub struct TmpFs {
    dev: u64,
    next_ino: AtomicU64,
    magic: u32,
}

impl TmpFs {
    /// A new, empty tmpfs; returns its root directory (mode `mode`).
    pub fn new_root(mode: u32, uid: u32, gid: u32) -> Arc<TmpInode> {
        Self::new_root_with_magic(mode, uid, gid, TMPFS_MAGIC)
    }

    /// Like [`TmpFs::new_root`] with another `f_type` (devfs reports tmpfs's).
    pub fn new_root_with_magic(mode: u32, uid: u32, gid: u32, magic: u32) -> Arc<TmpInode> {
        let fs = Arc::new(TmpFs { dev: alloc_anon_dev(), next_ino: AtomicU64::new(1), magic });
        TmpInode::new(
            &fs,
            S_IFDIR | (mode & 0o7777),
            uid,
            gid,
            0,
            Body::Dir(Dir::new(Weak::new())),
            Timespec::default(),
        )
    }
}

/// One directory's entries.
struct Dir {
    /// `None` for the root (whose ".." is itself).
    parent: Weak<TmpInode>,
    by_name: HashMap<Vec<u8>, u64>,
    by_seq: BTreeMap<u64, (Vec<u8>, Arc<dyn Inode>)>,
    next_seq: u64,
}

impl Dir {
    fn new(parent: Weak<TmpInode>) -> Self {
        Dir { parent, by_name: HashMap::new(), by_seq: BTreeMap::new(), next_seq: FIRST_SEQ }
    }
    fn get(&self, name: &[u8]) -> Option<Arc<dyn Inode>> {
        self.by_name.get(name).and_then(|s| self.by_seq.get(s)).map(|(_, i)| i.clone())
    }
    fn insert(&mut self, name: &[u8], inode: Arc<dyn Inode>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_name.insert(name.to_vec(), seq);
        self.by_seq.insert(seq, (name.to_vec(), inode));
    }
    fn remove(&mut self, name: &[u8]) -> Option<Arc<dyn Inode>> {
        let seq = self.by_name.remove(name)?;
        self.by_seq.remove(&seq).map(|(_, i)| i)
    }
    /// Replaces the inode of an existing entry in place (keeps its cookie).
    fn replace(&mut self, name: &[u8], inode: Arc<dyn Inode>) -> Option<Arc<dyn Inode>> {
        let seq = *self.by_name.get(name)?;
        self.by_seq.get_mut(&seq).map(|e| std::mem::replace(&mut e.1, inode))
    }
    fn len(&self) -> usize {
        self.by_seq.len()
    }
}

enum Body {
    File {
        pages: BTreeMap<u64, Box<[u8]>>,
        size: u64,
    },
    Dir(Dir),
    Symlink(Vec<u8>),
    /// Devices, FIFOs, sockets: no data.
    Special,
}

struct State {
    mode: u32,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
    body: Body,
    /// An `O_TMPFILE` file that may still get a name (Linux's I_LINKABLE).
    linkable: bool,
}

/// A tmpfs inode.
pub struct TmpInode {
    fs: Arc<TmpFs>,
    ino: u64,
    me: Weak<TmpInode>,
    st: Mutex<State>,
}

fn now(ctx: &Ctx) -> Timespec {
    Timespec::from_nanos(ctx.platform().now(ClockKind::Realtime))
}

fn as_tmp(i: &Arc<dyn Inode>) -> Option<&TmpInode> {
    i.as_any().downcast_ref::<TmpInode>()
}

impl TmpInode {
    fn new(fs: &Arc<TmpFs>, mode: u32, uid: u32, gid: u32, rdev: u64, body: Body, t: Timespec) -> Arc<TmpInode> {
        let ino = fs.next_ino.fetch_add(1, Ordering::Relaxed);
        let nlink = if mode & S_IFMT == S_IFDIR { 2 } else { 1 };
        Arc::new_cyclic(|me| TmpInode {
            fs: fs.clone(),
            ino,
            me: me.clone(),
            st: Mutex::new(State { mode, nlink, uid, gid, rdev, atime: t, mtime: t, ctime: t, body, linkable: false }),
        })
    }

    fn arc(&self) -> Arc<TmpInode> {
        // `me` always upgrades while `&self` is alive (it is inside the Arc).
        self.me.upgrade().unwrap_or_else(|| unreachable!("tmpfs inode outside its Arc"))
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// `(st_dev, st_ino)`, without a context.
    pub fn key(&self) -> (u64, u64) {
        (self.fs.dev, self.ino)
    }

    fn is_dir(&self) -> bool {
        self.st.lock().mode & S_IFMT == S_IFDIR
    }

    fn make(&self, name: &[u8], kind: NodeKind, mode: u32, uid: u32, gid: u32, t: Timespec) -> Result<Arc<TmpInode>> {
        let (fmt, body, rdev) = match kind {
            NodeKind::Regular => (S_IFREG, Body::File { pages: BTreeMap::new(), size: 0 }, 0),
            NodeKind::Directory => (S_IFDIR, Body::Dir(Dir::new(self.me.clone())), 0),
            NodeKind::Symlink => (S_IFLNK, Body::Symlink(Vec::new()), 0),
            NodeKind::Fifo => (S_IFIFO, Body::Special, 0),
            NodeKind::Socket => (S_IFSOCK, Body::Special, 0),
            NodeKind::CharDevice(d) => (S_IFCHR, Body::Special, d),
            NodeKind::BlockDevice(d) => (S_IFBLK, Body::Special, d),
        };
        let mode = if kind == NodeKind::Symlink { 0o777 } else { mode & 0o7777 };
        let node = TmpInode::new(&self.fs, fmt | mode, uid, gid, rdev, body, t);
        let mut st = self.st.lock();
        if st.nlink == 0 {
            return_errno!(ENOENT, "directory was removed");
        }
        let Body::Dir(dir) = &mut st.body else { return_errno!(ENOTDIR, "not a directory") };
        if dir.get(name).is_some() {
            return_errno!(EEXIST, "entry exists");
        }
        dir.insert(name, node.clone());
        if kind == NodeKind::Directory {
            st.nlink += 1;
        }
        st.mtime = t;
        st.ctime = t;
        Ok(node)
    }

    /// Creates an entry without a calling context (building the initial
    /// tree); timestamps are the epoch.
    pub fn add_raw(&self, name: &[u8], kind: NodeKind, mode: u32, uid: u32, gid: u32) -> Result<Arc<TmpInode>> {
        self.make(name, kind, mode, uid, gid, Timespec::default())
    }

    /// Creates a symlink without a calling context.
    pub fn add_symlink_raw(&self, name: &[u8], target: &[u8]) -> Result<Arc<TmpInode>> {
        let node = self.make(name, NodeKind::Symlink, 0o777, 0, 0, Timespec::default())?;
        node.st.lock().body = Body::Symlink(target.to_vec());
        Ok(node)
    }

    /// Sets all three timestamps of this inode and everything below it
    /// (the boot-time tree, made before there was a clock).
    pub fn stamp_tree(&self, t: Timespec) {
        let children: Vec<Arc<dyn Inode>> = {
            let mut st = self.st.lock();
            st.atime = t;
            st.mtime = t;
            st.ctime = t;
            match &st.body {
                Body::Dir(d) => d.by_seq.values().map(|(_, i)| i.clone()).collect(),
                _ => Vec::new(),
            }
        };
        for c in children {
            if let Some(c) = as_tmp(&c) {
                c.stamp_tree(t);
            }
        }
    }

    /// Looks up a child without a context.
    pub fn child(&self, name: &[u8]) -> Option<Arc<dyn Inode>> {
        match &self.st.lock().body {
            Body::Dir(d) => d.get(name),
            _ => None,
        }
    }

    fn touch_dir(&self, t: Timespec) {
        let mut st = self.st.lock();
        st.mtime = t;
        st.ctime = t;
    }

    fn parent(&self) -> Arc<TmpInode> {
        match &self.st.lock().body {
            Body::Dir(d) => d.parent.upgrade(),
            _ => None,
        }
        .unwrap_or_else(|| self.arc())
    }
}

fn read_pages(pages: &BTreeMap<u64, Box<[u8]>>, size: u64, off: u64, buf: &mut [u8]) -> usize {
    if off >= size {
        return 0;
    }
    let n = ((size - off).min(buf.len() as u64)) as usize;
    let mut done = 0;
    while done < n {
        let pos = off + done as u64;
        let (pi, po) = (pos / PAGE, (pos % PAGE) as usize);
        let step = (PAGE as usize - po).min(n - done);
        match pages.get(&pi) {
            Some(p) => buf[done..done + step].copy_from_slice(&p[po..po + step]),
            None => buf[done..done + step].fill(0),
        }
        done += step;
    }
    n
}

fn truncate_pages(pages: &mut BTreeMap<u64, Box<[u8]>>, size: &mut u64, new: u64) {
    if new < *size {
        // Drop whole pages past the end and zero the tail of the last one,
        // so that growing again shows zeros.
        let keep = new.div_ceil(PAGE);
        pages.retain(|&k, _| k < keep);
        if !new.is_multiple_of(PAGE) {
            if let Some(p) = pages.get_mut(&(new / PAGE)) {
                p[(new % PAGE) as usize..].fill(0);
            }
        }
    }
    *size = new;
}

impl Inode for TmpInode {
    fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
        let st = self.st.lock();
        let (size, blocks) = match &st.body {
            Body::File { pages, size } => (*size, pages.len() as u64 * (PAGE / 512)),
            Body::Dir(d) => ((d.len() as u64 + 2) * BOGO_DIRENT_SIZE, 0),
            Body::Symlink(t) => (t.len() as u64, 0),
            Body::Special => (0, 0),
        };
        Ok(Metadata {
            dev: self.fs.dev,
            ino: self.ino,
            mode: st.mode,
            nlink: st.nlink,
            uid: st.uid,
            gid: st.gid,
            rdev: st.rdev,
            size,
            blksize: PAGE as u32,
            blocks,
            atime: st.atime,
            mtime: st.mtime,
            ctime: st.ctime,
        })
    }

    fn set_attr(&self, _ctx: &mut Ctx, attr: &SetAttr) -> Result<()> {
        let mut st = self.st.lock();
        if let Some(size) = attr.size {
            match &mut st.body {
                Body::File { pages, size: cur } => truncate_pages(pages, cur, size),
                Body::Dir(_) => return_errno!(EISDIR, "truncate: is a directory"),
                _ => return_errno!(EINVAL, "truncate: not a regular file"),
            }
        }
        if let Some(m) = attr.mode {
            st.mode = (st.mode & S_IFMT) | (m & 0o7777);
        }
        if let Some(u) = attr.uid {
            st.uid = u;
        }
        if let Some(g) = attr.gid {
            st.gid = g;
        }
        if let Some(t) = attr.atime {
            st.atime = t;
        }
        if let Some(t) = attr.mtime {
            st.mtime = t;
        }
        if let Some(t) = attr.ctime {
            st.ctime = t;
        }
        Ok(())
    }

    fn read_at(&self, ctx: &mut Ctx, off: u64, buf: &mut [u8]) -> Result<usize> {
        let t = now(ctx);
        let mut st = self.st.lock();
        let n = match &st.body {
            Body::File { pages, size } => read_pages(pages, *size, off, buf),
            Body::Dir(_) => return_errno!(EISDIR, "read of a directory"),
            _ => return_errno!(EINVAL, "not a regular file"),
        };
        // relatime: update atime if it is not newer than mtime/ctime or a
        // day old (mount(8), "relatime").
        if st.atime <= st.mtime || st.atime <= st.ctime || t.sec - st.atime.sec >= 86_400 {
            st.atime = t;
        }
        Ok(n)
    }

    fn write_at(&self, ctx: &mut Ctx, off: u64, data: &[u8]) -> Result<usize> {
        let t = now(ctx);
        let mut st = self.st.lock();
        let Body::File { pages, size } = &mut st.body else {
            return_errno!(EINVAL, "not a regular file");
        };
        let end = off
            .checked_add(data.len() as u64)
            .filter(|&e| e <= MAX_FILE_SIZE)
            .ok_or(errno!(EFBIG, "file too large"))?;
        let mut done = 0;
        while done < data.len() {
            let pos = off + done as u64;
            let (pi, po) = (pos / PAGE, (pos % PAGE) as usize);
            let step = (PAGE as usize - po).min(data.len() - done);
            let page = pages.entry(pi).or_insert_with(|| vec![0u8; PAGE as usize].into_boxed_slice());
            page[po..po + step].copy_from_slice(&data[done..done + step]);
            done += step;
        }
        if end > *size {
            *size = end;
        }
        st.mtime = t;
        st.ctime = t;
        Ok(data.len())
    }

    fn lookup(&self, _ctx: &mut Ctx, name: &[u8]) -> Result<Arc<dyn Inode>> {
        if name == b"." {
            return Ok(self.arc());
        }
        if name == b".." {
            if !self.is_dir() {
                return_errno!(ENOTDIR, "not a directory");
            }
            return Ok(self.parent());
        }
        match &self.st.lock().body {
            Body::Dir(d) => d.get(name).ok_or(errno!(ENOENT, "no such file or directory")),
            _ => Err(errno!(ENOTDIR, "not a directory")),
        }
    }

    fn create(
        &self,
        ctx: &mut Ctx,
        name: &[u8],
        kind: NodeKind,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<Arc<dyn Inode>> {
        let t = now(ctx);
        Ok(self.make(name, kind, mode, uid, gid, t)?)
    }

    fn create_tmpfile(&self, ctx: &mut Ctx, mode: u32, uid: u32, gid: u32, linkable: bool) -> Result<Arc<dyn Inode>> {
        if !self.is_dir() {
            return_errno!(ENOTDIR, "not a directory");
        }
        let t = now(ctx);
        let body = Body::File { pages: BTreeMap::new(), size: 0 };
        let node = TmpInode::new(&self.fs, S_IFREG | (mode & 0o7777), uid, gid, 0, body, t);
        let mut st = node.st.lock();
        st.nlink = 0;
        st.linkable = linkable;
        drop(st);
        Ok(node)
    }

    fn symlink(&self, ctx: &mut Ctx, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<Arc<dyn Inode>> {
        let t = now(ctx);
        let node = self.make(name, NodeKind::Symlink, 0o777, uid, gid, t)?;
        node.st.lock().body = Body::Symlink(target.to_vec());
        Ok(node)
    }

    fn link(&self, ctx: &mut Ctx, name: &[u8], target: &Arc<dyn Inode>) -> Result<()> {
        let t = now(ctx);
        let Some(tgt) = as_tmp(target).filter(|x| Arc::ptr_eq(&x.fs, &self.fs)) else {
            return_errno!(EXDEV, "link across filesystems");
        };
        {
            let ts = tgt.st.lock();
            if ts.nlink == 0 && !ts.linkable {
                return_errno!(ENOENT, "link: file was deleted");
            }
        }
        {
            let mut st = self.st.lock();
            if st.nlink == 0 {
                return_errno!(ENOENT, "directory was removed");
            }
            let Body::Dir(dir) = &mut st.body else { return_errno!(ENOTDIR, "not a directory") };
            if dir.get(name).is_some() {
                return_errno!(EEXIST, "entry exists");
            }
            dir.insert(name, target.clone());
            st.mtime = t;
            st.ctime = t;
        }
        let mut ts = tgt.st.lock();
        ts.nlink = ts.nlink.saturating_add(1);
        ts.linkable = false;
        ts.ctime = t;
        Ok(())
    }

    fn unlink(&self, ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        let t = now(ctx);
        let victim = {
            let mut st = self.st.lock();
            let Body::Dir(dir) = &mut st.body else { return_errno!(ENOTDIR, "not a directory") };
            let v = dir.get(name).ok_or(errno!(ENOENT, "no such entry"))?;
            if as_tmp(&v).is_some_and(|x| x.is_dir()) {
                return_errno!(EISDIR, "unlink of a directory");
            }
            dir.remove(name);
            st.mtime = t;
            st.ctime = t;
            v
        };
        if let Some(v) = as_tmp(&victim) {
            let mut vs = v.st.lock();
            vs.nlink = vs.nlink.saturating_sub(1);
            vs.ctime = t;
        }
        Ok(())
    }

    fn rmdir(&self, ctx: &mut Ctx, name: &[u8]) -> Result<()> {
        let t = now(ctx);
        let victim = self.child(name).ok_or(errno!(ENOENT, "no such entry"))?;
        let v = as_tmp(&victim).ok_or(errno!(EBUSY, "foreign inode"))?;
        {
            let mut vs = v.st.lock();
            match &vs.body {
                Body::Dir(d) if d.len() > 0 => return_errno!(ENOTEMPTY, "directory not empty"),
                Body::Dir(_) => {}
                _ => return_errno!(ENOTDIR, "not a directory"),
            }
            vs.nlink = 0;
            vs.ctime = t;
        }
        let mut st = self.st.lock();
        if let Body::Dir(dir) = &mut st.body {
            dir.remove(name);
        }
        st.nlink = st.nlink.saturating_sub(1);
        st.mtime = t;
        st.ctime = t;
        Ok(())
    }

    fn rename(
        &self,
        ctx: &mut Ctx,
        old_name: &[u8],
        new_dir: &Arc<dyn Inode>,
        new_name: &[u8],
        flags: u32,
    ) -> Result<()> {
        use wasmpod_abi::fcntl::RENAME_EXCHANGE;
        let t = now(ctx);
        let Some(nd) = as_tmp(new_dir).filter(|x| Arc::ptr_eq(&x.fs, &self.fs)) else {
            return_errno!(EXDEV, "rename across filesystems");
        };
        let same_dir = std::ptr::eq(nd, self);
        if nd.st.lock().nlink == 0 {
            return_errno!(ENOENT, "directory was removed");
        }
        let src = self.child(old_name).ok_or(errno!(ENOENT, "no such entry"))?;
        let dst = nd.child(new_name);
        let src_tmp = as_tmp(&src).ok_or(errno!(EXDEV, "foreign inode"))?;
        let src_is_dir = src_tmp.is_dir();
        if flags & RENAME_EXCHANGE != 0 {
            let dst = dst.ok_or(errno!(ENOENT, "exchange target missing"))?;
            let dst_tmp = as_tmp(&dst).ok_or(errno!(EXDEV, "foreign inode"))?;
            let dst_is_dir = dst_tmp.is_dir();
            if let Body::Dir(d) = &mut self.st.lock().body {
                d.replace(old_name, dst.clone());
            }
            if let Body::Dir(d) = &mut nd.st.lock().body {
                d.replace(new_name, src.clone());
            }
            if !same_dir {
                if src_is_dir {
                    set_parent(src_tmp, nd);
                }
                if dst_is_dir {
                    set_parent(dst_tmp, self);
                }
                if src_is_dir != dst_is_dir {
                    let (gain, lose) = if src_is_dir { (nd, self) } else { (self, nd) };
                    gain.st.lock().nlink += 1;
                    let mut l = lose.st.lock();
                    l.nlink = l.nlink.saturating_sub(1);
                }
            }
            src_tmp.st.lock().ctime = t;
            dst_tmp.st.lock().ctime = t;
            self.touch_dir(t);
            nd.touch_dir(t);
            return Ok(());
        }
        // Replace or move.
        if let Some(old) = &dst {
            if let Some(o) = as_tmp(old) {
                let mut os = o.st.lock();
                if o_is_dir(&os) {
                    os.nlink = 0;
                    drop(os);
                    let mut ns = nd.st.lock();
                    ns.nlink = ns.nlink.saturating_sub(1);
                } else {
                    os.nlink = os.nlink.saturating_sub(1);
                    os.ctime = t;
                }
            }
        }
        if let Body::Dir(d) = &mut self.st.lock().body {
            d.remove(old_name);
        }
        {
            let mut ns = nd.st.lock();
            if let Body::Dir(d) = &mut ns.body {
                if d.replace(new_name, src.clone()).is_none() {
                    d.insert(new_name, src.clone());
                }
            }
        }
        if src_is_dir && !same_dir {
            set_parent(src_tmp, nd);
            let mut s = self.st.lock();
            s.nlink = s.nlink.saturating_sub(1);
            drop(s);
            nd.st.lock().nlink += 1;
        }
        src_tmp.st.lock().ctime = t;
        self.touch_dir(t);
        nd.touch_dir(t);
        Ok(())
    }

    fn readdir(&self, _ctx: &mut Ctx, cookie: u64, sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        let parent_ino = {
            let st = self.st.lock();
            let Body::Dir(d) = &st.body else { return_errno!(ENOTDIR, "not a directory") };
            d.parent.upgrade().map_or(self.ino, |p| p.ino)
        };
        if cookie == 0 && !sink(DirEntry { ino: self.ino, name: b".".to_vec(), kind: DT_DIR, next: 1 }) {
            return Ok(());
        }
        if cookie <= 1 && !sink(DirEntry { ino: parent_ino, name: b"..".to_vec(), kind: DT_DIR, next: 2 }) {
            return Ok(());
        }
        // Entries are copied out in small batches (the sink runs without
        // the directory's lock), so a getdents pass costs O(entries
        // returned), not O(directory size).
        const BATCH: usize = 64;
        let mut from = cookie.max(FIRST_SEQ);
        loop {
            let batch: Vec<Listed> = {
                let st = self.st.lock();
                let Body::Dir(d) = &st.body else { return Ok(()) };
                d.by_seq.range(from..).take(BATCH).map(|(s, (n, i))| (*s, n.clone(), i.clone())).collect()
            };
            let Some(last) = batch.last().map(|e| e.0) else { return Ok(()) };
            for (seq, name, inode) in batch {
                let (ino, kind) = match as_tmp(&inode) {
                    Some(x) => (x.ino, dt_from_mode(x.st.lock().mode)),
                    None => (0, DT_UNKNOWN),
                };
                if !sink(DirEntry { ino, name, kind, next: seq + 1 }) {
                    return Ok(());
                }
            }
            from = last + 1;
        }
    }

    fn readlink(&self, _ctx: &mut Ctx) -> Result<Vec<u8>> {
        match &self.st.lock().body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => Err(errno!(EINVAL, "not a symlink")),
        }
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        let used = self.fs.next_ino.load(Ordering::Relaxed);
        Ok(FsStats {
            fs_type: self.fs.magic,
            block_size: PAGE as u32,
            // No size limit: report a large, mostly free filesystem.
            blocks: 1 << 20,
            blocks_free: 1 << 20,
            blocks_avail: 1 << 20,
            files: 1 << 20,
            files_free: (1u64 << 20).saturating_sub(used),
            name_max: NAME_MAX as u32,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A directory entry copied out for readdir: cookie, name, inode.
type Listed = (u64, Vec<u8>, Arc<dyn Inode>);

fn o_is_dir(st: &State) -> bool {
    st.mode & S_IFMT == S_IFDIR
}

fn set_parent(child: &TmpInode, parent: &TmpInode) {
    if let Body::Dir(d) = &mut child.st.lock().body {
        d.parent = parent.me.clone();
    }
}
