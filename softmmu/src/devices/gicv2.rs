//! Arm GICv2 (Generic Interrupt Controller architecture v2, IHI 0048B):
//! the distributor (GICD) and the CPU interface (GICC), without security
//! extensions (one group seen by the non-secure OS) and without
//! virtualization. SGIs (0-15) and PPIs (16-31) are banked per cpu; SPIs
//! (32..) route to the cpus in their ITARGETSR byte.
//!
//! The two register frames are two MMIO devices ([`GicDist`], [`GicCpuIf`])
//! over one shared state. Whenever state changes, every cpu's IRQ input is
//! recomputed and cpus whose input rose are kicked.

use crate::device::Device;
use crate::devices::gic::Gic;
use crate::irq::{current_cpu, IrqSink, Kick};
use crate::vmstate::wire::{Reader, Writer};
use crate::vmstate::StateError;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Interrupt IDs supported: 32 private + 224 SPIs.
pub const NR_IRQS: usize = 256;
const SPURIOUS: u32 = 1023;

#[derive(Clone, Default)]
struct Irq {
    enabled: bool,
    /// Software or edge pending.
    pending: bool,
    active: bool,
    /// The input line (level-sensitive interrupts stay pending while high).
    level: bool,
    /// ICFGR: edge-triggered.
    edge: bool,
    priority: u8,
    targets: u8,
    /// SGI: cpus that sent it (bit per source) while pending.
    sgi_sources: u8,
}

impl Irq {
    fn is_pending(&self) -> bool {
        self.pending || (!self.edge && self.level)
    }
}

struct Cpu {
    /// SGIs and PPIs.
    private: Vec<Irq>,
    ctlr: u32,
    pmr: u8,
    bpr: u32,
    /// Priorities of the active interrupts, in activation order, with
    /// their interrupt ids (the running priority is the lowest value).
    active: Vec<(u8, u32)>,
}

struct State {
    ctlr: u32,
    spis: Vec<Irq>,
    cpus: Vec<Cpu>,
}

pub struct GicV2 {
    state: Mutex<State>,
    kicks: Vec<Arc<Kick>>,
}

impl GicV2 {
    pub fn new(kicks: Vec<Arc<Kick>>) -> Arc<GicV2> {
        let n = kicks.len();
        let g = GicV2 {
            state: Mutex::new(State {
                ctlr: 0,
                spis: vec![Irq::default(); NR_IRQS - 32],
                cpus: (0..n).map(|_| new_cpu()).collect(),
            }),
            kicks,
        };
        if let Ok(mut s) = g.state.lock() {
            reset_state(&mut s);
        }
        Arc::new(g)
    }

    fn update(&self, s: &State) {
        for (c, k) in self.kicks.iter().enumerate() {
            let on = best_pending(s, c).is_some();
            let was = k.irq.swap(on, Ordering::SeqCst);
            if on && !was {
                k.kick();
            }
        }
    }

    /// Sets a private (PPI) input of cpu `cpu` (the generic timer).
    pub fn set_ppi(&self, cpu: usize, intid: u32, level: bool) {
        let Ok(mut s) = self.state.lock() else { return };
        if let Some(c) = s.cpus.get_mut(cpu) {
            if let Some(i) = c.private.get_mut(intid as usize) {
                if i.edge && level && !i.level {
                    i.pending = true;
                }
                i.level = level;
            }
        }
        self.update(&s);
    }
}

impl Irq {
    fn save(&self, w: &mut Writer) {
        let flags = self.enabled as u8
            | (self.pending as u8) << 1
            | (self.active as u8) << 2
            | (self.level as u8) << 3
            | (self.edge as u8) << 4;
        w.u8(flags)
            .u8(self.priority)
            .u8(self.targets)
            .u8(self.sgi_sources);
    }
    fn load(r: &mut Reader) -> Result<Irq, StateError> {
        let f = r.u8()?;
        if f >> 5 != 0 {
            return Err(r.bad(&format!("interrupt flags {f:#x}")));
        }
        Ok(Irq {
            enabled: f & 1 != 0,
            pending: f & 2 != 0,
            active: f & 4 != 0,
            level: f & 8 != 0,
            edge: f & 16 != 0,
            priority: r.u8()?,
            targets: r.u8()?,
            sgi_sources: r.u8()?,
        })
    }
}

impl GicV2 {
    /// The whole interrupt controller state (both register frames).
    pub fn save(&self) -> Result<Vec<u8>, StateError> {
        let s = self
            .state
            .lock()
            .map_err(|_| StateError("gicv2: state lock poisoned".into()))?;
        let mut w = Writer::default();
        w.u32(s.ctlr).u32(s.spis.len() as u32);
        s.spis.iter().for_each(|i| i.save(&mut w));
        w.u32(s.cpus.len() as u32);
        for c in &s.cpus {
            c.private.iter().for_each(|i| i.save(&mut w));
            w.u32(c.ctlr)
                .u8(c.pmr)
                .u32(c.bpr)
                .u32(c.active.len() as u32);
            for (p, id) in &c.active {
                w.u8(*p).u32(*id);
            }
        }
        Ok(w.finish())
    }

