//! What the machine needs from its interrupt controller, whichever
//! version it is (`gicv2.rs`, `gicv3/`): device lines in (`IrqSink`),
//! the per-cpu timer PPIs, and its state for savevm/loadvm.

use crate::irq::IrqSink;
use crate::vmstate::StateError;

pub trait Gic: IrqSink {
    /// Sets a private (PPI) input of cpu `cpu` (the generic timer).
    fn set_ppi(&self, cpu: usize, intid: u32, level: bool);
    /// The whole controller state (the "gic" section of a VM state).
    fn save(&self) -> Result<Vec<u8>, StateError>;
    /// Checks that `data` is a state `load` accepts, changing nothing.
    fn check(&self, data: &[u8]) -> Result<(), StateError>;
    /// Restores `save`'s output; the cpus' interrupt inputs follow.
    fn load(&self, data: &[u8]) -> Result<(), StateError>;
}
