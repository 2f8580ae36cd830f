//! Random A32 and T32 instructions, weighted over the manual's encoding
//! groups (ARMv7-A/R ARM DDI 0406 A5 "ARM instruction set encoding" and
//! A6 "Thumb instruction set encoding").
//!
//! Each template is a bit pattern with named fields for one instruction
//! form; register fields get registers the form allows (never the PC; T32
//! never SP either, where most forms make it UNPREDICTABLE), and a fix-up
//! function applies the form's other constraints (UNPREDICTABLE register
//! combinations, writeback with the base in the list, bitfield ranges...)
//! so that every instruction generated has one architected result. VFP
//! forms (`vfp.rs`) are shared: A32 words with a random condition, in T32
//! with condition 1110. Loads and stores get a setup sequence (MOVW/MOVT
//! of the base and index registers) that points them into the case's
//! scratch memory; branches are forward skips within the case; in T32, IT
//! blocks of one to four conditional instructions (a memory access only as
//! the first, its setup before the IT).

use super::super::pattern::Pattern;
use super::super::Rng;
use super::asm;
use super::forms::TEMPLATES;
use super::vfp;

/// One instruction of a generated case: `size` 2 (T16) or 4 (A32, or T32
/// as first halfword << 16 | second).
#[derive(Clone, Copy, Debug)]
pub struct Out {
    pub word: u32,
    pub size: u8,
    pub random: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Set {
    A32,
    T16,
    T32,
    /// A32 word form; in T32 the same word with condition 1110.
    Vfp,
    /// Advanced SIMD data processing, A32 form (T32: bit 24 moves to 28).
    Neon,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mem {
    A32Imm,
    A32Reg,
    A32Extra,
    A32Ldm,
    T16Reg,
    T16Imm,
    T16Half,
    T16Sp,
    T16Ldm,
    T16Push,
    T16Pop,
    T32Imm12,
    T32Imm8,
    T32Reg,
    T32Dual,
    T32Ldm,
    Vldr,
    Vldm,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Br {
    A32,
    T16Cond,
    T16,
    Cbz,
    T32Cond,
    T32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Plain,
    Mem(Mem),
    Branch(Br),
    /// VMSR FPSCR: its source register is cleared of Len/Stride first.
    Vmsr,
    /// A permanently UNDEFINED encoding (not inside IT blocks: whether a
    /// failing condition skips it is IMPLEMENTATION DEFINED).
    Undef,
}

/// The word being built and what fix-ups need.
pub struct G<'a> {
    pub rng: &'a mut Rng,
    pub p: &'a Pattern,
    pub w: u32,
    pub thumb: bool,
    pub in_it: bool,
}

impl G<'_> {
    pub fn get(&self, f: &str) -> u32 {
        self.p.get(self.w, f)
    }
    pub fn set(&mut self, f: &str, v: u32) {
        self.w = self.p.set(self.w, f, v);
    }
    pub fn has(&self, f: &str) -> bool {
        self.p.has(f)
    }
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.rng.chance(num, den)
    }
    pub fn below(&mut self, n: u32) -> u32 {
        self.rng.below(n as u64) as u32
    }
    /// A register the form may name: A32 r0-r14 (SP rarely), T32 r0-r12, r14.
    pub fn reg(&mut self) -> u32 {
        reg(self.rng, self.thumb)
    }
    /// One of `vals`.
    pub fn pick(&mut self, vals: &[u32]) -> u32 {
        vals[self.rng.below(vals.len() as u64) as usize]
    }
    /// Makes field `a` differ from every field in `others`.
    pub fn distinct(&mut self, a: &str, others: &[&str]) {
        for _ in 0..64 {
            let v = self.get(a);
            if others.iter().all(|o| self.get(o) != v) {
                return;
            }
            let r = self.reg();
            self.set(a, r);
        }
    }
}

pub fn reg(rng: &mut Rng, thumb: bool) -> u32 {
    loop {
        let r = rng.below(15) as u32;
        match r {
            13 if thumb => continue,
            13 if !rng.chance(1, 4) => continue,
            _ => return r,
        }
    }
}

pub type Fix = fn(&mut G) -> bool;

