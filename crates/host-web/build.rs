//! Link arguments for `kernel.wasm`: only for the browser target, so that
//! `cargo build`/`clippy` of the workspace on the host are unaffected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target != "wasm32-wasip1-threads" {
        return;
    }
    for arg in [
        // One kernel memory shared by every worker's instance.
        "--import-memory",
        "--shared-memory",
        // 1 GiB: the kernel's heap (tmpfs contents, pipes, page cache).
        "--max-memory=1073741824",
        // Per-worker stack and TLS set up from JS (docs/browser-host.md).
        "--export=__stack_pointer",
        "--export=__tls_base",
        "--export=__tls_size",
        "--export=__tls_align",
        "--export=__wasm_init_tls",
        "--export=__heap_base",
    ] {
        println!("cargo:rustc-link-arg-cdylib={arg}");
    }
}
