//! Property test: random operation sequences applied to the driver and to an
//! in-memory model; afterwards `e2fsck -fn` must be clean and both our view
//! and debugfs's `rdump` must equal the model.
mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use wasmpod_ext2::mkfs::{format, MkfsOptions};
use wasmpod_ext2::{Ext2, FileType, Timespec, ROOT_INO};

const NAMES: [&str; 6] = ["a", "b", "c", "dir", "x.txt", "a-much-longer-name-to-fill-directory-blocks-faster"];

#[derive(Debug, Clone)]
enum Op {
    Create(usize, usize),
    Mkdir(usize, usize),
    Write(usize, u32, u16, u8),
    Truncate(usize, u32),
    Unlink(usize),
    Rmdir(usize),
    Rename(usize, usize, usize),
    Link(usize, usize, usize),
    Symlink(usize, usize, u8),
    Remount,
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..64;
    let n = 0usize..NAMES.len();
    prop_oneof![
        3 => (i.clone(), n.clone()).prop_map(|(d, n)| Op::Create(d, n)),
        2 => (i.clone(), n.clone()).prop_map(|(d, n)| Op::Mkdir(d, n)),
        4 => (i.clone(), 0u32..300_000, 0u16..20_000, any::<u8>()).prop_map(|(f, o, l, b)| Op::Write(f, o, l, b)),
        1 => (i.clone(), 0u32..300_000).prop_map(|(f, s)| Op::Truncate(f, s)),
        2 => i.clone().prop_map(Op::Unlink),
        1 => i.clone().prop_map(Op::Rmdir),
        2 => (i.clone(), i.clone(), n.clone()).prop_map(|(s, d, n)| Op::Rename(s, d, n)),
        1 => (i.clone(), i.clone(), n.clone()).prop_map(|(s, d, n)| Op::Link(s, d, n)),
        1 => (i.clone(), n.clone(), 1u8..200).prop_map(|(d, n, l)| Op::Symlink(d, n, l)),
        1 => Just(Op::Remount),
    ]
}

type P = Vec<String>;

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Dir,
    File(usize),
    Symlink(Vec<u8>),
}

#[derive(Default)]
struct Model {
    paths: BTreeMap<P, Kind>,
    files: Vec<Vec<u8>>,
}

impl Model {
    fn pick(&self, i: usize, f: impl Fn(&Kind) -> bool, with_root: bool) -> Option<P> {
        let mut v: Vec<&P> = self.paths.iter().filter(|(_, k)| f(k)).map(|(p, _)| p).collect();
        if with_root {
            v.insert(0, &ROOTP);
        }
        if v.is_empty() {
            None
        } else {
            Some(v[i % v.len()].clone())
        }
    }
    fn children(&self, d: &P) -> usize {
        self.paths.keys().filter(|p| p.len() == d.len() + 1 && p.starts_with(d)).count()
    }
}

static ROOTP: P = Vec::new();

fn resolve(fs: &mut Ext2<MemDevice>, p: &P) -> u32 {
    let mut ino = ROOT_INO;
    for c in p {
        ino = fs.lookup(ino, c.as_bytes()).unwrap_or_else(|e| panic!("lookup {p:?}: {e}"));
    }
    ino
}

fn join(d: &P, n: &str) -> P {
    let mut p = d.clone();
    p.push(n.to_string());
    p
}

