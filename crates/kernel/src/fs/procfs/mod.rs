//! procfs: `/proc`, generated from the process table on every access
//! (proc(5)).
//!
//! Nothing is stored: an inode is a small value ([`ProcInode`]) naming what
//! it shows (`/proc/<pid>/stat` is `Node::PidFile(pid, None, PidFile::Stat)`),
//! made afresh by every lookup. A file's contents are generated when it is
//! opened ([`Inode::open`] returns a snapshot [`FileOps`]) and reads and
//! offsets are served from that snapshot, as Linux's `seq_file` does for a
//! single read pass. Directories list what exists at the time of the call.
//!
//! What is here:
//! - `/proc/self`, `/proc/thread-self`, `/proc/mounts` (→ `self/mounts`);
//! - `/proc/<pid>/` for every process, zombies included: `stat`, `status`,
//!   `statm`, `cmdline`, `environ` (owner or root only), `comm` (writable
//!   by the owner), `maps`, `limits`, `mounts`, `mountinfo`, the `cwd`,
//!   `exe` and `root` links, `fd/` and `fdinfo/`, and `task/<tid>/` with
//!   the per-thread files (also reachable, unlisted, as `/proc/<tid>/`);
//! - `meminfo`, `cpuinfo`, `uptime`, `loadavg`, `version`, `filesystems`,
//!   `stat`, and `sys/kernel/{hostname,domainname,ostype,osrelease,pid_max,
//!   ngroups_max}`, `sys/fs/pipe-max-size`; `hostname`/`domainname` are
//!   writable by root.
//!
//! `/proc/<pid>/fd/<n>` links read as the file's path, or as
//! [`FileOps::describe`] (`pipe:[123]`) for files without one. Opening
//! such a link (a Linux "magic link") gives the same file even when the
//! text is no path: the VFS asks [`magic_link`] before following any
//! symlink's text, and gets the open file's own location (a fresh open of
//! the same inode, as in Linux), or a stand-in inode whose `open` returns
//! the file's own `FileOps` ([`magic_open`]), so the new description (new
//! flags, own offset) reaches the same pipe or eventfd. See `magic.rs`.
//! `exe` reads as `Process::exe`, an absolute path, so opening
//! `/proc/self/exe` opens the program file by that path; `cwd` and `root`
//! read as the paths of the process's directories (rebuilt by the VFS).
//!
//! Approximations (documented at each generator): no CPU time accounting
//! (times are 0), memory figures come from [`crate::mm::MemoryMap`], the
//! machine has one CPU, and `meminfo` reports [`MEM_TOTAL`].
//!
//! Not here yet: `auxv`, `mem`, `oom_score_adj`, `ns/`, `net/`, the rest of
//! `/proc/sys`, and per-reader chroot views of `mounts`. A pipe reopened
//! through `/proc/<pid>/fd/<n>` is the same pipe end, whatever the new
//! access mode (Linux reopens it like a FIFO).

mod magic;
mod pid;
mod root;
mod sys;
#[cfg(test)]
mod tests_vfs;

use std::any::Any;
use std::sync::Arc;

use crate::sync::lock::Mutex;
use wasmpod_abi::fs::{DT_DIR, DT_LNK, DT_REG, PROC_SUPER_MAGIC, S_IFDIR, S_IFLNK, S_IFREG};

use crate::error::Result;
use crate::fs::{DirEntry, FileOps, FsStats, Inode, Metadata, OpenFile, SetAttr, Timespec};
use crate::kernel::Ctx;
use crate::platform::ClockKind;
use crate::process::{Pid, Tid};
use crate::return_errno;

pub use magic::{magic_link, magic_open};
pub use pid::{PidFile, PidLink};
pub use root::{Global, MEM_TOTAL, OSRELEASE, OSTYPE, VERSION};
pub use sys::{SysDir, SysFile};

