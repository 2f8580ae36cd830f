//! 32-bit Arm (A32 and T32) differential testing: the test program's
//! layout and harness code (`asm.rs` encodes it), random machine state, and
//! the random instruction generator (`gen.rs`; forms in `forms.rs` scalar,
//! `vfp.rs` VFP/NEON).
//!
//! Program layout: A32 code at `CODE` (start-up: sigaltstack + handlers for
//! SIGILL/SIGTRAP/SIGBUS/SIGFPE/SIGSEGV; then every case; then a loop
//! writing the output region to stdout and exit_group; then the signal
//! handler). Data at `DATA`: the current case index, the sigaction and
//! stack_t structs, the resume table (entry i: where case i's end or fault
//! continues, the start of case i + 1), the alternate signal stack, the
//! input blocks, and the output region (one record per case, then each
//! case's scratch memory).
//!
//! A case: an A32 prologue (record the case index, CLREX, zero TPIDRURW,
//! load APSR (NZCVQ, GE), FPSCR and D0-D31 from the input block, then
//! `LDM r0, {r0-r15}`, whose PC value enters the random instructions in
//! A32 or, with bit 0 set, T32); the random instructions; an epilogue in
//! the case's instruction set (r0 parked in TPIDRURW while r0 addresses the
//! record; store r0-r14, APSR, FPSCR, D0-D31) that loads the next case's
//! address from the resume table into the PC. The IT state must be clear at
//! the end: the generator closes every IT block inside the case, and an IT
//! state left over would make the epilogue's own instructions conditional.
//! On a fault the handler (A32, on the alternate stack, SA_NODEFER so it
//! can leave without sigreturn) stores the signal, si_code, si_addr and the
//! interrupted pc, r0-r14, CPSR (flags, GE, IT, T), FPSCR and D0-D31 from
//! the ucontext (its VFP record), and resumes with the next case.

pub mod asm;
pub mod forms;
pub mod gen;
pub mod vfp;

use super::{values, Batch, Case, Field, Insn, Rng};
use asm::*;

pub const CODE: u32 = 0x1_0000;
pub const DATA: u32 = 0x1000_0000;
const EM_ARM: u16 = 40;
/// EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD.
const EF_ARM: u32 = 0x0500_0400;

/// Record layout (the input block shares it: the entry address sits in the
/// CPSR slot, the input APSR in the signal slot).
pub const RECORD: usize = 352;
const OFF_CPSR: u32 = 60;
const OFF_ENTRY: u32 = 60;
const OFF_FPSCR: u32 = 64;
const OFF_SIG: u32 = 68;
const OFF_APSR_IN: u32 = 68;
const OFF_CODE: u32 = 72;
const OFF_PC: u32 = 76;
const OFF_ADDR: u32 = 80;
const OFF_D: u32 = 96;
/// Scratch memory per case.
pub const SCRATCH: usize = 1024;

const CUR: u32 = DATA;
const SIGACT: u32 = DATA + 0x40;
const STACK_T: u32 = DATA + 0x80;
const RESUME: u32 = DATA + 0x100;
const ALTSTACK_SIZE: u32 = 0x1_0000;

/// ucontext offsets (arch/arm uapi: uc_mcontext at 20, uc_regspace at 232
/// holding the VFP record: magic, size, 32 doubles, FPSCR).
const UC_R0: u32 = 32;
const UC_PC: u32 = 92;
const UC_CPSR: u32 = 96;
const UC_VFP_D: u32 = 240;
const UC_FPSCR: u32 = 496;
/// CPSR bits compared: N Z C V Q, IT, GE, T.
pub const CPSR_MASK: u32 = 0xfe0f_fc20;

pub fn fields() -> Vec<Field> {
    let mut f = Vec::new();
    let mut add = |name: String, offset: u32, size: usize| {
        f.push(Field {
            name,
            offset: offset as usize,
            size,
        })
    };
    for r in 0..15 {
        add(format!("r{r}"), 4 * r, 4);
    }
    add("cpsr".into(), OFF_CPSR, 4);
    add("fpscr".into(), OFF_FPSCR, 4);
    add("signal".into(), OFF_SIG, 4);
    add("si_code".into(), OFF_CODE, 4);
    add("fault_pc".into(), OFF_PC, 4);
    add("si_addr".into(), OFF_ADDR, 4);
    for d in 0..32 {
        add(format!("d{d}"), OFF_D + 8 * d, 8);
    }
    f
}

