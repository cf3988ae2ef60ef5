//! `cargo xtask demo [--port N] [--bind ADDR]`: README's first command.
//! Installs what is missing (setup), builds everything the demo page needs
//! (the C toolchain, kernel.wasm, the TypeScript bundle, the release
//! `wasmpod`), then serves `build/web` with `wasmpod serve` until Ctrl-C.
//! The root image `build/images/rootfs.ext2` is served when it exists.

use std::process::Command;

use crate::util::{cargo, repo_root, run, step};

pub fn demo(args: &[String]) -> Result<(), String> {
    let mut serve_args: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" | "--bind" => {
                let v = it.next().ok_or(format!("{a} needs a value"))?;
                serve_args.extend([a.clone(), v.clone()]);
            }
            _ => return Err(format!("demo: unknown argument {a} (usage: cargo xtask demo [--port N] [--bind ADDR])")),
        }
    }
    if !serve_args.iter().any(|a| a == "--port") {
        serve_args.extend(["--port".into(), "8080".into()]);
    }
    crate::setup::setup()?;
    step("browser kernel and runtime (build/web)");
    let wasm = crate::web::build()?;
    crate::web::check(&wasm)?;
    crate::web::bundle()?;
    step("wasmpod (release)");
    let root = repo_root();
    run(cargo().args(["build", "--quiet", "--release", "-p", "wasmpod-host-native"]).current_dir(&root))?;
    let image = root.join("build/images/rootfs.ext2");
    if image.is_file() {
        serve_args.extend(["--image".into(), image.display().to_string()]);
    }
    step("serving the demo (Ctrl-C stops it); open the URL below in Chromium or Firefox");
    run(Command::new(root.join("target/release/wasmpod"))
        .arg("serve")
        .args(["--dir", &root.join("build/web").display().to_string()])
        .args(&serve_args)
        .current_dir(&root))
}
