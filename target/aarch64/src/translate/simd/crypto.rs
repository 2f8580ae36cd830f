//! Crypto extensions and dot product (filled in below).

use super::Ctx;
use crate::decode::{Insn, Pattern, Undef};

pub const PATTERNS: &[Pattern] = &[];

pub(crate) fn dot_elem(_ctx: &mut Ctx, _i: Insn) -> Result<(), Undef> {
    Err(Undef)
}
