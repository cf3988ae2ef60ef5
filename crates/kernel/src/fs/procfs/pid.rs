//! `/proc/<pid>/` and `/proc/<pid>/task/<tid>/`: per-process files, links
//! and the fd directories.
//!
//! `fd/<n>` is a "magic link": `readlink` gives the file's path (or
//! `FileOps::describe()`, e.g. `pipe:[7]`, for files without one); opening
//! it goes through `magic.rs`. [`fd_open`] (`Inode::open` on the link
//! itself) returns the open file's own `FileOps` for callers that open the
//! link inode directly.

use wasmpod_abi::fcntl::O_CLOEXEC;
use wasmpod_abi::misc::RLIM_INFINITY;
use wasmpod_abi::signal::{sigbit, SIG_DFL, SIG_IGN};

use super::{may_inspect, Node, CLK_TCK};
use crate::error::Result;
use crate::fs::FileOps;
use crate::kernel::{Ctx, State};
use crate::mm::MemoryMap;
use crate::process::{Pid, ProcState, Process, Tid};
use crate::{errno, return_errno};

use std::sync::Arc;

/// Files in a process (or thread) directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidFile {
    Stat,
    Status,
    Statm,
    Cmdline,
    Environ,
    Comm,
    Maps,
    Limits,
    Mounts,
    Mountinfo,
}

impl PidFile {
    pub(super) fn perm(self) -> u32 {
        match self {
            PidFile::Environ => 0o400,
            PidFile::Comm => 0o644,
            _ => 0o444,
        }
    }

    pub(super) fn writable(self) -> bool {
        self == PidFile::Comm
    }
}

/// Links in a process directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidLink {
    Cwd,
    Exe,
    Root,
}

fn process(st: &State, pid: Pid) -> Result<&Process> {
    st.procs.procs.get(&pid).ok_or(errno!(ESRCH, "process is gone"))
}

/// The memory map a process runs on (a vfork child's is its parent's).
fn mm_of(st: &State, pid: Pid) -> Option<&MemoryMap> {
    let owner = crate::mm::mm_owner(st, pid);
    let owner = if owner == 0 { pid } else { owner };
    st.procs.procs.get(&owner).map(|p| &p.mm)
}

pub(super) fn pid_children(ctx: &Ctx, pid: Pid, tid: Option<Tid>) -> Result<Vec<(u64, Vec<u8>, Node)>> {
    process(&ctx.st, pid)?;
    let files: &[(&str, PidFile)] = &[
        ("cmdline", PidFile::Cmdline),
        ("comm", PidFile::Comm),
        ("environ", PidFile::Environ),
        ("limits", PidFile::Limits),
        ("maps", PidFile::Maps),
        ("mountinfo", PidFile::Mountinfo),
        ("mounts", PidFile::Mounts),
        ("stat", PidFile::Stat),
        ("statm", PidFile::Statm),
        ("status", PidFile::Status),
    ];
    let mut v: Vec<(&str, Node)> = Vec::new();
    if tid.is_none() {
        v.extend([
            ("cwd", Node::PidLink(pid, PidLink::Cwd)),
            ("exe", Node::PidLink(pid, PidLink::Exe)),
            ("fd", Node::FdDir(pid)),
            ("fdinfo", Node::FdInfoDir(pid)),
            ("root", Node::PidLink(pid, PidLink::Root)),
            ("task", Node::TaskDir(pid)),
        ]);
    }
    v.extend(files.iter().map(|(n, f)| (*n, Node::PidFile(pid, tid, *f))));
    v.sort_by_key(|(n, _)| *n);
    Ok(v.into_iter().enumerate().map(|(i, (n, node))| (2 + i as u64, n.as_bytes().to_vec(), node)).collect())
}

pub(super) fn task_children(ctx: &Ctx, pid: Pid) -> Result<Vec<(u64, Vec<u8>, Node)>> {
    let p = process(&ctx.st, pid)?;
    let mut tids = p.threads.clone();
    tids.sort_unstable();
    Ok(tids.into_iter().map(|t| (2 + t as u64, t.to_string().into_bytes(), Node::TidDir(pid, t))).collect())
}

pub(super) fn fd_children(ctx: &Ctx, pid: Pid, info: bool) -> Result<Vec<(u64, Vec<u8>, Node)>> {
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "fd directory of another user's process");
    }
    let p = process(&ctx.st, pid)?;
    Ok(p.files
        .iter()
        .map(|(fd, _)| {
            let node = if info { Node::FdInfo(pid, fd) } else { Node::Fd(pid, fd) };
            (2 + fd as u64, fd.to_string().into_bytes(), node)
        })
        .collect())
}

/// `comm`: set by prctl(PR_SET_NAME), else the program's file name
/// (truncated to 15 bytes, as exec sets it).
fn comm_of(p: &Process) -> Vec<u8> {
    if !p.comm.is_empty() {
        return p.comm.clone();
    }
    let from: &[u8] = if !p.exe.is_empty() { p.exe.as_bytes() } else { p.argv.first().map_or(&[], |a| a.as_slice()) };
    let base = from.rsplit(|&c| c == b'/').next().unwrap_or_default();
    base[..base.len().min(15)].to_vec()
}

