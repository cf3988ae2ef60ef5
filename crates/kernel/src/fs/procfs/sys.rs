//! `/proc/sys`: the few sysctls programs read (and root may set).

use super::root::{OSRELEASE, OSTYPE, VERSION};
use super::Node;
use crate::error::Result;
use crate::kernel::Ctx;
use crate::return_errno;

/// Directories under /proc/sys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysDir {
    Sys,
    Kernel,
    Fs,
}

impl SysDir {
    pub(super) fn parent(self) -> Option<SysDir> {
        match self {
            SysDir::Sys => None,
            SysDir::Kernel | SysDir::Fs => Some(SysDir::Sys),
        }
    }
}

/// Files under /proc/sys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysFile {
    Hostname,
    Domainname,
    Ostype,
    Osrelease,
    Version,
    PidMax,
    NgroupsMax,
    PipeMaxSize,
}

impl SysFile {
    pub(super) fn dir(self) -> SysDir {
        match self {
            SysFile::PipeMaxSize => SysDir::Fs,
            _ => SysDir::Kernel,
        }
    }

    /// Writable (by root): the UTS names.
    pub(super) fn writable(self) -> bool {
        matches!(self, SysFile::Hostname | SysFile::Domainname)
    }
}

/// Largest pipe capacity F_SETPIPE_SZ allows an unprivileged process
/// (Linux's default `pipe-max-size`).
pub const PIPE_MAX_SIZE: u32 = 1 << 20;
/// `NGROUPS_MAX`.
pub const NGROUPS_MAX: u32 = 65536;
/// `__NEW_UTS_LEN`: longest host and domain name.
const UTS_LEN: usize = 64;

pub(super) fn children(d: SysDir) -> Vec<(u64, Vec<u8>, Node)> {
    let list: &[(&str, Node)] = match d {
        SysDir::Sys => &[("fs", Node::SysDir(SysDir::Fs)), ("kernel", Node::SysDir(SysDir::Kernel))],
        SysDir::Kernel => &[
            ("domainname", Node::Sys(SysFile::Domainname)),
            ("hostname", Node::Sys(SysFile::Hostname)),
            ("ngroups_max", Node::Sys(SysFile::NgroupsMax)),
            ("osrelease", Node::Sys(SysFile::Osrelease)),
            ("ostype", Node::Sys(SysFile::Ostype)),
            ("pid_max", Node::Sys(SysFile::PidMax)),
            ("version", Node::Sys(SysFile::Version)),
        ],
        SysDir::Fs => &[("pipe-max-size", Node::Sys(SysFile::PipeMaxSize))],
    };
    list.iter().enumerate().map(|(i, (n, node))| (2 + i as u64, n.as_bytes().to_vec(), *node)).collect()
}

pub(super) fn generate(ctx: &mut Ctx, f: SysFile) -> Result<Vec<u8>> {
    let mut v = match f {
        SysFile::Hostname => ctx.st.sys.hostname.clone(),
        SysFile::Domainname => ctx.st.sys.domainname.clone(),
        SysFile::Ostype => OSTYPE.as_bytes().to_vec(),
        SysFile::Osrelease => OSRELEASE.as_bytes().to_vec(),
        SysFile::Version => VERSION.as_bytes().to_vec(),
        SysFile::PidMax => crate::process::PID_MAX.to_string().into_bytes(),
        SysFile::NgroupsMax => NGROUPS_MAX.to_string().into_bytes(),
        SysFile::PipeMaxSize => PIPE_MAX_SIZE.to_string().into_bytes(),
    };
    v.push(b'\n');
    Ok(v)
}

/// A write sets the whole value (up to the first newline), like Linux's
/// `proc_dostring`; names longer than 64 bytes are `EINVAL`. Permission
/// (root only) was checked at open.
pub(super) fn write(ctx: &mut Ctx, f: SysFile, data: &[u8]) -> Result<usize> {
    if !ctx.process().creds.is_root() {
        return_errno!(EACCES, "sysctl writes need root");
    }
    let value = data.split(|&c| c == b'\n').next().unwrap_or_default();
    if value.len() > UTS_LEN {
        return_errno!(EINVAL, "name longer than 64 bytes");
    }
    match f {
        SysFile::Hostname => ctx.st.sys.hostname = value.to_vec(),
        SysFile::Domainname => ctx.st.sys.domainname = value.to_vec(),
        _ => return_errno!(EACCES, "read-only sysctl"),
    }
    Ok(data.len())
}

#[cfg(test)]
mod tests {
    use wasmpod_abi::fcntl::{O_RDONLY, O_WRONLY};
    use wasmpod_abi::Errno;

    use super::super::test_util::*;
    use crate::fs::OpenFile;
    use crate::process::Credentials;
    use crate::testing::{Harness, Proc};

    fn write_file(p: &Proc, path: &str, data: &[u8]) -> crate::Result<usize> {
        let inode = walk(p, path)?;
        with(p, |ctx| {
            let ops = inode.open(ctx, O_WRONLY)?.expect("own ops");
            let f = OpenFile::new(ops, O_WRONLY);
            f.ops.write(ctx, &f, data)
        })
    }

    #[test]
    fn kernel_sysctls_read_like_linux() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(read_str(&p, "sys/kernel/ostype"), "Linux\n");
        assert_eq!(read_str(&p, "sys/kernel/osrelease"), "6.1.0-wasmpod\n");
        assert_eq!(read_str(&p, "sys/kernel/pid_max"), "32768\n");
        assert_eq!(read_str(&p, "sys/kernel/hostname"), "wasmpod\n");
        assert_eq!(read_str(&p, "sys/fs/pipe-max-size"), "1048576\n");
        assert_eq!(list(&p, "sys").unwrap(), vec![".", "..", "fs", "kernel"]);
    }

    #[test]
    fn root_can_write_the_hostname() {
        let h = Harness::new();
        let root = h.process_as(None, Credentials::root());
        assert_eq!(write_file(&root, "sys/kernel/hostname", b"box\n").unwrap(), 4);
        assert_eq!(read_str(&root, "sys/kernel/hostname"), "box\n");
        assert_eq!(h.kernel.with_state(|st| st.sys.hostname.clone()), b"box");
    }

    #[test]
    fn hostname_write_by_a_user_is_eacces() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(write_file(&p, "sys/kernel/hostname", b"evil").unwrap_err().errno(), Errno::EACCES);
        assert_eq!(read_str(&p, "sys/kernel/hostname"), "wasmpod\n");
        let m = stat(&p, "sys/kernel/hostname").unwrap();
        assert_eq!(m.mode & 0o777, 0o644);
        assert_eq!(m.uid, 0);
    }

    #[test]
    fn hostname_longer_than_64_bytes_is_einval() {
        let h = Harness::new();
        let root = h.process_as(None, Credentials::root());
        assert_eq!(write_file(&root, "sys/kernel/hostname", &[b'a'; 65]).unwrap_err().errno(), Errno::EINVAL);
    }

    #[test]
    fn read_only_sysctls_refuse_write_opens() {
        let h = Harness::new();
        let root = h.process_as(None, Credentials::root());
        let inode = walk(&root, "sys/kernel/ostype").unwrap();
        let e = with(&root, |ctx| inode.open(ctx, O_WRONLY).err()).unwrap();
        assert_eq!(e.errno(), Errno::EACCES);
        assert!(with(&root, |ctx| inode.open(ctx, O_RDONLY).is_ok()));
    }
}
