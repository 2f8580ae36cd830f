//! The system-mode memory path: a software TLB in front of a guest-supplied
//! page-table walk and a physical bus of RAM and MMIO.
//!
//! An engine in system mode (`exec::Engine::set_system`) translates blocks
//! whose `ld`/`st` ops go through [`load`] and [`store`] instead of the
//! user-mode `guest_base + addr`. They look the virtual page up in the
//! cpu's [`SoftMmu`] TLB (per MMU index, direct-mapped, 4 KiB entries); on a
//! miss they ask the guest's [`Walker`] for the translation and the
//! [`PhysBus`] for the RAM page behind it, and fill the entry. Accesses to
//! MMIO never enter the TLB's fast tags: every one goes to the bus.
//!
//! Faults (translation, permission, alignment, bus errors) are recorded by
//! the guest in its own state (the walker's job: syndrome, fault address),
//! and the access leaves the running block through `guard::leave` with
//! `exit::FAULT`: system-mode engines run in precise mode, so the env holds
//! the state at the start of the faulting instruction and `insn_pc` its pc.
//!
//! Self-modifying code: a physical page that holds translated code is
//! recorded in [`CodePages`]; TLB write tags of such pages are never filled,
//! so stores to them take the slow path, which marks the page dirty and
//! logs the page in `CodePages` (dropping it from the set, so later stores
//! are fast again), kicks every cpu, and requests an exit (the
//! instruction's exit point follows the store); each cpu loop then drops
//! the blocks translated from logged pages (`SoftMmu::take_invalidations`).

use crate::cpu::{exit, CpuCommon};
use crate::ir::MemOp;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub const PAGE_BITS: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_BITS;
pub const PAGE_MASK: u64 = !(PAGE_SIZE - 1);
/// TLB entries per MMU index (power of two). A kernel boot's working set
/// spans many pages: against 256, 1024 took the samples in TLB refills
/// (walks, `resolve`) from 5.0% to 2.7% and boot -smp 2 from 1.41 to
/// 1.28 s (A/B medians); 4096 refilled a little less (2.2%) for 4x the
/// memory and flush work, and was no faster.
pub const TLB_SIZE: usize = 1024;
/// MMU indices (translation regimes / privilege views) a guest may use.
pub const MMU_INDICES: usize = 4;
const INVALID: u64 = u64::MAX;

/// One TLB entry: the virtual page number tags under which reads and
/// writes may use `addend` (`host = vaddr + addend`), `INVALID` otherwise.
/// The JIT's inline lookup reads it by the `TLB_*` offsets below; padded
/// to a power-of-two size so indexing is a shift.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct TlbEntry {
    pub read: u64,
    pub write: u64,
    pub addend: u64,
    _pad: u64,
}

impl Default for TlbEntry {
    fn default() -> Self {
        TlbEntry {
            read: INVALID,
            write: INVALID,
            addend: 0,
            _pad: 0,
        }
    }
}

/// log2 of `size_of::<TlbEntry>()`.
pub const TLB_ENTRY_BITS: u32 = 5;
const _: () = assert!(std::mem::size_of::<TlbEntry>() == 1 << TLB_ENTRY_BITS);
pub const TLB_READ: i32 = std::mem::offset_of!(TlbEntry, read) as i32;
pub const TLB_WRITE: i32 = std::mem::offset_of!(TlbEntry, write) as i32;
pub const TLB_ADDEND: i32 = std::mem::offset_of!(TlbEntry, addend) as i32;

/// The value an access of `m` at `vaddr` compares with the entry's tag:
/// its page when it may hit, something no tag equals otherwise. An access
/// that must be aligned keeps its low address bits (misaligned ones miss);
/// one that may be misaligned is tagged by its last byte's page (an access
/// crossing into the next page misses: entry `i` only ever holds pages of
/// index `i`). Shared by the interpreter and the JIT's inline lookup.
#[inline(always)]
pub fn tlb_cmp(vaddr: u64, m: MemOp) -> u64 {
    let last = m.bytes() as u64 - 1;
    if m.is_aligned() {
        vaddr & (PAGE_MASK | last)
    } else {
        vaddr.wrapping_add(last) & PAGE_MASK
    }
}

