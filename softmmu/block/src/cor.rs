//! The copy-on-read filter: data read through to a backing file is written
//! into the top image, so later reads are served locally.

use crate::driver::{BlockDriver, Extent};
use crate::error::Result;

pub struct CopyOnRead {
    inner: Box<dyn BlockDriver>,
}

impl CopyOnRead {
    pub fn new(inner: Box<dyn BlockDriver>) -> CopyOnRead {
        CopyOnRead { inner }
    }
    pub fn into_inner(self) -> Box<dyn BlockDriver> {
        self.inner
    }
}

impl BlockDriver for CopyOnRead {
    fn format_name(&self) -> &'static str {
        self.inner.format_name()
    }
    fn length(&self) -> u64 {
        self.inner.length()
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.read(offset, buf)?;
        let end = offset + buf.len() as u64;
        let mut pos = offset;
        while pos < end {
            let e = self.inner.block_status(pos, end - pos)?;
            let n = e.len.clamp(1, end - pos);
            if !e.allocated && self.inner.backing().is_some() {
                let s = (pos - offset) as usize;
                let data = buf[s..s + n as usize].to_vec();
                self.inner.write(pos, &data)?;
            }
            pos += n;
        }
        Ok(())
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.inner.write(offset, buf)
    }
    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        self.inner.discard(offset, len)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()> {
        self.inner.write_zeroes(offset, len, may_unmap)
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        self.inner.block_status(offset, len)
    }
    fn resize(&mut self, new_len: u64, allow_shrink: bool) -> Result<()> {
        self.inner.resize(new_len, allow_shrink)
    }
    fn cluster_size(&self) -> Option<u64> {
        self.inner.cluster_size()
    }
    fn backing(&mut self) -> Option<&mut dyn BlockDriver> {
        self.inner.backing()
    }
    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
}
