//! Test helpers: a device wrapper that records the requests reaching it and
//! can be told to fail.

use std::sync::{Arc, Mutex};

use crate::{BlockDevice, BlockError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// (start, block count)
    Read(u64, u64),
    Write(u64, u64),
    Flush,
}

/// Records every request; the log is shared so it can be read after the
/// device moved into a stack.
pub(crate) struct Recorder<D> {
    inner: D,
    log: Arc<Mutex<Vec<Op>>>,
    pub(crate) fail_writes: bool,
}

impl<D: BlockDevice> Recorder<D> {
    pub(crate) fn new(inner: D) -> Self {
        Self { inner, log: Arc::default(), fail_writes: false }
    }
    pub(crate) fn ops(&self) -> Vec<Op> {
        self.log.lock().unwrap().clone()
    }
    pub(crate) fn clear_ops(&self) {
        self.log.lock().unwrap().clear();
    }
    pub(crate) fn inner(&self) -> &D {
        &self.inner
    }
}

impl<D: BlockDevice> BlockDevice for Recorder<D> {
    fn block_size(&self) -> u32 {
        self.inner.block_size()
    }
    fn num_blocks(&self) -> u64 {
        self.inner.num_blocks()
    }
    fn read_blocks(&mut self, start: u64, buf: &mut [u8]) -> Result<()> {
        self.log.lock().unwrap().push(Op::Read(start, (buf.len() / self.block_size() as usize) as u64));
        self.inner.read_blocks(start, buf)
    }
    fn write_blocks(&mut self, start: u64, buf: &[u8]) -> Result<()> {
        if self.fail_writes {
            return Err(BlockError::Io("injected write failure".into()));
        }
        self.log.lock().unwrap().push(Op::Write(start, (buf.len() / self.block_size() as usize) as u64));
        self.inner.write_blocks(start, buf)
    }
    fn flush(&mut self) -> Result<()> {
        self.log.lock().unwrap().push(Op::Flush);
        self.inner.flush()
    }
    fn is_read_only(&self) -> bool {
        self.inner.is_read_only()
    }
}
