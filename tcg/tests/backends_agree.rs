//! Random IR programs run on the interpreter (unoptimized and optimized),
//! as template-tier code and on the JIT must leave identical guest state and
//! memory. This keeps the backends and the optimizer equivalent.

use tcg::backend::interp;
use tcg::backend::jit::{BlockLinks, Jit};
use tcg::cpu::CpuCommon;
use tcg::helper::{READS_ENV, WRITES_ENV};
use tcg::ir::{Builder, Cond, GlobalDef, IrBlock, MemOp, Temp, Terminal, Type};

#[repr(C)]
struct State {
    common: CpuCommon,
    r: [u64; 8],
    w: [u32; 4],
    pc: u64,
    extra: u64,
}

const ROFF: u32 = std::mem::offset_of!(State, r) as u32;
const WOFF: u32 = std::mem::offset_of!(State, w) as u32;
const PCOFF: u32 = std::mem::offset_of!(State, pc) as u32;

static GLOBALS: [GlobalDef; 13] = [
    GlobalDef {
        name: "r0",
        offset: ROFF,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r1",
        offset: ROFF + 8,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r2",
        offset: ROFF + 16,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r3",
        offset: ROFF + 24,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r4",
        offset: ROFF + 32,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r5",
        offset: ROFF + 40,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r6",
        offset: ROFF + 48,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r7",
        offset: ROFF + 56,
        ty: Type::I64,
    },
    GlobalDef {
        name: "w0",
        offset: WOFF,
        ty: Type::I32,
    },
    GlobalDef {
        name: "w1",
        offset: WOFF + 4,
        ty: Type::I32,
    },
    GlobalDef {
        name: "w2",
        offset: WOFF + 8,
        ty: Type::I32,
    },
    GlobalDef {
        name: "w3",
        offset: WOFF + 12,
        ty: Type::I32,
    },
    GlobalDef {
        name: "pc",
        offset: PCOFF,
        ty: Type::I64,
    },
];

extern "C" fn mix(env: *mut u8, a: u64, b: u64) -> u64 {
    // SAFETY: env is a State in these tests.
    let s = unsafe { &mut *(env as *mut State) };
    s.extra = s.extra.wrapping_mul(31).wrapping_add(a ^ b.rotate_left(7));
    s.r[7] = s.r[7].wrapping_add(1);
    s.extra ^ s.r[0]
}
tcg::helper!(HELPER_MIX, "mix", A2(mix), READS_ENV | WRITES_ENV);

/// Five arguments, each mixed in at its own weight (so swapped argument
/// registers show), and a result wider than 32 bits.
extern "C" fn mix5(env: *mut u8, a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
    // SAFETY: env is a State in these tests.
    let s = unsafe { &mut *(env as *mut State) };
    s.extra = s.extra.rotate_left(3)
        ^ a
        ^ b.wrapping_mul(3)
        ^ c.wrapping_mul(5)
        ^ d.wrapping_mul(7)
        ^ e.wrapping_mul(11);
    s.extra.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}
tcg::helper!(HELPER_MIX5, "mix5", A5(mix5), READS_ENV | WRITES_ENV);

/// No arguments and no result: only its effect on the env shows.
extern "C" fn tick(env: *mut u8) -> u64 {
    // SAFETY: env is a State in these tests.
    let s = unsafe { &mut *(env as *mut State) };
    s.r[5] = s.r[5].wrapping_add(0x1_0000_0001);
    0xdead
}
tcg::helper!(HELPER_TICK, "tick", A0(tick), READS_ENV | WRITES_ENV);

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

const MEM: usize = 4096;

fn interesting(r: &mut Rng) -> u64 {
    match r.below(6) {
        0 => 0,
        1 => u64::MAX,
        2 => 1u64 << 63,
        3 => r.below(70),
        4 => 0x8000_0000,
        _ => r.next(),
    }
}

fn random_block(seed: u64) -> IrBlock {
    let mut r = Rng(seed | 1);
    let mut b = Builder::new(&GLOBALS, 12);
    let t64 = random_ops(&mut b, &mut r, 8);
    let ta = t64[r.below(t64.len() as u64) as usize];
    let tb = t64[r.below(t64.len() as u64) as usize];
    let term = match r.below(3) {
        0 => Terminal::Cond {
            cond: Cond::from_u32(r.below(14) as u32),
            a: ta,
            b: tb,
            taken: 0x1000,
            not_taken: 0x2000,
        },
        1 => Terminal::Exit {
            pc: 0x3000,
            reason: 7,
        },
        _ => Terminal::Jump(0x4000),
    };
    b.finish(0, 0, 4, 1, term)
}

