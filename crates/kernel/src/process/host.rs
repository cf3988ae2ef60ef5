//! What a host calls to run programs: starting the first program, telling
//! the kernel about threads that ended outside a syscall, and learning exit
//! statuses.
//!
//! A typical `wasmpod run`:
//! 1. optionally [`Kernel::create_init`] — a program-less pid 1 that adopts
//!    and reaps orphans (without it, the first program is pid 1 itself);
//! 2. [`Kernel::spawn_initial`] with the program's path, argv, envp, cwd,
//!    credentials and the fds it starts with (e.g. a tty or the host's
//!    stdio as 0, 1, 2); the host starts the returned image as thread
//!    `tid` of `pid` (exactly as for `Platform::start_process`);
//! 3. the host runs guest code, calling `Kernel::syscall` and acting on
//!    `SyscallReturn::action`; when a wasm trap ends a thread, it calls
//!    [`Kernel::thread_trapped`] (the process dies of SIGSEGV/SIGILL); when a
//!    host thread ends without the kernel having said `ExitThread`, it
//!    calls [`Kernel::thread_exited`];
//! 4. [`Kernel::process_status`] says whether the program has exited and
//!    with which wait status; [`exit_code`] turns it into a shell exit code
//!    (128+n for death by signal n). The host polls it after the program's
//!    last thread left (the kernel's wake-ups are internal); a watched
//!    process's status stays available after it is reaped.
//!    [`Kernel::reap`] removes a finished process whose parent is the host.

use std::sync::Arc;

use wasmpod_abi::fcntl::AT_FDCWD;
use wasmpod_abi::signal::SIGKILL;
use wasmpod_abi::syscalls::SYS_chdir;
use wasmpod_abi::wait::w_termsig;

use super::exec::{commit, prepare, Args};
use super::{new_process, Credentials, Pid, ProcState, Tid, INIT_PID};
use crate::error::Result;
use crate::fs::OpenFile;
use crate::kernel::{Ctx, Kernel};
use crate::platform::{ExecImage, Fault, UserMemory};
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// A scratch "user memory" for host-initiated work: strings the kernel's
/// own handlers read (a path for chdir) are placed here.
struct HostScratch {
    bytes: Vec<u8>,
}

impl UserMemory for HostScratch {
    fn read(&self, addr: u32, buf: &mut [u8]) -> std::result::Result<(), Fault> {
        let a = addr as usize;
        let end = a.checked_add(buf.len()).ok_or(Fault)?;
        buf.copy_from_slice(self.bytes.get(a..end).ok_or(Fault)?);
        Ok(())
    }
    fn write(&mut self, addr: u32, data: &[u8]) -> std::result::Result<(), Fault> {
        let a = addr as usize;
        let end = a.checked_add(data.len()).ok_or(Fault)?;
        self.bytes.get_mut(a..end).ok_or(Fault)?.copy_from_slice(data);
        Ok(())
    }
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn grow_to(&mut self, _bytes: u64) -> std::result::Result<(), Fault> {
        Err(Fault)
    }
}

/// The shell-style exit code of a wait status: the exit code, or 128 + the
/// signal number for a death by signal.
pub fn exit_code(status: i32) -> i32 {
    let sig = status & 0x7f;
    if sig == 0 {
        (status >> 8) & 0xff
    } else {
        128 + sig
    }
}

/// How the host starts its first program (see [`Kernel::spawn_initial`]).
pub struct InitialProgram<'a> {
    /// Absolute path inside the pod.
    pub path: &'a str,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Working directory (absolute); `None` keeps `/`.
    pub cwd: Option<&'a str>,
    pub creds: Credentials,
    /// Open files and the fds they get.
    pub fds: Vec<(i32, Arc<OpenFile>)>,
}

impl Kernel {
    /// Creates the kernel's own init, pid 1, with no program: it adopts
    /// orphans and reaps them as soon as they exit. `EEXIST` if a process
    /// exists already.
    pub fn create_init(&self, creds: Credentials) -> Result<Pid> {
        let now = self.platform().now(crate::ClockKind::Monotonic);
        self.with_state(|st| {
            if !st.procs.procs.is_empty() {
                return_errno!(EEXIST, "create_init: processes exist already");
            }
            // The table is empty: start the ids over so init is pid 1.
            st.procs.last_id = 0;
            let pid = new_process(st, None, creds, now)?;
            if let Some(p) = st.procs.procs.get_mut(&pid) {
                p.misc.autoreap_children = true;
                p.comm = b"init".to_vec();
            }
            Ok(pid)
        })
    }

