//! The virtio-mmio transport (virtio 1.2, section 4.2), "modern" register
//! layout only (Version 2): identification, feature negotiation through
//! the two 32-bit feature windows, split-queue configuration, notification,
//! interrupt status/acknowledge, the device status state machine and the
//! device's configuration space from offset 0x100. A transport without a
//! device answers with device ID 0, which drivers skip (the `virt` board
//! has 32 transports whether or not they are populated).
//!
//! The device behind it implements `VirtioDevice`; it is activated with
//! its queues when the driver sets DRIVER_OK and reset when the driver
//! writes status 0.

use crate::device::Device;
use crate::dma::GuestRam;
use crate::irq::IrqLine;
use crate::virtqueue::{self, Queue};
use crate::vmstate::wire::{Reader, Writer};
use crate::vmstate::StateError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const MAGIC: u64 = 0x7472_6976; // "virt"
const VENDOR: u64 = 0x554d_4551; // the vendor id Linux and QEMU use for virtio-mmio
/// Device status bits.
pub const S_ACKNOWLEDGE: u32 = 1;
pub const S_DRIVER: u32 = 2;
pub const S_DRIVER_OK: u32 = 4;
pub const S_FEATURES_OK: u32 = 8;
pub const S_NEEDS_RESET: u32 = 0x40;
pub const S_FAILED: u32 = 0x80;
/// InterruptStatus bits.
pub const INT_USED: u32 = 1;
pub const INT_CONFIG: u32 = 2;
/// Transport feature bits.
pub const F_RING_INDIRECT_DESC: u64 = 1 << 28;
pub const F_VERSION_1: u64 = 1 << 32;

/// The interrupt of one transport: InterruptStatus drives the line.
/// Devices raise bits from their worker threads; the driver acknowledges.
pub struct VirtioIrq {
    line: IrqLine,
    status: Mutex<u32>,
    needs_reset: AtomicBool,
}

impl VirtioIrq {
    pub fn new(line: IrqLine) -> Arc<VirtioIrq> {
        Arc::new(VirtioIrq {
            line,
            status: Mutex::new(0),
            needs_reset: AtomicBool::new(false),
        })
    }
    pub fn raise(&self, bits: u32) {
        if let Ok(mut s) = self.status.lock() {
            *s |= bits;
            self.line.set(*s != 0);
        }
    }
    fn ack(&self, bits: u32) {
        if let Ok(mut s) = self.status.lock() {
            *s &= !bits;
            self.line.set(*s != 0);
        }
    }
    fn status(&self) -> u32 {
        self.status.lock().map(|s| *s).unwrap_or(0)
    }
    /// The device met an error it cannot report in a request (a malformed
    /// queue): DEVICE_NEEDS_RESET and a configuration-change interrupt.
    pub fn fail(&self, why: &str) {
        tracing::warn!(target: "unimp", "virtio device needs reset: {why}");
        self.needs_reset.store(true, Ordering::SeqCst);
        self.raise(INT_CONFIG);
    }
    fn clear(&self) {
        self.needs_reset.store(false, Ordering::SeqCst);
        self.ack(u32::MAX);
    }
}

/// What a device gets when the driver sets DRIVER_OK.
pub struct Activation {
    pub mem: GuestRam,
    /// One per queue the device has; size 0 when the driver left it unused.
    pub queues: Vec<Queue>,
    /// The features the driver accepted.
    pub features: u64,
}

/// A virtio device type behind the transport.
pub trait VirtioDevice: Send {
    fn name(&self) -> &'static str;
    /// Virtio device ID (2: block).
    fn device_id(&self) -> u32;
    /// Device-type feature bits (the transport adds VERSION_1 and
    /// INDIRECT_DESC).
    fn features(&self) -> u64;
    fn num_queues(&self) -> usize;
    fn read_config(&self, offset: u64, size: u32) -> u64;
    fn write_config(&mut self, _offset: u64, _size: u32, _value: u64) {}
    /// Changes whenever the configuration space changes.
    fn config_generation(&self) -> u32 {
        0
    }
    fn activate(&mut self, a: Activation);
    /// The driver notified queue `q`.
    fn notify(&mut self, q: usize);
    /// Stop using the queues (status 0 written, or machine reset).
    fn reset(&mut self);
    /// Finishes the requests in flight (the machine is paused for a
    /// snapshot) and returns each queue's `Queue::position`; empty when
    /// not activated.
    fn quiesce(&mut self) -> Vec<(u16, u16)>;
    /// The machine runs again after `quiesce` (a device whose work is
    /// driven by the host, not by the guest, may go on).
    fn resume(&mut self) {}
}

#[derive(Default, Clone)]
struct QueueRegs {
    num: u32,
    ready: bool,
    desc: u64,
    driver: u64,
    device: u64,
}