/// Byte offset of the TLB entry for `vaddr` in MMU index `mmu_idx` from
/// `CpuCommon::tlb`.
#[inline(always)]
pub fn tlb_offset(vaddr: u64, mmu_idx: u32) -> usize {
    let i = (vaddr >> PAGE_BITS) as usize & (TLB_SIZE - 1);
    ((mmu_idx as usize & (MMU_INDICES - 1)) * TLB_SIZE + i) << TLB_ENTRY_BITS
}

/// The kind of a memory access.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Exec,
}

/// A successful translation of one virtual page.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address of the accessed byte.
    pub paddr: u64,
    /// Which accesses the mapping allows under the MMU index asked for
    /// (the requested one always included).
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// log2 of the size of the page or block that maps it (12 for a
    /// 4 KiB page; 64 when one mapping covers everything, as with the
    /// MMU off): a TLBI of one page must drop all TLB entries of a block.
    pub page_bits: u32,
}

/// A translation failed; the walker has recorded the fault in the guest's
/// state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct GuestFault;

/// The guest's half: its address translation and how it reports faults.
/// Implementations read the guest's translation registers from `env` and
/// record fault details (syndrome, fault address) there before returning
/// `Err`.
pub trait Walker: Send + Sync {
    fn translate(
        &self,
        env: *mut u8,
        vaddr: u64,
        access: Access,
        mmu_idx: u32,
    ) -> Result<Translation, GuestFault>;
    /// Records an alignment fault at `vaddr`.
    fn alignment_fault(&self, env: *mut u8, vaddr: u64, access: Access, mmu_idx: u32);
    /// Records an external abort (no RAM or device at the physical address).
    fn bus_fault(&self, env: *mut u8, vaddr: u64, access: Access, mmu_idx: u32);
    /// The MMU index of ordinary accesses in the current state (for helpers
    /// that access memory on behalf of an instruction: atomics).
    fn current_mmu_idx(&self, env: *mut u8) -> u32;
}

/// A physical address that no RAM or device answers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BusError;

/// The machine's half: physical memory.
pub trait PhysBus: Send + Sync {
    /// Host pointer to the byte at `paddr` if it is RAM; the pointer is
    /// valid for the rest of its 4 KiB page for the bus's lifetime.
    fn ram_ptr(&self, paddr: u64) -> Option<*mut u8>;
    /// MMIO read of `size` bytes (1, 2, 4, 8), little-endian value.
    fn read(&self, paddr: u64, size: u32) -> Result<u64, BusError>;
    fn write(&self, paddr: u64, size: u32, value: u64) -> Result<(), BusError>;
}

/// Physical pages holding translated code, shared by all cpus of a machine,
/// and the log of such pages that were written since.
#[derive(Default)]
pub struct CodePages {
    pages: Mutex<HashSet<u64, std::hash::BuildHasherDefault<crate::cache::KeyHasher>>>,
    /// Page numbers written while they held code, in order (each cpu
    /// reads it from its own cursor).
    log: Mutex<Vec<u64>>,
    /// Called after a page is logged (the machine kicks every cpu).
    pub on_write: Option<Box<dyn Fn() + Send + Sync>>,
    /// Bumped whenever a page is added, so cpus drop write tags they cached
    /// before (see `SoftMmu::sync_code_pages`).
    generation: AtomicU64,
}

