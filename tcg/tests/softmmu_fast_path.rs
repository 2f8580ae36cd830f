//! The system-mode memory path's inline TLB hit (JIT code and the
//! interpreter's `load_inline`/`store_inline`) against a plain reference
//! model: random loads and stores of every size, sign and endianness, with
//! and without the alignment requirement, misaligned and across page
//! boundaries, to MMIO, to a page holding translated code, under several
//! MMU indices whose pages alias in the TLB, run cold, warm, and after the
//! mapping changed and the TLB was flushed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tcg::backend::interp;
use tcg::backend::jit::{BlockLinks, Jit};
use tcg::cpu::CpuCommon;
use tcg::ir::{Builder, GlobalDef, IrBlock, MemOp, Terminal, Type};
use tcg::softmmu::{
    Access, BusError, CodePages, GuestFault, PhysBus, SoftMmu, Translation, Walker, PAGE_SIZE,
    TLB_SIZE,
};

#[repr(C)]
struct State {
    common: CpuCommon,
    r: [u64; 2],
    pc: u64,
}

const R: u32 = std::mem::offset_of!(State, r) as u32;
static GLOBALS: [GlobalDef; 3] = [
    GlobalDef {
        name: "acc",
        offset: R,
        ty: Type::I64,
    },
    GlobalDef {
        name: "last",
        offset: R + 8,
        ty: Type::I64,
    },
    GlobalDef {
        name: "pc",
        offset: std::mem::offset_of!(State, pc) as u32,
        ty: Type::I64,
    },
];

/// Virtual pages the guest uses: slot `k` is at `VBASES[k / 8] + (k % 8)`
/// pages. The second base aliases the first in the TLB (same index,
/// different tag); the third is a high (kernel-like) address.
const VBASES: [u64; 3] = [
    0x4000_0000,
    0x4000_0000 + TLB_SIZE as u64 * PAGE_SIZE,
    0xffff_0000_1234_0000,
];
const SLOTS: u64 = 24;
const RAM_PAGES: u64 = 8;
const RAM_BASE: u64 = 0x8000_0000;
const MMIO_BASE: u64 = 0x0900_0000;
/// Pages mapping to MMIO: slot % 8 == 7.
const MMIO_SLOT: u64 = 7;

fn vaddr_of(slot: u64, off: u64) -> u64 {
    VBASES[(slot / 8) as usize] + (slot % 8) * PAGE_SIZE + off
}

/// Physical address of `vaddr` under `mmu_idx` and mapping generation
/// `shift`: RAM pages permuted per index and generation, slot 7 of each
/// base MMIO.
fn translate(vaddr: u64, mmu_idx: u32, shift: u64) -> Option<u64> {
    let off = vaddr & (PAGE_SIZE - 1);
    for (b, base) in VBASES.iter().enumerate() {
        let page = vaddr.wrapping_sub(*base) / PAGE_SIZE;
        if vaddr >= *base && page < 8 {
            if page == MMIO_SLOT {
                return Some(MMIO_BASE + b as u64 * PAGE_SIZE + off);
            }
            let ppn = (page + b as u64 + mmu_idx as u64 * 3 + shift) % RAM_PAGES;
            return Some(RAM_BASE + ppn * PAGE_SIZE + off);
        }
    }
    None
}

struct TestWalker {
    shift: AtomicU64,
}

impl Walker for TestWalker {
    fn translate(
        &self,
        _env: *mut u8,
        vaddr: u64,
        _access: Access,
        mmu_idx: u32,
    ) -> Result<Translation, GuestFault> {
        let paddr =
            translate(vaddr, mmu_idx, self.shift.load(Ordering::SeqCst)).ok_or(GuestFault)?;
        Ok(Translation {
            paddr,
            read: true,
            write: true,
            exec: true,
            page_bits: 12,
        })
    }
    fn alignment_fault(&self, _: *mut u8, vaddr: u64, _: Access, _: u32) {
        panic!("unexpected alignment fault at {vaddr:#x}");
    }
    fn bus_fault(&self, _: *mut u8, vaddr: u64, _: Access, _: u32) {
        panic!("unexpected bus fault at {vaddr:#x}");
    }
    fn current_mmu_idx(&self, _: *mut u8) -> u32 {
        0
    }
}

