//! Processes and threads: the tables, ids, credentials and limits.
//!
//! Analogous to Linux's `task_struct` split in two: [`Process`] holds what
//! threads of a process share (the thread group: fds, cwd, signal handlers,
//! memory map, credentials), [`Thread`] what each has (signal mask, pending
//! thread-directed signals, clear_child_tid).
//!
//! Lifecycle calls (exit, wait, vfork, execve, spawn, clone) live in the
//! submodules named after them; identity and credential calls in `ids` and
//! `creds`, process groups and sessions in `pgrp`, limits, accounting and
//! scheduling knobs in `rlimit`, `rusage`, `prctl` and `sched`; the host's
//! entry points (starting the first program, learning exit statuses) in
//! `host`.
//!
//! Life of a process: [`new_process`] (by vfork, spawn or the host) →
//! execve gives it a program → [`exit::exit_process`] (exit_group, the last
//! thread's exit, a fatal signal) makes it a zombie holding its wait status
//! → its parent reaps it with wait4/waitid ([`exit::release`]), or the
//! kernel reaps it at once when the parent ignores SIGCHLD, has
//! `SA_NOCLDWAIT`, or is the kernel's own program-less init.

pub mod capability;
pub mod clone;
pub mod creds;
pub mod exec;
pub mod exit;
pub mod host;
pub mod ids;
pub mod kcmp;
pub mod personality;
pub mod pgrp;
pub mod prctl;
pub mod rlimit;
pub mod rusage;
pub mod sched;
pub mod sched_rr;
pub mod spawn;
pub mod startup;
#[cfg(test)]
pub(crate) mod testutil;
pub mod unshare;
pub mod vfork;
pub mod wait;

use std::collections::BTreeMap;

use crate::fs::{FdTable, FsContext};
use crate::kernel::State;
use crate::mm::MemoryMap;
use crate::signal::{ProcessSignals, ThreadSignals};
use crate::syscall::{partial, sup, Entry};
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
    /// The file name the last exec was given, before resolution (Linux's
    /// `bprm->filename`: what `AT_EXECFN` points to).
    pub execfn: Vec<u8>,
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
    /// The process has called execve since it was created (setpgid(2):
    /// a parent can't change the group of a child that did, `EACCES`).
    pub did_exec: bool,
    /// Scheduling, prctl and accounting settings.
    pub misc: ProcMisc,
}

/// Per-process settings of prctl, setpriority and accounting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcMisc {
    /// Nice value, -20..=19 (setpriority(2)).
    pub nice: i32,
    /// `PR_SET_PDEATHSIG`: signal sent when the parent dies (0 = none).
    pub pdeath_signal: u32,
    /// `PR_SET_NO_NEW_PRIVS`: execve does not honour set-user-ID bits.
    pub no_new_privs: bool,
    /// `PR_SET_CHILD_SUBREAPER`: orphaned descendants are reparented here
    /// instead of to init.
    pub child_subreaper: bool,
    /// `PR_SET_DUMPABLE` (1 by default).
    pub not_dumpable: bool,
    /// The kernel's own init without a program: its children are reaped
    /// as soon as they exit (nobody would wait for them).
    pub autoreap_children: bool,
    /// This process's run time (ns), fixed when it exits.
    pub run_time_ns: u64,
    /// Run time (ns) of reaped children and their waited-for descendants
    /// (`RUSAGE_CHILDREN`, `times` cutime).
    pub children_time_ns: u64,
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
    /// set_robust_list(2): `(head, len)` as given (recorded only).
    pub robust_list: (u32, u32),
}

