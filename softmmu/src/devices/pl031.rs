//! Arm PrimeCell real-time clock PL031 (DDI 0224): a seconds counter that
//! starts at the host's wall-clock time, a match register and its interrupt.

use crate::device::{primecell_id, Device};
use crate::irq::IrqLine;
use crate::vmstate::wire::{Reader, Writer};
use crate::vmstate::StateError;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Pl031 {
    irq: IrqLine,
    /// Guest time = host seconds + offset (LR writes move it).
    offset: i64,
    mr: u32,
    imsc: u32,
    ris: u32,
}

fn host_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Pl031 {
    pub fn new(irq: IrqLine) -> Pl031 {
        Pl031 {
            irq,
            offset: 0,
            mr: 0,
            imsc: 0,
            ris: 0,
        }
    }
    fn now(&self) -> u32 {
        (host_secs() + self.offset) as u32
    }
    fn update(&mut self) {
        if self.now() == self.mr {
            self.ris = 1;
        }
        self.irq.set(self.ris & self.imsc != 0);
    }
}

impl Device for Pl031 {
    fn name(&self) -> &'static str {
        "pl031"
    }
    fn read(&mut self, off: u64, _size: u32) -> u64 {
        if let Some(v) = primecell_id(off, [0x31, 0x10, 0x04, 0x00]) {
            return v;
        }
        self.update();
        match off {
            0x00 => self.now() as u64,
            0x04 => self.mr as u64,
            0x08 => self.now() as u64,
            0x0c => 1,
            0x10 => self.imsc as u64,
            0x14 => self.ris as u64,
            0x18 => (self.ris & self.imsc) as u64,
            _ => 0,
        }
    }
    fn write(&mut self, off: u64, _size: u32, v: u64) {
        match off {
            0x04 => self.mr = v as u32,
            0x08 => self.offset = v as u32 as i64 - host_secs(),
            0x10 => self.imsc = v as u32 & 1,
            0x1c => self.ris &= !(v as u32 & 1),
            _ => {}
        }
        self.update();
    }
    /// The RTC keeps its offset to host time: after a load it goes on
    /// showing the host's time as the guest last set it.
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        let mut w = Writer::default();
        w.u64(self.offset as u64)
            .u32(self.mr)
            .u32(self.imsc)
            .u32(self.ris);
        Ok(w.finish())
    }
    fn load(&mut self, data: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new("pl031", data);
        let (offset, mr, imsc, ris) = (r.u64()? as i64, r.u32()?, r.u32()?, r.u32()?);
        r.end()?;
        (self.offset, self.mr, self.imsc, self.ris) = (offset, mr, imsc & 1, ris & 1);
        self.update();
        Ok(())
    }
    fn reset(&mut self) {
        self.mr = 0;
        self.imsc = 0;
        self.ris = 0;
        self.update();
    }
}
