//! Persistent chunk stores: fetched chunks kept across sessions.
//!
//! A [`ChunkStore`] maps (image, chunk index) → chunk bytes. The image is
//! named by an [`ImageKey`]: URL, size, ETag and chunk size, so chunks of a
//! changed image (new ETag or size) are never served for the new one.
//! [`DirChunkStore`] keeps them as files natively; the browser will supply an
//! OPFS / IndexedDB store through the same trait.
//!
//! Not here yet: a size limit and eviction for the directory store, removal
//! of directories of stale images.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checksum::{crc32, Fnv64};
use crate::error::{BlockError, Result};

/// Names one version of one remote image, chunked one way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageKey {
    pub url: String,
    pub size: u64,
    pub etag: String,
    pub chunk_size: u32,
}

impl ImageKey {
    /// A filesystem-safe name for this key: 16 hex digits of FNV-1a 64.
    /// (Collisions would need ~2^32 distinct images in one store.)
    pub fn digest(&self) -> String {
        let mut h = Fnv64::new();
        for part in
            [self.url.as_bytes(), &self.size.to_le_bytes(), self.etag.as_bytes(), &self.chunk_size.to_le_bytes()]
        {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part);
        }
        format!("{:016x}", h.finish())
    }
}

/// A local cache of chunks. Failures are reported but the caller treats the
/// store as an optimisation: a failed `load` is a miss, a failed `save` is
/// ignored.
pub trait ChunkStore: Send {
    /// Whether chunk `chunk` of `image` is stored (cheap; may be optimistic).
    fn contains(&mut self, image: &ImageKey, chunk: u64) -> bool;
    /// The stored chunk, verified, or `None`.
    fn load(&mut self, image: &ImageKey, chunk: u64) -> Result<Option<Vec<u8>>>;
    /// Stores a chunk (replacing any previous copy).
    fn save(&mut self, image: &ImageKey, chunk: u64, data: &[u8]) -> Result<()>;
}

/// Chunks as files: `ROOT/<ImageKey::digest>/<chunk index>.chunk`, each the
/// chunk's bytes followed by their CRC-32 (little-endian). Files are written
/// to a temporary name and renamed into place, so a crash leaves either the
/// whole chunk or none; the CRC catches anything else (a corrupt file is
/// treated as missing). `ROOT/<digest>/key.txt` names the image for humans.
#[derive(Debug, Clone)]
pub struct DirChunkStore {
    root: PathBuf,
}

impl DirChunkStore {
    /// A store under `root` (created if missing).
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(|e| BlockError::Io(format!("{}: {e}", root.display())))?;
        Ok(Self { root })
    }

    fn dir(&self, image: &ImageKey) -> PathBuf {
        self.root.join(image.digest())
    }

    fn path(&self, image: &ImageKey, chunk: u64) -> PathBuf {
        self.dir(image).join(format!("{chunk}.chunk"))
    }
}

impl ChunkStore for DirChunkStore {
    fn contains(&mut self, image: &ImageKey, chunk: u64) -> bool {
        self.path(image, chunk).is_file()
    }

    fn load(&mut self, image: &ImageKey, chunk: u64) -> Result<Option<Vec<u8>>> {
        let path = self.path(image, chunk);
        let mut bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(BlockError::Io(format!("{}: {e}", path.display()))),
        };
        if bytes.len() < 4 {
            return Err(BlockError::Invalid(format!("{}: truncated chunk", path.display())));
        }
        let split = bytes.len() - 4;
        let want = u32::from_le_bytes([bytes[split], bytes[split + 1], bytes[split + 2], bytes[split + 3]]);
        if crc32(&bytes[..split]) != want {
            return Err(BlockError::Invalid(format!("{}: chunk checksum mismatch", path.display())));
        }
        bytes.truncate(split);
        Ok(Some(bytes))
    }

    fn save(&mut self, image: &ImageKey, chunk: u64, data: &[u8]) -> Result<()> {
        let dir = self.dir(image);
        let io = |e: std::io::Error| BlockError::Io(format!("{}: {e}", dir.display()));
        if !dir.is_dir() {
            fs::create_dir_all(&dir).map_err(io)?;
            let key = format!(
                "url {}\nsize {}\netag {}\nchunk_size {}\n",
                image.url, image.size, image.etag, image.chunk_size
            );
            fs::write(dir.join("key.txt"), key).map_err(io)?;
        }
        let tmp = dir.join(format!("{chunk}.chunk.tmp"));
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(data).map_err(io)?;
        f.write_all(&crc32(data).to_le_bytes()).map_err(io)?;
        // No fsync: losing a cached chunk to a crash only costs a refetch,
        // and the CRC rejects a half-written one.
        drop(f);
        fs::rename(&tmp, self.path(image, chunk)).map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(etag: &str) -> ImageKey {
        ImageKey { url: "http://x/img".into(), size: 1 << 20, etag: etag.into(), chunk_size: 1 << 18 }
    }

    #[test]
    fn round_trip_and_keyed_by_etag() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = DirChunkStore::new(dir.path()).unwrap();
        assert!(!s.contains(&key("a"), 3));
        assert_eq!(s.load(&key("a"), 3).unwrap(), None);
        s.save(&key("a"), 3, &[7; 100]).unwrap();
        assert!(s.contains(&key("a"), 3));
        assert_eq!(s.load(&key("a"), 3).unwrap(), Some(vec![7; 100]));
        assert_eq!(s.load(&key("b"), 3).unwrap(), None);
        assert_ne!(key("a").digest(), key("b").digest());
        // A new store over the same directory sees the chunk.
        let mut s2 = DirChunkStore::new(dir.path()).unwrap();
        assert_eq!(s2.load(&key("a"), 3).unwrap(), Some(vec![7; 100]));
    }

    #[test]
    fn corrupt_chunk_is_an_error_not_data() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = DirChunkStore::new(dir.path()).unwrap();
        s.save(&key("a"), 0, &[1; 64]).unwrap();
        let p = dir.path().join(key("a").digest()).join("0.chunk");
        let mut b = fs::read(&p).unwrap();
        b[10] ^= 1;
        fs::write(&p, &b).unwrap();
        assert!(matches!(s.load(&key("a"), 0), Err(BlockError::Invalid(_))));
        fs::write(&p, [1, 2]).unwrap();
        assert!(s.load(&key("a"), 0).is_err());
    }
}
