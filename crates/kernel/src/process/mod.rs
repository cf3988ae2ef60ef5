//! Processes and threads: the tables, ids, credentials and limits.
//!
//! Analogous to Linux's `task_struct` split in two: [`Process`] holds what
//! threads of a process share (the thread group: fds, cwd, signal handlers,
//! memory map, credentials), [`Thread`] what each has (signal mask, pending
//! thread-directed signals, clear_child_tid).
//!
//! Lifecycle calls (exit, wait, vfork, execve, spawn, clone) live in the
//! submodules named after them.

pub mod exit;
pub mod ids;

use std::collections::BTreeMap;

use crate::fs::{FdTable, FsContext};
use crate::kernel::State;
use crate::mm::MemoryMap;
use crate::signal::{ProcessSignals, ThreadSignals};
use crate::syscall::{sup, Entry};
use wasmpod_abi::syscalls::*;

/// A process id (`pid_t`).
pub type Pid = i32;
/// A thread id; the main thread's tid equals its pid.
pub type Tid = i32;

/// The first pid; the init process adopts orphans.
pub const INIT_PID: Pid = 1;
/// Largest pid before ids wrap around (Linux's default `pid_max`).
pub const PID_MAX: Pid = 32768;

/// User and group ids (credentials(7)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
}

impl Credentials {
    /// The pod's default user: `user`, uid/gid 1000.
    pub fn user() -> Self {
        Self::with_ids(1000, 1000)
    }
    pub fn root() -> Self {
        Self::with_ids(0, 0)
    }
    pub fn with_ids(uid: u32, gid: u32) -> Self {
        Credentials { uid, euid: uid, suid: uid, fsuid: uid, gid, egid: gid, sgid: gid, fsgid: gid, groups: vec![] }
    }
    /// Whether the effective user is root (no capabilities model: root can do everything).
    pub fn is_root(&self) -> bool {
        self.euid == 0
    }
}

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    Running,
    /// All threads have exited; the parent has not waited yet. `status` is
    /// the wait status (see `wasmpod_abi::wait`).
    Zombie {
        status: i32,
    },
}

/// A resource limit pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// A thread group.
pub struct Process {
    pub pid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub state: ProcState,
    /// Threads in creation order; the first is the main thread.
    pub threads: Vec<Tid>,
    pub children: Vec<Pid>,
    pub creds: Credentials,
    pub umask: u32,
    pub rlimits: [Rlimit; 16],
    /// cwd and root.
    pub fs: FsContext,
    pub files: FdTable,
    pub signals: ProcessSignals,
    pub mm: MemoryMap,
    /// The program's path inside the pod (`/proc/<pid>/exe`).
    pub exe: String,
    /// `argv` and `envp` of the last exec (`/proc/<pid>/cmdline`, `environ`).
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// `comm` (prctl PR_SET_NAME, `/proc/<pid>/stat`), at most 15 bytes.
    pub comm: Vec<u8>,
    /// Monotonic ns when the process started.
    pub start_time: u64,
    /// The process is exiting (exit_group or a fatal signal): every thread
    /// leaves at its next kernel exit. Holds the wait status.
    pub exiting: Option<i32>,
    /// Job control: stopped by a signal, and the stop/continue event the
    /// parent has not collected with wait yet.
    pub job: JobState,
}

/// Job-control state (set by the signal code, read by wait).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobState {
    /// Stopped by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU until SIGCONT.
    pub stopped: bool,
    /// An unreported change: `Some(Stopped(sig))` for WUNTRACED,
    /// `Some(Continued)` for WCONTINUED.
    pub report: Option<JobReport>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobReport {
    Stopped(u32),
    Continued,
}

/// One thread.
pub struct Thread {
    pub tid: Tid,
    pub pid: Pid,
    pub signals: ThreadSignals,
    /// `set_tid_address`/`CLONE_CHILD_CLEARTID`: zeroed and futex-woken at exit.
    pub clear_child_tid: u32,
    /// This host thread is lent to a vfork child (the child's main tid);
    /// syscalls arriving on this thread act as the child until it execs or exits.
    pub vfork_child: Option<Tid>,
    /// The thread is asleep in [`crate::kernel::Ctx::wait_until`].
    pub sleeping: bool,
    /// The thread has exited.
    pub exited: bool,
}

/// All processes and threads.
#[derive(Default)]
pub struct ProcessTable {
    pub procs: BTreeMap<Pid, Process>,
    pub threads: BTreeMap<Tid, Thread>,
    /// The last id handed out (ids are shared by pids and tids, as in Linux).
    pub last_id: i32,
}

impl ProcessTable {
    /// The process a thread belongs to (0 if the thread is unknown).
    pub fn pid_of(&self, tid: Tid) -> Pid {
        self.threads.get(&tid).map_or(0, |t| t.pid)
    }

    pub fn set_sleeping(&mut self, tid: Tid, sleeping: bool) {
        if let Some(t) = self.threads.get_mut(&tid) {
            t.sleeping = sleeping;
        }
    }

