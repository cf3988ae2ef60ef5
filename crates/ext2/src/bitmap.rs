//! Bit operations on block and inode bitmaps (bit `i` is byte `i / 8`, bit `i % 8`).

pub(crate) fn test(bm: &[u8], i: usize) -> bool {
    bm[i / 8] & (1 << (i % 8)) != 0
}

pub(crate) fn set(bm: &mut [u8], i: usize) {
    bm[i / 8] |= 1 << (i % 8);
}

pub(crate) fn clear(bm: &mut [u8], i: usize) {
    bm[i / 8] &= !(1 << (i % 8));
}

/// First clear bit in `start..end`, skipping full bytes quickly.
pub(crate) fn find_zero(bm: &[u8], start: usize, end: usize) -> Option<usize> {
    let end = end.min(bm.len() * 8);
    let mut i = start;
    while i < end {
        if i.is_multiple_of(64) && i + 64 <= end && bm[i / 8..i / 8 + 8].iter().all(|&b| b == 0xFF) {
            i += 64;
            continue;
        }
        if i.is_multiple_of(8) && bm[i / 8] == 0xFF {
            i += 8;
            continue;
        }
        if !test(bm, i) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_zero_after_full_bytes() {
        let mut bm = vec![0xFFu8; 4];
        clear(&mut bm, 27);
        assert_eq!(find_zero(&bm, 0, 32), Some(27));
        assert_eq!(find_zero(&bm, 28, 32), None);
        assert_eq!(find_zero(&bm, 0, 27), None);
        set(&mut bm, 27);
        assert!(test(&bm, 27));
        assert_eq!(find_zero(&bm, 0, 32), None);
    }
}
