//! `wasmpod image`: build, inspect and edit ext2 images.
//!
//! Every command reports a bad input (not ext2, truncated image, missing
//! path) as one line on stderr and a non-zero exit; nothing here panics on
//! image contents. Paths inside an image are absolute or relative to its
//! root; symlinks are not followed.

mod build;
mod dev;
mod flatten;
mod sparse;

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use wasmpod_blockdev::BlockDevice;
use wasmpod_ext2::{Ext2, Ext2Error, FileType, Timespec, ROOT_INO};

use dev::DEV_BLOCK;
use wasmpod_blockdev::{FileDevice, OverlayDevice};

const USAGE: &str = "usage: wasmpod image <command> ...

  build DIR -o IMG [--size S] [--block-size B]   make a deterministic image of DIR
  ls IMG [PATH]                    list a directory (or one entry)
  cat IMG PATH                     write a file's content to stdout
  put IMG HOSTFILE PATH            copy a host file into the image
  mkdir IMG PATH                   make a directory
  rm [-r] IMG PATH                 remove a file, or a tree with -r
  extract IMG DIR                  copy the whole image into host directory DIR
  info IMG                         superblock summary
  flatten IMG -o OUT (--overlay F | --journal F)
                                   write IMG with the overlay's (or a browser
                                   pod's storage journal's) blocks on top to OUT

  --overlay FILE (ls, cat, put, mkdir, rm, extract, info): work on a
  copy-on-write overlay and leave IMG untouched";

/// A command failure: one line for stderr.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    pub fn msg(m: impl Into<String>) -> Error {
        Error(m.into())
    }
}

impl From<Ext2Error> for Error {
    fn from(e: Ext2Error) -> Error {
        Error(e.to_string())
    }
}

/// Entry point for `wasmpod image ARGS`; returns the exit code.
pub fn main(args: &[String]) -> i32 {
    match run(args) {
        Ok(()) => 0,
        Err(Error(m)) if m == "usage" => {
            eprintln!("{USAGE}");
            2
        }
        Err(Error(m)) => {
            eprintln!("wasmpod image: {m}");
            1
        }
    }
}

/// Parsed flags and positional arguments.
struct Args {
    pos: Vec<String>,
    out: Option<String>,
    size: Option<String>,
    block_size: Option<String>,
    overlay: Option<String>,
    journal: Option<String>,
    recursive: bool,
}

fn parse(args: &[String]) -> Result<Args, Error> {
    let mut a =
        Args { pos: vec![], out: None, size: None, block_size: None, overlay: None, journal: None, recursive: false };
    let mut it = args.iter();
    while let Some(s) = it.next() {
        let mut val = |name: &str| it.next().cloned().ok_or_else(|| Error::msg(format!("{name} needs a value")));
        match s.as_str() {
            "-o" | "--output" => a.out = Some(val(s)?),
            "--size" => a.size = Some(val(s)?),
            "--block-size" | "-b" => a.block_size = Some(val(s)?),
            "--overlay" => a.overlay = Some(val(s)?),
            "--journal" => a.journal = Some(val(s)?),
            "-r" | "-R" | "--recursive" => a.recursive = true,
            "-h" | "--help" => return Err(Error::msg("usage")),
            f if f.starts_with('-') && f.len() > 1 => return Err(Error::msg(format!("unknown flag '{f}'"))),
            _ => a.pos.push(s.clone()),
        }
    }
    Ok(a)
}

