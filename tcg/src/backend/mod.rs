//! Execution backends: the IR interpreter (tier 0) and the Cranelift JIT
//! (tier 1). Both run the same optimized IR and return the same `exit` codes;
//! the test suite runs every guest test on both.

pub mod background;
pub mod codemem;
pub mod interp;
pub mod jit;