    /// Starts the host's first program: a child of init when init exists
    /// (its own session and group, as a login would give it), else pid 1
    /// itself. Returns the pid, the main thread's tid and the image the
    /// host must start. Its exit status is watched ([`Kernel::process_status`]).
    /// On failure (`ENOENT`, `EACCES`, `ENOEXEC`, ...) no process is left.
    pub fn spawn_initial(&self, prog: InitialProgram) -> Result<(Pid, Tid, ExecImage)> {
        let now = self.platform().now(crate::ClockKind::Monotonic);
        let InitialProgram { path, argv, envp, cwd, creds, fds } = prog;
        let pid = self.with_state(|st| -> Result<Pid> {
            let parent = st.procs.procs.get(&INIT_PID).filter(|p| p.exiting.is_none()).map(|p| p.pid);
            let pid = new_process(st, parent, creds.clone(), now)?;
            let p = st.procs.procs.get_mut(&pid).ok_or(errno!(ESRCH, "spawn_initial: lost the process"))?;
            p.creds = creds;
            p.sid = pid;
            p.pgid = pid;
            st.procs.host_watched.insert(pid, None);
            Ok(pid)
        })?;
        let mut scratch = HostScratch { bytes: vec![0; wasmpod_abi::fs::PATH_MAX + 16] };
        self.with_ctx(pid, &mut scratch, |ctx| {
            let r = setup_initial(ctx, path, argv, envp, cwd, fds);
            if r.is_err() {
                super::spawn::discard(ctx, pid);
                ctx.st.procs.host_watched.remove(&pid);
            }
            r.map(|image| (pid, pid, image))
        })
    }

    /// A wasm trap ended thread `tid` (the host maps the trap to `sig`:
    /// SIGSEGV for out-of-bounds memory, SIGILL for `unreachable`, SIGFPE
    /// for integer division by zero, ...): the process dies of that signal,
    /// as Linux's default action would make it (no core dump).
    ///
    /// `tid` is the host thread's id. If it was lent to a vfork child, the
    /// trap happened in the child's code: the child dies of `sig`, and the
    /// processes up the lending chain, whose frames the trap unwound too,
    /// die of SIGKILL.
    pub fn thread_trapped(&self, tid: Tid, sig: u32) {
        let mut mem = crate::platform::NoUserMemory;
        self.with_ctx(tid, &mut mem, |ctx| {
            let eff = super::effective_tid(&ctx.st, tid);
            let mut chain = vec![eff];
            let mut t = eff;
            while let Some(l) = super::vfork::lender_of(&ctx.st, t) {
                if chain.contains(&l) {
                    break;
                }
                chain.push(l);
                t = l;
            }
            for (i, t) in chain.iter().enumerate() {
                if let Some(th) = ctx.st.procs.threads.get_mut(t) {
                    th.vfork_child = None;
                }
                let pid = ctx.st.procs.pid_of(*t);
                if pid != 0 {
                    let s = if i == 0 { sig } else { SIGKILL };
                    super::exit::exit_process(ctx, pid, w_termsig(s, false));
                }
            }
        });
    }

    /// Host thread `tid` is gone. After the kernel said `ExitThread` this
    /// only lets the kernel forget the thread; a thread that vanished while
    /// its process was running (the host stopped it on the kernel's
    /// request, or lost it) takes its process down: of the fatal signal
    /// pending for it (`signal::kill::fatal_signal_status`), else as if
    /// killed by SIGKILL.
    pub fn thread_exited(&self, tid: Tid) {
        let mut mem = crate::platform::NoUserMemory;
        self.with_ctx(tid, &mut mem, |ctx| {
            let Some(t) = ctx.st.procs.threads.get(&tid) else { return };
            let (pid, exited) = (t.pid, t.exited);
            let running = ctx.st.procs.procs.get(&pid).is_some_and(|p| p.exiting.is_none());
            if running && !exited {
                let status = crate::signal::kill::fatal_signal_status(&ctx.st, pid);
                super::exit::exit_process(ctx, pid, status);
            } else if exited && tid != pid {
                ctx.st.procs.threads.remove(&tid);
            }
        });
    }

