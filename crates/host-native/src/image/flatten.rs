//! `wasmpod image flatten IMG -o OUT --overlay F | --journal F`: the image
//! as a copy-on-write store sees it, written out as a plain image: the
//! base's blocks with the store's on top. What `e2fsck` checks, and how a
//! pod's changes become a new base image. A browser pod's storage comes
//! out of `Pod.exportStorage(key)` as a journal (crates/blockdev
//! `overlay/journal.rs`).
//!
//! OUT is written sparsely: runs of zero bytes become holes (it is a new
//! file, so holes read as zeros).

use std::fs::File;
use std::io::Write;
use std::path::Path;

use wasmpod_blockdev::{content_fingerprint, BlockDevice, FileDevice, JournalDelta, OverlayDevice};

use super::dev::DEV_BLOCK;
use super::Error;

/// The copy-on-write store to apply.
pub enum Store<'a> {
    Overlay(&'a str),
    Journal(&'a str),
}

pub fn flatten(img: &str, store: Store<'_>, out: &Path) -> Result<(), Error> {
    let base_err = |e: wasmpod_blockdev::BlockError| Error::msg(format!("{img}: {e}"));
    let mut dev: Box<dyn BlockDevice> = match store {
        Store::Overlay(ov) => {
            let base = FileDevice::open_read_only(img, DEV_BLOCK).map_err(base_err)?;
            Box::new(OverlayDevice::open(base, ov).map_err(|e| Error::msg(format!("{ov}: {e}")))?)
        }
        Store::Journal(j) => {
            let jerr = |e: wasmpod_blockdev::BlockError| Error::msg(format!("{j}: {e}"));
            // Read-write: opening drops (truncates) a torn tail.
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(j)
                .map_err(|e| Error::msg(format!("{j}: {e}")))?;
            let bs = JournalDelta::block_size_of(&mut file).map_err(jerr)?;
            let mut base = FileDevice::open_read_only(img, bs).map_err(base_err)?;
            let fp = content_fingerprint(&mut base).map_err(base_err)?;
            let journal = JournalDelta::open(file, bs, base.num_blocks(), fp).map_err(jerr)?;
            Box::new(OverlayDevice::with_store(base, journal).map_err(jerr)?)
        }
    };
    let mut f = File::create(out).map_err(|e| Error::msg(format!("{}: {e}", out.display())))?;
    let werr = |e: std::io::Error| Error::msg(format!("{}: {e}", out.display()));
    let bs = u64::from(dev.block_size());
    let total = dev.num_blocks();
    // 1 MiB at a time.
    let step = (1u64 << 20) / bs;
    let mut buf = vec![0u8; (step * bs) as usize];
    let mut block = 0;
    while block < total {
        let n = step.min(total - block);
        let part = &mut buf[..(n * bs) as usize];
        dev.read_blocks(block, part).map_err(|e| Error::msg(format!("reading block {block}: {e}")))?;
        if part.iter().all(|&b| b == 0) {
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Current(part.len() as i64)).map_err(werr)?;
        } else {
            f.write_all(part).map_err(werr)?;
        }
        block += n;
    }
    f.set_len(total * bs).map_err(werr)?;
    Ok(())
}