/// Appends random ops (arithmetic, memory, helper calls, branches and
/// bounded loops) that write only the first `writable64` 64-bit globals;
/// returns the 64-bit temps worth using afterwards.
fn random_ops(b: &mut Builder, r: &mut Rng, writable64: u64) -> Vec<Temp> {
    let mut t64: Vec<Temp> = (0..8).map(|i| b.global(i)).collect();
    let mut t32: Vec<Temp> = (8..12).map(|i| b.global(i)).collect();
    let mut pending: Vec<tcg::ir::Label> = vec![];
    // Open loops: (top label, counter temp).
    let mut loops: Vec<(tcg::ir::Label, Temp)> = vec![];
    let n = 20 + r.below(60);
    for i in 0..n {
        // Guest instruction boundaries: exit points after stores, and in
        // precise mode the sync points of instructions that can fault.
        if r.below(3) == 0 {
            b.insn_start(0x100 + 4 * i);
        }
        let pick64 = |r: &mut Rng, v: &Vec<Temp>| v[r.below(v.len() as u64) as usize];
        let a64 = pick64(r, &t64);
        let c64 = pick64(r, &t64);
        let a32 = pick64(r, &t32);
        let c32 = pick64(r, &t32);
        // Destination: a global or a fresh temp.
        let d64 = if r.below(3) == 0 {
            b.temp_i64()
        } else {
            b.global(r.below(writable64) as usize)
        };
        let d32 = if r.below(3) == 0 {
            b.temp_i32()
        } else {
            b.global(8 + r.below(4) as usize)
        };
        match r.below(47) {
            0 => b.add_i64(d64, a64, c64),
            1 => b.sub_i64(d64, a64, c64),
            2 => b.mul_i64(d64, a64, c64),
            3 => b.mulhs_i64(d64, a64, c64),
            4 => b.mulhu_i64(d64, a64, c64),
            5 => b.and_i64(d64, a64, c64),
            6 => b.or_i64(d64, a64, c64),
            7 => b.xor_i64(d64, a64, c64),
            8 => b.andc_i64(d64, a64, c64),
            9 => b.shl_i64(d64, a64, c64),
            10 => b.shr_i64(d64, a64, c64),
            11 => b.sar_i64(d64, a64, c64),
            12 => b.rotr_i64(d64, a64, c64),
            13 => b.divs_i64(d64, a64, c64),
            14 => b.divu_i64(d64, a64, c64),
            15 => b.rems_i64(d64, a64, c64),
            16 => b.remu_i64(d64, a64, c64),
            17 => b.clz_i64(d64, a64),
            18 => b.ctz_i64(d64, a64),
            19 => b.ctpop_i64(d64, a64),
            20 => b.bswap64_i64(d64, a64),
            21 => b.ext32s_i64(d64, a64),
            22 => b.ext16u_i64(d64, a64),
            23 => {
                let pos = r.below(63) as u32;
                let len = 1 + r.below(64 - pos as u64) as u32;
                b.extract_i64(d64, a64, pos, len)
            }
            24 => {
                let pos = r.below(63) as u32;
                let len = 1 + r.below(64 - pos as u64) as u32;
                b.sextract_i64(d64, a64, pos, len)
            }
            25 => {
                let pos = r.below(63) as u32;
                let len = 1 + r.below(64 - pos as u64) as u32;
                b.deposit_i64(d64, a64, c64, pos, len)
            }
            26 => b.setcond_i64(d64, a64, c64, Cond::from_u32(r.below(14) as u32)),
            27 => {
                let v = pick64(r, &t64);
                b.movcond_i64(d64, a64, c64, v, a64, Cond::from_u32(r.below(14) as u32))
            }
            28 => b.movi_i64(d64, interesting(r)),
            29 => b.add_i32(d32, a32, c32),
            30 => b.mul_i32(d32, a32, c32),
            31 => b.shr_i32(d32, a32, c32),
            32 => b.sar_i32(d32, a32, c32),
            33 => b.divs_i32(d32, a32, c32),
            34 => b.rems_i32(d32, a32, c32),
            35 => b.extrl_i64_i32(d32, a64),
            36 => b.exts_i32_i64(d64, a32),
            37 => b.clz_i32(d32, a32),
            38 => b.movi_i32(d32, interesting(r)),
            39 | 40 => {
                // Memory: address masked into the buffer.
                let addr = b.temp_i64();
                let m = b.const_i64((MEM - 8) as u64);
                b.and_i64(addr, a64, m);
                let memop = MemOp::size_log2(r.below(4) as u32).with_big_endian(r.below(2) == 0);
                let memop = if r.below(2) == 0 && memop.log2() < 3 {
                    memop.signed()
                } else {
                    memop
                };
                if r.below(2) == 0 {
                    b.ld_i64(d64, addr, memop, 0);
                } else {
                    b.st_i64(c64, addr, MemOp(memop.0 & !8), 0);
                }
            }
            41 => b.call(&HELPER_MIX, Some(d64), &[a64, c64]),
            46 => {
                // 16-byte pair access, at any alignment.
                let addr = b.temp_i64();
                let m = b.const_i64((MEM / 2 - 1) as u64);
                b.and_i64(addr, a64, m);
                let memop = MemOp::UQ.with_big_endian(r.below(2) == 0);
                if r.below(2) == 0 {
                    let d2 = b.temp_i64();
                    b.ld2_i64(d64, d2, addr, memop, 0);
                    b.xor_i64(d64, d64, d2);
                } else {
                    b.st2_i64(c64, a64, addr, memop, 0);
                }
            }
            43 if loops.len() < 2 => {
                // Open a bounded loop; forward labels must not jump into it.
                for l in pending.drain(..) {
                    b.set_label(l);
                }
                let ctr = b.temp_i64();
                b.movi_i64(ctr, 1 + r.below(3));
                let top = b.new_label();
                b.set_label(top);
                loops.push((top, ctr));
            }
            44 => {
                if let Some((top, ctr)) = loops.pop() {
                    for l in pending.drain(..) {
                        b.set_label(l);
                    }
                    let one = b.const_i64(1);
                    b.sub_i64(ctr, ctr, one);
                    let zero = b.const_i64(0);
                    b.brcond_i64(ctr, zero, Cond::Ne, top);
                }
            }
            42 => {
                let l = b.new_label();
                b.brcond_i64(a64, c64, Cond::from_u32(r.below(14) as u32), l);
                pending.push(l);
            }
            _ => {
                if let Some(l) = pending.pop() {
                    b.set_label(l);
                }
            }
        }
        if !b.ty(d64).eq(&Type::I64) {
            unreachable!();
        }
        if r.below(4) == 0 {
            t64.push(d64);
        }
        if r.below(4) == 0 {
            t32.push(d32);
        }
    }
    for l in pending.drain(..) {
        b.set_label(l);
    }
    while let Some((top, ctr)) = loops.pop() {
        let one = b.const_i64(1);
        b.sub_i64(ctr, ctr, one);
        let zero = b.const_i64(0);
        b.brcond_i64(ctr, zero, Cond::Ne, top);
    }
    t64
}

