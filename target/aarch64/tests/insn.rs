//! Per-instruction tests of the A64 integer frontend: hand-encoded
//! instructions (encodings from the GNU assembler, the assembly in the
//! comment), initial state, expected state. Every case runs on every
//! backend; the whole register file, the flags and the data area are
//! compared, so stray writes fail too. Each case ends with an appended
//! BRK #0 and must exit there unless it says otherwise.

mod common;

use common::*;
use target_aarch64::cpu::excp;
use target_aarch64::{model, CpuModel, CpuState};
use L::*;

#[derive(Copy, Clone, Debug)]
enum L {
    X(usize),
    Sp,
    /// NZCV as 4 bits: N=8, Z=4, C=2, V=1.
    F,
    M8(u64),
    M16(u64),
    M32(u64),
    M64(u64),
    Pc,
    Exit,
    Syn,
    Tpidr,
    Fpcr,
    Fpsr,
}

const N: u64 = 8;
const Z: u64 = 4;
const C: u64 = 2;
const V: u64 = 1;
const D: u64 = DATA;

struct Case {
    name: &'static str,
    code: &'static [u32],
    init: &'static [(L, u64)],
    exp: &'static [(L, u64)],
}

#[derive(Clone, PartialEq, Debug)]
struct State {
    x: [u64; 31],
    sp: u64,
    nzcv: u64,
    pc: u64,
    exit: u64,
    syn: u64,
    tpidr: u64,
    fpcr: u64,
    fpsr: u64,
    data: Vec<u8>,
}

fn apply(s: &mut State, l: L, v: u64) {
    let mem = |s: &mut State, a: u64, n: usize| {
        let o = (a - DATA) as usize;
        s.data[o..o + n].copy_from_slice(&v.to_le_bytes()[..n]);
    };
    match l {
        X(r) => s.x[r] = v,
        Sp => s.sp = v,
        F => s.nzcv = v,
        M8(a) => mem(s, a, 1),
        M16(a) => mem(s, a, 2),
        M32(a) => mem(s, a, 4),
        M64(a) => mem(s, a, 8),
        Pc => s.pc = v,
        Exit => s.exit = v,
        Syn => s.syn = v,
        Tpidr => s.tpidr = v,
        Fpcr => s.fpcr = v,
        Fpsr => s.fpsr = v,
    }
}

fn capture(cpu: &CpuState, mem: &Mem, exit: u32) -> State {
    State {
        x: cpu.x,
        sp: cpu.sp,
        nzcv: (cpu.nzcv() >> 28) as u64,
        pc: cpu.pc,
        exit: exit as u64,
        syn: cpu.syndrome,
        tpidr: cpu.tpidr_el0,
        fpcr: cpu.fpcr,
        fpsr: cpu.fpsr,
        data: mem.bytes()[DATA as usize..].to_vec(),
    }
}

fn run_case(c: &Case, model: &'static CpuModel, backend: Backend) -> Result<(), String> {
    let mut mem = Mem::new();
    for (k, w) in c.code.iter().chain([&BRK0]).enumerate() {
        mem.write(CODE + 4 * k as u64, 4, *w as u64);
    }
    let mut cpu = Box::<CpuState>::default();
    cpu.pc = CODE;
    cpu.sp = STACK;
    let mut start = capture(&cpu, &mem, 0);
    for &(l, v) in c.init {
        apply(&mut start, l, v);
    }
    cpu.x = start.x;
    cpu.sp = start.sp;
    cpu.set_nzcv((start.nzcv as u32) << 28);
    cpu.tpidr_el0 = start.tpidr;
    cpu.fpcr = start.fpcr;
    cpu.fpsr = start.fpsr;
    mem.bytes_mut()[DATA as usize..].copy_from_slice(&start.data);
    let mut want = start.clone();
    want.pc = CODE + 4 * c.code.len() as u64;
    want.exit = BRK as u64;
    want.syn = 0;
    for &(l, v) in c.exp {
        apply(&mut want, l, v);
    }
    let exit = run(&mut cpu, &mem, model, backend);
    let got = capture(&cpu, &mem, exit);
    if got == want {
        return Ok(());
    }
    let mut msg = format!("{} [{backend:?}]:", c.name);
    for r in 0..31 {
        if got.x[r] != want.x[r] {
            msg += &format!(" x{r}={:#x} (want {:#x})", got.x[r], want.x[r]);
        }
    }
    for (n, g, w) in [
        ("sp", got.sp, want.sp),
        ("nzcv", got.nzcv, want.nzcv),
        ("pc", got.pc, want.pc),
        ("exit", got.exit, want.exit),
        ("syndrome", got.syn, want.syn),
        ("tpidr", got.tpidr, want.tpidr),
        ("fpcr", got.fpcr, want.fpcr),
        ("fpsr", got.fpsr, want.fpsr),
    ] {
        if g != w {
            msg += &format!(" {n}={g:#x} (want {w:#x})");
        }
    }
    for (o, (g, w)) in got.data.iter().zip(&want.data).enumerate() {
        if g != w {
            msg += &format!(" mem[{:#x}]={g:#x} (want {w:#x})", DATA + o as u64);
        }
    }
    Err(msg)
}

fn run_all(cases: &[Case], model: &'static CpuModel) {
    let mut fails = vec![];
    for c in cases {
        for &b in BACKENDS {
            if let Err(e) = run_case(c, model, b) {
                fails.push(e);
            }
        }
    }
    assert!(
        fails.is_empty(),
        "{} failures:\n{}",
        fails.len(),
        fails.join("\n")
    );
}

macro_rules! cases {
    ($($name:literal [$($w:expr),* $(,)?] [$($il:expr => $iv:expr),* $(,)?] [$($el:expr => $ev:expr),* $(,)?];)*) => {
        &[$(Case {
            name: $name,
            code: &[$($w),*],
            init: &[$(($il, $iv)),*],
            exp: &[$(($el, $ev)),*],
        }),*]
    };
}

const O64: u64 = u64::MAX;
const O32: u64 = 0xffff_ffff;

#[test]
fn data_imm() {
    run_all(DATA_IMM, &model::MAX);
}