fn prologue(c: &mut Code, idx: usize, input: u32) {
    for w in a32_mov32(0, CUR) {
        c.a(w);
    }
    for w in a32_mov32(1, idx as u32) {
        c.a(w);
    }
    c.a(str(1, 0, 0));
    c.a(CLREX);
    c.a(a32_mov32(1, 0)[0]);
    c.a(mcr_tpidrurw(1));
    for w in a32_mov32(0, input) {
        c.a(w);
    }
    c.a(ldr(1, 0, OFF_APSR_IN));
    c.a(msr_apsr(1));
    c.a(ldr(1, 0, OFF_FPSCR));
    c.a(vmsr(1));
    c.a(add_imm(1, 0, OFF_D));
    c.a(vldm16(1, true, false));
    c.a(vldm16(1, false, true));
    c.a(ldm(0, false, 0xffff));
}

fn epilogue(c: &mut Code, thumb: bool, record: u32, next: u32) {
    if thumb {
        c.t(4, mcr_tpidrurw(0));
        for w in t32_mov32(0, record + 4) {
            c.t(4, w);
        }
        c.t(4, t_stm(0, 0x1ffe));
        c.t(4, t_str(13, 0, 48));
        c.t(4, t_str(14, 0, 52));
        for w in t32_mov32(0, record) {
            c.t(4, w);
        }
        c.t(4, mrc_tpidrurw(1));
        c.t(4, t_str(1, 0, 0));
        c.t(4, t_mrs_apsr(1));
        c.t(4, t_str(1, 0, OFF_CPSR));
        c.t(4, vmrs(1));
        c.t(4, t_str(1, 0, OFF_FPSCR));
        c.t(4, t_addw(1, 0, OFF_D));
        c.t(4, vstm16(1, true, false));
        c.t(4, vstm16(1, false, true));
        for w in t32_mov32(1, next) {
            c.t(4, w);
        }
        c.t(4, t_ldr(15, 1, 0));
        c.align4();
    } else {
        c.a(mcr_tpidrurw(0));
        for w in a32_mov32(0, record) {
            c.a(w);
        }
        c.a(0xe980_7ffe); // STMIB r0, {r1-r14}
        c.a(mrc_tpidrurw(1));
        c.a(str(1, 0, 0));
        c.a(mrs_apsr(1));
        c.a(str(1, 0, OFF_CPSR));
        c.a(vmrs(1));
        c.a(str(1, 0, OFF_FPSCR));
        c.a(add_imm(1, 0, OFF_D));
        c.a(vstm16(1, true, false));
        c.a(vstm16(1, false, true));
        for w in a32_mov32(1, next) {
            c.a(w);
        }
        c.a(ldr(15, 1, 0));
    }
}

fn handler(c: &mut Code, out_base: u32) {
    for w in a32_mov32(4, CUR) {
        c.a(w);
    }
    c.a(ldr(5, 4, 0));
    for w in a32_mov32(6, out_base) {
        c.a(w);
    }
    for w in a32_mov32(7, RECORD as u32) {
        c.a(w);
    }
    c.a(mla(6, 5, 7, 6));
    for (src, off, dst) in [
        (1, 0, OFF_SIG),
        (1, 8, OFF_CODE),
        (1, 12, OFF_ADDR),
        (2, UC_PC, OFF_PC),
        (2, UC_FPSCR, OFF_FPSCR),
    ] {
        c.a(ldr(3, src, off));
        c.a(str(3, 6, dst));
    }
    for r in 0..15 {
        c.a(ldr(3, 2, UC_R0 + 4 * r));
        c.a(str(3, 6, 4 * r));
    }
    c.a(ldr(3, 2, UC_CPSR));
    for w in a32_mov32(7, CPSR_MASK) {
        c.a(w);
    }
    c.a(and_reg(3, 3, 7));
    c.a(str(3, 6, OFF_CPSR));
    c.a(add_imm(8, 2, UC_VFP_D));
    c.a(add_imm(9, 6, OFF_D));
    for _ in 0..8 {
        c.a(ldm(8, true, 0x1c9b));
        c.a(stm(9, true, 0x1c9b));
    }
    for w in a32_mov32(4, RESUME) {
        c.a(w);
    }
    c.a(ldr_idx4(15, 4, 5));
}