/// What an MMIO read of `size` bytes at `paddr` returns.
fn mmio_value(paddr: u64, size: u32) -> u64 {
    let v = paddr.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (size as u64) << 59;
    if size == 8 {
        v
    } else {
        v & ((1u64 << (8 * size)) - 1)
    }
}

struct TestBus {
    ram: Box<[u8]>,
    writes: Mutex<Vec<(u64, u32, u64)>>,
}

impl PhysBus for TestBus {
    fn ram_ptr(&self, paddr: u64) -> Option<*mut u8> {
        let o = paddr.checked_sub(RAM_BASE)?;
        (o < RAM_PAGES * PAGE_SIZE).then(|| self.ram.as_ptr().wrapping_add(o as usize) as *mut u8)
    }
    fn read(&self, paddr: u64, size: u32) -> Result<u64, BusError> {
        Ok(mmio_value(paddr, size))
    }
    fn write(&self, paddr: u64, size: u32, value: u64) -> Result<(), BusError> {
        self.writes.lock().unwrap().push((paddr, size, value));
        Ok(())
    }
}

fn initial_ram() -> Vec<u8> {
    (0..RAM_PAGES * PAGE_SIZE)
        .map(|i| (i.wrapping_mul(0x2545_f491) >> 7) as u8)
        .collect()
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Ld32,
    Ld64,
    St32,
    St64,
    Ld2,
    St2,
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: Kind,
    m: MemOp,
    mmu: u32,
    vaddr: u64,
    value: u64,
    value2: u64,
}

/// The slot holding translated code (stores to it must be logged).
const CODE_SLOT: u64 = 2;

fn random_ops(r: &mut Rng, n: usize) -> Vec<Op> {
    (0..n)
        .map(|_| {
            let kind = match r.below(6) {
                0 => Kind::Ld32,
                1 => Kind::Ld64,
                2 => Kind::St32,
                3 => Kind::St64,
                4 => Kind::Ld2,
                _ => Kind::St2,
            };
            let pair = matches!(kind, Kind::Ld2 | Kind::St2);
            let log2 = match kind {
                Kind::Ld32 | Kind::St32 => r.below(3) as u32,
                Kind::Ld64 | Kind::St64 => r.below(4) as u32,
                _ => 3,
            };
            let size = 1u64 << log2;
            let slot = r.below(SLOTS);
            // Page ends (crossing), page starts, and anywhere.
            let off = match r.below(4) {
                0 => PAGE_SIZE - 1 - r.below(if pair { 20 } else { 10 }),
                1 => r.below(16),
                _ => r.below(PAGE_SIZE),
            };
            // The page after an MMIO slot is unmapped: stay inside it.
            let off = if slot % 8 == MMIO_SLOT {
                off.min(PAGE_SIZE - if pair { 16 } else { size })
            } else {
                off
            };
            let vaddr = vaddr_of(slot, off);
            let mut m = MemOp::size_log2(log2).with_big_endian(r.below(2) == 0);
            if log2 < 3 && r.below(2) == 0 && matches!(kind, Kind::Ld32 | Kind::Ld64) {
                m = m.signed();
            }
            if vaddr.is_multiple_of(size) && r.below(2) == 0 {
                m = m.aligned();
            }
            Op {
                kind,
                m,
                mmu: r.below(4) as u32,
                vaddr,
                value: r.next(),
                value2: r.next(),
            }
        })
        .collect()
}