fn run(args: &[String]) -> Result<(), Error> {
    let Some(cmd) = args.first() else {
        return Err(Error::msg("usage"));
    };
    let a = parse(&args[1..])?;
    let want = |n: usize| -> Result<(), Error> {
        if a.pos.len() != n {
            return Err(Error::msg(format!(
                "{cmd}: expected {n} argument(s), got {} (see 'wasmpod image --help')",
                a.pos.len()
            )));
        }
        Ok(())
    };
    let overlay = a.overlay.as_deref();
    if cmd != "flatten" && a.journal.is_some() {
        return Err(Error::msg(format!("{cmd}: --journal applies to flatten only")));
    }
    if cmd == "build" && overlay.is_some() {
        return Err(Error::msg("build: --overlay applies to existing images only"));
    }
    match cmd.as_str() {
        "build" => {
            want(1)?;
            let out = a.out.as_deref().ok_or_else(|| Error::msg("build: -o IMG is required"))?;
            let block_size = match &a.block_size {
                Some(b) => match b.parse::<u32>() {
                    Ok(v @ (1024 | 2048 | 4096)) => v,
                    _ => return Err(Error::msg(format!("--block-size must be 1024, 2048 or 4096, not '{b}'"))),
                },
                None => 4096,
            };
            let size = a.size.as_deref().map(build::parse_size).transpose()?;
            build::build(Path::new(&a.pos[0]), Path::new(out), &build::BuildOptions { size, block_size })?;
            Ok(())
        }
        "ls" => {
            if a.pos.is_empty() || a.pos.len() > 2 {
                return want(1);
            }
            let mut fs = open(&a.pos[0], false, overlay)?;
            let path = a.pos.get(1).map(String::as_str).unwrap_or("/");
            ls(&mut fs, path)
        }
        "cat" => {
            want(2)?;
            let mut fs = open(&a.pos[0], false, overlay)?;
            cat(&mut fs, &a.pos[1])
        }
        "put" => {
            want(3)?;
            let mut fs = open(&a.pos[0], true, overlay)?;
            put(&mut fs, Path::new(&a.pos[1]), &a.pos[2])?;
            fs.unmount()?;
            Ok(())
        }
        "mkdir" => {
            want(2)?;
            let mut fs = open(&a.pos[0], true, overlay)?;
            let (parent, name) = parent_of(&mut fs, &a.pos[1])?;
            fs.mkdir(parent, &name, 0o755, 0, 0).map_err(|e| at(&a.pos[1], e))?;
            fs.unmount()?;
            Ok(())
        }
        "rm" => {
            want(2)?;
            let mut fs = open(&a.pos[0], true, overlay)?;
            rm(&mut fs, &a.pos[1], a.recursive)?;
            fs.unmount()?;
            Ok(())
        }
        "extract" => {
            want(2)?;
            let mut fs = open(&a.pos[0], false, overlay)?;
            extract(&mut fs, Path::new(&a.pos[1]))
        }
        "flatten" => {
            want(1)?;
            let out = a.out.as_deref().ok_or_else(|| Error::msg("flatten: -o OUT is required"))?;
            let store = match (overlay, a.journal.as_deref()) {
                (Some(o), None) => flatten::Store::Overlay(o),
                (None, Some(j)) => flatten::Store::Journal(j),
                _ => return Err(Error::msg("flatten: give one of --overlay FILE or --journal FILE")),
            };
            flatten::flatten(&a.pos[0], store, Path::new(out))
        }
        "info" => {
            want(1)?;
            let fs = open(&a.pos[0], false, overlay)?;
            info(&fs);
            Ok(())
        }
        other => Err(Error::msg(format!("unknown image command '{other}' (see 'wasmpod image --help')"))),
    }
}

fn at(path: &str, e: Ext2Error) -> Error {
    Error::msg(format!("{path}: {e}"))
}

/// Opens `img`; with `overlay`, every write goes to that copy-on-write
/// overlay file (created or reopened) and the image itself is only read.
fn open(img: &str, writable: bool, overlay: Option<&str>) -> Result<Ext2<Box<dyn BlockDevice>>, Error> {
    let fail = |e: wasmpod_blockdev::BlockError| {
        match e {
        wasmpod_blockdev::BlockError::Misaligned { len, .. } => Error::msg(format!(
            "{img}: not ext2: {len} bytes is not a whole number of {DEV_BLOCK}-byte sectors (truncated, or not a disk image)"
        )),
        e => Error::msg(format!("{img}: {e}")),
    }
    };
    let dev: Box<dyn BlockDevice> = match overlay {
        Some(ov) => {
            let base = FileDevice::open_read_only(img, DEV_BLOCK).map_err(fail)?;
            Box::new(OverlayDevice::open(base, ov).map_err(|e| Error::msg(format!("{ov}: {e}")))?)
        }
        None if writable => Box::new(FileDevice::open_read_write(img, DEV_BLOCK).map_err(fail)?),
        None => Box::new(FileDevice::open_read_only(img, DEV_BLOCK).map_err(fail)?),
    };
    let mut fs = if writable { Ext2::open(dev) } else { Ext2::open_read_only(dev) }
        .map_err(|e| Error::msg(format!("{img}: {e}")))?;
    if writable && fs.is_read_only() {
        return Err(Error::msg(format!("{img}: has features this tool can only read")));
    }
    fs.set_clock(|| {
        let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timespec::new(d.as_secs() as i64, d.subsec_nanos())
    });
    Ok(fs)
}