/// procfs's device number (`st_dev`): an anonymous device (`0:N`) like
/// Linux's for pseudo filesystems, from the same counter as tmpfs's, so it
/// differs from every other filesystem's.
pub fn proc_dev() -> u64 {
    static DEV: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *DEV.get_or_init(crate::fs::tmpfs::alloc_anon_dev)
}

/// Linux's `USER_HZ`: clock ticks in `/proc/<pid>/stat` and `/proc/stat`.
pub const CLK_TCK: u64 = 100;

/// The root inode of a new procfs instance, mounted at /proc by the VFS.
pub fn new_root() -> Option<Arc<dyn Inode>> {
    Some(Arc::new(ProcInode::new(Node::Root)))
}

/// What a procfs inode shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Root,
    /// `/proc/self` → `<pid>`.
    SelfLink,
    /// `/proc/thread-self` → `<pid>/task/<tid>`.
    ThreadSelfLink,
    /// `/proc/mounts` → `self/mounts`.
    MountsLink,
    Global(Global),
    SysDir(SysDir),
    Sys(SysFile),
    PidDir(Pid),
    TaskDir(Pid),
    TidDir(Pid, Tid),
    /// A file of `/proc/<pid>/` (thread `None`) or `/proc/<pid>/task/<tid>/`.
    PidFile(Pid, Option<Tid>, PidFile),
    PidLink(Pid, PidLink),
    FdDir(Pid),
    FdInfoDir(Pid),
    Fd(Pid, i32),
    FdInfo(Pid, i32),
}

/// The three kinds of procfs inodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Link,
}

/// A procfs inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInode {
    pub node: Node,
}

impl ProcInode {
    pub fn new(node: Node) -> Self {
        ProcInode { node }
    }

    fn kind(&self) -> Kind {
        match self.node {
            Node::Root
            | Node::SysDir(_)
            | Node::PidDir(_)
            | Node::TaskDir(_)
            | Node::TidDir(..)
            | Node::FdDir(_)
            | Node::FdInfoDir(_) => Kind::Dir,
            Node::SelfLink | Node::ThreadSelfLink | Node::MountsLink | Node::PidLink(..) | Node::Fd(..) => Kind::Link,
            Node::Global(_) | Node::Sys(_) | Node::PidFile(..) | Node::FdInfo(..) => Kind::File,
        }
    }

    /// The process the node belongs to, if any.
    fn pid(&self) -> Option<Pid> {
        match self.node {
            Node::PidDir(p)
            | Node::TaskDir(p)
            | Node::TidDir(p, _)
            | Node::PidFile(p, ..)
            | Node::PidLink(p, _)
            | Node::FdDir(p)
            | Node::FdInfoDir(p)
            | Node::Fd(p, _)
            | Node::FdInfo(p, _) => Some(p),
            _ => None,
        }
    }

    /// A stable inode number: fixed nodes are small numbers; per-process
    /// nodes encode (kind, pid, tid or fd).
    fn ino(&self) -> u64 {
        let per = |code: u64, pid: Pid, extra: i64| {
            (code << 48) | ((pid as u64 & 0xff_ffff) << 24) | (extra as u64 & 0xff_ffff)
        };
        match self.node {
            Node::Root => 1,
            Node::SelfLink => 2,
            Node::ThreadSelfLink => 3,
            Node::MountsLink => 4,
            Node::Global(g) => 16 + g as u64,
            Node::SysDir(d) => 64 + d as u64,
            Node::Sys(f) => 96 + f as u64,
            Node::PidDir(p) => per(1, p, 0),
            Node::TaskDir(p) => per(2, p, 0),
            Node::TidDir(p, t) => per(3, p, i64::from(t)),
            Node::FdDir(p) => per(4, p, 0),
            Node::FdInfoDir(p) => per(5, p, 0),
            Node::Fd(p, fd) => per(6, p, i64::from(fd)),
            Node::FdInfo(p, fd) => per(7, p, i64::from(fd)),
            Node::PidLink(p, l) => per(8 + l as u64, p, 0),
            Node::PidFile(p, t, f) => per(16 + f as u64, p, i64::from(t.unwrap_or(0))),
        }
    }