fn fresh_state(seed: u64, mem: &mut [u8]) -> Box<State> {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut s = Box::new(State {
        common: CpuCommon::default(),
        r: [0; 8],
        w: [0; 4],
        pc: 0,
        extra: 5,
    });
    for x in s.r.iter_mut() {
        *x = interesting(&mut r);
    }
    for x in s.w.iter_mut() {
        *x = interesting(&mut r) as u32;
    }
    for (i, m) in mem.iter_mut().enumerate() {
        *m = (i as u64).wrapping_mul(seed | 3) as u8;
    }
    s.common.guest_base = mem.as_mut_ptr() as u64;
    s
}

fn snapshot(s: &State, mem: &[u8]) -> (Vec<u64>, Vec<u32>, u64, u64, Vec<u8>) {
    (s.r.to_vec(), s.w.to_vec(), s.pc, s.extra, mem.to_vec())
}

#[test]
fn interpreter_optimizer_and_jit_agree_on_random_blocks() {
    let mut mem_a = vec![0u8; MEM];
    let mut mem_b = vec![0u8; MEM];
    let mut mem_c = vec![0u8; MEM];
    let mut mem_d = vec![0u8; MEM];
    let mut template_mem = tcg::backend::codemem::CodeMem::new(64 << 20).expect("code memory");
    let mut native_blocks = 0;
    for seed in 1..400u64 {
        let ir = random_block(seed);
        tcg::ir::verify(&ir).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{ir}"));
        let mut opt = ir.clone();
        tcg::opt::optimize(&mut opt);
        tcg::ir::verify(&opt).unwrap_or_else(|e| panic!("seed {seed} after opt: {e}\n{opt}"));

        let mut sa = fresh_state(seed, &mut mem_a);
        let code = interp::lower(&ir).expect("lower");
        let ra = unsafe { interp::exec(&code, &mut *sa as *mut State as *mut u8) };

        let mut sb = fresh_state(seed, &mut mem_b);
        let code = interp::lower(&opt).expect("lower");
        let rb = unsafe { interp::exec(&code, &mut *sb as *mut State as *mut u8) };

        // The same lowered block as template-tier code.
        let mut sd = fresh_state(seed, &mut mem_d);
        let t = tcg::backend::template::emit(&code, &Default::default());
        let at = template_mem.place(&t.code).expect("template arena full");
        native_blocks += 1;
        let rd = unsafe {
            tcg::backend::template::enter(at + t.entry, &mut *sd as *mut State as *mut u8)
        };

        let mut sc = fresh_state(seed, &mut mem_c);
        let mut jit = Jit::new(sc.common.guest_base).expect("jit");
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
        let c = jit
            .compile(&opt, &links)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{opt}"));
        let rc = unsafe { jit.enter(c, &mut *sc as *mut State as *mut u8) };

        let a = snapshot(&sa, &mem_a);
        assert_eq!(ra, rb, "seed {seed}: exit differs (optimizer)\n{ir}\n{opt}");
        assert_eq!(
            a,
            snapshot(&sb, &mem_b),
            "seed {seed}: state differs (optimizer)\n{ir}\n{opt}"
        );
        assert_eq!(ra, rd, "seed {seed}: exit differs (template)\n{opt}");
        assert_eq!(
            a,
            snapshot(&sd, &mem_d),
            "seed {seed}: state differs (template)\n{opt}"
        );
        assert_eq!(ra, rc, "seed {seed}: exit differs (jit)\n{opt}");
        assert_eq!(
            a,
            snapshot(&sc, &mem_c),
            "seed {seed}: state differs (jit)\n{opt}"
        );
    }
    assert!(native_blocks > 300, "only {native_blocks} template blocks");
}

/// Where region programs leave to: not a member.
const OUTSIDE: u64 = 0x9000;

