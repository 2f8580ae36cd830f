//! AArch64 differential testing: the test program's layout and harness code
//! (`asm.rs` encodes it), random machine state, and the random instruction
//! generator (`gen.rs`).
//!
//! Program layout: code at `CODE` (start-up: sigaltstack + handlers for
//! SIGILL/SIGTRAP/SIGBUS/SIGFPE/SIGSEGV; then every case back to back; then
//! a loop writing the output region to stdout and exit_group; then the
//! signal handler). Data at `DATA`: the current case index, the sigaction
//! and stack_t structs, the resume table (case i's fault continues at entry
//! i), the alternate signal stack, the input blocks, and the output region
//! (one record per case, then each case's scratch memory).
//!
//! A case: prologue (record the case index, CLREX, load NZCV, FPCR, FPSR,
//! SP, V0-V31 and X0-X30 from its input block), the random instructions,
//! epilogue (X0 parked in TPIDR_EL0 while X0 addresses the record; store
//! X0-X30, SP, NZCV, FPCR, FPSR, V0-V31). On a fault the handler (on the
//! alternate stack, SA_NODEFER so it can leave without sigreturn) stores
//! the signal, si_code, si_addr and the interrupted pc, X0-X30/SP/NZCV from
//! the ucontext, FPCR/FPSR and V0-V31 (still live), and jumps to the next
//! case.

pub mod asm;
pub mod gen;

use super::{values, Batch, Case, Field, Insn, Rng};
use asm::*;

pub const CODE: u64 = 0x40_0000;
pub const DATA: u64 = 0x1000_0000;
const EM_AARCH64: u16 = 183;

/// Record and input block layout.
pub const RECORD: usize = 832;
const OFF_SP: u32 = 248;
const OFF_NZCV: u32 = 256;
const OFF_FPCR: u32 = 264;
const OFF_FPSR: u32 = 272;
const OFF_SIG: u32 = 280;
const OFF_CODE: u32 = 288;
const OFF_PC: u32 = 296;
const OFF_ADDR: u32 = 304;
const OFF_V: u32 = 320;
/// Scratch memory per case.
pub const SCRATCH: usize = 512;

const CUR: u64 = DATA;
const SIGACT: u64 = DATA + 0x40;
const STACK_T: u64 = DATA + 0x80;
const RESUME: u64 = DATA + 0x100;
const ALTSTACK_SIZE: u64 = 0x1_0000;

/// ucontext offsets (arm64 uapi: uc_mcontext at 176).
const UC_REGS: u32 = 184;
const UC_SP: u32 = 432;
const UC_PC: u32 = 440;
const UC_PSTATE: u32 = 448;

pub fn fields() -> Vec<Field> {
    let mut f = Vec::new();
    let mut add = |name: String, offset: u32, size: usize| {
        f.push(Field {
            name,
            offset: offset as usize,
            size,
        })
    };
    for r in 0..31 {
        add(format!("x{r}"), 8 * r, 8);
    }
    add("sp".into(), OFF_SP, 8);
    add("nzcv".into(), OFF_NZCV, 8);
    add("fpcr".into(), OFF_FPCR, 8);
    add("fpsr".into(), OFF_FPSR, 8);
    add("signal".into(), OFF_SIG, 8);
    add("si_code".into(), OFF_CODE, 8);
    add("fault_pc".into(), OFF_PC, 8);
    add("si_addr".into(), OFF_ADDR, 8);
    for v in 0..32 {
        add(format!("v{v}"), OFF_V + 16 * v, 16);
    }
    f
}

struct Code {
    words: Vec<u32>,
}
impl Code {
    fn pc(&self) -> u64 {
        CODE + 4 * self.words.len() as u64
    }
    fn put(&mut self, w: u32) {
        self.words.push(w);
    }
    fn extend(&mut self, w: impl IntoIterator<Item = u32>) {
        self.words.extend(w);
    }
}

fn prologue(c: &mut Code, idx: usize, input: u64) {
    c.extend(mov64(9, CUR));
    c.extend(mov64(10, idx as u64));
    c.put(str_x(10, 9, 0));
    c.put(CLREX);
    // TPIDR_EL0 held the previous case's X0 (epilogue): start each case
    // from zero so a case's MRS TPIDR_EL0 depends on that case only.
    c.put(msr(TPIDR_EL0, 31));
    c.extend(mov64(0, input));
    for (off, reg) in [(OFF_NZCV, NZCV), (OFF_FPCR, FPCR), (OFF_FPSR, FPSR)] {
        c.put(ldr_x(1, 0, off));
        c.put(msr(reg, 1));
    }
    c.put(ldr_x(1, 0, OFF_SP));
    c.put(add_imm(SP, 1, 0));
    c.put(add_imm(1, 0, OFF_V));
    for v in 0..16 {
        c.put(ldp_q_post32(2 * v, 2 * v + 1, 1));
    }
    for r in (2..30).step_by(2) {
        c.put(ldp_x(r, r + 1, 0, 8 * r));
    }
    c.put(ldr_x(30, 0, 240));
    c.put(ldr_x(1, 0, 8));
    c.put(ldr_x(0, 0, 0));
}

