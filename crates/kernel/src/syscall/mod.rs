//! The syscall table: every number, its handler and its support level.
//!
//! The table is data. Each subsystem lists its calls in a `SYSCALLS` slice
//! next to its handlers (`fs::syscalls::SYSCALLS`, `process::SYSCALLS`, ...);
//! [`SyscallTable::build`] gathers them and fills every other number of the
//! asm-generic table with "not implemented". The same table produces
//! `docs/syscalls.md` ([`SyscallTable::markdown`]) and the trace output.

pub mod trace;

use wasmpod_abi::syscalls as nr;

use crate::error::Result;
use crate::kernel::Ctx;

/// A handler: decoded arguments in, the return value (or an error) out.
pub type Handler = fn(&mut Ctx, &SyscallArgs) -> Result<i64>;

/// How much of a call's Linux behaviour wasmpod gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Supported,
    /// Works, with the limits given.
    Partial(&'static str),
    /// Always `ENOSYS`, for the reason given.
    NoSys(&'static str),
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub nr: u32,
    pub handler: Option<Handler>,
    pub support: Support,
}

/// A fully supported call.
pub const fn sup(nr: u32, h: Handler) -> Entry {
    Entry { nr, handler: Some(h), support: Support::Supported }
}
/// A call that works with limits.
pub const fn partial(nr: u32, h: Handler, why: &'static str) -> Entry {
    Entry { nr, handler: Some(h), support: Support::Partial(why) }
}
/// A call that is deliberately `ENOSYS`.
pub const fn nosys(nr: u32, why: &'static str) -> Entry {
    Entry { nr, handler: None, support: Support::NoSys(why) }
}

/// The raw arguments of a call. Hosts pass each 32-bit wasm argument
/// zero-extended; 64-bit values arrive as two halves, low first
/// (ARCHITECTURE §3), and are joined with [`SyscallArgs::u64_pair`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyscallArgs(pub [u64; 6]);

impl SyscallArgs {
    pub fn u32(&self, i: usize) -> u32 {
        self.0[i] as u32
    }
    pub fn i32(&self, i: usize) -> i32 {
        self.0[i] as u32 as i32
    }
    /// A file descriptor argument (an `int`).
    pub fn fd(&self, i: usize) -> i32 {
        self.i32(i)
    }
    /// A user pointer.
    pub fn ptr(&self, i: usize) -> u32 {
        self.u32(i)
    }
    /// A `size_t`.
    pub fn usize(&self, i: usize) -> usize {
        self.u32(i) as usize
    }
    /// A 64-bit value passed as two halves at `lo` and `lo + 1`.
    pub fn u64_pair(&self, lo: usize) -> u64 {
        u64::from(self.u32(lo)) | (u64::from(self.u32(lo + 1)) << 32)
    }
    pub fn i64_pair(&self, lo: usize) -> i64 {
        self.u64_pair(lo) as i64
    }
}

/// The table, indexed by number.
pub struct SyscallTable {
    by_nr: Vec<Option<Entry>>,
}

/// Every subsystem's list. Adding a subsystem means adding it here.
fn subsystem_lists() -> [&'static [Entry]; 16] {
    [
        crate::fs::syscalls::SYSCALLS,
        crate::process::SYSCALLS,
        crate::signal::SYSCALLS,
        crate::tty::SYSCALLS,
        crate::time::SYSCALLS,
        crate::mm::SYSCALLS,
        crate::sync::SYSCALLS,
        crate::misc::SYSCALLS,
        crate::fs::xattr::SYSCALLS,
        crate::fs::advise::SYSCALLS,
        crate::fs::memfd::SYSCALLS,
        crate::process::capability::SYSCALLS,
        crate::process::personality::SYSCALLS,
        crate::process::unshare::SYSCALLS,
        crate::process::kcmp::SYSCALLS,
        crate::process::sched_rr::SYSCALLS,
    ]
}

impl SyscallTable {
    /// Gathers the subsystems' lists.
    ///
    /// # Panics
    /// If two subsystems claim the same number or a number is not in the
    /// ABI's table: both are programming errors caught by the unit tests.
    pub fn build() -> Self {
        let max = nr::SYSCALLS.iter().map(|(n, _)| *n).max().unwrap_or(0) as usize;
        let mut by_nr: Vec<Option<Entry>> = vec![None; max + 1];
        for (n, _) in nr::SYSCALLS {
            by_nr[*n as usize] = Some(nosys(*n, "not implemented yet"));
        }
        let mut claimed = vec![false; max + 1];
        for list in subsystem_lists() {
            for e in list {
                let i = e.nr as usize;
                assert!(i <= max && by_nr[i].is_some(), "syscall {} is not in the ABI table", e.nr);
                assert!(!claimed[i], "syscall {} ({:?}) registered twice", e.nr, nr::name(e.nr));
                claimed[i] = true;
                by_nr[i] = Some(*e);
            }
        }
        SyscallTable { by_nr }
    }

    /// The entry for a (canonical) number.
    pub fn get(&self, n: u32) -> Option<&Entry> {
        self.by_nr.get(n as usize).and_then(|e| e.as_ref())
    }

    /// Every entry, in numeric order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.by_nr.iter().flatten()
    }

    /// `(supported, partial, enosys)` counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for e in self.entries() {
            match e.support {
                Support::Supported => c.0 += 1,
                Support::Partial(_) => c.1 += 1,
                Support::NoSys(_) => c.2 += 1,
            }
        }
        c
    }

    /// `docs/syscalls.md`.
    pub fn markdown(&self) -> String {
        let (s, p, n) = self.counts();
        let mut out = String::new();
        out.push_str("# System call status\n\n");
        out.push_str("Generated from the kernel's syscall table by `cargo xtask docs` ");
        out.push_str("(checked by `cargo test -p wasmpod-kernel`); do not edit by hand.\n\n");
        out.push_str(&format!("{} supported, {} partial, {} not implemented ({} in all).\n\n", s, p, n, s + p + n));
        out.push_str("Numbers follow Linux's asm-generic table with 64-bit semantics; the riscv32-style\n");
        out.push_str("`*_time64` numbers 403–423 are aliases of the same calls. 1024 and up are wasmpod's own.\n\n");
        out.push_str("| nr | name | status | notes |\n|---:|---|---|---|\n");
        for e in self.entries() {
            let name = nr::name(e.nr).unwrap_or("?");
            let (status, note) = match e.support {
                Support::Supported => ("supported", ""),
                Support::Partial(why) => ("partial", why),
                Support::NoSys(why) => ("ENOSYS", why),
            };
            out.push_str(&format!("| {} | `{}` | {} | {} |\n", e.nr, name, status, note));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_builds_without_duplicates() {
        let t = SyscallTable::build();
        assert!(t.get(nr::SYS_read).is_some());
        assert!(t.get(5000).is_none());
    }

    #[test]
    fn docs_syscalls_md_is_current() {
        let t = SyscallTable::build();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/syscalls.md");
        let want = t.markdown();
        match std::fs::read_to_string(path) {
            Ok(have) if have == want => {}
            _ if std::env::var_os("WASMPOD_BLESS").is_some() => std::fs::write(path, want).expect("write docs"),
            _ => panic!("docs/syscalls.md is stale: run `cargo xtask docs` (or WASMPOD_BLESS=1 cargo test)"),
        }
    }
}
