//! `cargo xtask build [--test] [--with DIR]...`: everything a user runs, from
//! sources: the C toolchain, the wasm ports (`cargo xtask ports --target
//! wasm`), the release `wasmpod`, and the root image
//! `build/images/rootfs.ext2` ([`crate::image`]), which `wasmpod run` (from
//! the checkout) and `wasmpod serve` then use by default.
//!
//! `--test` then checks the image under `wasmpod run` ([`crate::image::
//! test_image`]: the product's hello, init, the shell demo).
//! `--with DIR` adds a staging tree of one's own on top of the ports' (e.g.
//! a port's stage being worked on elsewhere); repeatable.

use std::path::PathBuf;

use crate::ports::{self, Target};
use crate::util::{cargo, repo_root, run, step};

pub fn build(args: &[String]) -> Result<(), String> {
    let mut extra = Vec::new();
    let mut test = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--test" => test = true,
            "--with" => extra.push(PathBuf::from(it.next().ok_or("--with needs a directory")?)),
            _ => {
                return Err(format!("build: unknown argument {a} (usage: cargo xtask build [--test] [--with DIR]...)"))
            }
        }
    }
    let root = repo_root();
    step("toolchain and ports (wasm)");
    ports::build_ports(&[], &[Target::Wasm])?;
    let stages: Vec<PathBuf> =
        ports::all()?.iter().map(|r| ports::built(&r.name, Target::Wasm).join("stage")).collect();
    step("wasmpod (release)");
    run(cargo().args(["build", "--quiet", "--release", "-p", "wasmpod-host-native"]).current_dir(&root))?;
    let wasmpod = root.join("target/release/wasmpod");
    let image = root.join("build/images/rootfs.ext2");
    crate::image::build_image(&wasmpod, &stages, &extra, &image)?;
    if test {
        step("root image checks (wasmpod run)");
        crate::image::test_image(&wasmpod, &image)?;
    }
    Ok(())
}