static DATA_IMM: &[Case] = cases! {
    "add imm" [0x91048c20, // add x0, x1, #0x123
    ] [X(1) => 5] [X(0) => 0x128];
    "add imm w wraps, zero-extends" [0x11000420, // add w0, w1, #1
    ] [X(1) => O64] [X(0) => 0];
    "add imm lsl12" [0x91400420, // add x0, x1, #1, lsl #12
    ] [X(1) => 1] [X(0) => 0x1001];
    "add sp" [0x910043ff, // add sp, sp, #16
        0x910023e0, // add x0, sp, #8
    ] [] [Sp => STACK + 16, X(0) => STACK + 24];
    "sub imm" [0xd1000420, // sub x0, x1, #1
    ] [X(1) => 0] [X(0) => O64];
    "adds imm V" [0xb1000420, // adds x0, x1, #1
    ] [X(1) => 0x7fff_ffff_ffff_ffff] [X(0) => 1 << 63, F => N | V];
    "adds imm w ZC" [0x31000420, // adds w0, w1, #1
    ] [X(1) => O32] [X(0) => 0, F => Z | C];
    "adds imm w NV" [0x31000420, // adds w0, w1, #1
    ] [X(1) => 0x7fff_ffff] [X(0) => 0x8000_0000, F => N | V];
    "subs imm borrow" [0xf1000420, // subs x0, x1, #1
    ] [X(1) => 0, F => Z | C] [X(0) => O64, F => N];
    "subs imm zero" [0xf1000420, // subs x0, x1, #1
    ] [X(1) => 1] [X(0) => 0, F => Z | C];
    "cmp w imm uses low word" [0x7100003f, // cmp w1, #0
    ] [X(1) => 0xffff_ffff_0000_0000] [F => Z | C];
    "cmn imm" [0xb100043f, // cmn x1, #1
    ] [X(1) => O64] [F => Z | C];
    "subs w imm V" [0x71000420, // subs w0, w1, #1
    ] [X(1) => 0x8000_0000] [X(0) => 0x7fff_ffff, F => C | V];
    "cmp sp" [0xf17c03ff, // cmp sp, #0xf00, lsl #12
    ] [] [F => N];
    "and imm" [0x92401c20, // and x0, x1, #0xff
    ] [X(1) => 0x1234] [X(0) => 0x34];
    "orr imm w" [0x3200f3e0, // orr w0, wzr, #0x55555555
    ] [X(0) => O64] [X(0) => 0x5555_5555];
    "eor imm" [0xd2410020, // eor x0, x1, #0x8000000000000000
    ] [X(1) => 1] [X(0) => 0x8000_0000_0000_0001];
    "ands imm Z" [0xf2400020, // ands x0, x1, #1
    ] [X(1) => 2, F => C | V] [X(0) => 0, F => Z];
    "ands w imm N" [0x72010020, // ands w0, w1, #0x80000000
    ] [X(1) => O64] [X(0) => 0x8000_0000, F => N];
    "tst imm" [0xf27ff83f, // tst x1, #0xfffffffffffffffe
    ] [X(1) => 1] [F => Z];
    "orr imm to sp" [0xb27c0c3f, // orr sp, x1, #0xf0
    ] [X(1) => 0x8000] [Sp => 0x80f0];
    "and imm repl16" [0x92009c20, // and x0, x1, #0x00ff00ff00ff00ff
    ] [X(1) => O64] [X(0) => 0x00ff_00ff_00ff_00ff];
    "movz lsl16" [0xd2a24680, // movz x0, #0x1234, lsl #16
    ] [X(0) => 7] [X(0) => 0x1234_0000];
    "movz lsl48" [0xd2f579a0, // movz x0, #0xabcd, lsl #48
    ] [] [X(0) => 0xabcd_0000_0000_0000];
    "movn" [0x92800000, // movn x0, #0
    ] [] [X(0) => O64];
    "movn w" [0x12a00020, // movn w0, #1, lsl #16
    ] [] [X(0) => 0xfffe_ffff];
    "movk" [0xf2f7dde0, // movk x0, #0xbeef, lsl #48
    ] [X(0) => 0x1234] [X(0) => 0xbeef_0000_0000_1234];
    "movk w" [0x72a00020, // movk w0, #1, lsl #16
    ] [X(0) => O64] [X(0) => 0x1_ffff];
    "adr" [0x10000080, // adr x0, .+16
    ] [] [X(0) => CODE + 16];
    "adr back" [0x10ffffe0, // adr x0, .-4
    ] [] [X(0) => CODE - 4];
    "adrp" [0xf0000000, // adrp x0, .+0x3000 (hand-encoded: as emits a relocation)
    ] [] [X(0) => 0x4000];
    "asr" [0x9344fc20, // asr x0, x1, #4
    ] [X(1) => 0x8000_0000_0000_0000] [X(0) => 0xf800_0000_0000_0000];
    "asr w" [0x13047c20, // asr w0, w1, #4
    ] [X(1) => 0x8000_0000] [X(0) => 0xf800_0000];
    "lsr" [0xd37cfc20, // lsr x0, x1, #60
    ] [X(1) => O64] [X(0) => 0xf];
    "lsr w" [0x531f7c20, // lsr w0, w1, #31
    ] [X(1) => O64] [X(0) => 1];
    "lsl" [0xd37cec20, // lsl x0, x1, #4
    ] [X(1) => 0x1234_5678_9abc_def1] [X(0) => 0x2345_6789_abcd_ef10];
    "lsl w" [0x53010020, // lsl w0, w1, #31
    ] [X(1) => 3] [X(0) => 0x8000_0000];
    "sxtb" [0x93401c20, // sxtb x0, w1
    ] [X(1) => 0x80] [X(0) => 0xffff_ffff_ffff_ff80];
    "sxth w" [0x13003c20, // sxth w0, w1
    ] [X(1) => 0x8000] [X(0) => 0xffff_8000];
    "sxtw" [0x93407c20, // sxtw x0, w1
    ] [X(1) => 0x1_8000_0000] [X(0) => 0xffff_ffff_8000_0000];
    "uxtb" [0x53001c20, // uxtb w0, w1
    ] [X(1) => 0x1ff] [X(0) => 0xff];
    "uxth" [0x53003c20, // uxth w0, w1
    ] [X(1) => 0x1_ffff] [X(0) => 0xffff];
    "ubfx" [0xd3485c20, // ubfx x0, x1, #8, #16
    ] [X(1) => 0x1234_5678] [X(0) => 0x3456];
    "sbfx" [0x93483c20, // sbfx x0, x1, #8, #8
    ] [X(1) => 0x8000] [X(0) => 0xffff_ffff_ffff_ff80];
    "sbfx w" [0x13041c20, // sbfx w0, w1, #4, #4
    ] [X(1) => 0x80] [X(0) => 0xffff_fff8];
    "sbfiz" [0x937c1c20, // sbfiz x0, x1, #4, #8
    ] [X(1) => 0x80] [X(0) => 0xffff_ffff_ffff_f800];
    "sbfiz w" [0x13040c20, // sbfiz w0, w1, #28, #4
    ] [X(1) => 0xf] [X(0) => 0xf000_0000];
    "ubfiz w truncates" [0x53040c20, // ubfiz w0, w1, #28, #4
    ] [X(1) => 0xff] [X(0) => 0xf000_0000];
    "bfi" [0xb3783c20, // bfi x0, x1, #8, #16
    ] [X(0) => O64, X(1) => 0x1234] [X(0) => 0xffff_ffff_ff12_34ff];
    "bfi w" [0x33010020, // bfi w0, w1, #31, #1
    ] [X(0) => 0xffff_ffff_0000_0000, X(1) => 1] [X(0) => 0x8000_0000];
    "bfxil w" [0x33042c20, // bfxil w0, w1, #4, #8
    ] [X(0) => O64, X(1) => 0xabc0] [X(0) => 0xffff_ffbc];
    "bfc" [0xb3780fe0, // bfc x0, #8, #4
    ] [X(0) => O64] [X(0) => 0xffff_ffff_ffff_f0ff];
    "extr" [0x93c22020, // extr x0, x1, x2, #8
    ] [X(1) => 0x11, X(2) => 0x2233_4455_6677_8899] [X(0) => 0x1122_3344_5566_7788];
    "extr w" [0x13821020, // extr w0, w1, w2, #4
    ] [X(1) => 0x1_0000_000a, X(2) => 0x1_2345_678b] [X(0) => 0xa234_5678];
    "ror imm" [0x93c12020, // ror x0, x1, #8
    ] [X(1) => 0xff] [X(0) => 0xff00_0000_0000_0000];
    "ror imm w" [0x13817c20, // ror w0, w1, #31
    ] [X(1) => 0xffff_ffff_8000_0000] [X(0) => 1];
    "extr lsb0" [0x93c20020, // extr x0, x1, x2, #0
    ] [X(1) => 1, X(2) => 2] [X(0) => 2];
};

#[test]
fn data_reg() {
    run_all(DATA_REG, &model::MAX);
}

