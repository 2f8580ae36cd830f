//! The cpu loop: find or translate the block at the guest pc, run it on the
//! chosen backend, chain compiled blocks, tier hot blocks up to the JIT, and
//! return to the caller (user-mode or system-mode loop) on guest exits.

use crate::backend::codemem::CodeMem;
use crate::backend::interp;
use crate::backend::jit::{BlockLinks, Jit};
use crate::cache::{CodeCache, Tb};
use crate::cpu::{exit, CpuCommon, JmpEntry, JMP_CACHE_SIZE};
use crate::guest::{CodeReader, Frontend};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Instant;

/// Which backend runs blocks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// Tier 0 only: every block as template-tier code
    /// (`backend::template`), or interpreted with `MIMIC_TEMPLATE=0`.
    Interp,
    /// Compile every block with Cranelift on first use.
    Jit,
    /// Tier 0 first, compile blocks with Cranelift once hot.
    Auto,
}

impl std::str::FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "interp" => Ok(BackendKind::Interp),
            "jit" => Ok(BackendKind::Jit),
            "auto" => Ok(BackendKind::Auto),
            _ => Err(format!("unknown backend '{s}' (interp, jit, auto)")),
        }
    }
}

/// Why `Engine::run` returned.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GuestExit {
    /// The guest raised exit reason `n` (guest-defined: syscall, exception...).
    Guest(u32),
    /// `exit_request` was set (signal pending, invalidation...).
    Interrupted,
}

/// Translation and execution statistics (`-d exec,stats` style reporting).
#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub translated: u64,
    pub compiled: u64,
    pub jit_failures: u64,
    pub interp_execs: u64,
    pub jit_entries: u64,
    pub chained: u64,
    pub flushes: u64,
    pub invalidated: u64,
    /// Compilations that covered more than one block, and their blocks.
    pub regions: u64,
    pub region_blocks: u64,
    /// Blocks given template-tier code (see `backend::template`), and its
    /// bytes.
    pub templates: u64,
    pub template_bytes: u64,
}

/// Debug output switches (`-d in_asm,op,op_opt,out_asm,exec`).
#[derive(Default, Debug, Clone, Copy)]
pub struct LogFlags {
    pub in_asm: bool,
    pub op: bool,
    pub op_opt: bool,
    pub out_asm: bool,
    pub exec: bool,
    /// Append `/tmp/perf-PID.map` lines for compiled blocks (`-perfmap`), so
    /// `perf report` names guest blocks.
    pub perfmap: bool,
    /// Profile where the time goes (`-d stats`, see `crate::profile`).
    pub stats: bool,
}

/// Runs guest code for one cpu.
pub struct Engine {
    frontend: Box<dyn Frontend + Send>,
    code: Box<dyn CodeReader + Send + Sync>,
    kind: BackendKind,
    /// Whether system-mode JIT code inlines the TLB lookup (on unless
    /// `MIMIC_INLINE_TLB=0`). It was off while cold code was interpreted:
    /// the inline hit's extra Cranelift blocks then cost more compile
    /// time than they saved (-smp 1 cpu s, auto: 5.1 -> 5.8). With the
    /// template tier taking cold code it wins: boot wall (medians of 3)
    /// 3.26 -> 2.82 s at -smp 1, 3.94 -> 3.58 s at -smp 2.
    inline_tlb: bool,
    /// Tier 0 (`interp`, and `auto` until a block is hot) runs blocks as
    /// template-tier code (`MIMIC_TEMPLATE=0` interprets them instead).
    template: bool,
    /// The template tier's code memory (reset with the cache), and whether
    /// it filled up (the cpu loop then flushes at its next block).
    template_mem: Option<CodeMem>,
    /// Template code jumps straight to template code at direct jumps
    /// (`MIMIC_TEMPLATE_CHAIN=0`: every block returns to the cpu loop).
    template_chain: bool,
    template_full: bool,
    cache: CodeCache,
    jit: Option<Jit>,
    jmp_cache: Box<[JmpEntry]>,
    /// Jump cache slots filled since it was last cleared, so that clearing
    /// it (system mode does at every TLB flush: context switches, TLBI)
    /// touches only those; `None` once too many to list (clear it all).
    jmp_used: Option<Vec<u32>>,
    /// A filter of the virtual pages the jump cache has entries for (bit
    /// `page_bit(pc)`): set when an entry is filled, cleared only when the
    /// whole jump cache is, so a clear bit proves the page has none and a
    /// TLBI of a data page (most of them) skips the scan of 1024 entries.
    jmp_pages: [u64; 64],
    pc_off: usize,
    threshold: u32,
    /// A block that would compile as a region waits until it has run this
    /// many times the threshold (`MIMIC_REGION_FACTOR`, see `is_hot`).
    region_factor: u32,
    max_insns: usize,
    optimize: bool,
    /// Precise-fault mode (see `set_precise`).
    precise: bool,
    /// System mode (see `set_system`).
    system: bool,
    /// Single-block mode (see `set_single_block`).
    single_block: bool,
    /// Compile hot blocks together with their hot direct successors
    /// (`MIMIC_REGIONS=0` turns it off).
    regions: bool,
    /// `auto` compiles on a second thread (`MIMIC_BG_COMPILE=0` turns it
    /// off), see `backend::background`.
    background: bool,
    bg: Option<crate::backend::background::Worker>,
    /// Blocks handed to the compile thread and not installed yet.
    queued: std::collections::HashSet<usize>,
    /// The JIT's entry trampoline once there is a JIT (0 before), where
    /// template code finds it (`template::Link::trampoline`).
    tramp_cell: Box<AtomicUsize>,
    guard: Box<crate::guard::GuardBuf>,
    fault: Option<MemFault>,
    pub log: LogFlags,
    pub stats: Stats,
    perfmap: Option<std::fs::File>,
    /// `-d stats`: this engine's profile, its registry slot, and when `run`
    /// last returned.
    profile: Option<Box<ProfileState>>,
}

struct ProfileState {
    p: crate::profile::Profile,
    slot: std::sync::Arc<std::sync::Mutex<crate::profile::Profile>>,
    left: Option<Instant>,
}

/// A host fault in guest memory that left a block (precise mode).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MemFault {
    /// Guest address accessed.
    pub addr: u64,
    /// Whether it was a write.
    pub write: bool,
    /// The host signal (SIGSEGV, SIGBUS).
    pub signal: i32,
    /// Guest pc of the faulting instruction (also stored in the pc global).
    pub pc: u64,
}

/// Interpreter entry with the JIT trampoline's signature, for
/// `guard::guarded_call`.
extern "sysv64" fn interp_entry(env: *mut u8, code: usize) -> u64 {
    // SAFETY: `code` is a live block's `interp::Code` (see `Engine::run`).
    unsafe { interp::exec(&*(code as *const interp::Code), env) }
}