pub struct Tpl {
    pub set: Set,
    pub pat: &'static str,
    pub weight: u32,
    pub kind: Kind,
    pub fix: Fix,
}

use Set::*;

/// Share of IT blocks among T32 units (1 in IT_ONE_IN).
const IT_ONE_IN: u64 = 7;

struct Table {
    pats: Vec<Pattern>,
    /// Per mode (A32, T32): template indices and weights.
    modes: [(Vec<usize>, Vec<u32>); 2],
    /// T32 templates allowed inside an IT block (no branches).
    in_it: (Vec<usize>, Vec<u32>),
    /// Per mode: the load/store templates (for big-endian units).
    mem: [(Vec<usize>, Vec<u32>); 2],
}

fn all_templates() -> &'static [Tpl] {
    static ALL: std::sync::OnceLock<Vec<Tpl>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<Tpl> = TEMPLATES
            .iter()
            .map(|x| Tpl {
                set: x.set,
                pat: x.pat,
                weight: x.weight,
                kind: x.kind,
                fix: x.fix,
            })
            .collect();
        v.extend(vfp::templates());
        v
    })
}

fn table() -> &'static Table {
    static T: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let all = all_templates();
        let pats = all.iter().map(|x| Pattern::parse(x.pat)).collect();
        let pick = |f: &dyn Fn(&Tpl) -> bool| {
            let idx: Vec<usize> = (0..all.len())
                .filter(|&i| f(&all[i]) && all[i].weight > 0)
                .collect();
            let w = idx.iter().map(|&i| all[i].weight).collect();
            (idx, w)
        };
        Table {
            pats,
            modes: [
                pick(&|x| matches!(x.set, A32 | Vfp | Neon)),
                pick(&|x| matches!(x.set, T16 | T32 | Vfp | Neon)),
            ],
            in_it: pick(&|x| {
                matches!(x.set, T16 | T32 | Vfp | Neon)
                    && !matches!(x.kind, Kind::Branch(_) | Kind::Undef)
            }),
            mem: [
                pick(&|x| matches!(x.set, A32 | Vfp) && matches!(x.kind, Kind::Mem(_))),
                pick(&|x| matches!(x.set, T16 | T32 | Vfp) && matches!(x.kind, Kind::Mem(_))),
            ],
        }
    })
}

/// A unit: setup and random instructions, and a branch to patch.
struct Unit {
    words: Vec<Out>,
    /// Index in `words` of a branch whose offset is still to be set.
    branch: Option<(usize, Br)>,
}

fn setup(thumb: bool, v: &mut Vec<Out>, rd: u32, val: u32) {
    for (size, w) in asm::mov32(thumb, rd, val) {
        v.push(Out {
            word: w,
            size,
            random: false,
        });
    }
}

/// How a memory instruction addresses memory.
struct Addr {
    base: u32,
    /// Lowest byte accessed minus the base register's value.
    offset: u32,
    span: u32,
    align: u32,
    index: Option<(u32, u32)>,
}

fn bits_of(list: u32) -> Vec<u32> {
    (0..16).filter(|b| list >> b & 1 == 1).collect()
}

/// A register-offset index and its value after shifting: the value is
/// small (or shifted out), so the address stays in the scratch area.
fn index_value(rng: &mut Rng, ty: u32, imm5: u32) -> (u32, u32) {
    let k = rng.below(65) as u32;
    let s = imm5;
    match ty {
        0 => {
            let x = if s <= 6 {
                k >> s
            } else if rng.chance(1, 2) {
                0
            } else {
                1u32.wrapping_shl(32 - s)
            };
            (x, x.wrapping_shl(s))
        }
        1 | 2 if s == 0 => {
            // Shift by 32: LSR gives 0, ASR 0 or -1.
            let x = rng.next() as u32;
            let v = if ty == 1 || x >> 31 == 0 { 0 } else { u32::MAX };
            (x, v)
        }
        1 | 2 => (k << s >> s << s, k << s >> s),
        _ => (k.rotate_left(s), k),
    }
}

fn signed(u: u32, v: u32) -> u32 {
    if u == 1 {
        v
    } else {
        v.wrapping_neg()
    }
}