static DATA_REG: &[Case] = cases! {
    "and lsl" [0x8a021020, // and x0, x1, x2, lsl #4
    ] [X(1) => 0xff0, X(2) => 0x3f] [X(0) => 0x3f0];
    "bic" [0x8a220020, // bic x0, x1, x2
    ] [X(1) => 0xff, X(2) => 0xf] [X(0) => 0xf0];
    "orr w lsr" [0x2a421020, // orr w0, w1, w2, lsr #4
    ] [X(1) => 0x1_0000_0001, X(2) => 0xf0] [X(0) => 0xf];
    "orn" [0xaa220020, // orn x0, x1, x2
    ] [X(1) => 0, X(2) => 0xff] [X(0) => !0xff];
    "eor asr" [0xca82fc20, // eor x0, x1, x2, asr #63
    ] [X(1) => 5, X(2) => 1 << 63] [X(0) => !5];
    "eon w" [0x4a220020, // eon w0, w1, w2
    ] [X(1) => 0, X(2) => 0xf] [X(0) => 0xffff_fff0];
    "ands N" [0xea020020, // ands x0, x1, x2
    ] [X(1) => O64, X(2) => 1 << 63, F => Z | C | V] [X(0) => 1 << 63, F => N];
    "bics w Z" [0x6a220020, // bics w0, w1, w2
    ] [X(1) => 0x1_0000_00ff, X(2) => 0xff] [X(0) => 0, F => Z];
    "orr ror" [0xaac22020, // orr x0, x1, x2, ror #8
    ] [X(2) => 0xff] [X(0) => 0xff00_0000_0000_0000];
    "orr w ror" [0x2ac22020, // orr w0, w1, w2, ror #8
    ] [X(2) => 0x1_0000_00ff] [X(0) => 0xff00_0000];
    "orr w asr" [0x2a8213e0, // orr w0, wzr, w2, asr #4
    ] [X(2) => 0x8000_0000] [X(0) => 0xf800_0000];
    "mvn" [0x2a2103e0, // mvn w0, w1
    ] [X(1) => 0] [X(0) => O32];
    "mov reg" [0xaa0103e0, // mov x0, x1
    ] [X(1) => 42] [X(0) => 42];
    "add shifted" [0x8b020c20, // add x0, x1, x2, lsl #3
    ] [X(1) => 1, X(2) => 2] [X(0) => 17];
    "sub w asr" [0x4b820820, // sub w0, w1, w2, asr #2
    ] [X(1) => 0, X(2) => 0x8000_0000] [X(0) => 0x2000_0000];
    "adds w V" [0x2b020020, // adds w0, w1, w2
    ] [X(1) => 0x8000_0000, X(2) => 0x8000_0000] [X(0) => 0, F => Z | C | V];
    "adds carry 64" [0xab020020, // adds x0, x1, x2
    ] [X(1) => O64, X(2) => 2] [X(0) => 1, F => C];
    "adds 64 NV" [0xab020020, // adds x0, x1, x2
    ] [X(1) => 1 << 62, X(2) => 1 << 62] [X(0) => 1 << 63, F => N | V];
    "subs carry 64" [0xeb020020, // subs x0, x1, x2
    ] [X(1) => 5, X(2) => 3] [X(0) => 2, F => C];
    "subs 64 V" [0xeb020020, // subs x0, x1, x2
    ] [X(1) => 1 << 63, X(2) => 1] [X(0) => (1 << 63) - 1, F => C | V];
    "subs w N" [0x6b020020, // subs w0, w1, w2
    ] [X(1) => 3, X(2) => 5] [X(0) => 0xffff_fffe, F => N];
    "neg" [0xcb0103e0, // neg x0, x1
    ] [X(1) => 1] [X(0) => O64];
    "negs w V" [0x6b0103e0, // negs w0, w1
    ] [X(1) => 0x8000_0000] [X(0) => 0x8000_0000, F => N | V];
    "negs 0" [0xeb0103e0, // negs x0, x1
    ] [X(1) => 0] [X(0) => 0, F => Z | C];
    "cmp lsr" [0xeb42043f, // cmp x1, x2, lsr #1
    ] [X(1) => 4, X(2) => 8] [F => Z | C];
    "add ext uxtw sp" [0x8b214be0, // add x0, sp, w1, uxtw #2
    ] [X(1) => 0xffff_ffff_0000_0004] [X(0) => STACK + 16];
    "add sp ext" [0x8b2163ff, // add sp, sp, x1
    ] [X(1) => 16] [Sp => STACK + 16];
    "sub ext sxtb" [0xcb228020, // sub x0, x1, w2, sxtb
    ] [X(1) => 10, X(2) => 0xff] [X(0) => 11];
    "adds ext sxth" [0xab22a420, // adds x0, x1, w2, sxth #1
    ] [X(1) => 0, X(2) => 0x8000] [X(0) => 0xffff_ffff_ffff_0000, F => N];
    "cmp w ext uxtb" [0x6b22003f, // cmp w1, w2, uxtb
    ] [X(1) => 0xff, X(2) => 0x1ff] [F => Z | C];
    "add w ext sxth" [0x0b22a020, // add w0, w1, w2, sxth
    ] [X(1) => 1, X(2) => 0xfffe] [X(0) => O32];
    "adc" [0x9a020020, // adc x0, x1, x2
    ] [X(1) => 1, X(2) => 2, F => C] [X(0) => 4];
    "adcs carry" [0xba020020, // adcs x0, x1, x2
    ] [X(1) => O64, X(2) => 0, F => C] [X(0) => 0, F => Z | C];
    "adcs carry 2" [0xba020020, // adcs x0, x1, x2
    ] [X(1) => O64, X(2) => O64, F => C] [X(0) => O64, F => N | C];
    "adcs w V" [0x3a020020, // adcs w0, w1, w2
    ] [X(1) => 0x7fff_ffff, X(2) => 0, F => C] [X(0) => 0x8000_0000, F => N | V];
    "sbc" [0xda020020, // sbc x0, x1, x2
    ] [X(1) => 10, X(2) => 3] [X(0) => 6];
    "sbcs w borrow" [0x7a020020, // sbcs w0, w1, w2
    ] [X(1) => 0, X(2) => 0, F => C] [X(0) => 0, F => Z | C];
    "sbcs w borrow 2" [0x7a020020, // sbcs w0, w1, w2
    ] [X(1) => 0, X(2) => 0] [X(0) => O32, F => N];
    "sbcs 64 V" [0xfa020020, // sbcs x0, x1, x2
    ] [X(1) => 1 << 63, X(2) => 0] [X(0) => (1 << 63) - 1, F => C | V];
    "ngc" [0xda0103e0, // ngc x0, x1
    ] [X(1) => 5, F => C] [X(0) => (-5i64) as u64];
    "ccmp taken" [0xfa420024, // ccmp x1, x2, #4, eq
    ] [X(1) => 1, X(2) => 2, F => Z] [F => N];
    "ccmp not taken" [0xfa421025, // ccmp x1, x2, #5, ne
    ] [X(1) => 1, X(2) => 2, F => Z] [F => Z | V];
    "ccmn w imm" [0x3a451822, // ccmn w1, #5, #2, ne
    ] [X(1) => 0xffff_fffb] [F => Z | C];
    "ccmp imm ge" [0xfa5fa820, // ccmp x1, #31, #0, ge
    ] [X(1) => 31, F => N | V] [F => Z | C];
    "csel eq" [0x9a820020, // csel x0, x1, x2, eq
    ] [X(1) => 1, X(2) => 2, F => Z] [X(0) => 1];
    "csel ne" [0x9a820020, // csel x0, x1, x2, eq
    ] [X(1) => 1, X(2) => 2] [X(0) => 2];
    "csinc w" [0x1a821420, // csinc w0, w1, w2, ne
    ] [X(1) => 1, X(2) => O64, F => Z] [X(0) => 0];
    "cset hi" [0x9a9f97e0, // cset x0, hi
    ] [F => C] [X(0) => 1];
    "csetm w lt" [0x5a9fa3e0, // csetm w0, lt
    ] [F => N] [X(0) => O32];
    "csinv" [0xda822020, // csinv x0, x1, x2, cs
    ] [X(1) => 1, X(2) => 0] [X(0) => O64];
    "csneg" [0xda82a420, // csneg x0, x1, x2, ge
    ] [X(1) => 1, X(2) => 7, F => N] [X(0) => (-7i64) as u64];
    "cneg w" [0x5a815420, // cneg w0, w1, mi
    ] [X(1) => 1, F => N] [X(0) => O32];
    "udiv" [0x9ac20820, // udiv x0, x1, x2
    ] [X(1) => 100, X(2) => 7] [X(0) => 14];
    "udiv by zero" [0x9ac20820, // udiv x0, x1, x2
    ] [X(0) => 5, X(1) => 100, X(2) => 0] [X(0) => 0];
    "sdiv neg" [0x9ac20c20, // sdiv x0, x1, x2
    ] [X(1) => (-100i64) as u64, X(2) => 7] [X(0) => (-14i64) as u64];
    "sdiv overflow" [0x9ac20c20, // sdiv x0, x1, x2
    ] [X(1) => 1 << 63, X(2) => O64] [X(0) => 1 << 63];
    "sdiv by zero" [0x9ac20c20, // sdiv x0, x1, x2
    ] [X(1) => 1 << 63, X(2) => 0] [X(0) => 0];
    "sdiv w overflow" [0x1ac20c20, // sdiv w0, w1, w2
    ] [X(1) => 0x8000_0000, X(2) => O32] [X(0) => 0x8000_0000];
    "sdiv w" [0x1ac20c20, // sdiv w0, w1, w2
    ] [X(1) => 0xffff_ff9c, X(2) => 0x1_0000_0007] [X(0) => 0xffff_fff2];
    "udiv w" [0x1ac20820, // udiv w0, w1, w2
    ] [X(1) => 0x1_ffff_fffe, X(2) => 2] [X(0) => 0x7fff_ffff];
    "udiv w by zero" [0x1ac20820, // udiv w0, w1, w2
    ] [X(1) => 5, X(2) => 0x1_0000_0000] [X(0) => 0];
    "lslv mod" [0x9ac22020, // lsl x0, x1, x2
    ] [X(1) => 1, X(2) => 65] [X(0) => 2];
    "lsrv w mod" [0x1ac22420, // lsr w0, w1, w2
    ] [X(1) => 0x1_8000_0000, X(2) => 33] [X(0) => 0x4000_0000];
    "lslv w" [0x1ac22020, // lsl w0, w1, w2
    ] [X(1) => 3, X(2) => 31] [X(0) => 0x8000_0000];
    "asrv w" [0x1ac22820, // asr w0, w1, w2
    ] [X(1) => 0x8000_0000, X(2) => 31] [X(0) => O32];
    "asrv" [0x9ac22820, // asr x0, x1, x2
    ] [X(1) => 1 << 63, X(2) => 63] [X(0) => O64];
    "rorv" [0x9ac22c20, // ror x0, x1, x2
    ] [X(1) => 1, X(2) => 1] [X(0) => 1 << 63];
    "rorv w" [0x1ac22c20, // ror w0, w1, w2
    ] [X(1) => 0xf_0000_0001, X(2) => 36] [X(0) => 0x1000_0000];
    "crc32b" [0x1ac24020, // crc32b w0, w1, w2
    ] [X(1) => O32, X(2) => 0x31] [X(0) => 0x7c23_1048];
    "crc32cx" [0x9ac25c20, // crc32cx w0, w1, x2
    ] [X(1) => 0, X(2) => 0x0706_0504_0302_0100] [X(0) => 0x0604_0eb1];
    "rbit" [0xdac00020, // rbit x0, x1
    ] [X(1) => 1] [X(0) => 1 << 63];
    "rbit w" [0x5ac00020, // rbit w0, w1
    ] [X(1) => 0x1_0000_0003] [X(0) => 0xc000_0000];
    "rev16" [0xdac00420, // rev16 x0, x1
    ] [X(1) => 0x0102_0304_0506_0708] [X(0) => 0x0201_0403_0605_0807];
    "rev16 w" [0x5ac00420, // rev16 w0, w1
    ] [X(1) => 0x0102_0304_0506_0708] [X(0) => 0x0605_0807];
    "rev32" [0xdac00820, // rev32 x0, x1
    ] [X(1) => 0x0102_0304_0506_0708] [X(0) => 0x0403_0201_0807_0605];
    "rev w" [0x5ac00820, // rev w0, w1
    ] [X(1) => 0x0102_0304_0506_0708] [X(0) => 0x0807_0605];
    "rev" [0xdac00c20, // rev x0, x1
    ] [X(1) => 0x0102_0304_0506_0708] [X(0) => 0x0807_0605_0403_0201];
    "clz 0" [0xdac01020, // clz x0, x1
    ] [] [X(0) => 64];
    "clz 1" [0xdac01020, // clz x0, x1
    ] [X(1) => 1] [X(0) => 63];
    "clz w 0" [0x5ac01020, // clz w0, w1
    ] [X(1) => 0xf_0000_0000] [X(0) => 32];
    "clz w" [0x5ac01020, // clz w0, w1
    ] [X(1) => 0x10000] [X(0) => 15];
    "cls 0" [0xdac01420, // cls x0, x1
    ] [] [X(0) => 63];
    "cls neg" [0xdac01420, // cls x0, x1
    ] [X(1) => 0xe000_0000_0000_0000] [X(0) => 2];
    "cls w ones" [0x5ac01420, // cls w0, w1
    ] [X(1) => O32] [X(0) => 31];
    "cls w" [0x5ac01420, // cls w0, w1
    ] [X(1) => 0xffff] [X(0) => 15];
    "madd" [0x9b020c20, // madd x0, x1, x2, x3
    ] [X(1) => 3, X(2) => 4, X(3) => 5] [X(0) => 17];
    "msub w" [0x1b028c20, // msub w0, w1, w2, w3
    ] [X(1) => 3, X(2) => 4, X(3) => 5] [X(0) => 0xffff_fff9];
    "mul w" [0x1b027c20, // mul w0, w1, w2
    ] [X(1) => 0x1_0000_0002, X(2) => 0x8000_0000] [X(0) => 0];
    "mneg" [0x9b02fc20, // mneg x0, x1, x2
    ] [X(1) => 3, X(2) => 4] [X(0) => (-12i64) as u64];
    "smaddl" [0x9b220c20, // smaddl x0, w1, w2, x3
    ] [X(1) => O32, X(2) => 5, X(3) => 10] [X(0) => 5];
    "umaddl" [0x9ba20c20, // umaddl x0, w1, w2, x3
    ] [X(1) => O32, X(2) => 2, X(3) => 1] [X(0) => 0x1_ffff_ffff];
    "smsubl" [0x9b228c20, // smsubl x0, w1, w2, x3
    ] [X(1) => O32, X(2) => 5, X(3) => 10] [X(0) => 15];
    "umsubl" [0x9ba28c20, // umsubl x0, w1, w2, x3
    ] [X(1) => 2, X(2) => 3, X(3) => 10] [X(0) => 4];
    "smull" [0x9b227c20, // smull x0, w1, w2
    ] [X(1) => 0x8000_0000, X(2) => 0x8000_0000] [X(0) => 1 << 62];
    "smulh" [0x9b427c20, // smulh x0, x1, x2
    ] [X(1) => O64, X(2) => 5] [X(0) => O64];
    "umulh" [0x9bc27c20, // umulh x0, x1, x2
    ] [X(1) => O64, X(2) => 5] [X(0) => 4];
    "cfinv" [0xd500401f, // cfinv
    ] [F => N] [F => N | C];
    "rmif" [0xba018425, // rmif x1, #3, #5
    ] [X(1) => 0b0011_1000, F => C | V] [F => Z | C | V];
    "setf8" [0x3a00082d, // setf8 w1
    ] [X(1) => 0x180, F => C] [F => N | C];
    "setf8 Z" [0x3a00082d, // setf8 w1
    ] [X(1) => 0x100, F => N] [F => Z | V];
    "setf16" [0x3a00482d, // setf16 w1
    ] [X(1) => 0x8000] [F => N | V];
    "axflag" [0xd500405f, // axflag
    ] [F => N | C | V] [F => Z];
    "axflag 2" [0xd500405f, // axflag
    ] [F => C] [F => C];
    "xaflag" [0xd500403f, // xaflag
    ] [F => 0] [F => N];
    "xaflag 2" [0xd500403f, // xaflag
    ] [F => Z | C] [F => Z | C];
    "xaflag 3" [0xd500403f, // xaflag
    ] [F => Z] [F => C | V];
};