pub struct VirtioMmio {
    dev: Option<Box<dyn VirtioDevice>>,
    irq: Arc<VirtioIrq>,
    mem: GuestRam,
    status: u32,
    dev_features_sel: u32,
    drv_features_sel: u32,
    drv_features: u64,
    queue_sel: u32,
    queues: Vec<QueueRegs>,
    active: bool,
}

fn set_half(v: &mut u64, high: bool, x: u64) {
    if high {
        *v = (*v & 0xffff_ffff) | (x & 0xffff_ffff) << 32;
    } else {
        *v = (*v & !0xffff_ffff) | (x & 0xffff_ffff);
    }
}

impl VirtioMmio {
    pub fn new(
        dev: Option<Box<dyn VirtioDevice>>,
        irq: Arc<VirtioIrq>,
        mem: GuestRam,
    ) -> VirtioMmio {
        let n = dev.as_ref().map_or(0, |d| d.num_queues());
        VirtioMmio {
            dev,
            irq,
            mem,
            status: 0,
            dev_features_sel: 0,
            drv_features_sel: 0,
            drv_features: 0,
            queue_sel: 0,
            queues: vec![QueueRegs::default(); n],
            active: false,
        }
    }

    fn device_features(&self) -> u64 {
        self.dev
            .as_ref()
            .map_or(0, |d| d.features() | F_VERSION_1 | F_RING_INDIRECT_DESC)
    }

    fn queue(&mut self) -> Option<&mut QueueRegs> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    fn write_status(&mut self, v: u32) {
        if v == 0 {
            self.reset();
            return;
        }
        let mut v = v & 0xff;
        if v & S_FEATURES_OK != 0 && self.status & S_FEATURES_OK == 0 {
            // Only modern drivers, and only features we offered.
            let offered = self.device_features();
            if self.drv_features & !offered != 0 || self.drv_features & F_VERSION_1 == 0 {
                tracing::debug!(target: "unimp", "virtio: driver features {:#x} refused (offered {offered:#x})", self.drv_features);
                v &= !S_FEATURES_OK;
            }
        }
        let was = self.status;
        self.status = v;
        if v & S_DRIVER_OK != 0 && was & S_DRIVER_OK == 0 && v & S_FEATURES_OK != 0 {
            self.activate();
        }
    }

    fn activate(&mut self) {
        self.activate_at(&[]);
    }

    /// Activates the device with its queues at `positions` (from a
    /// snapshot; missing ones start at 0).
    fn activate_at(&mut self, positions: &[(u16, u16)]) {
        let indirect = self.drv_features & F_RING_INDIRECT_DESC != 0;
        let queues = self
            .queues
            .iter()
            .enumerate()
            .map(|(i, q)| {
                if q.ready {
                    Queue::new(q.num as u16, q.desc, q.driver, q.device, indirect)
                        .at_position(positions.get(i).copied().unwrap_or((0, 0)))
                } else {
                    Queue::default()
                }
            })
            .collect();
        if let Some(d) = &mut self.dev {
            d.activate(Activation {
                mem: self.mem.clone(),
                queues,
                features: self.drv_features,
            });
            self.active = true;
        }
    }
}

