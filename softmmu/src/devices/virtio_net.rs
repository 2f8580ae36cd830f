//! virtio-net (virtio 1.2, section 5.1): one receive and one transmit
//! queue, the MAC address and link status in the configuration space,
//! and the 12-byte `virtio_net_hdr` (VERSION_1 layout, `num_buffers`
//! always present) before every frame. Offloads for received frames:
//! GUEST_CSUM (frames are marked DATA_VALID: their checksums are right)
//! and GUEST_TSO4 (TCP data comes in frames of up to 64 KiB with the
//! segment size in the header). The guest checksums and segments what it
//! sends itself, so transmitted frames fit an MTU.
//!
//! The device is a `Port` of a `-netdev` backend (`net/`): the backend
//! thread takes transmitted frames and fills receive buffers; a queue
//! notification only wakes it. Frames the guest sends that are not
//! Ethernet-sized are dropped, as a NIC drops them.

use crate::devices::virtio_mmio::{Activation, VirtioDevice, VirtioIrq, INT_USED};
use crate::dma::GuestRam;
use crate::net::{NicLink, Port};
use crate::virtqueue::Queue;
use std::sync::Arc;

pub const DEVICE_ID: u32 = 1;
/// The driver may skip checksum verification of frames marked
/// DATA_VALID (Mimic's frames always carry correct checksums).
const F_GUEST_CSUM: u64 = 1 << 1;
const HDR_F_DATA_VALID: u8 = 2;
const F_MAC: u64 = 1 << 5;
/// The driver takes TCP/IPv4 frames larger than the MTU (with the
/// segment size in the header): Mimic's TCP then sends up to 64 KiB per
/// frame. Linux posts big receive buffers for it.
const F_GUEST_TSO4: u64 = 1 << 7;
const GSO_TCPV4: u8 = 1;
/// Ethernet + IPv4 + TCP headers of Mimic's data segments (no options).
const TCP_HDR_LEN: u16 = 14 + 20 + 20;
const F_STATUS: u64 = 1 << 16;
const S_LINK_UP: u16 = 1;
/// `struct virtio_net_hdr` with `num_buffers` (VERSION_1).
pub const HDR_LEN: usize = 12;
/// Largest frame accepted from the guest: Ethernet + a VLAN tag.
const MAX_FRAME: u64 = 1518;

/// The MAC of the `index`th NIC without `mac=` (NICs with one do not
/// count): QEMU's 52:54:00:12:34:56 counting up.
pub fn default_mac(index: usize) -> [u8; 6] {
    let mut m: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    m[5] = m[5].wrapping_add(index as u8);
    m
}

pub struct VirtioNet {
    mac: [u8; 6],
    link: Arc<NicLink>,
    irq: Arc<VirtioIrq>,
}

impl VirtioNet {
    pub fn new(mac: [u8; 6], link: Arc<NicLink>, irq: Arc<VirtioIrq>) -> VirtioNet {
        VirtioNet { mac, link, irq }
    }
}

impl Drop for VirtioNet {
    fn drop(&mut self) {
        self.link.detach();
    }
}

impl VirtioDevice for VirtioNet {
    fn name(&self) -> &'static str {
        "virtio-net"
    }
    fn device_id(&self) -> u32 {
        DEVICE_ID
    }
    fn features(&self) -> u64 {
        F_GUEST_CSUM | F_GUEST_TSO4 | F_MAC | F_STATUS
    }
    fn num_queues(&self) -> usize {
        2
    }
    fn read_config(&self, off: u64, size: u32) -> u64 {
        let mut c = [0u8; 12];
        c[0..6].copy_from_slice(&self.mac);
        c[6..8].copy_from_slice(&S_LINK_UP.to_le_bytes());
        c[8..10].copy_from_slice(&1u16.to_le_bytes()); // max_virtqueue_pairs
        let mut v = [0u8; 8];
        for (i, b) in v.iter_mut().enumerate().take(size.min(8) as usize) {
            *b = c.get(off as usize + i).copied().unwrap_or(0);
        }
        u64::from_le_bytes(v)
    }
    fn activate(&mut self, a: Activation) {
        let mut qs = a.queues.into_iter();
        let (rx, tx) = (qs.next().unwrap_or_default(), qs.next().unwrap_or_default());
        let gso = a.features & (F_GUEST_TSO4 | F_GUEST_CSUM) == F_GUEST_TSO4 | F_GUEST_CSUM;
        self.link.attach(
            Box::new(NetQueues {
                mem: a.mem,
                rx,
                tx,
                irq: self.irq.clone(),
                data_valid: a.features & F_GUEST_CSUM != 0,
                used: false,
                broken: false,
            }),
            gso,
        );
    }
    fn notify(&mut self, _q: usize) {
        self.link.waker.wake();
    }
    fn reset(&mut self) {
        self.link.detach();
    }
    fn quiesce(&mut self) -> Vec<(u16, u16)> {
        self.link.hold()
    }
    fn resume(&mut self) {
        self.link.release();
    }
}

