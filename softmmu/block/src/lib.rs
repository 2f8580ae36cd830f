//! The block layer: image formats (raw, qcow2, QED, VMDK, VHDX), NBD, throttling
//! filters, behind one `BlockDriver` trait. Knows nothing about CPUs or guests.

pub mod img;