#[test]
fn branch() {
    run_all(BRANCH, &model::MAX);
}

static BRANCH: &[Case] = cases! {
    "b" [0x14000002, // b .+8
        0xd2800020, // movz x0, #1
    ] [] [];
    "b back" [0x14000003, // b .+12
        0xd2800020, // movz x0, #1
        0x14000002, // b .+8
        0x17fffffe, // b .-8
    ] [] [X(0) => 1];
    "bl" [0x94000002, // bl .+8
        0xd2800020, // movz x0, #1
    ] [] [X(30) => CODE + 4];
    "b.ne taken" [0x54000041, // b.ne .+8
        0xd2800020, // movz x0, #1
    ] [] [];
    "b.ne not taken" [0x54000041, // b.ne .+8
        0xd2800020, // movz x0, #1
    ] [F => Z] [X(0) => 1];
    "cbz taken" [0xb4000041, // cbz x1, .+8
        0xd2800020, // movz x0, #1
    ] [] [];
    "cbz w taken" [0x34000041, // cbz w1, .+8
        0xd2800020, // movz x0, #1
    ] [X(1) => 1 << 32] [];
    "cbz not taken" [0xb4000041, // cbz x1, .+8
        0xd2800020, // movz x0, #1
    ] [X(1) => 1 << 32] [X(0) => 1];
    "cbnz w" [0x35000041, // cbnz w1, .+8
        0xd2800020, // movz x0, #1
    ] [X(1) => 1 << 32] [X(0) => 1];
    "tbz 63" [0xb6f80041, // tbz x1, #63, .+8
        0xd2800020, // movz x0, #1
    ] [X(1) => 1 << 63] [X(0) => 1];
    "tbnz 3" [0x37180041, // tbnz w1, #3, .+8
        0xd2800020, // movz x0, #1
    ] [X(1) => 8] [];
    "tbnz 40 not taken" [0xb7400041, // tbnz x1, #40, .+8
        0xd2800020, // movz x0, #1
    ] [X(1) => 1 << 39] [X(0) => 1];
    "br" [0xd61f0020, // br x1
        0xd2800020, // movz x0, #1
    ] [X(1) => CODE + 8] [];
    "blr" [0xd63f0020, // blr x1
        0xd2800020, // movz x0, #1
    ] [X(1) => CODE + 8] [X(30) => CODE + 4];
    "blr x30" [0xd63f03c0, // blr x30
        0xd2800020, // movz x0, #1
    ] [X(30) => CODE + 8] [X(30) => CODE + 4];
    "ret" [0xd65f03c0, // ret
        0xd2800020, // movz x0, #1
    ] [X(30) => CODE + 8] [];
    "ret x1" [0xd65f0020, // ret x1
        0xd2800020, // movz x0, #1
    ] [X(1) => CODE + 8] [];
    "loop" [0x91000400, // add x0, x0, #1
        0xf1000421, // subs x1, x1, #1
        0x54ffffc1, // b.ne .-8
    ] [X(1) => 100] [X(0) => 100, X(1) => 0, F => Z | C];
};