/// Fixes the word's registers for `m` and returns how it addresses memory.
fn mem_info(g: &mut G, m: Mem) -> Option<Addr> {
    let mut a = Addr {
        base: 0,
        offset: 0,
        span: 4,
        align: 1,
        index: None,
    };
    let rand_align = |g: &mut G| if g.chance(1, 2) { 4 } else { 1 };
    match m {
        Mem::A32Imm | Mem::A32Reg => {
            let (p, u, b, w) = (g.get("p"), g.get("u"), g.get("b"), g.get("w"));
            let wback = p == 0 || w == 1;
            if wback {
                g.distinct("rn", &["rt"]);
            }
            a.span = if b == 1 { 1 } else { 4 };
            a.align = rand_align(g);
            let off = if m == Mem::A32Imm {
                g.get("imm12")
            } else {
                g.distinct("rm", &["rn"]);
                if g.get("ty") == 3 && g.get("imm5") == 0 {
                    let ty = g.below(3);
                    g.set("ty", ty);
                }
                let (x, v) = index_value(g.rng, g.get("ty"), g.get("imm5"));
                a.index = Some((g.get("rm"), x));
                v
            };
            a.offset = if p == 1 { signed(u, off) } else { 0 };
            a.base = g.get("rn");
        }
        Mem::A32Extra => {
            let (p, u, i, w, l, op2) = (
                g.get("p"),
                g.get("u"),
                g.get("i"),
                g.get("w"),
                g.get("l"),
                g.get("op2"),
            );
            let dual = l == 0 && op2 >= 2;
            let wback = p == 0 || w == 1;
            let rt = g.get("rt");
            if wback {
                g.distinct("rn", &["rt"]);
                if dual && g.get("rn") == rt + 1 {
                    g.set("rn", (rt + 2) % 13);
                }
            }
            a.span = if dual {
                8
            } else if op2 == 2 {
                1
            } else {
                2
            };
            a.align = if dual { 4 } else { rand_align(g) };
            let off = if i == 1 {
                g.get("imm4h") << 4 | g.get("rm")
            } else {
                for _ in 0..64 {
                    let r = g.get("rm");
                    if r != g.get("rn") && r != rt && !(dual && r == rt + 1) {
                        break;
                    }
                    let r = g.reg();
                    g.set("rm", r);
                }
                let x = g.below(65);
                a.index = Some((g.get("rm"), x));
                x
            };
            a.offset = if p == 1 { signed(u, off) } else { 0 };
            a.base = g.get("rn");
        }
        Mem::A32Ldm => {
            if g.chance(1, 4) {
                g.set("rn", 13);
            }
            let rn = g.get("rn");
            let mut list = g.get("list") & 0x7fff;
            if g.get("w") == 1 {
                list &= !(1 << rn);
            }
            if list == 0 {
                list = 1 << ((rn + 1 + g.below(13)) % 15);
            }
            g.set("list", list);
            let n = list.count_ones();
            a.span = 4 * n;
            a.align = 4;
            a.offset = match (g.get("p"), g.get("u")) {
                (0, 1) => 0,
                (1, 1) => 4,
                (0, _) => (4 - 4 * n as i32) as u32,
                _ => (4 * n).wrapping_neg(),
            };
            a.base = rn;
        }
        Mem::T16Reg => {
            while g.get("rm") == g.get("rn") {
                let r = g.below(8);
                g.set("rm", r);
            }
            a.span = [4, 2, 1, 1, 4, 2, 1, 2][g.get("op") as usize];
            a.align = rand_align(g);
            let x = g.below(65);
            a.index = Some((g.get("rm"), x));
            a.offset = x;
            a.base = g.get("rn");
        }
        Mem::T16Imm | Mem::T16Half => {
            let scale = if m == Mem::T16Half {
                2
            } else if g.get("b") == 1 {
                1
            } else {
                4
            };
            a.span = scale;
            a.align = rand_align(g);
            a.offset = g.get("imm5") * scale;
            a.base = g.get("rn");
        }
        Mem::T16Sp => {
            let i = g.below(64);
            g.set("imm8", i);
            a.offset = 4 * i;
            a.align = rand_align(g);
            a.base = 13;
        }
        Mem::T16Ldm => {
            let rn = g.get("rn");
            let mut list = g.get("list");
            if g.get("l") == 0 && list >> rn & 1 == 1 && list & ((1 << rn) - 1) != 0 {
                // STM storing the written-back base (not lowest): UNKNOWN.
                list &= !(1 << rn);
            }
            if list == 0 {
                list = 1 << ((rn + 1) % 8);
            }
            g.set("list", list);
            a.span = 4 * list.count_ones();
            a.align = 4;
            a.base = rn;
        }
        Mem::T16Push => {
            if g.get("list") == 0 && g.get("m") == 0 {
                g.set("m", 1);
            }
            let n = g.get("list").count_ones() + g.get("m");
            a.span = 4 * n;
            a.align = 4;
            a.offset = (4 * n).wrapping_neg();
            a.base = 13;
        }
        Mem::T16Pop => {
            if g.get("list") == 0 {
                let b = 1 << g.below(8);
                g.set("list", b);
            }
            a.span = 4 * g.get("list").count_ones();
            a.align = 4;
            a.base = 13;
        }
        Mem::T32Imm12 | Mem::T32Imm8 | Mem::T32Reg => {
            let sz = g.get("sz");
            a.span = 1 << sz;
            a.align = rand_align(g);
            let off = match m {
                Mem::T32Imm12 => g.get("imm12"),
                Mem::T32Imm8 => {
                    let (p, u) = (g.get("p"), g.get("u"));
                    g.distinct("rn", &["rt"]);
                    if p == 1 {
                        signed(u, g.get("imm8"))
                    } else {
                        0
                    }
                }
                _ => {
                    g.distinct("rm", &["rn"]);
                    let x = g.below(65);
                    a.index = Some((g.get("rm"), x));
                    x << g.get("imm2")
                }
            };
            a.offset = off;
            a.base = g.get("rn");
        }
        Mem::T32Dual => {
            let (p, u) = (g.get("p"), g.get("u"));
            g.distinct("rn", &["rt", "rt2"]);
            a.span = 8;
            a.align = 4;
            a.offset = if p == 1 {
                signed(u, 4 * g.get("imm8"))
            } else {
                0
            };
            a.base = g.get("rn");
        }
        Mem::T32Ldm => {
            let op = if g.chance(1, 2) { 1 } else { 2 };
            g.set("op", op);
            let rn = g.get("rn");
            let mut list = g.get("list") & 0x5fff;
            if g.get("l") == 0 {
                list &= 0x1fff | 1 << 14;
            }
            if g.get("w") == 1 {
                list &= !(1 << rn);
            }
            while list.count_ones() < 2 {
                let b = g.pick(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]);
                if !(g.get("w") == 1 && b == rn) {
                    list |= 1 << b;
                }
            }
            g.set("list", list);
            let n = list.count_ones();
            a.span = 4 * n;
            a.align = 4;
            a.offset = if op == 1 { 0 } else { (4 * n).wrapping_neg() };
            a.base = rn;
        }
        Mem::Vldr => {
            let sz = g.get("sz");
            a.span = if sz == 1 { 8 } else { 4 };
            a.align = 4;
            a.offset = signed(g.get("u"), 4 * g.get("imm8"));
            a.base = g.get("rn");
        }
        Mem::Vldm => {
            let (p, u, w) = *[(0, 1, 0), (0, 1, 1), (1, 0, 1)]
                .get(g.below(3) as usize)
                .unwrap();
            g.set("p", p);
            g.set("u", u);
            g.set("w", w);
            if !g.thumb && g.chance(1, 4) {
                g.set("rn", 13);
            }
            let dp = g.get("sz") == 1;
            let first = if dp {
                g.get("d") << 4 | g.get("vd")
            } else {
                g.get("vd") << 1 | g.get("d")
            };
            let count = 1 + g.below((32 - first).min(if dp { 16 } else { 32 }));
            let imm8 = if dp { 2 * count } else { count };
            g.set("imm8", imm8);
            a.span = 4 * imm8;
            a.align = 4;
            a.offset = if p == 1 { a.span.wrapping_neg() } else { 0 };
            a.base = g.get("rn");
        }
    }
    Some(a)
}