impl CodePages {
    pub fn contains(&self, paddr: u64) -> bool {
        self.pages
            .lock()
            .map(|p| p.contains(&(paddr >> PAGE_BITS)))
            .unwrap_or(false)
    }
    pub fn add(&self, paddr: u64) {
        if let Ok(mut p) = self.pages.lock() {
            if p.insert(paddr >> PAGE_BITS) {
                self.generation.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    /// A store hit code page `paddr`: forget the page and log it.
    pub fn note_write(&self, paddr: u64) {
        if let Ok(mut p) = self.pages.lock() {
            p.remove(&(paddr >> PAGE_BITS));
        }
        if let Ok(mut l) = self.log.lock() {
            l.push(paddr >> PAGE_BITS);
        }
        if let Some(f) = &self.on_write {
            f();
        }
    }
    /// Pages logged since `cursor`, and the new cursor.
    pub fn written_since(&self, cursor: usize) -> (Vec<u64>, usize) {
        match self.log.lock() {
            Ok(l) if l.len() > cursor => (l[cursor..].to_vec(), l.len()),
            Ok(l) => (Vec::new(), l.len()),
            Err(_) => (Vec::new(), cursor),
        }
    }
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

/// An instruction-fetch translation (`SystemCode`): virtual page `vpn` is
/// physical page `ppn`, RAM at host address `host` (0: not RAM).
#[derive(Copy, Clone)]
struct FetchEntry {
    vpn: u64,
    ppn: u64,
    host: usize,
}

const NO_FETCH: FetchEntry = FetchEntry {
    vpn: INVALID,
    ppn: 0,
    host: 0,
};

/// Per-cpu system-mode memory state; `CpuCommon::softmmu` points at it.
pub struct SoftMmu {
    pub tlb: Box<[[TlbEntry; TLB_SIZE]; MMU_INDICES]>,
    /// The translator's instruction fetches (every block lookup that
    /// misses the jump cache, and every instruction it decodes), cached
    /// like the TLB and flushed with it.
    fetch: Box<[[FetchEntry; TLB_SIZE]; MMU_INDICES]>,
    pub bus: Arc<dyn PhysBus>,
    pub walker: Arc<dyn Walker>,
    pub code_pages: Arc<CodePages>,
    code_gen: u64,
    /// This cpu's position in `CodePages`'s write log.
    log_cursor: usize,
    /// Counters (for `-d exec` style reporting and tests).
    pub misses: u64,
    pub mmio: u64,
    /// Slots (`mmu_idx * TLB_SIZE + i`) of `tlb` and `fetch` filled since
    /// the last flush, so a flush clears only those; `None` once more were
    /// filled than `FILLED_MAX` (a flush then clears everything).
    filled: Option<Vec<u16>>,
    /// The virtual range (first, last page address) of the entries filled
    /// from mappings larger than a page since the last flush (empty when
    /// first > last): a one-page flush inside it flushes everything.
    large: (u64, u64),
}

/// Most slots `SoftMmu::flush` clears one by one (beyond, it clears all).
const FILLED_MAX: usize = TLB_SIZE;

impl SoftMmu {
    pub fn new(bus: Arc<dyn PhysBus>, walker: Arc<dyn Walker>, code_pages: Arc<CodePages>) -> Self {
        SoftMmu {
            tlb: Box::new([[TlbEntry::default(); TLB_SIZE]; MMU_INDICES]),
            fetch: Box::new([[NO_FETCH; TLB_SIZE]; MMU_INDICES]),
            bus,
            walker,
            code_pages,
            code_gen: 0,
            log_cursor: 0,
            misses: 0,
            mmio: 0,
            filled: Some(Vec::with_capacity(FILLED_MAX)),
            large: (u64::MAX, 0),
        }
    }

    /// Points `c` (the cpu state this softmmu serves) at it and at its TLB
    /// (the JIT's inline lookup reads `CpuCommon::tlb`).
    pub fn install(&mut self, c: &mut CpuCommon) {
        c.tlb = self.tlb.as_mut_ptr() as *mut TlbEntry;
        c.softmmu = self;
    }

    /// Drops every cached translation (TLBI ALL, translation registers changed).
    pub fn flush(&mut self) {
        self.large = (u64::MAX, 0);
        match &mut self.filled {
            Some(slots) => {
                for &k in slots.iter() {
                    let (idx, i) = (k as usize / TLB_SIZE, k as usize % TLB_SIZE);
                    self.tlb[idx][i] = TlbEntry::default();
                    self.fetch[idx][i] = NO_FETCH;
                }
                slots.clear();
            }
            None => {
                for idx in self.tlb.iter_mut() {
                    idx.fill(TlbEntry::default());
                }
                for idx in self.fetch.iter_mut() {
                    idx.fill(NO_FETCH);
                }
                self.filled = Some(Vec::with_capacity(FILLED_MAX));
            }
        }
    }

    /// Records a fill from a mapping of `1 << page_bits` bytes at `vpn`
    /// (see `large`).
    fn note_size(&mut self, vpn: u64, page_bits: u32) {
        if page_bits > PAGE_BITS {
            let mask = if page_bits >= 64 {
                u64::MAX
            } else {
                (1u64 << page_bits) - 1
            };
            self.large.0 = self.large.0.min(vpn & !mask);
            self.large.1 = self.large.1.max((vpn | mask) & PAGE_MASK);
        }
    }

    /// Records that slot `i` of MMU index `idx` gets filled (see `filled`).
    fn note_fill(&mut self, idx: usize, i: usize) {
        if let Some(slots) = &mut self.filled {
            if slots.len() < FILLED_MAX {
                slots.push((idx * TLB_SIZE + i) as u16);
            } else {
                self.filled = None;
            }
        }
    }

    /// Drops the translations of the virtual page holding `vaddr` in every
    /// MMU index (all of them when a mapping larger than a page may cover
    /// it: its other pages' entries came from the same descriptor).
    /// Returns whether it flushed everything.
    pub fn flush_page(&mut self, vaddr: u64) -> bool {
        let vpn = vaddr & PAGE_MASK;
        if self.large.0 <= vpn && vpn <= self.large.1 {
            self.flush();
            return true;
        }
        let i = (vaddr >> PAGE_BITS) as usize & (TLB_SIZE - 1);
        for idx in self.tlb.iter_mut() {
            if idx[i].read == vpn || idx[i].write == vpn {
                idx[i] = TlbEntry::default();
            }
        }
        for idx in self.fetch.iter_mut() {
            if idx[i].vpn == vpn {
                idx[i] = NO_FETCH;
            }
        }
        false
    }

    /// Drops write tags if pages gained translations since the last call
    /// (cheap when nothing changed); the cpu loop calls it per run.
    pub fn sync_code_pages(&mut self) {
        let g = self.code_pages.generation();
        if g != self.code_gen {
            self.code_gen = g;
            for idx in self.tlb.iter_mut() {
                for e in idx.iter_mut() {
                    e.write = INVALID;
                }
            }
        }
    }

    /// Physical page numbers whose translations are stale (written by
    /// any cpu) since the last call.
    pub fn take_invalidations(&mut self) -> Vec<u64> {
        let (pages, c) = self.code_pages.written_since(self.log_cursor);
        self.log_cursor = c;
        pages
    }
}

/// Packs a `MemOp` and an MMU index into one helper argument.
pub fn pack_oi(m: MemOp, mmu_idx: u32) -> u64 {
    m.0 as u64 | (mmu_idx as u64) << 16
}

fn unpack_oi(oi: u64) -> (MemOp, u32) {
    (
        MemOp(oi as u16),
        (oi >> 16) as u32 & (MMU_INDICES as u32 - 1),
    )
}

/// # Safety
/// `env` points at a guest state struct starting with a `CpuCommon` whose
/// `softmmu` is set.
unsafe fn parts<'a>(env: *mut u8) -> (&'a mut CpuCommon, &'a mut SoftMmu) {
    let c = &mut *(env as *mut CpuCommon);
    let m = &mut *c.softmmu;
    (c, m)
}

/// Leaves the running block: the guest has recorded its fault.
fn leave(env: *mut u8, vaddr: u64, write: bool) -> ! {
    // SAFETY: env is the running cpu's state (see `parts`).
    let c = unsafe { &mut *(env as *mut CpuCommon) };
    c.fault_host_addr = vaddr;
    c.fault_kind = write as u32;
    assert!(
        c.in_guard.load(Ordering::SeqCst) != 0,
        "softmmu fault outside a guarded block (system-mode engines run precise)"
    );
    // SAFETY: in_guard is set, so `guard` is the running engine's buffer
    // and the frames skipped hold no destructors (guard module docs).
    unsafe { crate::guard::leave(c.guard, exit::FAULT) }
}

enum Target {
    Ram(*mut u8),
    Io(u64),
}

/// Translates `vaddr` for `access`, filling the TLB; leaves the block on a fault.
fn resolve(env: *mut u8, vaddr: u64, access: Access, mmu_idx: u32) -> Target {
    // SAFETY: see `parts`.
    let (_, m) = unsafe { parts(env) };
    let vpn = vaddr & PAGE_MASK;
    let i = (vaddr >> PAGE_BITS) as usize & (TLB_SIZE - 1);
    let e = m.tlb[mmu_idx as usize][i];
    let hit = match access {
        Access::Write => e.write == vpn,
        _ => e.read == vpn,
    };
    if hit {
        return Target::Ram(vaddr.wrapping_add(e.addend) as *mut u8);
    }
    m.misses += 1;
    let walker = m.walker.clone();
    let t = match walker.translate(env, vaddr, access, mmu_idx) {
        Ok(t) => t,
        Err(GuestFault) => leave(env, vaddr, access == Access::Write),
    };
    // SAFETY: as above (the walker only touched guest fields).
    let (_, m) = unsafe { parts(env) };
    match m.bus.ram_ptr(t.paddr) {
        Some(p) => {
            let page_host = (p as u64).wrapping_sub(t.paddr & !PAGE_MASK);
            let addend = page_host.wrapping_sub(vpn);
            let code = m.code_pages.contains(t.paddr);
            m.note_fill(mmu_idx as usize, i);
            m.note_size(vpn, t.page_bits);
            let ent = &mut m.tlb[mmu_idx as usize][i];
            *ent = TlbEntry {
                read: if t.read { vpn } else { INVALID },
                write: if t.write && !code { vpn } else { INVALID },
                addend,
                _pad: 0,
            };
            if access == Access::Write && code {
                m.code_pages.note_write(t.paddr);
                // SAFETY: see `parts`.
                let c = unsafe { &*(env as *const CpuCommon) };
                c.request_exit();
            }
            Target::Ram(p)
        }
        None => {
            m.mmio += 1;
            Target::Io(t.paddr)
        }
    }
}

fn bus_fault(env: *mut u8, vaddr: u64, access: Access, mmu_idx: u32) -> ! {
    // SAFETY: see `parts`.
    let (_, m) = unsafe { parts(env) };
    let w = m.walker.clone();
    w.bus_fault(env, vaddr, access, mmu_idx);
    leave(env, vaddr, access == Access::Write)
}

fn check_align(env: *mut u8, vaddr: u64, m: MemOp, access: Access, mmu_idx: u32) {
    if m.is_aligned() && vaddr & (m.bytes() as u64 - 1) != 0 {
        // SAFETY: see `parts`.
        let (_, s) = unsafe { parts(env) };
        let w = s.walker.clone();
        w.alignment_fault(env, vaddr, access, mmu_idx);
        leave(env, vaddr, access == Access::Write);
    }
}

#[inline(always)]
fn extend(v: u64, m: MemOp) -> u64 {
    let v = if m.is_be() {
        v.swap_bytes() >> (64 - 8 * m.bytes())
    } else {
        v
    };
    if m.bytes() < 8 {
        let sh = 64 - 8 * m.bytes();
        if m.is_signed() {
            ((v << sh) as i64 >> sh) as u64
        } else {
            v << sh >> sh
        }
    } else {
        v
    }
}

fn read_one(env: *mut u8, vaddr: u64, size: u32, access: Access, mmu_idx: u32) -> u64 {
    match resolve(env, vaddr, access, mmu_idx) {
        // SAFETY: the bus promised `p` valid to the end of its page and the
        // caller keeps the access inside one page.
        Target::Ram(p) => unsafe {
            match size {
                1 => p.read() as u64,
                2 => (p as *const u16).read_unaligned() as u64,
                4 => (p as *const u32).read_unaligned() as u64,
                _ => (p as *const u64).read_unaligned(),
            }
        },
        Target::Io(pa) => {
            // SAFETY: see `parts`.
            let (_, m) = unsafe { parts(env) };
            match m.bus.read(pa, size) {
                Ok(v) => v,
                Err(_) => bus_fault(env, vaddr, access, mmu_idx),
            }
        }
    }
}

fn write_one(env: *mut u8, vaddr: u64, size: u32, v: u64, mmu_idx: u32) {
    match resolve(env, vaddr, Access::Write, mmu_idx) {
        // SAFETY: as in `read_one`.
        Target::Ram(p) => unsafe {
            match size {
                1 => p.write(v as u8),
                2 => (p as *mut u16).write_unaligned(v as u16),
                4 => (p as *mut u32).write_unaligned(v as u32),
                _ => (p as *mut u64).write_unaligned(v),
            }
        },
        Target::Io(pa) => {
            // SAFETY: see `parts`.
            let (_, m) = unsafe { parts(env) };
            if m.bus.write(pa, size, v).is_err() {
                bus_fault(env, vaddr, Access::Write, mmu_idx)
            }
        }
    }
}

/// Little-endian raw read of `size` bytes, split at page boundaries.
fn read_raw(env: *mut u8, vaddr: u64, size: u32, access: Access, mmu_idx: u32) -> u64 {
    if (vaddr & !PAGE_MASK) + size as u64 <= PAGE_SIZE {
        return read_one(env, vaddr, size, access, mmu_idx);
    }
    // Crosses a page: both pages are translated before the value is used.
    let mut v = 0u64;
    for k in 0..size as u64 {
        v |= read_one(env, vaddr.wrapping_add(k), 1, access, mmu_idx) << (8 * k);
    }
    v
}

/// The host address of a TLB hit for an access of `m` at `vaddr`
/// (`write`: the write tag), `None` on a miss (including misaligned and
/// page-crossing accesses, see `tlb_cmp`).
#[inline(always)]
fn fast_host(env: *mut u8, vaddr: u64, m: MemOp, mmu_idx: u32, write: bool) -> Option<*mut u8> {
    // SAFETY: env is a system-mode cpu's state (see `parts`): `tlb` points
    // at its `SoftMmu`'s entries, and `tlb_offset` stays inside them.
    let e = unsafe {
        let c = &*(env as *const CpuCommon);
        &*((c.tlb as *const u8).add(tlb_offset(vaddr, mmu_idx)) as *const TlbEntry)
    };
    let tag = if write { e.write } else { e.read };
    (tag == tlb_cmp(vaddr, m)).then(|| vaddr.wrapping_add(e.addend) as *mut u8)
}

/// `load` with the TLB hit inline (the interpreter's memory reads).
#[inline(always)]
pub fn load_inline(env: *mut u8, vaddr: u64, m: MemOp, mmu_idx: u32) -> u64 {
    match fast_host(env, vaddr, m, mmu_idx, false) {
        // SAFETY: a hit is RAM valid to the end of its page, and the access
        // does not cross it (`tlb_cmp`).
        Some(p) => unsafe {
            let v = match m.log2() {
                0 => p.read() as u64,
                1 => (p as *const u16).read_unaligned() as u64,
                2 => (p as *const u32).read_unaligned() as u64,
                _ => (p as *const u64).read_unaligned(),
            };
            extend(v, m)
        },
        None => load_slow(env, vaddr, m, mmu_idx),
    }
}

/// `store` with the TLB hit inline (the interpreter's memory writes).
#[inline(always)]
pub fn store_inline(env: *mut u8, vaddr: u64, v: u64, m: MemOp, mmu_idx: u32) {
    match fast_host(env, vaddr, m, mmu_idx, true) {
        // SAFETY: as in `load_inline`; write tags are never set for code
        // pages, so no translated code is behind `p`.
        Some(p) => unsafe {
            let be = m.is_be();
            match m.log2() {
                0 => p.write(v as u8),
                1 => {
                    let x = v as u16;
                    (p as *mut u16).write_unaligned(if be { x.swap_bytes() } else { x })
                }
                2 => {
                    let x = v as u32;
                    (p as *mut u32).write_unaligned(if be { x.swap_bytes() } else { x })
                }
                _ => (p as *mut u64).write_unaligned(if be { v.swap_bytes() } else { v }),
            }
        },
        None => store_slow(env, vaddr, v, m, mmu_idx),
    }
}

/// Loads per `oi` (`pack_oi`): the value zero- or sign-extended to 64 bits.
/// JIT code calls it on a miss of its inline lookup, or for every access
/// when the lookup is not inlined (`IrBlock::inline_tlb`).
pub extern "C" fn load(env: *mut u8, vaddr: u64, oi: u64) -> u64 {
    let (m, idx) = unpack_oi(oi);
    load_inline(env, vaddr, m, idx)
}

/// Stores the low bytes of `v` per `oi` (called as `load`).
pub extern "C" fn store(env: *mut u8, vaddr: u64, v: u64, oi: u64) {
    let (m, idx) = unpack_oi(oi);
    store_inline(env, vaddr, v, m, idx)
}

/// The slow path of a load: TLB refill, MMIO, page-crossing and
/// misaligned accesses, faults.
#[cold]
#[inline(never)]
fn load_slow(env: *mut u8, vaddr: u64, m: MemOp, idx: u32) -> u64 {
    check_align(env, vaddr, m, Access::Read, idx);
    extend(read_raw(env, vaddr, m.bytes(), Access::Read, idx), m)
}

/// The slow path of a store (as `load_slow`); also where stores to code
/// pages are noticed.
#[cold]
#[inline(never)]
fn store_slow(env: *mut u8, vaddr: u64, v: u64, m: MemOp, idx: u32) {
    check_align(env, vaddr, m, Access::Write, idx);
    let size = m.bytes();
    let v = if m.is_be() {
        v.swap_bytes() >> (64 - 8 * size)
    } else {
        v
    };
    if (vaddr & !PAGE_MASK) + size as u64 <= PAGE_SIZE {
        write_one(env, vaddr, size, v, idx);
        return;
    }
    // Crosses a page: translate both pages first so a fault on the second
    // leaves memory untouched.
    let last = vaddr.wrapping_add(size as u64 - 1);
    let _ = resolve(env, vaddr, Access::Write, idx);
    let _ = resolve(env, last, Access::Write, idx);
    for k in 0..size as u64 {
        write_one(env, vaddr.wrapping_add(k), 1, v >> (8 * k), idx);
    }
}

// The env contract (a running cpu's state) is the same as for the backends'
// helpers; kept safe fns like `exec::Engine::run`.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
/// Host address of RAM at `vaddr` for an atomic access of `size` bytes
/// (read and write permission required). Atomics on MMIO or across pages
/// are reported as bus / alignment faults.
pub fn atomic_host(env: *mut u8, vaddr: u64, size: u32) -> *mut u8 {
    // SAFETY: see `parts`.
    let (_, m) = unsafe { parts(env) };
    let w = m.walker.clone();
    let idx = w.current_mmu_idx(env);
    if vaddr & (size as u64 - 1) != 0 {
        w.alignment_fault(env, vaddr, Access::Write, idx);
        leave(env, vaddr, true);
    }
    let _ = read_one(env, vaddr, 1, Access::Read, idx);
    match resolve(env, vaddr, Access::Write, idx) {
        Target::Ram(p) => p,
        Target::Io(_) => bus_fault(env, vaddr, Access::Write, idx),
    }
}

/// Whether `env`'s cpu runs with a softmmu (system mode).
pub fn is_system(env: *mut u8) -> bool {
    // SAFETY: env points at a guest state struct starting with CpuCommon.
    unsafe { !(*(env as *const CpuCommon)).softmmu.is_null() }
}

/// Reads guest code through the MMU of one cpu, for translation in system
/// mode (instruction fetches: `Access::Exec`). Holds a raw pointer to the
/// cpu's state, which must outlive the reader (the vCPU owns both).
pub struct SystemCode {
    pub env: *mut u8,
    pub mmu_idx: std::sync::atomic::AtomicU32,
}

// SAFETY: a `SystemCode` is only used by the thread running its cpu.
unsafe impl Send for SystemCode {}
// SAFETY: as above.
unsafe impl Sync for SystemCode {}

impl SystemCode {
    /// Physical address of the instruction at `vaddr`, or `None` when the
    /// fetch would fault (the frontend then ends the block with its
    /// prefetch-abort exit, and the guest re-walks to report the fault).
    pub fn phys(&self, vaddr: u64) -> Option<u64> {
        self.fetch(vaddr).map(|e| e.ppn | (vaddr & !PAGE_MASK))
    }

    /// The fetch translation of `vaddr`'s page: cached, or walked (and
    /// cached when the fetch succeeds).
    fn fetch(&self, vaddr: u64) -> Option<FetchEntry> {
        // SAFETY: see the type's docs.
        let (_, m) = unsafe { parts(self.env) };
        let idx = self.mmu_idx.load(Ordering::Relaxed);
        let vpn = vaddr & PAGE_MASK;
        let i = (vaddr >> PAGE_BITS) as usize & (TLB_SIZE - 1);
        let slot = m.fetch.get(idx as usize).map(|f| f[i]);
        if let Some(e) = slot.filter(|e| e.vpn == vpn) {
            return Some(e);
        }
        let w = m.walker.clone();
        let t = w.translate(self.env, vaddr, Access::Exec, idx).ok()?;
        // SAFETY: as above (the walker only touched guest fields).
        let (_, m) = unsafe { parts(self.env) };
        let ppn = t.paddr & PAGE_MASK;
        let e = FetchEntry {
            vpn,
            ppn,
            host: m.bus.ram_ptr(ppn).map_or(0, |p| p as usize),
        };
        if let Some(f) = m.fetch.get_mut(idx as usize) {
            f[i] = e;
            m.note_fill(idx as usize, i);
            m.note_size(vpn, t.page_bits);
        }
        Some(e)
    }

    fn host(&self, vaddr: u64) -> Option<*mut u8> {
        let e = self.fetch(vaddr)?;
        (e.host != 0).then(|| (e.host + (vaddr & !PAGE_MASK) as usize) as *mut u8)
    }
}

impl crate::CodeReader for SystemCode {
    fn read_u32(&self, addr: u64) -> Option<u32> {
        if addr & 3 != 0 {
            return None;
        }
        // SAFETY: `ram_ptr` is valid to the end of its page; aligned.
        self.host(addr)
            .map(|p| unsafe { (p as *const u32).read_unaligned() })
    }
    fn read_u16(&self, addr: u64) -> Option<u16> {
        if addr & 1 != 0 {
            return None;
        }
        // SAFETY: as above.
        self.host(addr)
            .map(|p| unsafe { (p as *const u16).read_unaligned() })
    }
    fn read_u8(&self, addr: u64) -> Option<u8> {
        // SAFETY: as above.
        self.host(addr).map(|p| unsafe { p.read() })
    }
    fn translated(&self, start: u64, end: u64) {
        // SAFETY: see the type's docs.
        let (_, m) = unsafe { parts(self.env) };
        let mut a = start & PAGE_MASK;
        while a < end {
            if let Some(pa) = self.phys(a) {
                m.code_pages.add(pa);
            }
            a += PAGE_SIZE;
        }
        m.sync_code_pages();
    }
    fn phys_key(&self, pc: u64) -> u64 {
        self.phys(pc).unwrap_or(u64::MAX)
    }
}

#[allow(clippy::not_unsafe_ptr_arg_deref)]
/// The physical bus of `env`'s cpu (system mode only), for guest helpers
/// that read memory by physical address (address-translation instructions).
pub fn bus(env: *mut u8) -> Arc<dyn PhysBus> {
    // SAFETY: see `parts`.
    let (_, m) = unsafe { parts(env) };
    m.bus.clone()
}
