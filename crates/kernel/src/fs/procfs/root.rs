//! The top of /proc: its listing and the system-wide files (meminfo,
//! cpuinfo, uptime, loadavg, version, filesystems, stat).

use super::{Node, SysDir, CLK_TCK};
use crate::error::Result;
use crate::kernel::Ctx;
use crate::platform::ClockKind;

/// `uname -s` / `/proc/sys/kernel/ostype`.
pub const OSTYPE: &str = "Linux";
/// `uname -r` / `/proc/sys/kernel/osrelease` (uname's value).
pub const OSRELEASE: &str = crate::misc::RELEASE;
/// `uname -v` / `/proc/sys/kernel/version` (uname's value).
pub const VERSION: &str = crate::misc::VERSION;
/// `MemTotal`: the same total as sysinfo(2) reports
/// ([`crate::misc::TOTAL_RAM`]); the kernel can't see how much memory the
/// host really has. `MemFree` is this minus the memory of every live
/// process.
pub const MEM_TOTAL: u64 = crate::misc::TOTAL_RAM as u64;

/// The system-wide files at the top of /proc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Cpuinfo,
    Filesystems,
    Loadavg,
    /// fs-fd: `/proc/locks` (`crate::fs::lock::LockGlobal::proc_locks`).
    Locks,
    Meminfo,
    Stat,
    Uptime,
    Version,
}

const FIXED: &[(&str, Node)] = &[
    ("cpuinfo", Node::Global(Global::Cpuinfo)),
    ("filesystems", Node::Global(Global::Filesystems)),
    ("loadavg", Node::Global(Global::Loadavg)),
    ("locks", Node::Global(Global::Locks)),
    ("meminfo", Node::Global(Global::Meminfo)),
    ("mounts", Node::MountsLink),
    ("self", Node::SelfLink),
    ("stat", Node::Global(Global::Stat)),
    ("sys", Node::SysDir(SysDir::Sys)),
    ("thread-self", Node::ThreadSelfLink),
    ("uptime", Node::Global(Global::Uptime)),
    ("version", Node::Global(Global::Version)),
];

/// Readdir positions of pid entries: `PID_POS + pid`, after every fixed entry.
const PID_POS: u64 = 1000;

/// The fixed entries, then every pid ascending.
pub(super) fn children(ctx: &Ctx) -> Vec<(u64, Vec<u8>, Node)> {
    let mut v: Vec<(u64, Vec<u8>, Node)> =
        FIXED.iter().enumerate().map(|(i, (n, node))| (2 + i as u64, n.as_bytes().to_vec(), *node)).collect();
    for pid in ctx.st.procs.procs.keys() {
        v.push((PID_POS + *pid as u64, pid.to_string().into_bytes(), Node::PidDir(*pid)));
    }
    v
}

/// Seconds and hundredths since boot.
fn uptime(ctx: &Ctx) -> (u64, u64) {
    let ns = ctx.now().saturating_sub(ctx.st.time.boot);
    (ns / 1_000_000_000, ns % 1_000_000_000 / 10_000_000)
}

/// `(running, total)` threads: running = not asleep in the kernel.
pub(super) fn thread_counts(ctx: &Ctx) -> (usize, usize) {
    let live = ctx.st.procs.threads.values().filter(|t| !t.exited);
    let (mut running, mut total) = (0, 0);
    for t in live {
        total += 1;
        if !t.sleeping {
            running += 1;
        }
    }
    (running, total)
}

pub(super) fn generate(ctx: &mut Ctx, g: Global) -> Result<Vec<u8>> {
    let text = match g {
        Global::Cpuinfo => cpuinfo(),
        Global::Filesystems => "nodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tdevpts\n\text2\n".to_string(),
        Global::Loadavg => {
            let (running, total) = thread_counts(ctx);
            format!("0.00 0.00 0.00 {}/{} {}\n", running, total, ctx.st.procs.last_id)
        }
        Global::Locks => ctx.st.fs.locks.proc_locks(),
        Global::Meminfo => meminfo(ctx),
        Global::Stat => stat(ctx),
        Global::Uptime => {
            // One CPU whose busy time isn't measured: idle time = uptime.
            let (s, cs) = uptime(ctx);
            format!("{s}.{cs:02} {s}.{cs:02}\n")
        }
        Global::Version => format!("Linux version {OSRELEASE} (wasmpod@wasmpod) (rustc) {VERSION}\n"),
    };
    Ok(text.into_bytes())
}

fn cpuinfo() -> String {
    // One processor, in x86's key layout (what most parsers expect).
    let mut s = String::new();
    for (k, v) in [
        ("processor", "0"),
        ("vendor_id", "wasmpod"),
        ("cpu family", "0"),
        ("model", "0"),
        ("model name", "wasm32"),
        ("stepping", "0"),
        ("cpu MHz", "1000.000"),
        ("physical id", "0"),
        ("siblings", "1"),
        ("core id", "0"),
        ("cpu cores", "1"),
        ("flags", ""),
        ("bogomips", "2000.00"),
        ("address sizes", "32 bits physical, 32 bits virtual"),
    ] {
        let tabs = if k.len() < 8 { "\t\t" } else { "\t" };
        s.push_str(&format!("{k}{tabs}: {v}\n"));
    }
    s.push('\n');
    s
}

