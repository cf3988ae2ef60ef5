//! `wasmpod image build`: a host directory tree → a deterministic ext2 image.
//!
//! The tree is scanned first (sorted by name bytes) to size the image; then
//! the filesystem is formatted and populated in memory through the ext2
//! driver, and the image file is written once, sparsely (all-zero 64 KiB
//! chunks become holes). Determinism: entries are added in sorted order,
//! every timestamp comes from the tree (atime = mtime, ctime = the build
//! time, which is `SOURCE_DATE_EPOCH` or the newest mtime in the tree), and
//! the UUID is a hash of the finished image. All-zero file blocks become
//! holes, as with `mke2fs -d`.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{Read, Seek};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use wasmpod_ext2::mkfs::{finalize, format, MkfsOptions};
use wasmpod_ext2::{Ext2, SetAttr, Timespec, ROOT_INO};

use super::dev::Memory;
use super::Error;

/// One scanned host entry.
struct Node {
    name: Vec<u8>,
    path: PathBuf,
    md: Metadata,
    children: Vec<Node>,
}

#[derive(Default)]
struct Totals {
    entries: u64,
    /// Estimated filesystem blocks for data, indirect blocks and directories.
    blocks: u64,
    newest: i64,
}

fn scan(path: &Path, md: Metadata, name: Vec<u8>, bs: u64, t: &mut Totals) -> Result<Node, Error> {
    t.entries += 1;
    t.newest = t.newest.max(md.mtime());
    let mut children = Vec::new();
    if md.is_dir() {
        let mut dir_bytes = 24u64;
        let mut list: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Error::msg(format!("{}: {e}", path.display())))?
            .collect::<Result<_, _>>()
            .map_err(|e| Error::msg(format!("{}: {e}", path.display())))?;
        list.sort_by(|a, b| a.file_name().as_bytes().cmp(b.file_name().as_bytes()));
        for e in list {
            let p = e.path();
            let cmd = std::fs::symlink_metadata(&p).map_err(|e| Error::msg(format!("{}: {e}", p.display())))?;
            let n = e.file_name().as_bytes().to_vec();
            if n.len() > 255 {
                return Err(Error::msg(format!("{}: name longer than 255 bytes", p.display())));
            }
            dir_bytes += (8 + n.len() as u64 + 3) & !3;
            children.push(scan(&p, cmd, n, bs, t)?);
        }
        t.blocks += dir_bytes.div_ceil(bs) + 1;
    } else if md.is_file() {
        // Allocated size, not apparent size: holes stay holes.
        let data = md.len().div_ceil(bs).min((md.blocks() * 512).div_ceil(bs));
        // Indirect blocks only past the 12 direct pointers.
        let indirect = if data > 12 { (data - 12).div_ceil(bs / 4) + 1 } else { 0 };
        t.blocks += data + indirect;
    } else if md.file_type().is_symlink() && md.len() >= 60 {
        t.blocks += 1;
    }
    Ok(Node { name, path: path.to_path_buf(), md, children })
}

