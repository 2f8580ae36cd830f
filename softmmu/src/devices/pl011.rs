//! Arm PrimeCell UART PL011 (DDI 0183): data, flag, interrupt mask/status
//! and control registers. Transmitted bytes go straight to the output
//! (the TX FIFO is always empty); received bytes queue in a 32-entry FIFO.

use crate::device::{primecell_id, Device};
use crate::irq::IrqLine;
use crate::vmstate::wire::{Reader, Writer};
use crate::vmstate::StateError;
use std::collections::VecDeque;
use std::io::Write;

const INT_RX: u32 = 1 << 4;
const INT_TX: u32 = 1 << 5;
const INT_RT: u32 = 1 << 6;
const FR_RXFE: u64 = 1 << 4;
const FR_TXFE: u64 = 1 << 7;
const FR_RXFF: u64 = 1 << 6;
const FIFO: usize = 32;

pub struct Pl011 {
    out: Box<dyn Write + Send>,
    irq: IrqLine,
    rx: VecDeque<u8>,
    ris: u32,
    imsc: u32,
    cr: u32,
    lcr: u32,
    ibrd: u32,
    fbrd: u32,
    ifls: u32,
}

impl Pl011 {
    pub fn new(out: Box<dyn Write + Send>, irq: IrqLine) -> Pl011 {
        let mut p = Pl011 {
            out,
            irq,
            rx: VecDeque::new(),
            ris: 0,
            imsc: 0,
            cr: 0,
            lcr: 0,
            ibrd: 0,
            fbrd: 0,
            ifls: 0,
        };
        p.reset();
        p
    }

    fn update(&self) {
        self.irq.set(self.ris & self.imsc != 0);
    }

    /// A byte arrived on the line (host stdin).
    pub fn receive(&mut self, b: u8) {
        if self.rx.len() < FIFO {
            self.rx.push_back(b);
        }
        self.ris |= INT_RX | INT_RT;
        self.update();
    }

    /// Room for more input.
    pub fn can_receive(&self) -> bool {
        self.rx.len() < FIFO
    }
}

impl Device for Pl011 {
    fn name(&self) -> &'static str {
        "pl011"
    }
    fn read(&mut self, off: u64, _size: u32) -> u64 {
        if let Some(v) = primecell_id(off, [0x11, 0x10, 0x14, 0x00]) {
            return v;
        }
        match off {
            0x000 => {
                let c = self.rx.pop_front().unwrap_or(0);
                if self.rx.is_empty() {
                    self.ris &= !(INT_RX | INT_RT);
                }
                self.update();
                c as u64
            }
            0x018 => {
                let mut fr = FR_TXFE;
                if self.rx.is_empty() {
                    fr |= FR_RXFE;
                }
                if self.rx.len() >= FIFO {
                    fr |= FR_RXFF;
                }
                fr
            }
            0x024 => self.ibrd as u64,
            0x028 => self.fbrd as u64,
            0x02c => self.lcr as u64,
            0x030 => self.cr as u64,
            0x034 => self.ifls as u64,
            0x038 => self.imsc as u64,
            0x03c => self.ris as u64,
            0x040 => (self.ris & self.imsc) as u64,
            _ => 0,
        }
    }
    fn write(&mut self, off: u64, _size: u32, v: u64) {
        match off {
            0x000 => {
                let _ = self.out.write_all(&[v as u8]);
                let _ = self.out.flush();
                self.ris |= INT_TX;
                self.update();
            }
            0x024 => self.ibrd = v as u32 & 0xffff,
            0x028 => self.fbrd = v as u32 & 0x3f,
            0x02c => self.lcr = v as u32 & 0xff,
            0x030 => self.cr = v as u32 & 0xffff,
            0x034 => self.ifls = v as u32 & 0x3f,
            0x038 => {
                self.imsc = v as u32 & 0x7ff;
                self.update();
            }
            0x044 => {
                self.ris &= !(v as u32);
                self.update();
            }
            _ => {}
        }
    }
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        let mut w = Writer::default();
        w.bytes(&self.rx.iter().copied().collect::<Vec<u8>>());
        for r in [
            self.ris, self.imsc, self.cr, self.lcr, self.ibrd, self.fbrd, self.ifls,
        ] {
            w.u32(r);
        }
        Ok(w.finish())
    }
    fn load(&mut self, data: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new("pl011", data);
        let rx = r.bytes()?;
        if rx.len() > FIFO {
            return Err(r.bad("receive FIFO larger than the device's"));
        }
        let mut regs = [0u32; 7];
        for x in &mut regs {
            *x = r.u32()?;
        }
        r.end()?;
        self.rx = rx.iter().copied().collect();
        [
            self.ris, self.imsc, self.cr, self.lcr, self.ibrd, self.fbrd, self.ifls,
        ] = regs;
        self.update();
        Ok(())
    }
    fn reset(&mut self) {
        self.rx.clear();
        self.ris = 0;
        self.imsc = 0;
        self.cr = 0x300;
        self.lcr = 0;
        self.ifls = 0x12;
        self.update();
    }
}