/// `(state letter, status word)` as in `/proc/<pid>/stat` and `status`.
fn state_of(st: &State, p: &Process, tid: Option<Tid>) -> (char, &'static str) {
    if matches!(p.state, ProcState::Zombie { .. }) {
        return ('Z', "zombie");
    }
    if p.job.stopped {
        return ('T', "stopped");
    }
    let threads: Vec<Tid> = match tid {
        Some(t) => vec![t],
        None => p.threads.clone(),
    };
    let live: Vec<_> = threads.iter().filter_map(|t| st.procs.threads.get(t)).filter(|t| !t.exited).collect();
    if !live.is_empty() && live.iter().all(|t| t.sleeping) {
        ('S', "sleeping")
    } else {
        ('R', "running")
    }
}

/// Signal masks of a process (or one thread): pending (thread),
/// pending (shared), blocked, ignored, caught.
fn sigmasks(st: &State, p: &Process, tid: Option<Tid>) -> (u64, u64, u64, u64, u64) {
    let t =
        st.procs.threads.get(&tid.unwrap_or(p.pid)).or_else(|| p.threads.first().and_then(|t| st.procs.threads.get(t)));
    let (pnd, blk) = t.map_or((0, 0), |t| (t.signals.pending.bits, t.signals.mask));
    let (mut ign, mut cgt) = (0, 0);
    for (sig, act) in p.signals.actions.iter().enumerate().skip(1) {
        match act.handler {
            SIG_DFL => {}
            SIG_IGN => ign |= sigbit(sig as u32),
            _ => cgt |= sigbit(sig as u32),
        }
    }
    (pnd, p.signals.pending.bits, blk, ign, cgt)
}

fn is_zombie(p: &Process) -> bool {
    matches!(p.state, ProcState::Zombie { .. })
}

pub(super) fn generate(ctx: &mut Ctx, pid: Pid, tid: Option<Tid>, f: PidFile) -> Result<Vec<u8>> {
    if matches!(f, PidFile::Mounts | PidFile::Mountinfo) {
        process(&ctx.st, pid)?;
        return Ok(mounts_text(ctx, f == PidFile::Mountinfo).into_bytes());
    }
    let st = &*ctx.st;
    let p = process(st, pid)?;
    Ok(match f {
        PidFile::Stat => stat(ctx, p, tid).into_bytes(),
        PidFile::Status => status(st, p, tid).into_bytes(),
        PidFile::Statm => {
            let pg = crate::mm::PAGE;
            match mm_of(st, pid).filter(|_| !is_zombie(p)) {
                Some(mm) => format!(
                    "{} {} 0 0 0 {} 0\n",
                    mm.vm_size() / pg,
                    mm.vm_rss() / pg,
                    (mm.brk().saturating_sub(mm.start_brk()) + mm.mapped_bytes()) / pg
                )
                .into_bytes(),
                None => b"0 0 0 0 0 0 0\n".to_vec(),
            }
        }
        PidFile::Cmdline if is_zombie(p) => Vec::new(),
        PidFile::Cmdline => nul_joined(&p.argv),
        PidFile::Environ => nul_joined(&p.envp),
        PidFile::Comm => {
            let mut c = comm_of(p);
            c.push(b'\n');
            c
        }
        PidFile::Maps => {
            mm_of(st, pid).filter(|_| !is_zombie(p)).map(|m| m.maps_text()).unwrap_or_default().into_bytes()
        }
        PidFile::Limits => limits(p).into_bytes(),
        PidFile::Mounts | PidFile::Mountinfo => Vec::new(),
    })
}

fn nul_joined(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in items {
        out.extend_from_slice(a);
        out.push(0);
    }
    out
}

