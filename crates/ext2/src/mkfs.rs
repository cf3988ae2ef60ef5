//! Formatting: lays out a fresh ext2 revision-1 filesystem on a device.
//!
//! The layout follows `mke2fs`: per group an optional superblock + descriptor
//! copy (sparse_super), block bitmap, inode bitmap, inode table; root
//! directory (inode 2) and `lost+found` (inode 11, pre-grown to 16 KiB so
//! `e2fsck` can reconnect files without allocating). Features: `filetype`,
//! `sparse_super`, `large_file`; no `resize_inode`, `dir_index` or
//! `ext_attr` (images are rebuilt rather than resized). Every value is a
//! function of the options, so the same options give the same bytes.
//!
//! [`finalize`] stamps fixed times and a UUID and refreshes the backup
//! superblocks and descriptor tables; it is run after populating.

use crate::bitmap;
use crate::error::{Ext2Error, Result};
use crate::fs::Ext2;
use crate::group::{Geometry, GroupDesc, DESC_SIZE};
use crate::inode::{Inode, Timespec, ROOT_INO, S_IFDIR};
use crate::io::BlockIo;
use crate::superblock::{
    Superblock, EXT2_MAGIC, INCOMPAT_FILETYPE, RO_COMPAT_LARGE_FILE, RO_COMPAT_SPARSE_SUPER, STATE_VALID,
    SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
};
use wasmpod_blockdev::BlockDevice;

/// Options for [`format`].
#[derive(Clone, Debug)]
pub struct MkfsOptions {
    /// 1024, 2048 or 4096 (up to 65536 works).
    pub block_size: u32,
    /// Wanted number of inodes (rounded up to fill inode-table blocks).
    pub inodes: u32,
    /// Inode record size: 128 or 256 (256 keeps nanosecond times).
    pub inode_size: u16,
    /// Percent of blocks reserved for root (`mke2fs -m`).
    pub reserved_percent: u32,
    pub uuid: [u8; 16],
    pub volume_name: Vec<u8>,
    /// Timestamp for the superblock, root and lost+found.
    pub time: u32,
}

impl Default for MkfsOptions {
    fn default() -> Self {
        MkfsOptions {
            block_size: 4096,
            inodes: 0,
            inode_size: 256,
            reserved_percent: 0,
            uuid: [0; 16],
            volume_name: Vec::new(),
            time: 0,
        }
    }
}

/// Size of `lost+found` that mke2fs creates.
const LOST_FOUND_BYTES: u64 = 16 * 1024;