/// A random 32-bit register value, biased to edge cases.
pub fn int32_value(rng: &mut Rng) -> u32 {
    match rng.below(12) {
        0 => 0,
        1 => 1,
        2 => u32::MAX,
        3 => [
            0x8000_0000u32,
            0x7fff_ffff,
            0x8000,
            0x7fff,
            0xffff,
            0xff,
            0x80,
            0x7f,
            0xffff_8000,
            0x00ff_00ff,
            0x8080_8080,
            0x7f7f_7f7f,
        ][rng.below(12) as usize],
        4 | 5 => rng.below(256) as u32,
        6 => (rng.below(256) as u32).wrapping_neg(),
        7 => values::fp32_value(rng),
        _ => rng.next() as u32,
    }
}

/// Random registers, flags, FPSCR and D registers for one case's input
/// (the entry address is `layout`'s).
fn random_input(rng: &mut Rng, block: &mut [u8]) {
    let put = |b: &mut [u8], off: u32, v: u32| {
        b[off as usize..off as usize + 4].copy_from_slice(&v.to_le_bytes())
    };
    for r in 0..15 {
        let v = int32_value(rng);
        put(block, 4 * r, v);
    }
    // N Z C V Q and GE.
    put(block, OFF_APSR_IN, rng.next() as u32 & 0xf80f_0000);
    let fpscr = if rng.chance(1, 3) {
        0
    } else {
        // NZCV, QC, AHP, DN, FZ, RMode, IDC and the cumulative flags.
        rng.next() as u32 & 0xffc0_009f
    };
    put(block, OFF_FPSCR, fpscr);
    for d in 0..32 {
        let o = (OFF_D + 8 * d) as usize;
        let v = values::vec_value(rng);
        block[o..o + 8].copy_from_slice(&v[..8]);
    }
}

/// A case's input block as report lines.
fn show_input(b: &[u8]) -> String {
    let w = |o: u32| u32::from_le_bytes(b[o as usize..o as usize + 4].try_into().unwrap());
    let mut s = String::new();
    for r in 0..15 {
        s += &format!(
            "r{r}={:#x}{}",
            w(4 * r),
            if r % 8 == 7 { "\n" } else { " " }
        );
    }
    s += &format!("\napsr={:#x} fpscr={:#x}\n", w(OFF_APSR_IN), w(OFF_FPSCR));
    for d in 0..32 {
        let o = (OFF_D + 8 * d) as usize;
        let v = u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        s += &format!("d{d}={v:#x}{}", if d % 4 == 3 { "\n" } else { " " });
    }
    s
}

/// One generated case: everything `layout` needs to place it.
struct Gen {
    thumb: bool,
    insns: Vec<gen::Out>,
    /// The input block (its entry slot is filled in by `layout`).
    input: Vec<u8>,
    scratch: Vec<u8>,
    /// Where the scratch memory must be (memory setup points there).
    scratch_addr: u32,
}

impl Gen {
    /// `Case::state`: thumb, scratch address, input block, scratch.
    fn state(&self) -> Vec<u8> {
        let mut s = vec![u8::from(self.thumb)];
        s.extend_from_slice(&self.scratch_addr.to_le_bytes());
        s.extend_from_slice(&self.input);
        s.extend_from_slice(&self.scratch);
        s
    }
    fn from_case(c: &Case) -> Option<Gen> {
        let s = &c.state;
        if s.len() != 5 + RECORD + SCRATCH {
            return None;
        }
        Some(Gen {
            thumb: s[0] == 1,
            insns: c
                .insns
                .iter()
                .map(|x| gen::Out {
                    word: x.word,
                    size: x.size,
                    random: x.random,
                })
                .collect(),
            scratch_addr: u32::from_le_bytes(s[1..5].try_into().ok()?),
            input: s[5..5 + RECORD].to_vec(),
            scratch: s[5 + RECORD..].to_vec(),
        })
    }
}

/// Data addresses for `n` cases: (alternate stack, inputs, outputs,
/// scratch memory).
fn data_layout(n: usize) -> (u32, u32, u32, u32) {
    let resume_end = RESUME + 4 * (n as u32 + 1);
    let altstack = resume_end.div_ceil(0x1000) * 0x1000;
    let in_base = altstack + ALTSTACK_SIZE;
    let out_base = (in_base + (n * RECORD) as u32).div_ceil(0x1000) * 0x1000;
    (altstack, in_base, out_base, out_base + (n * RECORD) as u32)
}

