//! A whole machine's state as sections: "machine" (what the state fits:
//! cpus, RAM, devices), "clock" (the generic counter), "power" (PSCI
//! states), "cpuN", "gic", "dev@ADDR" per MMIO device, then "ramN" last.
//! Loading checks the configuration before it touches anything.

use super::wire::{Reader, Writer};
use super::{format, ram, StateError};
use crate::machine::{Machine, Power};
use std::collections::BTreeMap;
use std::io::{Read, Write};

fn config(m: &Machine) -> Vec<u8> {
    let mut w = Writer::default();
    w.u32(m.kicks.len() as u32);
    w.u32(m.bus.ram.len() as u32);
    for r in &m.bus.ram {
        w.u64(r.base).u64(r.size);
    }
    w.u32(m.bus.mmio.len() as u32);
    for d in &m.bus.mmio {
        let name = d.dev.lock().map(|d| d.name()).unwrap_or("?");
        w.u64(d.base).bytes(name.as_bytes());
    }
    w.finish()
}

/// Explains how a saved configuration differs from this machine's.
fn check_config(m: &Machine, saved: &[u8]) -> Result<(), StateError> {
    let mine = config(m);
    if mine == saved {
        return Ok(());
    }
    let mut r = Reader::new("machine", saved);
    let cpus = r.u32()? as usize;
    if cpus != m.kicks.len() {
        return Err(StateError(format!(
            "the VM state is of a machine with {cpus} cpus; this one has {} (-smp)",
            m.kicks.len()
        )));
    }
    let nram = r.count(16)?;
    for i in 0..nram {
        let (base, size) = (r.u64()?, r.u64()?);
        match m.bus.ram.get(i) {
            Some(x) if x.base == base && x.size == size => {}
            _ => {
                return Err(StateError(format!(
                    "the VM state has {} MiB of RAM at {base:#x}; this machine differs (-m)",
                    size >> 20
                )))
            }
        }
    }
    let n = r.count(4096)?;
    for i in 0..n {
        let (base, name) = (r.u64()?, r.bytes()?);
        let mine = m.bus.mmio.get(i).map(|d| {
            let name = d.dev.lock().map(|d| d.name()).unwrap_or("?");
            (d.base, name)
        });
        let gic = |n: &[u8]| n.starts_with(b"gicv");
        if mine.is_some_and(|(b, n)| b != base || n.as_bytes() != name)
            && (gic(name) || mine.is_some_and(|(_, n)| gic(n.as_bytes())))
        {
            return Err(StateError(format!(
                "the VM state is of a machine with another interrupt controller ({}; -M virt,gic-version=)",
                String::from_utf8_lossy(name)
            )));
        }
    }
    Err(StateError(
        "the VM state is of a machine with other devices (-drive/-device options differ)".into(),
    ))
}

fn power_bytes(m: &Machine) -> Result<Vec<u8>, StateError> {
    let p = m
        .power
        .lock()
        .map_err(|_| StateError("power state lock poisoned".into()))?;
    let mut w = Writer::default();
    w.u32(p.len() as u32);
    for x in p.iter() {
        match *x {
            Power::Off => w.u8(0).u64(0).u64(0),
            Power::Starting { entry, context } => w.u8(1).u64(entry).u64(context),
            Power::On => w.u8(2).u64(0).u64(0),
        };
    }
    Ok(w.finish())
}

fn parse_power(m: &Machine, d: &[u8]) -> Result<Vec<Power>, StateError> {
    let mut r = Reader::new("power", d);
    let n = r.count(m.kicks.len())?;
    let mut out = Vec::new();
    for _ in 0..n {
        let (tag, entry, context) = (r.u8()?, r.u64()?, r.u64()?);
        out.push(match tag {
            0 => Power::Off,
            1 => Power::Starting { entry, context },
            2 => Power::On,
            t => return Err(r.bad(&format!("power state {t}"))),
        });
    }
    r.end()?;
    if n != m.kicks.len() {
        return Err(r.bad("cpu count differs"));
    }
    Ok(out)
}