/// Registers the instruction names (for choosing a temporary).
fn used_regs(g: &G) -> u32 {
    let mut u = 0u32;
    for &(name, _, width) in &g.p.fields {
        if name == "list" {
            u |= g.get(name);
        } else if name.starts_with('r') && (width == 3 || width == 4) {
            u |= 1 << g.get(name);
        }
    }
    u
}

fn mem_unit(g: &mut G, m: Mem, lo: u32, hi: u32) -> Option<Unit> {
    let a = mem_info(g, m)?;
    let mut words = Vec::new();
    let thumb = g.thumb;
    if a.span + 16 > hi - lo {
        return None;
    }
    let mut ea = lo + g.below(hi - lo - a.span);
    let align = a.align.max(1);
    ea &= !(align - 1);
    let base = ea.wrapping_sub(a.offset);
    if let Some((r, x)) = a.index {
        setup(thumb, &mut words, r, x);
    }
    if a.base == 13 && thumb {
        let used = used_regs(g) | 1 << 13 | 1 << 15;
        let tmp = loop {
            let r = g.below(13);
            if used >> r & 1 == 0 {
                break r;
            }
        };
        setup(thumb, &mut words, tmp, base);
        words.push(Out {
            word: asm::t16_mov_sp(tmp),
            size: 2,
            random: false,
        });
    } else {
        setup(thumb, &mut words, a.base, base);
    }
    Some(Unit {
        words,
        branch: None,
    })
}

