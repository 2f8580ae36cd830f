//! Saved VM state (savevm/loadvm): Mimic's own versioned format
//! (`format.rs`), the encodings of the cpu (`cpu.rs`) and of RAM
//! (`ram.rs`), the field coder devices use (`wire.rs`), and the sequential
//! access to a drive's VM state area (`area.rs`). `machine_state.rs`
//! collects the sections of a whole machine and restores them.

pub mod area;
pub mod cpu;
pub mod format;
pub mod machine_state;
pub mod ram;
pub mod wire;

/// A state that cannot be saved or restored, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StateError(pub String);

impl From<std::io::Error> for StateError {
    fn from(e: std::io::Error) -> StateError {
        StateError(e.to_string())
    }
}
