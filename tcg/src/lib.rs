//! The translation core: IR, optimizer, interpreter and Cranelift backends,
//! code cache and cpu loop. Knows no guest: guests plug in through the
//! `Frontend` trait and a `#[repr(C)]` state struct that starts with
//! `CpuCommon`.

pub mod backend;
pub mod cache;
pub mod cpu;
pub mod disas;
pub mod exec;
pub mod guard;
pub mod guest;
pub mod helper;
pub mod ir;
pub mod opt;
pub mod profile;
pub mod softmmu;

pub use cpu::CpuCommon;
pub use guest::{CodeReader, Frontend};
