//! wasmpod's `SYS_spawn` (1025): posix_spawn in one call.
//!
//! `spawn(pid_out, path, file_actions, attr, argv, envp)`, all pointers:
//! - `pid_out`: `pid_t *` receiving the child's pid on success (may be NULL);
//! - `path`: the program, resolved like execve's (relative to the child's
//!   cwd after the file actions; libc's `posix_spawnp` searches `PATH`
//!   itself and calls with each candidate);
//! - `file_actions`: a [`spawn_file_actions`] (may be NULL = none);
//! - `attr`: a [`spawn_attr`] (may be NULL = no flags);
//! - `argv`, `envp`: NULL-terminated arrays of string pointers, as execve.
//!
//! Returns 0 or `-errno`; on failure no child exists.

abi_struct! {
    /// The list of file actions: `count` records of [`spawn_file_action`]
    /// at `actions`.
    pub struct spawn_file_actions, size 8 {
        pub count: u32 => 0,
        pub actions: u32 => 4,
    }
}

abi_struct! {
    /// One file action, applied in order in the child:
    /// - `FDOP_CLOSE`: close `fd` (not an error if it isn't open, like musl);
    /// - `FDOP_DUP2`: dup2(`fd`, `arg`) — when equal, clears `FD_CLOEXEC`;
    /// - `FDOP_OPEN`: open(`path`, `arg` = oflag, `mode`) onto `fd`;
    /// - `FDOP_CHDIR`: chdir(`path`);
    /// - `FDOP_FCHDIR`: fchdir(`fd`).
    pub struct spawn_file_action, size 20 {
        pub kind: u32 => 0,
        pub fd: i32 => 4,
        pub arg: u32 => 8,
        pub mode: u32 => 12,
        pub path: u32 => 16,
    }
}

abi_struct! {
    /// Spawn attributes (`posix_spawnattr_t`'s meaningful part).
    pub struct spawn_attr, size 24 {
        /// `POSIX_SPAWN_*` flags.
        pub flags: u32 => 0,
        /// The group for `POSIX_SPAWN_SETPGROUP` (0 = a new group).
        pub pgroup: i32 => 4,
        /// The mask for `POSIX_SPAWN_SETSIGMASK` (bit n-1 = signal n).
        pub sigmask: u64 => 8,
        /// Signals set to `SIG_DFL` with `POSIX_SPAWN_SETSIGDEF`.
        pub sigdefault: u64 => 16,
    }
}

/// File action kinds (musl's values).
pub const FDOP_CLOSE: u32 = 1;
pub const FDOP_DUP2: u32 = 2;
pub const FDOP_OPEN: u32 = 3;
pub const FDOP_CHDIR: u32 = 4;
pub const FDOP_FCHDIR: u32 = 5;

/// `posix_spawnattr_setflags` flags (musl's and glibc's values).
pub const POSIX_SPAWN_RESETIDS: u32 = 0x01;
pub const POSIX_SPAWN_SETPGROUP: u32 = 0x02;
pub const POSIX_SPAWN_SETSIGDEF: u32 = 0x04;
pub const POSIX_SPAWN_SETSIGMASK: u32 = 0x08;
pub const POSIX_SPAWN_SETSCHEDPARAM: u32 = 0x10;
pub const POSIX_SPAWN_SETSCHEDULER: u32 = 0x20;
pub const POSIX_SPAWN_USEVFORK: u32 = 0x40;
pub const POSIX_SPAWN_SETSID: u32 = 0x80;

/// Most file actions one spawn takes (a sanity bound on `count`).
pub const SPAWN_MAX_ACTIONS: u32 = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn layouts() {
        crate::layout::assert_no_overlap(spawn_file_actions::FIELDS);
        crate::layout::assert_no_overlap(spawn_file_action::FIELDS);
        crate::layout::assert_no_overlap(spawn_attr::FIELDS);
    }
}
