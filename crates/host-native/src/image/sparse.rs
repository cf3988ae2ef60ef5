//! Finding the data regions of a sparse host file (`SEEK_DATA`/`SEEK_HOLE`),
//! so image builds copy a 5 GiB file with a few written blocks in
//! microseconds instead of reading gigabytes of zeros.

use std::fs::File;
use std::os::unix::io::AsRawFd;

fn seek(f: &File, off: u64, whence: libc::c_int) -> Option<u64> {
    let off = libc::off_t::try_from(off).ok()?;
    // SAFETY: lseek only reads its integer arguments; the descriptor is owned
    // by `f`, which outlives the call. It has no memory-safety preconditions.
    let r = unsafe { libc::lseek(f.as_raw_fd(), off, whence) };
    u64::try_from(r).ok()
}

/// Byte ranges `[start, end)` of `f` (length `len`) that may hold data. On
/// filesystems without hole reporting this is the whole file.
pub fn data_ranges(f: &File, len: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    while pos < len {
        let Some(start) = seek(f, pos, libc::SEEK_DATA) else {
            // ENXIO: no data past pos. Anything else: be safe, say "all data".
            let errno = std::io::Error::last_os_error().raw_os_error();
            if errno != Some(libc::ENXIO) {
                out.push((pos, len));
            }
            break;
        };
        let end = seek(f, start, libc::SEEK_HOLE).unwrap_or(len).min(len);
        if end <= start {
            break;
        }
        out.push((start, end));
        pos = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileExt;

    #[test]
    fn finds_the_data_in_a_sparse_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s");
        let f = File::create(&p).unwrap();
        f.set_len(1 << 30).unwrap();
        f.write_all_at(b"x", 512 << 20).unwrap();
        let f = File::open(&p).unwrap();
        let r = data_ranges(&f, 1 << 30);
        let total: u64 = r.iter().map(|(s, e)| e - s).sum();
        assert!(r.iter().any(|&(s, e)| s <= 512 << 20 && e > 512 << 20));
        assert!(total < 1 << 30, "holes were reported as data: {r:?}");
    }
}