/// `/proc/<pid>/stat`: the 52 fields of proc(5), in order. Unknown values
/// (fault counts, CPU times, scheduling) are 0; code and stack addresses
/// (meaningless for wasm, whose code is outside the linear memory) are 1,
/// what Linux shows a reader without ptrace access.
fn stat(ctx: &Ctx, p: &Process, tid: Option<Tid>) -> String {
    let st = &*ctx.st;
    let (state, _) = state_of(st, p, tid);
    let zombie = is_zombie(p);
    let mm = mm_of(st, p.pid).filter(|_| !zombie);
    let (_, shpnd, blk, ign, cgt) = sigmasks(st, p, tid);
    let tpnd = st.procs.threads.get(&tid.unwrap_or(p.pid)).map_or(0, |t| t.signals.pending.bits);
    let start_ticks = p.start_time.saturating_sub(st.time.boot) / (1_000_000_000 / CLK_TCK);
    let rsslim = p.rlimits[wasmpod_abi::misc::RLIMIT_RSS as usize].cur;
    let exit_code = match p.state {
        ProcState::Zombie { status } => status,
        ProcState::Running => 0,
    };
    let has_mm = u64::from(mm.is_some());
    let (tty_nr, tpgid) = crate::tty::proc_stat_tty(st, p.pid);
    let f: Vec<String> = vec![
        tid.unwrap_or(p.pid).to_string(),                           // 1 pid
        format!("({})", String::from_utf8_lossy(&comm_of(p))),      // 2 comm
        state.to_string(),                                          // 3 state
        p.ppid.to_string(),                                         // 4 ppid
        p.pgid.to_string(),                                         // 5 pgrp
        p.sid.to_string(),                                          // 6 session
        tty_nr.to_string(),                                         // 7 tty_nr
        tpgid.to_string(),                                          // 8 tpgid
        "4194304".into(),                                           // 9 flags (PF_RANDOMIZE)
        "0".into(),                                                 // 10 minflt
        "0".into(),                                                 // 11 cminflt
        "0".into(),                                                 // 12 majflt
        "0".into(),                                                 // 13 cmajflt
        "0".into(),                                                 // 14 utime
        "0".into(),                                                 // 15 stime
        "0".into(),                                                 // 16 cutime
        "0".into(),                                                 // 17 cstime
        (20 + p.misc.nice).to_string(),                             // 18 priority
        p.misc.nice.to_string(),                                    // 19 nice
        p.threads.len().to_string(),                                // 20 num_threads
        "0".into(),                                                 // 21 itrealvalue
        start_ticks.to_string(),                                    // 22 starttime
        mm.map_or(0, |m| m.vm_size()).to_string(),                  // 23 vsize
        mm.map_or(0, |m| m.vm_rss() / crate::mm::PAGE).to_string(), // 24 rss
        (if rsslim == RLIM_INFINITY { u64::from(u32::MAX) } else { rsslim }).to_string(), // 25 rsslim
        has_mm.to_string(),                                         // 26 startcode
        has_mm.to_string(),                                         // 27 endcode
        has_mm.to_string(),                                         // 28 startstack
        "0".into(),                                                 // 29 kstkesp
        "0".into(),                                                 // 30 kstkeip
        ((tpnd | shpnd) & 0xffff_ffff).to_string(),                 // 31 signal
        (blk & 0xffff_ffff).to_string(),                            // 32 blocked
        (ign & 0xffff_ffff).to_string(),                            // 33 sigignore
        (cgt & 0xffff_ffff).to_string(),                            // 34 sigcatch
        "0".into(),                                                 // 35 wchan
        "0".into(),                                                 // 36 nswap
        "0".into(),                                                 // 37 cnswap
        wasmpod_abi::signal::SIGCHLD.to_string(),                   // 38 exit_signal
        "0".into(),                                                 // 39 processor
        "0".into(),                                                 // 40 rt_priority
        "0".into(),                                                 // 41 policy
        "0".into(),                                                 // 42 delayacct_blkio_ticks
        "0".into(),                                                 // 43 guest_time
        "0".into(),                                                 // 44 cguest_time
        "0".into(),                                                 // 45 start_data
        mm.map_or(0, |m| m.start_brk()).to_string(),                // 46 end_data
        mm.map_or(0, |m| m.start_brk()).to_string(),                // 47 start_brk
        "0".into(),                                                 // 48 arg_start
        "0".into(),                                                 // 49 arg_end
        "0".into(),                                                 // 50 env_start
        "0".into(),                                                 // 51 env_end
        exit_code.to_string(),                                      // 52 exit_code
    ];
    let mut s = f.join(" ");
    s.push('\n');
    s
}