/// The size of a template's instructions in mode `thumb`.
fn size_of(set: Set) -> u8 {
    if set == T16 {
        2
    } else {
        4
    }
}

/// Draws and builds one instruction from the templates `pool` (indices,
/// weights); returns the unit (setup + the instruction).
fn draw(
    rng: &mut Rng,
    pool: &(Vec<usize>, Vec<u32>),
    thumb: bool,
    in_it: bool,
    lo: u32,
    hi: u32,
) -> Unit {
    let all = all_templates();
    let tab = table();
    loop {
        let i = pool.0[rng.weighted(&pool.1)];
        let tpl = &all[i];
        let p = &tab.pats[i];
        let mut g = G {
            w: p.fill(rng.next() as u32),
            rng,
            p,
            thumb,
            in_it,
        };
        // Register fields, then the condition.
        for &(name, _, width) in &p.fields {
            let is_reg = matches!(
                name,
                "rd" | "rn" | "rm" | "rs" | "rt" | "rt2" | "ra" | "rdlo" | "rdhi"
            );
            if is_reg && width == 4 {
                let r = g.reg();
                g.set(name, r);
            }
        }
        if g.has("cond") && tpl.set != T16 && tpl.set != T32 {
            let c = if thumb || g.chance(1, 2) {
                14
            } else {
                g.below(14)
            };
            g.set("cond", c);
        }
        if !(tpl.fix)(&mut g) {
            continue;
        }
        let mut unit = match tpl.kind {
            Kind::Mem(m) => match mem_unit(&mut g, m, lo, hi) {
                Some(u) => u,
                None => continue,
            },
            Kind::Vmsr => {
                let rt = g.get("rt");
                let (size, w) = asm::bic_len_stride(thumb, rt);
                Unit {
                    words: vec![Out {
                        word: w,
                        size,
                        random: false,
                    }],
                    branch: None,
                }
            }
            _ => Unit {
                words: Vec::new(),
                branch: None,
            },
        };
        let mut w = g.w;
        match tpl.set {
            Neon if thumb => w = (w & 0x00ff_ffff) | 0xef00_0000 | (w >> 24 & 1) << 28,
            _ => {}
        }
        if let Kind::Branch(b) = tpl.kind {
            unit.branch = Some((unit.words.len(), b));
        }
        unit.words.push(Out {
            word: w,
            size: size_of(tpl.set),
            random: true,
        });
        if tpl.kind == Kind::Branch(Br::Cbz) {
            // CBZ/CBNZ branch forward only: a NOP gives the next unit room.
            unit.words.push(Out {
                word: asm::T16_NOP,
                size: 2,
                random: false,
            });
        }
        return unit;
    }
}