    /// Decodes `save`'s output (same number of cpus).
    fn parse(&self, data: &[u8]) -> Result<State, StateError> {
        let mut r = Reader::new("gicv2", data);
        let ctlr = r.u32()?;
        let n = r.count(NR_IRQS)?;
        if n != NR_IRQS - 32 {
            return Err(r.bad(&format!("{n} SPIs, this GIC has {}", NR_IRQS - 32)));
        }
        let spis = (0..n)
            .map(|_| Irq::load(&mut r))
            .collect::<Result<Vec<_>, _>>()?;
        let ncpu = r.count(8)?;
        if ncpu != self.kicks.len() {
            return Err(r.bad(&format!(
                "state of {ncpu} cpus, this machine has {}",
                self.kicks.len()
            )));
        }
        let mut cpus = Vec::new();
        for _ in 0..ncpu {
            let private = (0..32)
                .map(|_| Irq::load(&mut r))
                .collect::<Result<Vec<_>, _>>()?;
            let (ctlr, pmr, bpr) = (r.u32()?, r.u8()?, r.u32()?);
            let na = r.count(NR_IRQS)?;
            let mut active = Vec::new();
            for _ in 0..na {
                active.push((r.u8()?, r.u32()?));
            }
            cpus.push(Cpu {
                private,
                ctlr,
                pmr,
                bpr,
                active,
            });
        }
        r.end()?;
        Ok(State { ctlr, spis, cpus })
    }
}

impl Gic for GicV2 {
    fn set_ppi(&self, cpu: usize, intid: u32, level: bool) {
        GicV2::set_ppi(self, cpu, intid, level)
    }
    fn save(&self) -> Result<Vec<u8>, StateError> {
        GicV2::save(self)
    }
    fn check(&self, data: &[u8]) -> Result<(), StateError> {
        self.parse(data).map(|_| ())
    }
    fn load(&self, data: &[u8]) -> Result<(), StateError> {
        let new = self.parse(data)?;
        let mut s = self
            .state
            .lock()
            .map_err(|_| StateError("gicv2: state lock poisoned".into()))?;
        *s = new;
        self.update(&s);
        Ok(())
    }
}

fn new_cpu() -> Cpu {
    Cpu {
        private: vec![Irq::default(); 32],
        ctlr: 0,
        pmr: 0,
        bpr: 2,
        active: Vec::new(),
    }
}

fn reset_state(s: &mut State) {
    s.ctlr = 0;
    for i in s.spis.iter_mut() {
        let level = i.level;
        *i = Irq {
            level,
            ..Irq::default()
        };
    }
    let n = s.cpus.len();
    for (ci, c) in s.cpus.iter_mut().enumerate() {
        let levels: Vec<bool> = c.private.iter().map(|i| i.level).collect();
        *c = new_cpu();
        for (k, i) in c.private.iter_mut().enumerate() {
            i.level = levels[k];
            // SGIs are edge-triggered and always enabled in GICv2 (ISENABLER0
            // bits 0-15 may be RAO/WI); PPIs are level here.
            i.edge = k < 16;
            i.enabled = k < 16;
            i.targets = 1 << ci;
        }
        let _ = n;
    }
}

fn irq(s: &State, cpu: usize, id: usize) -> Option<&Irq> {
    if id < 32 {
        s.cpus.get(cpu)?.private.get(id)
    } else {
        s.spis.get(id - 32)
    }
}

fn irq_mut(s: &mut State, cpu: usize, id: usize) -> Option<&mut Irq> {
    if id < 32 {
        s.cpus.get_mut(cpu)?.private.get_mut(id)
    } else {
        s.spis.get_mut(id - 32)
    }
}

/// The highest-priority pending interrupt cpu `c` may take now.
fn best_pending(s: &State, c: usize) -> Option<(u32, u8)> {
    if s.ctlr & 1 == 0 {
        return None;
    }
    let cpu = s.cpus.get(c)?;
    if cpu.ctlr & 1 == 0 {
        return None;
    }
    let running = cpu.active.iter().map(|a| a.0).min().unwrap_or(0xff);
    let mut best: Option<(u32, u8)> = None;
    for id in 0..NR_IRQS {
        let Some(i) = irq(s, c, id) else { continue };
        if !i.enabled || !i.is_pending() || i.active {
            continue;
        }
        if id >= 32 && i.targets & (1 << c) == 0 {
            continue;
        }
        if i.priority >= cpu.pmr || i.priority >= running {
            continue;
        }
        if best.is_none_or(|(_, p)| i.priority < p) {
            best = Some((id as u32, i.priority));
        }
    }
    best
}