    fn dtype(&self) -> u8 {
        match self.kind() {
            Kind::Dir => DT_DIR,
            Kind::File => DT_REG,
            Kind::Link => DT_LNK,
        }
    }

    /// The directory this node sits in (`..`).
    fn parent(&self) -> Node {
        match self.node {
            Node::PidFile(p, Some(t), _) => Node::TidDir(p, t),
            Node::TaskDir(p)
            | Node::FdDir(p)
            | Node::FdInfoDir(p)
            | Node::PidFile(p, None, _)
            | Node::PidLink(p, _) => Node::PidDir(p),
            Node::TidDir(p, _) => Node::TaskDir(p),
            Node::Fd(p, _) => Node::FdDir(p),
            Node::FdInfo(p, _) => Node::FdInfoDir(p),
            Node::SysDir(d) => d.parent().map_or(Node::Root, Node::SysDir),
            Node::Sys(f) => Node::SysDir(f.dir()),
            _ => Node::Root,
        }
    }

    /// The children of a directory: `(readdir position, name, node)`, in
    /// position order. Positions start at 2 ("." and ".." are 0 and 1).
    fn children(&self, ctx: &mut Ctx) -> Result<Vec<(u64, Vec<u8>, Node)>> {
        match self.node {
            Node::Root => Ok(root::children(ctx)),
            Node::SysDir(d) => Ok(sys::children(d)),
            Node::PidDir(p) => pid::pid_children(ctx, p, None),
            Node::TidDir(p, t) => pid::pid_children(ctx, p, Some(t)),
            Node::TaskDir(p) => pid::task_children(ctx, p),
            Node::FdDir(p) => pid::fd_children(ctx, p, false),
            Node::FdInfoDir(p) => pid::fd_children(ctx, p, true),
            _ => return_errno!(ENOTDIR, "not a directory"),
        }
    }

    /// Whether the node still exists (its process is alive or a zombie, its
    /// fd is open).
    fn exists(&self, ctx: &Ctx) -> bool {
        match self.node {
            Node::TidDir(p, t) | Node::PidFile(p, Some(t), _) => {
                ctx.st.procs.procs.get(&p).is_some_and(|pr| pr.threads.contains(&t))
            }
            Node::Fd(p, fd) | Node::FdInfo(p, fd) => {
                ctx.st.procs.procs.get(&p).is_some_and(|pr| pr.files.entry(fd).is_ok())
            }
            _ => self.pid().is_none_or(|p| ctx.st.procs.procs.contains_key(&p)),
        }
    }

    /// The file's contents now.
    fn generate(&self, ctx: &mut Ctx) -> Result<Vec<u8>> {
        match self.node {
            Node::Global(g) => root::generate(ctx, g),
            Node::Sys(f) => sys::generate(ctx, f),
            Node::PidFile(p, t, f) => pid::generate(ctx, p, t, f),
            Node::FdInfo(p, fd) => pid::fdinfo(ctx, p, fd),
            _ => return_errno!(EISDIR, "not a regular file"),
        }
    }

    /// A write to the file (the few writable ones).
    fn write(&self, ctx: &mut Ctx, data: &[u8]) -> Result<usize> {
        match self.node {
            Node::Sys(f) => sys::write(ctx, f, data),
            Node::PidFile(p, t, f) => pid::write(ctx, p, t, f, data),
            _ => return_errno!(EINVAL, "file is not writable"),
        }
    }

    fn writable(&self) -> bool {
        match self.node {
            Node::Sys(f) => f.writable(),
            Node::PidFile(_, _, f) => f.writable(),
            _ => false,
        }
    }