/// An IT block: the setup of its first instruction, IT, then 1-4
/// conditional instructions.
fn it_block(rng: &mut Rng, lo: u32, hi: u32) -> Unit {
    let tab = table();
    let n = 1 + rng.below(4) as usize;
    let first = rng.below(15) as u32;
    let mut mask = 0u32;
    for k in 1..n {
        let then = first == 14 || rng.chance(1, 2);
        let bit = if then { first & 1 } else { !first & 1 };
        mask |= bit << (4 - k);
    }
    mask |= 1 << (4 - n);
    let mut words = Vec::new();
    let mut body = Vec::new();
    for k in 0..n {
        let mut u = draw(rng, &tab.in_it, true, true, lo, hi);
        let setup_len = u.words.iter().take_while(|o| !o.random).count();
        if k > 0 && setup_len > 0 {
            // Only the first instruction may need setup (it goes before the IT).
            u = loop {
                let v = draw(rng, &tab.in_it, true, true, lo, hi);
                if v.words.iter().all(|o| o.random) {
                    break v;
                }
            };
        }
        for o in u.words {
            if o.random {
                body.push(o);
            } else {
                words.push(o);
            }
        }
    }
    words.push(Out {
        word: 0xbf00 | first << 4 | mask,
        size: 2,
        random: true,
    });
    words.extend(body);
    Unit {
        words,
        branch: None,
    }
}

/// LDREX{B,H,D} and a STREX of the same size to the same address (the
/// store succeeds), or a lone STREX (it fails: the prologue clears the
/// monitor).
fn excl_pair(rng: &mut Rng, thumb: bool, lo: u32, hi: u32) -> Unit {
    let size = rng.below(4) as u32; // 0 word, 1 doubleword, 2 byte, 3 halfword
    let pick = |rng: &mut Rng, avoid: &[u32], even: bool| loop {
        let r = reg(rng, thumb);
        if !avoid.contains(&r) && (!even || (r.is_multiple_of(2) && r < 12)) {
            break r;
        }
    };
    let dual = size == 1;
    // A32 LDREXD/STREXD take an even pair, T32 any two registers; the
    // load must not overwrite the base the store uses.
    let t = pick(rng, &[], dual && !thumb);
    let t2 = match (dual, thumb) {
        (false, _) => 15,
        (true, true) => pick(rng, &[t], false),
        (true, false) => t + 1,
    };
    let rn = pick(rng, &[t, t2], false);
    let st = pick(rng, &[], dual && !thumb);
    let st2 = match (dual, thumb) {
        (false, _) => 15,
        (true, true) => pick(rng, &[st], false),
        (true, false) => st + 1,
    };
    let s = pick(rng, &[rn, st, st2], false);
    let align = [4, 8, 1, 2][size as usize];
    let ea = (lo + rng.below((hi - lo - 16) as u64) as u32) & !(align - 1);
    let mut words = Vec::new();
    setup(thumb, &mut words, rn, ea);
    let (ld, stx) = if thumb {
        let sz = [0, 3, 0, 1][size as usize];
        if size == 0 {
            (
                (0xe850 | rn) << 16 | t << 12 | 0xf00,
                (0xe840 | rn) << 16 | st << 12 | s << 8,
            )
        } else {
            (
                (0xe8d0 | rn) << 16 | t << 12 | t2 << 8 | 0x4f | sz << 4,
                (0xe8c0 | rn) << 16 | st << 12 | st2 << 8 | 0x40 | sz << 4 | s,
            )
        }
    } else {
        (
            0xe190_0f9f | size << 21 | rn << 16 | t << 12,
            0xe180_0f90 | size << 21 | rn << 16 | s << 12 | st,
        )
    };
    if rng.chance(3, 4) {
        words.push(Out {
            word: ld,
            size: 4,
            random: true,
        });
    }
    words.push(Out {
        word: stx,
        size: 4,
        random: true,
    });
    Unit {
        words,
        branch: None,
    }
}