fn apply(fs: &mut Ext2<MemDevice>, m: &mut Model, op: &Op) {
    let is_dir = |k: &Kind| *k == Kind::Dir;
    let is_file = |k: &Kind| matches!(k, Kind::File(_));
    match *op {
        Op::Create(d, n) | Op::Mkdir(d, n) | Op::Symlink(d, n, _) => {
            let dir = m.pick(d, is_dir, true).unwrap();
            let p = join(&dir, NAMES[n]);
            let di = resolve(fs, &dir);
            let exists = m.paths.contains_key(&p);
            let r = match *op {
                Op::Create(..) => fs.create(di, NAMES[n].as_bytes(), 0o644, 1, 2).map(|_| ()),
                Op::Mkdir(..) => fs.mkdir(di, NAMES[n].as_bytes(), 0o755, 0, 0).map(|_| ()),
                Op::Symlink(_, _, l) => {
                    let t = vec![b'0' + (l % 10); usize::from(l)];
                    let r = fs.symlink(di, NAMES[n].as_bytes(), &t, 0, 0).map(|_| ());
                    if r.is_ok() {
                        m.paths.insert(p.clone(), Kind::Symlink(t));
                    }
                    r
                }
                _ => unreachable!(),
            };
            assert_eq!(r.is_ok(), !exists, "{op:?} {p:?}: {r:?}");
            if r.is_ok() {
                match *op {
                    Op::Create(..) => {
                        m.files.push(Vec::new());
                        m.paths.insert(p, Kind::File(m.files.len() - 1));
                    }
                    Op::Mkdir(..) => {
                        m.paths.insert(p, Kind::Dir);
                    }
                    _ => {}
                }
            }
        }
        Op::Write(f, off, len, byte) => {
            let Some(p) = m.pick(f, is_file, false) else {
                return;
            };
            let Kind::File(id) = m.paths[&p] else { unreachable!() };
            let ino = resolve(fs, &p);
            let data = vec![byte; usize::from(len)];
            assert_eq!(fs.write(ino, u64::from(off), &data).unwrap(), data.len());
            let c = &mut m.files[id];
            let end = off as usize + data.len();
            if c.len() < end && !data.is_empty() {
                c.resize(end, 0);
            }
            if !data.is_empty() {
                c[off as usize..end].copy_from_slice(&data);
            }
        }
        Op::Truncate(f, size) => {
            let Some(p) = m.pick(f, is_file, false) else {
                return;
            };
            let Kind::File(id) = m.paths[&p] else { unreachable!() };
            let ino = resolve(fs, &p);
            fs.truncate(ino, u64::from(size)).unwrap();
            m.files[id].resize(size as usize, 0);
        }
        Op::Unlink(f) => {
            let Some(p) = m.pick(f, |k| !is_dir(k), false) else {
                return;
            };
            let parent = resolve(fs, &p[..p.len() - 1].to_vec());
            fs.unlink(parent, p.last().unwrap().as_bytes()).unwrap();
            m.paths.remove(&p);
        }
        Op::Rmdir(d) => {
            let Some(p) = m.pick(d, is_dir, false) else {
                return;
            };
            let parent = resolve(fs, &p[..p.len() - 1].to_vec());
            let r = fs.rmdir(parent, p.last().unwrap().as_bytes());
            let empty = m.children(&p) == 0;
            assert_eq!(r.is_ok(), empty, "{op:?} {p:?}: {r:?}");
            if empty {
                m.paths.remove(&p);
            }
        }
        Op::Link(s, d, n) => {
            let Some(src) = m.pick(s, is_file, false) else {
                return;
            };
            let dir = m.pick(d, is_dir, true).unwrap();
            let p = join(&dir, NAMES[n]);
            let (si, di) = (resolve(fs, &src), resolve(fs, &dir));
            let r = fs.link(si, di, NAMES[n].as_bytes());
            let exists = m.paths.contains_key(&p);
            assert_eq!(r.is_ok(), !exists, "{op:?}: {r:?}");
            if r.is_ok() {
                let k = m.paths[&src].clone();
                m.paths.insert(p, k);
            }
        }
        Op::Rename(s, d, n) => {
            let Some(src) = m.pick(s, |_| true, false) else {
                return;
            };
            let dir = m.pick(d, is_dir, true).unwrap();
            let dst = join(&dir, NAMES[n]);
            let sparent = resolve(fs, &src[..src.len() - 1].to_vec());
            let di = resolve(fs, &dir);
            let r = fs.rename(sparent, src.last().unwrap().as_bytes(), di, NAMES[n].as_bytes());
            let sk = m.paths[&src].clone();
            let expect_ok = if dst == src {
                true
            } else if sk == Kind::Dir && dst.starts_with(&src) {
                false
            } else {
                match m.paths.get(&dst) {
                    None => true,
                    Some(dk) if *dk == sk && sk != Kind::Dir && matches!(sk, Kind::File(_)) => true,
                    Some(Kind::Dir) => sk == Kind::Dir && m.children(&dst) == 0,
                    Some(_) => sk != Kind::Dir,
                }
            };
            assert_eq!(r.is_ok(), expect_ok, "{op:?} {src:?} -> {dst:?}: {r:?}");
            if !expect_ok || dst == src {
                return;
            }
            if let (Some(dk), Kind::File(_)) = (m.paths.get(&dst), &sk) {
                if *dk == sk {
                    return; // Hard links to the same file: no-op.
                }
            }
            m.paths.remove(&dst);
            let moved: Vec<P> = m.paths.keys().filter(|p| p.starts_with(&src)).cloned().collect();
            for old in moved {
                let k = m.paths.remove(&old).unwrap();
                let mut np = dst.clone();
                np.extend_from_slice(&old[src.len()..]);
                m.paths.insert(np, k);
            }
        }
        Op::Remount => {}
    }
}

