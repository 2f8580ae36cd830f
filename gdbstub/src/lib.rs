//! The GDB remote serial protocol server (`-g PORT`) for Mimic's guests.
//!
//! This crate owns the debugger's side of the emulator: which threads are
//! stopped, breakpoints, watchpoints, single-step requests, and the TCP
//! server that speaks GDB's protocol (through the `gdbstub` crate). It
//! knows no guest and no operating system: a guest supplies its register
//! layout as a `gdbstub::arch::Arch` (e.g. `target_aarch64::gdb`), and the
//! cpu loop that runs guest threads (user mode's, later system mode's)
//! calls the [`Debugger`] hooks at instruction boundaries and around
//! blocking calls.
//!
//! The model is all-stop: a stop event in one thread (breakpoint, finished
//! step, watchpoint, Ctrl-C) stops every thread before GDB hears of it, and
//! GDB's resume restarts them all with per-thread actions.

pub mod control;
pub mod server;

pub use control::{Debugger, Memory};
pub use server::{listen, serve};