    /// The wait status of process `pid` once it has exited (`None` while it
    /// runs or if it is unknown). Works for zombies and for processes the
    /// host started with [`Kernel::spawn_initial`] even after they were
    /// reaped.
    pub fn process_status(&self, pid: Pid) -> Option<i32> {
        self.with_state(|st| {
            if let Some(ProcState::Zombie { status }) = st.procs.procs.get(&pid).map(|p| p.state) {
                return Some(status);
            }
            st.procs.host_watched.get(&pid).copied().flatten()
        })
    }

    /// Removes zombie `pid` whose parent is the host (ppid 0), returning
    /// its wait status. `None` if it isn't such a zombie.
    pub fn reap(&self, pid: Pid) -> Option<i32> {
        self.with_state(|st| {
            let p = st.procs.procs.get(&pid)?;
            let ProcState::Zombie { status } = p.state else { return None };
            if p.ppid != 0 {
                return None;
            }
            super::exit::release(st, pid);
            Some(status)
        })
    }
}

/// Fds, cwd and the program of the host's first process (`ctx` acts as it).
fn setup_initial(
    ctx: &mut Ctx,
    path: &str,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    cwd: Option<&str>,
    fds: Vec<(i32, Arc<OpenFile>)>,
) -> Result<ExecImage> {
    for (fd, file) in fds {
        let fd = usize::try_from(fd).map_err(|_| errno!(EBADF, "spawn_initial: negative fd"))?;
        ctx.process_mut().files.install(fd, file, false);
    }
    if let Some(cwd) = cwd {
        let b = cwd.as_bytes();
        if b.len() >= wasmpod_abi::fs::PATH_MAX {
            return_errno!(ENAMETOOLONG, "spawn_initial: cwd too long");
        }
        // Not at address 0: a NULL user pointer is EFAULT.
        const AT: u32 = 8;
        ctx.write_user(AT, b)?;
        ctx.write_user(AT + b.len() as u32, &[0])?;
        let chdir = ctx.kernel.table().get(SYS_chdir).and_then(|e| e.handler);
        let chdir = chdir.ok_or(errno!(ENOSYS, "spawn_initial: no chdir"))?;
        chdir(ctx, &SyscallArgs([u64::from(AT), 0, 0, 0, 0, 0]))?;
    }
    let prepared = prepare(ctx, AT_FDCWD, path.as_bytes(), Args::Given { argv, envp }, 0)?;
    Ok(commit(ctx, prepared))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wasmpod_abi::signal::{SIGILL, SIGSEGV};
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::wait::{w_exitcode, w_termsig};
    use wasmpod_abi::Errno;

    use super::{exit_code, InitialProgram};
    use crate::fs::OpenFile;
    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::Harness;

    fn prog<'a>(path: &'a str, cwd: Option<&'a str>, fds: Vec<(i32, Arc<OpenFile>)>) -> InitialProgram<'a> {
        InitialProgram {
            path,
            argv: vec![b"prog".to_vec()],
            envp: vec![b"HOME=/home/user".to_vec()],
            cwd,
            creds: Credentials::user(),
            fds,
        }
    }

    /// A harness with /bin/prog (created by a throwaway root process that
    /// is then reaped, so the process table is empty again).
    fn with_program() -> Harness {
        let h = Harness::new();
        let r = h.process_as(None, Credentials::root());
        make_program(&r, "/tmp/prog");
        r.call(SYS_exit_group, &[0]);
        assert_eq!(h.kernel.reap(r.pid), Some(0));
        h
    }

    #[test]
    fn first_program_without_init_is_pid_1() {
        let h = with_program();
        let (pid, tid, img) = h.kernel.spawn_initial(prog("/tmp/prog", None, vec![])).unwrap();
        assert_eq!(tid, pid);
        assert_eq!(img.path, "/tmp/prog");
        assert_eq!(strs(&img.envp), ["HOME=/home/user"]);
        assert_eq!(ppid(&h, pid), 0);
        assert_eq!(st(&h, |s| s.procs.procs[&pid].sid), pid);
    }

    #[test]
    fn with_a_kernel_init_the_program_is_its_child_in_a_new_session() {
        let h = with_program();
        let init = h.kernel.create_init(Credentials::root()).unwrap();
        assert_eq!(h.kernel.create_init(Credentials::root()).err().map(|e| e.errno()), Some(Errno::EEXIST));
        let f = OpenFile::new(Arc::new(NullFile), wasmpod_abi::fcntl::O_RDWR);
        let fds = vec![(0, f.clone()), (1, f.clone()), (2, f)];
        let (pid, _, _) = h.kernel.spawn_initial(prog("/tmp/prog", Some("/home/user"), fds)).unwrap();
        assert_eq!(ppid(&h, pid), init);
        let (sid, pgid, nfds, uid) = st(&h, |s| {
            let p = &s.procs.procs[&pid];
            (p.sid, p.pgid, p.files.count(), p.creds.uid)
        });
        assert_eq!((sid, pgid, nfds, uid), (pid, pid, 3, 1000));
        let p = h.process(None).as_thread(pid);
        let buf = p.alloc(64);
        let n = p.sys(SYS_getcwd, &[u64::from(buf), 64]);
        assert!(n > 0);
        assert_eq!(&p.read(buf, 10), b"/home/user");
    }

    #[test]
    fn a_program_that_cannot_start_leaves_nothing() {
        let h = with_program();
        let err = h.kernel.spawn_initial(prog("/tmp/missing", None, vec![])).err().unwrap();
        assert_eq!(err.errno(), Errno::ENOENT);
        assert_eq!(st(&h, |s| s.procs.procs.len()), 0);
        let err = h.kernel.spawn_initial(prog("/tmp/prog", Some("/nope"), vec![])).err().unwrap();
        assert_eq!(err.errno(), Errno::ENOENT);
        assert_eq!(st(&h, |s| (s.procs.procs.len(), s.procs.host_watched.len())), (0, 0));
    }

    #[test]
    fn exit_status_is_available_after_the_kernel_init_reaps() {
        let h = with_program();
        h.kernel.create_init(Credentials::root()).unwrap();
        let (pid, tid, _) = h.kernel.spawn_initial(prog("/tmp/prog", None, vec![])).unwrap();
        assert_eq!(h.kernel.process_status(pid), None);
        let p = h.process(None).as_thread(tid);
        p.call(SYS_exit_group, &[42]);
        assert!(!exists(&h, pid), "reaped by the kernel's init");
        assert_eq!(h.kernel.process_status(pid), Some(w_exitcode(42)));
        assert_eq!(exit_code(w_exitcode(42)), 42);
    }

    #[test]
    fn a_program_exit_wakes_the_host() {
        // The browser's control worker learns of exits this way.
        let h = with_program();
        h.kernel.create_init(Credentials::root()).unwrap();
        let (pid, tid, _) = h.kernel.spawn_initial(prog("/tmp/prog", None, vec![])).unwrap();
        let wakes = || h.platform.host_wakes.load(std::sync::atomic::Ordering::SeqCst);
        let before = wakes();
        h.process(None).as_thread(tid).call(SYS_exit_group, &[0]);
        assert!(wakes() > before);
        assert_eq!(h.kernel.process_status(pid), Some(w_exitcode(0)));
    }

    #[test]
    fn a_trap_kills_the_process_with_the_signal() {
        let h = with_program();
        let (pid, tid, _) = h.kernel.spawn_initial(prog("/tmp/prog", None, vec![])).unwrap();
        h.kernel.thread_trapped(tid, SIGSEGV);
        assert_eq!(h.kernel.process_status(pid), Some(w_termsig(SIGSEGV, false)));
        assert_eq!(exit_code(w_termsig(SIGSEGV, false)), 139);
        assert_eq!(h.kernel.reap(pid), Some(w_termsig(SIGSEGV, false)));
        assert!(!exists(&h, pid));
        h.kernel.thread_trapped(tid, SIGILL); // a late report changes nothing
        assert_eq!(h.kernel.process_status(pid), Some(w_termsig(SIGSEGV, false)));
    }

    #[test]
    fn a_vanished_thread_of_a_running_process_kills_it() {
        let h = with_program();
        let (pid, tid, _) = h.kernel.spawn_initial(prog("/tmp/prog", None, vec![])).unwrap();
        h.kernel.thread_exited(tid);
        assert_eq!(h.kernel.process_status(pid), Some(w_termsig(9, false)));
        assert_eq!(exit_code(w_termsig(9, false)), 137);
    }

    #[test]
    fn reap_only_takes_zombies_of_the_host() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process(Some(&a));
        b.call(SYS_exit_group, &[0]);
        assert_eq!(h.kernel.reap(b.pid), None, "b belongs to a");
        assert_eq!(h.kernel.reap(a.pid), None, "a still runs");
        a.call(SYS_exit_group, &[1]);
        assert_eq!(h.kernel.reap(a.pid), Some(w_exitcode(1)));
    }
}
