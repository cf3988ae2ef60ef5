//! The wasmtime engine and the compiled-module cache.
//!
//! One [`Engine`] per pod: threads/shared memory, exception handling
//! (exnref; wasmtime implements exception objects on its GC heap, so the
//! `gc` feature and a collector are needed), epoch interruption (for
//! `Platform::kill_thread`), cranelift.
//!
//! Modules are cached twice:
//! - in memory, by content hash (SHA-256 of the bytes), with a side table
//!   from the kernel's `ExecImage::cache_key` (dev, ino, mtime, size) to
//!   the hash so that a re-exec of the same file does not even re-hash it;
//! - on disk, as `<dir>/<sha256(bytes ‖ engine description)>.cwasm`
//!   (`Module::serialize`), where `<dir>` is `$WASMPOD_CACHE_DIR` or
//!   `~/.cache/wasmpod/modules`. A file that fails to load (another
//!   wasmtime, another CPU, truncated) is ignored and rewritten.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use wasmpod_kernel::ExecImage;
use wasmtime::{Config, Engine, Module};

/// What the engine's configuration is, for the disk cache's key: a change
/// here must change the key.
const ENGINE_DESCRIPTION: &str =
    "wasmtime 48.0.8; threads shared-memory exceptions gc(drc) epoch-interruption cranelift(speed); wasmpod v1";

/// Native stack for wasm on each guest thread (wasmtime's limit); the host
/// thread's stack is made bigger than this.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// Builds the engine.
pub fn new_engine() -> wasmtime::Result<Engine> {
    let mut c = Config::new();
    c.wasm_threads(true)
        .shared_memory(true)
        .wasm_exceptions(true)
        .wasm_reference_types(true)
        .wasm_function_references(true)
        .wasm_gc(true)
        .epoch_interruption(true)
        .max_wasm_stack(MAX_WASM_STACK);
    Engine::new(&c)
}

/// `ExecImage::cache_key`: (device, inode, mtime ns, size).
type CacheKey = (u64, u64, i64, u64);

/// Compiled modules, shared by every thread of the pod.
pub struct ModuleCache {
    engine: Engine,
    by_hash: Mutex<HashMap<[u8; 32], Module>>,
    by_key: Mutex<HashMap<CacheKey, [u8; 32]>>,
    dir: Option<PathBuf>,
}

impl ModuleCache {
    pub fn new(engine: Engine) -> Self {
        let dir = match std::env::var_os("WASMPOD_CACHE_DIR") {
            Some(d) if d.is_empty() => None,
            Some(d) => Some(PathBuf::from(d)),
            None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/wasmpod/modules")),
        };
        ModuleCache { engine, by_hash: Mutex::new(HashMap::new()), by_key: Mutex::new(HashMap::new()), dir }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled module for an exec image.
    pub fn get(&self, image: &ExecImage) -> wasmtime::Result<Module> {
        let known = self.by_key.lock().get(&image.cache_key).copied();
        let hash = match known {
            Some(h) => h,
            None => {
                let h: [u8; 32] = Sha256::digest(image.module.as_slice()).into();
                self.by_key.lock().insert(image.cache_key, h);
                h
            }
        };
        self.get_bytes(hash, &image.module)
    }

    /// The compiled module for `bytes` (whose SHA-256 is `hash`).
    pub fn get_bytes(&self, hash: [u8; 32], bytes: &Arc<Vec<u8>>) -> wasmtime::Result<Module> {
        if let Some(m) = self.by_hash.lock().get(&hash) {
            return Ok(m.clone());
        }
        let module = self.load_or_compile(bytes)?;
        self.by_hash.lock().insert(hash, module.clone());
        Ok(module)
    }

    fn disk_path(&self, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let mut h = Sha256::new();
        h.update(bytes);
        h.update(ENGINE_DESCRIPTION.as_bytes());
        let name: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Some(dir.join(format!("{name}.cwasm")))
    }

    fn load_or_compile(&self, bytes: &[u8]) -> wasmtime::Result<Module> {
        let path = self.disk_path(bytes);
        if let Some(p) = path.as_ref().filter(|p| p.exists()) {
            // SAFETY: `Module::deserialize_file` trusts the file to be the
            // output of `Module::serialize`: loading arbitrary bytes could
            // run arbitrary native code. The file is one we wrote ourselves
            // (below) under a name that is the hash of the wasm bytes and
            // of the engine configuration, in the user's own cache
            // directory, written to a temporary name and renamed into place
            // (so never seen half-written). wasmtime itself checks that the
            // file was made by the same wasmtime version with a compatible
            // configuration and CPU features, and refuses it otherwise (we
            // then recompile). The cache directory is as trusted as the
            // `wasmpod` binary next to it in the user's home.
            match unsafe { Module::deserialize_file(&self.engine, p) } {
                Ok(m) => return Ok(m),
                Err(_) => {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
        let module = Module::new(&self.engine, bytes)?;
        if let Some(p) = path {
            // Best effort: a read-only or full disk only costs a recompile.
            let _ = Self::store(&module, &p);
        }
        Ok(module)
    }

    fn store(module: &Module, path: &std::path::Path) -> wasmtime::Result<()> {
        let data = module.serialize()?;
        let dir = path.parent().ok_or_else(|| wasmtime::format_err!("cache path without a directory"))?;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".tmp-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}