/// Member `i` of a random region program of `n` blocks at pcs `0x1000 *
/// (i + 1)`: random ops that leave r6 alone, then r6 (fuel) -= 1 and a
/// terminal. Backward edges only come from `fuel > 0` checks, so every run
/// ends; forward edges take any shape (conditional on random values,
/// direct jumps, guest exits, jumps out of the region).
fn random_member(seed: u64, i: u64, n: u64) -> IrBlock {
    let mut r = Rng((seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ (i + 1)) | 1);
    let mut b = Builder::new(&GLOBALS, 12);
    let t64 = random_ops(&mut b, &mut r, 6);
    let fuel = b.global(6);
    let one = b.const_i64(1);
    b.sub_i64(fuel, fuel, one);
    let pc_of = |k: u64| 0x1000 * (k + 1);
    let forward = |r: &mut Rng| {
        if i + 1 < n && r.below(5) != 0 {
            pc_of(i + 1 + r.below(n - i - 1))
        } else {
            OUTSIDE
        }
    };
    let term = match r.below(6) {
        0..=2 => {
            let zero = b.const_i64(0);
            Terminal::Cond {
                cond: Cond::Gt,
                a: fuel,
                b: zero,
                taken: pc_of(r.below(n)),
                not_taken: forward(&mut r),
            }
        }
        3 => {
            let ta = t64[r.below(t64.len() as u64) as usize];
            let tb = t64[r.below(t64.len() as u64) as usize];
            Terminal::Cond {
                cond: Cond::from_u32(r.below(14) as u32),
                a: ta,
                b: tb,
                taken: forward(&mut r),
                not_taken: forward(&mut r),
            }
        }
        4 => Terminal::Exit {
            pc: pc_of(i) + 4,
            reason: 9,
        },
        _ => Terminal::Jump(forward(&mut r)),
    };
    let mut blk = b.finish(pc_of(i), 0, 4, 1, term);
    // The generator may read a local before writing it, which real
    // frontends never do (a local's value would be whatever the previous
    // block or loop iteration left); give every local a value first.
    let inits: Vec<tcg::ir::Insn> = (blk.n_globals as usize..blk.temps.len())
        .map(|t| {
            let mut args = [0u32; tcg::ir::MAX_ARGS];
            args[0] = t as u32;
            tcg::ir::Insn {
                opc: match blk.temps[t].ty {
                    Type::I32 => tcg::ir::Opcode::MoviI32,
                    _ => tcg::ir::Opcode::MoviI64,
                },
                nargs: 0,
                args,
                imm: 0,
            }
        })
        .collect();
    blk.insns.splice(0..0, inits);
    blk
}

/// Runs a region program block by block on the interpreter, as the cpu
/// loop would, until it leaves the members; returns the last exit code.
fn interpret_region(members: &[IrBlock], env: *mut u8) -> u64 {
    let codes: Vec<interp::Code> = members
        .iter()
        .map(|m| interp::lower(m).expect("lower"))
        .collect();
    let mut at = 0usize;
    loop {
        // SAFETY: env is the State the blocks were built for.
        let r = unsafe { interp::exec(&codes[at], env) };
        let next = match (&members[at].terminal, r) {
            (Terminal::Jump(pc), tcg::cpu::exit::JUMP0) => *pc,
            (Terminal::Cond { taken, .. }, tcg::cpu::exit::JUMP0) => *taken,
            (Terminal::Cond { not_taken, .. }, tcg::cpu::exit::JUMP1) => *not_taken,
            _ => return r,
        };
        match members.iter().position(|m| m.pc == next) {
            Some(i) => at = i,
            None => return tcg::cpu::exit::INDIRECT,
        }
    }
}

/// A region (several blocks compiled as one function, with loops kept
/// inside it) must behave exactly like the interpreter running the same
/// blocks one at a time: same guest state, memory, final pc and exit.
#[test]
fn region_compiled_loops_agree_with_the_interpreter() {
    let mut mem_a = vec![0u8; MEM];
    let mut mem_b = vec![0u8; MEM];
    let mut jmp_cache = vec![tcg::cpu::JmpEntry::default(); tcg::cpu::JMP_CACHE_SIZE];
    let mut jit = None;
    let mut regions_with_loops = 0;
    for seed in 1..250u64 {
        let n = 1 + seed % 5;
        let mut members: Vec<IrBlock> = (0..n).map(|i| random_member(seed, i, n)).collect();
        for m in members.iter_mut() {
            // Precise mode (system mode's): sync points inside the loops
            // decide which globals the region's members start dirty with.
            m.precise = seed % 3 == 0;
            tcg::opt::optimize(m);
            tcg::ir::verify(m).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{m}"));
        }
        if members.iter().any(|m| match m.terminal {
            Terminal::Cond { taken, .. } => taken <= m.pc,
            _ => false,
        }) {
            regions_with_loops += 1;
        }
        let fuel = 1 + seed % 40;

        let mut sa = fresh_state(seed, &mut mem_a);
        sa.r[6] = fuel;
        let ra = interpret_region(&members, &mut *sa as *mut State as *mut u8);

        let mut sb = fresh_state(seed, &mut mem_b);
        sb.r[6] = fuel;
        sb.common.jmp_cache = jmp_cache.as_mut_ptr();
        let jit = jit.get_or_insert_with(|| Jit::new(sb.common.guest_base).expect("jit"));
        if jit.code_bytes() > 256 << 20 {
            jit.reset();
        }
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
        let refs: Vec<&IrBlock> = members.iter().collect();
        let c = jit
            .compile_region(&refs, &links)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // (One Jit for all seeds: it bakes in the guest base, and mem_b's
        // buffer never moves.)
        let rb = unsafe { jit.enter(c, &mut *sb as *mut State as *mut u8) };
        let dump = || {
            members
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        };
        // Leaving through a chain slot (entry block) or the jump cache both
        // mean "continue at pc" to the cpu loop.
        let norm = |r: u64| match r {
            tcg::cpu::exit::JUMP0 | tcg::cpu::exit::JUMP1 | tcg::cpu::exit::INDIRECT => {
                tcg::cpu::exit::INDIRECT
            }
            r => r,
        };
        assert_eq!(norm(ra), norm(rb), "seed {seed}: exit differs\n{}", dump());
        assert_eq!(
            snapshot(&sa, &mem_a),
            snapshot(&sb, &mem_b),
            "seed {seed}: state differs\n{}",
            dump()
        );
    }
    assert!(
        regions_with_loops > 100,
        "only {regions_with_loops} looping regions"
    );
}

