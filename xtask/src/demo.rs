//! `cargo xtask demo [--port N] [--bind ADDR]`: README's first command.
//! Installs what is missing (setup), builds everything the demo page needs
//! (the C toolchain, the ports and the root image `build/images/rootfs.ext2`
//! as `cargo xtask build` does, kernel.wasm, the TypeScript bundle), then
//! serves `build/web` and the image with `wasmpod serve` until Ctrl-C.

use std::process::Command;

use crate::util::{repo_root, run, step};

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
    crate::build::build(&[])?;
    step("browser kernel and runtime (build/web)");
    let wasm = crate::web::build()?;
    crate::web::check(&wasm)?;
    crate::web::bundle()?;
    let root = repo_root();
    let image = root.join("build/images/rootfs.ext2");
    serve_args.extend(["--image".into(), image.display().to_string()]);
    step("serving the demo (Ctrl-C stops it); open the URL below in Chromium or Firefox");
    run(Command::new(root.join("target/release/wasmpod"))
        .arg("serve")
        .args(["--dir", &root.join("build/web").display().to_string()])
        .args(&serve_args)
        .current_dir(&root))
}
