//! The operation enums the scalar and vector helpers dispatch on, and the
//! dispatchers themselves.

use super::{arith, conv, recip, Fmt, Fp, Round};

/// Two-operand operations, as dispatched by scalar and vector helpers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Bin {
    Add = 0,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    MaxNm,
    MinNm,
    Nmul,
    Mulx,
    Recps,
    Rsqrts,
    Abd,
    CmEq,
    CmGe,
    CmGt,
    AcGe,
    AcGt,
}

impl Bin {
    pub const ALL: [Bin; 18] = [
        Bin::Add,
        Bin::Sub,
        Bin::Mul,
        Bin::Div,
        Bin::Max,
        Bin::Min,
        Bin::MaxNm,
        Bin::MinNm,
        Bin::Nmul,
        Bin::Mulx,
        Bin::Recps,
        Bin::Rsqrts,
        Bin::Abd,
        Bin::CmEq,
        Bin::CmGe,
        Bin::CmGt,
        Bin::AcGe,
        Bin::AcGt,
    ];
    pub fn from_u64(v: u64) -> Bin {
        Bin::ALL.get(v as usize).copied().unwrap_or(Bin::Add)
    }
}

/// Applies a two-operand operation; compares give all-ones or zero.
#[inline]
pub fn binop(fp: &mut Fp, f: Fmt, op: Bin, a: u64, b: u64) -> u64 {
    use arith::{Cmp, MinMax};
    let ones = f.mask();
    match op {
        Bin::Add => arith::add(fp, f, a, b),
        Bin::Sub => arith::sub(fp, f, a, b),
        Bin::Mul => arith::mul(fp, f, a, b),
        Bin::Div => arith::div(fp, f, a, b),
        Bin::Max => arith::minmax(fp, f, a, b, MinMax::Max),
        Bin::Min => arith::minmax(fp, f, a, b, MinMax::Min),
        Bin::MaxNm => arith::minmax(fp, f, a, b, MinMax::MaxNm),
        Bin::MinNm => arith::minmax(fp, f, a, b, MinMax::MinNm),
        // FPNeg flips the sign of NaN results too.
        Bin::Nmul => f.neg(arith::mul(fp, f, a, b)),
        Bin::Mulx => arith::mulx(fp, f, a, b),
        Bin::Recps => recip::recps(fp, f, a, b),
        Bin::Rsqrts => recip::rsqrts(fp, f, a, b),
        Bin::Abd => {
            let r = arith::sub(fp, f, a, b);
            f.abs(r)
        }
        Bin::CmEq => ones * arith::compare_cond(fp, f, a, b, Cmp::Eq) as u64,
        Bin::CmGe => ones * arith::compare_cond(fp, f, a, b, Cmp::Ge) as u64,
        Bin::CmGt => ones * arith::compare_cond(fp, f, a, b, Cmp::Gt) as u64,
        Bin::AcGe => ones * arith::compare_cond(fp, f, f.abs(a), f.abs(b), Cmp::Ge) as u64,
        Bin::AcGt => ones * arith::compare_cond(fp, f, f.abs(a), f.abs(b), Cmp::Gt) as u64,
    }
}

/// One-operand operations.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Un {
    Sqrt = 0,
    RintN,
    RintP,
    RintM,
    RintZ,
    RintA,
    RintX,
    RintI,
    Rint32Z,
    Rint32X,
    Rint64Z,
    Rint64X,
    Recpe,
    Rsqrte,
    Recpx,
    /// Compares against zero.
    CmGt0,
    CmGe0,
    CmEq0,
    CmLe0,
    CmLt0,
}

impl Un {
    pub const ALL: [Un; 20] = [
        Un::Sqrt,
        Un::RintN,
        Un::RintP,
        Un::RintM,
        Un::RintZ,
        Un::RintA,
        Un::RintX,
        Un::RintI,
        Un::Rint32Z,
        Un::Rint32X,
        Un::Rint64Z,
        Un::Rint64X,
        Un::Recpe,
        Un::Rsqrte,
        Un::Recpx,
        Un::CmGt0,
        Un::CmGe0,
        Un::CmEq0,
        Un::CmLe0,
        Un::CmLt0,
    ];
    pub fn from_u64(v: u64) -> Un {
        Un::ALL.get(v as usize).copied().unwrap_or(Un::Sqrt)
    }
}

pub fn unop(fp: &mut Fp, f: Fmt, op: Un, a: u64) -> u64 {
    use arith::Cmp;
    let ones = f.mask();
    let cur = fp.rounding();
    match op {
        Un::Sqrt => arith::sqrt(fp, f, a),
        Un::RintN => conv::round_int(fp, f, a, Round::TieEven, false),
        Un::RintP => conv::round_int(fp, f, a, Round::PosInf, false),
        Un::RintM => conv::round_int(fp, f, a, Round::NegInf, false),
        Un::RintZ => conv::round_int(fp, f, a, Round::Zero, false),
        Un::RintA => conv::round_int(fp, f, a, Round::TieAway, false),
        Un::RintX => conv::round_int(fp, f, a, cur, true),
        Un::RintI => conv::round_int(fp, f, a, cur, false),
        Un::Rint32Z => conv::round_int_n(fp, f, a, Round::Zero, 32),
        Un::Rint32X => conv::round_int_n(fp, f, a, cur, 32),
        Un::Rint64Z => conv::round_int_n(fp, f, a, Round::Zero, 64),
        Un::Rint64X => conv::round_int_n(fp, f, a, cur, 64),
        Un::Recpe => recip::recpe(fp, f, a),
        Un::Rsqrte => recip::rsqrte(fp, f, a),
        Un::Recpx => recip::recpx(fp, f, a),
        Un::CmGt0 => ones * arith::compare_cond(fp, f, a, 0, Cmp::Gt) as u64,
        Un::CmGe0 => ones * arith::compare_cond(fp, f, a, 0, Cmp::Ge) as u64,
        Un::CmEq0 => ones * arith::compare_cond(fp, f, a, 0, Cmp::Eq) as u64,
        Un::CmLe0 => ones * arith::compare_cond(fp, f, 0, a, Cmp::Ge) as u64,
        Un::CmLt0 => ones * arith::compare_cond(fp, f, 0, a, Cmp::Gt) as u64,
    }
}