/// `/proc/<pid>/status` in Linux 6.1's order (capability, seccomp and
/// cpuset lines included with fixed values).
fn status(st: &State, p: &Process, tid: Option<Tid>) -> String {
    use std::fmt::Write;
    let (state, word) = state_of(st, p, tid);
    let c = &p.creds;
    let (pnd, shpnd, blk, ign, cgt) = sigmasks(st, p, tid);
    let fd_size = p.files.end().max(64).next_power_of_two();
    let queued = p.signals.pending.queue.len()
        + p.threads
            .iter()
            .filter_map(|t| st.procs.threads.get(t))
            .map(|t| t.signals.pending.queue.len())
            .sum::<usize>();
    let sigq_max = p.rlimits[wasmpod_abi::misc::RLIMIT_SIGPENDING as usize].cur;
    let id = tid.unwrap_or(p.pid);
    let mut s = String::new();
    let _ = writeln!(s, "Name:\t{}", String::from_utf8_lossy(&comm_of(p)));
    let _ = writeln!(s, "Umask:\t{:04o}", p.umask);
    let _ = writeln!(s, "State:\t{state} ({word})");
    let _ = writeln!(s, "Tgid:\t{}", p.pid);
    let _ = writeln!(s, "Ngid:\t0");
    let _ = writeln!(s, "Pid:\t{id}");
    let _ = writeln!(s, "PPid:\t{}", p.ppid);
    let _ = writeln!(s, "TracerPid:\t0");
    let _ = writeln!(s, "Uid:\t{}\t{}\t{}\t{}", c.uid, c.euid, c.suid, c.fsuid);
    let _ = writeln!(s, "Gid:\t{}\t{}\t{}\t{}", c.gid, c.egid, c.sgid, c.fsgid);
    let _ = writeln!(s, "FDSize:\t{fd_size}");
    let groups: Vec<String> = c.groups.iter().map(|g| g.to_string()).collect();
    let _ = writeln!(s, "Groups:\t{}", groups.join(" "));
    let _ = writeln!(s, "NStgid:\t{}", p.pid);
    let _ = writeln!(s, "NSpid:\t{id}");
    let _ = writeln!(s, "NSpgid:\t{}", p.pgid);
    let _ = writeln!(s, "NSsid:\t{}", p.sid);
    if let Some(mm) = mm_of(st, p.pid).filter(|_| !is_zombie(p)) {
        let kb = |b: u64| b >> 10;
        let data = mm.brk().saturating_sub(mm.start_brk()) + mm.mapped_bytes();
        for (k, v) in [
            ("VmPeak", kb(mm.vm_peak())),
            ("VmSize", kb(mm.vm_size())),
            ("VmLck", kb(mm.locked_bytes())),
            ("VmPin", 0),
            ("VmHWM", kb(mm.vm_rss())),
            ("VmRSS", kb(mm.vm_rss())),
            ("RssAnon", kb(mm.vm_rss())),
            ("RssFile", 0),
            ("RssShmem", 0),
            ("VmData", kb(data)),
            ("VmStk", 0),
            ("VmExe", kb(mm.start_brk())),
            ("VmLib", 0),
            ("VmPTE", 0),
            ("VmSwap", 0),
        ] {
            let _ = writeln!(s, "{k}:\t{v:>8} kB");
        }
    }
    let _ = writeln!(s, "Threads:\t{}", p.threads.len());
    let _ = writeln!(s, "SigQ:\t{}/{}", queued, sigq_max);
    let _ = writeln!(s, "SigPnd:\t{pnd:016x}");
    let _ = writeln!(s, "ShdPnd:\t{shpnd:016x}");
    let _ = writeln!(s, "SigBlk:\t{blk:016x}");
    let _ = writeln!(s, "SigIgn:\t{ign:016x}");
    let _ = writeln!(s, "SigCgt:\t{cgt:016x}");
    let caps = if c.euid == 0 { "000001ffffffffff" } else { "0000000000000000" };
    let _ = writeln!(s, "CapInh:\t0000000000000000");
    let _ = writeln!(s, "CapPrm:\t{caps}");
    let _ = writeln!(s, "CapEff:\t{caps}");
    let _ = writeln!(s, "CapBnd:\t000001ffffffffff");
    let _ = writeln!(s, "CapAmb:\t0000000000000000");
    let _ = writeln!(s, "NoNewPrivs:\t{}", u8::from(p.misc.no_new_privs));
    let _ = writeln!(s, "Seccomp:\t0");
    let _ = writeln!(s, "Seccomp_filters:\t0");
    let _ = writeln!(s, "Cpus_allowed:\t1");
    let _ = writeln!(s, "Cpus_allowed_list:\t0");
    let _ = writeln!(s, "Mems_allowed:\t1");
    let _ = writeln!(s, "Mems_allowed_list:\t0");
    let _ = writeln!(s, "voluntary_ctxt_switches:\t0");
    let _ = writeln!(s, "nonvoluntary_ctxt_switches:\t0");
    s
}

/// `/proc/<pid>/limits` in Linux's table format.
fn limits(p: &Process) -> String {
    const NAMES: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let show = |v: u64| if v == RLIM_INFINITY { "unlimited".to_string() } else { v.to_string() };
    let mut s = format!("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (i, (name, unit)) in NAMES.iter().enumerate() {
        let r = p.rlimits[i];
        s.push_str(&format!("{:<25} {:<20} {:<20} {:<10}\n", name, show(r.cur), show(r.max), unit));
    }
    s
}

/// `/proc/<pid>/mounts` (`mountinfo` when `info`): the VFS's mount table,
/// in mount order, in Linux's formats (fstab(5) lines; proc(5)'s
/// mountinfo fields with the optional-fields list empty).
fn mounts_text(ctx: &mut Ctx, info: bool) -> String {
    let mut s = String::new();
    for m in ctx.st.fs.mount_list() {
        let path = String::from_utf8_lossy(&m.path).into_owned();
        if info {
            let root = ctx.st.fs.mounts.get(m.id).map(|mt| mt.root.clone());
            let dev = root.and_then(|r| r.metadata(ctx).ok()).map_or(0, |md| md.dev);
            let (ma, mi) = (crate::fs::devices::major(dev), crate::fs::devices::minor(dev));
            s.push_str(&format!(
                "{} {} {}:{} / {} {} - {} {} {}\n",
                m.id, m.parent, ma, mi, path, m.options, m.fs_type, m.source, m.options
            ));
        } else {
            s.push_str(&format!("{} {} {} {} 0 0\n", m.source, path, m.fs_type, m.options));
        }
    }
    s
}

pub(super) fn write(ctx: &mut Ctx, pid: Pid, _tid: Option<Tid>, f: PidFile, data: &[u8]) -> Result<usize> {
    if f != PidFile::Comm {
        return_errno!(EINVAL, "file is not writable");
    }
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "comm of another user's process");
    }
    let name = data.split(|&c| c == b'\n').next().unwrap_or_default();
    let p = ctx.st.procs.procs.get_mut(&pid).ok_or(errno!(ESRCH, "process is gone"))?;
    p.comm = name[..name.len().min(15)].to_vec();
    Ok(data.len())
}