fn block(ops: &[Op]) -> IrBlock {
    let mut b = Builder::new(&GLOBALS, 2);
    let (acc, last) = (b.global(0), b.global(1));
    let k = b.const_i64(0x100_0000_01b3);
    for op in ops {
        let a = b.temp_i64();
        b.movi_i64(a, op.vaddr);
        let fold = |b: &mut Builder, v| {
            b.mul_i64(acc, acc, k);
            b.add_i64(acc, acc, v);
            b.mov_i64(last, v);
        };
        match op.kind {
            Kind::Ld32 => {
                let d = b.temp_i32();
                b.ld_i32(d, a, op.m, op.mmu);
                let d64 = b.temp_i64();
                b.extu_i32_i64(d64, d);
                fold(&mut b, d64);
            }
            Kind::Ld64 => {
                let d = b.temp_i64();
                b.ld_i64(d, a, op.m, op.mmu);
                fold(&mut b, d);
            }
            Kind::Ld2 => {
                let (lo, hi) = (b.temp_i64(), b.temp_i64());
                b.ld2_i64(lo, hi, a, op.m, op.mmu);
                fold(&mut b, lo);
                fold(&mut b, hi);
            }
            Kind::St32 => {
                let v = b.temp_i32();
                b.movi_i32(v, op.value);
                b.st_i32(v, a, op.m, op.mmu);
            }
            Kind::St64 => {
                let v = b.temp_i64();
                b.movi_i64(v, op.value);
                b.st_i64(v, a, op.m, op.mmu);
            }
            Kind::St2 => {
                let (lo, hi) = (b.temp_i64(), b.temp_i64());
                b.movi_i64(lo, op.value);
                b.movi_i64(hi, op.value2);
                b.st2_i64(lo, hi, a, op.m, op.mmu);
            }
        }
    }
    let mut blk = b.finish(
        0x1000,
        0,
        4,
        1,
        Terminal::Exit {
            pc: 0x1004,
            reason: 7,
        },
    );
    blk.softmmu = true;
    blk.inline_tlb = true;
    blk
}

/// The reference: what the ops do to the registers, RAM, the MMIO write
/// log and the set of written code pages.
struct Model {
    acc: u64,
    last: u64,
    ram: Vec<u8>,
    writes: Vec<(u64, u32, u64)>,
    code_written: bool,
}

impl Model {
    fn read(&mut self, vaddr: u64, size: u32, mmu: u32, shift: u64) -> u64 {
        let crosses = (vaddr % PAGE_SIZE) + size as u64 > PAGE_SIZE;
        if crosses {
            return (0..size as u64).fold(0, |v, k| {
                v | self.read(vaddr.wrapping_add(k), 1, mmu, shift) << (8 * k)
            });
        }
        let pa = translate(vaddr, mmu, shift).expect("mapped");
        match pa.checked_sub(RAM_BASE) {
            Some(o) if o < RAM_PAGES * PAGE_SIZE => {
                (0..size as usize).fold(0, |v, k| v | (self.ram[o as usize + k] as u64) << (8 * k))
            }
            _ => mmio_value(pa, size),
        }
    }
    fn write(&mut self, vaddr: u64, size: u32, v: u64, mmu: u32, shift: u64) {
        let crosses = (vaddr % PAGE_SIZE) + size as u64 > PAGE_SIZE;
        if crosses {
            for k in 0..size as u64 {
                self.write(vaddr.wrapping_add(k), 1, v >> (8 * k), mmu, shift);
            }
            return;
        }
        let pa = translate(vaddr, mmu, shift).expect("mapped");
        if pa & !(PAGE_SIZE - 1) == code_paddr(shift) {
            self.code_written = true;
        }
        match pa.checked_sub(RAM_BASE) {
            Some(o) if o < RAM_PAGES * PAGE_SIZE => {
                for k in 0..size as usize {
                    self.ram[o as usize + k] = (v >> (8 * k)) as u8;
                }
            }
            // The bus gets the register's value unmasked (as the softmmu
            // passes it).
            _ => self.writes.push((pa, size, v)),
        }
    }
    fn load(&mut self, vaddr: u64, m: MemOp, mmu: u32, shift: u64) -> u64 {
        let size = m.bytes();
        let mut v = self.read(vaddr, size, mmu, shift);
        if m.is_be() {
            v = v.swap_bytes() >> (64 - 8 * size);
        }
        if size < 8 && m.is_signed() {
            let sh = 64 - 8 * size;
            v = ((v << sh) as i64 >> sh) as u64;
        }
        v
    }
    fn store(&mut self, vaddr: u64, v: u64, m: MemOp, mmu: u32, shift: u64) {
        let size = m.bytes();
        let v = if m.is_be() {
            v.swap_bytes() >> (64 - 8 * size)
        } else {
            v
        };
        self.write(vaddr, size, v, mmu, shift);
    }
    fn fold(&mut self, v: u64) {
        self.acc = self.acc.wrapping_mul(0x100_0000_01b3).wrapping_add(v);
        self.last = v;
    }
    fn run(&mut self, ops: &[Op], shift: u64) {
        for op in ops {
            match op.kind {
                Kind::Ld32 => {
                    let v = self.load(op.vaddr, op.m, op.mmu, shift) as u32 as u64;
                    self.fold(v)
                }
                Kind::Ld64 => {
                    let v = self.load(op.vaddr, op.m, op.mmu, shift);
                    self.fold(v)
                }
                Kind::Ld2 => {
                    let lo = self.load(op.vaddr, op.m, op.mmu, shift);
                    let hi = self.load(op.vaddr.wrapping_add(8), op.m, op.mmu, shift);
                    self.fold(lo);
                    self.fold(hi);
                }
                Kind::St32 => self.store(op.vaddr, op.value as u32 as u64, op.m, op.mmu, shift),
                Kind::St64 => self.store(op.vaddr, op.value, op.m, op.mmu, shift),
                Kind::St2 => {
                    self.store(op.vaddr, op.value, op.m, op.mmu, shift);
                    self.store(op.vaddr.wrapping_add(8), op.value2, op.m, op.mmu, shift);
                }
            }
        }
    }
}

