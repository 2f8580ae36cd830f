//! Machines, one file each.

pub mod virt;