    /// Permission bits (without the file type).
    fn perm(&self, ctx: &Ctx) -> u32 {
        match self.node {
            Node::FdDir(_) | Node::FdInfoDir(_) => 0o500,
            Node::Fd(p, fd) => {
                let f = ctx.st.procs.procs.get(&p).and_then(|pr| pr.files.get(fd).ok());
                let mut m = 0;
                if f.as_ref().is_some_and(|f| f.readable()) {
                    m |= 0o500;
                }
                if f.as_ref().is_some_and(|f| f.writable()) {
                    m |= 0o300;
                }
                m
            }
            Node::PidFile(_, _, f) => f.perm(),
            Node::Sys(f) => {
                if f.writable() {
                    0o644
                } else {
                    0o444
                }
            }
            _ => match self.kind() {
                Kind::Dir => 0o555,
                Kind::Link => 0o777,
                Kind::File => 0o444,
            },
        }
    }
}

/// Wall-clock time of a monotonic instant.
fn realtime_of(ctx: &Ctx, mono: u64) -> Timespec {
    let now_mono = ctx.platform().now(ClockKind::Monotonic);
    let now_real = ctx.platform().now(ClockKind::Realtime);
    Timespec::from_nanos(now_real.saturating_sub(now_mono.saturating_sub(mono)))
}

/// Whether the caller may see a process's private files (environ, fd/):
/// root, or the same effective user (Linux's ptrace access check, minus
/// ptrace).
fn may_inspect(ctx: &Ctx, pid: Pid) -> bool {
    let me = &ctx.process().creds;
    me.is_root() || ctx.st.procs.procs.get(&pid).is_some_and(|p| p.creds.euid == me.euid && p.creds.uid == me.uid)
}

impl Inode for ProcInode {
    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata> {
        if !self.exists(ctx) {
            return_errno!(ENOENT, "process or fd is gone");
        }
        let (uid, gid, time) = match self.pid().and_then(|p| ctx.st.procs.procs.get(&p)) {
            Some(p) => (p.creds.euid, p.creds.egid, p.start_time),
            None => (0, 0, ctx.st.time.boot),
        };
        let time = realtime_of(ctx, time);
        let (ftype, nlink) = match self.kind() {
            Kind::Dir => (S_IFDIR, 2),
            Kind::File => (S_IFREG, 1),
            Kind::Link => (S_IFLNK, 1),
        };
        Ok(Metadata {
            dev: proc_dev(),
            ino: self.ino(),
            mode: ftype | self.perm(ctx),
            nlink,
            uid,
            gid,
            rdev: 0,
            size: 0,
            blksize: 1024,
            blocks: 0,
            atime: time,
            mtime: time,
            ctime: time,
        })
    }

    /// Only truncation of writable files (`echo x > /proc/sys/...` opens
    /// with `O_TRUNC`) is accepted, and ignored.
    fn set_attr(&self, _ctx: &mut Ctx, attr: &SetAttr) -> Result<()> {
        let only_size = attr.mode.is_none() && attr.uid.is_none() && attr.gid.is_none();
        if self.writable() && only_size {
            return Ok(());
        }
        return_errno!(EPERM, "procfs attributes can't be changed")
    }

    fn read_at(&self, ctx: &mut Ctx, off: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.generate(ctx)?;
        Ok(copy_at(&data, off, buf))
    }

    fn write_at(&self, ctx: &mut Ctx, _off: u64, data: &[u8]) -> Result<usize> {
        self.write(ctx, data)
    }

    fn lookup(&self, ctx: &mut Ctx, name: &[u8]) -> Result<Arc<dyn Inode>> {
        if self.kind() != Kind::Dir {
            return_errno!(ENOTDIR, "not a directory");
        }
        if !self.exists(ctx) {
            return_errno!(ENOENT, "process is gone");
        }
        match name {
            b"." => return Ok(Arc::new(self.clone())),
            b".." => return Ok(Arc::new(ProcInode::new(self.parent()))),
            _ => {}
        }
        if let Some(node) = self.lookup_fast(ctx, name)? {
            return Ok(Arc::new(ProcInode::new(node)));
        }
        match self.children(ctx)?.into_iter().find(|(_, n, _)| n == name) {
            Some((_, _, node)) => Ok(Arc::new(ProcInode::new(node))),
            None => return_errno!(ENOENT, "no such procfs entry"),
        }
    }