/// The activated queues, used by the backend thread.
struct NetQueues {
    mem: GuestRam,
    rx: Queue,
    tx: Queue,
    irq: Arc<VirtioIrq>,
    /// GUEST_CSUM negotiated: received frames are marked DATA_VALID.
    data_valid: bool,
    /// Buffers were returned since the last `finish`.
    used: bool,
    broken: bool,
}

impl NetQueues {
    fn fail(&mut self, why: &str) {
        self.broken = true;
        self.irq.fail(why);
    }
}

impl Port for NetQueues {
    fn take_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            if self.broken {
                return None;
            }
            let chain = match self.tx.pop(&self.mem) {
                Ok(Some(c)) => c,
                Ok(None) => return None,
                Err(e) => {
                    self.fail(&e.to_string());
                    return None;
                }
            };
            let len = chain.readable_len();
            let frame = if len > HDR_LEN as u64 && len - (HDR_LEN as u64) <= MAX_FRAME {
                let mut f = vec![0u8; len as usize - HDR_LEN];
                chain
                    .read_at(&self.mem, HDR_LEN as u64, &mut f)
                    .then_some(f)
            } else {
                tracing::debug!(target: "unimp", "virtio-net: dropped a {len}-byte transmit buffer");
                None
            };
            if let Err(e) = self.tx.push(&self.mem, chain.head, 0) {
                self.fail(&e.to_string());
                return None;
            }
            self.used = true;
            if let Some(f) = frame {
                return Some(f);
            }
        }
    }

    fn give_frame(&mut self, frame: &[u8], gso_size: u16) -> bool {
        if self.broken {
            // Nobody can receive until the driver resets: drop.
            return true;
        }
        let chain = match self.rx.pop(&self.mem) {
            Ok(Some(c)) => c,
            Ok(None) => return false,
            Err(e) => {
                self.fail(&e.to_string());
                return true;
            }
        };
        let mut hdr = [0u8; HDR_LEN];
        if self.data_valid {
            hdr[0] = HDR_F_DATA_VALID;
        }
        if gso_size != 0 {
            hdr[1] = GSO_TCPV4;
            hdr[2..4].copy_from_slice(&TCP_HDR_LEN.to_le_bytes());
            hdr[4..6].copy_from_slice(&gso_size.to_le_bytes());
        }
        hdr[10..12].copy_from_slice(&1u16.to_le_bytes()); // num_buffers
        let fits = chain.writable_len() >= (HDR_LEN + frame.len()) as u64;
        let written = fits
            && chain.write_at(&self.mem, 0, &hdr)
            && chain.write_at(&self.mem, HDR_LEN as u64, frame);
        if !written {
            // Dropped, as a NIC drops what does not fit its buffer.
            tracing::debug!(target: "unimp", "virtio-net: receive buffer of {} bytes too small for a {}-byte frame", chain.writable_len(), frame.len());
        }
        let len = if written { HDR_LEN + frame.len() } else { 0 };
        if let Err(e) = self.rx.push(&self.mem, chain.head, len as u32) {
            self.fail(&e.to_string());
        }
        self.used = true;
        true
    }

    fn finish(&mut self) {
        if std::mem::take(&mut self.used)
            && (self.rx.wants_interrupt(&self.mem) || self.tx.wants_interrupt(&self.mem))
        {
            self.irq.raise(INT_USED);
        }
    }

    fn positions(&self) -> Vec<(u16, u16)> {
        vec![self.rx.position(), self.tx.position()]
    }
}