fn check_ours(fs: &mut Ext2<MemDevice>, m: &Model) {
    let mut seen = BTreeMap::new();
    walk(fs, ROOT_INO, &Vec::new(), &mut seen, m);
    let expected: BTreeMap<P, Kind> = m.paths.clone();
    assert_eq!(seen.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
}

fn walk(fs: &mut Ext2<MemDevice>, ino: u32, p: &P, seen: &mut BTreeMap<P, ()>, m: &Model) {
    for e in fs.read_dir_all(ino).unwrap() {
        let name = String::from_utf8(e.name.clone()).unwrap();
        if name == "." || name == ".." || (p.is_empty() && name == "lost+found") {
            continue;
        }
        let cp = join(p, &name);
        let k = m.paths.get(&cp).unwrap_or_else(|| panic!("unexpected {cp:?}"));
        seen.insert(cp.clone(), ());
        match k {
            Kind::Dir => {
                assert_eq!(e.file_type, FileType::Directory);
                assert_eq!(fs.lookup(e.ino, b"..").unwrap(), ino);
                walk(fs, e.ino, &cp, seen, m);
            }
            Kind::File(id) => {
                let want = &m.files[*id];
                let st = fs.stat(e.ino).unwrap();
                assert_eq!(st.size, want.len() as u64, "{cp:?}");
                let links = m.paths.values().filter(|k| *k == &Kind::File(*id)).count();
                assert_eq!(usize::from(st.nlink), links, "{cp:?}");
                let mut buf = vec![0u8; want.len()];
                fs.read(e.ino, 0, &mut buf).unwrap();
                assert!(&buf == want, "content of {cp:?}");
            }
            Kind::Symlink(t) => assert_eq!(&fs.readlink(e.ino).unwrap(), t),
        }
    }
}

fn check_rdump(img: &Path, m: &Model) {
    let out = tempfile::tempdir().unwrap();
    debugfs(img, &format!("rdump / {}", out.path().display()));
    let root = out.path().join("");
    // rdump of "/" creates the directory's contents under out/.
    for (p, k) in &m.paths {
        let hp = p.iter().fold(root.clone(), |acc, c| acc.join(c));
        match k {
            Kind::Dir => assert!(hp.is_dir(), "{hp:?}"),
            Kind::File(id) => assert!(std::fs::read(&hp).unwrap() == m.files[*id], "{hp:?}"),
            Kind::Symlink(t) => {
                assert_eq!(std::fs::read_link(&hp).unwrap().into_os_string().into_encoded_bytes(), *t)
            }
        }
    }
}

fn run(bs: u32, ops: &[Op]) {
    let dev = format(
        MemDevice::new(12 << 20),
        &MkfsOptions { block_size: bs, inodes: 256, uuid: [1; 16], ..Default::default() },
    )
    .unwrap();
    run_on(dev, ops);
}

/// Reads an existing image into a model (trusting the read-back tests).
fn model_of(fs: &mut Ext2<MemDevice>) -> Model {
    let mut m = Model::default();
    let mut by_ino = std::collections::HashMap::new();
    let mut stack = vec![(ROOT_INO, Vec::new())];
    while let Some((dir, p)) = stack.pop() {
        for e in fs.read_dir_all(dir).unwrap() {
            let name = String::from_utf8(e.name.clone()).unwrap();
            if name == "." || name == ".." || (p.is_empty() && name == "lost+found") {
                continue;
            }
            let cp = join(&p, &name);
            let kind = match e.file_type {
                FileType::Directory => {
                    stack.push((e.ino, cp.clone()));
                    Kind::Dir
                }
                FileType::Symlink => Kind::Symlink(fs.readlink(e.ino).unwrap()),
                FileType::Regular => {
                    let id = *by_ino.entry(e.ino).or_insert_with(|| {
                        let st = fs.stat(e.ino).unwrap();
                        let mut buf = vec![0u8; st.size as usize];
                        fs.read(e.ino, 0, &mut buf).unwrap();
                        m.files.push(buf);
                        m.files.len() - 1
                    });
                    Kind::File(id)
                }
                _ => continue, // special files are not part of the model
            };
            m.paths.insert(cp, kind);
        }
    }
    m
}

/// A small `mke2fs -d` image with hashed directories (no special files,
/// which the model does not track).
fn mke2fs_base() -> &'static [u8] {
    static BASE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        for d in ["a", "b/c", "dir"] {
            std::fs::create_dir_all(tree.join(d)).unwrap();
        }
        for i in 0..400 {
            std::fs::write(tree.join(format!("a/entry-{i:04}")), format!("{i}")).unwrap();
        }
        std::fs::write(tree.join("b/c/x.txt"), vec![9u8; 70_000]).unwrap();
        std::fs::hard_link(tree.join("b/c/x.txt"), tree.join("b/x.txt")).unwrap();
        std::os::unix::fs::symlink("c/x.txt", tree.join("b/link")).unwrap();
        let img = dir.path().join("img");
        mke2fs(&img, Some(&tree), 12 * 1024, &["-b", "1024"]);
        let (code, out) = e2fsck_with(&img, "-fyD");
        assert!(code <= 1, "{out}");
        std::fs::read(&img).unwrap()
    })
}