/// All processes and threads.
#[derive(Default)]
pub struct ProcessTable {
    pub procs: BTreeMap<Pid, Process>,
    pub threads: BTreeMap<Tid, Thread>,
    /// The last id handed out (ids are shared by pids and tids, as in Linux).
    pub last_id: i32,
    /// Exit statuses the host asked to learn (see `host.rs`): pid → the
    /// wait status once the process has exited, kept after it is reaped.
    pub host_watched: BTreeMap<Pid, Option<i32>>,
    /// Threads to stop with `Platform::kill_thread` when the lock is next
    /// released by a kernel entry: SIGKILL was sent to their process while
    /// they ran guest code (they would never enter the kernel to take it).
    /// Filled by `signal::kill::generate`, drained by `Kernel::syscall`,
    /// `deliver_signal` and `with_ctx`.
    pub kill_requests: Vec<Tid>,
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
pub const SYSCALLS: &[Entry] = &[
    sup(SYS_getpid, ids::sys_getpid),
    sup(SYS_getppid, ids::sys_getppid),
    sup(SYS_gettid, ids::sys_gettid),
    sup(SYS_exit, exit::sys_exit),
    sup(SYS_exit_group, exit::sys_exit_group),
    partial(SYS_wait4, wait::sys_wait4, "rusage is zero except for times"),
    partial(SYS_waitid, wait::sys_waitid, "P_PIDFD is EINVAL (no pidfds); rusage is zero except for times"),
    sup(SYS_vfork, vfork::sys_vfork),
    partial(
        SYS_clone,
        clone::sys_clone,
        "threads only (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD); fork is ENOSYS",
    ),
    sup(SYS_set_tid_address, clone::sys_set_tid_address),
    partial(SYS_execve, exec::sys_execve, "wasm modules and #! scripts; a non-main thread keeps its tid"),
    partial(SYS_execveat, exec::sys_execveat, "as execve; AT_EMPTY_PATH executes the fd's inode"),
    sup(SYS_spawn, spawn::sys_spawn),
    sup(SYS_wasmpod_startup, startup::sys_wasmpod_startup),
    sup(SYS_getuid, creds::sys_getuid),
    sup(SYS_geteuid, creds::sys_geteuid),
    sup(SYS_getgid, creds::sys_getgid),
    sup(SYS_getegid, creds::sys_getegid),
    sup(SYS_setuid, creds::sys_setuid),
    sup(SYS_setgid, creds::sys_setgid),
    sup(SYS_setreuid, creds::sys_setreuid),
    sup(SYS_setregid, creds::sys_setregid),
    sup(SYS_setresuid, creds::sys_setresuid),
    sup(SYS_setresgid, creds::sys_setresgid),
    sup(SYS_getresuid, creds::sys_getresuid),
    sup(SYS_getresgid, creds::sys_getresgid),
    sup(SYS_setfsuid, creds::sys_setfsuid),
    sup(SYS_setfsgid, creds::sys_setfsgid),
    sup(SYS_getgroups, creds::sys_getgroups),
    sup(SYS_setgroups, creds::sys_setgroups),
    sup(SYS_setpgid, pgrp::sys_setpgid),
    sup(SYS_getpgid, pgrp::sys_getpgid),
    sup(SYS_getsid, pgrp::sys_getsid),
    sup(SYS_setsid, pgrp::sys_setsid),
    partial(
        SYS_prlimit64,
        rlimit::sys_prlimit64,
        "limits are stored; only RLIMIT_NOFILE is enforced (by the fd table)",
    ),
    partial(SYS_getrlimit, rlimit::sys_getrlimit, "as prlimit64"),
    partial(SYS_setrlimit, rlimit::sys_setrlimit, "as prlimit64"),
    partial(SYS_getrusage, rusage::sys_getrusage, "user time is wall time since start; other fields zero"),
    partial(SYS_times, rusage::sys_times, "user time is wall time since start"),
    partial(
        SYS_prctl,
        prctl::sys_prctl,
        "NAME, PDEATHSIG, CHILD_SUBREAPER, NO_NEW_PRIVS, DUMPABLE; other options EINVAL",
    ),
    sup(SYS_sched_yield, sched::sys_sched_yield),
    partial(SYS_sched_getaffinity, sched::sys_sched_getaffinity, "one CPU"),
    partial(SYS_sched_setaffinity, sched::sys_sched_setaffinity, "one CPU"),
    partial(SYS_sched_getscheduler, sched::sys_sched_getscheduler, "always SCHED_OTHER"),
    partial(SYS_sched_setscheduler, sched::sys_sched_setscheduler, "SCHED_OTHER/BATCH/IDLE only"),
    partial(SYS_sched_getparam, sched::sys_sched_getparam, "priority 0"),
    partial(SYS_sched_setparam, sched::sys_sched_setparam, "priority 0 only"),
    sup(SYS_sched_get_priority_max, sched::sys_sched_get_priority_max),
    sup(SYS_sched_get_priority_min, sched::sys_sched_get_priority_min),
    partial(SYS_getpriority, sched::sys_getpriority, "nice is stored, not used for scheduling"),
    partial(SYS_setpriority, sched::sys_setpriority, "nice is stored, not used for scheduling"),
    partial(SYS_getcpu, sched::sys_getcpu, "one CPU, one node"),
];

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
                execfn: pp.execfn.clone(),
                comm: pp.comm.clone(),
                start_time: now,
                exiting: None,
                job: JobState::default(),
                did_exec: false,
                misc: ProcMisc { nice: pp.misc.nice, ..ProcMisc::default() },
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
            execfn: vec![],
            comm: vec![],
            start_time: now,
            exiting: None,
            job: JobState::default(),
            did_exec: false,
            misc: ProcMisc::default(),
        },
    };
    let mut proc = proc;
    // A parent that is already exiting can't keep a new child: it goes to
    // the reaper at once, as if the parent had died right after the fork.
    if let Some(pp) = parent.and_then(|pp| st.procs.procs.get(&pp)) {
        if pp.exiting.is_some() {
            proc.ppid = exit::find_reaper(st, pp.pid);
        }
    }
    if let Some(pp) = st.procs.procs.get_mut(&proc.ppid) {
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
            robust_list: (0, 0),
        },
    );
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::sched::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::wait::WNOHANG;

    use super::testutil::*;
    use super::Pid;
    use crate::testing::{Harness, Proc};

    const THREAD: u64 = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD) as u64;

    /// Random mixes of vfork, clone, exits, waits and group changes must
    /// keep parent/child links, thread lists and ids consistent, and every
    /// exited process must end up reaped by init.
    #[test]
    fn random_lifecycles_keep_the_process_table_consistent() {
        for seed in 1..=4 {
            let h = Harness::new();
            let init = h.process(None);
            let mut rng = crate::fuzz::Rng::new(seed);
            let mut actors: Vec<Proc> = vec![h.process(Some(&init))];
            for i in 0..3000 {
                if actors.is_empty() {
                    actors.push(h.process(Some(&init)));
                }
                let k = rng.below(actors.len() as u64) as usize;
                let a = actors[k].clone();
                let r = match rng.below(9) {
                    0 => a.call(SYS_vfork, &[]),
                    1 => a.call(SYS_exit_group, &[rng.below(256)]),
                    2 => a.call(SYS_exit, &[1]),
                    3 => a.call(SYS_wait4, &[u32::MAX as u64, 0, u64::from(WNOHANG), 0]),
                    4 => {
                        let r = a.call(SYS_clone, &[THREAD, 0x9000, 0, 0, 0]);
                        if r.value > 0 {
                            actors.push(a.as_thread(r.value as i32));
                        }
                        r
                    }
                    5 => a.call(SYS_setpgid, &[0, 0]),
                    6 => a.call(SYS_setsid, &[]),
                    7 => {
                        actors.push(h.process(Some(&a)));
                        a.call(SYS_getpid, &[])
                    }
                    _ => init.call(SYS_wait4, &[u32::MAX as u64, 0, u64::from(WNOHANG), 0]),
                };
                if exits(&r) {
                    actors.retain(|x| x.tid != a.tid);
                }
                if i % 50 == 0 {
                    st(&h, |s| crate::fuzz::check_invariants(s)).unwrap_or_else(|e| panic!("seed {seed} op {i}: {e}"));
                }
            }
            // End everything; init collects what is left.
            for a in actors.drain(..) {
                // A lent thread returns to its parent (nested vforks: one
                // level per exit): end those too.
                for _ in 0..1000 {
                    if exits(&a.call(SYS_exit_group, &[0])) {
                        break;
                    }
                }
            }
            loop {
                let r = init.sys(SYS_wait4, &[u32::MAX as u64, 0, u64::from(WNOHANG), 0]);
                if r <= 0 {
                    break;
                }
            }
            st(&h, |s| crate::fuzz::check_invariants(s)).unwrap();
            // Children created for a parent that was already reaped belong
            // to the host (ppid 0): the host reaps them.
            let host_zombies: Vec<Pid> = st(&h, |s| {
                s.procs.procs.values().filter(|p| p.ppid == 0 && p.pid != init.pid).map(|p| p.pid).collect()
            });
            for pid in host_zombies {
                assert!(h.kernel.reap(pid).is_some(), "seed {seed}: host child {pid} is not a zombie");
            }
            let left: Vec<_> = st(&h, |s| s.procs.procs.keys().copied().collect());
            assert_eq!(left, vec![init.pid], "seed {seed}: everything but init is reaped");
        }
    }
}