/// Parses "64M", "1G", "512K", "4096".
pub fn parse_size(s: &str) -> Result<u64, Error> {
    let (num, mult) = match s.as_bytes().last() {
        Some(b'K' | b'k') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().and_then(|n| n.checked_mul(mult)).ok_or_else(|| Error::msg(format!("bad size '{s}'")))
}

pub struct BuildOptions {
    pub size: Option<u64>,
    pub block_size: u32,
    /// `--owner UID:GID`: the owner of every entry (default: the host's).
    pub owner: Option<(u32, u32)>,
    /// `--spec FILE`: per-path owner and mode overrides.
    pub spec: Option<PathBuf>,
}

/// Parses `UID:GID` (decimal).
pub fn parse_owner(s: &str) -> Result<(u32, u32), Error> {
    let bad = || Error::msg(format!("bad owner '{s}' (expected UID:GID, e.g. 0:0)"));
    let (u, g) = s.split_once(':').ok_or_else(bad)?;
    Ok((u.parse().map_err(|_| bad())?, g.parse().map_err(|_| bad())?))
}

/// One line of a `--spec` file: what replaces the host's owner and mode.
#[derive(Clone, Copy, Default)]
struct Override {
    owner: Option<(u32, u32)>,
    mode: Option<u16>,
}

/// Reads a spec file: `PATH OWNER MODE` per line (`#` comments), PATH
/// absolute in the image, OWNER `UID:GID` or `-`, MODE octal permission
/// bits (up to 07777) or `-`. Every PATH must exist in the tree.
fn read_spec(file: &Path) -> Result<HashMap<Vec<u8>, Override>, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::msg(format!("{}: {e}", file.display())))?;
    let mut map = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let at = |m: String| Error::msg(format!("{}:{}: {m}", file.display(), i + 1));
        let f: Vec<&str> = line.split_whitespace().collect();
        let [path, owner, mode] = f[..] else {
            return Err(at(format!("expected PATH OWNER MODE, got '{line}'")));
        };
        if !path.starts_with('/') || path.split('/').any(|c| c == "." || c == "..") {
            return Err(at(format!("'{path}': paths are absolute, without . or ..")));
        }
        let owner = match owner {
            "-" => None,
            o => Some(parse_owner(o).map_err(|Error(m)| at(m))?),
        };
        let mode = match mode {
            "-" => None,
            m => match u16::from_str_radix(m, 8) {
                Ok(v) if v <= 0o7777 => Some(v),
                _ => return Err(at(format!("bad mode '{m}' (octal, at most 07777)"))),
            },
        };
        let key = normalize(path);
        if map.insert(key, Override { owner, mode }).is_some() {
            return Err(at(format!("'{path}' listed twice")));
        }
    }
    Ok(map)
}

/// `/a//b/` → `/a/b`; `/` stays `/`.
fn normalize(path: &str) -> Vec<u8> {
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    format!("/{}", parts.join("/")).into_bytes()
}

/// What `add` needs besides the tree: overrides and the tree's root.
struct Attrs<'a> {
    src: &'a Path,
    owner: Option<(u32, u32)>,
    spec: HashMap<Vec<u8>, Override>,
    used: std::collections::HashSet<Vec<u8>>,
}

impl Attrs<'_> {
    /// The owner and mode (None: keep) for the host entry at `path`.
    fn of(&mut self, path: &Path) -> Override {
        let rel = path.strip_prefix(self.src).unwrap_or(path);
        let key = normalize(&format!("/{}", rel.to_string_lossy()));
        let o = self.spec.get(&key).copied().unwrap_or_default();
        if self.spec.contains_key(&key) {
            self.used.insert(key);
        }
        Override { owner: o.owner.or(self.owner), mode: o.mode }
    }
}

