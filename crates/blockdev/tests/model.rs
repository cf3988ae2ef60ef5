//! Property tests: random read/write/flush sequences on layered devices must
//! behave exactly like a plain byte vector.

use proptest::prelude::*;
use wasmpod_blockdev::{
    read_at, write_at, BlockDevice, BlockError, CacheDevice, FileDevice, MemoryDelta, MemoryDevice, OverlayDevice,
};

const BS: usize = 512;
const BLOCKS: u64 = 24;
const SIZE: usize = BS * BLOCKS as usize;

#[derive(Debug, Clone)]
enum Op {
    Write { block: u64, count: u64, seed: u8 },
    Read { block: u64, count: u64 },
    WriteAt { off: u64, len: usize, seed: u8 },
    ReadAt { off: u64, len: usize },
    Flush,
}

fn op() -> impl Strategy<Value = Op> {
    // Ranges reach a little past the end so out-of-range paths run too.
    prop_oneof![
        4 => (0..BLOCKS + 2, 0..5u64, any::<u8>()).prop_map(|(block, count, seed)| Op::Write { block, count, seed }),
        4 => (0..BLOCKS + 2, 0..5u64).prop_map(|(block, count)| Op::Read { block, count }),
        3 => (0..SIZE as u64 + 100, 0..2000usize, any::<u8>()).prop_map(|(off, len, seed)| Op::WriteAt { off, len, seed }),
        3 => (0..SIZE as u64 + 100, 0..2000usize).prop_map(|(off, len)| Op::ReadAt { off, len }),
        1 => Just(Op::Flush),
    ]
}

fn fill(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add((i * 31 % 253) as u8)).collect()
}

fn base() -> Vec<u8> {
    (0..SIZE).map(|i| (i / BS) as u8 ^ (i % 7) as u8).collect()
}

/// Runs `ops` on `dev` and on a Vec model; every result must agree.
fn run(dev: &mut dyn BlockDevice, model: &mut [u8], ops: &[Op]) -> Result<(), TestCaseError> {
    for op in ops {
        match *op {
            Op::Write { block, count, seed } => {
                let data = fill(count as usize * BS, seed);
                let r = dev.write_blocks(block, &data);
                if block + count <= BLOCKS {
                    prop_assert_eq!(r, Ok(()));
                    model[block as usize * BS..][..data.len()].copy_from_slice(&data);
                } else {
                    let is_oor = matches!(r, Err(BlockError::OutOfRange { .. }));
                    prop_assert!(is_oor);
                }
            }
            Op::Read { block, count } => {
                let mut buf = vec![0; count as usize * BS];
                let r = dev.read_blocks(block, &mut buf);
                if block + count <= BLOCKS {
                    prop_assert_eq!(r, Ok(()));
                    prop_assert_eq!(&buf[..], &model[block as usize * BS..][..buf.len()]);
                } else {
                    let is_oor = matches!(r, Err(BlockError::OutOfRange { .. }));
                    prop_assert!(is_oor);
                }
            }
            Op::WriteAt { off, len, seed } => {
                let data = fill(len, seed);
                let r = write_at(dev, off, &data);
                if off as usize + len <= SIZE {
                    prop_assert_eq!(r, Ok(()));
                    model[off as usize..][..len].copy_from_slice(&data);
                } else {
                    prop_assert!(r.is_err());
                }
            }
            Op::ReadAt { off, len } => {
                let mut buf = vec![0; len];
                let r = read_at(dev, off, &mut buf);
                if off as usize + len <= SIZE {
                    prop_assert_eq!(r, Ok(()));
                    prop_assert_eq!(&buf[..], &model[off as usize..][..len]);
                } else {
                    prop_assert!(r.is_err());
                }
            }
            Op::Flush => prop_assert_eq!(dev.flush(), Ok(())),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn cache_over_memory_matches_a_vec(cap in 1usize..8, ops in prop::collection::vec(op(), 0..60)) {
        let mut model = base();
        let mut dev = CacheDevice::new(MemoryDevice::from_vec(base(), BS as u32).unwrap(), cap).unwrap();
        run(&mut dev, &mut model, &ops)?;
        let inner = dev.into_inner().map_err(|e| TestCaseError::fail(e.error.to_string()))?;
        prop_assert_eq!(inner.into_inner(), model);
    }

    #[test]
    fn overlay_over_memory_matches_a_vec_and_leaves_the_base(ops in prop::collection::vec(op(), 0..60)) {
        let mut model = base();
        let ro = MemoryDevice::from_vec(base(), BS as u32).unwrap().into_read_only();
        let mut dev = OverlayDevice::with_store(ro, MemoryDelta::new(BS as u32)).unwrap();
        run(&mut dev, &mut model, &ops)?;
        let mut all = vec![0; SIZE];
        dev.read_blocks(0, &mut all).unwrap();
        prop_assert_eq!(&all, &model);
        prop_assert_eq!(dev.base().as_slice(), &base()[..]);
    }

    #[test]
    fn cache_over_file_overlay_survives_reopen(cap in 1usize..6, ops in prop::collection::vec(op(), 0..40)) {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("base.img");
        let log = dir.path().join("overlay");
        std::fs::write(&img, base()).unwrap();
        let mut model = base();
        {
            let ovl = OverlayDevice::open(FileDevice::open_read_only(&img, BS as u32).unwrap(), &log).unwrap();
            let mut dev = CacheDevice::new(ovl, cap).unwrap();
            run(&mut dev, &mut model, &ops)?;
            prop_assert_eq!(dev.flush(), Ok(()));
        }
        let mut dev = OverlayDevice::open(FileDevice::open_read_only(&img, BS as u32).unwrap(), &log).unwrap();
        let mut all = vec![0; SIZE];
        dev.read_blocks(0, &mut all).unwrap();
        prop_assert_eq!(&all, &model);
        prop_assert_eq!(std::fs::read(&img).unwrap(), base());
    }
}