/// SETEND BE, a load or store (its setup first), SETEND LE: big-endian
/// data accesses, the state back to little-endian before the epilogue.
fn big_endian(rng: &mut Rng, thumb: bool, lo: u32, hi: u32) -> Unit {
    let tab = table();
    let (be, le, size) = if thumb {
        (0xb658, 0xb650, 2)
    } else {
        (0xf101_0200, 0xf101_0000, 4)
    };
    let m = draw(rng, &tab.mem[usize::from(thumb)], thumb, false, lo, hi);
    let mut words: Vec<Out> = m.words.iter().filter(|o| !o.random).copied().collect();
    words.push(Out {
        word: be,
        size,
        random: true,
    });
    words.extend(m.words.iter().filter(|o| o.random).copied());
    // Not random: shrinking must not remove it (the epilogue is little-endian).
    words.push(Out {
        word: le,
        size,
        random: false,
    });
    Unit {
        words,
        branch: None,
    }
}

fn unit(rng: &mut Rng, thumb: bool, lo: u32, hi: u32) -> Unit {
    let tab = table();
    if thumb && rng.chance(1, IT_ONE_IN) {
        return it_block(rng, lo, hi);
    }
    if rng.chance(1, 40) {
        return excl_pair(rng, thumb, lo, hi);
    }
    if rng.chance(1, 40) {
        return big_endian(rng, thumb, lo, hi);
    }
    draw(rng, &tab.modes[usize::from(thumb)], thumb, false, lo, hi)
}

/// Patches branch `w` of kind `b` at `at` to reach `to`, or None when the
/// form cannot reach it.
fn patch(w: u32, b: Br, at: u32, to: u32) -> Option<u32> {
    let off = to as i64 - at as i64;
    Some(match b {
        Br::A32 => {
            let d = (off - 8) >> 2;
            (w & 0xff00_0000) | (d as u32 & 0xff_ffff)
        }
        Br::T16Cond => {
            let d = (off - 4) >> 1;
            if !(-128..128).contains(&d) {
                return None;
            }
            (w & 0xff00) | (d as u32 & 0xff)
        }
        Br::T16 => {
            let d = (off - 4) >> 1;
            if !(-1024..1024).contains(&d) {
                return None;
            }
            (w & 0xf800) | (d as u32 & 0x7ff)
        }
        Br::Cbz => {
            let d = (off - 4) >> 1;
            if !(0..64).contains(&d) {
                return None;
            }
            let d = d as u32;
            (w & !0x02f8) | (d >> 5) << 9 | (d & 31) << 3
        }
        Br::T32Cond => {
            let d = ((off - 4) >> 1) as u32;
            // S:J2:J1:imm6:imm11 (all zero above for short forward offsets).
            (w & 0xfbc0_d000) | (d >> 11 & 0x3f) << 16 | (d & 0x7ff)
        }
        Br::T32 => {
            let d = ((off - 4) >> 1) as u32;
            // S = 0, I1 = I2 = 0: J1 = J2 = 1.
            (w & 0xf800_d000) | (d >> 11 & 0x3ff) << 16 | 1 << 13 | 1 << 11 | (d & 0x7ff)
        }
    })
}

/// `n` random units for a case starting at `start` in A32 or T32, with
/// scratch memory `[scratch, scratch + size)`.
pub fn case(rng: &mut Rng, n: usize, thumb: bool, start: u32, scratch: u32, size: u32) -> Vec<Out> {
    let units: Vec<Unit> = (0..n)
        .map(|_| unit(rng, thumb, scratch, scratch + size))
        .collect();
    let mut starts = Vec::with_capacity(n + 1);
    let mut pc = start;
    for u in &units {
        starts.push(pc);
        pc += u.words.iter().map(|o| o.size as u32).sum::<u32>();
    }
    starts.push(pc);
    let mut out = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let mut at = starts[i];
        for (k, o) in u.words.iter().enumerate() {
            let mut o = *o;
            if let Some((bk, b)) = u.branch {
                if bk == k {
                    let j = i + 1 + rng.below((n - i) as u64) as usize;
                    o.word = patch(o.word, b, at, starts[j])
                        .or_else(|| patch(o.word, b, at, starts[i + 1]))
                        .expect("a branch reaches the next unit");
                }
            }
            at += o.size as u32;
            out.push(o);
        }
    }
    out
}