fn epilogue(c: &mut Code, record: u64) {
    c.put(msr(TPIDR_EL0, 0));
    c.extend(mov64(0, record));
    for r in (1..31).step_by(2) {
        c.put(stp_x(r, r + 1, 0, 8 * r));
    }
    c.put(mrs(1, TPIDR_EL0));
    c.put(str_x(1, 0, 0));
    c.put(add_imm(1, SP, 0));
    c.put(str_x(1, 0, OFF_SP));
    for (off, reg) in [(OFF_NZCV, NZCV), (OFF_FPCR, FPCR), (OFF_FPSR, FPSR)] {
        c.put(mrs(1, reg));
        c.put(str_x(1, 0, off));
    }
    c.put(add_imm(1, 0, OFF_V));
    for v in 0..16 {
        c.put(stp_q_post32(2 * v, 2 * v + 1, 1));
    }
}

fn handler(c: &mut Code, out_base: u64) {
    c.extend(mov64(9, CUR));
    c.put(ldr_x(10, 9, 0));
    c.extend(mov64(11, out_base));
    c.extend(mov64(12, RECORD as u64));
    c.put(madd(11, 10, 12, 11));
    c.put(ldr_w(3, 1, 0));
    c.put(str_x(3, 11, OFF_SIG));
    c.put(ldr_w(3, 1, 8));
    c.put(str_x(3, 11, OFF_CODE));
    c.put(ldr_x(3, 1, 16));
    c.put(str_x(3, 11, OFF_ADDR));
    c.put(ldr_x(3, 2, UC_PC));
    c.put(str_x(3, 11, OFF_PC));
    for r in 0..31 {
        c.put(ldr_x(3, 2, UC_REGS + 8 * r));
        c.put(str_x(3, 11, 8 * r));
    }
    c.put(ldr_x(3, 2, UC_SP));
    c.put(str_x(3, 11, OFF_SP));
    c.put(ldr_x(3, 2, UC_PSTATE));
    c.put(and_nzcv(3, 3));
    c.put(str_x(3, 11, OFF_NZCV));
    c.put(mrs(3, FPCR));
    c.put(str_x(3, 11, OFF_FPCR));
    c.put(mrs(3, FPSR));
    c.put(str_x(3, 11, OFF_FPSR));
    c.put(add_imm(4, 11, OFF_V));
    for v in 0..16 {
        c.put(stp_q_post32(2 * v, 2 * v + 1, 4));
    }
    c.extend(mov64(9, RESUME));
    c.put(ldr_x_idx(13, 9, 10));
    c.put(br(13));
}

/// Random register and flag contents for one case's input block.
fn random_input(rng: &mut Rng, block: &mut [u8], scratch: u64) {
    for r in 0..31 {
        let v = values::int_value(rng);
        block[8 * r..8 * r + 8].copy_from_slice(&v.to_le_bytes());
    }
    let sp = scratch + 256;
    let put = |b: &mut [u8], off: u32, v: u64| {
        b[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes())
    };
    put(block, OFF_SP, sp);
    put(block, OFF_NZCV, rng.below(16) << 28);
    let fpcr = if rng.chance(1, 2) {
        0
    } else {
        // AHP, DN, FZ, RMode, FZ16.
        rng.next() & (1 << 26 | 1 << 25 | 1 << 24 | 3 << 22 | 1 << 19)
    };
    put(block, OFF_FPCR, fpcr);
    let fpsr = if rng.chance(1, 2) {
        0
    } else {
        rng.next() & 0x0800_009f
    };
    put(block, OFF_FPSR, fpsr);
    for v in 0..32 {
        let o = (OFF_V + 16 * v) as usize;
        block[o..o + 16].copy_from_slice(&values::vec_value(rng));
    }
}