    /// Allocates the next free id (for a pid or a tid), wrapping at
    /// [`PID_MAX`] and skipping ids in use as a pid, tid, pgid or sid.
    pub fn alloc_id(&mut self) -> Option<i32> {
        for _ in 0..PID_MAX {
            self.last_id = if self.last_id >= PID_MAX - 1 { 2 } else { self.last_id + 1 };
            let id = self.last_id;
            let used = self.threads.contains_key(&id)
                || self.procs.contains_key(&id)
                || self.procs.values().any(|p| p.pgid == id || p.sid == id);
            if !used {
                return Some(id);
            }
        }
        None
    }
}

/// Follows vfork lending: the thread that really makes a call arriving on
/// host thread `tid`.
pub fn effective_tid(st: &State, tid: Tid) -> Tid {
    let mut t = tid;
    // A chain of nested vforks is at most as long as the thread table.
    for _ in 0..st.procs.threads.len() {
        match st.procs.threads.get(&t).and_then(|th| th.vfork_child) {
            Some(c) => t = c,
            None => break,
        }
    }
    t
}

/// Whether the thread must leave the kernel for good (its process is
/// exiting or it has exited).
pub fn must_exit(st: &State, tid: Tid) -> bool {
    match st.procs.threads.get(&tid) {
        None => true,
        Some(t) => t.exited || st.procs.procs.get(&t.pid).is_none_or(|p| p.exiting.is_some()),
    }
}

/// The process subsystem's calls.
pub const SYSCALLS: &[Entry] =
    &[sup(SYS_getpid, ids::sys_getpid), sup(SYS_getppid, ids::sys_getppid), sup(SYS_gettid, ids::sys_gettid)];

/// Default limits (what a Linux login shell typically has).
pub fn default_rlimits() -> [Rlimit; 16] {
    use wasmpod_abi::misc::*;
    let inf = Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    let mut r = [inf; 16];
    r[RLIMIT_STACK as usize] = Rlimit { cur: 8 << 20, max: RLIM_INFINITY };
    r[RLIMIT_CORE as usize] = Rlimit { cur: 0, max: RLIM_INFINITY };
    // 1024 soft / 4096 hard open files, as on a stock Debian system.
    r[RLIMIT_NOFILE as usize] = Rlimit { cur: 1024, max: 4096 };
    r[RLIMIT_NPROC as usize] = Rlimit { cur: 4096, max: 4096 };
    r[RLIMIT_SIGPENDING as usize] = Rlimit { cur: 4096, max: 4096 };
    r[RLIMIT_MEMLOCK as usize] = Rlimit { cur: 8 << 20, max: 8 << 20 };
    r[RLIMIT_MSGQUEUE as usize] = Rlimit { cur: 819_200, max: 819_200 };
    r
}

/// Creates a process with one thread (tid = pid). With a parent it
/// inherits what fork would copy (ids, credentials, umask, limits, cwd,
/// fds, dispositions, mask of the parent's main thread); without one it
/// is a fresh session leader owned by `creds`.
///
/// The new process has no program yet: `execve`/`spawn` give it one.
pub fn new_process(st: &mut State, parent: Option<Pid>, creds: Credentials, now: u64) -> crate::Result<Pid> {
    let pid = st.procs.alloc_id().ok_or(crate::errno!(EAGAIN, "out of process ids"))?;
    let mut thread_signals = ThreadSignals::default();
    let proc = match parent.and_then(|pp| st.procs.procs.get(&pp)) {
        Some(pp) => {
            if let Some(t) = pp.threads.first().and_then(|t| st.procs.threads.get(t)) {
                thread_signals.mask = t.signals.mask;
            }
            Process {
                pid,
                ppid: pp.pid,
                pgid: pp.pgid,
                sid: pp.sid,
                state: ProcState::Running,
                threads: vec![pid],
                children: vec![],
                creds: pp.creds.clone(),
                umask: pp.umask,
                rlimits: pp.rlimits,
                fs: pp.fs.clone(),
                files: pp.files.clone(),
                signals: ProcessSignals { actions: pp.signals.actions, pending: Default::default() },
                mm: MemoryMap::default(),
                exe: pp.exe.clone(),
                argv: pp.argv.clone(),
                envp: pp.envp.clone(),
                comm: pp.comm.clone(),
                start_time: now,
                exiting: None,
                job: JobState::default(),
            }
        }
        None => Process {
            pid,
            ppid: 0,
            pgid: pid,
            sid: pid,
            state: ProcState::Running,
            threads: vec![pid],
            children: vec![],
            creds,
            umask: 0o022,
            rlimits: default_rlimits(),
            fs: FsContext::default(),
            files: FdTable::default(),
            signals: ProcessSignals::default(),
            mm: MemoryMap::default(),
            exe: String::new(),
            argv: vec![],
            envp: vec![],
            comm: vec![],
            start_time: now,
            exiting: None,
            job: JobState::default(),
        },
    };
    if let Some(pp) = parent.and_then(|pp| st.procs.procs.get_mut(&pp)) {
        pp.children.push(pid);
    }
    st.procs.procs.insert(pid, proc);
    st.procs.threads.insert(
        pid,
        Thread {
            tid: pid,
            pid,
            signals: thread_signals,
            clear_child_tid: 0,
            vfork_child: None,
            sleeping: false,
            exited: false,
        },
    );
    Ok(pid)
}