impl IrqSink for GicV2 {
    fn set_level(&self, intid: u32, level: bool) {
        let Ok(mut s) = self.state.lock() else { return };
        if let Some(i) = s.spis.get_mut((intid as usize).wrapping_sub(32)) {
            if i.edge && level && !i.level {
                i.pending = true;
            }
            i.level = level;
        }
        self.update(&s);
    }
}

/// The distributor frame (GICD_*).
pub struct GicDist(pub Arc<GicV2>);
/// The CPU interface frame (GICC_*).
pub struct GicCpuIf(pub Arc<GicV2>);

/// Applies `f` to each interrupt covered by a bit-per-interrupt register
/// at `off` from `base` (32 interrupts per word, `size` bytes written).
fn bits_for(base: u64, off: u64, size: u32) -> impl Iterator<Item = (usize, u32)> {
    let first = ((off - base) * 8) as usize;
    (0..size * 8).map(move |b| (first + b as usize, b))
}

impl Device for GicDist {
    fn name(&self) -> &'static str {
        "gicv2-dist"
    }
    fn read(&mut self, off: u64, size: u32) -> u64 {
        let cpu = current_cpu();
        let Ok(s) = self.0.state.lock() else { return 0 };
        let bitreg = |base: u64, f: &dyn Fn(&Irq) -> bool| -> u64 {
            let mut v = 0u64;
            for (id, b) in bits_for(base, off, size) {
                if irq(&s, cpu, id).is_some_and(f) {
                    v |= 1 << b;
                }
            }
            v
        };
        match off {
            0x000 => s.ctlr as u64,
            0x004 => ((NR_IRQS / 32 - 1) as u64) | ((s.cpus.len() as u64 - 1) << 5),
            0x008 => 0x0200_143b,
            0x080..=0x0ff => u64::MAX >> (64 - 8 * size), // IGROUPR: group 1 view
            0x100..=0x17f => bitreg(0x100, &|i| i.enabled),
            0x180..=0x1ff => bitreg(0x180, &|i| i.enabled),
            0x200..=0x27f => bitreg(0x200, &|i| i.is_pending()),
            0x280..=0x2ff => bitreg(0x280, &|i| i.is_pending()),
            0x300..=0x37f => bitreg(0x300, &|i| i.active),
            0x380..=0x3ff => bitreg(0x380, &|i| i.active),
            0x400..=0x7fb => {
                let mut v = 0u64;
                for k in 0..size as u64 {
                    let id = (off - 0x400 + k) as usize;
                    v |= (irq(&s, cpu, id).map_or(0, |i| i.priority) as u64) << (8 * k);
                }
                v
            }
            0x800..=0xbfb => {
                let mut v = 0u64;
                for k in 0..size as u64 {
                    let id = (off - 0x800 + k) as usize;
                    let t = if id < 32 {
                        1u8 << cpu
                    } else {
                        irq(&s, cpu, id).map_or(0, |i| i.targets)
                    };
                    v |= (t as u64) << (8 * k);
                }
                v
            }
            0xc00..=0xcff => {
                let first = ((off - 0xc00) * 4) as usize;
                let mut v = 0u64;
                for k in 0..(size * 4) as usize {
                    if irq(&s, cpu, first + k).is_some_and(|i| i.edge) {
                        v |= 2 << (2 * k);
                    }
                }
                v
            }
            // Peripheral ID2: architecture version 2.
            0xfe8 => 0x2b,
            _ => 0,
        }
    }
    fn write(&mut self, off: u64, size: u32, v: u64) {
        let cpu = current_cpu();
        let gic = self.0.clone();
        let Ok(mut s) = gic.state.lock() else { return };
        let mut setbits = |base: u64, f: &dyn Fn(&mut Irq)| {
            for (id, b) in bits_for(base, off, size) {
                if v >> b & 1 != 0 {
                    if let Some(i) = irq_mut(&mut s, cpu, id) {
                        f(i);
                    }
                }
            }
        };
        match off {
            0x000 => s.ctlr = v as u32 & 1,
            0x100..=0x17f => setbits(0x100, &|i| i.enabled = true),
            0x180..=0x1ff => setbits(0x180, &|i| i.enabled = false),
            0x200..=0x27f => setbits(0x200, &|i| i.pending = true),
            0x280..=0x2ff => setbits(0x280, &|i| i.pending = false),
            0x300..=0x37f => setbits(0x300, &|i| i.active = true),
            0x380..=0x3ff => setbits(0x380, &|i| i.active = false),
            0x400..=0x7fb => {
                for k in 0..size as u64 {
                    let id = (off - 0x400 + k) as usize;
                    if let Some(i) = irq_mut(&mut s, cpu, id) {
                        i.priority = (v >> (8 * k)) as u8;
                    }
                }
            }
            0x800..=0xbfb => {
                for k in 0..size as u64 {
                    let id = (off - 0x800 + k) as usize;
                    if id >= 32 {
                        if let Some(i) = irq_mut(&mut s, cpu, id) {
                            i.targets = (v >> (8 * k)) as u8;
                        }
                    }
                }
            }
            0xc00..=0xcff => {
                let first = ((off - 0xc00) * 4) as usize;
                for k in 0..(size * 4) as usize {
                    let id = first + k;
                    if id >= 16 {
                        if let Some(i) = irq_mut(&mut s, cpu, id) {
                            i.edge = v >> (2 * k) & 2 != 0;
                        }
                    }
                }
            }
            0xf00 => {
                // GICD_SGIR: TargetListFilter, CPUTargetList, SGIINTID.
                let id = (v & 15) as usize;
                let n = s.cpus.len();
                let targets: u32 = match v >> 24 & 3 {
                    0 => (v >> 16 & 0xff) as u32,
                    1 => ((1u32 << n) - 1) & !(1 << cpu),
                    2 => 1 << cpu,
                    _ => 0,
                };
                for t in 0..n {
                    if targets & (1 << t) != 0 {
                        let i = &mut s.cpus[t].private[id];
                        i.pending = true;
                        i.sgi_sources |= 1 << cpu;
                    }
                }
            }
            _ => {}
        }
        gic.update(&s);
    }
    // The state of both frames is the machine's "gic" section.
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        Ok(Vec::new())
    }
    fn load(&mut self, _data: &[u8]) -> Result<(), StateError> {
        Ok(())
    }
    fn reset(&mut self) {
        if let Ok(mut s) = self.0.state.lock() {
            reset_state(&mut s);
            self.0.update(&s);
        }
    }
}