/// Builds a batch with about `insns` random instructions, half the cases
/// A32 and half T32 (or only one set with `MIMIC_DIFFTEST_ISA=a32|t32`).
pub fn build(rng: &mut Rng, insns: usize) -> Batch {
    const MAX_LEN: usize = 12;
    let only = std::env::var("MIMIC_DIFFTEST_ISA").ok();
    let mut plan = Vec::new();
    let mut total = 0;
    while total < insns {
        let n = (1 + rng.below(MAX_LEN as u64) as usize).min(insns - total);
        let thumb = match only.as_deref() {
            Some("a32") => false,
            Some("t32") => true,
            _ => rng.chance(1, 2),
        };
        plan.push((n, thumb));
        total += n;
    }
    let mem_base = data_layout(plan.len()).3;
    let gens: Vec<Gen> = plan
        .iter()
        .enumerate()
        .map(|(i, &(len, thumb))| {
            let scratch_addr = mem_base + (i * SCRATCH) as u32;
            let mut input = vec![0u8; RECORD];
            random_input(rng, &mut input);
            let mut scratch = vec![0u8; SCRATCH];
            values::fill_scratch(rng, &mut scratch);
            // Branch offsets are relative: generate at address 0.
            let insns = gen::case(rng, len, thumb, 0, scratch_addr, SCRATCH as u32);
            Gen {
                thumb,
                insns,
                input,
                scratch,
                scratch_addr,
            }
        })
        .collect();
    layout(&gens, false)
}

/// Lays out generated cases as one program; `own_scratch` keeps a single
/// case's scratch memory at its original address (for shrinking).
fn layout(gens: &[Gen], own_scratch: bool) -> Batch {
    let n = gens.len();
    let (altstack, in_base, out_base, mut mem_base) = data_layout(n);
    if own_scratch {
        assert!(n == 1 && gens[0].scratch_addr >= mem_base);
        mem_base = gens[0].scratch_addr;
    }
    let data_len = (mem_base - DATA) as usize + n * SCRATCH;
    let mut data = vec![0u8; data_len];
    let dput = |d: &mut [u8], addr: u32, v: u32| {
        let o = (addr - DATA) as usize;
        d[o..o + 4].copy_from_slice(&v.to_le_bytes());
    };

    let mut c = Code {
        base: CODE,
        bytes: Vec::new(),
    };
    for w in a32_mov32(0, STACK_T) {
        c.a(w);
    }
    c.a(a32_mov32(1, 0)[0]);
    c.a(a32_mov32(7, 186)[0]); // sigaltstack
    c.a(SVC0);
    for sig in [4u32, 5, 7, 8, 11] {
        c.a(a32_mov32(0, sig)[0]);
        for w in a32_mov32(1, SIGACT) {
            c.a(w);
        }
        c.a(a32_mov32(2, 0)[0]);
        c.a(a32_mov32(3, 8)[0]);
        c.a(a32_mov32(7, 174)[0]); // rt_sigaction
        c.a(SVC0);
    }
    let mut cases = Vec::with_capacity(n);
    let mut resume = Vec::with_capacity(n + 1);
    for (i, g) in gens.iter().enumerate() {
        if i > 0 {
            resume.push(c.pc());
        }
        let input = in_base + (i * RECORD) as u32;
        let scratch = mem_base + (i * SCRATCH) as u32;
        prologue(&mut c, i, input);
        let start = c.pc();
        let ib = (input - DATA) as usize;
        data[ib..ib + RECORD].copy_from_slice(&g.input);
        dput(&mut data, input + OFF_ENTRY, start | u32::from(g.thumb));
        let sb = (scratch - DATA) as usize;
        data[sb..sb + SCRATCH].copy_from_slice(&g.scratch);
        let mut case = Case {
            input: show_input(&g.input),
            state: g.state(),
            ..Case::default()
        };
        for x in &g.insns {
            case.insns.push(Insn {
                addr: c.pc() as u64,
                word: x.word,
                size: x.size,
                mode: u8::from(g.thumb),
                random: x.random,
            });
            c.put(g.thumb, x.size, x.word);
        }
        epilogue(
            &mut c,
            g.thumb,
            out_base + (i * RECORD) as u32,
            RESUME + 4 * i as u32,
        );
        cases.push(case);
    }
    resume.push(c.pc());
    // Write the output region, then exit_group(0).
    let out_len = (n * (RECORD + SCRATCH)) as u32;
    for w in a32_mov32(4, out_base) {
        c.a(w);
    }
    for w in a32_mov32(5, out_len) {
        c.a(w);
    }
    let lp = c.pc();
    c.a(a32_mov32(0, 1)[0]);
    c.a(add_imm(1, 4, 0));
    c.a(add_imm(2, 5, 0));
    c.a(a32_mov32(7, 4)[0]);
    c.a(SVC0);
    c.a(cmp0(0));
    let at = c.pc();
    c.a(b_cond(COND_LE, at, at + 24));
    c.a(add_reg(4, 4, 0));
    c.a(sub_reg(5, 5, 0));
    c.a(cmp0(5));
    let at = c.pc();
    c.a(b_cond(COND_NE, at, lp));
    c.a(a32_mov32(0, 0)[0]);
    c.a(a32_mov32(7, 248)[0]);
    c.a(SVC0);
    let handler_addr = c.pc();
    handler(&mut c, out_base);

    // sigaction: handler, SA_SIGINFO | SA_ONSTACK | SA_NODEFER, no restorer, empty mask.
    dput(&mut data, SIGACT, handler_addr);
    dput(&mut data, SIGACT + 4, 4 | 0x0800_0000 | 0x4000_0000);
    dput(&mut data, STACK_T, altstack);
    dput(&mut data, STACK_T + 8, ALTSTACK_SIZE);
    for (k, &a) in resume.iter().enumerate() {
        dput(&mut data, RESUME + 4 * k as u32, a);
    }
    let code_len = c.bytes.len() as u64;
    let elf = super::elf::write_elf32(
        EM_ARM,
        EF_ARM,
        CODE,
        &[
            super::elf::Segment {
                vaddr: CODE as u64,
                data: c.bytes,
                mem_size: code_len,
                flags: super::elf::PF_R | super::elf::PF_X,
            },
            super::elf::Segment {
                vaddr: DATA as u64,
                mem_size: data_len as u64,
                data,
                flags: super::elf::PF_R | super::elf::PF_W,
            },
        ],
    );
    Batch {
        elf,
        cases,
        fields: fields(),
        record_size: RECORD,
        mem_size: SCRATCH,
        mem_base: mem_base as u64,
    }
}

