//! The op table: every IR op is declared once here. The `Opcode` enum, the
//! `OP_INFO` metadata (used by the printer, verifier, optimizer and backends)
//! and the `Builder` emit methods are all generated from this one table.
//!
//! Arguments of an emitted op are stored as: outputs, then inputs, then the
//! non-`Imm` constants, in `Insn::args`; an `Imm` constant goes in `Insn::imm`.

use super::types::Type;

/// Kinds of constant arguments an op can carry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConstKind {
    /// A 64-bit immediate, stored in `Insn::imm`.
    Imm,
    Cond,
    Label,
    MemOp,
    /// A small unsigned integer (bit positions, env offsets, MMU index).
    U32,
}

/// No side effects: the op can be removed when its outputs are dead.
pub const PURE: u32 = 0;
/// Has effects beyond its outputs (memory, control flow, env).
pub const SIDE: u32 = 1;
/// Transfers control to a label.
pub const BRANCH: u32 = 2 | SIDE;
/// Reads or writes guest memory and may fault.
pub const MEM: u32 = 4 | SIDE;
/// Reads or writes the env directly (not through globals).
pub const ENV: u32 = 8 | SIDE;
/// Leaves the block.
pub const EXIT: u32 = 16 | SIDE;
/// A call to a helper (effects declared by the helper).
pub const CALL: u32 = 32 | SIDE;

/// Static description of one opcode.
#[derive(Debug)]
pub struct OpInfo {
    pub name: &'static str,
    pub outs: &'static [Type],
    pub ins: &'static [Type],
    pub consts: &'static [ConstKind],
    pub flags: u32,
}

impl OpInfo {
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag == flag && flag != 0
    }
    pub fn is_pure(&self) -> bool {
        self.flags & SIDE == 0
    }
}

macro_rules! const_ty {
    (Imm) => {
        u64
    };
    (Cond) => {
        super::types::Cond
    };
    (Label) => {
        super::types::Label
    };
    (MemOp) => {
        super::types::MemOp
    };
    (U32) => {
        u32
    };
}

macro_rules! const_enc {
    (Imm, $v:expr, $imm:ident, $args:ident, $n:ident) => {
        $imm = $v;
    };
    (Cond, $v:expr, $imm:ident, $args:ident, $n:ident) => {
        $args[$n] = $v as u32;
        $n += 1;
    };
    (Label, $v:expr, $imm:ident, $args:ident, $n:ident) => {
        $args[$n] = $v.0;
        $n += 1;
    };
    (MemOp, $v:expr, $imm:ident, $args:ident, $n:ident) => {
        $args[$n] = $v.0 as u32;
        $n += 1;
    };
    (U32, $v:expr, $imm:ident, $args:ident, $n:ident) => {
        $args[$n] = $v;
        $n += 1;
    };
}

macro_rules! define_ops {
    ($(
        $variant:ident $method:ident
        ( $($oname:ident : $oty:ident),* ) <- ( $($iname:ident : $ity:ident),* )
        [ $($cname:ident : $cty:ident),* ] $flags:expr ;
    )*) => {
        /// Every IR opcode; see `OP_INFO` for each one's signature.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Opcode { $($variant,)* Call }

        /// Metadata per opcode, indexed by `Opcode as usize`.
        pub static OP_INFO: &[OpInfo] = &[
            $(OpInfo {
                name: stringify!($method),
                outs: &[$(Type::$oty),*],
                ins: &[$(Type::$ity),*],
                consts: &[$(ConstKind::$cty),*],
                flags: $flags,
            },)*
            OpInfo { name: "call", outs: &[], ins: &[], consts: &[], flags: CALL },
        ];

        impl super::builder::Builder {
            $(
                #[allow(clippy::too_many_arguments, unused_mut, unused_assignments, unused_variables)]
                pub fn $method(&mut self, $($oname: super::types::Temp,)* $($iname: super::types::Temp,)* $($cname: const_ty!($cty),)*) {
                    let mut args = [0u32; super::MAX_ARGS];
                    let mut n = 0usize;
                    $( args[n] = $oname.0; n += 1; )*
                    $( args[n] = $iname.0; n += 1; )*
                    let mut imm = 0u64;
                    $( const_enc!($cty, $cname, imm, args, n); )*
                    self.push(Opcode::$variant, args, imm);
                }
            )*
        }
    };
}

