//! prctl(2): the options programs commonly use.
//!
//! `PR_SET_NAME`/`PR_GET_NAME` (the process's `comm`; Linux keeps one per
//! thread, we keep the process's), `PR_SET_PDEATHSIG`/`PR_GET_PDEATHSIG`,
//! `PR_SET_CHILD_SUBREAPER`/`PR_GET_CHILD_SUBREAPER` (used by exit's
//! reparenting), `PR_SET_NO_NEW_PRIVS`/`PR_GET_NO_NEW_PRIVS` (execve then
//! ignores set-user-ID bits), `PR_SET_DUMPABLE`/`PR_GET_DUMPABLE`. Every
//! other option is `EINVAL`, as Linux says for an unknown option.

use wasmpod_abi::misc::*;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// `TASK_COMM_LEN`: 16 bytes including the NUL.
pub const TASK_COMM_LEN: usize = 16;

/// Implements prctl(2): `prctl(option, arg2, arg3, arg4, arg5)`.
pub fn sys_prctl(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (option, arg2) = (a.u32(0), a.u32(1));
    let rest_zero = a.u32(2) == 0 && a.u32(3) == 0 && a.u32(4) == 0;
    match option {
        PR_SET_NAME => {
            let mut buf = [0u8; TASK_COMM_LEN];
            // Reads at most 16 bytes; the name ends at the first NUL or
            // after 15 bytes.
            let mut n = 0;
            while n < TASK_COMM_LEN - 1 {
                let mut b = [0u8; 1];
                ctx.read_user(arg2 + n as u32, &mut b)?;
                if b[0] == 0 {
                    break;
                }
                buf[n] = b[0];
                n += 1;
            }
            ctx.process_mut().comm = buf[..n].to_vec();
            Ok(0)
        }
        PR_GET_NAME => {
            let mut buf = [0u8; TASK_COMM_LEN];
            let comm = ctx.process().comm.clone();
            let n = comm.len().min(TASK_COMM_LEN - 1);
            buf[..n].copy_from_slice(&comm[..n]);
            ctx.write_user(arg2, &buf)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            if arg2 > wasmpod_abi::signal::SIGRTMAX {
                return_errno!(EINVAL, "prctl: invalid signal");
            }
            ctx.process_mut().misc.pdeath_signal = arg2;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let s = ctx.process().misc.pdeath_signal;
            ctx.write_u32(arg2, s)?;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            ctx.process_mut().misc.child_subreaper = arg2 != 0;
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = u32::from(ctx.process().misc.child_subreaper);
            ctx.write_u32(arg2, v)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            // prctl(2): arg2 must be 1 and the other arguments zero.
            if arg2 != 1 || !rest_zero {
                return_errno!(EINVAL, "prctl: PR_SET_NO_NEW_PRIVS takes 1, 0, 0, 0");
            }
            ctx.process_mut().misc.no_new_privs = true;
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if arg2 != 0 || !rest_zero {
                return_errno!(EINVAL, "prctl: PR_GET_NO_NEW_PRIVS takes no arguments");
            }
            Ok(i64::from(ctx.process().misc.no_new_privs))
        }
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return_errno!(EINVAL, "prctl: PR_SET_DUMPABLE takes 0 or 1");
            }
            ctx.process_mut().misc.not_dumpable = arg2 == 0;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(i64::from(!ctx.process().misc.not_dumpable)),
        _ => return_errno!(EINVAL, "prctl: unsupported option"),
    }
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::misc::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::process::testutil::*;
    use crate::testing::Harness;

    #[test]
    fn set_name_truncates_to_fifteen_bytes() {
        let h = Harness::new();
        let p = h.process(None);
        let name = p.cstr("a-very-long-thread-name");
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_NAME), name]), 0);
        let out = p.bytes(&[0xff; 16]);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_NAME), u64::from(out)]), 0);
        assert_eq!(p.read(out, 16), b"a-very-long-thr\0");
    }

    #[test]
    fn pdeathsig_round_trips_and_rejects_bad_signals() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_PDEATHSIG), 9]), 0);
        let out = p.alloc(4);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_PDEATHSIG), u64::from(out)]), 0);
        assert_eq!(p.read_u32(out), 9);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_PDEATHSIG), 65]), e(Errno::EINVAL));
    }

    #[test]
    fn no_new_privs_is_sticky_and_checks_arguments() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_NO_NEW_PRIVS), 0, 0, 0, 0]), 0);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_NO_NEW_PRIVS), 2, 0, 0, 0]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_NO_NEW_PRIVS), 1, 0, 0, 1]), e(Errno::EINVAL));
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0]), 0);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_NO_NEW_PRIVS), 0, 0, 0, 0]), 1);
    }

    #[test]
    fn dumpable_and_subreaper_round_trip() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_DUMPABLE)]), 1);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_DUMPABLE), 0]), 0);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_DUMPABLE)]), 0);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_SET_DUMPABLE), 2]), e(Errno::EINVAL));
        let out = p.alloc(4);
        p.sys(SYS_prctl, &[u64::from(PR_SET_CHILD_SUBREAPER), 1]);
        assert_eq!(p.sys(SYS_prctl, &[u64::from(PR_GET_CHILD_SUBREAPER), u64::from(out)]), 0);
        assert_eq!(p.read_u32(out), 1);
    }

    #[test]
    fn unknown_option_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(p.sys(SYS_prctl, &[0x5999]), e(Errno::EINVAL));
    }
}