/// Builds the image; returns its size in bytes.
pub fn build(src: &Path, out: &Path, o: &BuildOptions) -> Result<u64, Error> {
    let bs = u64::from(o.block_size);
    let md = std::fs::metadata(src).map_err(|e| Error::msg(format!("{}: {e}", src.display())))?;
    if !md.is_dir() {
        return Err(Error::msg(format!("{}: not a directory", src.display())));
    }
    let spec = match &o.spec {
        Some(f) => read_spec(f)?,
        None => HashMap::new(),
    };
    let mut attrs = Attrs { src, owner: o.owner, spec, used: Default::default() };
    let mut t = Totals::default();
    let root = scan(src, md, Vec::new(), bs, &mut t)?;
    let time = match std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.parse::<i64>().ok()) {
        Some(v) => v,
        None => t.newest,
    }
    .clamp(0, i64::from(u32::MAX)) as u32;
    // Headroom: a quarter more inodes (at least 256) and blocks (at least 2 MiB).
    let inodes = (t.entries + (t.entries / 4).max(256)).min(u64::from(u32::MAX / 2)) as u32;
    let size = match o.size {
        Some(s) => s,
        None => {
            let itable = u64::from(inodes) * 256 / bs + 1;
            let lost_found = (16 * 1024 / bs).max(2);
            let need = t.blocks + itable + lost_found + 64;
            let groups = need.div_ceil(bs * 8) + 1;
            let total = (need + groups * 4) * bs;
            let total = total + (total / 4).max(2 << 20);
            total.div_ceil(1 << 20) << 20
        }
    };
    let size = size / bs * bs;
    if size > 16 << 40 {
        return Err(Error::msg("image larger than 16 TiB".to_string()));
    }
    let mem = Memory { data: vec![0u8; size as usize] };
    let opts = MkfsOptions { block_size: o.block_size, inodes, time, ..Default::default() };
    let dev = format(mem, &opts).map_err(|e| Error::msg(format!("format: {e}")))?;
    let mut fs = Ext2::open(dev)?;
    let ctime = Timespec::new(i64::from(time), 0);
    fs.set_clock(move || ctime);
    let mut links: HashMap<(u64, u64), u32> = HashMap::new();
    let mut buf = vec![0u8; 1 << 20];
    for child in &root.children {
        add(&mut fs, ROOT_INO, child, &mut links, &mut buf, ctime, &mut attrs)?;
    }
    let ov = attrs.of(src);
    set_attrs(&mut fs, ROOT_INO, &root.md, ctime, ov)?;
    let mut unused: Vec<_> = attrs.spec.keys().filter(|k| !attrs.used.contains(*k)).collect();
    if let Some(first) = unused.drain(..).min() {
        return Err(Error::msg(format!("--spec: {} is not in the tree", String::from_utf8_lossy(first))));
    }
    let mut mem = fs.unmount()?;
    finalize(&mut mem, time, [0; 16])?;
    // One pass writes the image and hashes it; the UUID then goes into the
    // superblock copies, whose chunks are written again.
    let hash = write_sparse(out, &mem.data)?;
    let uuid = uuid_from_hash(hash);
    finalize(&mut mem, time, uuid)?;
    rewrite_superblocks(out, &mem.data, o.block_size)?;
    // The process ends soon; freeing the scanned tree would only cost time.
    std::mem::forget(root);
    Ok(size)
}

fn set_attrs(fs: &mut Ext2<Memory>, ino: u32, md: &Metadata, ctime: Timespec, ov: Override) -> Result<(), Error> {
    let mtime = Timespec::new(md.mtime(), md.mtime_nsec().clamp(0, 999_999_999) as u32);
    let (uid, gid) = ov.owner.unwrap_or((md.uid(), md.gid()));
    fs.setattr(
        ino,
        &SetAttr {
            mode: if md.file_type().is_symlink() { None } else { Some(ov.mode.unwrap_or((md.mode() & 0o7777) as u16)) },
            uid: Some(uid),
            gid: Some(gid),
            atime: Some(mtime),
            mtime: Some(mtime),
            ctime: Some(ctime),
        },
    )?;
    Ok(())
}

