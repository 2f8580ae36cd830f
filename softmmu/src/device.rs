//! The MMIO device interface. A device sees only offsets inside its own
//! region; the memory map routes guest physical accesses to it.

use crate::vmstate::StateError;

pub trait Device: Send {
    /// Short name (for errors and `info mtree`-style dumps).
    fn name(&self) -> &'static str;
    /// Reads `size` bytes (1, 2, 4 or 8) at `offset`; little-endian value.
    fn read(&mut self, offset: u64, size: u32) -> u64;
    /// Writes the low `size` bytes of `value` at `offset`.
    fn write(&mut self, offset: u64, size: u32, value: u64);
    /// Back to the power-on state.
    fn reset(&mut self);
    /// Finishes background work (requests in flight) before a snapshot is
    /// saved or loaded; devices without any have nothing to do.
    fn quiesce(&mut self) {}
    /// The machine runs again after `quiesce`.
    fn resume(&mut self) {}
    /// The device's state for a snapshot (the machine is paused; a device
    /// with background work finishes it first).
    fn save(&mut self) -> Result<Vec<u8>, StateError>;
    /// Restores what `save` returned; on error the device is unchanged.
    fn load(&mut self, data: &[u8]) -> Result<(), StateError>;
}

/// PrimeCell peripheral and component ID registers (offsets 0xfe0..0xffc),
/// which Linux's AMBA bus reads to match drivers.
pub fn primecell_id(offset: u64, periph: [u8; 4]) -> Option<u64> {
    const CELL: [u8; 4] = [0x0d, 0xf0, 0x05, 0xb1];
    match offset {
        0xfe0..=0xfec => Some(periph[((offset - 0xfe0) / 4) as usize] as u64),
        0xff0..=0xffc => Some(CELL[((offset - 0xff0) / 4) as usize] as u64),
        _ => None,
    }
}
