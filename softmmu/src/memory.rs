//! The machine's physical address space: RAM regions backed by host
//! memory and MMIO regions owned by devices. Implements the translation
//! core's `PhysBus`, which the softmmu and the guest's page-table walker use.

use crate::device::Device;
use std::sync::{Arc, Mutex};
use tcg::softmmu::{BusError, PhysBus};

/// Guest RAM: an anonymous host mapping.
pub struct Ram {
    pub base: u64,
    pub size: u64,
    host: *mut u8,
}

// SAFETY: the mapping lives as long as the `Ram` and is only accessed
// through raw pointers by guest code, whose races are the guest's.
unsafe impl Send for Ram {}
// SAFETY: as above.
unsafe impl Sync for Ram {}

#[derive(Debug, thiserror::Error)]
#[error("cannot allocate {size} bytes of guest RAM: {err}")]
pub struct RamError {
    pub size: u64,
    pub err: std::io::Error,
}

impl Ram {
    pub fn new(base: u64, size: u64) -> Result<Ram, RamError> {
        // SAFETY: a fresh private anonymous mapping; checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(RamError {
                size,
                err: std::io::Error::last_os_error(),
            });
        }
        Ok(Ram {
            base,
            size,
            host: p as *mut u8,
        })
    }

    pub fn contains(&self, pa: u64, len: u64) -> bool {
        pa >= self.base && pa.wrapping_sub(self.base).saturating_add(len) <= self.size
    }

    /// Copies `data` to guest physical `pa` (false: not inside this RAM).
    pub fn write(&self, pa: u64, data: &[u8]) -> bool {
        if !self.contains(pa, data.len() as u64) {
            return false;
        }
        // SAFETY: inside the mapping (checked); the loader writes while no
        // guest cpu runs.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.host.add((pa - self.base) as usize),
                data.len(),
            )
        };
        true
    }

    /// Host pointer to `len` bytes at guest physical `pa`, if all inside.
    pub fn host_range(&self, pa: u64, len: u64) -> Option<*mut u8> {
        // SAFETY: inside the mapping (checked).
        self.contains(pa, len)
            .then(|| unsafe { self.host.add((pa - self.base) as usize) })
    }

    /// Copies `len` bytes from guest physical `pa`.
    pub fn read(&self, pa: u64, len: usize) -> Option<Vec<u8>> {
        if !self.contains(pa, len as u64) {
            return None;
        }
        let mut v = vec![0u8; len];
        // SAFETY: inside the mapping (checked).
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.host.add((pa - self.base) as usize),
                v.as_mut_ptr(),
                len,
            )
        };
        Some(v)
    }
}

impl Drop for Ram {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`.
        unsafe { libc::munmap(self.host as *mut libc::c_void, self.size as usize) };
    }
}

/// One MMIO region.
pub struct Mmio {
    pub base: u64,
    pub size: u64,
    pub dev: Arc<Mutex<dyn Device>>,
}

/// RAM plus MMIO regions.
#[derive(Default)]
pub struct MemoryMap {
    pub ram: Vec<Arc<Ram>>,
    pub mmio: Vec<Mmio>,
}

impl MemoryMap {
    pub fn add_ram(&mut self, ram: Arc<Ram>) {
        self.ram.push(ram);
    }
    pub fn add_mmio(&mut self, base: u64, size: u64, dev: Arc<Mutex<dyn Device>>) {
        self.mmio.push(Mmio { base, size, dev });
    }
    fn find_mmio(&self, pa: u64) -> Option<&Mmio> {
        self.mmio
            .iter()
            .find(|m| pa >= m.base && pa - m.base < m.size)
    }
    pub fn ram_at(&self, pa: u64) -> Option<&Ram> {
        self.ram.iter().find(|r| r.contains(pa, 1)).map(|r| &**r)
    }
    /// Resets every device.
    pub fn reset_devices(&self) {
        for m in &self.mmio {
            if let Ok(mut d) = m.dev.lock() {
                d.reset();
            }
        }
    }
}

impl PhysBus for MemoryMap {
    fn ram_ptr(&self, pa: u64) -> Option<*mut u8> {
        let r = self.ram_at(pa)?;
        // SAFETY: `pa` is inside the mapping; RAM sizes are page multiples.
        Some(unsafe { r.host.add((pa - r.base) as usize) })
    }
    fn read(&self, pa: u64, size: u32) -> Result<u64, BusError> {
        let m = self.find_mmio(pa).ok_or(BusError)?;
        let mut d = m.dev.lock().map_err(|_| BusError)?;
        Ok(d.read(pa - m.base, size))
    }
    fn write(&self, pa: u64, size: u32, value: u64) -> Result<(), BusError> {
        let m = self.find_mmio(pa).ok_or(BusError)?;
        let mut d = m.dev.lock().map_err(|_| BusError)?;
        d.write(pa - m.base, size, value);
        Ok(())
    }
}
