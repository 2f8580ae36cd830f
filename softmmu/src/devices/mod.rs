//! Devices, one file per real part.

pub mod gicv2;
pub mod pl011;
pub mod pl031;