/// The A32/T32 target for `super::run`.
pub struct A32;

impl super::Target for A32 {
    fn name(&self) -> &'static str {
        "a32"
    }
    fn build(&self, rng: &mut Rng, insns: usize) -> Batch {
        build(rng, insns)
    }
    fn rebuild(&self, case: &Case) -> Option<Batch> {
        Some(layout(&[Gen::from_case(case)?], true))
    }
    fn nop(&self, insn: &Insn) -> Option<u32> {
        Some(match (insn.mode, insn.size) {
            (0, _) => A32_NOP,
            (_, 2) => T16_NOP,
            _ => 0xf3af_8000,
        })
    }
    fn qemu(&self) -> Vec<String> {
        vec!["qemu-arm".into(), "-cpu".into(), "max".into()]
    }
    fn disas(&self, insn: &Insn) -> String {
        let thumb = insn.mode == 1;
        let bytes: Vec<u8> = if thumb && insn.size == 4 {
            [(insn.word >> 16) as u16, insn.word as u16]
                .iter()
                .flat_map(|h| h.to_le_bytes())
                .collect()
        } else {
            insn.word.to_le_bytes()[..insn.size as usize].to_vec()
        };
        let text = target_arm::disas::disas(insn.addr, &bytes, thumb);
        let text = text.lines().next().unwrap_or("").to_string();
        let body = text.split_once("  ").map_or("", |x| x.1).trim();
        let body = body.split_once("  ").map_or(body, |x| x.1).trim();
        format!(
            "{:#010x}: {} {:0w$x}  {}",
            insn.addr,
            if thumb { "T32" } else { "A32" },
            insn.word,
            body,
            w = 2 * insn.size as usize
        )
    }
    fn show(&self, field: &str, bytes: &[u8]) -> String {
        let h = super::hex(bytes);
        if field.starts_with('d') && bytes.len() == 8 {
            let v = u64::from_le_bytes(bytes.try_into().unwrap());
            return format!(
                "{h} ({:e} | {:e},{:e})",
                f64::from_bits(v),
                f32::from_bits(v as u32),
                f32::from_bits((v >> 32) as u32)
            );
        }
        h
    }
    fn known(&self) -> super::known::KnownList {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/difftest/a32-known-diffs.txt"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        super::known::KnownList::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}