fn add(
    fs: &mut Ext2<Memory>,
    parent: u32,
    n: &Node,
    links: &mut HashMap<(u64, u64), u32>,
    buf: &mut [u8],
    ctime: Timespec,
    attrs: &mut Attrs,
) -> Result<(), Error> {
    let md = &n.md;
    let ft = md.file_type();
    let ctx = |e: wasmpod_ext2::Ext2Error| Error::msg(format!("{}: {e}", n.path.display()));
    if !ft.is_dir() && md.nlink() > 1 {
        if let Some(&ino) = links.get(&(md.dev(), md.ino())) {
            fs.link(ino, parent, &n.name).map_err(ctx)?;
            return Ok(());
        }
    }
    let ino = if ft.is_dir() {
        let ino = match fs.mkdir(parent, &n.name, 0o755, 0, 0) {
            // The tree's own lost+found replaces the one mkfs made.
            Err(wasmpod_ext2::Ext2Error::Exists) if parent == ROOT_INO && n.name == b"lost+found" => {
                fs.lookup(ROOT_INO, b"lost+found").map_err(ctx)?
            }
            r => r.map_err(ctx)?,
        };
        for c in &n.children {
            add(fs, ino, c, links, buf, ctime, attrs)?;
        }
        ino
    } else if ft.is_file() {
        let ino = fs.create(parent, &n.name, 0o644, 0, 0).map_err(ctx)?;
        copy_file(fs, ino, &n.path, md.len(), buf)?;
        ino
    } else if ft.is_symlink() {
        let target = std::fs::read_link(&n.path).map_err(|e| Error::msg(format!("{}: {e}", n.path.display())))?;
        fs.symlink(parent, &n.name, target.as_os_str().as_bytes(), 0, 0).map_err(ctx)?
    } else {
        let rdev = md.rdev();
        let major = (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)) as u32;
        let minor = ((rdev & 0xff) | ((rdev >> 12) & !0xff)) as u32;
        let (major, minor) = if ft.is_char_device() || ft.is_block_device() { (major, minor) } else { (0, 0) };
        fs.mknod(parent, &n.name, md.mode() as u16, (major, minor), 0, 0).map_err(ctx)?
    };
    let ov = attrs.of(&n.path);
    set_attrs(fs, ino, md, ctime, ov)?;
    if !ft.is_dir() && md.nlink() > 1 {
        links.insert((md.dev(), md.ino()), ino);
    }
    Ok(())
}