fn components(path: &str) -> Vec<&[u8]> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").map(str::as_bytes).collect()
}

/// Walks `path` from the root (no symlink following).
fn resolve<D: BlockDevice>(fs: &mut Ext2<D>, path: &str) -> Result<u32, Error> {
    let mut ino = ROOT_INO;
    for c in components(path) {
        ino = fs.lookup(ino, c).map_err(|e| at(path, e))?;
    }
    Ok(ino)
}

/// The parent directory's inode and the last component.
fn parent_of<D: BlockDevice>(fs: &mut Ext2<D>, path: &str) -> Result<(u32, Vec<u8>), Error> {
    let mut comps = components(path);
    let Some(last) = comps.pop() else {
        return Err(Error::msg(format!("{path}: is the root directory")));
    };
    let mut ino = ROOT_INO;
    for c in comps {
        ino = fs.lookup(ino, c).map_err(|e| at(path, e))?;
    }
    Ok((ino, last.to_vec()))
}

fn mode_string(mode: u16) -> String {
    let t = match FileType::from_mode(mode) {
        FileType::Directory => 'd',
        FileType::Symlink => 'l',
        FileType::CharDevice => 'c',
        FileType::BlockDevice => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
        _ => '-',
    };
    let mut s = String::from(t);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o40, 'r'),
        (0o20, 'w'),
        (0o10, 'x'),
        (0o4, 'r'),
        (0o2, 'w'),
        (0o1, 'x'),
    ];
    for (i, (b, c)) in bits.iter().enumerate() {
        let on = mode & b != 0;
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        s.push(match (special, on, i) {
            (true, true, 8) => 't',
            (true, false, 8) => 'T',
            (true, true, _) => 's',
            (true, false, _) => 'S',
            (false, true, _) => *c,
            (false, false, _) => '-',
        });
    }
    s
}

/// `YYYY-MM-DD HH:MM` (UTC) from seconds since the epoch.
fn date(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = wasmpod_host_native::civil::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}

fn ls_line<D: BlockDevice>(fs: &mut Ext2<D>, ino: u32, name: &[u8]) -> Result<String, Error> {
    let st = fs.stat(ino)?;
    let size = match st.file_type {
        FileType::CharDevice | FileType::BlockDevice => format!("{}, {}", st.rdev.0, st.rdev.1),
        _ => st.size.to_string(),
    };
    let mut line = format!(
        "{} {:>3} {:>5} {:>5} {:>10} {} {}",
        mode_string(st.mode),
        st.nlink,
        st.uid,
        st.gid,
        size,
        date(st.mtime.sec),
        String::from_utf8_lossy(name)
    );
    if st.file_type == FileType::Symlink {
        line += &format!(" -> {}", String::from_utf8_lossy(&fs.readlink(ino)?));
    }
    Ok(line)
}

fn ls<D: BlockDevice>(fs: &mut Ext2<D>, path: &str) -> Result<(), Error> {
    let ino = resolve(fs, path)?;
    let mut out = std::io::stdout().lock();
    if fs.stat(ino)?.file_type != FileType::Directory {
        let name = components(path).last().map(|c| c.to_vec()).unwrap_or_default();
        let _ = writeln!(out, "{}", ls_line(fs, ino, &name)?);
        return Ok(());
    }
    let mut entries = fs.read_dir_all(ino)?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    for e in entries {
        let line = ls_line(fs, e.ino, &e.name)?;
        if writeln!(out, "{line}").is_err() {
            break; // stdout closed (e.g. piped into head)
        }
    }
    Ok(())
}