fn run_on(dev: MemDevice, ops: &[Op]) {
    let mut fs = Ext2::open(dev).unwrap();
    fs.set_clock(|| Timespec::new(1_700_000_000, 0));
    let mut m = model_of(&mut fs);
    for op in ops {
        if let Op::Remount = op {
            let dev = fs.unmount().unwrap();
            fs = Ext2::open(dev).unwrap();
            fs.set_clock(|| Timespec::new(1_700_000_000, 0));
            check_ours(&mut fs, &m);
        } else {
            apply(&mut fs, &mut m, op);
        }
    }
    check_ours(&mut fs, &m);
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    fs.unmount().unwrap().save(&img);
    assert_fsck_clean(&img);
    check_rdump(&img, &m);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    #[test]
    fn random_operations_match_the_model_1k(ops in proptest::collection::vec(op(), 1..80)) {
        run(1024, &ops);
    }

    #[test]
    fn random_operations_match_the_model_4k(ops in proptest::collection::vec(op(), 1..80)) {
        run(4096, &ops);
    }
}

proptest! {
    // Each case copies, checks and dumps a 12 MiB image with 400+ files.
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn random_operations_on_an_mke2fs_image_with_htree(ops in proptest::collection::vec(op(), 1..80)) {
        run_on(MemDevice { data: mke2fs_base().to_vec() }, &ops);
    }
}