/// Formats `dev` (all of it, in whole filesystem blocks) and returns it.
pub fn format<D: BlockDevice>(dev: D, o: &MkfsOptions) -> Result<D> {
    let bs = o.block_size;
    if !(1024..=65536).contains(&bs) || !bs.is_power_of_two() {
        return Err(Ext2Error::InvalidArgument("block size must be a power of two in 1024..=65536"));
    }
    if o.inode_size != 128 && o.inode_size != 256 {
        return Err(Ext2Error::InvalidArgument("inode size must be 128 or 256"));
    }
    let total = (dev.size_bytes() / u64::from(bs)).min(u64::from(u32::MAX));
    let first = u64::from(bs == 1024);
    let bpg = bs * 8;
    let isz = u32::from(o.inode_size);
    let mut blocks = total;
    let mut groups = (blocks.saturating_sub(first)).div_ceil(u64::from(bpg)).max(1);
    let ipb = bs / isz;
    let gdt_blocks = |groups: u64| (groups * DESC_SIZE as u64).div_ceil(u64::from(bs));
    let want = u64::from(o.inodes.max(32));
    let ipg_for = |groups: u64| {
        let ipg = want.div_ceil(groups).max(16);
        let ipg = ipg.div_ceil(u64::from(ipb)) * u64::from(ipb);
        ipg.div_ceil(8) * 8
    };
    let mut ipg = ipg_for(groups).min(u64::from(bpg));
    // Drop a last group too small for its own metadata plus some data (mke2fs
    // does the same with a 50-block margin).
    loop {
        let itb = (ipg * u64::from(isz)).div_ceil(u64::from(bs));
        let overhead = 1 + gdt_blocks(groups) + 2 + itb;
        let last = blocks - first - (groups - 1) * u64::from(bpg);
        if last >= overhead + 50 {
            break;
        }
        if groups == 1 {
            return Err(Ext2Error::NoSpace);
        }
        groups -= 1;
        blocks = first + groups * u64::from(bpg);
        ipg = ipg_for(groups).min(u64::from(bpg));
    }
    let mut sb = Superblock::zeroed();
    sb.set_magic(EXT2_MAGIC);
    sb.set_inodes_count((ipg * groups) as u32);
    sb.set_blocks_count(blocks as u32);
    sb.set_r_blocks_count((blocks * u64::from(o.reserved_percent.min(50)) / 100) as u32);
    sb.set_first_data_block(first as u32);
    sb.set_log_block_size(bs.trailing_zeros() - 10);
    sb.set_log_frag_size(bs.trailing_zeros() - 10);
    sb.set_blocks_per_group(bpg);
    sb.set_frags_per_group(bpg);
    sb.set_inodes_per_group(ipg as u32);
    sb.set_wtime(o.time);
    sb.set_max_mnt_count(0xFFFF);
    sb.set_state(STATE_VALID);
    sb.set_errors(1);
    sb.set_lastcheck(o.time);
    sb.set_rev_level(1);
    sb.set_first_ino(11);
    sb.set_inode_size(o.inode_size);
    sb.set_feature_incompat(INCOMPAT_FILETYPE);
    sb.set_feature_ro_compat(RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE);
    sb.set_uuid(o.uuid);
    sb.set_volume_name(&o.volume_name);
    sb.set_mkfs_time(o.time);
    let geo = Geometry::from_superblock(&sb)?;

    let mut io = BlockIo::new(dev, bs)?;
    let bsz = bs as usize;
    let mut gds = Vec::with_capacity(groups as usize);
    let (mut free_blocks, mut free_inodes) = (0u64, 0u64);
    for g in 0..geo.groups {
        let start = geo.group_first_block(g);
        let nblocks = geo.group_blocks(g);
        let mut cur = start;
        if geo.group_has_super(g) {
            cur += 1 + u64::from(geo.gdt_blocks);
        }
        let gd_used = cur - start + 2 + u64::from(geo.inode_table_blocks);
        let mut bbm = vec![0u8; bsz];
        for i in 0..gd_used as usize {
            bitmap::set(&mut bbm, i);
        }
        for i in nblocks as usize..bsz * 8 {
            bitmap::set(&mut bbm, i);
        }
        let mut ibm = vec![0u8; bsz];
        for i in geo.inodes_per_group as usize..bsz * 8 {
            bitmap::set(&mut ibm, i);
        }
        let mut used_inodes = 0;
        if g == 0 {
            for i in 0..(geo.first_ino - 1) as usize {
                bitmap::set(&mut ibm, i);
            }
            used_inodes = geo.first_ino - 1;
        }
        let gd = GroupDesc {
            block_bitmap: cur as u32,
            inode_bitmap: (cur + 1) as u32,
            inode_table: (cur + 2) as u32,
            free_blocks: (u64::from(nblocks) - gd_used) as u16,
            free_inodes: (geo.inodes_per_group - used_inodes) as u16,
            used_dirs: 0,
            rest: [0; 14],
        };
        io.write_data(cur, &bbm)?;
        io.write_data(cur + 1, &ibm)?;
        // Zero the inode table in large chunks.
        let zeros = vec![0u8; bsz * 256];
        let mut b = cur + 2;
        let end = b + u64::from(geo.inode_table_blocks);
        while b < end {
            let n = (end - b).min(256);
            io.write_data(b, &zeros[..n as usize * bsz])?;
            b += n;
        }
        free_blocks += u64::from(gd.free_blocks);
        free_inodes += u64::from(gd.free_inodes);
        gds.push(gd);
    }
    sb.set_free_blocks_count(free_blocks as u32);
    sb.set_free_inodes_count(free_inodes as u32);
    // Zero the boot block area / first block before the superblock.
    let mut dev = io.into_device();
    BlockIo::write_bytes_raw(&mut dev, 0, &[0u8; 1024])?;
    write_primary(&mut dev, &sb, &gds, &geo)?;
    write_backups(&mut dev)?;

    // Root directory and lost+found, through the driver itself.
    let mut fs = Ext2::open(dev)?;
    let t = Timespec::new(i64::from(o.time), 0);
    fs.set_clock(move || t);
    fs.make_root(t)?;
    let lf = fs.mkdir(ROOT_INO, b"lost+found", 0o700, 0, 0)?;
    fs.grow_dir(lf, LOST_FOUND_BYTES.max(2 * u64::from(bs)))?;
    fs.unmount()
}

