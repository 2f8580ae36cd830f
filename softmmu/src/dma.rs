//! Device access to guest RAM (DMA): what virtqueues read and write.
//! Writes go through `CodePages` like cpu stores, so a device that fills
//! a page holding translated code (a disk read into the page cache of a
//! program about to run) invalidates that code.

use crate::memory::Ram;
use std::sync::atomic::{fence, AtomicU16, AtomicU32, Ordering};
use std::sync::Arc;
use tcg::softmmu::CodePages;

const PAGE: u64 = 4096;

/// A device's view of guest RAM. Accesses outside RAM fail (`None` /
/// `false`); the device then reports an error to the guest.
#[derive(Clone)]
pub struct GuestRam {
    ram: Arc<Ram>,
    code: Arc<CodePages>,
}

impl GuestRam {
    pub fn new(ram: Arc<Ram>, code: Arc<CodePages>) -> GuestRam {
        GuestRam { ram, code }
    }

    /// Copies guest bytes at `pa` into `buf`.
    pub fn read(&self, pa: u64, buf: &mut [u8]) -> bool {
        match self.ram.host_range(pa, buf.len() as u64) {
            Some(p) => {
                // SAFETY: `host_range` checked the range lies in the mapping.
                unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), buf.len()) };
                true
            }
            None => false,
        }
    }

    /// Copies `data` to guest `pa`, invalidating translated code there.
    pub fn write(&self, pa: u64, data: &[u8]) -> bool {
        let Some(p) = self.ram.host_range(pa, data.len() as u64) else {
            return false;
        };
        self.note_code(pa, data.len() as u64);
        // SAFETY: `host_range` checked the range lies in the mapping.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        true
    }

    fn note_code(&self, pa: u64, len: u64) {
        if len == 0 {
            return;
        }
        let mut page = pa & !(PAGE - 1);
        while page < pa + len {
            if self.code.contains(page) {
                self.code.note_write(page);
            }
            page += PAGE;
        }
    }

    fn aligned<T>(&self, pa: u64) -> Option<*mut u8> {
        let n = std::mem::size_of::<T>() as u64;
        if !pa.is_multiple_of(n) {
            return None;
        }
        self.ram.host_range(pa, n)
    }

    /// Reads a naturally aligned little-endian u16 the guest may be
    /// writing concurrently (ring indices), with acquire ordering.
    pub fn read_u16(&self, pa: u64) -> Option<u16> {
        let p = self.aligned::<u16>(pa)?;
        // SAFETY: aligned and inside the mapping (checked).
        let v = unsafe { (*(p as *const AtomicU16)).load(Ordering::Acquire) };
        Some(u16::from_le(v))
    }

    pub fn read_u32(&self, pa: u64) -> Option<u32> {
        let p = self.aligned::<u32>(pa)?;
        // SAFETY: aligned and inside the mapping (checked).
        let v = unsafe { (*(p as *const AtomicU32)).load(Ordering::Acquire) };
        Some(u32::from_le(v))
    }

    pub fn read_u64(&self, pa: u64) -> Option<u64> {
        let mut b = [0u8; 8];
        self.read(pa, &mut b).then(|| u64::from_le_bytes(b))
    }

    /// Writes an aligned u16 with release ordering (publishes what was
    /// written before it: the used ring's index).
    pub fn write_u16(&self, pa: u64, v: u16) -> bool {
        let Some(p) = self.aligned::<u16>(pa) else {
            return false;
        };
        self.note_code(pa, 2);
        // SAFETY: aligned and inside the mapping (checked).
        unsafe { (*(p as *const AtomicU16)).store(v.to_le(), Ordering::Release) };
        true
    }

    pub fn write_u32(&self, pa: u64, v: u32) -> bool {
        let Some(p) = self.aligned::<u32>(pa) else {
            return false;
        };
        self.note_code(pa, 4);
        // SAFETY: aligned and inside the mapping (checked).
        unsafe { (*(p as *const AtomicU32)).store(v.to_le(), Ordering::Release) };
        true
    }

    /// A full barrier between the device's ring writes and its reads of
    /// the guest's suppression flags.
    pub fn fence(&self) {
        fence(Ordering::SeqCst);
    }
}
