//! The translation cache: blocks keyed by (guest pc, decode flags), each with
//! its interpreter code, template-tier code, optional JIT code, two chain
//! slots for each kind of code and, while the JIT may still want it, its IR.
//!
//! Invalidation is per guest page: the blocks on the page are marked dead,
//! removed from the lookup map, and every chain slot that jumps into them is
//! cleared (each block records who chained to it). Dead blocks stay allocated
//! until the next full flush, so a stale pointer never dangles.

use crate::backend::interp;
use crate::ir::IrBlock;
use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Mutex;

/// One translated block.
///
/// `repr(C)` with the fields the cpu loop touches on every tier-0
/// execution first (pc, flags, count, compiled and template code, dead,
/// successor hints) in its first 64 bytes, cache-line aligned, so a block
/// costs one cache line to dispatch:
/// python3 start-up runs ~37k distinct blocks, far more than the caches hold.
#[repr(C, align(64))]
pub struct Tb {
    pub pc: u64,
    pub flags: u32,
    /// Executions in tier 0 (drives tier-up): counted by the cpu loop for
    /// interpreted runs and by template code itself. Only the owning
    /// engine's thread counts (a plain load and store, no locked RMW).
    pub exec_count: AtomicU32,
    /// Template code's chained entry leaves for the cpu loop once
    /// `exec_count` reaches this (see `template::Link::tier_up_at`).
    pub tier_up_at: AtomicU32,
    /// The execution count at which `auto` compiles it, 0 until decided
    /// (see `Engine::is_hot`).
    pub compile_at: AtomicU32,
    /// Set when the block's code was invalidated.
    pub dead: AtomicBool,
    /// Set when compiling failed, so it is not retried.
    pub jit_failed: AtomicBool,
    /// Host address of compiled code, 0 while interpreted only.
    pub jit: AtomicUsize,
    /// Template-tier code (`backend::template`), 0 for none: its entry from
    /// the cpu loop, and its entry for other template code chained to it.
    pub tmpl: AtomicUsize,
    pub tmpl_chained: AtomicUsize,
    /// The blocks last found at its direct-jump exits (`*const Tb`, 0 for
    /// none): a hint that lets the cpu loop skip the jump-cache and map
    /// lookups, checked (pc, flags, not dead) before use.
    pub next: [AtomicUsize; 2],
    /// Its lowered ops (see `interp`).
    interp: UnsafeCell<interp::Code>,
    /// Compiled code of the direct-jump targets (0: not chained).
    pub chain: [AtomicUsize; 2],
    /// The same for the template-tier code: the targets' `tmpl_chained`.
    pub tchain: [AtomicUsize; 2],
    /// Template code's entry for compiled code's chain slots: a block with
    /// only template code is chained to from compiled code through it
    /// (`chain` then holds this address until the block is compiled).
    pub tmpl_jit_entry: AtomicUsize,
    /// `CodeReader::phys_key` of `pc` (system mode: physical address).
    pub phys: u64,
    /// Guest bytes and instructions the block covers.
    pub guest_size: u32,
    pub guest_insns: u32,
    /// The direct-jump targets of its terminal.
    pub targets: [Option<u64>; 2],
    /// The optimized IR, kept only while a compilation may need it: an
    /// interpreted block drops it (most blocks never get hot) and the
    /// engine translates again when the block is to be compiled.
    pub ir: Mutex<Option<IrBlock>>,
    /// Chain slots of other blocks that jump here: (`*const Tb`, slot),
    /// slot 0/1 of `chain`, or `TCHAIN` + 0/1 of `tchain`.
    pub incoming: Mutex<Vec<(usize, u8)>>,
}

// SAFETY: every field is thread-safe except `interp`, which only the
// owning engine's thread reads or writes (`interp_mut`); other threads
// (the compile thread) see a `Tb` only for its atomics and mutexes.
unsafe impl Sync for Tb {}

impl Tb {
    /// A block; `keep_ir` keeps its IR for a compilation to come.
    pub fn new(
        pc: u64,
        flags: u32,
        phys: u64,
        ir: IrBlock,
        interp: interp::Code,
        keep_ir: bool,
    ) -> Tb {
        Tb {
            pc,
            flags,
            phys,
            guest_size: ir.guest_size,
            guest_insns: ir.guest_insns,
            targets: ir.direct_targets(),
            ir: Mutex::new(if keep_ir {
                Some(ir)
            } else {
                crate::ir::recycle(ir);
                None
            }),
            interp: UnsafeCell::new(interp),
            jit: AtomicUsize::new(0),
            tmpl: AtomicUsize::new(0),
            tmpl_chained: AtomicUsize::new(0),
            exec_count: AtomicU32::new(0),
            tier_up_at: AtomicU32::new(u32::MAX),
            compile_at: AtomicU32::new(0),
            next: [AtomicUsize::new(0), AtomicUsize::new(0)],
            chain: [AtomicUsize::new(0), AtomicUsize::new(0)],
            tchain: [AtomicUsize::new(0), AtomicUsize::new(0)],
            tmpl_jit_entry: AtomicUsize::new(0),
            jit_failed: AtomicBool::new(false),
            dead: AtomicBool::new(false),
            incoming: Mutex::new(Vec::new()),
        }
    }