define_ops! {
    // ---- moves and constants
    MovI32 mov_i32 (d: I32) <- (a: I32) [] PURE;
    MovI64 mov_i64 (d: I64) <- (a: I64) [] PURE;
    MoviI32 movi_i32 (d: I32) <- () [imm: Imm] PURE;
    MoviI64 movi_i64 (d: I64) <- () [imm: Imm] PURE;

    // ---- 32-bit arithmetic and logic
    AddI32 add_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    SubI32 sub_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    MulI32 mul_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    AndI32 and_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    OrI32 or_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    XorI32 xor_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    AndcI32 andc_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    OrcI32 orc_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    EqvI32 eqv_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    ShlI32 shl_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    ShrI32 shr_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    SarI32 sar_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    RotlI32 rotl_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    RotrI32 rotr_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    DivsI32 divs_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    DivuI32 divu_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    RemsI32 rems_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    RemuI32 remu_i32 (d: I32) <- (a: I32, b: I32) [] PURE;
    NegI32 neg_i32 (d: I32) <- (a: I32) [] PURE;
    NotI32 not_i32 (d: I32) <- (a: I32) [] PURE;
    ClzI32 clz_i32 (d: I32) <- (a: I32) [] PURE;
    CtzI32 ctz_i32 (d: I32) <- (a: I32) [] PURE;
    CtpopI32 ctpop_i32 (d: I32) <- (a: I32) [] PURE;
    Bswap16I32 bswap16_i32 (d: I32) <- (a: I32) [] PURE;
    Bswap32I32 bswap32_i32 (d: I32) <- (a: I32) [] PURE;
    Ext8sI32 ext8s_i32 (d: I32) <- (a: I32) [] PURE;
    Ext8uI32 ext8u_i32 (d: I32) <- (a: I32) [] PURE;
    Ext16sI32 ext16s_i32 (d: I32) <- (a: I32) [] PURE;
    Ext16uI32 ext16u_i32 (d: I32) <- (a: I32) [] PURE;
    ExtractI32 extract_i32 (d: I32) <- (a: I32) [pos: U32, len: U32] PURE;
    SextractI32 sextract_i32 (d: I32) <- (a: I32) [pos: U32, len: U32] PURE;
    DepositI32 deposit_i32 (d: I32) <- (a: I32, b: I32) [pos: U32, len: U32] PURE;
    SetcondI32 setcond_i32 (d: I32) <- (a: I32, b: I32) [cond: Cond] PURE;
    MovcondI32 movcond_i32 (d: I32) <- (c1: I32, c2: I32, v1: I32, v2: I32) [cond: Cond] PURE;

    // ---- 64-bit arithmetic and logic
    AddI64 add_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    SubI64 sub_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    MulI64 mul_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    MulhsI64 mulhs_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    MulhuI64 mulhu_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    AndI64 and_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    OrI64 or_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    XorI64 xor_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    AndcI64 andc_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    OrcI64 orc_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    EqvI64 eqv_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    ShlI64 shl_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    ShrI64 shr_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    SarI64 sar_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    RotlI64 rotl_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    RotrI64 rotr_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    DivsI64 divs_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    DivuI64 divu_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    RemsI64 rems_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    RemuI64 remu_i64 (d: I64) <- (a: I64, b: I64) [] PURE;
    NegI64 neg_i64 (d: I64) <- (a: I64) [] PURE;
    NotI64 not_i64 (d: I64) <- (a: I64) [] PURE;
    ClzI64 clz_i64 (d: I64) <- (a: I64) [] PURE;
    CtzI64 ctz_i64 (d: I64) <- (a: I64) [] PURE;
    CtpopI64 ctpop_i64 (d: I64) <- (a: I64) [] PURE;
    Bswap16I64 bswap16_i64 (d: I64) <- (a: I64) [] PURE;
    Bswap32I64 bswap32_i64 (d: I64) <- (a: I64) [] PURE;
    Bswap64I64 bswap64_i64 (d: I64) <- (a: I64) [] PURE;
    Ext8sI64 ext8s_i64 (d: I64) <- (a: I64) [] PURE;
    Ext8uI64 ext8u_i64 (d: I64) <- (a: I64) [] PURE;
    Ext16sI64 ext16s_i64 (d: I64) <- (a: I64) [] PURE;
    Ext16uI64 ext16u_i64 (d: I64) <- (a: I64) [] PURE;
    Ext32sI64 ext32s_i64 (d: I64) <- (a: I64) [] PURE;
    Ext32uI64 ext32u_i64 (d: I64) <- (a: I64) [] PURE;
    ExtractI64 extract_i64 (d: I64) <- (a: I64) [pos: U32, len: U32] PURE;
    SextractI64 sextract_i64 (d: I64) <- (a: I64) [pos: U32, len: U32] PURE;
    DepositI64 deposit_i64 (d: I64) <- (a: I64, b: I64) [pos: U32, len: U32] PURE;
    SetcondI64 setcond_i64 (d: I64) <- (a: I64, b: I64) [cond: Cond] PURE;
    MovcondI64 movcond_i64 (d: I64) <- (c1: I64, c2: I64, v1: I64, v2: I64) [cond: Cond] PURE;

    // ---- conversions between widths
    ExtrlI64I32 extrl_i64_i32 (d: I32) <- (a: I64) [] PURE;
    ExtrhI64I32 extrh_i64_i32 (d: I32) <- (a: I64) [] PURE;
    ExtuI32I64 extu_i32_i64 (d: I64) <- (a: I32) [] PURE;
    ExtsI32I64 exts_i32_i64 (d: I64) <- (a: I32) [] PURE;

    // ---- IEEE binary floating point, round to nearest even, on bit patterns
    // held in i64 temps (`_f32`: the low 32 bits; the result is
    // zero-extended). NaN results are the host's: frontends use these only
    // where the result is known not to need guest NaN rules, or check it.
    FaddF64 fadd_f64 (d: I64) <- (a: I64, b: I64) [] PURE;
    FsubF64 fsub_f64 (d: I64) <- (a: I64, b: I64) [] PURE;
    FmulF64 fmul_f64 (d: I64) <- (a: I64, b: I64) [] PURE;
    FdivF64 fdiv_f64 (d: I64) <- (a: I64, b: I64) [] PURE;
    FaddF32 fadd_f32 (d: I64) <- (a: I64, b: I64) [] PURE;
    FsubF32 fsub_f32 (d: I64) <- (a: I64, b: I64) [] PURE;
    FmulF32 fmul_f32 (d: I64) <- (a: I64, b: I64) [] PURE;
    FdivF32 fdiv_f32 (d: I64) <- (a: I64, b: I64) [] PURE;

    // ---- control flow inside the block
    SetLabel set_label () <- () [l: Label] SIDE;
    Br br () <- () [l: Label] BRANCH;
    BrcondI32 brcond_i32 () <- (a: I32, b: I32) [cond: Cond, l: Label] BRANCH;
    BrcondI64 brcond_i64 () <- (a: I64, b: I64) [cond: Cond, l: Label] BRANCH;
    // exit: leave the block now with guest exit reason `imm`; the guest pc
    // global must already hold the pc to resume at.
    Exit exit () <- () [reason: Imm] EXIT;
    // insn_start: marks the start of the guest instruction at pc `imm`. One
    // that follows a guest store or a helper call in the same block is an
    // exit point: if `exit_request` is set there (e.g. the store hit
    // translated code), the block leaves with pc = `imm` and exact state.
    InsnStart insn_start () <- () [pc: Imm] SIDE;

    // ---- guest memory (address is a 64-bit guest virtual address)
    LdI32 ld_i32 (d: I32) <- (addr: I64) [memop: MemOp, mmu: U32] MEM;
    LdI64 ld_i64 (d: I64) <- (addr: I64) [memop: MemOp, mmu: U32] MEM;
    StI32 st_i32 () <- (v: I32, addr: I64) [memop: MemOp, mmu: U32] MEM;
    StI64 st_i64 () <- (v: I64, addr: I64) [memop: MemOp, mmu: U32] MEM;
    // 16 bytes as two 64-bit halves (lo at addr, hi at addr + 8, each in
    // `memop`'s byte order), single-copy atomic as one 128-bit access when
    // addr is 16-byte aligned (user mode; FEAT_LSE2's LDP/STP).
    Ld2I64 ld2_i64 (lo: I64, hi: I64) <- (addr: I64) [memop: MemOp, mmu: U32] MEM;
    St2I64 st2_i64 () <- (lo: I64, hi: I64, addr: I64) [memop: MemOp, mmu: U32] MEM;

    // ---- env fields that are not globals (vector registers, rare state);
    // host byte order, size and sign from the MemOp.
    LdEnvI32 ld_env_i32 (d: I32) <- () [off: U32, memop: MemOp] ENV;
    LdEnvI64 ld_env_i64 (d: I64) <- () [off: U32, memop: MemOp] ENV;
    StEnvI32 st_env_i32 () <- (v: I32) [off: U32, memop: MemOp] ENV;
    StEnvI64 st_env_i64 () <- (v: I64) [off: U32, memop: MemOp] ENV;
}

impl Opcode {
    pub fn info(self) -> &'static OpInfo {
        &OP_INFO[self as usize]
    }
}