fn write_primary<D: BlockDevice>(dev: &mut D, sb: &Superblock, gds: &[GroupDesc], geo: &Geometry) -> Result<()> {
    BlockIo::write_bytes_raw(dev, SUPERBLOCK_OFFSET, sb.as_bytes())?;
    let mut gdt = vec![0u8; geo.gdt_blocks as usize * geo.block_size as usize];
    for (g, gd) in gds.iter().enumerate() {
        gd.write(&mut gdt[g * DESC_SIZE..(g + 1) * DESC_SIZE]);
    }
    BlockIo::write_bytes_raw(dev, geo.gdt_start() * u64::from(geo.block_size), &gdt)
}

/// Copies the primary superblock and descriptor table to every backup group.
pub fn write_backups<D: BlockDevice>(dev: &mut D) -> Result<()> {
    let raw = BlockIo::read_bytes_raw(dev, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)?;
    let sb = Superblock::from_bytes(&raw)?;
    let geo = Geometry::from_superblock(&sb)?;
    let bs = u64::from(geo.block_size);
    let gdt = BlockIo::read_bytes_raw(dev, geo.gdt_start() * bs, (u64::from(geo.gdt_blocks) * bs) as usize)?;
    for g in 1..geo.groups {
        if !geo.group_has_super(g) {
            continue;
        }
        let mut copy = sb.clone();
        copy.set_block_group_nr(g as u16);
        let start = geo.group_first_block(g);
        let mut buf = vec![0u8; bs as usize];
        buf[..SUPERBLOCK_SIZE].copy_from_slice(copy.as_bytes());
        BlockIo::write_bytes_raw(dev, start * bs, &buf)?;
        BlockIo::write_bytes_raw(dev, (start + 1) * bs, &gdt)?;
    }
    Ok(())
}

/// Final stamp after populating: fixed times, mount count 0, clean state,
/// the given UUID; refreshes the backups. Makes the image reproducible.
pub fn finalize<D: BlockDevice>(dev: &mut D, time: u32, uuid: [u8; 16]) -> Result<()> {
    let raw = BlockIo::read_bytes_raw(dev, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)?;
    let mut sb = Superblock::from_bytes(&raw)?;
    sb.set_mtime(0);
    sb.set_wtime(time);
    sb.set_lastcheck(time);
    sb.set_mkfs_time(time);
    sb.set_mnt_count(0);
    sb.set_state(STATE_VALID);
    sb.set_uuid(uuid);
    BlockIo::write_bytes_raw(dev, SUPERBLOCK_OFFSET, sb.as_bytes())?;
    write_backups(dev)?;
    dev.flush()?;
    Ok(())
}

impl<D: BlockDevice> Ext2<D> {
    /// Creates the root directory in a freshly formatted filesystem.
    fn make_root(&mut self, t: Timespec) -> Result<()> {
        let mut i = Inode::new(self.geo.inode_size as usize);
        i.set_mode(S_IFDIR | 0o755);
        i.set_links(2);
        i.set_atime(t);
        i.set_mtime(t);
        i.set_ctime(t);
        i.set_crtime(t);
        let (blk, _) = self.bmap_alloc(ROOT_INO, &mut i, 0, self.geo.first_data_block)?;
        let block = self.new_dir_block(ROOT_INO, ROOT_INO);
        self.io.put_block(blk, block)?;
        i.set_size(u64::from(self.geo.block_size));
        self.write_inode(ROOT_INO, &i)?;
        self.groups[0].used_dirs += 1;
        self.meta_dirty = true;
        Ok(())
    }

    /// Appends empty blocks to a directory until it is `bytes` long.
    fn grow_dir(&mut self, ino: u32, bytes: u64) -> Result<()> {
        let mut d = self.read_inode(ino)?;
        let bs = u64::from(self.geo.block_size);
        while d.size() < bytes {
            let n = d.size() / bs;
            let goal = self.dir_block(ino, &d, n - 1)? + 1;
            let (blk, _) = self.bmap_alloc(ino, &mut d, n, goal)?;
            let mut b = vec![0u8; bs as usize];
            crate::dir::write_entry(&mut b, 0, 0, bs as usize, b"", 0, self.filetype);
            self.io.put_block(blk, b)?;
            d.set_size((n + 1) * bs);
        }
        self.write_inode(ino, &d)
    }
}