fn cat<D: BlockDevice>(fs: &mut Ext2<D>, path: &str) -> Result<(), Error> {
    let ino = resolve(fs, path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0u64;
    let mut out = std::io::stdout().lock();
    loop {
        let n = fs.read(ino, off, &mut buf).map_err(|e| at(path, e))?;
        if n == 0 {
            return Ok(());
        }
        if out.write_all(&buf[..n]).is_err() {
            return Ok(());
        }
        off += n as u64;
    }
}

fn put<D: BlockDevice>(fs: &mut Ext2<D>, host: &Path, path: &str) -> Result<(), Error> {
    let hostname = || Error::msg(format!("{}: {}", host.display(), "cannot read"));
    let md = std::fs::metadata(host).map_err(|e| Error::msg(format!("{}: {e}", host.display())))?;
    if !md.is_file() {
        return Err(Error::msg(format!("{}: not a regular file", host.display())));
    }
    let (mut parent, mut name) = parent_of(fs, path)?;
    // Into an existing directory: keep the host file's name.
    if let Ok(ino) = fs.lookup(parent, &name) {
        if fs.stat(ino)?.file_type == FileType::Directory {
            parent = ino;
            name = host.file_name().ok_or_else(hostname)?.as_bytes().to_vec();
        }
    }
    let ino = match fs.lookup(parent, &name) {
        Ok(ino) => {
            fs.truncate(ino, 0).map_err(|e| at(path, e))?;
            ino
        }
        Err(Ext2Error::NotFound) => {
            fs.create(parent, &name, (md.mode() & 0o7777) as u16, md.uid(), md.gid()).map_err(|e| at(path, e))?
        }
        Err(e) => return Err(at(path, e)),
    };
    let mut f = std::fs::File::open(host).map_err(|e| Error::msg(format!("{}: {e}", host.display())))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0u64;
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| Error::msg(format!("{}: {e}", host.display())))?;
        if n == 0 {
            return Ok(());
        }
        fs.write(ino, off, &buf[..n]).map_err(|e| at(path, e))?;
        off += n as u64;
    }
}

fn rm<D: BlockDevice>(fs: &mut Ext2<D>, path: &str, recursive: bool) -> Result<(), Error> {
    let (parent, name) = parent_of(fs, path)?;
    let ino = fs.lookup(parent, &name).map_err(|e| at(path, e))?;
    if fs.stat(ino)?.file_type == FileType::Directory {
        if !recursive {
            return Err(Error::msg(format!("{path}: is a directory (use -r)")));
        }
        rm_tree(fs, ino, 0)?;
        fs.rmdir(parent, &name).map_err(|e| at(path, e))?;
    } else {
        fs.unlink(parent, &name).map_err(|e| at(path, e))?;
    }
    Ok(())
}

/// Deepest directory nesting `rm -r` and `extract` follow (a loop in a
/// corrupt image must not recurse forever).
const MAX_DEPTH: usize = 4096;

fn rm_tree<D: BlockDevice>(fs: &mut Ext2<D>, dir: u32, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::msg("directory tree too deep (corrupt image?)"));
    }
    for e in fs.read_dir_all(dir)? {
        if e.name == b"." || e.name == b".." {
            continue;
        }
        if e.file_type == FileType::Directory {
            rm_tree(fs, e.ino, depth + 1)?;
            fs.rmdir(dir, &e.name)?;
        } else {
            fs.unlink(dir, &e.name)?;
        }
    }
    Ok(())
}

fn extract<D: BlockDevice>(fs: &mut Ext2<D>, dest: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dest).map_err(|e| Error::msg(format!("{}: {e}", dest.display())))?;
    let mut links = std::collections::HashMap::new();
    let root_is_priv = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    extract_dir(fs, ROOT_INO, dest, &mut links, root_is_priv, 0)?;
    apply_meta(fs, ROOT_INO, dest, root_is_priv)
}

fn io_err(p: &Path, e: std::io::Error) -> Error {
    Error::msg(format!("{}: {e}", p.display()))
}

fn apply_meta<D: BlockDevice>(fs: &mut Ext2<D>, ino: u32, p: &Path, chown: bool) -> Result<(), Error> {
    let st = fs.stat(ino)?;
    if chown {
        std::os::unix::fs::lchown(p, Some(st.uid), Some(st.gid)).map_err(|e| io_err(p, e))?;
    }
    if st.file_type == FileType::Symlink {
        return Ok(());
    }
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(u32::from(st.mode & 0o7777)))
        .map_err(|e| io_err(p, e))?;
    if matches!(st.file_type, FileType::Regular | FileType::Directory) {
        let t = std::time::UNIX_EPOCH
            + std::time::Duration::new(st.mtime.sec.max(0) as u64, st.mtime.nsec.min(999_999_999));
        let f = std::fs::File::open(p).map_err(|e| io_err(p, e))?;
        f.set_modified(t).map_err(|e| io_err(p, e))?;
    }
    Ok(())
}