pub(super) fn readlink(ctx: &mut Ctx, pid: Pid, l: PidLink) -> Result<Vec<u8>> {
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "link of another user's process");
    }
    let p = process(&ctx.st, pid)?;
    match l {
        PidLink::Exe if p.exe.is_empty() || is_zombie(p) => return_errno!(ENOENT, "process has no program"),
        PidLink::Exe => Ok(p.exe.as_bytes().to_vec()),
        PidLink::Cwd | PidLink::Root => {
            let loc =
                if l == PidLink::Cwd { p.fs.cwd.clone().or_else(|| p.fs.root.clone()) } else { p.fs.root.clone() };
            match loc {
                Some(loc) => crate::fs::cwd::location_path(ctx, &loc),
                None => Ok(b"/".to_vec()),
            }
        }
    }
}

pub(super) fn fd_readlink(ctx: &mut Ctx, pid: Pid, fd: i32) -> Result<Vec<u8>> {
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "fd of another user's process");
    }
    let file = process(&ctx.st, pid)?.files.get(fd).map_err(|_| errno!(ENOENT, "fd was closed"))?;
    if file.path.is_empty() {
        Ok(file.ops.describe().into_bytes())
    } else {
        Ok(file.path.clone())
    }
}

/// The open file behind `/proc/<pid>/fd/<n>`.
pub(super) fn fd_file(ctx: &Ctx, pid: Pid, fd: i32) -> Result<Arc<crate::fs::OpenFile>> {
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "fd of another user's process");
    }
    process(&ctx.st, pid)?.files.get(fd).map_err(|_| errno!(ENOENT, "fd was closed"))
}

/// Opening `/proc/<pid>/fd/<n>`: the same file's ops, for a new description.
pub(super) fn fd_open(ctx: &mut Ctx, pid: Pid, fd: i32) -> Result<Arc<dyn FileOps>> {
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "fd of another user's process");
    }
    let file = process(&ctx.st, pid)?.files.get(fd).map_err(|_| errno!(ENOENT, "fd was closed"))?;
    Ok(file.ops.clone())
}

