//! A syscall fuzzer: random calls with random (often nearly valid) arguments
//! from a few processes, checking after every call that the kernel neither
//! panicked nor returned something no Linux call returns, and every few
//! calls that the process table is consistent.
//!
//! Calls may block (a read on an empty pipe, wait4, a futex): a watchdog
//! thread notices a sleeping caller, first advances the fake clock (so
//! timeouts fire), then sends the caller SIGKILL. Processes that die are
//! replaced, so the run goes on.
//!
//! `cargo test` runs a short fuzz; the long run is
//! `cargo run --release -p wasmpod-kernel --features testing --example fuzz_syscalls -- --calls 1000000`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use wasmpod_abi::signal::{
    k_sigaction, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_SIGINFO, SIGALRM, SIGCHLD, SIGKILL, SIGUSR1,
    SIGUSR2, SIGWINCH,
};
use wasmpod_abi::syscalls as nr;

use crate::kernel::{Action, State};
use crate::signal::{send_to_process, Delivery, SigInfo};
use crate::syscall::Support;
use crate::testing::{Harness, Proc};

/// A small deterministic RNG (splitmix64), so a seed reproduces a run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Paths the fuzzer likes: existing, missing, special, and malformed.
const PATHS: &[&str] = &[
    "/",
    "/tmp",
    "/tmp/f",
    "/tmp/d",
    "/tmp/d/x",
    "/tmp/link",
    "/tmp/fifo",
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts/0",
    "/proc/self/stat",
    "/proc/self/fd/0",
    "/proc/self/exe",
    "/proc/1/status",
    "/home/user",
    "..",
    ".",
    "",
    "a/b/../c/",
    "/tmp//f/",
    "/nonexistent/x",
];

/// What a run saw.
#[derive(Debug, Default, Clone)]
pub struct FuzzReport {
    pub calls: u64,
    pub errors: u64,
    pub interrupted_by_watchdog: u64,
    pub processes_replaced: u64,
    pub signals_delivered: u64,
}

struct Actor {
    proc: Proc,
    bufs: Vec<u32>,
    paths: Vec<u64>,
}

const ACTORS: usize = 4;
const BUF_LEN: usize = 4096;

fn new_actor(h: &Harness, parent: Option<&Proc>, rng: &mut Rng) -> Actor {
    let proc =
        if rng.chance(20) { h.process_as(parent, crate::process::Credentials::root()) } else { h.process(parent) };
    let bufs = (0..4)
        .map(|_| {
            let b = proc.alloc(BUF_LEN);
            let junk: Vec<u8> = (0..BUF_LEN).map(|_| rng.next_u64() as u8).collect();
            proc.write(b, &junk);
            b
        })
        .collect();
    let paths = PATHS.iter().map(|p| proc.cstr(p)).collect();
    // Handlers for a few signals, so delivery builds frames (the fuzzer
    // never runs them; it only checks the kernel stays sound).
    for sig in [SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH] {
        let flags = [0, SA_RESTART, SA_SIGINFO, SA_NODEFER | SA_RESETHAND, SA_ONSTACK][rng.below(5) as usize];
        let act = k_sigaction { handler: 0x4000 + sig, flags, restorer: 0, mask: [rng.next_u64() as u32, 0] };
        let at = proc.put_struct(&act);
        proc.sys(nr::SYS_rt_sigaction, &[u64::from(sig), u64::from(at), 0, 8]);
    }
    Actor { proc, bufs, paths }
}

/// The numbers worth calling most: everything the table implements.
fn implemented(h: &Harness) -> Vec<u32> {
    h.kernel.table().entries().filter(|e| !matches!(e.support, Support::NoSys(_))).map(|e| e.nr).collect()
}

fn gen_arg(rng: &mut Rng, a: &Actor) -> u64 {
    let mem_size = crate::testing::TEST_MEM as u64;
    match rng.below(12) {
        0 => rng.below(16),
        1 => rng.below(8),                             // an fd
        2 => u64::from((-100i32) as u32),              // AT_FDCWD
        3 => u64::from(a.bufs[rng.below(4) as usize]), // a valid buffer
        4 => u64::from(a.bufs[rng.below(4) as usize]) + rng.below(64),
        5 => a.paths[rng.below(a.paths.len() as u64) as usize],
        6 => 0, // NULL
        7 => [0xffff_fff0u64, mem_size - 2, mem_size, 0x8000_0000][rng.below(4) as usize],
        8 => u64::from(rng.next_u64() as u32),
        9 => 1 << rng.below(32), // one flag bit
        10 => u64::from(rng.next_u64() as u32 & rng.next_u64() as u32 & rng.next_u64() as u32), // few bits
        _ => [BUF_LEN as u64, 64, 1, 0x7fff_ffff, 0xffff_ffff][rng.below(5) as usize],
    }
}