/// A block of random ops drawn from every opcode of the IR (each with
/// random operands, memory ops with every size, sign and byte order),
/// with an instruction start after each op so exit requests are checked.
fn every_op_block(seed: u64) -> IrBlock {
    let mut r = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
    let mut b = Builder::new(&GLOBALS, 12);
    let extra = std::mem::offset_of!(State, extra) as u32;
    let mut pending: Vec<tcg::ir::Label> = vec![];
    let n = 10 + r.below(30);
    b.insn_start(0);
    for i in 0..n {
        let g64 = |r: &mut Rng| b_global(r, 0, 8);
        let g32 = |r: &mut Rng| b_global(r, 8, 4);
        let (d, a, c, v) = (g64(&mut r), g64(&mut r), g64(&mut r), g64(&mut r));
        let (d32, a32, c32, v32) = (g32(&mut r), g32(&mut r), g32(&mut r), g32(&mut r));
        let [d, a, c, v] = [d, a, c, v].map(|i| b.global(i));
        let [d32, a32, c32, v32] = [d32, a32, c32, v32].map(|i| b.global(i));
        let cond = Cond::from_u32(r.below(14) as u32);
        let pos = r.below(64) as u32;
        let len = 1 + r.below(64 - pos as u64) as u32;
        let pos32 = r.below(32) as u32;
        let len32 = 1 + r.below(32 - pos32 as u64) as u32;
        let memop = MemOp::size_log2(r.below(4) as u32).with_big_endian(r.below(2) == 0);
        let memop = if r.below(2) == 0 && memop.log2() < 3 {
            memop.signed()
        } else {
            memop
        };
        let addr = |b: &mut Builder, x| {
            let t = b.temp_i64();
            let m = b.const_i64((MEM - 16) as u64);
            b.and_i64(t, x, m);
            t
        };
        match r.below(102) {
            0 => b.mov_i32(d32, a32),
            1 => b.mov_i64(d, a),
            2 => b.movi_i32(d32, interesting(&mut r)),
            3 => b.movi_i64(d, interesting(&mut r)),
            4 => b.add_i32(d32, a32, c32),
            5 => b.sub_i32(d32, a32, c32),
            6 => b.mul_i32(d32, a32, c32),
            7 => b.and_i32(d32, a32, c32),
            8 => b.or_i32(d32, a32, c32),
            9 => b.xor_i32(d32, a32, c32),
            10 => b.andc_i32(d32, a32, c32),
            11 => b.orc_i32(d32, a32, c32),
            12 => b.eqv_i32(d32, a32, c32),
            13 => b.shl_i32(d32, a32, c32),
            14 => b.shr_i32(d32, a32, c32),
            15 => b.sar_i32(d32, a32, c32),
            16 => b.rotl_i32(d32, a32, c32),
            17 => b.rotr_i32(d32, a32, c32),
            18 => b.divs_i32(d32, a32, c32),
            19 => b.divu_i32(d32, a32, c32),
            20 => b.rems_i32(d32, a32, c32),
            21 => b.remu_i32(d32, a32, c32),
            22 => b.neg_i32(d32, a32),
            23 => b.not_i32(d32, a32),
            24 => b.clz_i32(d32, a32),
            25 => b.ctz_i32(d32, a32),
            26 => b.ctpop_i32(d32, a32),
            27 => b.bswap16_i32(d32, a32),
            28 => b.bswap32_i32(d32, a32),
            29 => b.ext8s_i32(d32, a32),
            30 => b.ext8u_i32(d32, a32),
            31 => b.ext16s_i32(d32, a32),
            32 => b.ext16u_i32(d32, a32),
            33 => b.extract_i32(d32, a32, pos32, len32),
            34 => b.sextract_i32(d32, a32, pos32, len32),
            35 => b.deposit_i32(d32, a32, c32, pos32, len32),
            36 => b.setcond_i32(d32, a32, c32, cond),
            37 => b.movcond_i32(d32, a32, c32, v32, a32, cond),
            38 => b.add_i64(d, a, c),
            39 => b.sub_i64(d, a, c),
            40 => b.mul_i64(d, a, c),
            41 => b.mulhs_i64(d, a, c),
            42 => b.mulhu_i64(d, a, c),
            43 => b.and_i64(d, a, c),
            44 => b.or_i64(d, a, c),
            45 => b.xor_i64(d, a, c),
            46 => b.andc_i64(d, a, c),
            47 => b.orc_i64(d, a, c),
            48 => b.eqv_i64(d, a, c),
            49 => b.shl_i64(d, a, c),
            50 => b.shr_i64(d, a, c),
            51 => b.sar_i64(d, a, c),
            52 => b.rotl_i64(d, a, c),
            53 => b.rotr_i64(d, a, c),
            54 => b.divs_i64(d, a, c),
            55 => b.divu_i64(d, a, c),
            56 => b.rems_i64(d, a, c),
            57 => b.remu_i64(d, a, c),
            58 => b.neg_i64(d, a),
            59 => b.not_i64(d, a),
            60 => b.clz_i64(d, a),
            61 => b.ctz_i64(d, a),
            62 => b.ctpop_i64(d, a),
            63 => b.bswap16_i64(d, a),
            64 => b.bswap32_i64(d, a),
            65 => b.bswap64_i64(d, a),
            66 => b.ext8s_i64(d, a),
            67 => b.ext8u_i64(d, a),
            68 => b.ext16s_i64(d, a),
            69 => b.ext16u_i64(d, a),
            70 => b.ext32s_i64(d, a),
            71 => b.ext32u_i64(d, a),
            72 => b.extract_i64(d, a, pos, len),
            73 => b.sextract_i64(d, a, pos, len),
            74 => b.deposit_i64(d, a, c, pos, len),
            75 => b.setcond_i64(d, a, c, cond),
            76 => b.movcond_i64(d, a, c, v, a, cond),
            77 => b.extrl_i64_i32(d32, a),
            78 => b.extrh_i64_i32(d32, a),
            79 => b.extu_i32_i64(d, a32),
            80 => b.exts_i32_i64(d, a32),
            81 => b.fadd_f64(d, a, c),
            82 => b.fsub_f64(d, a, c),
            83 => b.fmul_f64(d, a, c),
            84 => b.fdiv_f64(d, a, c),
            85 => b.fadd_f32(d, a, c),
            86 => b.fsub_f32(d, a, c),
            87 => b.fmul_f32(d, a, c),
            88 => b.fdiv_f32(d, a, c),
            89 => {
                let t = addr(&mut b, a);
                b.ld_i32(d32, t, memop, 0);
            }
            90 => {
                let t = addr(&mut b, a);
                b.ld_i64(d, t, memop, 0);
            }
            91 => {
                let t = addr(&mut b, a);
                b.st_i32(c32, t, MemOp(memop.0 & !8), 0);
            }
            92 => {
                let t = addr(&mut b, a);
                b.st_i64(c, t, MemOp(memop.0 & !8), 0);
            }
            93 => b.ld_env_i32(d32, [PCOFF, extra][r.below(2) as usize], memop),
            94 => b.ld_env_i64(d, extra, memop),
            95 => b.st_env_i32(
                c32,
                [PCOFF, extra][r.below(2) as usize],
                MemOp(memop.0 & !8),
            ),
            96 => b.st_env_i64(c, extra, MemOp(memop.0 & !8)),
            97 => {
                let l = b.new_label();
                if r.below(2) == 0 {
                    b.brcond_i32(a32, c32, cond, l);
                } else {
                    b.brcond_i64(a, c, cond, l);
                }
                pending.push(l);
            }
            98 => {
                if let Some(l) = pending.pop() {
                    b.set_label(l);
                }
            }
            100 | 101 => {
                // 16-byte pair access: 16-byte aligned (one host access)
                // half the time, else at any alignment.
                let t = addr(&mut b, a);
                if r.below(2) == 0 {
                    let m = b.const_i64(!15);
                    b.and_i64(t, t, m);
                }
                let memop = MemOp::UQ.with_big_endian(r.below(4) == 0);
                if r.below(2) == 0 {
                    b.ld2_i64(d, v, t, memop, 0);
                } else {
                    b.st2_i64(c, v, t, memop, 0);
                }
            }
            99 => match r.below(3) {
                0 => b.call(&HELPER_MIX5, Some(d), &[a, c, v, d, a]),
                1 => b.call(&HELPER_MIX5, Some(d32), &[v, a, c, a, d]),
                _ => b.call(&HELPER_TICK, None, &[]),
            },
            _ => {
                if r.below(8) == 0 {
                    b.exit(3);
                }
            }
        }
        b.insn_start(4 * (i + 1));
    }
    for l in pending.drain(..) {
        b.set_label(l);
    }
    let term = match r.below(3) {
        0 => Terminal::Cond {
            cond: Cond::from_u32(r.below(14) as u32),
            a: b.global(r.below(8) as usize),
            b: b.global(r.below(8) as usize),
            taken: 0x1000,
            not_taken: 0x2000,
        },
        1 => Terminal::Indirect(b.global(r.below(8) as usize)),
        _ => Terminal::Jump(0x4000),
    };
    b.finish(0, 0, 4 * (n as u32 + 1), n as u32 + 1, term)
}

