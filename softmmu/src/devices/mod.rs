//! Devices, one file per real part.

pub mod gic;
pub mod gicv2;
pub mod gicv3;
pub mod pl011;
pub mod pl031;
pub mod pl061;
pub mod virtio_blk;
pub mod virtio_mmio;
pub mod virtio_net;