    fn readdir(&self, ctx: &mut Ctx, cookie: u64, sink: &mut dyn FnMut(DirEntry) -> bool) -> Result<()> {
        if self.kind() != Kind::Dir {
            return_errno!(ENOTDIR, "not a directory");
        }
        if !self.exists(ctx) {
            return_errno!(ENOENT, "process is gone");
        }
        let mut all = vec![(0, b".".to_vec(), self.node), (1, b"..".to_vec(), self.parent())];
        all.extend(self.children(ctx)?);
        for (pos, name, node) in all.into_iter().filter(|(pos, ..)| *pos >= cookie) {
            let n = ProcInode::new(node);
            if !sink(DirEntry { ino: n.ino(), name, kind: n.dtype(), next: pos + 1 }) {
                break;
            }
        }
        Ok(())
    }

    fn readlink(&self, ctx: &mut Ctx) -> Result<Vec<u8>> {
        if !self.exists(ctx) {
            return_errno!(ENOENT, "process or fd is gone");
        }
        match self.node {
            Node::SelfLink => {
                let pid = ctx.pid();
                if pid == 0 {
                    return_errno!(ENOENT, "no calling process");
                }
                Ok(pid.to_string().into_bytes())
            }
            Node::ThreadSelfLink => {
                let pid = ctx.pid();
                if pid == 0 {
                    return_errno!(ENOENT, "no calling process");
                }
                Ok(format!("{}/task/{}", pid, ctx.tid).into_bytes())
            }
            Node::MountsLink => Ok(b"self/mounts".to_vec()),
            Node::PidLink(p, l) => pid::readlink(ctx, p, l),
            Node::Fd(p, fd) => pid::fd_readlink(ctx, p, fd),
            _ => return_errno!(EINVAL, "not a symlink"),
        }
    }

    fn open(&self, ctx: &mut Ctx, flags: u32) -> Result<Option<Arc<dyn FileOps>>> {
        if !self.exists(ctx) {
            return_errno!(ENOENT, "process or fd is gone");
        }
        match self.kind() {
            Kind::Dir => Ok(None),
            Kind::Link => match self.node {
                Node::Fd(p, fd) => pid::fd_open(ctx, p, fd).map(Some),
                _ => Ok(None),
            },
            Kind::File => {
                let acc = flags & wasmpod_abi::fcntl::O_ACCMODE;
                let writing = acc != wasmpod_abi::fcntl::O_RDONLY;
                if writing && !self.writable() {
                    return_errno!(EACCES, "procfs file is read-only");
                }
                self.check_open(ctx, writing)?;
                // Generated now; a write-only open has nothing to read.
                let data = if acc == wasmpod_abi::fcntl::O_WRONLY { Vec::new() } else { self.generate(ctx)? };
                Ok(Some(Arc::new(ProcFile { inode: self.clone(), data: Mutex::new(data) })))
            }
        }
    }