fn b_global(r: &mut Rng, first: usize, n: u64) -> usize {
    first + r.below(n) as usize
}

/// Every opcode, on interesting values, leaves the same state, memory and
/// exit as template-tier code as in the interpreter, including the exit
/// at an instruction start after a store when an exit is requested, and
/// in precise mode (every instruction's pc recorded).
#[test]
fn template_tier_agrees_with_the_interpreter_on_every_opcode() {
    let mut mem_a = vec![0u8; MEM];
    let mut mem_b = vec![0u8; MEM];
    let mut arena = tcg::backend::codemem::CodeMem::new(256 << 20).expect("code memory");
    let mut requests = 0;
    // Empty: indirect jumps probe it and miss.
    let mut jmp_cache = vec![tcg::cpu::JmpEntry::default(); tcg::cpu::JMP_CACHE_SIZE];
    for seed in 1..3000u64 {
        let mut ir = every_op_block(seed);
        ir.precise = seed % 5 == 0;
        tcg::ir::verify(&ir).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{ir}"));
        let request = seed % 7 == 0;
        let mut sa = fresh_state(seed, &mut mem_a);
        let mut sb = fresh_state(seed, &mut mem_b);
        for s in [&mut sa, &mut sb] {
            s.common
                .exit_request
                .store(request as u32, std::sync::atomic::Ordering::Relaxed);
            s.common.jmp_cache = jmp_cache.as_mut_ptr();
        }
        let mut code = interp::lower(&ir).expect("lower");
        let ra = unsafe { interp::exec(&code, &mut *sa as *mut State as *mut u8) };
        // Counted, with chain slots that are not linked: the block leaves
        // to the cpu loop as the interpreter does.
        let count = std::sync::atomic::AtomicU32::new(0);
        let tier_up_at = std::sync::atomic::AtomicU32::new(1000);
        let slots = [
            std::sync::atomic::AtomicUsize::new(0),
            std::sync::atomic::AtomicUsize::new(0),
        ];
        let link = tcg::backend::template::Link {
            pc: 0,
            tb: 0x1234,
            count: &count as *const _ as usize,
            tier_up_at: &tier_up_at as *const _ as usize,
            slots: [
                &slots[0] as *const _ as usize,
                &slots[1] as *const _ as usize,
            ],
            jit: 0,
            trampoline: 0,
        };
        let t = tcg::backend::template::emit(&code, &link);
        let at = arena.place(&t.code).expect("arena full");
        if seed % 2 == 0 {
            // As the engine does: keep only the ops the code hands to the
            // interpreter, and repoint the code at their new places.
            code.keep_only(t.op_refs.iter().map(|&(_, i)| i));
            assert!(!code.interpretable());
            for (&(off, _), op) in t.op_refs.iter().zip(code.op_addrs()) {
                // SAFETY: the immediate emitted for that op, in code placed
                // above and not running.
                unsafe { ((at + off) as *mut u64).write_unaligned(op as u64) };
            }
        }
        let rb = unsafe {
            tcg::backend::template::enter(at + t.entry, &mut *sb as *mut State as *mut u8)
        };
        assert_eq!(
            count.load(std::sync::atomic::Ordering::Relaxed),
            1,
            "seed {seed}: count"
        );
        if rb == tcg::cpu::exit::JUMP0 || rb == tcg::cpu::exit::JUMP1 {
            assert_eq!(sb.common.last_tb, 0x1234, "seed {seed}: last_tb");
            sb.common.last_tb = sa.common.last_tb;
        }
        if ra == tcg::cpu::exit::REQUEST {
            requests += 1;
        }
        assert_eq!(ra, rb, "seed {seed}: exit differs\n{ir}");
        assert_eq!(
            snapshot(&sa, &mem_a),
            snapshot(&sb, &mem_b),
            "seed {seed}: state differs\n{ir}"
        );
        assert_eq!(
            sa.common.insn_pc, sb.common.insn_pc,
            "seed {seed}: insn_pc\n{ir}"
        );
    }
    assert!(requests > 50, "only {requests} exit requests seen");
}

