//! The MMIO device interface. A device sees only offsets inside its own
//! region; the memory map routes guest physical accesses to it.

/// A snapshot of a device that cannot be saved or restored.
#[derive(Debug, thiserror::Error)]
#[error("device {0} does not support snapshots")]
pub struct NoSnapshot(pub &'static str);

pub trait Device: Send {
    /// Short name (for errors and `info mtree`-style dumps).
    fn name(&self) -> &'static str;
    /// Reads `size` bytes (1, 2, 4 or 8) at `offset`; little-endian value.
    fn read(&mut self, offset: u64, size: u32) -> u64;
    /// Writes the low `size` bytes of `value` at `offset`.
    fn write(&mut self, offset: u64, size: u32, value: u64);
    /// Back to the power-on state.
    fn reset(&mut self);
    /// The device's state for a snapshot.
    fn save(&self) -> Result<Vec<u8>, NoSnapshot> {
        Err(NoSnapshot(self.name()))
    }
    /// Restores what `save` returned.
    fn load(&mut self, _data: &[u8]) -> Result<(), NoSnapshot> {
        Err(NoSnapshot(self.name()))
    }
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