    /// Its lowered ops: what the interpreter runs and what its template
    /// code is emitted from.
    pub fn interp(&self) -> &interp::Code {
        // SAFETY: only `interp_mut` changes it, under its contract.
        unsafe { &*self.interp.get() }
    }

    /// The lowered ops, to trim once template code is placed.
    ///
    /// # Safety
    /// Only the engine that owns the block calls this (no other thread
    /// ever reads the ops), and no reference from `interp` is alive: the
    /// block is not running.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn interp_mut(&self) -> &mut interp::Code {
        // SAFETY: the caller's contract.
        unsafe { &mut *self.interp.get() }
    }

    pub fn jit_code(&self) -> usize {
        self.jit.load(Ordering::Acquire)
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// Counts one interpreted execution. Only the engine that owns the
    /// cache calls this (the compile thread never does), so a plain load
    /// and store replaces a locked add; it saturates.
    #[inline]
    pub fn count_exec(&self) {
        let n = self.exec_count.load(Ordering::Relaxed);
        self.exec_count
            .store(n.saturating_add(1), Ordering::Relaxed);
    }

    /// Points `from`'s chain slot at this block's code.
    pub fn chain_from(&self, from: &Tb, slot: usize, code: usize) {
        from.chain[slot].store(code, Ordering::Release);
        if let Ok(mut inc) = self.incoming.lock() {
            inc.push((from as *const Tb as usize, slot as u8));
        }
    }

    /// Repoints the compiled-code chain slots that jump here at `old` (the
    /// template code's entry for them) at `new` (this block's compiled
    /// code).
    pub fn repoint_chains(&self, old: usize, new: usize) {
        if let Ok(inc) = self.incoming.lock() {
            for &(from, slot) in inc.iter().filter(|&&(_, slot)| slot < TCHAIN) {
                // SAFETY: blocks are only freed by `CodeCache::flush`, so
                // every recorded `from` is still allocated.
                let from = unsafe { &*(from as *const Tb) };
                let _ = from.chain[slot as usize].compare_exchange(
                    old,
                    new,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
            }
        }
    }

    /// Points `from`'s template chain slot at this block's template code.
    pub fn template_chain_from(&self, from: &Tb, slot: usize) {
        from.tchain[slot].store(self.tmpl_chained.load(Ordering::Relaxed), Ordering::Release);
        if let Ok(mut inc) = self.incoming.lock() {
            inc.push((from as *const Tb as usize, TCHAIN + slot as u8));
        }
    }
}

/// `Tb::incoming` slot numbers from this one on are `tchain` slots.
pub const TCHAIN: u8 = 2;

const PAGE_BITS: u32 = 12;

/// The block map's hasher: keys are guest addresses and flags chosen by the
/// guest program, not by an attacker of Mimic, so a multiply-xorshift mix
/// replaces SipHash (the lookup runs on every jump-cache miss).
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

type FastHash = BuildHasherDefault<KeyHasher>;

/// Blocks in chunks of fixed capacity: a block never moves (chain slots,
/// `last_tb` and jump-cache entries point at it), and one allocation
/// holds many. (A box per block was a cache-line-aligned malloc each:
/// ~1.3% of a kernel boot's samples in `_int_memalign`.)
#[derive(Default)]
struct Blocks {
    chunks: Vec<Vec<Tb>>,
    len: usize,
}

/// Blocks per chunk (a `Tb` is a few hundred bytes).
const CHUNK: usize = 128;

impl Blocks {
    fn push(&mut self, tb: Tb) {
        match self.chunks.last_mut() {
            // Within capacity: the chunk's buffer does not move.
            Some(c) if c.len() < CHUNK => c.push(tb),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(tb);
                self.chunks.push(c);
            }
        }
        self.len += 1;
    }
    fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }
}

