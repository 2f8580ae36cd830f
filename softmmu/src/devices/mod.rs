//! Devices, one file per real part.

pub mod gicv2;
pub mod pl011;
pub mod pl031;
pub mod pl061;
pub mod virtio_blk;
pub mod virtio_mmio;
pub mod virtio_net;
