//! mmap(2) and munmap(2).

use wasmpod_abi::fs::{S_IFCHR, S_IFMT, S_IFREG};
use wasmpod_abi::misc::RLIMIT_AS;
use wasmpod_abi::mman::*;

use super::{
    ensure_memory, fill_from_file, page_range, page_up, with_mm, write_back, zero_user, Backing, FileBacking, Region,
    MMAP_END, PAGE,
};
use crate::error::Result;
use crate::fs::devices::{makedev, MEM_MAJOR};
use crate::kernel::Ctx;
use crate::return_errno;
use crate::syscall::SyscallArgs;

/// `/dev/zero`: mapping it gives anonymous memory.
const DEV_ZERO: u64 = makedev(MEM_MAJOR, 5);

/// Implements mmap(2): `(addr, length, prot, flags, fd, pgoff)`, where
/// `pgoff` is the file offset in 4096-byte units (mmap2(2) semantics; the
/// 32-bit asm-generic `mmap` is mmap2). Returns the mapping's address.
/// See the module docs for what file mappings support.
pub fn sys_mmap(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let (addr, len, prot, flags, fd, pgoff) = (a.ptr(0), a.usize(1), a.u32(2), a.u32(3), a.fd(4), a.u32(5));
    let anon = flags & MAP_ANONYMOUS != 0;
    let shared = match flags & MAP_TYPE {
        MAP_SHARED => true,
        MAP_PRIVATE => false,
        MAP_SHARED_VALIDATE => {
            // "MAP_SHARED_VALIDATE ... fails with EOPNOTSUPP if unknown flags are passed".
            if flags & !MAP_KNOWN != 0 {
                return_errno!(EOPNOTSUPP, "mmap: unknown flags with MAP_SHARED_VALIDATE");
            }
            true
        }
        _ => return_errno!(EINVAL, "mmap: neither MAP_SHARED nor MAP_PRIVATE"),
    };
    // Linux looks the fd up before anything else.
    let file = if anon { None } else { Some(ctx.file(fd)?) };
    if file.as_ref().is_some_and(|f| f.is_path_only()) {
        return_errno!(EBADF, "mmap: O_PATH fd");
    }
    if len == 0 {
        return_errno!(EINVAL, "mmap: zero length");
    }
    let len = page_up(len as u64);
    let noreplace = flags & MAP_FIXED_NOREPLACE != 0;
    let fixed = flags & MAP_FIXED != 0 || noreplace;
    let want = u64::from(addr);
    if fixed && want % PAGE != 0 {
        return_errno!(EINVAL, "mmap: MAP_FIXED address not page aligned");
    }
    if flags & MAP_HUGETLB != 0 {
        // As on a Linux system with no huge pages reserved.
        return_errno!(ENOMEM, "mmap: no huge pages");
    }
    let backing = match &file {
        None => Backing::Anonymous,
        Some(f) => {
            if !f.readable() {
                return_errno!(EACCES, "mmap: fd not open for reading");
            }
            if shared && prot & PROT_WRITE != 0 && (!f.writable() || f.append()) {
                return_errno!(EACCES, "mmap: writable shared mapping of a read-only or append-only fd");
            }
            let md = f.ops.metadata(ctx)?;
            match md.mode & S_IFMT {
                S_IFREG => Backing::File(FileBacking {
                    file: f.clone(),
                    offset: u64::from(pgoff) * PAGE,
                    dev: md.dev,
                    ino: md.ino,
                    path: f.path.clone(),
                }),
                S_IFCHR if md.rdev == DEV_ZERO => Backing::Anonymous,
                _ => return_errno!(ENODEV, "mmap: file type can't be mapped"),
            }
        }
    };

    // RLIMIT_AS: "The maximum size of the process's virtual memory";
    // mmap fails with ENOMEM beyond it (a MAP_FIXED replacement counts the
    // pages it frees).
    let as_limit = super::rlimit(ctx, RLIMIT_AS);
    let freed = if fixed { with_mm(ctx, |mm| mm.carve_len(want, want.saturating_add(len)))? } else { 0 };
    if with_mm(ctx, |mm| mm.total_vm())?.saturating_sub(freed).saturating_add(len) > as_limit {
        return_errno!(ENOMEM, "mmap: RLIMIT_AS exceeded");
    }
    let start = if fixed {
        let (floor, busy) = with_mm(ctx, |mm| (mm.heap_base, mm.overlaps(want, want.saturating_add(len))))?;
        if want.saturating_add(len) > MMAP_END {
            return_errno!(ENOMEM, "mmap: fixed range beyond the address space");
        }
        if want < floor {
            return_errno!(EPERM, "mmap: fixed address below the initial break");
        }
        if noreplace && busy {
            return_errno!(EEXIST, "mmap: MAP_FIXED_NOREPLACE over an existing mapping");
        }
        want
    } else {
        let hint = (want != 0).then_some(want);
        match with_mm(ctx, |mm| mm.find_free(len, hint))? {
            Some(s) => s,
            None => return_errno!(ENOMEM, "mmap: no free range"),
        }
    };
    let end = start + len;
    ensure_memory(ctx, end)?;
    if fixed {
        // MAP_FIXED: "the overlapped part of the existing mapping(s) will be discarded".
        let removed = with_mm(ctx, |mm| mm.carve(start, end))?;
        for r in &removed {
            let _ = write_back(ctx, r);
        }
    }
    let dirty = with_mm(ctx, |mm| mm.hand_out(start, end))?;
    match &backing {
        Backing::Anonymous => {
            if let Some((z0, z1)) = dirty {
                zero_user(ctx, z0, z1)?;
            }
        }
        Backing::File(f) => fill_from_file(ctx, f, start, end)?,
    }
    let region = Region { start, end, prot, shared, locked: flags & MAP_LOCKED != 0, backing };
    with_mm(ctx, |mm| mm.insert(region))?;
    Ok(start as i64)
}

