//! `wait4`/`waitid` options and status encoding.

pub const WNOHANG: u32 = 1;
pub const WUNTRACED: u32 = 2;
pub const WSTOPPED: u32 = 2;
pub const WEXITED: u32 = 4;
pub const WCONTINUED: u32 = 8;
pub const WNOWAIT: u32 = 0x0100_0000;
pub const __WNOTHREAD: u32 = 0x2000_0000;
pub const __WALL: u32 = 0x4000_0000;
pub const __WCLONE: u32 = 0x8000_0000;

pub const P_ALL: u32 = 0;
pub const P_PID: u32 = 1;
pub const P_PGID: u32 = 2;
pub const P_PIDFD: u32 = 3;

/// Status of a normal exit: `(code & 0xff) << 8`.
pub const fn w_exitcode(code: i32) -> i32 {
    (code & 0xff) << 8
}
/// Status of a death by signal (bit 7 = core dumped).
pub const fn w_termsig(sig: u32, core: bool) -> i32 {
    (sig as i32 & 0x7f) | if core { 0x80 } else { 0 }
}
/// Status of a stop: `(sig << 8) | 0x7f`.
pub const fn w_stopcode(sig: u32) -> i32 {
    ((sig as i32) << 8) | 0x7f
}
/// Status of a continue: `0xffff`.
pub const W_CONTINUED: i32 = 0xffff;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn encodings_match_glibc_macros() {
        // WIFEXITED(s) = !(s & 0x7f); WEXITSTATUS(s) = (s >> 8) & 0xff
        let s = w_exitcode(3);
        assert_eq!(s & 0x7f, 0);
        assert_eq!((s >> 8) & 0xff, 3);
        // WIFSIGNALED: ((s & 0x7f) + 1) as i8 >= 2
        let s = w_termsig(9, false);
        assert!((((s & 0x7f) + 1) as i8) >= 2);
        // WIFSTOPPED: (s & 0xff) == 0x7f, WSTOPSIG = (s >> 8) & 0xff
        let s = w_stopcode(19);
        assert_eq!(s & 0xff, 0x7f);
        assert_eq!((s >> 8) & 0xff, 19);
    }
}