#[test]
fn system() {
    run_all(SYSTEM, &model::MAX);
}

static SYSTEM: &[Case] = cases! {
    "svc" [0xd4002461, // svc #0x123
    ] [] [Exit => excp::SVC as u64, Pc => CODE + 4, Syn => 0x123];
    "brk" [0xd42000a0, // brk #5
    ] [] [Pc => CODE, Syn => 5];
    "hlt" [0xd44000e0, // hlt #7
    ] [] [Exit => excp::HLT as u64, Pc => CODE, Syn => 7];
    "udf" [0xd2800020, // movz x0, #1
        0x00000042, // udf #0x42
    ] [] [X(0) => 1, Exit => excp::UDEF as u64, Pc => CODE + 4, Syn => 0x42];
    "hints" [0xd503201f, // nop
        0xd503203f, // yield
        0xd503205f, // wfe
        0xd503209f, // sev
        0xd50320bf, // sevl
        0xd503233f, // paciasp
        0xd50323bf, // autiasp
        0xd503245f, // bti c
        0xd50320ff, // xpaclri
        0xd503229f, // csdb
    ] [] [];
    "barriers" [0xd5033bbf, // dmb ish
        0xd50339bf, // dmb ishld
        0xd5033f9f, // dsb sy
        0xd5033fdf, // isb
        0xd50330ff, // sb
        0xd503309f, // ssbb
    ] [] [];
    "clrex" [0xc85f7c20, // ldxr x0, [x1]
        0xd5033f5f, // clrex
        0xc8027c23, // stxr w2, x3, [x1]
    ] [X(1) => D, X(3) => 9, M64(D) => 5] [X(0) => 5, X(2) => 1];
    "tpidr" [0xd51bd041, // msr tpidr_el0, x1
        0xd53bd040, // mrs x0, tpidr_el0
    ] [X(1) => 0x1234_5678_9abc] [X(0) => 0x1234_5678_9abc, Tpidr => 0x1234_5678_9abc];
    "tpidrro read" [0xd53bd060, // mrs x0, tpidrro_el0
    ] [X(0) => 5] [X(0) => 0];
    "nzcv" [0xd53b4200, // mrs x0, nzcv
        0xd51b4201, // msr nzcv, x1
    ] [F => N | V, X(1) => 0x6000_0000] [X(0) => 0x9000_0000, F => Z | C];
    "fpcr" [0xd51b4401, // msr fpcr, x1
        0xd53b4400, // mrs x0, fpcr
    ] [X(1) => O64] [X(0) => 0x07c8_0000, Fpcr => 0x07c8_0000];
    "fpsr" [0xd51b4421, // msr fpsr, x1
        0xd53b4420, // mrs x0, fpsr
    ] [X(1) => O64] [X(0) => 0x0800_009f, Fpsr => 0x0800_009f];
    "dczid" [0xd53b00e0, // mrs x0, dczid_el0
    ] [] [X(0) => 4];
    "ctr" [0xd53b0020, // mrs x0, ctr_el0
    ] [] [X(0) => 0xb444_c004];
    "midr" [0xd5380000, // mrs x0, midr_el1
    ] [] [X(0) => 0x000f_0510];
    "mpidr" [0xd53800a0, // mrs x0, mpidr_el1
    ] [] [X(0) => 0x8000_0000];
    "isar0" [0xd5380600, // mrs x0, id_aa64isar0_el1
    ] [] [X(0) => 0x0021_1111_1021_2120]; // + RDM, SM3, SM4, FHM, FlagM2 (TS=2)
    "pfr0" [0xd5380400, // mrs x0, id_aa64pfr0_el1
    ] [] [X(0) => 0x0011_0011];
    "mmfr0 raz" [0xd5380700, // mrs x0, id_aa64mmfr0_el1
    ] [X(0) => 3] [X(0) => 0];
    "cntfrq" [0xd53be000, // mrs x0, cntfrq_el0
    ] [] [X(0) => 1_000_000_000];
    "dc zva" [0xd50b7421, // dc zva, x1
    ] [X(1) => D + 0x47, M64(D + 0x38) => O64, M64(D + 0x40) => O64, M64(D + 0x78) => O64, M64(D + 0x80) => O64]
      [M64(D + 0x40) => 0, M64(D + 0x78) => 0];
    "cache maintenance nops" [0xd50b7e21, // dc civac, x1
        0xd50b7b21, // dc cvau, x1
        0xd50b7a21, // dc cvac, x1
        0xd50b7521, // ic ivau, x1
    ] [X(1) => D] [];
    "msr daifset undef" [0xd50342df, // msr daifset, #2
    ] [] [Exit => excp::UDEF as u64, Pc => CODE, Syn => 0xd50342df];
    "mrs currentel undef" [0xd5384240, // mrs x0, currentel
    ] [] [Exit => excp::UDEF as u64, Pc => CODE, Syn => 0xd5384240];
    "msr tpidrro undef" [0xd51bd060, // msr tpidrro_el0, x0
    ] [] [Exit => excp::UDEF as u64, Pc => CODE, Syn => 0xd51bd060];
    "hvc undef" [0xd4000002, // hvc #0
    ] [] [Exit => excp::UDEF as u64, Pc => CODE, Syn => 0xd4000002];
    "retaa undef" [0xd65f0bff, // retaa
    ] [] [Exit => excp::UDEF as u64, Pc => CODE, Syn => 0xd65f0bff];
    "id aa32 undef" [0xd5380100, // mrs x0, id_pfr0_el1
    ] [] [Exit => excp::UDEF as u64, Pc => CODE, Syn => 0xd5380100];
};

#[test]
fn ldst() {
    run_all(LDST, &model::MAX);
}

const PAT: u64 = 0x8877_6655_4433_2211;