impl Device for VirtioMmio {
    fn name(&self) -> &'static str {
        self.dev.as_ref().map_or("virtio-mmio", |d| d.name())
    }

    fn read(&mut self, off: u64, size: u32) -> u64 {
        if off >= 0x100 {
            return self
                .dev
                .as_ref()
                .map_or(0, |d| d.read_config(off - 0x100, size));
        }
        let q = self.queues.get(self.queue_sel as usize);
        match off {
            0x000 => MAGIC,
            0x004 => 2,
            0x008 => self.dev.as_ref().map_or(0, |d| d.device_id() as u64),
            0x00c => VENDOR,
            0x010 => match self.dev_features_sel {
                0 => self.device_features() & 0xffff_ffff,
                1 => self.device_features() >> 32,
                _ => 0,
            },
            0x034 => q.map_or(0, |_| virtqueue::MAX_SIZE as u64),
            0x044 => q.map_or(0, |q| q.ready as u64),
            0x060 => self.irq.status() as u64,
            0x070 => {
                let nr = if self.irq.needs_reset.load(Ordering::SeqCst) {
                    S_NEEDS_RESET
                } else {
                    0
                };
                (self.status | nr) as u64
            }
            // No shared memory regions: length -1.
            0x0b0 | 0x0b4 => 0xffff_ffff,
            0x0fc => self
                .dev
                .as_ref()
                .map_or(0, |d| d.config_generation() as u64),
            _ => 0,
        }
    }

    fn write(&mut self, off: u64, size: u32, v: u64) {
        if off >= 0x100 {
            if let Some(d) = &mut self.dev {
                d.write_config(off - 0x100, size, v);
            }
            return;
        }
        // Queue registers may only change while the queue is not ready.
        let can_set = |q: &QueueRegs| !q.ready;
        match off {
            0x014 => self.dev_features_sel = v as u32,
            0x020 => match self.drv_features_sel {
                0 => set_half(&mut self.drv_features, false, v),
                1 => set_half(&mut self.drv_features, true, v),
                _ => {}
            },
            0x024 => self.drv_features_sel = v as u32,
            0x030 => self.queue_sel = v as u32,
            0x038 => {
                if let Some(q) = self.queue().filter(|q| can_set(q)) {
                    // A power of two up to the maximum (split queues in
                    // virtio 1.x may be any size; Linux uses the maximum).
                    q.num = (v as u32).min(virtqueue::MAX_SIZE as u32);
                }
            }
            0x044 => {
                if let Some(q) = self.queue() {
                    q.ready = v & 1 != 0 && q.num != 0;
                }
            }
            0x050 => {
                let n = v as usize;
                if self.active && n < self.queues.len() {
                    if let Some(d) = &mut self.dev {
                        d.notify(n);
                    }
                }
            }
            0x064 => self.irq.ack(v as u32),
            0x070 => self.write_status(v as u32),
            0x080 | 0x084 | 0x090 | 0x094 | 0x0a0 | 0x0a4 => {
                if let Some(q) = self.queue().filter(|q| can_set(q)) {
                    let high = off & 4 != 0;
                    let f = match off & !4 {
                        0x080 => &mut q.desc,
                        0x090 => &mut q.driver,
                        _ => &mut q.device,
                    };
                    set_half(f, high, v);
                }
            }
            _ => {}
        }
    }

    fn quiesce(&mut self) {
        if let (Some(d), true) = (&mut self.dev, self.active) {
            d.quiesce();
        }
    }

    fn resume(&mut self) {
        if let (Some(d), true) = (&mut self.dev, self.active) {
            d.resume();
        }
    }

    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        let positions = match (&mut self.dev, self.active) {
            (Some(d), true) => d.quiesce(),
            _ => Vec::new(),
        };
        let mut w = Writer::default();
        w.u32(self.dev.as_ref().map_or(0, |d| d.device_id()));
        w.u32(self.status)
            .u32(self.dev_features_sel)
            .u32(self.drv_features_sel)
            .u64(self.drv_features)
            .u32(self.queue_sel)
            .bool(self.active)
            .u32(self.irq.status())
            .bool(self.irq.needs_reset.load(Ordering::SeqCst));
        w.u32(self.queues.len() as u32);
        for (i, q) in self.queues.iter().enumerate() {
            let (a, u) = positions.get(i).copied().unwrap_or((0, 0));
            w.u32(q.num)
                .bool(q.ready)
                .u64(q.desc)
                .u64(q.driver)
                .u64(q.device);
            w.u16(a).u16(u);
        }
        Ok(w.finish())
    }

    fn load(&mut self, data: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new("virtio-mmio", data);
        let id = r.u32()?;
        let mine = self.dev.as_ref().map_or(0, |d| d.device_id());
        if id != mine {
            return Err(r.bad(&format!(
                "state of device type {id}, this transport has type {mine}"
            )));
        }
        let (status, dfs, drfs, drf, qsel) = (r.u32()?, r.u32()?, r.u32()?, r.u64()?, r.u32()?);
        let (active, isr, needs_reset) = (r.bool()?, r.u32()?, r.bool()?);
        let n = r.count(64)?;
        if n != self.queues.len() {
            return Err(r.bad(&format!("{n} queues, the device has {}", self.queues.len())));
        }
        let mut queues = Vec::new();
        let mut positions = Vec::new();
        for _ in 0..n {
            let num = r.u32()?;
            if num > virtqueue::MAX_SIZE as u32 {
                return Err(r.bad(&format!("queue size {num}")));
            }
            queues.push(QueueRegs {
                num,
                ready: r.bool()?,
                desc: r.u64()?,
                driver: r.u64()?,
                device: r.u64()?,
            });
            positions.push((r.u16()?, r.u16()?));
        }
        r.end()?;
        if let Some(d) = &mut self.dev {
            d.reset();
        }
        self.status = status & 0xff;
        self.dev_features_sel = dfs;
        self.drv_features_sel = drfs;
        self.drv_features = drf;
        self.queue_sel = qsel;
        self.queues = queues;
        self.active = false;
        self.irq.clear();
        if active {
            self.activate_at(&positions);
        }
        if needs_reset {
            self.irq.needs_reset.store(true, Ordering::SeqCst);
        }
        self.irq.raise(isr);
        Ok(())
    }

    fn reset(&mut self) {
        if let Some(d) = &mut self.dev {
            d.reset();
        }
        self.active = false;
        self.status = 0;
        self.dev_features_sel = 0;
        self.drv_features_sel = 0;
        self.drv_features = 0;
        self.queue_sel = 0;
        for q in &mut self.queues {
            *q = QueueRegs::default();
        }
        self.irq.clear();
    }
}