/// Checks relations the whole kernel relies on.
pub fn check_invariants(st: &State) -> Result<(), String> {
    for (tid, t) in &st.procs.threads {
        if t.tid != *tid {
            return Err(format!("thread {tid} stored under the wrong id {}", t.tid));
        }
        if t.exited {
            continue;
        }
        let Some(p) = st.procs.procs.get(&t.pid) else {
            return Err(format!("live thread {tid} of missing process {}", t.pid));
        };
        if !p.threads.contains(tid) {
            return Err(format!("thread {tid} not listed by its process {}", t.pid));
        }
    }
    for (pid, p) in &st.procs.procs {
        if p.pid != *pid {
            return Err(format!("process {pid} stored under the wrong id {}", p.pid));
        }
        for c in &p.children {
            match st.procs.procs.get(c) {
                Some(cp) if cp.ppid == *pid => {}
                Some(cp) => return Err(format!("child {c} of {pid} names {} as parent", cp.ppid)),
                None => return Err(format!("process {pid} lists missing child {c}")),
            }
        }
        if p.ppid != 0 {
            match st.procs.procs.get(&p.ppid) {
                Some(pp) if pp.children.contains(pid) => {}
                Some(_) => return Err(format!("parent {} does not list child {pid}", p.ppid)),
                None => return Err(format!("process {pid} has missing parent {}", p.ppid)),
            }
        }
    }
    Ok(())
}

/// Runs `calls` random syscalls with `seed`.
pub fn run(calls: u64, seed: u64) -> Result<FuzzReport, String> {
    let h = Harness::new();
    let mut rng = Rng::new(seed);
    let mut report = FuzzReport::default();
    let numbers = implemented(&h);
    let first = new_actor(&h, None, &mut rng);
    let mut actors = vec![first];
    for _ in 1..ACTORS {
        let parent = actors[0].proc.clone();
        let a = new_actor(&h, Some(&parent), &mut rng);
        actors.push(a);
    }

    // The watchdog: interrupts callers that sleep in the kernel.
    let stop = Arc::new(AtomicBool::new(false));
    let in_call = Arc::new(AtomicBool::new(false));
    let kicks = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watchdog = {
        let (kernel, platform) = (h.kernel.clone(), h.platform.clone());
        let (stop, in_call, kicks) = (stop.clone(), in_call.clone(), kicks.clone());
        std::thread::spawn(move || {
            let mut patience = 0u32;
            while !stop.load(Ordering::Relaxed) {
                // A monitor, not a test waiting for an event: polling the
                // kernel lock in a tight loop would slow every call down.
                std::thread::sleep(std::time::Duration::from_millis(1));
                if !in_call.load(Ordering::Relaxed) {
                    patience = 0;
                    continue;
                }
                let sleeper =
                    kernel.with_state(|st| st.procs.threads.values().find(|t| t.sleeping).map(|t| (t.tid, t.pid)));
                let Some((_, pid)) = sleeper else {
                    patience = 0;
                    continue;
                };
                patience += 1;
                if patience == 5 {
                    // First let time pass: timeouts fire.
                    platform.advance_ns(1_000_000_000);
                    kernel.clock_changed();
                } else if patience > 20 {
                    kernel.with_state(|st| send_to_process(st, pid, SigInfo::kernel(SIGKILL)));
                    kernel.clock_changed();
                    kicks.fetch_add(1, Ordering::Relaxed);
                    patience = 0;
                }
            }
        })
    };

    let mut result = Ok(());
    let mut i = 0u64;
    while report.calls < calls {
        i += 1;
        let ai = rng.below(actors.len() as u64) as usize;
        let nr = if rng.chance(90) && !numbers.is_empty() {
            numbers[rng.below(numbers.len() as u64) as usize]
        } else {
            rng.below(1100) as u32
        };
        // Exits end actors; keep them rare so the run explores more.
        if (nr == nr::SYS_exit || nr == nr::SYS_exit_group) && !rng.chance(2) {
            continue;
        }
        let args: Vec<u64> = (0..6).map(|_| gen_arg(&mut rng, &actors[ai])).collect();
        in_call.store(true, Ordering::Relaxed);
        let r = actors[ai].proc.call(nr, &args);
        report.calls += 1;
        let ok_value = r.value >= 0 || (-133..=-1).contains(&r.value);
        if !ok_value {
            result = Err(format!("call {i}: {}({args:x?}) returned {}", nr::name(nr).unwrap_or("?"), r.value));
            in_call.store(false, Ordering::Relaxed);
            break;
        }
        if r.value < 0 {
            report.errors += 1;
        }
        let mut dead = matches!(r.action, Action::ExitThread);
        if r.signal_pending && !dead {
            let mut mem = actors[ai].proc.mem.clone();
            // Deliver what is pending, as a host would (bounded: a handler
            // frame per signal; the fuzzer does not run handlers).
            for _ in 0..8 {
                match h.kernel.deliver_signal(actors[ai].proc.tid, &mut mem, 0x20_0000) {
                    Delivery::None => break,
                    Delivery::Handler(_) => report.signals_delivered += 1,
                    Delivery::ExitThread => {
                        dead = true;
                        break;
                    }
                }
            }
        }
        in_call.store(false, Ordering::Relaxed);
        if dead {
            let parent = actors.iter().find(|a| a.proc.pid != actors[ai].proc.pid).map(|a| a.proc.clone());
            actors[ai] = new_actor(&h, parent.as_ref(), &mut rng);
            report.processes_replaced += 1;
        }
        if i.is_multiple_of(256) {
            if let Err(e) = h.kernel.with_state(|st| check_invariants(st)) {
                result = Err(format!("after call {i} ({}): {e}", nr::name(nr).unwrap_or("?")));
                break;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    report.interrupted_by_watchdog = kicks.load(Ordering::Relaxed);
    result.map(|()| report)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fuzz_short_run_keeps_invariants() {
        let report = super::run(20_000, 7).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.calls, 20_000, "{report:?}");
    }

    #[test]
    fn rng_is_deterministic() {
        let (mut a, mut b) = (super::Rng::new(3), super::Rng::new(3));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }
}