fn meminfo(ctx: &Ctx) -> String {
    let total = MEM_TOTAL >> 10;
    let free = MEM_TOTAL.saturating_sub(crate::mm::used_memory(&ctx.st)) >> 10;
    let mut s = String::new();
    let mut line = |k: &str, v: u64| s.push_str(&format!("{:<16}{:>8} kB\n", format!("{k}:"), v));
    line("MemTotal", total);
    line("MemFree", free);
    line("MemAvailable", free);
    line("Buffers", 0);
    line("Cached", 0);
    line("SwapCached", 0);
    line("Active", 0);
    line("Inactive", 0);
    line("SwapTotal", 0);
    line("SwapFree", 0);
    line("Dirty", 0);
    line("Writeback", 0);
    line("AnonPages", total - free);
    line("Mapped", 0);
    line("Shmem", 0);
    line("Slab", 0);
    line("CommitLimit", total);
    line("Committed_AS", total - free);
    s
}

fn stat(ctx: &Ctx) -> String {
    let (s, cs) = uptime(ctx);
    let idle = s * CLK_TCK + cs * CLK_TCK / 100;
    let boot_ns = ctx.platform().now(ClockKind::Realtime).saturating_sub(ctx.now().saturating_sub(ctx.st.time.boot));
    let (running, _) = thread_counts(ctx);
    let mut out = String::new();
    out.push_str(&format!("cpu  0 0 0 {idle} 0 0 0 0 0 0\n"));
    out.push_str(&format!("cpu0 0 0 0 {idle} 0 0 0 0 0 0\n"));
    out.push_str("intr 0\nctxt 0\n");
    out.push_str(&format!("btime {}\n", boot_ns / 1_000_000_000));
    // Forks since boot: every id handed out (pids and tids share the counter).
    out.push_str(&format!("processes {}\n", ctx.st.procs.last_id));
    out.push_str(&format!("procs_running {running}\nprocs_blocked 0\n"));
    out.push_str("softirq 0 0 0 0 0 0 0 0 0 0 0\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::testing::Harness;

    #[test]
    fn meminfo_has_the_usual_fields_in_linux_format() {
        let h = Harness::new();
        let p = h.process(None);
        let text = read_str(&p, "meminfo");
        let first = text.lines().next().unwrap();
        assert_eq!(first, format!("MemTotal:       {:>8} kB", crate::misc::TOTAL_RAM >> 10));
        for key in ["MemFree:", "MemAvailable:", "Buffers:", "Cached:", "SwapTotal:", "SwapFree:"] {
            let line = text.lines().find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{key} in {text}"));
            assert!(line.ends_with(" kB"), "{line}");
            let v: u64 = line[key.len()..line.len() - 3].trim().parse().unwrap();
            assert!(v <= u64::from(crate::misc::TOTAL_RAM >> 10));
        }
    }

    #[test]
    fn meminfo_free_shrinks_when_a_process_maps_memory() {
        let h = Harness::new();
        let p = h.process(None);
        let free = |p: &crate::testing::Proc| -> u64 {
            let t = read_str(p, "meminfo");
            let l = t.lines().find(|l| l.starts_with("MemFree:")).unwrap();
            l[8..l.len() - 3].trim().parse().unwrap()
        };
        let before = free(&p);
        assert!(crate::mm::test_util::mmap_anon(&p, 8 << 20) > 0);
        assert!(free(&p) + 8 * 1024 <= before);
    }

    #[test]
    fn uptime_follows_the_clock() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(read_str(&p, "uptime"), "0.00 0.00\n");
        h.advance_ns(12_340_000_000);
        assert_eq!(read_str(&p, "uptime"), "12.34 12.34\n");
    }

    #[test]
    fn loadavg_counts_threads_and_the_last_pid() {
        let h = Harness::new();
        let a = h.process(None);
        let b = h.process(None);
        assert_eq!(read_str(&a, "loadavg"), format!("0.00 0.00 0.00 2/2 {}\n", b.pid));
        h.kernel.with_state(|st| st.procs.threads.get_mut(&b.pid).unwrap().sleeping = true);
        assert_eq!(read_str(&a, "loadavg"), format!("0.00 0.00 0.00 1/2 {}\n", b.pid));
    }

    #[test]
    fn version_cpuinfo_and_filesystems() {
        let h = Harness::new();
        let p = h.process(None);
        assert!(read_str(&p, "version").starts_with("Linux version 6.1.0-wasmpod "));
        let cpu = read_str(&p, "cpuinfo");
        assert!(cpu.contains("processor\t: 0\n"), "{cpu}");
        assert!(cpu.contains("model name\t: wasm32\n"), "{cpu}");
        assert_eq!(cpu.matches("processor").count(), 1);
        let fs = read_str(&p, "filesystems");
        for l in ["nodev\ttmpfs", "nodev\tproc", "nodev\tdevtmpfs", "nodev\tdevpts", "\text2"] {
            assert!(fs.lines().any(|x| x == l), "{l:?} in {fs:?}");
        }
    }

    #[test]
    fn proc_stat_has_cpu_btime_and_process_counts() {
        let h = Harness::new();
        let p = h.process(None);
        h.advance_ns(2_000_000_000);
        let s = read_str(&p, "stat");
        assert!(s.starts_with("cpu  0 0 0 200 "), "{s}");
        assert!(s.contains("\ncpu0 "));
        let btime: u64 = s.lines().find_map(|l| l.strip_prefix("btime ")).unwrap().parse().unwrap();
        // The fake clocks start at FAKE_EPOCH and monotonic 1 s, the kernel "boots" at monotonic 1 s.
        assert_eq!(btime, crate::testing::FAKE_EPOCH_NS / 1_000_000_000 + 1);
        assert!(s.contains(&format!("processes {}\n", p.pid)));
        assert!(s.contains("procs_running 1\n"));
    }
}
