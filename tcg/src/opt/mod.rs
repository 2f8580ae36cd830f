//! IR optimizer passes, run on every block before lowering:
//! constant folding with copy propagation (`fold`), then dead-op elimination
//! (`dce`), which also drops flag computations overwritten before any read.

mod dce;
mod fold;

pub use dce::dce;
pub use fold::fold;

use crate::ir::IrBlock;

pub fn optimize(b: &mut IrBlock) {
    fold(b);
    dce(b);
}

#[cfg(test)]
mod tests;
