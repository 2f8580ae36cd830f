//! Arm PrimeCell GPIO PL061 (DDI 0190): eight lines with direction,
//! address-masked data, and edge/level interrupt detection. On `virt` line
//! 3 is the power button (gpio-keys, KEY_POWER): `press` holds it high for
//! 300 ms, like a key that is pressed and released (long enough for an
//! emulated kernel's debounce work to read it as pressed).

use crate::device::{primecell_id, Device};
use crate::irq::IrqLine;
use crate::vmstate::wire::{Reader, Writer};
use crate::vmstate::StateError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Pl061 {
    irq: IrqLine,
    /// Levels driven from outside on input lines.
    inputs: u8,
    /// Output values the guest wrote.
    data: u8,
    dir: u8,
    is: u8,
    ibe: u8,
    iev: u8,
    ie: u8,
    ris: u8,
    afsel: u8,
}

impl Pl061 {
    pub fn new(irq: IrqLine) -> Pl061 {
        Pl061 {
            irq,
            inputs: 0,
            data: 0,
            dir: 0,
            is: 0,
            ibe: 0,
            iev: 0,
            ie: 0,
            ris: 0,
            afsel: 0,
        }
    }

    /// The pins as the guest reads them: outputs where DIR is set,
    /// the external levels elsewhere.
    fn pins(&self) -> u8 {
        (self.data & self.dir) | (self.inputs & !self.dir)
    }

    fn update(&mut self) {
        // Level-sensitive lines are pending while at their active level.
        let high = self.pins();
        let level_active = self.is & !(high ^ self.iev);
        self.ris |= level_active;
        self.irq.set(self.ris & self.ie != 0);
    }

    fn regs(&self) -> [u8; 9] {
        [
            self.inputs,
            self.data,
            self.dir,
            self.is,
            self.ibe,
            self.iev,
            self.ie,
            self.ris,
            self.afsel,
        ]
    }

    /// Drives input `line` to `level`.
    pub fn set_input(&mut self, line: u32, level: bool) {
        if line >= 8 {
            return;
        }
        let bit = 1u8 << line;
        let before = self.pins();
        if level {
            self.inputs |= bit;
        } else {
            self.inputs &= !bit;
        }
        let changed = (before ^ self.pins()) & bit & !self.dir;
        if changed != 0 && self.is & bit == 0 {
            let rising = level;
            if self.ibe & bit != 0 || (self.iev & bit != 0) == rising {
                self.ris |= bit;
            }
        }
        self.update();
    }

    /// Presses the key on `line` for 300 ms (released from a thread of its own).
    pub fn press(gpio: &Arc<Mutex<Pl061>>, line: u32) {
        if let Ok(mut g) = gpio.lock() {
            g.set_input(line, true);
        }
        let g = gpio.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            if let Ok(mut g) = g.lock() {
                g.set_input(line, false);
            }
        });
    }
}

impl Device for Pl061 {
    fn name(&self) -> &'static str {
        "pl061"
    }
    fn read(&mut self, off: u64, _size: u32) -> u64 {
        if let Some(v) = primecell_id(off, [0x61, 0x10, 0x04, 0x00]) {
            return v;
        }
        let v = match off {
            // Address bits [9:2] mask the data bits read.
            0x000..=0x3fc => self.pins() & (off >> 2) as u8,
            0x400 => self.dir,
            0x404 => self.is,
            0x408 => self.ibe,
            0x40c => self.iev,
            0x410 => self.ie,
            0x414 => self.ris,
            0x418 => self.ris & self.ie,
            0x420 => self.afsel,
            _ => 0,
        };
        v as u64
    }
    fn write(&mut self, off: u64, _size: u32, v: u64) {
        let v = v as u8;
        match off {
            0x000..=0x3fc => {
                let mask = (off >> 2) as u8;
                self.data = (self.data & !mask) | (v & mask);
            }
            0x400 => self.dir = v,
            0x404 => self.is = v,
            0x408 => self.ibe = v,
            0x40c => self.iev = v,
            0x410 => self.ie = v,
            0x41c => self.ris &= !v,
            0x420 => self.afsel = v,
            _ => {}
        }
        self.update();
    }
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        let mut w = Writer::default();
        for r in self.regs() {
            w.u8(r);
        }
        Ok(w.finish())
    }
    fn load(&mut self, data: &[u8]) -> Result<(), StateError> {
        let mut r = Reader::new("pl061", data);
        let mut regs = [0u8; 9];
        for x in &mut regs {
            *x = r.u8()?;
        }
        r.end()?;
        [
            self.inputs,
            self.data,
            self.dir,
            self.is,
            self.ibe,
            self.iev,
            self.ie,
            self.ris,
            self.afsel,
        ] = regs;
        self.update();
        Ok(())
    }
    fn reset(&mut self) {
        let inputs = self.inputs;
        *self = Pl061::new(self.irq.clone());
        self.inputs = inputs;
        self.update();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irq::IrqSink;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Line(AtomicBool);
    impl IrqSink for Line {
        fn set_level(&self, _intid: u32, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }

    #[test]
    fn edge_interrupts_latch_until_cleared() {
        let line = Arc::new(Line(AtomicBool::new(false)));
        let mut g = Pl061::new(IrqLine {
            sink: line.clone(),
            intid: 39,
        });
        // Both edges on line 3, unmasked (what gpio-keys asks for).
        g.write(0x408, 4, 1 << 3);
        g.write(0x410, 4, 1 << 3);
        g.set_input(3, true);
        assert!(line.0.load(Ordering::SeqCst));
        assert_eq!(g.read(0x3fc, 4), 1 << 3);
        assert_eq!(g.read(0x020, 4), 1 << 3, "mask bit 3 at address 0x20");
        assert_eq!(g.read(0x010, 4), 0, "masked out");
        g.write(0x41c, 4, 1 << 3);
        assert!(!line.0.load(Ordering::SeqCst));
        g.set_input(3, false);
        assert_eq!(g.read(0x418, 4), 1 << 3, "falling edge");
        g.write(0x41c, 4, 0xff);
        // Rising edge only: the falling one is ignored.
        g.write(0x408, 4, 0);
        g.write(0x40c, 4, 1 << 3);
        g.set_input(3, true);
        g.write(0x41c, 4, 0xff);
        g.set_input(3, false);
        assert!(!line.0.load(Ordering::SeqCst));
        // Level high: pending while high, even after a clear.
        g.write(0x404, 4, 1 << 3);
        g.set_input(3, true);
        g.write(0x41c, 4, 0xff);
        assert!(line.0.load(Ordering::SeqCst));
        g.set_input(3, false);
        g.write(0x41c, 4, 0xff);
        assert!(!line.0.load(Ordering::SeqCst));
        assert_eq!(g.read(0xfe0, 4), 0x61);
    }
}
