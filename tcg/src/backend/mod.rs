//! Execution backends: the IR interpreter (tier 0), its template tier (the
//! interpreter's lowered blocks as x86-64 templates, what `auto` runs
//! before a block is hot) and the Cranelift JIT (tier 1). All run the same
//! optimized IR and return the same `exit` codes; the test suite runs
//! every guest test on the interpreter and the JIT.

pub mod background;
pub mod codemem;
pub mod interp;
pub mod jit;
pub mod template;
pub mod x64;