/// Tier-0 executions before `auto` compiles a block. Cranelift costs
/// ~100 us or more per block, so code that runs only hundreds or a few
/// thousand times (start-up: a Python interpreter runs ~40k distinct
/// blocks before `pass`) is cheaper as template code; hot loops get there
/// within microseconds. With the template tier 3000 beat 1000 (A/B, cpu
/// s: boot -smp 1 4.05 -> 3.59, python3 -c pass 0.63 -> 0.45, lua5.4
/// cpu.lua 4.7 -> 4.3); 10000 was slower, and so was 300.
pub const DEFAULT_JIT_THRESHOLD: u32 = 3000;

/// The same in system mode. A kernel boot has many blocks that run some
/// thousands of times and then rarely again, each vCPU compiles its own,
/// and with `-smp 2` the compile thread competes with two vCPU threads
/// for two host cores. A/B at 10000 against 3000 (bench-boot's boot,
/// interleaved runs): -smp 2 wall 1.41 -> 1.34 s, cpu 2.03 -> 1.68 s;
/// -smp 1 wall within noise, cpu -10%.
pub const SYSTEM_JIT_THRESHOLD: u32 = 10000;

/// Region compiles (Cranelift at `speed` over up to 24 blocks) cost
/// milliseconds each; start-up code reaches the threshold in loops that
/// never run again (lua5.4 -e 'print(1)' compiled 19 regions, ~90% of its
/// compile time, for 1078 executions of their code). A loop head therefore
/// compiles only after this many times the threshold: a loop that keeps
/// running gets there within a millisecond or so anyway.
pub const DEFAULT_REGION_FACTOR: u32 = 4;

/// Bytes reserved (not committed) for each engine's template-tier code:
/// python3 -c pass fills about 15 MiB of it (37k blocks, ~400 bytes each).
const TEMPLATE_ARENA: usize = 256 << 20;

/// `MIMIC_JIT_THRESHOLD`, else the mode's default.
fn default_threshold(system: bool) -> u32 {
    std::env::var("MIMIC_JIT_THRESHOLD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if system {
            SYSTEM_JIT_THRESHOLD
        } else {
            DEFAULT_JIT_THRESHOLD
        })
}

