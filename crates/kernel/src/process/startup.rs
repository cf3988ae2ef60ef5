//! `wasmpod_startup` (wasmpod's call 1026): how a new program image learns
//! its arguments, environment and auxiliary vector (docs/program-abi.md,
//! "Starting a program").
//!
//! A wasm program has no initial stack prepared by the kernel. Instead,
//! crt1's first act is
//! `block = __syscall_wasmpod_startup(&__heap_base, 0, 0, 0, 0, 0)`, and the
//! kernel
//! 1. writes the **startup block** at `heap_base` (rounded up to 16 bytes),
//!    growing the memory if needed: Linux's initial-stack layout with
//!    4-byte words and absolute pointers —
//!    ```text
//!    argc
//!    argv[0] … argv[argc-1], 0
//!    envp[0] … envp[n-1], 0
//!    auxv (type, value) pairs, ending with (AT_NULL, 0)
//!    the 16 AT_RANDOM bytes (16-byte aligned)
//!    argv strings, envp strings, the AT_EXECFN string (NUL-terminated)
//!    ```
//! 2. sets up the process's memory map for the new image (what
//!    [`crate::mm::init_memory`] does for hosts): the program break starts
//!    right after the block, rounded up to 16 bytes;
//! 3. returns the block's address.
//!
//! A second call in the same image returns the same address and changes
//! nothing (execve starts a new image: the map, and with it the record of
//! the block, is emptied by `exit_mm`). The call must come before any other
//! memory call of the image: it replaces the memory map.
//!
//! The auxiliary vector: `AT_PAGESZ` (4096), `AT_CLKTCK` (100, `USER_HZ`),
//! `AT_UID`/`AT_EUID`/`AT_GID`/`AT_EGID` (the credentials now, i.e. after
//! set-user-ID bits applied), `AT_SECURE` (1 when the real and effective
//! ids differ, which is what Linux's `secureexec` amounts to without
//! capabilities), `AT_RANDOM` (16 bytes from `Platform::random`),
//! `AT_EXECFN` (the name given to execve, Linux's `bprm->filename`),
//! `AT_HWCAP` (0: no hardware capabilities to advertise) and
//! `AT_MINSIGSTKSZ` (the ABI's `MINSIGSTKSZ`).
//!
//! Errors: `heap_base` 0 is `EFAULT` (a NULL pointer); a block that would
//! reach past the mappable space or past the memory's maximum is `ENOMEM`.
//! Nothing is written and the map is untouched on failure.

use wasmpod_abi::misc::{
    AT_CLKTCK, AT_EGID, AT_EUID, AT_EXECFN, AT_GID, AT_HWCAP, AT_NULL, AT_PAGESZ, AT_RANDOM, AT_SECURE, AT_UID,
};
use wasmpod_abi::mman::PAGE_SIZE;

use crate::error::Result;
use crate::kernel::Ctx;
use crate::mm::{mm_owner, MMAP_END};
use crate::syscall::SyscallArgs;
use crate::{errno, return_errno};

/// `AT_MINSIGSTKSZ` (Linux 5.14+; not yet in `wasmpod_abi::misc`).
pub const AT_MINSIGSTKSZ: u32 = 51;
/// `USER_HZ`: the unit of `times(2)` and `/proc/<pid>/stat` (`AT_CLKTCK`).
pub const USER_HZ: u32 = 100;
/// Bytes of `AT_RANDOM` data (Linux gives 16).
const RANDOM_BYTES: usize = 16;

fn align16(x: u64) -> u64 {
    x.div_ceil(16) * 16
}

