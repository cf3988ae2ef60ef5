//! `kernel.wasm`: the wasmpod kernel for the browser host.
//!
//! Built as a `cdylib` for `wasm32-wasip1-threads` on an imported shared
//! memory (see `build.rs`), so that every Worker instantiates this module on
//! the one kernel `WebAssembly.Memory` (ARCHITECTURE §4: the kernel runs in
//! every worker; there is no kernel worker). The JS side supplies the
//! platform (`wasmpod` imports: clock, randomness, starting processes and
//! threads, logging) and the calling program's memory (`copy_from_user` /
//! `copy_to_user`); it calls the `wasmpod_*` exports. The interface, with
//! the per-worker stack/TLS setup, is documented in `docs/browser-host.md`.
//!
//! On other targets the crate is empty (so that workspace builds and
//! clippy on the host are unaffected).

#[cfg(any(target_arch = "wasm32", test))]
mod handles;
#[cfg(target_arch = "wasm32")]
mod image;
#[cfg(target_arch = "wasm32")]
mod pty;
#[cfg(target_arch = "wasm32")]
mod volume;
#[cfg(target_arch = "wasm32")]
mod wake;
#[cfg(target_arch = "wasm32")]
mod web;