impl Engine {
    pub fn new(
        frontend: Box<dyn Frontend + Send>,
        kind: BackendKind,
        code: Box<dyn CodeReader + Send + Sync>,
    ) -> Engine {
        let pc_global = frontend.pc_global();
        let pc_off = frontend.globals()[pc_global].offset as usize;
        Engine {
            frontend,
            code,
            kind,
            inline_tlb: std::env::var("MIMIC_INLINE_TLB").map_or(true, |v| v != "0"),
            template: std::env::var("MIMIC_TEMPLATE").map_or(true, |v| v != "0"),
            template_chain: std::env::var("MIMIC_TEMPLATE_CHAIN").map_or(true, |v| v != "0"),
            template_mem: None,
            template_full: false,
            cache: CodeCache::default(),
            jit: None,
            jmp_cache: vec![JmpEntry::default(); JMP_CACHE_SIZE].into_boxed_slice(),
            jmp_used: Some(Vec::new()),
            jmp_pages: [0; 64],
            pc_off,
            threshold: default_threshold(false),
            region_factor: std::env::var("MIMIC_REGION_FACTOR")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_REGION_FACTOR)
                .max(1),
            max_insns: 512,
            optimize: true,
            precise: false,
            system: false,
            single_block: false,
            regions: std::env::var("MIMIC_REGIONS").map_or(true, |v| v != "0"),
            background: std::env::var("MIMIC_BG_COMPILE").map_or(true, |v| v != "0"),
            bg: None,
            queued: Default::default(),
            tramp_cell: Box::new(AtomicUsize::new(0)),
            guard: Box::default(),
            fault: None,
            log: LogFlags::default(),
            stats: Stats::default(),
            perfmap: None,
            profile: None,
        }
    }

    /// Limits blocks to `n` guest instructions (`-one-insn-per-tb` is 1).
    pub fn set_max_insns(&mut self, n: usize) {
        self.max_insns = n.max(1);
        self.flush();
    }

    /// Precise-fault mode: every guest instruction start leaves exact state
    /// in the env and its pc in `CpuCommon::insn_pc`, and blocks run under
    /// the fault guard (`crate::guard`), so a host fault handler can leave a
    /// block at a faulting guest access; `run` then returns `Interrupted`
    /// with the pc at the faulting instruction and `take_fault` tells what
    /// happened. Slower; user mode turns it on when the guest handles
    /// SIGSEGV/SIGBUS. Changing it drops all translations.
    pub fn set_precise(&mut self, on: bool) {
        if self.precise != on {
            self.precise = on;
            self.flush();
        }
    }

    /// System mode: memory ops go through the cpu's softmmu
    /// (`CpuCommon::softmmu` must be set before `run`), blocks are keyed
    /// by the physical address of their code too (`CodeReader::phys_key`),
    /// blocks chain only within their own virtual page, and precise mode
    /// is on (guest MMU faults leave blocks with exact state), and blocks
    /// compile later (`SYSTEM_JIT_THRESHOLD`). Whoever
    /// changes the guest's address translation calls `flush_jump_cache`.
    pub fn set_system(&mut self, on: bool) {
        self.system = on;
        self.precise = on;
        self.threshold = default_threshold(on);
        self.flush();
    }

    /// Forgets every (virtual pc -> block) shortcut: the jump cache and
    /// the direct chains between blocks. For system mode when the guest's
    /// virtual-to-physical mapping changes; the blocks themselves stay.
    pub fn flush_jump_cache(&mut self) {
        self.jmp_pages = [0; 64];
        match self.jmp_used.take() {
            Some(used) => {
                for &i in &used {
                    self.jmp_cache[i as usize] = JmpEntry::default();
                }
                let mut used = used;
                used.clear();
                self.jmp_used = Some(used);
            }
            None => {
                self.jmp_cache.fill(JmpEntry::default());
                self.jmp_used = Some(Vec::new());
            }
        }
    }

    /// Forgets the (virtual pc -> block) shortcuts into the page holding
    /// `vaddr` (a TLBI of that page): its entries sit at one run of
    /// indices, `(pc >> 2) % JMP_CACHE_SIZE`.
    pub fn flush_jump_cache_page(&mut self, vaddr: u64) {
        let bit = page_bit(vaddr);
        if self.jmp_pages[bit / 64] & 1 << (bit % 64) == 0 {
            return;
        }
        let first = (vaddr >> 2) as usize & !1023 & (JMP_CACHE_SIZE - 1);
        for k in 0..(1024).min(JMP_CACHE_SIZE) {
            let e = &mut self.jmp_cache[(first + k) & (JMP_CACHE_SIZE - 1)];
            if e.tb != 0 && same_page(e.pc, vaddr) {
                *e = JmpEntry::default();
            }
        }
    }

    /// Clears the jump cache entries of the `dead` blocks.
    fn drop_from_jump_cache(&mut self, dead: &[usize]) {
        let clear = |e: &mut JmpEntry| {
            if e.tb != 0 && dead.contains(&e.tb) {
                *e = JmpEntry::default();
            }
        };
        match &self.jmp_used {
            Some(used) => {
                for &i in used {
                    clear(&mut self.jmp_cache[i as usize]);
                }
            }
            None => self.jmp_cache.iter_mut().for_each(clear),
        }
    }

    pub fn precise(&self) -> bool {
        self.precise
    }

    /// Single-block mode: `run` returns `GuestExit::Interrupted` after every
    /// block, and no block chains to another (neither through chain slots
    /// nor through the jump cache), so the caller sees every block
    /// boundary. With `set_max_insns(1)` that is every instruction: a
    /// debugger's single step and breakpoint checks. Changing it drops all
    /// translations.
    pub fn set_single_block(&mut self, on: bool) {
        if self.single_block != on {
            self.single_block = on;
            self.flush();
        }
    }

    /// The fault that ended the last `run`, if any.
    pub fn take_fault(&mut self) -> Option<MemFault> {
        self.fault.take()
    }

    /// Region compilation on or off (on by default; see `compile`).
    pub fn set_regions(&mut self, on: bool) {
        self.regions = on;
    }

    /// `auto` tiering: compile after `threshold` interpreted executions,
    /// loop heads (region compiles) after `region_factor` times that
    /// (the `MIMIC_JIT_THRESHOLD` / `MIMIC_REGION_FACTOR` defaults).
    pub fn set_tiering(&mut self, threshold: u32, region_factor: u32) {
        self.threshold = threshold.max(1);
        self.region_factor = region_factor.max(1);
    }

    /// Chaining of template code to template code on or off
    /// (`MIMIC_TEMPLATE_CHAIN`). Changing it drops all translations.
    pub fn set_template_chaining(&mut self, on: bool) {
        if self.template_chain != on {
            self.template_chain = on;
            self.flush();
        }
    }

    /// Compiling on a second thread on or off (`MIMIC_BG_COMPILE`).
    pub fn set_background(&mut self, on: bool) {
        self.background = on;
    }

    /// Turns the IR optimizer off (for debugging the optimizer itself).
    pub fn set_optimize(&mut self, on: bool) {
        self.optimize = on;
    }

    pub fn backend(&self) -> BackendKind {
        self.kind
    }

    /// Drops all translations (self-modifying code, unmapped code).
    pub fn flush(&mut self) {
        self.cache.flush();
        if let Some(j) = &mut self.jit {
            j.reset();
        }
        if let Some(m) = &mut self.template_mem {
            m.reset();
        }
        self.template_full = false;
        self.flush_jump_cache();
        // Results of queued jobs carry the old flush count and are dropped.
        self.queued.clear();
        self.stats.flushes += 1;
    }

    /// The process is about to end: leaks the translation cache instead of
    /// freeing it block by block (tens of thousands of blocks, each with
    /// its vectors: a visible part of a short program's run time). The
    /// engine stays usable, with an empty cache.
    pub fn forget_cache(&mut self) {
        std::mem::forget(std::mem::take(&mut self.cache));
        self.flush();
    }

    /// Guest code in `start..end` changed or went away: its blocks are
    /// dropped and nothing chains into them any more.
    pub fn invalidate(&mut self, start: u64, end: u64) {
        let dead = self.cache.invalidate(start, end);
        if dead.is_empty() {
            return;
        }
        self.stats.invalidated += dead.len() as u64;
        self.drop_from_jump_cache(&dead);
        // Dead blocks' code stays in the arena until it fills up; flush
        // everything when dead blocks dominate, to bound memory.
        if self.cache.allocated() > 4 * self.cache.len() + 4096 {
            self.flush();
        }
    }

    /// System mode: the code on physical page `ppage` (a page number)
    /// changed: its blocks are dropped and nothing chains into them.
    pub fn invalidate_phys_page(&mut self, ppage: u64) {
        let dead = self.cache.invalidate_phys_page(ppage);
        self.drop_dead(dead);
    }

    fn drop_dead(&mut self, dead: Vec<usize>) {
        if dead.is_empty() {
            return;
        }
        self.stats.invalidated += dead.len() as u64;
        self.drop_from_jump_cache(&dead);
        if self.cache.allocated() > 4 * self.cache.len() + 4096 {
            self.flush();
        }
    }

    fn guest_base(env: *mut u8) -> u64 {
        // SAFETY: env points at a guest state struct starting with CpuCommon.
        unsafe { (*(env as *const CpuCommon)).guest_base }
    }

    fn jit(&mut self, env: *mut u8) -> Option<&mut Jit> {
        if self.jit.is_none() {
            match Jit::new(Self::guest_base(env)) {
                Ok(j) => {
                    self.tramp_cell.store(j.trampoline(), Ordering::Relaxed);
                    self.jit = Some(j)
                }
                Err(e) => {
                    tracing::warn!(target: "unimp", "JIT unavailable, interpreting: {e}");
                    self.kind = BackendKind::Interp;
                    return None;
                }
            }
        }
        self.jit.as_mut()
    }

    fn translate(&mut self, pc: u64, flags: u32) -> Tb {
        let mut ir = self
            .frontend
            .translate(pc, flags, self.code.as_ref(), self.max_insns);
        self.stats.translated += 1;
        ir.precise = self.precise;
        ir.softmmu = self.system;
        ir.inline_tlb = self.system && self.inline_tlb;
        self.code.translated(pc, pc + ir.guest_size.max(1) as u64);
        if self.log.in_asm {
            let mut bytes = Vec::with_capacity(ir.guest_size as usize);
            for a in pc..pc + ir.guest_size as u64 {
                match self.code.read_u8(a) {
                    Some(b) => bytes.push(b),
                    None => break,
                }
            }
            tracing::info!(target: "in_asm", "IN:\n{}", self.frontend.disas(pc, &bytes));
        }
        if self.log.op {
            tracing::info!(target: "op", "OP:\n{ir}");
        }
        #[cfg(debug_assertions)]
        if let Err(e) = crate::ir::verify(&ir) {
            panic!("frontend produced invalid IR: {e}\n{ir}");
        }
        if self.optimize {
            crate::opt::optimize(&mut ir);
            #[cfg(debug_assertions)]
            if let Err(e) = crate::ir::verify(&ir) {
                panic!("optimizer produced invalid IR: {e}\n{ir}");
            }
            if self.log.op_opt {
                tracing::info!(target: "op_opt", "OP after optimization:\n{ir}");
            }
        }
        // Only the JIT backend compiles every block: elsewhere the IR is
        // rebuilt for the few blocks that get hot (`ir_of`).
        let keep_ir = self.kind == BackendKind::Jit;
        if keep_ir {
            // Blocks keep their IR for the JIT: without the builder's slack.
            ir.insns.shrink_to_fit();
            ir.temps.shrink_to_fit();
        }
        let interp = match interp::lower(&ir) {
            Some(c) => c,
            None => {
                // Too many temps: retranslate as a shorter block.
                let saved = self.max_insns;
                self.max_insns = (ir.guest_insns as usize / 2).max(1);
                let tb = self.translate(pc, flags);
                self.max_insns = saved;
                return tb;
            }
        };
        let phys = if self.system {
            self.code.phys_key(pc)
        } else {
            0
        };
        Tb::new(pc, flags, phys, ir, interp, keep_ir)
    }

    /// Gives a block template-tier code (not for `jit`, which compiles
    /// every block), placed in the template arena; without it (arena full,
    /// `MIMIC_TEMPLATE=0`) the block is interpreted. The cpu loop calls it
    /// when the block is about to run a second time (`run_blocks`): a
    /// third of a kernel boot's blocks run only once, and interpreting
    /// those once is cheaper than emitting their code.
    fn attach_template(&mut self, tb: &Tb) {
        if !self.template_tier() {
            return;
        }
        if self.template_mem.is_none() {
            match CodeMem::new(TEMPLATE_ARENA) {
                Ok(m) => self.template_mem = Some(m),
                Err(e) => {
                    tracing::warn!(target: "unimp", "template tier unavailable: {e}");
                    self.template = false;
                    return;
                }
            }
        }
        tb.tier_up_at.store(
            if self.kind == BackendKind::Auto {
                self.threshold
            } else {
                u32::MAX
            },
            Ordering::Relaxed,
        );
        let link = crate::backend::template::Link {
            pc: tb.pc,
            tb: tb as *const Tb as usize,
            count: &tb.exec_count as *const AtomicU32 as usize,
            tier_up_at: &tb.tier_up_at as *const AtomicU32 as usize,
            // Single-block mode: every block returns to the loop.
            slots: if self.single_block || !self.template_chain {
                [0, 0]
            } else {
                [
                    &tb.tchain[0] as *const AtomicUsize as usize,
                    &tb.tchain[1] as *const AtomicUsize as usize,
                ]
            },
            jit: if self.kind == BackendKind::Auto {
                &tb.jit as *const AtomicUsize as usize
            } else {
                0
            },
            trampoline: &*self.tramp_cell as *const AtomicUsize as usize,
        };
        let out = crate::backend::template::emit(tb.interp(), &link);
        let mem = self.template_mem.as_mut().expect("created above");
        match mem.place(&out.code) {
            Some(addr) => {
                // The block keeps only the ops its code calls the
                // interpreter for; the code is repointed at their new
                // places before anything can run it.
                // SAFETY: this engine owns the block, which is not
                // running (the cpu loop is between blocks).
                let ops = unsafe { tb.interp_mut() };
                ops.keep_only(out.op_refs.iter().map(|&(_, i)| i));
                for (&(at, _), op) in out.op_refs.iter().zip(ops.op_addrs()) {
                    // SAFETY: `addr + at` is the 8-byte immediate emitted
                    // for that op, inside the code just placed, which no
                    // thread runs yet (it is published below).
                    unsafe { ((addr + at) as *mut u64).write_unaligned(op as u64) };
                }
                self.stats.templates += 1;
                self.stats.template_bytes += out.code.len() as u64;
                if self.log.perfmap {
                    self.write_perfmap(addr, out.code.len(), tb.pc, "tmpl");
                }
                tb.tmpl_chained
                    .store(addr + out.chained_entry, Ordering::Relaxed);
                // (Not in single-block mode, where compiled code must not
                // go on to the next block: compiled code's indirect jumps
                // take this entry from the jump cache.)
                if !self.single_block {
                    tb.tmpl_jit_entry
                        .store(addr + out.jit_entry, Ordering::Relaxed);
                }
                tb.tmpl.store(addr + out.entry, Ordering::Release);
                crate::backend::template::recycle(out);
            }
            // Full: interpret until the cpu loop flushes everything.
            None => self.template_full = true,
        }
    }

    /// Whether blocks get template code (not for `jit`, with
    /// `MIMIC_TEMPLATE=0`, or while the arena is full).
    fn template_tier(&self) -> bool {
        self.kind != BackendKind::Jit && self.template && !self.template_full
    }

    /// The optimized IR of `tb`, translated again if the block dropped it.
    /// `None` when the guest code no longer translates to the same block
    /// (then it is not compiled).
    fn ir_of(&mut self, tb: &Tb) -> Option<crate::ir::IrBlock> {
        if let Some(ir) = tb.ir.lock().ok()?.as_ref() {
            return Some(ir.clone());
        }
        let mut ir = self.frontend.translate(
            tb.pc,
            tb.flags,
            self.code.as_ref(),
            tb.guest_insns.max(1) as usize,
        );
        ir.precise = self.precise;
        ir.softmmu = self.system;
        ir.inline_tlb = self.system && self.inline_tlb;
        if self.optimize {
            crate::opt::optimize(&mut ir);
        }
        if ir.guest_size != tb.guest_size || ir.guest_insns != tb.guest_insns {
            return None;
        }
        Some(ir)
    }

    /// The IRs of `members`, or `None` if one cannot be had again.
    fn irs_of(&mut self, members: &[*const Tb]) -> Option<Vec<crate::ir::IrBlock>> {
        members
            .iter()
            // SAFETY: members are live blocks of the cache (not flushed
            // while the caller holds them).
            .map(|&m| self.ir_of(unsafe { &*m }))
            .collect()
    }

    fn links(tb: &Tb) -> BlockLinks {
        BlockLinks {
            tb: tb as *const Tb as usize,
            slots: [
                &tb.chain[0] as *const AtomicUsize as usize,
                &tb.chain[1] as *const AtomicUsize as usize,
            ],
        }
    }

    /// The blocks `tb` compiles with (itself first), and whether as a
    /// region (not in single-block mode, where every block returns).
    fn plan(&self, tb: &Tb) -> (Vec<*const Tb>, bool) {
        let members = if self.regions && !self.single_block {
            self.region_members(tb)
        } else {
            Vec::new()
        };
        if members.is_empty() {
            (vec![tb as *const Tb], false)
        } else {
            (members, true)
        }
    }

    /// Compiles `tb` if it is not compiled yet; returns its code (0 on failure).
    fn compile(&mut self, tb: *const Tb, env: *mut u8) -> usize {
        // SAFETY: `tb` points into the cache, which is not flushed here.
        let tbr = unsafe { &*tb };
        let code = tbr.jit_code();
        if code != 0 || tbr.jit_failed.load(Ordering::Relaxed) {
            return code;
        }
        let links = Self::links(tbr);
        let (members, region) = self.plan(tbr);
        let Some(owned) = self.irs_of(&members) else {
            tbr.jit_failed.store(true, Ordering::Relaxed);
            return 0;
        };
        let irs: Vec<&crate::ir::IrBlock> = owned.iter().collect();
        let Some(jit) = self.jit(env) else { return 0 };
        // A codegen bug must not take the guest down: fall back to the
        // interpreter for this block.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let code = if region {
                jit.compile_region(&irs, &links)
            } else {
                jit.compile(irs[0], &links)
            };
            code.map(|c| (c, jit.last_code_len()))
        }))
        .unwrap_or_else(|_| {
            Err(crate::backend::jit::JitError::Codegen(
                "code generator panicked".into(),
            ))
        });
        self.installed(tb, &members, region, result)
    }

    /// Records a compilation's outcome (in this thread or the background
    /// one): publishes the code, ties a region to its members' pages, logs.
    /// Returns the code address, 0 on failure (out of code memory flushes).
    fn installed(
        &mut self,
        tb: *const Tb,
        members: &[*const Tb],
        region: bool,
        result: Result<(usize, usize), crate::backend::jit::JitError>,
    ) -> usize {
        // SAFETY: `tb` and the members are live blocks of the cache (the
        // callers checked that no flush happened since they were found).
        let tbr = unsafe { &*tb };
        match result {
            Ok((code, len)) => {
                tbr.jit.store(code, Ordering::Release);
                // Compiled code chained to its template code goes to the
                // compiled code from now on.
                let via = tbr.tmpl_jit_entry.load(Ordering::Relaxed);
                if via != 0 {
                    tbr.repoint_chains(via, code);
                }
                // Template code chained to it leaves for the loop, which
                // runs (and chains) the compiled code.
                tbr.tier_up_at.store(0, Ordering::Relaxed);
                if self.log.out_asm {
                    // SAFETY: `code..code+len` was just written by the JIT.
                    let bytes = unsafe { std::slice::from_raw_parts(code as *const u8, len) };
                    tracing::info!(
                        target: "out_asm",
                        "OUT: [size={len}] {} {:#x}\n{}",
                        if region { "region" } else { "block" },
                        tbr.pc,
                        crate::disas::host(code as u64, bytes)
                    );
                }
                self.stats.compiled += 1;
                if region {
                    self.stats.regions += 1;
                    self.stats.region_blocks += members.len() as u64;
                    // The region's code dies with any of its members.
                    for &m in &members[1..] {
                        // SAFETY: as above.
                        let m = unsafe { &*m };
                        let end = m.pc + m.guest_size.max(1) as u64;
                        self.cache.attach(tbr, m.pc, end);
                    }
                }
                if self.log.perfmap {
                    self.write_perfmap(code, len, tbr.pc, "guest");
                }
                code
            }
            Err(crate::backend::jit::JitError::Full) => {
                // Out of code memory: start over (the caller retries).
                self.flush();
                0
            }
            Err(e) => {
                tracing::warn!(target: "unimp", "JIT failed for block {:#x}: {e}", tbr.pc);
                tbr.jit_failed.store(true, Ordering::Relaxed);
                tbr.tier_up_at.store(u32::MAX, Ordering::Relaxed);
                self.stats.jit_failures += 1;
                0
            }
        }
    }

    /// Background mode: hands `tb` (and its region) to the compile thread;
    /// the block keeps running in the interpreter until the code arrives.
    fn queue_compile(&mut self, tb: *const Tb, env: *mut u8) {
        let key = tb as usize;
        // SAFETY: `tb` is a live block of the cache.
        let tbr = unsafe { &*tb };
        if self.queued.contains(&key) {
            Self::recheck_later(tbr);
            return;
        }
        if tbr.jit_failed.load(Ordering::Relaxed) {
            return;
        }
        if self.bg.as_ref().is_some_and(|w| !w.alive_here()) {
            // Forked (see `take_compiled`).
            std::mem::forget(self.bg.take());
            self.reset_queued();
        }
        if self.bg.is_none() {
            match crate::backend::background::Worker::spawn(Self::guest_base(env)) {
                Ok(w) => self.bg = Some(w),
                Err(e) => {
                    tracing::warn!(target: "unimp", "no compile thread, compiling inline: {e}");
                    self.background = false;
                    return;
                }
            }
        }
        let (members, region) = self.plan(tbr);
        let Some(irs) = self.irs_of(&members) else {
            tbr.jit_failed.store(true, Ordering::Relaxed);
            return;
        };
        let job = crate::backend::background::Job {
            tb: key,
            members: members.iter().map(|&m| m as usize).collect(),
            irs,
            links: Self::links(tbr),
            region,
            gen: self.stats.flushes,
        };
        if self.bg.as_mut().is_some_and(|w| w.submit(job)) {
            self.queued.insert(key);
            Self::recheck_later(tbr);
        } else {
            self.background = false;
        }
    }

    /// A block queued for the compile thread: its template code runs on
    /// (chained) for `RECHECK` more executions before it comes back to the
    /// loop, which then installs the code if it is ready (only the loop
    /// does; a template loop that never left would never tier up).
    fn recheck_later(tb: &Tb) {
        const RECHECK: u32 = 1024;
        let n = tb.exec_count.load(Ordering::Relaxed);
        tb.tier_up_at
            .store(n.saturating_add(RECHECK), Ordering::Relaxed);
    }

    /// Forgets the queued compile jobs (their thread is gone after a
    /// fork): their blocks' template code leaves for the loop again when
    /// hot, so they get queued anew.
    fn reset_queued(&mut self) {
        for &key in &self.queued {
            // SAFETY: queued blocks are live (a flush clears the queue's
            // results by generation, and blocks stay allocated until then).
            let tb = unsafe { &*(key as *const Tb) };
            tb.tier_up_at.store(self.threshold, Ordering::Relaxed);
        }
        self.queued.clear();
    }

    /// Installs what the compile thread finished. Results from before the
    /// last flush, or for blocks that died since, are dropped.
    fn take_compiled(&mut self, env: *mut u8) {
        loop {
            let Some(w) = self.bg.as_mut() else { return };
            if w.pending == 0 {
                return;
            }
            if !w.alive_here() {
                // Forked: the parent's compile thread is not here; its
                // queued jobs never finish, so queue them again. The old
                // queues are leaked, not dropped: the thread may have held
                // their locks at the fork.
                std::mem::forget(self.bg.take());
                self.reset_queued();
                return;
            }
            let Some(d) = w.try_take() else { return };
            self.queued.remove(&d.tb);
            if d.gen != self.stats.flushes {
                continue;
            }
            if let Some(pr) = self.profile.as_mut() {
                pr.p.compile += d.elapsed;
                pr.p.compile_us
                    .push(d.elapsed.as_micros().min(u32::MAX as u128) as u32);
            }
            // SAFETY: no flush since the job was queued, so its blocks are
            // still allocated.
            if d.members
                .iter()
                .any(|&m| unsafe { (*(m as *const Tb)).is_dead() })
            {
                // SAFETY: as above.
                let head = unsafe { &*(d.tb as *const Tb) };
                // Plan it again when it gets hot again.
                head.compile_at.store(0, Ordering::Relaxed);
                head.tier_up_at.store(self.threshold, Ordering::Relaxed);
                continue;
            }
            let result = match d.code {
                Ok(bytes) => {
                    let Some(jit) = self.jit(env) else { return };
                    jit.place(&bytes).map(|c| (c, bytes.len()))
                }
                Err(e) => Err(crate::backend::jit::JitError::Codegen(e)),
            };
            let flushes = self.stats.flushes;
            let tb = d.tb as *const Tb;
            let members: Vec<*const Tb> = d.members.iter().map(|&m| m as *const Tb).collect();
            let code = self.installed(tb, &members, d.region, result);
            if self.stats.flushes != flushes {
                return;
            }
            if code != 0 {
                // SAFETY: live block (no flush).
                let pc = unsafe { (*tb).pc };
                let idx = (pc >> 2) as usize & (JMP_CACHE_SIZE - 1);
                if self.jmp_cache[idx].tb == d.tb {
                    self.jmp_cache[idx].code = code;
                }
            }
        }
    }

    /// The blocks to compile with `head` as one region: `head` first, then
    /// blocks reachable from it by direct jumps that are translated, alive,
    /// of the same decode flags and hot (run a quarter of the compile
    /// threshold, or compiled, or the backend compiles everything), up to
    /// `MAX_REGION_BLOCKS` blocks and `MAX_REGION_INSNS` guest instructions,
    /// keeping those on a loop back to `head`. Empty when `head` is on no
    /// such loop (it then compiles alone).
    fn region_members(&self, head: &Tb) -> Vec<*const Tb> {
        const MAX_REGION_BLOCKS: usize = 24;
        const MAX_REGION_INSNS: u32 = 400;
        let mut out: Vec<&Tb> = vec![head];
        let mut insns = head.guest_insns;
        let mut i = 0;
        while i < out.len() && out.len() < MAX_REGION_BLOCKS {
            let succ = out[i].targets;
            i += 1;
            for pc in succ.into_iter().flatten() {
                if out.iter().any(|m| m.pc == pc) || out.len() >= MAX_REGION_BLOCKS {
                    continue;
                }
                // System mode: only blocks in the head's virtual page, whose
                // code lies at the same offset in the head's physical page
                // (a mapping holds for a whole page; jumps to other pages
                // go through the jump cache, as chaining does).
                let phys = if self.system {
                    if !same_page(pc, head.pc) || head.phys == u64::MAX {
                        continue;
                    }
                    head.phys.wrapping_add(pc.wrapping_sub(head.pc))
                } else {
                    head.phys
                };
                let Some(tb) = self.cache.get(pc, head.flags, phys) else {
                    continue;
                };
                if self.system && !same_page(tb.pc + tb.guest_size.max(1) as u64 - 1, head.pc) {
                    continue;
                }
                let hot = self.kind == BackendKind::Jit
                    || tb.jit_code() != 0
                    || tb.exec_count.load(Ordering::Relaxed) >= (self.threshold / 4).max(1);
                if tb.is_dead() || !hot || insns + tb.guest_insns > MAX_REGION_INSNS {
                    continue;
                }
                insns += tb.guest_insns;
                out.push(tb);
            }
        }
        // Keep the loops through `head`: the members from which `head` can
        // be reached inside the region. Anything else would only add compile
        // time (and duplicate code other regions compile too).
        let mut reaches = vec![false; out.len()];
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..out.len() {
                if reaches[i] {
                    continue;
                }
                let hit = out[i].targets.into_iter().flatten().any(|pc| {
                    pc == head.pc
                        || out
                            .iter()
                            .position(|m| m.pc == pc)
                            .is_some_and(|j| reaches[j])
                });
                if hit {
                    reaches[i] = true;
                    changed = true;
                }
            }
        }
        if !reaches[0] {
            return Vec::new();
        }
        out.iter()
            .zip(&reaches)
            .filter(|(_, &r)| r)
            .map(|(t, _)| *t as *const Tb)
            .collect()
    }

    /// `auto`: whether an interpreted block is due for compiling. At the
    /// threshold a block that would compile as a region (it is on a hot
    /// loop) is given `region_factor` times the threshold instead; the
    /// decision is kept in `Tb::compile_at`.
    fn is_hot(&self, tb: &Tb) -> bool {
        let n = tb.exec_count.load(Ordering::Relaxed);
        if n < self.threshold {
            return false;
        }
        let at = tb.compile_at.load(Ordering::Relaxed);
        if at != 0 {
            return n >= at;
        }
        let wait = self.region_factor > 1
            && self.regions
            && !self.single_block
            && !self.region_members(tb).is_empty();
        let at = if wait {
            self.threshold.saturating_mul(self.region_factor)
        } else {
            self.threshold
        };
        tb.compile_at.store(at, Ordering::Relaxed);
        // Template code runs on (chained) until then.
        tb.tier_up_at.store(at, Ordering::Relaxed);
        n >= at
    }

    /// One `perf` map line: `START SIZE NAME` in hex, for generated code
    /// (`guest_PC` compiled, `tmpl_PC` template code).
    fn write_perfmap(&mut self, code: usize, len: usize, pc: u64, tier: &str) {
        use std::io::Write;
        if self.perfmap.is_none() {
            let path = format!("/tmp/perf-{}.map", std::process::id());
            self.perfmap = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok();
        }
        if let Some(f) = &mut self.perfmap {
            // One write per line: lines of several engines never interleave.
            let line = format!("{code:x} {len:x} {tier}_{pc:x}\n");
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// `lookup`, for the block reached through `from`'s direct-jump exit
    /// `slot` when there is one: the block that exit led to last time
    /// (`Tb::next`) is taken without a lookup when it still fits (same pc
    /// and flags, not invalidated), and remembered otherwise. Not in system
    /// mode, where the same pc may map to other code after a TLB change.
    fn lookup_from(&mut self, pc: u64, flags: u32, from: Option<(*const Tb, usize)>) -> *const Tb {
        let Some((from, slot)) = from.filter(|_| !self.system) else {
            return self.lookup(pc, flags);
        };
        // SAFETY: `from` ran in the previous iteration and no flush
        // happened since (the caller checked), so it is allocated.
        let from = unsafe { &*from };
        let hint = from.next[slot].load(Ordering::Relaxed) as *const Tb;
        if !hint.is_null() {
            // SAFETY: `next` only holds blocks of this cache, which are
            // freed only by a flush, which frees `from` as well.
            let t = unsafe { &*hint };
            if t.pc == pc && t.flags == flags && !t.is_dead() {
                return hint;
            }
        }
        let tb = self.lookup(pc, flags);
        from.next[slot].store(tb as usize, Ordering::Relaxed);
        tb
    }

    fn lookup(&mut self, pc: u64, flags: u32) -> *const Tb {
        let idx = (pc >> 2) as usize & (JMP_CACHE_SIZE - 1);
        let e = self.jmp_cache[idx];
        if e.tb != 0 && e.pc == pc && e.flags == flags as u64 {
            if e.code == 0 && !self.single_block {
                // Compiled since it was cached: compiled code's indirect
                // jumps find it from now on.
                // SAFETY: jump-cache entries are live blocks.
                self.jmp_cache[idx].code = unsafe { (*(e.tb as *const Tb)).jit_code() };
            }
            return e.tb as *const Tb;
        }
        let phys = if self.system {
            self.code.phys_key(pc)
        } else {
            0
        };
        let tb: *const Tb = match self.cache.get(pc, flags, phys) {
            Some(tb) => tb,
            None => {
                let t0 = self.profile.is_some().then(Instant::now);
                let tb = self.translate(pc, flags);
                let tb: *const Tb = self.cache.insert(tb);
                if let (Some(t0), Some(pr)) = (t0, self.profile.as_mut()) {
                    pr.p.translate += t0.elapsed();
                }
                tb
            }
        };
        if self.system && phys == u64::MAX {
            // A fetch that faults: the block only raises the abort, and the
            // page may be mapped without a TLBI next time (invalid entries
            // are not cached), so no pc shortcut may lead to it.
            return tb;
        }
        // Single-block mode: compiled code must not jump through the cache
        // to the next block.
        let code = if self.single_block {
            0
        } else {
            // SAFETY: just looked up in the live cache.
            unsafe { (*tb).jit_code() }
        };
        if self.jmp_cache[idx].tb == 0 {
            if let Some(used) = &mut self.jmp_used {
                if used.len() < JMP_CACHE_SIZE / 4 {
                    used.push(idx as u32);
                } else {
                    self.jmp_used = None;
                }
            }
        }
        self.jmp_cache[idx] = JmpEntry {
            pc,
            flags: flags as u64,
            code,
            tb: tb as usize,
        };
        let bit = page_bit(pc);
        self.jmp_pages[bit / 64] |= 1 << (bit % 64);
        tb
    }

    /// Runs the guest on `env` until it exits to the caller.
    ///
    /// `env` must point to the frontend's guest state struct (starting with
    /// `CpuCommon`, with `guest_base` set) and stay valid during the call.
    /// (Kept a safe fn so guest loops read naturally; the env pointer is the
    /// one contract the caller must keep.)
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    pub fn run(&mut self, env: *mut u8) -> GuestExit {
        if !self.log.stats {
            return self.run_blocks(env);
        }
        let now = Instant::now();
        let pr = self.profile.get_or_insert_with(|| {
            Box::new(ProfileState {
                p: Default::default(),
                slot: crate::profile::register(),
                left: None,
            })
        });
        if let Some(left) = pr.left {
            pr.p.outside += now - left;
        }
        let r = self.run_blocks(env);
        if let Some(pr) = self.profile.as_mut() {
            pr.p.stats = self.stats.clone();
            if let Ok(mut slot) = pr.slot.lock() {
                *slot = pr.p.clone();
            }
            pr.left = Some(Instant::now());
        }
        r
    }

    fn run_blocks(&mut self, env: *mut u8) -> GuestExit {
        // SAFETY: per the contract of `run`.
        let common = unsafe { &mut *(env as *mut CpuCommon) };
        common.jmp_cache = self.jmp_cache.as_mut_ptr();
        // A pending (tb, slot) to chain to the next block.
        let mut chain_from: Option<(*const Tb, usize)> = None;
        loop {
            if common.exit_request.load(Ordering::Relaxed) != 0 {
                common.exit_request.store(0, Ordering::Relaxed);
                return GuestExit::Interrupted;
            }
            // SAFETY: pc_off is the pc global's offset in the state struct.
            let pc = unsafe { (env.add(self.pc_off) as *const u64).read() };
            let flags = common.cur_flags;
            let flushes = self.stats.flushes;
            if self.template_full {
                self.flush();
            }
            self.take_compiled(env);
            if self.stats.flushes != flushes {
                chain_from = None;
            }
            let mut tb = self.lookup_from(pc, flags, chain_from);
            if self.stats.flushes != flushes {
                chain_from = None;
            }
            // SAFETY: tb points into the live cache (no flush since lookup).
            let mut code = unsafe { (*tb).jit_code() };
            if code == 0 && self.kind != BackendKind::Interp {
                let hot = match self.kind {
                    BackendKind::Jit => true,
                    // SAFETY: as above.
                    _ => self.is_hot(unsafe { &*tb }),
                };
                if hot && self.background && self.kind == BackendKind::Auto {
                    self.queue_compile(tb, env);
                } else if hot {
                    let flushes = self.stats.flushes;
                    let t0 = self.profile.is_some().then(Instant::now);
                    code = self.compile(tb, env);
                    if let (Some(t0), Some(pr)) = (t0, self.profile.as_mut()) {
                        let d = t0.elapsed();
                        pr.p.compile += d;
                        pr.p.compile_us
                            .push(d.as_micros().min(u32::MAX as u128) as u32);
                    }
                    if self.stats.flushes != flushes {
                        // Code memory was full and got flushed: start over.
                        chain_from = None;
                        continue;
                    }
                    if code != 0 && !self.single_block {
                        let idx = (pc >> 2) as usize & (JMP_CACHE_SIZE - 1);
                        if self.jmp_cache[idx].tb == tb as usize {
                            self.jmp_cache[idx].code = code;
                        }
                    }
                }
            }
            if code == 0 && self.template_tier() {
                // SAFETY: tb is live.
                let t = unsafe { &*tb };
                if t.tmpl.load(Ordering::Relaxed) == 0 && t.exec_count.load(Ordering::Relaxed) != 0
                {
                    // Its second run: template code from now on.
                    let t0 = self.profile.is_some().then(Instant::now);
                    self.attach_template(t);
                    if let (Some(t0), Some(pr)) = (t0, self.profile.as_mut()) {
                        pr.p.translate += t0.elapsed();
                    }
                }
            }
            if let Some((from, slot)) = chain_from.take() {
                // SAFETY: `from` was live at the previous iteration and no
                // flush happened since (checked above).
                let from = unsafe { &*from };
                // SAFETY: tb is live (just looked up).
                let to = unsafe { &*tb };
                // System mode: a chain stays valid only while both blocks
                // sit on one virtual page (whose mapping the source block's
                // own lookup checked).
                let linkable = from.flags == flags
                    && !from.is_dead()
                    && (!self.system || same_page(from.pc, to.pc));
                // `to` runs as template code this time.
                let to_template = linkable && code == 0 && self.template_chain;
                if linkable && code != 0 && from.jit_code() != 0 {
                    to.chain_from(from, slot, code);
                    self.stats.chained += 1;
                } else if to_template
                    && from.jit_code() == 0
                    && from.tchain[slot].load(Ordering::Relaxed)
                        != to.tmpl_chained.load(Ordering::Relaxed)
                    && from.tmpl.load(Ordering::Relaxed) != 0
                    && to.tmpl.load(Ordering::Relaxed) != 0
                    && (self.kind != BackendKind::Auto || !self.is_hot(to))
                {
                    // Both run as template code: link them (the target's
                    // chained entry leaves again once it is hot).
                    to.template_chain_from(from, slot);
                    self.stats.chained += 1;
                } else if to_template
                    && self.kind == BackendKind::Auto
                    && from.jit_code() != 0
                    && from.chain[slot].load(Ordering::Relaxed) == 0
                    && to.tmpl_jit_entry.load(Ordering::Relaxed) != 0
                    && !self.is_hot(to)
                {
                    // Compiled code to a block with only template code:
                    // through the template code's entry for compiled code
                    // (repointed at the block's own code once it has some,
                    // see `installed`).
                    to.chain_from(from, slot, to.tmpl_jit_entry.load(Ordering::Relaxed));
                    self.stats.chained += 1;
                }
            }
            if self.log.exec {
                tracing::info!(
                    target: "exec",
                    "Trace: pc={pc:#x} flags={flags:#x} {}",
                    if code != 0 { "jit" } else { "interp" }
                );
            }
            let tmpl = if code == 0 {
                // SAFETY: tb is live.
                unsafe { (*tb).tmpl.load(Ordering::Acquire) }
            } else {
                0
            };
            let r = if self.precise {
                let (f, arg) = if code != 0 {
                    self.stats.jit_entries += 1;
                    let jit = self.jit.as_ref().expect("compiled code without a JIT");
                    (jit.trampoline(), code)
                } else if tmpl != 0 {
                    // Template code counts its own executions.
                    self.stats.interp_execs += 1;
                    (tmpl, 0)
                } else {
                    self.stats.interp_execs += 1;
                    // SAFETY: tb is live.
                    unsafe { (*tb).count_exec() };
                    (
                        interp_entry as *const () as usize,
                        // SAFETY: tb is live.
                        unsafe { (*tb).interp() as *const interp::Code as usize },
                    )
                };
                let buf: *mut crate::guard::GuardBuf = &mut *self.guard;
                common.guard = buf;
                // Only this thread reads the flag (its fault handlers), so
                // program order is enough: no fence instruction (a SeqCst
                // store cost ~4% of boot time here).
                common.in_guard.store(1, Ordering::Relaxed);
                std::sync::atomic::compiler_fence(Ordering::SeqCst);
                let t0 = self.profile.is_some().then(Instant::now);
                // SAFETY: JIT code (through its trampoline) and the
                // interpreter hold no values with destructors (see
                // `guard`); the buffer lives in this engine.
                let r = unsafe { crate::guard::guarded_call(f, env, arg, buf) };
                std::sync::atomic::compiler_fence(Ordering::SeqCst);
                common.in_guard.store(0, Ordering::Relaxed);
                if let (Some(t0), Some(pr)) = (t0, self.profile.as_mut()) {
                    // (Chained code counts where it was entered.)
                    if code != 0 {
                        pr.p.jit += t0.elapsed();
                    } else {
                        pr.p.interp += t0.elapsed();
                    }
                }
                if r == exit::FAULT {
                    let pc = common.insn_pc;
                    // SAFETY: pc_off is the pc global's offset.
                    unsafe { (env.add(self.pc_off) as *mut u64).write(pc) };
                    self.fault = Some(MemFault {
                        addr: common.fault_host_addr.wrapping_sub(common.guest_base),
                        write: common.fault_kind & 1 != 0,
                        signal: (common.fault_kind >> 8) as i32,
                        pc,
                    });
                    return GuestExit::Interrupted;
                }
                if (code != 0 || tmpl != 0) && (r == exit::JUMP0 || r == exit::JUMP1) {
                    tb = common.last_tb as *const Tb;
                }
                r
            } else if code != 0 {
                self.stats.jit_entries += 1;
                let t0 = self.profile.is_some().then(Instant::now);
                // SAFETY: code was compiled by our JIT for this guest.
                let jit = self.jit.as_ref().expect("compiled code without a JIT");
                let r = unsafe { jit.enter(code, env) };
                if let (Some(t0), Some(pr)) = (t0, self.profile.as_mut()) {
                    pr.p.jit += t0.elapsed();
                }
                if r == exit::JUMP0 || r == exit::JUMP1 {
                    tb = common.last_tb as *const Tb;
                }
                r
            } else {
                self.stats.interp_execs += 1;
                let t0 = self.profile.is_some().then(Instant::now);
                let r = if tmpl != 0 {
                    // SAFETY: template code of this live block (it counts
                    // its own executions).
                    let r = unsafe { crate::backend::template::enter(tmpl, env) };
                    if r == exit::JUMP0 || r == exit::JUMP1 {
                        tb = common.last_tb as *const Tb;
                    }
                    r
                } else {
                    // SAFETY: tb is live; env is the guest state it was
                    // built for.
                    unsafe {
                        (*tb).count_exec();
                        interp::exec((*tb).interp(), env)
                    }
                };
                if let (Some(t0), Some(pr)) = (t0, self.profile.as_mut()) {
                    pr.p.interp += t0.elapsed();
                }
                r
            };
            match r & 0xff {
                exit::JUMP0 | exit::JUMP1 | exit::INDIRECT if self.single_block => {
                    return GuestExit::Interrupted;
                }
                exit::JUMP0 | exit::JUMP1 => chain_from = Some((tb, (r & 0xff) as usize)),
                exit::INDIRECT => {}
                exit::REQUEST => {
                    common.exit_request.store(0, Ordering::Relaxed);
                    return GuestExit::Interrupted;
                }
                _ => return GuestExit::Guest((r >> 32) as u32),
            }
        }
    }

    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }
}

/// Offset of the global named `name` (for tests and debugging).
pub fn global_offset(f: &dyn Frontend, name: &str) -> Option<u32> {
    f.globals()
        .iter()
        .find(|g| g.name == name)
        .map(|g| g.offset)
}

/// The bit of `Engine::jmp_pages` for the 4 KiB page holding `pc`.
fn page_bit(pc: u64) -> usize {
    let p = pc >> 12;
    ((p ^ p >> 12) & 4095) as usize
}

/// Whether two guest addresses lie in the same 4 KiB page (the smallest
/// translation granule, so also the same page of any larger one).
fn same_page(a: u64, b: u64) -> bool {
    (a ^ b) >> 12 == 0
}