/// The physical page of `CODE_SLOT` under MMU index 0.
fn code_paddr(shift: u64) -> u64 {
    translate(vaddr_of(CODE_SLOT, 0), 0, shift).expect("mapped")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Interp,
    /// Template-tier code (calls `softmmu::load`/`store`).
    Template,
    Jit,
    JitRegion,
    /// JIT code calling `softmmu::load`/`store` for every access.
    JitCall,
}

/// One cpu with its softmmu, bus and code-page set.
struct World {
    state: Box<State>,
    mmu: Box<SoftMmu>,
    bus: Arc<TestBus>,
    walker: Arc<TestWalker>,
    code_pages: Arc<CodePages>,
}

impl World {
    fn new() -> World {
        let bus = Arc::new(TestBus {
            ram: initial_ram().into_boxed_slice(),
            writes: Mutex::new(Vec::new()),
        });
        let walker = Arc::new(TestWalker {
            shift: AtomicU64::new(0),
        });
        let code_pages = Arc::new(CodePages::default());
        let mut mmu = Box::new(SoftMmu::new(
            bus.clone(),
            walker.clone(),
            code_pages.clone(),
        ));
        let mut state = Box::new(State {
            common: CpuCommon::default(),
            r: [0x5eed, 0],
            pc: 0,
        });
        mmu.install(&mut state.common);
        World {
            state,
            mmu,
            bus,
            walker,
            code_pages,
        }
    }

    /// Runs `ir` once; returns the exit code.
    fn run(&mut self, backend: Backend, ir: &IrBlock, jit: &mut Jit) -> u64 {
        self.state.common.exit_request.store(0, Ordering::SeqCst);
        self.mmu.sync_code_pages();
        let env = &mut *self.state as *mut State as *mut u8;
        match backend {
            Backend::Interp => {
                let code = interp::lower(ir).expect("lower");
                // SAFETY: env is the State the block was built for, with
                // its softmmu installed.
                unsafe { interp::exec(&code, env) }
            }
            Backend::Template => {
                let code = interp::lower(ir).expect("lower");
                let mut mem = tcg::backend::codemem::CodeMem::new(1 << 20).expect("code memory");
                let t = tcg::backend::template::emit(&code, &Default::default());
                let at = mem.place(&t.code).expect("fits");
                // SAFETY: as above; `mem` and `code` outlive the call.
                unsafe { tcg::backend::template::enter(at + t.entry, env) }
            }
            Backend::Jit | Backend::JitRegion | Backend::JitCall => {
                let mut ir = ir.clone();
                ir.inline_tlb = backend != Backend::JitCall;
                let slots = [
                    std::sync::atomic::AtomicUsize::new(0),
                    std::sync::atomic::AtomicUsize::new(0),
                ];
                let links = BlockLinks {
                    tb: 0x1234,
                    slots: [
                        &slots[0] as *const _ as usize,
                        &slots[1] as *const _ as usize,
                    ],
                };
                let c = if backend == Backend::JitRegion {
                    jit.compile_region(&[&ir], &links)
                } else {
                    jit.compile(&ir, &links)
                }
                .expect("compile");
                // SAFETY: as above; `c` was just compiled by `jit`.
                unsafe { jit.enter(c, env) }
            }
        }
    }
}

