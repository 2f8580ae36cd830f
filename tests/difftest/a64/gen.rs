//! Random A64 instructions, weighted over the manual's encoding groups.
//!
//! Each template is a bit pattern (`0`, `1`, `x` = random) for one encoding
//! group (C4.1 "A64 instruction set encoding"). Random fields reach
//! UNALLOCATED encodings too: both emulators must raise SIGILL for them, and
//! the harness compares that. What is filtered out:
//! - CONSTRAINED UNPREDICTABLE forms (writeback with Rn == Rt, LDP with
//!   Rt == Rt2, store-exclusive status register equal to Rt/Rt2/Rn, ...),
//!   which the manual lets implementations resolve differently;
//! - features Mimic's `max` model does not advertise but QEMU's does, and
//!   features whose results depend on per-process random state (pointer
//!   authentication keys, MTE random tags): `EXCLUDED` names each.
//!
//! Loads and stores get a setup sequence (MOVZ/MOVK, and `ADD SP, Xtmp, #0`
//! for an SP base) that points their effective address into the case's
//! scratch memory; branches are forward skips within the case.

use super::super::pattern::Pattern;
use super::super::Rng;
use super::asm;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Plain,
    /// A branch with an immediate the generator fills in.
    Branch(Br),
    Mem(Mem),
    /// LDXR followed by STXR to the same address.
    ExclPair,
    /// One of a fixed list of words (`Fixed(list index)`) with Rt random.
    Fixed(&'static [u32], bool),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Br {
    Imm19,
    Imm14,
    Imm26,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mem {
    Uimm,
    Imm9,
    RegOff,
    Pair,
    Excl,
    Atomic,
    SimdMult,
    SimdMultPost,
    SimdSingle,
    SimdSinglePost,
    Literal,
}

struct Template {
    pat: &'static str,
    weight: u32,
    kind: Kind,
}

const fn t(pat: &'static str, weight: u32, kind: Kind) -> Template {
    Template { pat, weight, kind }
}

use Kind::*;

const HINTS: &[u32] = &[
    0xd503_201f, // NOP
    0xd503_203f, // YIELD
    0xd503_229f, // CSDB
    0xd503_241f, // BTI
    0xd503_245f, // BTI c
    0xd503_249f, // BTI j
    0xd503_24df, // BTI jc
    0xd503_20df, // DGH
    0xd503_30ff, // SB
    0xd500_401f, // CFINV
    0xd500_403f, // XAFLAG
    0xd500_405f, // AXFLAG
];

/// MRS/MSR of the EL0 registers whose values the cases control (Rt random).
const SYSREGS: &[u32] = &[
    0xd53b_4200, // MRS NZCV
    0xd51b_4200, // MSR NZCV
    0xd53b_4400, // MRS FPCR
    0xd51b_4400, // MSR FPCR
    0xd53b_4420, // MRS FPSR
    0xd51b_4420, // MSR FPSR
    0xd53b_d040, // MRS TPIDR_EL0
    0xd53b_00e0, // MRS DCZID_EL0
];

static TEMPLATES: &[Template] = &[
    // Data processing, immediate.
    t("x xx 10000 xxxxxxxxxxxxxxxxxxx xxxxx", 10, Plain), // ADR/ADRP
    t("x x x 100010 x xxxxxxxxxxxx xxxxx xxxxx", 40, Plain), // add/sub imm
    t("x xx 100100 x xxxxxx xxxxxx xxxxx xxxxx", 30, Plain), // logical imm
    t("x xx 100101 xx xxxxxxxxxxxxxxxx xxxxx", 15, Plain), // move wide
    t("x xx 100110 x xxxxxx xxxxxx xxxxx xxxxx", 35, Plain), // bitfield
    t("x xx 100111 x x xxxxx xxxxxx xxxxx xxxxx", 12, Plain), // extract
    // Data processing, register.
    t("x xx 01010 xx x xxxxx xxxxxx xxxxx xxxxx", 35, Plain), // logical shifted
    t("x xx 01011 xx 0 xxxxx xxxxxx xxxxx xxxxx", 35, Plain), // add/sub shifted
    t("x xx 01011 xx 1 xxxxx xxx xxx xxxxx xxxxx", 20, Plain), // add/sub extended
    t("x xx 11010000 xxxxx 000000 xxxxx xxxxx", 12, Plain),   // ADC/SBC
    t("1 0 1 11010000 xxxxxx 00001 xxxxx 0 xxxx", 4, Plain),  // RMIF
    t("0 0 1 11010000 000000 x 0010 xxxxx 0 1101", 4, Plain), // SETF8/16
    t("x xx 11010010 xxxxx xxxx x x xxxxx x xxxx", 20, Plain), // CCMN/CCMP
    t("x xx 11010100 xxxxx xxxx xx xxxxx xxxxx", 25, Plain),  // CSEL...
    t("x xx 11011 xxx xxxxx x xxxxx xxxxx xxxxx", 25, Plain), // 3 source (MADD, SMULH..)
    t("x 0 x 11010110 xxxxx xxxxxx xxxxx xxxxx", 20, Plain),  // 2 source (DIV, shifts, CRC)
    t("x 0 0 11010110 xxxxx 010 x xx xxxxx xxxxx", 10, Plain), // CRC32
    t("x 1 x 11010110 00000 xxxxxx xxxxx xxxxx", 15, Plain),  // 1 source
    // Branches (forward within the case), hints, flags, system registers.
    t("01010100 xxxxxxxxxxxxxxxxxxx 0 xxxx", 10, Branch(Br::Imm19)),
    t("x 011010 x xxxxxxxxxxxxxxxxxxx xxxxx", 6, Branch(Br::Imm19)),
    t(
        "x 011011 x xxxxx xxxxxxxxxxxxxx xxxxx",
        6,
        Branch(Br::Imm14),
    ),
    t("x 00101 xxxxxxxxxxxxxxxxxxxxxxxxxx", 3, Branch(Br::Imm26)),
    t("11010101000000110011 xxxx 1 xx 11111", 3, Plain), // DSB/DMB/ISB (+ unallocated)
    t("11010101000000110011 xxxx 010 11111", 1, Plain),  // CLREX
    t("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 8, Fixed(HINTS, false)),
    t("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 10, Fixed(SYSREGS, true)),
    // Loads and stores.
    t(
        "xx 111 x 01 xx xxxxxxxxxxxx xxxxx xxxxx",
        35,
        Mem(Mem::Uimm),
    ),
    t(
        "xx 111 x 00 xx 0 xxxxxxxxx xx xxxxx xxxxx",
        35,
        Mem(Mem::Imm9),
    ),
    t(
        "xx 111 x 00 xx 1 xxxxx xxx x 10 xxxxx xxxxx",
        25,
        Mem(Mem::RegOff),
    ),
    // LDAPUR*/STLUR* (LRCPC2), aligned or not.
    t(
        "xx 011001 xx 0 xxxxxxxxx 00 xxxxx xxxxx",
        10,
        Mem(Mem::Imm9),
    ),
    t(
        "xx 101 x 0 xx x xxxxxxx xxxxx xxxxx xxxxx",
        35,
        Mem(Mem::Pair),
    ),
    t(
        "xx 001000 x x x xxxxx x xxxxx xxxxx xxxxx",
        25,
        Mem(Mem::Excl),
    ),
    t("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 8, ExclPair),
    t(
        "xx 111 0 00 xx 1 xxxxx x xxx 00 xxxxx xxxxx",
        25,
        Mem(Mem::Atomic),
    ),
    t(
        "0 x 0011000 x 000000 xxxx xx xxxxx xxxxx",
        12,
        Mem(Mem::SimdMult),
    ),
    t(
        "0 x 0011001 x 0 xxxxx xxxx xx xxxxx xxxxx",
        8,
        Mem(Mem::SimdMultPost),
    ),
    t(
        "0 x 0011010 x x 00000 xxx x xx xxxxx xxxxx",
        12,
        Mem(Mem::SimdSingle),
    ),
    t(
        "0 x 0011011 x x xxxxx xxx x xx xxxxx xxxxx",
        8,
        Mem(Mem::SimdSinglePost),
    ),
    t(
        "xx 011 x 00 xxxxxxxxxxxxxxxxxxx xxxxx",
        5,
        Mem(Mem::Literal),
    ),
    // DC ZVA is left out: its block size is IMPLEMENTATION DEFINED (QEMU's
    // max: 512 bytes, Mimic: 64), so the zeroed bytes differ legitimately.
    // Scalar floating point.
    t("x 0 0 11110 xx 0 xx xxx xxxxxx xxxxx xxxxx", 12, Plain), // FP <-> fixed
    t("x 0 0 11110 xx 1 xx xxx 000000 xxxxx xxxxx", 25, Plain), // FP <-> int
    t("0 0 0 11110 xx 1 xxxxxx 10000 xxxxx xxxxx", 30, Plain),  // FP 1 source
    t("0 0 0 11110 xx 1 xxxxx xx 1000 xxxxx xxxxx", 15, Plain), // FP compare
    t("0 0 0 11110 xx 1 xxxxxxxx 100 xxxxx xxxxx", 5, Plain),   // FMOV imm
    t("0 0 0 11110 xx 1 xxxxx xxxx 01 xxxxx xxxxx", 10, Plain), // FCCMP
    t("0 0 0 11110 xx 1 xxxxx xxxx 10 xxxxx xxxxx", 30, Plain), // FP 2 source
    t("0 0 0 11110 xx 1 xxxxx xxxx 11 xxxxx xxxxx", 8, Plain),  // FCSEL
    t("0 0 0 11111 xx x xxxxx x xxxxx xxxxx xxxxx", 20, Plain), // FP 3 source
    // AdvSIMD vector.
    t("0 x x 01110 xx 1 xxxxx xxxxx 1 xxxxx xxxxx", 60, Plain), // three same
    t("0 x x 01110 xx 1 xxxxx xxxx 00 xxxxx xxxxx", 30, Plain), // three different
    t("0 x x 01110 xx 10000 xxxxx 10 xxxxx xxxxx", 40, Plain),  // two-reg misc
    t("0 x x 01110 xx 11000 xxxxx 10 xxxxx xxxxx", 10, Plain),  // across lanes
    t("0 x x 01110000 xxxxx 0 xxxx 1 xxxxx xxxxx", 15, Plain),  // copy
    t("0 x x 0111100000 xxx xxxx x 1 xxxxx xxxxx", 8, Plain),   // modified immediate
    t("0 x x 011110 xxxx xxx xxxxx 1 xxxxx xxxxx", 30, Plain),  // shift by immediate
    t("0 x x 01111 xx x x xxxx xxxx x 0 xxxxx xxxxx", 25, Plain), // by element
    t("0 x 101110 xx 0 xxxxx 0 xxxx 0 xxxxx xxxxx", 5, Plain),  // EXT
    t("0 x 001110 xx 0 xxxxx 0 xx x 00 xxxxx xxxxx", 8, Plain), // TBL/TBX
    t("0 x 001110 xx 0 xxxxx 0 xxx 10 xxxxx xxxxx", 12, Plain), // permute
    t("0 x x 01110 x 10 xxxxx 00 xxx 1 xxxxx xxxxx", 12, Plain), // three same FP16
    t("0 x x 01110 x 1111 00 xxxxx 10 xxxxx xxxxx", 8, Plain),  // two-reg misc FP16
    // Three same extra: RDM, SDOT/UDOT, I8MM, FCMA, BF16.
    t("0 x x 01110 xx 0 xxxxx 1 xxxx 1 xxxxx xxxxx", 24, Plain),
    // AdvSIMD scalar.
    t("01 x 11110 xx 1 xxxxx xxxxx 1 xxxxx xxxxx", 20, Plain),
    t("01 x 11110 xx 1 xxxxx xxxx 00 xxxxx xxxxx", 6, Plain),
    t("01 x 11110 xx 10000 xxxxx 10 xxxxx xxxxx", 15, Plain),
    t("01 x 11110 xx 11000 xxxxx 10 xxxxx xxxxx", 6, Plain),
    t("01 x 11110000 xxxxx 0 xxxx 1 xxxxx xxxxx", 3, Plain),
    t("01 x 111110 xxxx xxx xxxxx 1 xxxxx xxxxx", 12, Plain),
    t("01 x 11111 xx x x xxxx xxxx x 0 xxxxx xxxxx", 10, Plain),
    t("01 x 11110 xx 0 xxxxx 1 xxxx 1 xxxxx xxxxx", 4, Plain), // three same extra
    t("01 x 11110 x 10 xxxxx 00 xxx 1 xxxxx xxxxx", 5, Plain),
    t("01 x 11110 x 1111 00 xxxxx 10 xxxxx xxxxx", 4, Plain),
    // Crypto.
    t("0100 1110 xx 10100 xxxxx 10 xxxxx xxxxx", 8, Plain), // AES
    t("0101 1110 xx 0 xxxxx 0 xxx 00 xxxxx xxxxx", 8, Plain), // SHA 3-reg
    t("0101 1110 xx 10100 xxxxx 10 xxxxx xxxxx", 5, Plain), // SHA 2-reg
    t("11001110011 xxxxx 1 x 00 xx xxxxx xxxxx", 8, Plain), // SHA512 3-reg, RAX1
    t("11001110110000001000 xx xxxxx xxxxx", 4, Plain),     // SHA512SU0
    t("110011100 xx xxxxx 0 xxxxx xxxxx xxxxx", 5, Plain),  // EOR3/BCAX
    t("11001110100 xxxxx xxxxxx xxxxx xxxxx", 3, Plain),    // XAR
    t("11001110010 xxxxx 10 xx xx xxxxx xxxxx", 4, Plain),  // SM3TT*
];

/// Encodings not generated: (pattern, reason). Features QEMU's `max` has
/// and Mimic's `max` does not advertise are listed here until implemented.
pub static EXCLUDED: &[(&str, &str)] = &[
    (
        "01 101 0 0 xx 0 xxxxxxx xxxxx xxxxx xxxxx",
        "STGP: MTE, not in Mimic's max",
    ),
    (
        "x 0 x 11010110 xxxxx 00010 x xxxxx xxxxx",
        "IRG/GMI: MTE random tags",
    ),
    ("1 0 x 11010110 xxxxx 000000 xxxxx xxxxx", "SUBP(S): MTE"),
    (
        "x 0 x 11010110 xxxxx 001100 xxxxx xxxxx",
        "PACGA: pointer authentication keys are per process",
    ),
];

fn compile(p: &'static str) -> Pattern {
    let c = Pattern::parse(p);
    assert_eq!(c.width, 32, "pattern {p:?} is not 32 bits");
    c
}

fn excluded(w: u32) -> bool {
    table().excluded.iter().any(|c| c.matches(w))
}

struct Unit {
    words: Vec<(u32, bool)>,
    /// Index in `words` of a branch whose offset is still to be set.
    branch: Option<(usize, Br)>,
}

fn rt(w: u32) -> u32 {
    w & 31
}
fn rn(w: u32) -> u32 {
    (w >> 5) & 31
}
fn rt2(w: u32) -> u32 {
    (w >> 10) & 31
}
fn rm(w: u32) -> u32 {
    (w >> 16) & 31
}
fn sext(v: u32, bits: u32) -> i64 {
    ((v as i64) << (64 - bits)) >> (64 - bits)
}

/// How a memory instruction forms its address.
struct Addr {
    /// Offset added to the base for the access (0 for post-index).
    contrib: i64,
    /// The EA must be a multiple of this.
    align: u64,
    /// Index register and the value it must hold.
    index: Option<(u32, u64)>,
    /// Base register (31 = SP).
    base: u32,
    /// X registers the instruction itself uses (not to be a temp).
    uses: Vec<u32>,
}

/// Address form of `w`, or None when it must not be generated.
fn addr_of(rng: &mut Rng, m: Mem, w: u32) -> Option<Addr> {
    let v = (w >> 26) & 1 == 1;
    let size = w >> 30;
    let opc = (w >> 22) & 3;
    let mut a = Addr {
        contrib: 0,
        align: 1,
        index: None,
        base: rn(w),
        uses: vec![rt(w)],
    };
    match m {
        Mem::Uimm => {
            let scale = if v { (opc >> 1) << 2 | size } else { size };
            a.contrib = (((w >> 10) & 0xfff) as i64) << scale;
        }
        Mem::Imm9 => {
            let imm = sext((w >> 12) & 0x1ff, 9);
            let mode = (w >> 10) & 3;
            let wback = mode == 1 || mode == 3;
            if wback && !v && rt(w) == rn(w) && rn(w) != 31 {
                return None;
            }
            if (w >> 24) & 0x3f == 0b01_1001 {
                // LDAPUR/STLUR: Mimic's user mode does not raise alignment
                // faults (as for LDAR/STLR), QEMU 7.2 (no FEAT_LSE2) does.
                a.align = 1 << size;
            }
            a.contrib = if mode == 1 { 0 } else { imm };
        }
        Mem::RegOff => {
            let option = (w >> 13) & 7;
            let s = (w >> 12) & 1;
            let scale = if v { (opc >> 1) << 2 | size } else { size };
            if rm(w) == rn(w) {
                return None;
            }
            let x = if rm(w) == 31 {
                0
            } else {
                rng.below(129).wrapping_sub(64)
            };
            let ext = match option {
                2 => x & 0xffff_ffff,
                6 => x as i32 as i64 as u64,
                _ => x,
            };
            a.contrib = (ext << if s == 1 { scale } else { 0 }) as i64;
            if rm(w) != 31 {
                a.index = Some((rm(w), x));
            }
            a.uses.push(rm(w));
        }
        Mem::Pair => {
            let l = (w >> 22) & 1;
            let mode = (w >> 23) & 3;
            let wback = mode == 1 || mode == 3;
            let scale = if v {
                2 + (size as i64)
            } else {
                2 + (size >> 1) as i64
            };
            if l == 1 && rt(w) == rt2(w) {
                return None;
            }
            if !v && wback && (rt(w) == rn(w) || rt2(w) == rn(w)) && rn(w) != 31 {
                return None;
            }
            a.contrib = if mode == 1 {
                0
            } else {
                sext((w >> 15) & 0x7f, 7) << scale
            };
            a.uses.push(rt2(w));
        }
        Mem::Excl => {
            let (o2, l, o1) = ((w >> 23) & 1, (w >> 22) & 1, (w >> 21) & 1);
            let rs = rm(w);
            let pair = o2 == 0 && o1 == 1 && size >= 2;
            if o2 == 0 && l == 0 && (o1 == 0 || pair) {
                // Store exclusive: status register distinct from data and base.
                if rs == rt(w) || (rs == rn(w) && rn(w) != 31) || (pair && rs == rt2(w)) {
                    return None;
                }
            }
            if pair && l == 1 && rt(w) == rt2(w) {
                return None;
            }
            a.align = 16;
            a.uses.extend([rs, rs | 1, rt(w) | 1, rt2(w)]);
        }
        Mem::Atomic => {
            a.align = 16;
            a.uses.push(rm(w));
        }
        Mem::SimdMultPost | Mem::SimdSinglePost => {
            a.uses.push(rm(w));
        }
        Mem::SimdMult | Mem::SimdSingle => {}
        Mem::Literal => unreachable!(),
    }
    Some(a)
}

/// A register not in `avoid` and not 31.
fn temp(rng: &mut Rng, avoid: &[u32]) -> u32 {
    loop {
        let r = rng.below(31) as u32;
        if !avoid.contains(&r) {
            return r;
        }
    }
}

fn mov_small(rd: u32, v: u64) -> u32 {
    if (v as i64) < 0 {
        asm::movn(rd, !v as u32)
    } else {
        asm::movz(rd, v as u32)
    }
}

/// Setup + instruction for a memory access in `[lo, hi)`.
fn mem_unit(rng: &mut Rng, m: Mem, w: u32, lo: u64, hi: u64) -> Option<Unit> {
    let mut words = Vec::new();
    match m {
        Mem::Literal => {
            // Keep the target near the code (mostly mapped, read-only).
            let imm = rng.below(8192).wrapping_sub(4096) as u32 & 0x7ffff;
            let w = (w & !(0x7ffff << 5)) | imm << 5;
            words.push((w, true));
        }
        _ => {
            let a = addr_of(rng, m, w)?;
            // Effective address: leave room for 64-byte accesses and for
            // aligning an SP base down.
            let span = hi - lo - 64 - 32;
            let mut ea = lo + 32 + rng.below(span);
            let align = if a.align > 1 {
                a.align
            } else if rng.chance(1, 2) {
                8
            } else {
                1
            };
            ea &= !(align - 1);
            let mut base = ea.wrapping_sub(a.contrib as u64);
            if a.base == 31 {
                base &= !15;
                if a.align > 1 && !(a.contrib as u64).is_multiple_of(a.align) {
                    return None;
                }
            }
            if let Some((r, x)) = a.index {
                words.push((mov_small(r, x), false));
            }
            if a.base == 31 {
                let mut avoid = a.uses.clone();
                if let Some((r, _)) = a.index {
                    avoid.push(r);
                }
                let tmp = temp(rng, &avoid);
                words.extend(asm::mov64(tmp, base).into_iter().map(|x| (x, false)));
                words.push((asm::add_imm(asm::SP, tmp, 0), false));
            } else {
                words.extend(asm::mov64(a.base, base).into_iter().map(|x| (x, false)));
            }
            words.push((w, true));
        }
    }
    Some(Unit {
        words,
        branch: None,
    })
}

fn excl_pair(rng: &mut Rng, lo: u64, hi: u64) -> Unit {
    let size = rng.below(4) as u32;
    let n = rng.below(31) as u32;
    let t = temp(rng, &[n]);
    let t2 = rng.below(32) as u32;
    let s = temp(rng, &[n, t2]);
    let acq = rng.below(2) as u32;
    let rel = rng.below(2) as u32;
    let ea = (lo + 32 + rng.below(hi - lo - 96)) & !15;
    let mut words: Vec<(u32, bool)> = asm::mov64(n, ea).into_iter().map(|x| (x, false)).collect();
    words.push((0x085f_7c00 | size << 30 | acq << 15 | n << 5 | t, true));
    words.push((
        0x0800_7c00 | size << 30 | s << 16 | rel << 15 | n << 5 | t2,
        true,
    ));
    Unit {
        words,
        branch: None,
    }
}

/// Exclusive/ordered forms: SBO register fields set to 0b11111 (other
/// values are CONSTRAINED UNPREDICTABLE), CASP mostly with even registers.
fn excl_sbo(rng: &mut Rng, w: u32) -> u32 {
    let (size, o2, l, o1) = (w >> 30, (w >> 23) & 1, (w >> 22) & 1, (w >> 21) & 1);
    let pair = o2 == 0 && o1 == 1 && size >= 2;
    let mut w = w;
    if !pair {
        w |= 31 << 10; // Rt2
    }
    let store_excl = o2 == 0 && l == 0 && (o1 == 0 || pair);
    let cas = o1 == 1 && !pair;
    if !store_excl && !cas {
        w |= 31 << 16; // Rs
    }
    if cas && o2 == 0 && rng.chance(7, 8) {
        w &= !(1 << 16 | 1); // CASP: even Rs, Rt
    }
    w
}

fn known_to_capstone(w: u32) -> bool {
    !target_aarch64::disas::disas(0, &w.to_le_bytes()).contains(".word")
}

struct Table {
    compiled: Vec<Pattern>,
    weights: Vec<u32>,
    excluded: Vec<Pattern>,
}

fn table() -> &'static Table {
    static T: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    T.get_or_init(|| Table {
        compiled: TEMPLATES.iter().map(|t| compile(t.pat)).collect(),
        weights: TEMPLATES.iter().map(|t| t.weight).collect(),
        excluded: EXCLUDED.iter().map(|e| compile(e.0)).collect(),
    })
}

fn unit(rng: &mut Rng, lo: u64, hi: u64) -> Unit {
    let tab = table();
    loop {
        let i = rng.weighted(&tab.weights);
        let c = &tab.compiled[i];
        let mut w = c.bits | (rng.next() as u32 & !c.mask);
        let kind = TEMPLATES[i].kind;
        if let Fixed(list, with_rt) = kind {
            w = list[rng.below(list.len() as u64) as usize];
            if with_rt {
                w |= rng.below(32) as u32;
            }
        }
        match kind {
            Mem(Mem::Excl) => w = excl_sbo(rng, w),
            Mem(Mem::Atomic) if (w >> 15) & 1 == 1 => w |= 31 << 16, // LDAPR: Rs is (1)
            // FCMP/FCMPE with #0.0: Rm is (0) (nonzero: CONSTRAINED UNPREDICTABLE).
            Plain if w & 0xff20_fc0f == 0x1e20_2008 => w &= !(31 << 16),
            _ => {}
        }
        if excluded(w) {
            continue;
        }
        // Most words capstone cannot decode are UNALLOCATED; keep a few
        // (both emulators must raise SIGILL), skip the rest so cases run on.
        let known = known_to_capstone(w);
        if !known && !rng.chance(1, 16) {
            continue;
        }
        // QEMU 7.2 aborts (g_assert_not_reached in
        // disas_simd_two_reg_misc_fp16) on some UNALLOCATED FP16 two-reg
        // misc encodings, e.g. 0x5ef8fae1, instead of raising UNDEF.
        let fp16_misc = w & 0x9f7e_0c00 == 0x0e78_0800 || w & 0xdf7e_0c00 == 0x5e78_0800;
        if fp16_misc && !known {
            continue;
        }
        match kind {
            Plain | Fixed(..) => {
                return Unit {
                    words: vec![(w, true)],
                    branch: None,
                }
            }
            Branch(b) => {
                return Unit {
                    words: vec![(w, true)],
                    branch: Some((0, b)),
                }
            }
            ExclPair => return excl_pair(rng, lo, hi),
            Mem(m) => {
                if let Some(u) = mem_unit(rng, m, w, lo, hi) {
                    return u;
                }
            }
        }
    }
}

/// `n` random instruction units for a case whose code starts at `start`
/// and whose scratch memory is `[scratch, scratch + size)`. Returns the
/// words, each marked random or setup.
pub fn case(rng: &mut Rng, n: usize, start: u64, scratch: u64, size: u64) -> Vec<(u32, bool)> {
    let units: Vec<Unit> = (0..n).map(|_| unit(rng, scratch, scratch + size)).collect();
    let mut starts = Vec::with_capacity(n + 1);
    let mut pc = start;
    for u in &units {
        starts.push(pc);
        pc += 4 * u.words.len() as u64;
    }
    starts.push(pc);
    let mut out = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for (k, &(w, r)) in u.words.iter().enumerate() {
            let mut w = w;
            if let Some((bk, b)) = u.branch {
                if bk == k {
                    let at = starts[i] + 4 * k as u64;
                    let j = i + 1 + rng.below((n - i) as u64) as usize;
                    let off = ((starts[j] - at) / 4) as u32;
                    w = match b {
                        Br::Imm19 => (w & !(0x7ffff << 5)) | off << 5,
                        Br::Imm14 => (w & !(0x3fff << 5)) | off << 5,
                        Br::Imm26 => (w & !0x3ff_ffff) | off,
                    };
                }
            }
            out.push((w, r));
        }
    }
    out
}