fn extract_dir<D: BlockDevice>(
    fs: &mut Ext2<D>,
    dir: u32,
    dest: &Path,
    links: &mut std::collections::HashMap<u32, PathBuf>,
    chown: bool,
    depth: usize,
) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::msg("directory tree too deep (corrupt image?)"));
    }
    for e in fs.read_dir_all(dir)? {
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let p = dest.join(std::ffi::OsStr::from_bytes(&e.name));
        let st = fs.stat(e.ino)?;
        if st.file_type != FileType::Directory && st.nlink > 1 {
            if let Some(first) = links.get(&e.ino) {
                std::fs::hard_link(first, &p).map_err(|err| io_err(&p, err))?;
                continue;
            }
            links.insert(e.ino, p.clone());
        }
        match st.file_type {
            FileType::Directory => {
                match std::fs::create_dir(&p) {
                    Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => return Err(io_err(&p, err)),
                    _ => {}
                }
                extract_dir(fs, e.ino, &p, links, chown, depth + 1)?;
            }
            FileType::Regular => {
                let f = std::fs::File::create(&p).map_err(|err| io_err(&p, err))?;
                let mut buf = vec![0u8; 1 << 20];
                let mut off = 0u64;
                loop {
                    let n = fs.read(e.ino, off, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    // Keep holes: skip all-zero buffers.
                    if buf[..n].iter().any(|&b| b != 0) {
                        std::os::unix::fs::FileExt::write_all_at(&f, &buf[..n], off).map_err(|err| io_err(&p, err))?;
                    }
                    off += n as u64;
                }
                f.set_len(st.size).map_err(|err| io_err(&p, err))?;
            }
            FileType::Symlink => {
                let t = fs.readlink(e.ino)?;
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&t), &p).map_err(|err| io_err(&p, err))?;
            }
            FileType::Fifo => {
                let ok = std::process::Command::new("mkfifo").arg(&p).status().map(|s| s.success()).unwrap_or(false);
                if !ok {
                    eprintln!("wasmpod image: {}: could not create FIFO, skipped", p.display());
                    continue;
                }
            }
            FileType::CharDevice | FileType::BlockDevice => {
                let kind = if st.file_type == FileType::CharDevice { "c" } else { "b" };
                let ok = std::process::Command::new("mknod")
                    .arg(&p)
                    .args([kind, &st.rdev.0.to_string(), &st.rdev.1.to_string()])
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                if !ok {
                    eprintln!("wasmpod image: {}: could not create device node, skipped", p.display());
                    continue;
                }
            }
            FileType::Socket | FileType::Unknown => {
                eprintln!("wasmpod image: {}: sockets are not extracted", p.display());
                continue;
            }
        }
        apply_meta(fs, e.ino, &p, chown)?;
    }
    Ok(())
}

fn info<D: BlockDevice>(fs: &Ext2<D>) {
    let sb = fs.superblock();
    let g = fs.geometry();
    let s = fs.statfs();
    let uuid: String = sb
        .uuid()
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let sep = if matches!(i, 4 | 6 | 8 | 10) { "-" } else { "" };
            format!("{sep}{b:02x}")
        })
        .collect();
    println!("revision:          {}", sb.rev_level());
    println!("volume name:       {}", String::from_utf8_lossy(&sb.volume_name()));
    println!("uuid:              {uuid}");
    println!("state:             {}", if sb.state() & 1 != 0 { "clean" } else { "not clean" });
    println!("block size:        {}", g.block_size);
    println!("blocks:            {} ({} free)", g.blocks_count, s.free_blocks);
    println!("inodes:            {} ({} free)", g.inodes_count, s.free_files);
    println!("inode size:        {}", g.inode_size);
    println!("groups:            {}", g.groups);
    println!(
        "features:          compat {:#x} incompat {:#x} ro_compat {:#x}",
        sb.feature_compat(),
        sb.feature_incompat(),
        sb.feature_ro_compat()
    );
    println!("mount count:       {}", sb.mnt_count());
}

/// An image file opened read-only, for the benchmark example.
#[allow(dead_code)]
pub fn dev_for_bench(p: &Path) -> FileDevice {
    FileDevice::open_read_only(p, DEV_BLOCK).expect("open image")
}