/// Implements munmap(2). Unmapping a range with no mappings succeeds.
/// Shared file mappings are written back first (see the module docs).
pub fn sys_munmap(ctx: &mut Ctx, a: &SyscallArgs) -> Result<i64> {
    let len = a.usize(1);
    if len == 0 {
        return_errno!(EINVAL, "munmap: zero length");
    }
    let (start, end) = page_range(a.ptr(0), len).map_err(|e| {
        if e.errno() == wasmpod_abi::Errno::ENOMEM {
            crate::errno!(EINVAL, "munmap: range beyond the address space")
        } else {
            e
        }
    })?;
    let removed = with_mm(ctx, |mm| mm.carve(start, end))?;
    for r in &removed {
        // munmap doesn't report write-back errors (Linux doesn't either).
        let _ = write_back(ctx, r);
    }
    Ok(0)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use crate::sync::lock::Mutex;
    use wasmpod_abi::fcntl::{O_APPEND, O_RDONLY, O_RDWR, O_WRONLY};
    use wasmpod_abi::mman::*;
    use wasmpod_abi::syscalls::*;
    use wasmpod_abi::Errno;

    use crate::error::Result;
    use crate::fs::{FileOps, Metadata, OpenFile};
    use crate::kernel::Ctx;
    use crate::mm::test_util::*;
    use crate::testing::{Harness, Proc};
    use crate::UserMemory;

    /// A regular file in memory, for mapping tests that don't need the VFS.
    pub struct MemFile {
        pub data: Mutex<Vec<u8>>,
        pub mode: u32,
        pub rdev: u64,
    }

    impl FileOps for MemFile {
        fn read_at(&self, _ctx: &mut Ctx, _f: &OpenFile, off: u64, buf: &mut [u8]) -> Result<usize> {
            let d = self.data.lock();
            let off = (off as usize).min(d.len());
            let n = buf.len().min(d.len() - off);
            buf[..n].copy_from_slice(&d[off..off + n]);
            Ok(n)
        }
        fn write_at(&self, _ctx: &mut Ctx, _f: &OpenFile, off: u64, buf: &[u8]) -> Result<usize> {
            let mut d = self.data.lock();
            let end = off as usize + buf.len();
            if d.len() < end {
                d.resize(end, 0);
            }
            d[off as usize..end].copy_from_slice(buf);
            Ok(buf.len())
        }
        fn seekable(&self) -> bool {
            true
        }
        fn metadata(&self, _ctx: &mut Ctx) -> Result<Metadata> {
            Ok(Metadata {
                mode: self.mode,
                size: self.data.lock().len() as u64,
                ino: 77,
                dev: crate::fs::devices::makedev(8, 1),
                rdev: self.rdev,
                ..Default::default()
            })
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    /// Installs an in-memory regular file with `data` as an fd of `p`.
    pub fn open_mem_file(p: &Proc, data: &[u8], flags: u32) -> (i32, Arc<MemFile>) {
        let f = Arc::new(MemFile { data: Mutex::new(data.to_vec()), mode: wasmpod_abi::fs::S_IFREG | 0o644, rdev: 0 });
        (install(p, f.clone(), flags, b"/data/file.bin"), f)
    }

    pub fn install(p: &Proc, ops: Arc<dyn FileOps>, flags: u32, path: &[u8]) -> i32 {
        let pid = p.pid;
        let of = OpenFile::with_path(ops, flags, path.to_vec());
        p.kernel.with_state(|st| st.procs.procs.get_mut(&pid).unwrap().files.alloc(of, false, 0, 1024).unwrap())
    }

    fn mmap_file(p: &Proc, len: u64, prot: u32, flags: u32, fd: i32, pgoff: u64) -> i64 {
        p.sys(SYS_mmap, &[0, len, u64::from(prot), u64::from(flags), fd as u32 as u64, pgoff])
    }

    fn err(e: Errno) -> i64 {
        -i64::from(e.as_i32())
    }

    #[test]
    fn anonymous_mappings_are_zeroed_aligned_and_disjoint() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 10_000);
        let b = mmap_anon(&p, 4096);
        assert!(a > 0 && b > 0);
        assert_eq!(a % 4096, 0);
        assert_eq!(b % 4096, 0);
        assert!(b >= a + 12288 || a >= b + 4096, "overlap: {a:#x} {b:#x}");
        assert_eq!(p.read(a as u32, 12288), vec![0; 12288]);
        p.write(a as u32, &[7; 12288]);
        p.write(b as u32, &[9; 4096]);
        assert_eq!(p.read(a as u32, 12288), vec![7; 12288]);
    }

    #[test]
    fn mappings_are_never_below_the_initial_break() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_at(&p, 0x20000, 4096, MAP_PRIVATE | MAP_ANONYMOUS);
        assert!(a as u64 >= BASE, "{a:#x}");
    }

    #[test]
    fn munmapped_memory_is_reused_and_zeroed() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 8192);
        let _b = mmap_anon(&p, 4096);
        p.write(a as u32, &[0xAA; 8192]);
        assert_eq!(p.sys(SYS_munmap, &[a as u64, 8192]), 0);
        let c = mmap_anon(&p, 8192);
        assert_eq!(c, a, "the freed range is reused first");
        assert_eq!(p.read(c as u32, 8192), vec![0; 8192]);
    }

    #[test]
    fn mapping_grows_memory_at_the_top() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 1 << 20);
        assert!(p.mem.size() >= a as u64 + (1 << 20));
    }

    #[test]
    fn mapping_beyond_the_memory_maximum_is_enomem() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_anon(&p, 100 << 20), err(Errno::ENOMEM));
        // Nothing was recorded.
        assert_eq!(maps(&p), "");
    }

    #[test]
    fn mapping_beyond_rlimit_as_is_enomem() {
        let h = Harness::new();
        let p = h.process(None);
        let pid = p.pid;
        h.kernel.with_state(|st| {
            st.procs.procs.get_mut(&pid).unwrap().rlimits[wasmpod_abi::misc::RLIMIT_AS as usize].cur = BASE + (1 << 20)
        });
        assert!(mmap_anon(&p, 1 << 20) > 0);
        assert_eq!(mmap_anon(&p, 4096), err(Errno::ENOMEM));
    }

    #[test]
    fn hint_address_is_used_when_free() {
        let h = Harness::new();
        let p = h.process(None);
        let hint = BASE + 0x10_0000;
        assert_eq!(mmap_at(&p, hint, 4096, MAP_PRIVATE | MAP_ANONYMOUS), hint as i64);
        // Taken now: the next request with the same hint goes elsewhere.
        let again = mmap_at(&p, hint, 4096, MAP_PRIVATE | MAP_ANONYMOUS);
        assert!(again > 0 && again != hint as i64);
    }

    #[test]
    fn map_fixed_replaces_overlapping_mappings() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 3 * 4096) as u64;
        p.write(a as u32, &[1; 3 * 4096]);
        let mid = a + 4096;
        assert_eq!(mmap_at(&p, mid, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), mid as i64);
        assert_eq!(p.read(mid as u32, 4096), vec![0; 4096], "replaced part is fresh memory");
        assert_eq!(p.read(a as u32, 4), vec![1; 4]);
        assert_eq!(p.read((a + 8192) as u32, 4), vec![1; 4]);
        assert_eq!(maps(&p).lines().count(), 3, "{}", maps(&p));
    }

    #[test]
    fn map_fixed_unaligned_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_at(&p, BASE + 100, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), err(Errno::EINVAL));
    }

    #[test]
    fn map_fixed_below_the_initial_break_is_eperm() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_at(&p, 0x20000, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), err(Errno::EPERM));
    }

    #[test]
    fn map_fixed_beyond_current_memory_grows_it() {
        let h = Harness::new();
        let p = h.process(None);
        let at = BASE + (8 << 20);
        assert_eq!(mmap_at(&p, at, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), at as i64);
        assert!(p.mem.size() >= at + 4096);
    }

    #[test]
    fn map_fixed_noreplace_over_a_mapping_is_eexist() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 8192) as u64;
        assert_eq!(mmap_at(&p, a + 4096, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE), err(Errno::EEXIST));
        let free = a + (1 << 20);
        assert_eq!(mmap_at(&p, free, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE), free as i64);
    }

    #[test]
    fn zero_length_and_bad_type_are_einval() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_anon(&p, 0), err(Errno::EINVAL));
        assert_eq!(mmap_at(&p, 0, 4096, MAP_ANONYMOUS), err(Errno::EINVAL));
    }

    #[test]
    fn shared_validate_rejects_unknown_flags() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_at(&p, 0, 4096, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x40), err(Errno::EOPNOTSUPP));
        assert!(mmap_at(&p, 0, 4096, MAP_SHARED_VALIDATE | MAP_ANONYMOUS) > 0);
    }

    #[test]
    fn bad_fd_is_ebadf() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_file(&p, 4096, PROT_READ, MAP_PRIVATE, 42, 0), err(Errno::EBADF));
    }

    #[test]
    fn shared_anonymous_mapping_works_in_one_process() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_at(&p, 0, 4096, MAP_SHARED | MAP_ANONYMOUS);
        assert!(a > 0);
        p.write(a as u32, b"shared");
        assert_eq!(p.read(a as u32, 6), b"shared");
        assert!(maps(&p).contains(" rw-s "), "{}", maps(&p));
    }

    #[test]
    fn private_file_mapping_holds_the_file_contents() {
        let h = Harness::new();
        let p = h.process(None);
        let content: Vec<u8> = (0..6000u32).map(|i| i as u8).collect();
        let (fd, _) = open_mem_file(&p, &content, O_RDONLY);
        let a = mmap_file(&p, 6000, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        assert!(a > 0);
        assert_eq!(p.read(a as u32, 6000), content);
        // Past EOF, up to the page end: zero.
        assert_eq!(p.read(a as u32 + 6000, 8192 - 6000), vec![0; 8192 - 6000]);
    }

    #[test]
    fn file_mapping_offset_is_in_pages() {
        let h = Harness::new();
        let p = h.process(None);
        let content: Vec<u8> = (0..3 * 4096u32).map(|i| (i / 4096) as u8 + 1).collect();
        let (fd, _) = open_mem_file(&p, &content, O_RDONLY);
        let a = mmap_file(&p, 4096, PROT_READ, MAP_PRIVATE, fd, 2);
        assert_eq!(p.read(a as u32, 4096), vec![3; 4096]);
        let line = maps(&p);
        assert!(line.starts_with(&format!("{:08x}-{:08x} r--p 00002000 08:01 77", a, a + 4096)), "{line}");
        assert!(line.trim_end().ends_with("/data/file.bin"), "{line}");
    }

    #[test]
    fn private_file_mapping_writes_stay_private() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, f) = open_mem_file(&p, b"original", O_RDWR);
        let a = mmap_file(&p, 8, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        p.write(a as u32, b"CHANGED!");
        assert_eq!(p.sys(SYS_msync, &[a as u64, 4096, u64::from(MS_SYNC)]), 0);
        assert_eq!(p.sys(SYS_munmap, &[a as u64, 4096]), 0);
        assert_eq!(&*f.data.lock(), b"original");
    }

    #[test]
    fn shared_file_mapping_is_written_back_by_msync() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, f) = open_mem_file(&p, b"hello world", O_RDWR);
        let a = mmap_file(&p, 11, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        p.write(a as u32, b"HELLO");
        assert_eq!(&*f.data.lock(), b"hello world", "not written back before msync");
        assert_eq!(p.sys(SYS_msync, &[a as u64, 4096, u64::from(MS_SYNC)]), 0);
        assert_eq!(&*f.data.lock(), b"HELLO world", "written back, file not extended");
    }

    #[test]
    fn shared_file_mapping_is_written_back_by_munmap() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, f) = open_mem_file(&p, b"abcdef", O_RDWR);
        let a = mmap_file(&p, 6, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        p.write(a as u32 + 2, b"XY");
        assert_eq!(p.sys(SYS_munmap, &[a as u64, 4096]), 0);
        assert_eq!(&*f.data.lock(), b"abXYef");
    }

    #[test]
    fn file_mapping_needs_a_readable_fd() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, _) = open_mem_file(&p, b"x", O_WRONLY);
        assert_eq!(mmap_file(&p, 4096, PROT_READ, MAP_PRIVATE, fd, 0), err(Errno::EACCES));
    }

    #[test]
    fn writable_shared_mapping_of_a_read_only_fd_is_eacces() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, _) = open_mem_file(&p, b"x", O_RDONLY);
        assert_eq!(mmap_file(&p, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), err(Errno::EACCES));
        // Read-only shared and writable private mappings are fine.
        assert!(mmap_file(&p, 4096, PROT_READ, MAP_SHARED, fd, 0) > 0);
        assert!(mmap_file(&p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) > 0);
    }

    #[test]
    fn writable_shared_mapping_of_an_append_only_fd_is_eacces() {
        let h = Harness::new();
        let p = h.process(None);
        let (fd, _) = open_mem_file(&p, b"x", O_RDWR | O_APPEND);
        assert_eq!(mmap_file(&p, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), err(Errno::EACCES));
    }

    #[test]
    fn non_regular_files_are_enodev_except_dev_zero() {
        let h = Harness::new();
        let p = h.process(None);
        let fifo = Arc::new(MemFile { data: Mutex::new(vec![]), mode: wasmpod_abi::fs::S_IFIFO | 0o600, rdev: 0 });
        let fd = install(&p, fifo, O_RDONLY, b"");
        assert_eq!(mmap_file(&p, 4096, PROT_READ, MAP_PRIVATE, fd, 0), err(Errno::ENODEV));
        let zero = Arc::new(MemFile {
            data: Mutex::new(vec![1, 2, 3]),
            mode: wasmpod_abi::fs::S_IFCHR | 0o666,
            rdev: crate::fs::devices::makedev(1, 5),
        });
        let fd = install(&p, zero, O_RDWR, b"/dev/zero");
        let a = mmap_file(&p, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        assert!(a > 0);
        assert_eq!(p.read(a as u32, 4), vec![0; 4]);
    }

    #[test]
    fn partial_munmap_splits_the_mapping() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 3 * 4096) as u64;
        assert_eq!(p.sys(SYS_munmap, &[a + 4096, 4096]), 0);
        let text = maps(&p);
        let want = format!(
            "{:08x}-{:08x} rw-p 00000000 00:00 0 \n{:08x}-{:08x} rw-p 00000000 00:00 0 \n",
            a,
            a + 4096,
            a + 8192,
            a + 12288
        );
        assert_eq!(text, want);
        // The hole is reused by a one-page mapping.
        assert_eq!(mmap_anon(&p, 4096), (a + 4096) as i64);
    }

    #[test]
    fn munmap_unaligned_or_empty_is_einval() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 8192) as u64;
        assert_eq!(p.sys(SYS_munmap, &[a + 1, 4096]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_munmap, &[a, 0]), err(Errno::EINVAL));
        // Unmapping where nothing is mapped is fine.
        assert_eq!(p.sys(SYS_munmap, &[a + (1 << 20), 4096]), 0);
    }

    #[test]
    fn address_space_edges_are_errors_not_wraparounds() {
        let h = Harness::new();
        let p = h.process(None);
        assert_eq!(mmap_anon(&p, 0xFFFF_FFFF), err(Errno::ENOMEM));
        assert_eq!(mmap_at(&p, 0xFFFF_F000, 4096, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), err(Errno::ENOMEM));
        assert_eq!(p.sys(SYS_munmap, &[0xFFFF_F000, 8192]), err(Errno::EINVAL));
        assert_eq!(p.sys(SYS_brk, &[0xFFFF_FFFF]), BASE as i64);
    }

    #[test]
    fn mmap_lengths_round_up_to_pages() {
        let h = Harness::new();
        let p = h.process(None);
        let a = mmap_anon(&p, 1) as u64;
        assert!(maps(&p).starts_with(&format!("{:08x}-{:08x} ", a, a + 4096)));
    }
}