static LDST: &[Case] = cases! {
    "ldr x" [0xf9400020, // ldr x0, [x1]
    ] [X(1) => D, M64(D) => PAT] [X(0) => PAT];
    "ldr x uimm" [0xf9400420, // ldr x0, [x1, #8]
    ] [X(1) => D, M64(D + 8) => PAT] [X(0) => PAT];
    "ldr w uimm" [0xb9400420, // ldr w0, [x1, #4]
    ] [X(0) => O64, X(1) => D, M64(D) => PAT] [X(0) => 0x8877_6655];
    "ldrb" [0x39400c20, // ldrb w0, [x1, #3]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0x44];
    "ldrh" [0x79400c20, // ldrh w0, [x1, #6]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0x8877];
    "ldrsb x" [0x39801c20, // ldrsb x0, [x1, #7]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_ffff_ffff_ff88];
    "ldrsb w" [0x39c01c20, // ldrsb w0, [x1, #7]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_ff88];
    "ldrsh x" [0x79800c20, // ldrsh x0, [x1, #6]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_ffff_ffff_8877];
    "ldrsh w" [0x79c00c20, // ldrsh w0, [x1, #6]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_8877];
    "ldrsw" [0xb9800420, // ldrsw x0, [x1, #4]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_ffff_8877_6655];
    "str x" [0xf9000820, // str x0, [x1, #16]
    ] [X(0) => PAT, X(1) => D] [M64(D + 16) => PAT];
    "strb" [0x39000420, // strb w0, [x1, #1]
    ] [X(0) => PAT, X(1) => D] [M8(D + 1) => 0x11];
    "strh" [0x79000420, // strh w0, [x1, #2]
    ] [X(0) => PAT, X(1) => D] [M16(D + 2) => 0x2211];
    "str w" [0xb9000420, // str w0, [x1, #4]
    ] [X(0) => PAT, X(1) => D] [M32(D + 4) => 0x4433_2211];
    "str xzr sp" [0xf90007ff, // str xzr, [sp, #8]
    ] [Sp => D, M64(D + 8) => 5] [M64(D + 8) => 0];
    "ldr pre" [0xf8408c20, // ldr x0, [x1, #8]!
    ] [X(1) => D, M64(D + 8) => PAT] [X(0) => PAT, X(1) => D + 8];
    "ldr post" [0xf85f8420, // ldr x0, [x1], #-8
    ] [X(1) => D + 8, M64(D + 8) => PAT] [X(0) => PAT, X(1) => D];
    "str pre sp" [0xf81f0fe0, // str x0, [sp, #-16]!
    ] [X(0) => PAT, Sp => D + 32] [Sp => D + 16, M64(D + 16) => PAT];
    "strb post" [0x38001420, // strb w0, [x1], #1
    ] [X(0) => 0xab, X(1) => D] [X(1) => D + 1, M8(D) => 0xab];
    "ldrsw pre" [0xb8804c20, // ldrsw x0, [x1, #4]!
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_ffff_8877_6655, X(1) => D + 4];
    "ldrh post w" [0x784ff420, // ldrh w0, [x1], #255
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0x2211, X(1) => D + 255];
    "ldur" [0xf85f8020, // ldur x0, [x1, #-8]
    ] [X(1) => D + 9, M64(D) => PAT] [X(0) => 0x0088_7766_5544_3322];
    "stur w" [0xb8003020, // stur w0, [x1, #3]
    ] [X(0) => PAT, X(1) => D] [M32(D + 3) => 0x4433_2211];
    "ldursb" [0x38dff020, // ldursb w0, [x1, #-1]
    ] [X(1) => D + 8, M64(D) => PAT] [X(0) => 0xffff_ff88];
    "ldtr" [0xf8408820, // ldtr x0, [x1, #8]
    ] [X(1) => D, M64(D + 8) => PAT] [X(0) => PAT];
    "sttrb" [0x38000820, // sttrb w0, [x1]
    ] [X(0) => 0x1ff, X(1) => D] [M8(D) => 0xff];
    "ldtrsw" [0xb8804820, // ldtrsw x0, [x1, #4]
    ] [X(1) => D, M64(D) => PAT] [X(0) => 0xffff_ffff_8877_6655];
    "prfum" [0xf8801020, // prfum pldl1keep, [x1, #1]
    ] [X(1) => D] [];
    "ldr reg lsl" [0xf8627820, // ldr x0, [x1, x2, lsl #3]
    ] [X(1) => D, X(2) => 2, M64(D + 16) => PAT] [X(0) => PAT];
    "ldr w reg sxtw" [0xb862d820, // ldr w0, [x1, w2, sxtw #2]
    ] [X(1) => D + 8, X(2) => 0xffff_ffff, M64(D) => PAT] [X(0) => 0x8877_6655];
    "ldrb reg" [0x38626820, // ldrb w0, [x1, x2]
    ] [X(1) => D, X(2) => 5, M64(D) => PAT] [X(0) => 0x66];
    "strh reg uxtw" [0x78225820, // strh w0, [x1, w2, uxtw #1]
    ] [X(0) => 0xbeef, X(1) => D, X(2) => 0xf_0000_0002] [M16(D + 4) => 0xbeef];
    "ldrsw reg sxtx" [0xb8a2e820, // ldrsw x0, [x1, x2, sxtx]
    ] [X(1) => D + 4, X(2) => O64, M64(D) => PAT] [X(0) => 0x7766_5544];
    "ldr reg sp base" [0xf8626be0, // ldr x0, [sp, x2]
    ] [Sp => D, X(2) => 8, M64(D + 8) => PAT] [X(0) => PAT];
    "prfm reg" [0xf8a26820, // prfm pldl1keep, [x1, x2]
    ] [X(1) => D] [];
    "prfm uimm" [0xf9802033, // prfm pstl2strm, [x1, #64]
    ] [X(1) => D] [];
    "ldr lit" [0x58000040, // ldr x0, .+8
        0x14000003, // b .+12
        0x44332211, // .word 0x44332211
        0x88776655, // .word 0x88776655
    ] [] [X(0) => PAT];
    "ldr w lit" [0x18000060, // ldr w0, .+12
        0x98000041, // ldrsw x1, .+8
        0x14000002, // b .+8
        0x88776655, // .word 0x88776655
    ] [] [X(0) => 0x8877_6655, X(1) => 0xffff_ffff_8877_6655];
    "prfm lit" [0xd8000040, // prfm pldl1keep, .+8
    ] [] [];
    "ldp" [0xa9400440, // ldp x0, x1, [x2]
    ] [X(2) => D, M64(D) => 1, M64(D + 8) => 2] [X(0) => 1, X(1) => 2];
    "ldp w off" [0x29410440, // ldp w0, w1, [x2, #8]
    ] [X(2) => D, M64(D + 8) => PAT] [X(0) => 0x4433_2211, X(1) => 0x8877_6655];
    "ldpsw" [0x69400440, // ldpsw x0, x1, [x2]
    ] [X(2) => D, M64(D) => PAT] [X(0) => 0x4433_2211, X(1) => 0xffff_ffff_8877_6655];
    "stp pre sp" [0xa9bf7bfd, // stp x29, x30, [sp, #-16]!
    ] [Sp => D + 64, X(29) => 1, X(30) => 2] [Sp => D + 48, M64(D + 48) => 1, M64(D + 56) => 2];
    "ldp post sp" [0xa8c17bfd, // ldp x29, x30, [sp], #16
    ] [Sp => D, M64(D) => 1, M64(D + 8) => 2] [Sp => D + 16, X(29) => 1, X(30) => 2];
    "stp w neg" [0x293f0440, // stp w0, w1, [x2, #-8]
    ] [X(0) => PAT, X(1) => 0x1_0000_0005, X(2) => D + 8] [M32(D) => 0x4433_2211, M32(D + 4) => 5];
    "ldpsw post" [0x68c10440, // ldpsw x0, x1, [x2], #8
    ] [X(2) => D, M64(D) => PAT] [X(0) => 0x4433_2211, X(1) => 0xffff_ffff_8877_6655, X(2) => D + 8];
    "ldnp stnp" [0xa8010440, // stnp x0, x1, [x2, #16]
        0xa8411043, // ldnp x3, x4, [x2, #16]
    ] [X(0) => 7, X(1) => 8, X(2) => D] [M64(D + 16) => 7, M64(D + 24) => 8, X(3) => 7, X(4) => 8];
    "ldp same base" [0xa9400021, // ldp x1, x0, [x1]
    ] [X(1) => D, M64(D) => 1, M64(D + 8) => 2] [X(0) => 2, X(1) => 1];
    "ldxr stxr" [0xc85f7c20, // ldxr x0, [x1]
        0xc8027c23, // stxr w2, x3, [x1]
    ] [X(1) => D, X(2) => 7, X(3) => 9, M64(D) => 5] [X(0) => 5, X(2) => 0, M64(D) => 9];
    "stxr unarmed" [0xc8027c23, // stxr w2, x3, [x1]
    ] [X(1) => D, X(3) => 9, M64(D) => 5] [X(2) => 1];
    "stxr other addr" [0xc85f7c20, // ldxr x0, [x1]
        0xc8027c83, // stxr w2, x3, [x4]
    ] [X(1) => D, X(3) => 9, X(4) => D + 8] [X(2) => 1];
    "stxr twice" [0x885ffc20, // ldaxr w0, [x1]
        0x8802fc23, // stlxr w2, w3, [x1]
        0x88047c25, // stxr w4, w5, [x1]
    ] [X(1) => D, X(3) => 9, X(5) => 10, M64(D) => PAT] [X(0) => 0x4433_2211, X(2) => 0, X(4) => 1, M32(D) => 9];
    "ldxrb stxrb" [0x085f7c20, // ldxrb w0, [x1]
        0x08027c23, // stxrb w2, w3, [x1]
    ] [X(1) => D + 3, X(3) => 0x1ff, M64(D) => PAT] [X(0) => 0x44, X(2) => 0, M8(D + 3) => 0xff];
    "ldaxrh stlxrh" [0x485ffc20, // ldaxrh w0, [x1]
        0x4802fc23, // stlxrh w2, w3, [x1]
    ] [X(1) => D + 2, X(3) => 0xabcd, M64(D) => PAT] [X(0) => 0x4433, X(2) => 0, M16(D + 2) => 0xabcd];
    "ldxp stxp" [0xc87f0820, // ldxp x0, x2, [x1]
        0xc8241825, // stxp w4, x5, x6, [x1]
    ] [X(1) => D, X(5) => 3, X(6) => 4, M64(D) => 1, M64(D + 8) => 2]
      [X(0) => 1, X(2) => 2, X(4) => 0, M64(D) => 3, M64(D + 8) => 4];
    "ldaxp stlxp w" [0x887f8820, // ldaxp w0, w2, [x1]
        0x88249825, // stlxp w4, w5, w6, [x1]
    ] [X(1) => D, X(5) => 3, X(6) => 4, M64(D) => PAT]
      [X(0) => 0x4433_2211, X(2) => 0x8877_6655, X(4) => 0, M32(D) => 3, M32(D + 4) => 4];
    "stxp changed" [0xc87f0820, // ldxp x0, x2, [x1]
        0xf900043f, // str xzr, [x1, #8]
        0xc8241825, // stxp w4, x5, x6, [x1]
    ] [X(1) => D, X(5) => 3, X(6) => 4, M64(D) => 1, M64(D + 8) => 2]
      [X(0) => 1, X(2) => 2, X(4) => 1, M64(D + 8) => 0];
    "ldar stlr" [0xc8dffc20, // ldar x0, [x1]
        0xc89ffc20, // stlr x0, [x1, #0]
        0x08dffc22, // ldarb w2, [x1]
        0x489ffc60, // stlrh w0, [x3]
        0x88df7c24, // ldlar w4, [x1]
        0x889f7ca4, // stllr w4, [x5]
        0xf8bfc026, // ldapr x6, [x1]
        0x38bfc027, // ldaprb w7, [x1]
    ] [X(1) => D, X(3) => D + 8, X(5) => D + 16, M64(D) => PAT]
      [X(0) => PAT, X(2) => 0x11, M16(D + 8) => 0x2211, X(4) => 0x4433_2211, M32(D + 16) => 0x4433_2211,
       X(6) => PAT, X(7) => 0x11];
    "cas ok" [0xc8a07c22, // cas x0, x2, [x1]
    ] [X(0) => 5, X(1) => D, X(2) => 9, M64(D) => 5] [M64(D) => 9];
    "cas fail" [0xc8e0fc22, // casal x0, x2, [x1]
    ] [X(0) => 4, X(1) => D, X(2) => 9, M64(D) => 5] [X(0) => 5];
    "cas w" [0x88e07c22, // casa w0, w2, [x1]
    ] [X(0) => 0x1_4433_2211, X(1) => D, X(2) => 9, M64(D) => PAT] [X(0) => 0x4433_2211, M32(D) => 9];
    "casb" [0x08a07c22, // casb w0, w2, [x1]
    ] [X(0) => 0x11, X(1) => D, X(2) => 0x1ff, M64(D) => PAT] [M8(D) => 0xff];
    "caslh fail" [0x48a0fc22, // caslh w0, w2, [x1]
    ] [X(0) => 0x11, X(1) => D, X(2) => 0x1ff, M64(D) => PAT] [X(0) => 0x2211];
    "casp" [0x48207c82, // casp x0, x1, x2, x3, [x4]
    ] [X(0) => 1, X(1) => 2, X(2) => 3, X(3) => 4, X(4) => D, M64(D) => 1, M64(D + 8) => 2]
      [M64(D) => 3, M64(D + 8) => 4];
    "casp fail" [0x4860fc82, // caspal x0, x1, x2, x3, [x4]
    ] [X(0) => 1, X(1) => 7, X(2) => 3, X(3) => 4, X(4) => D, M64(D) => 1, M64(D + 8) => 2]
      [X(1) => 2];
    "casp w" [0x08207c82, // casp w0, w1, w2, w3, [x4]
    ] [X(0) => 0x4433_2211, X(1) => 0x8877_6655, X(2) => 3, X(3) => 4, X(4) => D, M64(D) => PAT]
      [M32(D) => 3, M32(D + 4) => 4];
    "ldadd" [0xf8200022, // ldadd x0, x2, [x1]
    ] [X(0) => 5, X(1) => D, M64(D) => 10] [X(2) => 10, M64(D) => 15];
    "ldaddal w" [0xb8e00022, // ldaddal w0, w2, [x1]
    ] [X(0) => 1, X(1) => D, M64(D) => 0x1_ffff_ffff] [X(2) => O32, M64(D) => 0x1_0000_0000];
    "ldclr" [0xf8201022, // ldclr x0, x2, [x1]
    ] [X(0) => 0xf, X(1) => D, M64(D) => 0xff] [X(2) => 0xff, M64(D) => 0xf0];
    "ldeorb" [0x38202022, // ldeorb w0, w2, [x1]
    ] [X(0) => 0xff, X(1) => D, M64(D) => PAT] [X(2) => 0x11, M8(D) => 0xee];
    "ldseth" [0x78203022, // ldseth w0, w2, [x1]
    ] [X(0) => 0x8000, X(1) => D, M64(D) => PAT] [X(2) => 0x2211, M16(D) => 0xa211];
    "ldsmax" [0xf8204022, // ldsmax x0, x2, [x1]
    ] [X(0) => 1, X(1) => D, M64(D) => O64] [X(2) => O64, M64(D) => 1];
    "ldsminb" [0x38205022, // ldsminb w0, w2, [x1]
    ] [X(0) => 1, X(1) => D, M64(D) => 0x80] [X(2) => 0x80, M8(D) => 0x80];
    "ldumax w" [0xb8206022, // ldumax w0, w2, [x1]
    ] [X(0) => 1, X(1) => D, M64(D) => 0x8000_0000] [X(2) => 0x8000_0000];
    "lduminh" [0x78207022, // lduminh w0, w2, [x1]
    ] [X(0) => 1, X(1) => D, M64(D) => 0x8000] [X(2) => 0x8000, M16(D) => 1];
    "ldsmaxh neg" [0x78204022, // ldsmaxh w0, w2, [x1]
    ] [X(0) => 0xfffe, X(1) => D, M64(D) => 0xffff] [X(2) => 0xffff];
    "swp" [0xf8208022, // swp x0, x2, [x1]
    ] [X(0) => 7, X(1) => D, M64(D) => 3] [X(2) => 3, M64(D) => 7];
    "swpb" [0x38e08022, // swpalb w0, w2, [x1]
    ] [X(0) => 0x1ff, X(1) => D, M64(D) => PAT] [X(2) => 0x11, M8(D) => 0xff];
    "stadd" [0xb820003f, // stadd w0, [x1]
    ] [X(0) => 2, X(1) => D, M64(D) => 3] [M64(D) => 5];
    "ldadd unaligned" [0xf8200022, // ldadd x0, x2, [x1]
    ] [X(0) => 1, X(1) => D + 1, M64(D) => PAT] [X(2) => 0x0088_7766_5544_3322, M64(D + 1) => 0x0088_7766_5544_3323];
};

#[test]
fn features_gate_encodings() {
    let undef = |w: u32| Case {
        name: "gated",
        code: Box::leak(Box::new([w])),
        init: &[],
        exp: Box::leak(Box::new([
            (Exit, excp::UDEF as u64),
            (Pc, CODE),
            (Syn, w as u64),
        ])),
    };
    // LSE, CRC32 (present), RCpc and FlagM on a Cortex-A53 model.
    let a53 = [
        undef(0xf8200022), // ldadd x0, x2, [x1]
        undef(0xc8a07c22), // cas x0, x2, [x1]
        undef(0xf8bfc026), // ldapr x6, [x1]
        undef(0xd500401f), // cfinv
        undef(0x3a00082d), // setf8 w1
    ];
    run_all(&a53, &model::CORTEX_A53);
    let crc: &[Case] = cases! {
        "crc32 on a53" [0x1ac24020, // crc32b w0, w1, w2
        ] [] [X(0) => 0];
    };
    run_all(crc, &model::CORTEX_A53);
}

#[test]
fn all_conditions() {
    // For each condition, one program tries all 16 NZCV values: x<k> gets
    // `cset cc` under flags k, and bit k of x16 is set when `b.cc` falls
    // through.
    for cc in 0..16u32 {
        let mut code = vec![];
        let mut exp = vec![];
        let mut fall = 0u64;
        for k in 0..16u32 {
            let (n, z, c, v) = (k & 8 != 0, k & 4 != 0, k & 2 != 0, k & 1 != 0);
            let r = match cc >> 1 {
                0 => z,
                1 => c,
                2 => n,
                3 => v,
                4 => c && !z,
                5 => n == v,
                6 => !z && n == v,
                _ => true,
            };
            let want = if cc & 1 != 0 && cc != 15 { !r } else { r };
            code.push(0xd2a0_0009 | (k << 12) << 5); // movz x9, #(k << 12), lsl #16
            code.push(0xd51b_4209); // msr nzcv, x9
            if cc < 14 {
                code.push(0x9a9f_07e0 | ((cc ^ 1) << 12) | k); // cset x<k>, cc
                exp.push((X(k as usize), u64::from(want)));
            }
            code.push(0x5400_0040 | cc); // b.cc .+8
            code.push(0xb240_0210 | ((64 - k) % 64) << 16); // orr x16, x16, #(1 << k)
            if !want {
                fall |= 1 << k;
            }
        }
        exp.push((X(16), fall));
        exp.push((X(9), 15 << 28));
        exp.push((F, 15));
        let c = Case {
            name: "cond",
            code: Box::leak(code.into_boxed_slice()),
            init: &[],
            exp: Box::leak(exp.into_boxed_slice()),
        };
        for &b in BACKENDS {
            if let Err(e) = run_case(&c, &model::MAX, b) {
                panic!("cc={cc}: {e}");
            }
        }
    }
}

#[test]
fn ldst_fp_forms_are_not_ours() {
    // The integer patterns fix V = 0: SIMD&FP loads/stores must reach the
    // fp/simd groups (or UNDEF there), never an integer handler.
    let t = target_aarch64::translate::table();
    for w in [
        0x3dc00020u32, // ldr q0, [x1]
        0xad400440,    // ldp q0, q1, [x2]
        0xfc408420,    // ldr d0, [x1], #8
        0x1c000040,    // ldr s0, .+8
        0xbc627820,    // ldr s0, [x1, x2, lsl #2]
    ] {
        if let Some(p) = t.lookup(w) {
            assert!(
                !matches!(
                    p.name,
                    "ldr_lit"
                        | "ldst_pair"
                        | "ldst_imm9"
                        | "ldst_reg"
                        | "ldst_uimm"
                        | "excl"
                        | "atomic"
                ),
                "{w:#x} decoded as {}",
                p.name
            );
        }
    }
}

/// Random data-processing instructions with random inputs, expectations
/// from qemu-aarch64 (see vectors/gen_dp.py). Cases run in batches: each
/// loads x0..x7 and NZCV from a data block, runs its instruction and stores
/// x0..x7 and NZCV back, like the program that produced the vectors.
#[test]
fn random_data_processing_vs_qemu() {
    struct V {
        word: u32,
        text: &'static str,
        inp: [u64; 9],
        out: [u64; 9],
    }
    let vs: Vec<V> = include_str!("vectors/dp_random.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (nums, text) = l.split_once('#').unwrap();
            let f: Vec<u64> = nums
                .split_whitespace()
                .map(|x| u64::from_str_radix(x, 16).unwrap())
                .collect();
            assert_eq!(f.len(), 19, "{l}");
            V {
                word: f[0] as u32,
                text: text.trim(),
                inp: f[1..10].try_into().unwrap(),
                out: f[10..19].try_into().unwrap(),
            }
        })
        .collect();
    assert!(vs.len() >= 1000);
    const BLK: u64 = 160;
    let batch = ((MEM_SIZE as u64 - DATA) / BLK) as usize;
    let mut fails = vec![];
    for (n, chunk) in vs.chunks(batch).enumerate() {
        // Debug-built Cranelift costs milliseconds per guest instruction:
        // the JIT gets the first batch only.
        let backends: &[Backend] = if n == 0 {
            &[
                Backend::Ref,
                Backend::RefStep,
                Backend::Interp,
                Backend::JitShort,
            ]
        } else {
            &[Backend::Ref, Backend::RefStep, Backend::Interp]
        };
        for &backend in backends {
            let mut mem = Mem::new();
            let mut code = vec![];
            for (i, v) in chunk.iter().enumerate() {
                let blk = DATA + i as u64 * BLK;
                code.extend([
                    0xd280_0009 | ((blk & 0xffff) as u32) << 5, // movz x9, #lo
                    0xf2a0_0009 | ((blk >> 16) as u32) << 5,    // movk x9, #hi, lsl #16
                    0x9100_013f,                                // mov sp, x9
                    0xf940_23e9,                                // ldr x9, [sp, #64]
                    0xd51b_4209,                                // msr nzcv, x9
                    0xa940_07e0,                                // ldp x0, x1, [sp]
                    0xa941_0fe2,                                // ldp x2, x3, [sp, #16]
                    0xa942_17e4,                                // ldp x4, x5, [sp, #32]
                    0xa943_1fe6,                                // ldp x6, x7, [sp, #48]
                    v.word,
                    0xa905_07e0, // stp x0, x1, [sp, #80]
                    0xa906_0fe2, // stp x2, x3, [sp, #96]
                    0xa907_17e4, // stp x4, x5, [sp, #112]
                    0xa908_1fe6, // stp x6, x7, [sp, #128]
                    0xd53b_4209, // mrs x9, nzcv
                    0xf900_4be9, // str x9, [sp, #144]
                ]);
                for r in 0..8 {
                    mem.write(blk + 8 * r, 8, v.inp[r as usize]);
                }
                mem.write(blk + 64, 8, v.inp[8] << 28);
            }
            code.push(BRK0);
            for (k, w) in code.iter().enumerate() {
                mem.write(CODE + 4 * k as u64, 4, *w as u64);
            }
            let mut cpu = Box::<CpuState>::default();
            cpu.pc = CODE;
            let exit = run(&mut cpu, &mem, &model::MAX, backend);
            assert_eq!(exit, BRK, "[{backend:?}] did not reach the final BRK");
            for (i, v) in chunk.iter().enumerate() {
                let blk = DATA + i as u64 * BLK;
                let mut got = [0u64; 9];
                for (r, g) in got.iter_mut().take(8).enumerate() {
                    *g = mem.read(blk + 80 + 8 * r as u64, 8);
                }
                got[8] = mem.read(blk + 144, 8) >> 28;
                if got != v.out {
                    fails.push(format!(
                        "[{backend:?}] {:08x} {}: in {:x?} got {:x?} want {:x?}",
                        v.word, v.text, v.inp, got, v.out
                    ));
                }
            }
        }
    }
    assert!(
        fails.is_empty(),
        "{} failures:\n{}",
        fails.len(),
        fails.join("\n")
    );
}

#[test]
fn cntvct_counts() {
    // mrs x0, cntvct_el0 ; mrs x1, cntvct_el0 ; brk #0
    let code = [0xd53be040u32, 0xd53be041, BRK0];
    for &b in BACKENDS {
        let mut mem = Mem::new();
        for (k, w) in code.iter().enumerate() {
            mem.write(CODE + 4 * k as u64, 4, *w as u64);
        }
        let mut cpu = Box::<CpuState>::default();
        cpu.pc = CODE;
        assert_eq!(run(&mut cpu, &mem, &model::MAX, b), BRK);
        assert!(
            cpu.x[0] != 0 && cpu.x[1] >= cpu.x[0],
            "[{b:?}] {:#x} {:#x}",
            cpu.x[0],
            cpu.x[1]
        );
    }
}

#[test]
fn random_encodings_translate_and_verify() {
    // Any word must translate without panicking to IR that verifies; bias
    // towards the integer groups (op0 = x101, x1x0, 100x).
    use tcg::Frontend;
    struct One(u32);
    impl tcg::CodeReader for One {
        fn read_u32(&self, a: u64) -> Option<u32> {
            (a == CODE).then_some(self.0)
        }
        fn read_u16(&self, _: u64) -> Option<u16> {
            None
        }
        fn read_u8(&self, _: u64) -> Option<u8> {
            None
        }
    }
    let fe = target_aarch64::Aarch64 { model: &model::MAX };
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for n in 0..200_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut w = (x >> 16) as u32;
        if n % 2 == 0 {
            let op0 = [
                0b1000, 0b1001, 0b0101, 0b1101, 0b0100, 0b0110, 0b1100, 0b1110, 0b1010, 0b1011,
            ];
            w = (w & !(0xf << 25)) | op0[(x % op0.len() as u64) as usize] << 25;
        }
        let b = fe.translate(CODE, 0, &One(w), 1);
        if let Err(e) = tcg::ir::verify(&b) {
            panic!("{w:#010x}: {e}\n{b}");
        }
    }
}