fn check(seed: u64, backend: Backend, jit: &mut Jit) {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let n = 40 + r.below(60) as usize;
    let ops = random_ops(&mut r, n);
    let ir = block(&ops);
    tcg::ir::verify(&ir).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{ir}"));
    let mut w = World::new();
    let mut model = Model {
        acc: 0x5eed,
        last: 0,
        ram: initial_ram(),
        writes: Vec::new(),
        code_written: false,
    };
    let ctx = |phase: &str| format!("seed {seed} {backend:?} {phase}\nops: {ops:#?}");
    // Cold, warm (entries filled by the first run), warm again with a code
    // page registered, then remapped and flushed, then warm.
    for (phase, shift, flush) in [
        ("cold", 0, false),
        ("warm", 0, false),
        ("code page", 0, false),
        ("remapped", 3, true),
        ("remapped warm", 3, false),
    ] {
        if phase == "code page" {
            w.code_pages.add(code_paddr(shift));
        }
        w.walker.shift.store(shift, Ordering::SeqCst);
        if flush {
            w.mmu.flush();
        }
        model.code_written = false;
        let exit = w.run(backend, &ir, jit);
        model.run(&ops, shift);
        assert_eq!(exit, tcg::cpu::exit::guest(7), "{}", ctx(phase));
        assert_eq!(w.state.r, [model.acc, model.last], "{}", ctx(phase));
        assert!(
            w.bus.ram[..] == model.ram[..],
            "RAM differs: {}",
            ctx(phase)
        );
        assert_eq!(
            *w.bus.writes.lock().unwrap(),
            model.writes,
            "MMIO writes: {}",
            ctx(phase)
        );
        let inval = w.mmu.take_invalidations();
        if phase == "code page" {
            let logged = inval.contains(&(code_paddr(shift) / PAGE_SIZE));
            assert_eq!(
                logged,
                model.code_written,
                "code page write logging: {}",
                ctx(phase)
            );
        }
    }
}

#[test]
fn inline_tlb_hits_agree_with_the_reference_on_every_backend() {
    let mut jit = Jit::new(0).expect("jit");
    for seed in 1..150u64 {
        for backend in [
            Backend::Interp,
            Backend::Template,
            Backend::Jit,
            Backend::JitRegion,
            Backend::JitCall,
        ] {
            check(seed, backend, &mut jit);
        }
    }
}

/// A warm TLB serves repeated accesses without the slow path: misses do
/// not grow on the second run (so the inline hit is really taken).
#[test]
fn warm_accesses_do_not_miss() {
    let mut jit = Jit::new(0).expect("jit");
    let ops: Vec<Op> = [
        (Kind::Ld64, MemOp::UQ.aligned(), 0x10),
        (Kind::St64, MemOp::UQ.be(), 0x23),
        (Kind::Ld32, MemOp::SW, 0xffd),
        (Kind::St32, MemOp::UL.aligned(), 0x40),
        (Kind::Ld2, MemOp::UQ, 0x80),
        (Kind::St2, MemOp::UQ.be(), 0x91),
    ]
    .iter()
    .map(|&(kind, m, off)| Op {
        kind,
        m,
        mmu: 1,
        vaddr: vaddr_of(3, off),
        value: 0x0123_4567_89ab_cdef,
        value2: 0xfedc_ba98_7654_3210,
    })
    .collect();
    let ir = block(&ops);
    for backend in [
        Backend::Interp,
        Backend::Template,
        Backend::Jit,
        Backend::JitRegion,
        Backend::JitCall,
    ] {
        let mut w = World::new();
        w.run(backend, &ir, &mut jit);
        let cold = w.mmu.misses;
        assert!(cold > 0, "{backend:?}: the first run fills the TLB");
        w.run(backend, &ir, &mut jit);
        assert_eq!(w.mmu.misses, cold, "{backend:?}: warm accesses missed");
        w.mmu.flush();
        w.run(backend, &ir, &mut jit);
        assert!(
            w.mmu.misses > cold,
            "{backend:?}: flush did not drop entries"
        );
    }
}