/// The block's contents, built for address `base`.
fn build_block(
    base: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &[(u32, u32)],
    execfn: &[u8],
    random: &[u8],
) -> Vec<u8> {
    // Header words: argc, argv + NULL, envp + NULL, auxv pairs (+ AT_NULL
    // pair, added here; AT_RANDOM and AT_EXECFN values are filled in below).
    let nwords = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (aux.len() + 3);
    let header = (nwords * 4) as u64;
    let random_at = base + align16(header);
    let strings_at = random_at + RANDOM_BYTES as u64;
    let mut strings = Vec::new();
    let mut place = |s: &[u8]| -> u32 {
        let at = strings_at + strings.len() as u64;
        strings.extend_from_slice(s);
        strings.push(0);
        at as u32
    };
    let argv_ptrs: Vec<u32> = argv.iter().map(|s| place(s)).collect();
    let envp_ptrs: Vec<u32> = envp.iter().map(|s| place(s)).collect();
    let execfn_ptr = place(execfn);

    let mut words: Vec<u32> = Vec::with_capacity(nwords);
    words.push(argv.len() as u32);
    words.extend(&argv_ptrs);
    words.push(0);
    words.extend(&envp_ptrs);
    words.push(0);
    for &(k, v) in aux {
        words.extend([k, v]);
    }
    words.extend([AT_RANDOM, random_at as u32, AT_EXECFN, execfn_ptr, AT_NULL, 0]);
    debug_assert_eq!(words.len(), nwords);

    let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    out.resize((random_at - base) as usize, 0);
    out.extend_from_slice(random);
    out.extend_from_slice(&strings);
    out
}