/// A lowered one-instruction block at `pc`: r0 += 1, then `term`.
/// A template `Link` for a lone test block: its counter, mark and (both)
/// chain slots at these cells, `jit` and `trampoline` as given.
fn test_link(
    pc: u64,
    count: &std::sync::atomic::AtomicU32,
    up: &std::sync::atomic::AtomicU32,
    slot: &std::sync::atomic::AtomicUsize,
    jit: usize,
    trampoline: usize,
) -> tcg::backend::template::Link {
    tcg::backend::template::Link {
        pc,
        tb: 0x1234,
        count: count as *const _ as usize,
        tier_up_at: up as *const _ as usize,
        slots: [slot as *const _ as usize, slot as *const _ as usize],
        jit,
        trampoline,
    }
}

fn add_one_block(pc: u64, term: Terminal) -> interp::Code {
    let mut b = Builder::new(&GLOBALS, 12);
    b.insn_start(pc);
    let r0 = b.global(0);
    b.addi_i64(r0, r0, 1);
    let mut ir = b.finish(pc, 0, 4, 1, term);
    tcg::opt::optimize(&mut ir);
    interp::lower(&ir).expect("lower")
}

/// What the fake trampoline of `chained_entry_of_a_compiled_block_enters_its_code`
/// was called with.
static TRAMPOLINE_ARGS: std::sync::Mutex<Option<(usize, usize)>> = std::sync::Mutex::new(None);

extern "sysv64" fn fake_trampoline(env: *mut u8, code: usize) -> u64 {
    *TRAMPOLINE_ARGS.lock().unwrap() = Some((env as usize, code));
    0x77
}