/// Copies a host file: only its data regions, and within them only blocks
/// that are not all zero (holes stay holes, as with `mke2fs -d`).
fn copy_file(fs: &mut Ext2<Memory>, ino: u32, path: &Path, len: u64, buf: &mut [u8]) -> Result<(), Error> {
    let err = |e: &dyn std::fmt::Display| Error::msg(format!("{}: {e}", path.display()));
    let mut f = File::open(path).map_err(|e| err(&e))?;
    let bs = fs.geometry().block_size as usize;
    for (start, end) in super::sparse::data_ranges(&f, len) {
        // Align to filesystem blocks so zero detection sees whole blocks.
        let mut off = start / bs as u64 * bs as u64;
        f.seek(std::io::SeekFrom::Start(off)).map_err(|e| err(&e))?;
        while off < end {
            let want = ((end - off) as usize).min(buf.len());
            let n = read_full(&mut f, &mut buf[..want]).map_err(|e| err(&e))?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            let zero = |s: usize| all_zero(&chunk[s..(s + bs).min(n)]);
            let mut i = 0;
            while i < n {
                if zero(i) {
                    i += bs;
                    continue;
                }
                let s = i;
                while i < n && !zero(i) {
                    i += bs;
                }
                let e = i.min(n);
                fs.write(ino, off + s as u64, &chunk[s..e]).map_err(|e| err(&e))?;
            }
            off += n as u64;
        }
    }
    fs.truncate(ino, len).map_err(|e| err(&e))?;
    Ok(())
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Size of the chunks `write_sparse` skips when all zero.
const CHUNK: usize = 64 * 1024;

/// A 128-bit hash state over the non-zero chunks of an image (four
/// multiply-xor lanes over 64-bit words, mixed with the chunk offset).
struct Hasher([u64; 4]);

impl Hasher {
    fn new() -> Hasher {
        Hasher([0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142, 0x9e37_79b9_7f4a_7c15, 0x0123_4567_89ab_cdef])
    }
    fn chunk(&mut self, off: u64, data: &[u8]) {
        const K: u64 = 0x0000_0100_0000_01b3;
        self.0[0] = (self.0[0] ^ off).wrapping_mul(K);
        let mut words = data.chunks_exact(32);
        for w in &mut words {
            for (lane, b) in self.0.iter_mut().zip(w.chunks_exact(8)) {
                let mut x = [0u8; 8];
                x.copy_from_slice(b);
                *lane = (*lane ^ u64::from_le_bytes(x)).wrapping_mul(K);
            }
        }
        for &b in words.remainder() {
            self.0[1] = (self.0[1] ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> [u8; 16] {
        let [a, b, c, d] = self.0;
        let hi = a ^ c.rotate_left(17);
        let lo = b ^ d.rotate_left(41) ^ hi.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut u = [0u8; 16];
        u[..8].copy_from_slice(&hi.to_le_bytes());
        u[8..].copy_from_slice(&lo.to_le_bytes());
        u
    }
}

/// Marks a hash as a name-based (version 5 style) RFC 4122 UUID.
fn uuid_from_hash(mut u: [u8; 16]) -> [u8; 16] {
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

/// Writes the image, leaving all-zero chunks as holes; returns the hash of
/// what was written.
fn write_sparse(out: &Path, data: &[u8]) -> Result<[u8; 16], Error> {
    let err = |e: std::io::Error| Error::msg(format!("{}: {e}", out.display()));
    let f = File::create(out).map_err(err)?;
    let mut h = Hasher::new();
    let is_zero = all_zero;
    let mut i = 0;
    while i < data.len() {
        let end = (i + CHUNK).min(data.len());
        if is_zero(&data[i..end]) {
            i = end;
            continue;
        }
        // Coalesce consecutive non-zero chunks into one write.
        let start = i;
        let mut j = end;
        while j < data.len() {
            let e2 = (j + CHUNK).min(data.len());
            if is_zero(&data[j..e2]) {
                break;
            }
            j = e2;
        }
        for c in (start..j).step_by(CHUNK) {
            h.chunk(c as u64, &data[c..(c + CHUNK).min(j)]);
        }
        f.write_all_at(&data[start..j], start as u64).map_err(err)?;
        i = j;
    }
    f.set_len(data.len() as u64).map_err(err)?;
    Ok(h.finish())
}

/// Whether a buffer is all zero (ORs 64-byte blocks, which vectorizes).
fn all_zero(c: &[u8]) -> bool {
    let mut it = c.chunks_exact(64);
    for w in &mut it {
        if w.iter().fold(0u8, |a, &b| a | b) != 0 {
            return false;
        }
    }
    it.remainder().iter().all(|&b| b == 0)
}

/// Writes again the chunks that hold a superblock copy (after the UUID).
fn rewrite_superblocks(out: &Path, data: &[u8], bs: u32) -> Result<(), Error> {
    let err = |e: std::io::Error| Error::msg(format!("{}: {e}", out.display()));
    let f = std::fs::OpenOptions::new().write(true).open(out).map_err(err)?;
    let bs = u64::from(bs);
    let first = u64::from(bs == 1024);
    let bpg = bs * 8;
    let blocks = data.len() as u64 / bs;
    let mut g = 0u64;
    loop {
        let start = first + g * bpg;
        if start >= blocks {
            break;
        }
        let has_super = g <= 1
            || [3u64, 5, 7].iter().any(|&b| {
                let mut p = b;
                while p < g {
                    p *= b;
                }
                p == g
            });
        if has_super {
            let off = if g == 0 { 1024 } else { (start * bs) as usize };
            f.write_all_at(&data[off..off + 1024], off as u64).map_err(err)?;
        }
        g += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("2g").unwrap(), 2 << 30);
        assert!(parse_size("12X").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }

    #[test]
    fn uuid_depends_on_content() {
        let hash = |d: &[u8]| {
            let mut h = Hasher::new();
            h.chunk(0, d);
            uuid_from_hash(h.finish())
        };
        let a = hash(&[1u8; 100]);
        let mut other = [1u8; 100];
        other[99] = 2;
        assert_ne!(a, hash(&other));
        assert_eq!(a, hash(&[1u8; 100]));
        assert_eq!(a[6] >> 4, 5);
    }
}