impl Device for GicCpuIf {
    fn name(&self) -> &'static str {
        "gicv2-cpu"
    }
    fn read(&mut self, off: u64, _size: u32) -> u64 {
        let cpu = current_cpu();
        let gic = self.0.clone();
        let Ok(mut s) = gic.state.lock() else {
            return 0;
        };
        let v = match off {
            0x00 => s.cpus.get(cpu).map_or(0, |c| c.ctlr) as u64,
            0x04 => s.cpus.get(cpu).map_or(0, |c| c.pmr) as u64,
            0x08 => s.cpus.get(cpu).map_or(0, |c| c.bpr) as u64,
            0x0c => {
                // GICC_IAR: acknowledge.
                match best_pending(&s, cpu) {
                    None => SPURIOUS as u64,
                    Some((id, prio)) => {
                        let mut src = 0u32;
                        if let Some(i) = irq_mut(&mut s, cpu, id as usize) {
                            if id < 16 {
                                src = i.sgi_sources.trailing_zeros().min(7);
                                i.sgi_sources &= !(1 << src);
                                i.pending = i.sgi_sources != 0;
                            } else {
                                i.pending = false;
                            }
                            i.active = true;
                        }
                        s.cpus[cpu].active.push((prio, id));
                        (id | src << 10) as u64
                    }
                }
            }
            0x14 => s
                .cpus
                .get(cpu)
                .and_then(|c| c.active.iter().map(|a| a.0).min())
                .unwrap_or(0xff) as u64,
            0x18 => best_pending(&s, cpu).map_or(SPURIOUS, |b| b.0) as u64,
            0xfc => 0x0202_143b,
            _ => 0,
        };
        gic.update(&s);
        v
    }
    fn write(&mut self, off: u64, _size: u32, v: u64) {
        let cpu = current_cpu();
        let gic = self.0.clone();
        let Ok(mut s) = gic.state.lock() else { return };
        if cpu >= s.cpus.len() {
            return;
        }
        match off {
            0x00 => s.cpus[cpu].ctlr = v as u32 & 0x201,
            0x04 => s.cpus[cpu].pmr = v as u8,
            0x08 => s.cpus[cpu].bpr = v as u32 & 7,
            // GICC_EOIR (and GICC_DIR): drop the priority and deactivate.
            0x10 | 0x1000 => {
                let id = (v & 0x3ff) as u32;
                if let Some(pos) = s.cpus[cpu].active.iter().rposition(|a| a.1 == id) {
                    s.cpus[cpu].active.remove(pos);
                }
                if let Some(i) = irq_mut(&mut s, cpu, id as usize) {
                    i.active = false;
                }
            }
            _ => {}
        }
        gic.update(&s);
    }
    fn reset(&mut self) {}
    fn save(&mut self) -> Result<Vec<u8>, StateError> {
        Ok(Vec::new())
    }
    fn load(&mut self, _data: &[u8]) -> Result<(), StateError> {
        Ok(())
    }
}