/// Implements `wasmpod_startup(heap_base)`: see the module docs.
pub fn sys_wasmpod_startup(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let owner = mm_owner(&ctx.st, ctx.tid);
    let existing = ctx.st.procs.procs.get(&owner).and_then(|p| p.mm.startup_block());
    if let Some(addr) = existing {
        return Ok(i64::from(addr));
    }
    let heap_base = a.u32(0);
    if heap_base == 0 {
        return_errno!(EFAULT, "wasmpod_startup: NULL heap base");
    }
    let base = align16(u64::from(heap_base));

    let p = ctx.process();
    let creds = &p.creds;
    let aux = [
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, USER_HZ),
        (AT_UID, creds.uid),
        (AT_EUID, creds.euid),
        (AT_GID, creds.gid),
        (AT_EGID, creds.egid),
        (AT_SECURE, u32::from(creds.uid != creds.euid || creds.gid != creds.egid)),
        (AT_HWCAP, 0),
        (AT_MINSIGSTKSZ, wasmpod_abi::signal::MINSIGSTKSZ),
    ];
    let (argv, envp, execfn) = (p.argv.clone(), p.envp.clone(), p.execfn.clone());
    let mut random = [0u8; RANDOM_BYTES];
    ctx.platform().random(&mut random);

    // The size doesn't depend on `base`: build once at `base` and check.
    let block = build_block(base, &argv, &envp, &aux, &execfn, &random);
    let end = base + block.len() as u64;
    let brk = align16(end);
    if brk > MMAP_END {
        return_errno!(ENOMEM, "wasmpod_startup: block beyond the address space");
    }
    if brk > ctx.mem.size() {
        ctx.mem.grow_to(brk).map_err(|_| errno!(ENOMEM, "wasmpod_startup: memory can't grow to hold the block"))?;
    }
    ctx.write_user(base as u32, &block)?;
    let size = ctx.mem.size();
    let p = ctx.st.procs.procs.get_mut(&owner).ok_or(errno!(ESRCH, "wasmpod_startup: caller has no process"))?;
    p.mm.init_with_startup_block(base as u32, brk as u32, size);
    Ok(base as i64)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use wasmpod_abi::misc::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use super::AT_MINSIGSTKSZ;
    use crate::kernel::Action;
    use crate::process::testutil::*;
    use crate::process::Credentials;
    use crate::testing::{Harness, Proc};
    use crate::UserMemory;

    /// Where the tests put `__heap_base`: well above the harness's scratch
    /// allocations, inside its 4 MiB memory.
    const HEAP: u64 = 0x20_0000;

    fn exec(p: &Proc, path: &str, argv: &[&str], envp: &[&str]) {
        let (a, e) = (p.cstr_array(argv), p.cstr_array(envp));
        let r = p.call(SYS_execve, &[p.cstr(path), a, e]);
        assert!(matches!(r.action, Action::Exec(_)), "execve failed: {}", r.value);
    }

    fn startup(p: &Proc, heap_base: u64) -> i64 {
        p.sys(SYS_wasmpod_startup, &[heap_base])
    }

    fn cstr_at(p: &Proc, addr: u32) -> String {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let c = p.read(at, 1)[0];
            if c == 0 {
                return String::from_utf8(out).unwrap();
            }
            out.push(c);
            at += 1;
        }
    }

    /// Decodes a block: argv, envp, auxv, the end of its header.
    fn parse(p: &Proc, block: u32) -> (Vec<String>, Vec<String>, BTreeMap<u32, u32>) {
        let argc = p.read_u32(block);
        let mut at = block + 4;
        let argv: Vec<String> = (0..argc).map(|i| cstr_at(p, p.read_u32(at + 4 * i))).collect();
        at += 4 * argc;
        assert_eq!(p.read_u32(at), 0, "argv ends with NULL");
        at += 4;
        let mut envp = Vec::new();
        while p.read_u32(at) != 0 {
            envp.push(cstr_at(p, p.read_u32(at)));
            at += 4;
        }
        at += 4;
        let mut aux = BTreeMap::new();
        loop {
            let (k, v) = (p.read_u32(at), p.read_u32(at + 4));
            at += 8;
            if k == AT_NULL {
                assert_eq!(v, 0);
                break;
            }
            assert!(aux.insert(k, v).is_none(), "AT {k} twice");
        }
        (argv, envp, aux)
    }

    #[test]
    fn the_block_has_linux_initial_stack_layout_byte_by_byte() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        exec(&p, "/tmp/prog", &["a", "bc"], &["X=1"]);
        let b = startup(&p, HEAP + 4) as u32;
        assert_eq!(u64::from(b), HEAP + 16, "heap_base rounded up to 16");
        // 1 + (2+1) + (1+1) + 2*12 words = 30 words = 120 bytes, then the
        // random bytes at the next 16-byte boundary (128), then strings.
        let rnd = b + 128;
        let s = b + 144;
        let mut want: Vec<u32> = vec![2, s, s + 2, 0, s + 5, 0];
        want.extend([AT_PAGESZ, 4096, AT_CLKTCK, 100, AT_UID, 1000, AT_EUID, 1000, AT_GID, 1000, AT_EGID, 1000]);
        want.extend([AT_SECURE, 0, AT_HWCAP, 0, AT_MINSIGSTKSZ, 2048, AT_RANDOM, rnd, AT_EXECFN, s + 9, AT_NULL, 0]);
        let mut bytes: Vec<u8> = want.iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes.extend([0; 8]);
        assert_eq!(p.read(b, 128), bytes);
        let random = p.read(rnd, 16);
        assert_ne!(random, vec![0; 16], "AT_RANDOM comes from Platform::random");
        assert_eq!(p.read(s, 19), b"a\0bc\0X=1\0/tmp/prog\0");
        // The break starts after the block, 16-byte aligned.
        let end = u64::from(s) + 19;
        assert_eq!(p.sys(SYS_brk, &[0]), end.div_ceil(16) as i64 * 16);
        let (argv, envp, aux) = parse(&p, b);
        assert_eq!((argv, envp), (vec!["a".to_string(), "bc".into()], vec!["X=1".to_string()]));
        assert_eq!(aux.len(), 11);
    }

    #[test]
    fn a_second_call_returns_the_same_block_and_changes_nothing() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        exec(&p, "/tmp/prog", &["prog"], &[]);
        let b = startup(&p, HEAP);
        assert_eq!(b, HEAP as i64);
        let grown = HEAP as i64 + 0x10000;
        assert_eq!(p.sys(SYS_brk, &[grown as u64]), grown);
        p.write(b as u32, &[9]);
        assert_eq!(startup(&p, HEAP + 0x1000), b);
        assert_eq!(p.read(b as u32, 1), [9], "not rewritten");
        assert_eq!(p.sys(SYS_brk, &[0]), grown, "the heap is kept");
    }

    #[test]
    fn exec_starts_a_new_block_with_the_new_arguments() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        exec(&p, "/tmp/prog", &["one"], &[]);
        assert_eq!(startup(&p, HEAP), HEAP as i64);
        assert_eq!(p.call(SYS_chdir, &[p.cstr("/tmp")]).value, 0);
        exec(&p, "./prog", &["two", "args"], &["E=v"]);
        let b = startup(&p, HEAP + 0x1000);
        assert_eq!(b, HEAP as i64 + 0x1000);
        let (argv, envp, aux) = parse(&p, b as u32);
        assert_eq!(argv, ["two", "args"]);
        assert_eq!(envp, ["E=v"]);
        assert_eq!(cstr_at(&p, aux[&AT_EXECFN]), "./prog", "AT_EXECFN is the name given to execve");
    }

    #[test]
    fn credentials_and_at_secure_follow_set_user_id() {
        let h = Harness::new();
        let root = h.process_as(None, Credentials::root());
        make_file(&root, "/tmp/su", WASM, 0o4755);
        let u = h.process(None);
        exec(&u, "/tmp/su", &["su"], &[]);
        let (_, _, aux) = parse(&u, startup(&u, HEAP) as u32);
        assert_eq!((aux[&AT_UID], aux[&AT_EUID], aux[&AT_SECURE]), (1000, 0, 1));
        assert_eq!((aux[&AT_GID], aux[&AT_EGID]), (1000, 1000));
    }

    #[test]
    fn random_bytes_differ_between_images() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        exec(&p, "/tmp/prog", &["prog"], &[]);
        let (_, _, aux) = parse(&p, startup(&p, HEAP) as u32);
        let r1 = p.read(aux[&AT_RANDOM], 16);
        exec(&p, "/tmp/prog", &["prog"], &[]);
        let (_, _, aux) = parse(&p, startup(&p, HEAP) as u32);
        assert_ne!(r1, p.read(aux[&AT_RANDOM], 16));
    }

    #[test]
    fn the_memory_grows_to_hold_a_block_at_its_end() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        let big = "z".repeat(100_000);
        exec(&p, "/tmp/prog", &["prog", &big], &[]);
        let size = p.mem.size();
        let b = startup(&p, size - 16);
        assert_eq!(b, size as i64 - 16);
        assert!(p.mem.size() > size + 100_000);
        let (argv, _, _) = parse(&p, b as u32);
        assert_eq!(argv[1].len(), 100_000);
        assert!(p.sys(SYS_brk, &[0]) as u64 <= p.mem.size());
    }

    #[test]
    fn bad_heap_bases_fail_without_damage() {
        let h = Harness::new();
        let p = h.process(None);
        make_program(&p, "/tmp/prog");
        exec(&p, "/tmp/prog", &["prog"], &[]);
        let size = p.mem.size();
        assert_eq!(startup(&p, 0), e(Errno::EFAULT));
        assert_eq!(startup(&p, 0xffff_fff0), e(Errno::ENOMEM), "past the mappable space");
        assert_eq!(startup(&p, 100 << 20), e(Errno::ENOMEM), "past the memory's 64 MiB maximum");
        assert_eq!(p.mem.size(), size, "memory untouched");
        let pid = p.pid;
        assert!(!st(&h, |s| s.procs.procs[&pid].mm.is_initialized()), "map untouched");
        assert_eq!(startup(&p, HEAP), HEAP as i64, "a good call still works");
    }
}