/// Writes the machine's state; the machine is paused, its devices
/// quiesced, and `cpus` holds each vCPU's encoded state.
pub fn save(m: &Machine, cpus: &[Vec<u8>], w: &mut dyn Write) -> Result<(), StateError> {
    format::write_header(w)?;
    format::section(w, "machine", &config(m))?;
    let mut c = Writer::default();
    c.u64(m.counter());
    format::section(w, "clock", &c.finish())?;
    format::section(w, "power", &power_bytes(m)?)?;
    for (i, s) in cpus.iter().enumerate() {
        format::section(w, &format!("cpu{i}"), s)?;
    }
    format::section(w, "gic", &m.gic.save()?)?;
    for d in &m.bus.mmio {
        let data = d
            .dev
            .lock()
            .map_err(|_| StateError("device lock poisoned".into()))?
            .save()?;
        format::section(w, &format!("dev@{:x}", d.base), &data)?;
    }
    for (i, r) in m.bus.ram.iter().enumerate() {
        let (map, len) = ram::plan(r);
        format::section_start(w, &format!("ram{i}"), len)?;
        ram::save(r, &map, w)?;
    }
    format::write_end(w)
}

/// Reads a state written by `save` into the paused machine: devices,
/// interrupt controller, power states, counter and RAM. Returns the
/// vCPUs' states (checked) for the caller to hand to them.
pub fn load(m: &Machine, r: &mut dyn Read) -> Result<Vec<Vec<u8>>, StateError> {
    format::read_header(r)?;
    let mut small: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut rams = 0;
    while let Some((name, len)) = format::next_section(r)? {
        if let Some(i) = name.strip_prefix("ram") {
            let i: usize = i
                .parse()
                .map_err(|_| StateError(format!("VM state: unknown section '{name}'")))?;
            if i != rams || i >= m.bus.ram.len() {
                return Err(StateError(format!("VM state: unexpected section '{name}'")));
            }
            if rams == 0 {
                check_sections(m, &small)?;
            }
            ram::load(&m.bus.ram[i], len, r)?;
            rams += 1;
            continue;
        }
        if rams > 0 {
            return Err(StateError(format!("VM state: section '{name}' after RAM")));
        }
        let d = format::read_data(r, &name, len)?;
        if small.insert(name.clone(), d).is_some() {
            return Err(StateError(format!("VM state: section '{name}' twice")));
        }
    }
    if rams != m.bus.ram.len() {
        return Err(StateError("VM state: RAM missing".into()));
    }
    // Everything was checked; apply the rest.
    let get = |n: &str| small.get(n).map(Vec::as_slice).unwrap_or(&[]);
    m.gic.load(get("gic"))?;
    for d in &m.bus.mmio {
        let name = format!("dev@{:x}", d.base);
        d.dev
            .lock()
            .map_err(|_| StateError("device lock poisoned".into()))?
            .load(get(&name))
            .map_err(|e| StateError(format!("{name}: {e}")))?;
    }
    let power = parse_power(m, get("power"))?;
    if let Ok(mut p) = m.power.lock() {
        *p = power;
    }
    let mut c = Reader::new("clock", get("clock"));
    m.set_counter(c.u64()?);
    Ok((0..m.kicks.len())
        .map(|i| get(&format!("cpu{i}")).to_vec())
        .collect())
}

/// Before RAM is overwritten: the configuration matches and every section
/// is there and decodes (cpus into scratch states).
fn check_sections(m: &Machine, s: &BTreeMap<String, Vec<u8>>) -> Result<(), StateError> {
    let need = |n: &str| {
        s.get(n)
            .ok_or_else(|| StateError(format!("VM state: section '{n}' missing")))
    };
    check_config(m, need("machine")?)?;
    let mut c = Reader::new("clock", need("clock")?);
    c.u64()?;
    c.end()?;
    parse_power(m, need("power")?)?;
    m.gic.check(need("gic")?)?;
    for i in 0..m.kicks.len() {
        let mut probe = target_aarch64::CpuState::default();
        super::cpu::load(&mut probe, need(&format!("cpu{i}"))?)?;
    }
    for d in &m.bus.mmio {
        need(&format!("dev@{:x}", d.base))?;
    }
    let known = |n: &str| {
        matches!(n, "machine" | "clock" | "power" | "gic")
            || n.strip_prefix("cpu")
                .and_then(|i| i.parse::<usize>().ok())
                .is_some_and(|i| i < m.kicks.len())
            || m.bus.mmio.iter().any(|d| n == format!("dev@{:x}", d.base))
    };
    if let Some(n) = s.keys().find(|n| !known(n)) {
        return Err(StateError(format!("VM state: unknown section '{n}'")));
    }
    Ok(())
}