/// Template code chained to a block that has compiled code by now (its
/// count at `tier_up_at`) tail-calls the JIT's trampoline with that code
/// and the env, and its result is what the template code returns; while
/// the block has no compiled code (or there is no trampoline yet), it
/// returns to the cpu loop at the block's pc.
#[test]
fn chained_entry_of_a_compiled_block_enters_its_code() {
    let mut mem = vec![0u8; MEM];
    let mut arena = tcg::backend::codemem::CodeMem::new(1 << 20).expect("code memory");
    // (B's count and mark side by side, as in `Tb`, half the time: the
    // emitter then addresses both through one pointer.)
    for (compiled, tramp, pair) in [
        (true, true, false),
        (false, true, false),
        (true, false, false),
        (true, true, true),
        (false, true, true),
    ] {
        let (a, b) = (
            add_one_block(0x1000, Terminal::Jump(0x2000)),
            add_one_block(0x2000, Terminal::Jump(0x3000)),
        );
        let zero = || std::sync::atomic::AtomicU32::new(0);
        let (count_a, up_a) = (zero(), zero());
        let b_pair = [zero(), zero()];
        let b_apart = (zero(), zero());
        let (count_b, up_b) = if pair {
            (&b_pair[0], &b_pair[1])
        } else {
            (&b_apart.0, &b_apart.1)
        };
        up_a.store(1000, std::sync::atomic::Ordering::Relaxed);
        let slot_a = std::sync::atomic::AtomicUsize::new(0);
        let none = std::sync::atomic::AtomicUsize::new(0);
        let jit_b = std::sync::atomic::AtomicUsize::new(if compiled { 0xc0de } else { 0 });
        let cell = std::sync::atomic::AtomicUsize::new(if tramp {
            fake_trampoline as *const () as usize
        } else {
            0
        });
        let cell_at = &cell as *const _ as usize;
        let jit_at = |j: &std::sync::atomic::AtomicUsize| j as *const _ as usize;
        let lb = test_link(0x2000, count_b, up_b, &none, jit_at(&jit_b), cell_at);
        let eb = tcg::backend::template::emit(&b, &lb);
        let at_b = arena.place(&eb.code).expect("arena");
        let la = test_link(0x1000, &count_a, &up_a, &slot_a, jit_at(&none), cell_at);
        let ea = tcg::backend::template::emit(&a, &la);
        let at_a = arena.place(&ea.code).expect("arena");
        // A's jump is chained to B's chained entry.
        slot_a.store(
            at_b + eb.chained_entry,
            std::sync::atomic::Ordering::Relaxed,
        );
        *TRAMPOLINE_ARGS.lock().unwrap() = None;
        let mut s = fresh_state(1, &mut mem);
        let r0 = s.r[0];
        let env = &mut *s as *mut State as *mut u8;
        // SAFETY: code emitted above for this guest state.
        let r = unsafe { tcg::backend::template::enter(at_a + ea.entry, env) };
        let what = format!("compiled {compiled}, trampoline {tramp}, side by side {pair}");
        // A ran; B's chained entry found B hot and did not run B.
        assert_eq!(s.r[0], r0.wrapping_add(1), "{what}");
        assert_eq!(
            count_b.load(std::sync::atomic::Ordering::Relaxed),
            0,
            "{what}"
        );
        if compiled && tramp {
            assert_eq!(r, 0x77, "{what}");
            assert_eq!(
                *TRAMPOLINE_ARGS.lock().unwrap(),
                Some((env as usize, 0xc0de)),
                "{what}"
            );
        } else {
            assert_eq!(r, tcg::cpu::exit::INDIRECT, "{what}");
            assert_eq!(s.pc, 0x2000, "{what}");
            assert_eq!(*TRAMPOLINE_ARGS.lock().unwrap(), None, "{what}");
        }
    }
}

/// A chained entry whose block is not hot counts the run and runs the
/// block, with the count and its mark apart or side by side (as in `Tb`).
#[test]
fn chained_entry_counts_and_runs_a_block_below_its_mark() {
    let mut mem = vec![0u8; MEM];
    let mut arena = tcg::backend::codemem::CodeMem::new(1 << 20).expect("code memory");
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
    for pair in [false, true] {
        let (a, b) = (
            add_one_block(0x1000, Terminal::Jump(0x2000)),
            add_one_block(0x2000, Terminal::Jump(0x3000)),
        );
        let counts = [AtomicU32::new(0), AtomicU32::new(1000)];
        let apart = (AtomicU32::new(0), AtomicU32::new(1000));
        let (count_b, up_b) = if pair {
            (&counts[0], &counts[1])
        } else {
            (&apart.0, &apart.1)
        };
        let (count_a, up_a) = (AtomicU32::new(0), AtomicU32::new(1000));
        let (slot_a, none) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let eb = tcg::backend::template::emit(&b, &test_link(0x2000, count_b, up_b, &none, 0, 0));
        let at_b = arena.place(&eb.code).expect("arena");
        let ea =
            tcg::backend::template::emit(&a, &test_link(0x1000, &count_a, &up_a, &slot_a, 0, 0));
        let at_a = arena.place(&ea.code).expect("arena");
        slot_a.store(at_b + eb.chained_entry, Relaxed);
        let mut s = fresh_state(2, &mut mem);
        let r0 = s.r[0];
        // SAFETY: code emitted above for this guest state.
        let r = unsafe {
            tcg::backend::template::enter(at_a + ea.entry, &mut *s as *mut State as *mut u8)
        };
        // Both ran; B left through its unlinked slot for 0x3000.
        assert_eq!(s.r[0], r0.wrapping_add(2), "side by side {pair}");
        assert_eq!(r, tcg::cpu::exit::JUMP0, "side by side {pair}");
        assert_eq!(s.pc, 0x3000, "side by side {pair}");
        assert_eq!(count_b.load(Relaxed), 1, "side by side {pair}");
        assert_eq!(count_a.load(Relaxed), 1, "side by side {pair}");
    }
}