impl std::ops::Index<usize> for Blocks {
    type Output = Tb;
    fn index(&self, i: usize) -> &Tb {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

/// All blocks of one address space.
#[derive(Default)]
pub struct CodeCache {
    blocks: Blocks,
    map: HashMap<(u64, u32, u64), usize, FastHash>,
    /// Guest page -> blocks with code on it.
    pages: HashMap<u64, Vec<usize>, FastHash>,
    /// Physical page of the block's pc -> blocks (system mode; blocks do
    /// not cross pages there).
    phys_pages: HashMap<u64, Vec<usize>, FastHash>,
    live: usize,
}

impl CodeCache {
    pub fn get(&self, pc: u64, flags: u32, phys: u64) -> Option<&Tb> {
        self.map.get(&(pc, flags, phys)).map(|&i| &self.blocks[i])
    }

    pub fn insert(&mut self, tb: Tb) -> &Tb {
        let first = tb.pc >> PAGE_BITS;
        let last = (tb.pc + tb.guest_size.max(1) as u64 - 1) >> PAGE_BITS;
        let idx = self.blocks.len;
        for p in first..=last {
            self.pages.entry(p).or_default().push(idx);
        }
        self.map.insert((tb.pc, tb.flags, tb.phys), idx);
        if tb.phys != 0 && tb.phys != u64::MAX {
            self.phys_pages
                .entry(tb.phys >> PAGE_BITS)
                .or_default()
                .push(idx);
        }
        self.blocks.push(tb);
        self.live += 1;
        &self.blocks[idx]
    }

    /// Makes `tb` die with the code in `start..end` too (a region's entry
    /// block with its other members).
    pub fn attach(&mut self, tb: &Tb, start: u64, end: u64) {
        let Some(&idx) = self.map.get(&(tb.pc, tb.flags, tb.phys)) else {
            return;
        };
        let first = start >> PAGE_BITS;
        let last = (end.max(start + 1) - 1) >> PAGE_BITS;
        for p in first..=last {
            let list = self.pages.entry(p).or_default();
            if !list.contains(&idx) {
                list.push(idx);
            }
        }
    }

    /// Kills every block with code in `start..end`; returns the dead blocks'
    /// addresses (for purging jump caches).
    pub fn invalidate(&mut self, start: u64, end: u64) -> Vec<usize> {
        let mut dead = Vec::new();
        if end <= start {
            return dead;
        }
        let (first, last) = (start >> PAGE_BITS, (end - 1) >> PAGE_BITS);
        let pages: Vec<u64> = if last - first > self.pages.len() as u64 {
            self.pages
                .keys()
                .copied()
                .filter(|&p| p >= first && p <= last)
                .collect()
        } else {
            (first..=last)
                .filter(|p| self.pages.contains_key(p))
                .collect()
        };
        for p in pages {
            let Some(list) = self.pages.remove(&p) else {
                continue;
            };
            for idx in list {
                self.kill(idx, &mut dead);
            }
        }
        dead
    }

    /// Kills every block whose pc is on physical page `ppage` (a page
    /// number); returns the dead blocks' addresses.
    pub fn invalidate_phys_page(&mut self, ppage: u64) -> Vec<usize> {
        let mut dead = Vec::new();
        if let Some(list) = self.phys_pages.remove(&ppage) {
            for idx in list {
                self.kill(idx, &mut dead);
            }
        }
        dead
    }

    fn kill(&mut self, idx: usize, dead: &mut Vec<usize>) {
        let tb = &self.blocks[idx];
        if tb.dead.swap(true, Ordering::AcqRel) {
            return;
        }
        self.live -= 1;
        let key = (tb.pc, tb.flags, tb.phys);
        if self.map.get(&key) == Some(&idx) {
            self.map.remove(&key);
        }
        if let Ok(inc) = tb.incoming.lock() {
            for &(from, slot) in inc.iter() {
                // SAFETY: blocks are only freed by `flush`, so every
                // recorded `from` is still allocated.
                let from = unsafe { &*(from as *const Tb) };
                if slot >= TCHAIN {
                    from.tchain[(slot - TCHAIN) as usize].store(0, Ordering::Release);
                } else {
                    from.chain[slot as usize].store(0, Ordering::Release);
                }
            }
        }
        dead.push(tb as *const Tb as usize);
    }

    /// Drops every block (the caller resets JIT code memory and jump caches).
    pub fn flush(&mut self) {
        self.blocks.clear();
        self.map.clear();
        self.pages.clear();
        self.phys_pages.clear();
        self.live = 0;
    }

    /// Live blocks.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Blocks allocated, dead ones included.
    pub fn allocated(&self) -> usize {
        self.blocks.len
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}