/// `/proc/<pid>/fdinfo/<n>`.
pub(super) fn fdinfo(ctx: &mut Ctx, pid: Pid, fd: i32) -> Result<Vec<u8>> {
    if !may_inspect(ctx, pid) {
        return_errno!(EACCES, "fd of another user's process");
    }
    let entry = process(&ctx.st, pid)?.files.entry(fd).map_err(|_| errno!(ENOENT, "fd was closed"))?.clone();
    let file = entry.file;
    let flags = file.flags() | if entry.cloexec { O_CLOEXEC } else { 0 };
    let ino = file.ops.metadata(ctx).map_or(0, |m| m.ino);
    let mnt = super::magic::location_of_file(&file).map_or(0, |l| l.mount);
    Ok(format!("pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n", file.pos(), flags, mnt, ino).into_bytes())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wasmpod_abi::fcntl::{O_CLOEXEC, O_RDONLY, O_RDWR, O_WRONLY};
    use wasmpod_abi::signal::{sigbit, SIGINT, SIGTERM, SIGUSR1};
    use wasmpod_abi::Errno;

    use super::super::test_util::*;
    use crate::fs::{FileOps, Metadata, OpenFile};
    use crate::kernel::Ctx;
    use crate::process::{Credentials, ProcState};
    use crate::testing::{Harness, Proc};

    fn set(p: &Proc, f: impl FnOnce(&mut crate::process::Process)) {
        let pid = p.pid;
        p.kernel.with_state(|st| f(st.procs.procs.get_mut(&pid).unwrap()));
    }

    /// A pipe-like anonymous file.
    struct Anon;
    impl FileOps for Anon {
        fn metadata(&self, _ctx: &mut Ctx) -> crate::Result<Metadata> {
            Ok(Metadata { ino: 123, mode: wasmpod_abi::fs::S_IFIFO | 0o600, ..Default::default() })
        }
        fn describe(&self) -> String {
            "pipe:[123]".into()
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    fn install(p: &Proc, ops: Arc<dyn FileOps>, flags: u32, path: &[u8], cloexec: bool) -> i32 {
        let of = OpenFile::with_path(ops, flags, path.to_vec());
        let pid = p.pid;
        p.kernel.with_state(|st| st.procs.procs.get_mut(&pid).unwrap().files.alloc(of, cloexec, 0, 1024).unwrap())
    }

    /// The fields after `(comm)`, numbered from 3.
    fn stat_fields(text: &str) -> (String, Vec<String>) {
        let open = text.find('(').unwrap();
        let close = text.rfind(')').unwrap();
        let comm = text[open + 1..close].to_string();
        let mut v: Vec<String> = vec![text[..open].trim().to_string(), comm.clone()];
        v.extend(text[close + 1..].split_whitespace().map(String::from));
        (comm, v)
    }

    #[test]
    fn stat_has_52_fields_in_linux_order() {
        let h = Harness::new();
        let parent = h.process(None);
        h.advance_ns(2_500_000_000);
        let p = h.process(Some(&parent));
        set(&p, |pr| pr.comm = b"my prog) x".to_vec());
        let text = read_str(&p, &format!("{}/stat", p.pid));
        assert!(text.ends_with('\n'));
        let (comm, f) = stat_fields(&text);
        assert_eq!(f.len(), 52, "{text}");
        assert_eq!(comm, "my prog) x");
        assert_eq!(f[0], p.pid.to_string());
        assert_eq!(f[2], "R");
        assert_eq!(f[3], parent.pid.to_string());
        assert_eq!(f[4], parent.pid.to_string(), "pgrp inherited");
        assert_eq!(f[5], parent.pid.to_string(), "session inherited");
        assert_eq!(f[19], "1", "num_threads");
        assert_eq!(f[21], "250", "starttime in clock ticks after boot");
        assert_eq!(f[37], "17", "exit_signal SIGCHLD");
        assert_eq!((f[17].as_str(), f[18].as_str()), ("20", "0"), "priority and nice");
        set(&p, |pr| pr.misc.nice = 5);
        let f = stat_fields(&read_str(&p, &format!("{}/stat", p.pid))).1;
        assert_eq!((f[17].as_str(), f[18].as_str()), ("25", "5"), "priority follows nice");
    }

    #[test]
    fn stat_shows_sleeping_stopped_and_zombie_states() {
        let h = Harness::new();
        let p = h.process(None);
        let path = format!("{}/stat", p.pid);
        let state = |p: &Proc| stat_fields(&read_str(p, &path)).1[2].clone();
        let pid = p.pid;
        h.kernel.with_state(|st| st.procs.threads.get_mut(&pid).unwrap().sleeping = true);
        assert_eq!(state(&p), "S");
        set(&p, |pr| pr.job.stopped = true);
        assert_eq!(state(&p), "T");
        set(&p, |pr| pr.state = ProcState::Zombie { status: 3 << 8 });
        let f = stat_fields(&read_str(&p, &path)).1;
        assert_eq!(f[2], "Z");
        assert_eq!(f[22], "0", "a zombie has no memory");
        assert_eq!(f[51], (3 << 8).to_string(), "exit_code");
    }

    #[test]
    fn stat_reports_memory_and_signal_masks() {
        let h = Harness::new();
        let p = h.process(None);
        crate::mm::test_util::mmap_anon(&p, 1 << 20);
        set(&p, |pr| pr.signals.actions[SIGINT as usize].handler = wasmpod_abi::signal::SIG_IGN);
        let f = stat_fields(&read_str(&p, &format!("{}/stat", p.pid))).1;
        let vsize: u64 = f[22].parse().unwrap();
        assert!(vsize >= (4 << 20) + (1 << 20), "{vsize}");
        assert_eq!(f[32], sigbit(SIGINT).to_string(), "sigignore");
    }

    #[test]
    fn status_has_linux_fields() {
        let h = Harness::new();
        let parent = h.process(None);
        let p = h.process(Some(&parent));
        set(&p, |pr| {
            pr.comm = b"worker".to_vec();
            pr.creds.groups = vec![4, 24];
            pr.signals.actions[SIGTERM as usize].handler = 42;
            pr.signals.actions[SIGINT as usize].handler = wasmpod_abi::signal::SIG_IGN;
        });
        let pid = p.pid;
        h.kernel.with_state(|st| st.procs.threads.get_mut(&pid).unwrap().signals.mask = sigbit(SIGUSR1));
        // The memory map starts at the first memory call (or the host's init).
        p.sys(wasmpod_abi::syscalls::SYS_brk, &[0]);
        let s = read_str(&p, &format!("{}/status", p.pid));
        let field = |k: &str| -> String {
            s.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}:\t")))
                .unwrap_or_else(|| panic!("{k} in {s}"))
                .to_string()
        };
        assert_eq!(field("Name"), "worker");
        assert_eq!(field("Umask"), "0022");
        assert_eq!(field("State"), "R (running)");
        assert_eq!(field("Tgid"), p.pid.to_string());
        assert_eq!(field("Pid"), p.pid.to_string());
        assert_eq!(field("PPid"), parent.pid.to_string());
        assert_eq!(field("TracerPid"), "0");
        assert_eq!(field("Uid"), "1000\t1000\t1000\t1000");
        assert_eq!(field("Gid"), "1000\t1000\t1000\t1000");
        assert_eq!(field("Groups"), "4 24");
        assert_eq!(field("FDSize"), "64");
        assert_eq!(field("Threads"), "1");
        assert_eq!(field("SigQ"), "0/4096");
        assert_eq!(field("SigPnd"), "0000000000000000");
        assert_eq!(field("ShdPnd"), "0000000000000000");
        assert_eq!(field("SigBlk"), "0000000000000200");
        assert_eq!(field("SigIgn"), "0000000000000002");
        assert_eq!(field("SigCgt"), "0000000000004000");
        assert!(field("VmSize").ends_with(" kB"));
        assert!(field("VmRSS").trim_end_matches(" kB").trim().parse::<u64>().unwrap() > 0);
        // Lines come in Linux's order.
        let keys: Vec<&str> = s.lines().map(|l| l.split(':').next().unwrap()).collect();
        let pos = |k: &str| keys.iter().position(|x| *x == k).unwrap();
        assert!(pos("Name") < pos("State") && pos("State") < pos("Tgid") && pos("Uid") < pos("VmSize"));
        assert!(pos("VmRSS") < pos("Threads") && pos("Threads") < pos("SigQ") && pos("SigPnd") < pos("SigCgt"));
    }

    #[test]
    fn status_of_a_zombie_has_no_memory_lines() {
        let h = Harness::new();
        let p = h.process(None);
        set(&p, |pr| pr.state = ProcState::Zombie { status: 0 });
        let s = read_str(&p, &format!("{}/status", p.pid));
        assert!(s.contains("State:\tZ (zombie)\n"));
        assert!(!s.contains("VmSize"));
    }

    #[test]
    fn cmdline_is_nul_separated_argv() {
        let h = Harness::new();
        let p = h.process(None);
        set(&p, |pr| pr.argv = vec![b"/bin/ls".to_vec(), b"-l".to_vec(), b"a b".to_vec()]);
        assert_eq!(read(&p, &format!("{}/cmdline", p.pid)).unwrap(), b"/bin/ls\0-l\0a b\0");
        set(&p, |pr| pr.state = ProcState::Zombie { status: 0 });
        assert_eq!(read(&p, &format!("{}/cmdline", p.pid)).unwrap(), b"");
    }

    #[test]
    fn environ_is_readable_by_the_owner_and_root_only() {
        let h = Harness::new();
        let p = h.process(None);
        set(&p, |pr| pr.envp = vec![b"HOME=/home/user".to_vec(), b"A=1".to_vec()]);
        let path = format!("{}/environ", p.pid);
        assert_eq!(read(&p, &path).unwrap(), b"HOME=/home/user\0A=1\0");
        let other = h.process_as(None, Credentials::with_ids(1001, 1001));
        assert_eq!(read(&other, &path).unwrap_err().errno(), Errno::EACCES);
        let root = h.process_as(None, Credentials::root());
        assert_eq!(read(&root, &path).unwrap(), b"HOME=/home/user\0A=1\0");
    }

    #[test]
    fn comm_defaults_to_the_program_name_and_is_writable() {
        let h = Harness::new();
        let p = h.process(None);
        set(&p, |pr| pr.exe = "/usr/bin/a-very-long-program-name".into());
        let path = format!("{}/comm", p.pid);
        assert_eq!(read_str(&p, &path), "a-very-long-pro\n");
        let inode = walk(&p, &path).unwrap();
        with(&p, |ctx| {
            let ops = inode.open(ctx, O_WRONLY).unwrap().unwrap();
            let f = OpenFile::new(ops, O_WRONLY);
            assert_eq!(f.ops.write(ctx, &f, b"renamed\n").unwrap(), 8);
        });
        assert_eq!(read_str(&p, &path), "renamed\n");
        let other = h.process_as(None, Credentials::with_ids(1001, 1001));
        let inode = walk(&other, &path).unwrap();
        assert_eq!(with(&other, |ctx| inode.open(ctx, O_WRONLY).err()).unwrap().errno(), Errno::EACCES);
    }

    #[test]
    fn exe_links_to_the_program_path() {
        let h = Harness::new();
        let p = h.process(None);
        let path = format!("{}/exe", p.pid);
        assert_eq!(readlink(&p, &path).unwrap_err().errno(), Errno::ENOENT);
        set(&p, |pr| pr.exe = "/usr/bin/lua".into());
        assert_eq!(readlink(&p, &path).unwrap(), "/usr/bin/lua");
        assert_eq!(readlink(&p, &format!("{}/root", p.pid)).unwrap(), "/");
        assert!(readlink(&p, &format!("{}/cwd", p.pid)).unwrap().starts_with('/'));
    }

    #[test]
    fn fd_directory_lists_open_fds_with_their_targets() {
        let h = Harness::new();
        let p = h.process(None);
        let a = install(&p, Arc::new(Anon), O_RDONLY, b"", false);
        let b = install(&p, Arc::new(Anon), O_RDWR, b"/tmp/data.txt", false);
        let names = list(&p, &format!("{}/fd", p.pid)).unwrap();
        assert_eq!(names, vec![".", "..", &a.to_string(), &b.to_string()]);
        assert_eq!(readlink(&p, &format!("{}/fd/{a}", p.pid)).unwrap(), "pipe:[123]");
        assert_eq!(readlink(&p, &format!("{}/fd/{b}", p.pid)).unwrap(), "/tmp/data.txt");
        assert_eq!(walk(&p, &format!("{}/fd/7", p.pid)).err().unwrap().errno(), Errno::ENOENT);
        // Link modes follow the open mode, like Linux.
        assert_eq!(stat(&p, &format!("{}/fd/{a}", p.pid)).unwrap().mode & 0o777, 0o500);
        assert_eq!(stat(&p, &format!("{}/fd/{b}", p.pid)).unwrap().mode & 0o777, 0o700);
    }

    #[test]
    fn opening_an_fd_link_reaches_the_same_file() {
        let h = Harness::new();
        let p = h.process(None);
        let ops: Arc<dyn FileOps> = Arc::new(Anon);
        let fd = install(&p, ops.clone(), O_RDONLY, b"", false);
        let link = walk(&p, &format!("{}/fd/{fd}", p.pid)).unwrap();
        let got = with(&p, |ctx| link.open(ctx, O_RDONLY)).unwrap().expect("fd links open to the file's ops");
        assert!(Arc::ptr_eq(&got, &ops));
    }

    #[test]
    fn fd_directories_of_other_users_are_eacces() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = install(&p, Arc::new(Anon), O_RDONLY, b"", false);
        let other = h.process_as(None, Credentials::with_ids(1001, 1001));
        assert_eq!(list(&other, &format!("{}/fd", p.pid)).unwrap_err().errno(), Errno::EACCES);
        assert_eq!(walk(&other, &format!("{}/fd/{fd}", p.pid)).err().unwrap().errno(), Errno::EACCES);
        let root = h.process_as(None, Credentials::root());
        assert_eq!(readlink(&root, &format!("{}/fd/{fd}", p.pid)).unwrap(), "pipe:[123]");
    }

    #[test]
    fn fdinfo_shows_position_flags_and_inode() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = install(&p, Arc::new(Anon), O_RDWR, b"", true);
        let pid = p.pid;
        h.kernel.with_state(|st| st.procs.procs[&pid].files.get(fd).unwrap().set_pos(42));
        let text = read_str(&p, &format!("{}/fdinfo/{fd}", p.pid));
        assert_eq!(text, format!("pos:\t42\nflags:\t0{:o}\nmnt_id:\t0\nino:\t123\n", O_RDWR | O_CLOEXEC));
        assert_eq!(list(&p, &format!("{}/fdinfo", p.pid)).unwrap(), vec![".", "..", &fd.to_string()]);
    }

    #[test]
    fn closed_fd_entries_vanish() {
        let h = Harness::new();
        let p = h.process(None);
        let fd = install(&p, Arc::new(Anon), O_RDONLY, b"", false);
        let link = walk(&p, &format!("{}/fd/{fd}", p.pid)).unwrap();
        let pid = p.pid;
        h.kernel.with_state(|st| st.procs.procs.get_mut(&pid).unwrap().files.remove(fd).unwrap());
        assert_eq!(with(&p, |ctx| link.readlink(ctx)).unwrap_err().errno(), Errno::ENOENT);
    }

    #[test]
    fn maps_lists_the_processs_mappings() {
        let h = Harness::new();
        let p = h.process(None);
        let a = crate::mm::test_util::mmap_anon(&p, 8192) as u64;
        let text = read_str(&p, &format!("{}/maps", p.pid));
        assert_eq!(text, format!("{:08x}-{:08x} rw-p 00000000 00:00 0 \n", a, a + 8192));
    }

    #[test]
    fn task_directory_lists_threads() {
        let h = Harness::new();
        let p = h.process(None);
        let names = list(&p, &format!("{}/task", p.pid)).unwrap();
        assert_eq!(names, vec![".", "..", &p.pid.to_string()]);
        let f = stat_fields(&read_str(&p, &format!("{0}/task/{0}/stat", p.pid))).1;
        assert_eq!(f.len(), 52);
        assert_eq!(f[0], p.pid.to_string());
        let s = read_str(&p, &format!("{0}/task/{0}/status", p.pid));
        assert!(s.contains(&format!("\nPid:\t{}\n", p.pid)));
        assert_eq!(walk(&p, &format!("{}/task/99999", p.pid)).err().unwrap().errno(), Errno::ENOENT);
    }

    #[test]
    fn pid_directory_has_the_usual_entries() {
        let h = Harness::new();
        let p = h.process(None);
        let names = list(&p, &p.pid.to_string()).unwrap();
        for want in [
            "cmdline", "comm", "cwd", "environ", "exe", "fd", "fdinfo", "limits", "maps", "mounts", "root", "stat",
            "statm", "status", "task",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        }
    }

    #[test]
    fn limits_is_a_linux_table() {
        let h = Harness::new();
        let p = h.process(None);
        let t = read_str(&p, &format!("{}/limits", p.pid));
        assert!(t.starts_with("Limit                     Soft Limit           Hard Limit           Units"));
        let line = t.lines().find(|l| l.starts_with("Max open files")).unwrap();
        assert_eq!(line.split_whitespace().collect::<Vec<_>>(), vec!["Max", "open", "files", "1024", "4096", "files"]);
        assert!(t.lines().any(|l| l.starts_with("Max cpu time") && l.contains("unlimited")));
    }

    #[test]
    fn statm_counts_pages() {
        let h = Harness::new();
        let p = h.process(None);
        p.sys(wasmpod_abi::syscalls::SYS_brk, &[0]);
        let t = read_str(&p, &format!("{}/statm", p.pid));
        let v: Vec<u64> = t.split_whitespace().map(|x| x.parse().unwrap()).collect();
        assert_eq!(v.len(), 7);
        assert_eq!(v[0], (4 << 20) / 4096);
    }

    #[test]
    fn mounts_lists_proc() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(readlink(&p, "mounts").unwrap(), "self/mounts");
        let t = read_str(&p, &format!("{}/mounts", p.pid));
        assert!(t.lines().any(|l| l.starts_with("proc /proc proc ")), "{t}");
    }

    #[test]
    fn entries_of_a_reaped_process_are_enoent() {
        let h = Harness::new();
        let p = h.process(None);
        let inode = walk(&p, &format!("{}/status", p.pid)).unwrap();
        let other = h.process(None);
        let pid = p.pid;
        h.kernel.with_state(|st| st.procs.procs.remove(&pid));
        assert_eq!(with(&other, |ctx| inode.open(ctx, O_RDONLY).err()).unwrap().errno(), Errno::ENOENT);
        assert_eq!(walk(&other, &pid.to_string()).err().unwrap().errno(), Errno::ENOENT);
    }
}
