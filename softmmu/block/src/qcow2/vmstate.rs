//! The VM state area of a qcow2 image: the guest address space past the
//! virtual disk, starting at the first L1 entry boundary at or after the
//! disk's end (qcow2 spec: a snapshot's `vm_state_size` bytes live there in
//! the snapshot's L1 table). It is written through the active L1 before a
//! snapshot is taken and dropped from the active L1 afterwards.

use super::Qcow2;
use crate::error::{BlockError, Result};

impl Qcow2 {
    /// Guest offset where the VM state starts.
    pub(crate) fn vm_state_offset(&self) -> u64 {
        let per_l1 = self.cs << self.l2_bits;
        self.h.size.div_ceil(per_l1) * per_l1
    }

    fn vm_range(&self, offset: u64, len: u64) -> Result<u64> {
        let start = self.vm_state_offset();
        start
            .checked_add(offset)
            .and_then(|a| a.checked_add(len).map(|_| a))
            .ok_or_else(|| BlockError::Other("VM state offset out of range".into()))
    }

    pub(crate) fn vm_write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        let abs = self.vm_range(offset, buf.len() as u64)?;
        let per_l1 = self.cs << self.l2_bits;
        let need = (abs + buf.len() as u64).div_ceil(per_l1) as usize;
        self.grow_l1(need)?;
        self.mark_dirty()?;
        self.decomp_cache = None;
        self.cow_write(abs, buf)
    }

    pub(crate) fn vm_read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let abs = self.vm_range(offset, buf.len() as u64)?;
        self.read_mapped(abs, buf, false)
    }

    pub(crate) fn vm_discard(&mut self, len: u64) -> Result<()> {
        let abs = self.vm_range(0, len)?;
        let len = len.div_ceil(self.cs) * self.cs;
        self.set_clusters(abs, len, 0, false)?;
        self.flush_meta()
    }

    pub(crate) fn snap_create_vm(&mut self, name: &str, size: u64, clock: u64) -> Result<()> {
        self.snap_create_with(name, size, clock)?;
        // The active image no longer needs the state (and keeping it would
        // make the next snapshot copy it on write).
        self.vm_discard(size)
    }
}