    fn statfs(&self, _ctx: &mut Ctx) -> Result<FsStats> {
        Ok(FsStats { fs_type: PROC_SUPER_MAGIC, block_size: 4096, name_max: 255, ..Default::default() })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ProcInode {
    /// Direct lookups that need no listing (a pid in /proc, a fd number).
    fn lookup_fast(&self, ctx: &mut Ctx, name: &[u8]) -> Result<Option<Node>> {
        let num = std::str::from_utf8(name)
            .ok()
            .filter(|s| !s.starts_with('0') || *s == "0")
            .and_then(|s| s.parse::<i32>().ok());
        Ok(match (self.node, num) {
            (Node::Root, Some(p)) if ctx.st.procs.procs.contains_key(&p) => Some(Node::PidDir(p)),
            // Thread ids are not listed but can be looked up (Linux's
            // hidden `/proc/<tid>`): the thread's directory.
            (Node::Root, Some(t)) => {
                let node = ctx.st.procs.threads.get(&t).map(|th| Node::TidDir(th.pid, t));
                node.filter(|n| ProcInode::new(*n).exists(ctx))
            }
            (Node::TaskDir(p), Some(t)) => {
                ctx.st.procs.procs.get(&p).is_some_and(|pr| pr.threads.contains(&t)).then_some(Node::TidDir(p, t))
            }
            (Node::FdDir(p), Some(fd)) | (Node::FdInfoDir(p), Some(fd)) => {
                if !may_inspect(ctx, p) {
                    return_errno!(EACCES, "fd directory of another user's process");
                }
                let open = ctx.st.procs.procs.get(&p).is_some_and(|pr| pr.files.entry(fd).is_ok());
                let node = if matches!(self.node, Node::FdDir(_)) { Node::Fd(p, fd) } else { Node::FdInfo(p, fd) };
                open.then_some(node)
            }
            _ => None,
        })
    }

    /// Open-time permission checks beyond the mode bits (which the VFS
    /// checks): environ needs ptrace-like access, sysctl writes need root,
    /// comm writes need the same user.
    fn check_open(&self, ctx: &Ctx, writing: bool) -> Result<()> {
        match self.node {
            Node::PidFile(p, _, PidFile::Environ) if !may_inspect(ctx, p) => {
                return_errno!(EACCES, "environ of another user's process")
            }
            Node::PidFile(p, _, PidFile::Comm) if writing && !may_inspect(ctx, p) => {
                return_errno!(EACCES, "comm of another user's process")
            }
            Node::Sys(_) if writing && !ctx.process().creds.is_root() => {
                return_errno!(EACCES, "sysctl writes need root")
            }
            _ => Ok(()),
        }
    }
}

/// Copies `data[off..]` into `buf`.
fn copy_at(data: &[u8], off: u64, buf: &mut [u8]) -> usize {
    let start = usize::try_from(off).unwrap_or(usize::MAX).min(data.len());
    let n = buf.len().min(data.len() - start);
    buf[..n].copy_from_slice(&data[start..start + n]);
    n
}

/// An open procfs file: the contents generated at open (Linux's
/// `seq_file`), read at the description's offset.
pub struct ProcFile {
    inode: ProcInode,
    data: Mutex<Vec<u8>>,
}

impl FileOps for ProcFile {
    fn read(&self, _ctx: &mut Ctx, file: &OpenFile, buf: &mut [u8]) -> Result<usize> {
        let pos = file.pos();
        let n = copy_at(&self.data.lock(), pos, buf);
        file.set_pos(pos + n as u64);
        Ok(n)
    }

    fn read_at(&self, _ctx: &mut Ctx, _file: &OpenFile, off: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(copy_at(&self.data.lock(), off, buf))
    }

    fn write(&self, ctx: &mut Ctx, file: &OpenFile, buf: &[u8]) -> Result<usize> {
        let n = self.inode.write(ctx, buf)?;
        file.set_pos(file.pos() + n as u64);
        Ok(n)
    }

    fn write_at(&self, ctx: &mut Ctx, _file: &OpenFile, _off: u64, buf: &[u8]) -> Result<usize> {
        self.inode.write(ctx, buf)
    }

    fn seekable(&self) -> bool {
        true
    }

    fn metadata(&self, ctx: &mut Ctx) -> Result<Metadata> {
        self.inode.metadata(ctx)
    }

    fn inode(&self) -> Option<Arc<dyn Inode>> {
        Some(Arc::new(self.inode.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::sync::Arc;

    use super::*;
    use crate::testing::Proc;

    /// Walks `path` (relative to /proc, no symlink following) from a fresh root.
    pub fn walk(p: &Proc, path: &str) -> Result<Arc<dyn Inode>> {
        let mut mem = p.mem.clone();
        p.kernel.with_ctx(p.tid, &mut mem, |ctx| {
            let mut node: Arc<dyn Inode> = new_root().expect("procfs root");
            for c in path.split('/').filter(|c| !c.is_empty()) {
                node = node.lookup(ctx, c.as_bytes())?;
            }
            Ok(node)
        })
    }

    /// Runs `f` with a context for `p`.
    pub fn with<R>(p: &Proc, f: impl FnOnce(&mut Ctx) -> R) -> R {
        let mut mem = p.mem.clone();
        p.kernel.with_ctx(p.tid, &mut mem, f)
    }

    /// Opens and reads a procfs file to the end, as `p`.
    pub fn read(p: &Proc, path: &str) -> Result<Vec<u8>> {
        let inode = walk(p, path)?;
        with(p, |ctx| {
            let ops = inode.open(ctx, 0)?.expect("procfs files have their own ops");
            let file = OpenFile::new(ops, 0);
            let mut out = Vec::new();
            let mut buf = [0u8; 100];
            loop {
                let n = file.ops.read(ctx, &file, &mut buf)?;
                if n == 0 {
                    return Ok(out);
                }
                out.extend_from_slice(&buf[..n]);
            }
        })
    }

    pub fn read_str(p: &Proc, path: &str) -> String {
        String::from_utf8(read(p, path).unwrap_or_else(|e| panic!("{path}: {e:?}"))).expect("utf-8")
    }

    pub fn readlink(p: &Proc, path: &str) -> Result<String> {
        let inode = walk(p, path)?;
        with(p, |ctx| inode.readlink(ctx)).map(|v| String::from_utf8(v).expect("utf-8"))
    }

    pub fn list(p: &Proc, path: &str) -> Result<Vec<String>> {
        let inode = walk(p, path)?;
        with(p, |ctx| {
            let mut names = Vec::new();
            inode.readdir(ctx, 0, &mut |e| {
                names.push(String::from_utf8(e.name).expect("utf-8"));
                true
            })?;
            Ok(names)
        })
    }

    pub fn stat(p: &Proc, path: &str) -> Result<Metadata> {
        let inode = walk(p, path)?;
        with(p, |ctx| inode.metadata(ctx))
    }
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::Errno;

    use super::test_util::*;
    use super::*;
    use crate::testing::Harness;

    #[test]
    fn self_links_to_the_callers_pid() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process(None);
        assert_eq!(readlink(&a, "self").unwrap(), a.pid.to_string());
        assert_eq!(readlink(&b, "self").unwrap(), b.pid.to_string());
        assert_eq!(readlink(&a, "thread-self").unwrap(), format!("{}/task/{}", a.pid, a.pid));
        assert_eq!(stat(&a, "self").unwrap().mode & wasmpod_abi::fs::S_IFMT, S_IFLNK);
    }

    #[test]
    fn readdir_of_proc_lists_fixed_entries_and_pids_ascending() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process(Some(&a));
        let names = list(&a, "").unwrap();
        for want in [".", "..", "self", "thread-self", "meminfo", "uptime", "sys", "mounts"] {
            assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        }
        let pids: Vec<i32> = names.iter().filter_map(|n| n.parse().ok()).collect();
        assert_eq!(pids, vec![a.pid, b.pid]);
        // Pids come after the fixed entries.
        let first_pid = names.iter().position(|n| n.parse::<i32>().is_ok()).unwrap();
        assert!(names[first_pid..].iter().all(|n| n.parse::<i32>().is_ok()));
    }

    #[test]
    fn readdir_resumes_from_a_cookie() {
        let h = Harness::new();
        let a = h.process(None);
        let root = walk(&a, "").unwrap();
        let (first, rest) = with(&a, |ctx| {
            let mut first = Vec::new();
            root.readdir(ctx, 0, &mut |e| {
                first.push(e);
                first.len() < 3
            })
            .unwrap();
            let mut rest = Vec::new();
            root.readdir(ctx, first[2].next, &mut |e| {
                rest.push(e.name);
                true
            })
            .unwrap();
            (first, rest)
        });
        let all = list(&a, "").unwrap();
        assert_eq!(first.len(), 3);
        assert_eq!(rest.len(), all.len() - 3);
        assert_eq!(String::from_utf8(rest[0].clone()).unwrap(), all[3]);
    }

    #[test]
    fn unknown_names_and_dead_pids_are_enoent() {
        let h = Harness::new();
        let a = h.process(None);
        assert_eq!(walk(&a, "nonesuch").err().unwrap().errno(), Errno::ENOENT);
        assert_eq!(walk(&a, "9999").err().unwrap().errno(), Errno::ENOENT);
        assert_eq!(walk(&a, &format!("0{}", a.pid)).err().unwrap().errno(), Errno::ENOENT);
    }

    #[test]
    fn statfs_says_proc_super_magic_and_st_dev_is_procs() {
        let h = Harness::new();
        let a = h.process(None);
        let root = walk(&a, "").unwrap();
        let s = with(&a, |ctx| root.statfs(ctx)).unwrap();
        assert_eq!(s.fs_type, PROC_SUPER_MAGIC);
        let m = stat(&a, "").unwrap();
        assert_eq!(m.dev, proc_dev());
        assert_eq!(m.mode, S_IFDIR | 0o555);
        assert_eq!((m.uid, m.gid), (0, 0));
    }

    #[test]
    fn pid_directories_are_owned_by_the_process_user() {
        let h = Harness::new();
        let a = h.process(None);
        let m = stat(&a, &a.pid.to_string()).unwrap();
        assert_eq!(m.mode, S_IFDIR | 0o555);
        assert_eq!((m.uid, m.gid), (1000, 1000));
        let f = stat(&a, &format!("{}/stat", a.pid)).unwrap();
        assert_eq!(f.mode, S_IFREG | 0o444);
        assert_eq!(f.dev, proc_dev());
        assert_ne!(f.ino, m.ino);
        let e = stat(&a, &format!("{}/environ", a.pid)).unwrap();
        assert_eq!(e.mode, S_IFREG | 0o400);
    }

    #[test]
    fn dot_and_dotdot_resolve_inside_procfs() {
        let h = Harness::new();
        let a = h.process(None);
        let pid = a.pid.to_string();
        let up = walk(&a, &format!("{pid}/fd/..")).unwrap();
        assert_eq!(up.as_any().downcast_ref::<ProcInode>().unwrap().node, Node::PidDir(a.pid));
        let root = walk(&a, &format!("{pid}/..")).unwrap();
        assert_eq!(root.as_any().downcast_ref::<ProcInode>().unwrap().node, Node::Root);
    }

    #[test]
    fn reads_serve_offsets_from_the_snapshot_taken_at_open() {
        let h = Harness::new();
        let a = h.process(None);
        let inode = walk(&a, "sys/kernel/hostname").unwrap();
        with(&a, |ctx| {
            let ops = inode.open(ctx, 0).unwrap().unwrap();
            let file = OpenFile::new(ops, 0);
            let mut b = [0u8; 3];
            assert_eq!(file.ops.read(ctx, &file, &mut b).unwrap(), 3);
            assert_eq!(&b, b"was");
            ctx.st.sys.hostname = b"changed".to_vec();
            let mut rest = [0u8; 10];
            let n = file.ops.read(ctx, &file, &mut rest).unwrap();
            assert_eq!(&rest[..n], b"mpod\n");
            assert_eq!(file.ops.read_at(ctx, &file, 0, &mut rest).unwrap(), 8);
        });
    }
}
