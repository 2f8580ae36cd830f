//! What a guest frontend provides to the core.

use crate::ir::{GlobalDef, IrBlock};

/// Reads guest code for translation. Returns `None` where the address is not
/// mapped executable; the frontend then ends the block with its
/// instruction-abort exit at that pc.
pub trait CodeReader {
    fn read_u32(&self, addr: u64) -> Option<u32>;
    fn read_u16(&self, addr: u64) -> Option<u16>;
    fn read_u8(&self, addr: u64) -> Option<u8>;
    /// Called after a block covering `start..end` was translated, so the
    /// owner of guest memory can watch those bytes for writes (user mode
    /// write-protects the pages and reports writes as invalidations).
    fn translated(&self, _start: u64, _end: u64) {}
    /// Part of the code cache key besides (pc, flags): system mode gives
    /// the physical address of `pc` (`u64::MAX` when the fetch faults), so
    /// blocks are found by the code they hold, not only by where it is
    /// mapped. User mode: 0.
    fn phys_key(&self, _pc: u64) -> u64 {
        0
    }
}

/// A guest architecture's frontend.
pub trait Frontend: Sync {
    /// Short name (`aarch64`).
    fn name(&self) -> &'static str;
    /// The guest-state fields the IR accesses as globals.
    fn globals(&self) -> &'static [GlobalDef];
    /// Index in `globals()` of the pc.
    fn pc_global(&self) -> usize;
    /// Translates one block at `pc` under decode flags `flags`, of at most
    /// `max_insns` guest instructions. Never panics on any input: an unknown
    /// encoding becomes the guest's undefined-instruction exit.
    fn translate(&self, pc: u64, flags: u32, code: &dyn CodeReader, max_insns: usize) -> IrBlock;
    /// One line of disassembly per instruction of `bytes` at `pc` (for `-d in_asm`).
    fn disas(&self, pc: u64, bytes: &[u8]) -> String;
}