/// Builds a batch with about `insns` random instructions.
pub fn build(rng: &mut Rng, insns: usize) -> Batch {
    // Cases of 1..=MAX_LEN random instructions; the count is known after
    // generation, so generate first and lay out after.
    const MAX_LEN: usize = 12;
    let mut units_per_case = Vec::new();
    let mut total = 0;
    while total < insns {
        let n = 1 + rng.below(MAX_LEN as u64) as usize;
        let n = n.min(insns - total);
        units_per_case.push(n);
        total += n;
    }
    let n = units_per_case.len();
    let resume_end = RESUME + 8 * (n as u64 + 1);
    let altstack = resume_end.div_ceil(0x1000) * 0x1000;
    let in_base = altstack + ALTSTACK_SIZE;
    let out_base = (in_base + (n * RECORD) as u64).div_ceil(0x1000) * 0x1000;
    let mem_base = out_base + (n * RECORD) as u64;
    let data_len = (mem_base - DATA) as usize + n * SCRATCH;
    let mut data = vec![0u8; data_len];
    let dput = |d: &mut [u8], addr: u64, v: u64| {
        let o = (addr - DATA) as usize;
        d[o..o + 8].copy_from_slice(&v.to_le_bytes());
    };

    let mut c = Code { words: Vec::new() };
    // Start-up.
    c.extend(mov64(0, STACK_T));
    c.put(movz(1, 0));
    c.put(movz(8, 132)); // sigaltstack
    c.put(SVC0);
    for sig in [4u32, 5, 7, 8, 11] {
        c.put(movz(0, sig));
        c.extend(mov64(1, SIGACT));
        c.put(movz(2, 0));
        c.put(movz(3, 8));
        c.put(movz(8, 134)); // rt_sigaction
        c.put(SVC0);
    }
    let mut cases = Vec::with_capacity(n);
    let mut resume = Vec::with_capacity(n + 1);
    for (i, &len) in units_per_case.iter().enumerate() {
        if i > 0 {
            resume.push(c.pc());
        }
        let input = in_base + (i * RECORD) as u64;
        let scratch = mem_base + (i * SCRATCH) as u64;
        let ib = (input - DATA) as usize;
        random_input(rng, &mut data[ib..ib + RECORD], scratch);
        let sb = (scratch - DATA) as usize;
        values::fill_scratch(rng, &mut data[sb..sb + SCRATCH]);
        prologue(&mut c, i, input);
        let start = c.pc();
        let words = gen::case(rng, len, start, scratch, SCRATCH as u64);
        let mut case = Case::default();
        for (k, &(word, random)) in words.iter().enumerate() {
            case.insns.push(Insn {
                addr: start + 4 * k as u64,
                word,
                size: 4,
                mode: 0,
                random,
            });
            c.put(word);
        }
        epilogue(&mut c, out_base + (i * RECORD) as u64);
        cases.push(case);
    }
    resume.push(c.pc());
    // Write the output region, then exit_group(0).
    let out_len = (n * (RECORD + SCRATCH)) as u64;
    c.extend(mov64(19, out_base));
    c.extend(mov64(20, out_len));
    let lp = c.pc();
    c.put(movz(0, 1));
    c.put(add_imm(1, 19, 0));
    c.put(add_imm(2, 20, 0));
    c.put(movz(8, 64));
    c.put(SVC0);
    c.put(cmp0(0));
    c.put(b_cond(COND_LE, 5 * 4));
    c.put(add_reg(19, 19, 0));
    c.put(sub_reg(20, 20, 0));
    let here = c.pc();
    c.put(cbnz(20, lp as i64 - here as i64));
    c.put(movz(0, 0));
    c.put(movz(8, 94));
    c.put(SVC0);
    let handler_addr = c.pc();
    handler(&mut c, out_base);

    // sigaction: handler, SA_SIGINFO | SA_ONSTACK | SA_NODEFER, no restorer, empty mask.
    dput(&mut data, SIGACT, handler_addr);
    dput(&mut data, SIGACT + 8, 4 | 0x0800_0000 | 0x4000_0000);
    dput(&mut data, STACK_T, altstack);
    dput(&mut data, STACK_T + 16, ALTSTACK_SIZE);
    for (k, &a) in resume.iter().enumerate() {
        dput(&mut data, RESUME + 8 * k as u64, a);
    }
    let code: Vec<u8> = c.words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let code_len = code.len() as u64;
    let elf = super::elf::write_elf64(
        EM_AARCH64,
        CODE,
        &[
            super::elf::Segment {
                vaddr: CODE,
                data: code,
                mem_size: code_len,
                flags: super::elf::PF_R | super::elf::PF_X,
            },
            super::elf::Segment {
                vaddr: DATA,
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
        mem_base,
    }
}

/// The AArch64 target for `super::run`.
pub struct A64;

impl super::Target for A64 {
    fn name(&self) -> &'static str {
        "a64"
    }
    fn build(&self, rng: &mut Rng, insns: usize) -> Batch {
        build(rng, insns)
    }
    fn qemu(&self) -> Vec<String> {
        vec!["qemu-aarch64".into(), "-cpu".into(), "max".into()]
    }
    fn disas(&self, insn: &Insn) -> String {
        target_aarch64::disas::disas(insn.addr, &insn.word.to_le_bytes())
            .trim_end()
            .to_string()
    }
    fn known(&self) -> super::known::KnownList {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/difftest/a64-known-diffs.txt"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        super::known::KnownList::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}
