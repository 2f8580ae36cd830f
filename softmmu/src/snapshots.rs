//! Machine snapshots (savevm/loadvm/delvm, `info snapshots`, `-loadvm`):
//! the VM state goes into the VM state area of the first writable drive
//! and every writable drive gets an internal snapshot of the same name,
//! as with QEMU. The machine is paused and its devices quiesced while a
//! state is taken or restored; it runs on afterwards if it ran before.

use crate::drive::Drive;
use crate::machine::{Event, Machine};
use crate::vmstate::area::{AreaReader, AreaWriter};
use crate::vmstate::{machine_state, StateError};
use block::driver::SnapshotInfo;
use std::sync::Arc;
use std::time::Instant;

/// What a savevm did (for tests and `-d` reporting).
#[derive(Debug, Clone)]
pub struct Saved {
    pub state_bytes: u64,
    pub millis: u128,
}

/// The drives that take snapshots: every writable one. QEMU refuses
/// savevm when one of them cannot.
fn writable(m: &Machine) -> Result<Vec<Arc<Drive>>, String> {
    let ds: Vec<Arc<Drive>> = m
        .drives
        .iter()
        .filter(|d| !d.read_only && !d.detached())
        .cloned()
        .collect();
    if ds.is_empty() {
        return Err("No block device can accept snapshots".into());
    }
    for d in &ds {
        if d.format != "qcow2" {
            return Err(format!(
                "Device '{}' is writable but does not support snapshots",
                d.id
            ));
        }
    }
    Ok(ds)
}

fn list(d: &Drive) -> Result<Vec<SnapshotInfo>, String> {
    d.driver
        .lock()
        .map_err(|_| "drive lock poisoned".to_string())?
        .snapshot_list()
        .map_err(|e| e.to_string())
}

fn find<'a>(l: &'a [SnapshotInfo], name: &str) -> Option<&'a SnapshotInfo> {
    l.iter()
        .find(|s| s.name == name)
        .or_else(|| l.iter().find(|s| s.id == name))
}

/// Pauses the machine (if it runs) for `f`, with every vCPU parked and
/// every device quiesced; resumes it afterwards if it ran.
fn paused<T>(m: &Machine, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let was_running = m.pause();
    if was_running {
        m.emit(Event::Stop);
    }
    let r = if m.all_parked() {
        for d in &m.bus.mmio {
            if let Ok(mut d) = d.dev.lock() {
                d.quiesce();
            }
        }
        let r = f();
        for d in &m.bus.mmio {
            if let Ok(mut d) = d.dev.lock() {
                d.resume();
            }
        }
        r
    } else {
        Err("the vCPUs did not stop".into())
    };
    if was_running && m.resume() {
        m.emit(Event::Resume);
    }
    r
}

/// The name `savevm` without a tag picks, as QEMU does: "vm-" and the
/// local date and time, `vm-YYYYMMDDhhmmss`.
pub fn default_name() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as libc::time_t)
        .unwrap_or(0);
    // SAFETY: `tm` is plain data localtime_r fills in; `t` outlives the call.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    format!(
        "vm-{:04}{:02}{:02}{:02}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

pub fn savevm(m: &Machine, name: &str) -> Result<Saved, String> {
    if name.is_empty() {
        return Err("savevm: a snapshot name is required".into());
    }
    let drives = writable(m)?;
    paused(m, || {
        let t0 = Instant::now();
        let cpus: Vec<Vec<u8>> = m
            .cpu_slots
            .iter()
            .map(|s| {
                s.lock()
                    .ok()
                    .and_then(|s| s.saved.clone())
                    .unwrap_or_default()
            })
            .collect();
        for d in &drives {
            let mut drv = d.driver.lock().map_err(|_| "drive lock poisoned")?;
            // A snapshot of the same name is replaced (as QEMU does).
            let l = drv.snapshot_list().map_err(|e| e.to_string())?;
            if l.iter().any(|s| s.name == name) {
                drv.snapshot_delete(name)
                    .map_err(|e| format!("{}: {e}", d.id))?;
            }
            drv.flush().map_err(|e| format!("{}: {e}", d.id))?;
        }
        let first = &drives[0];
        let state_bytes = {
            let mut drv = first.driver.lock().map_err(|_| "drive lock poisoned")?;
            let mut w = AreaWriter::new(&mut **drv);
            machine_state::save(m, &cpus, &mut w).map_err(|e| e.to_string())?;
            let n = w.finish().map_err(|e| e.to_string())?;
            let clock = m.counter().saturating_sub(1 << 32);
            drv.snapshot_create_vm(name, n, clock)
                .map_err(|e| format!("{}: {e}", first.id))?;
            drv.flush().map_err(|e| e.to_string())?;
            n
        };
        for d in &drives[1..] {
            let mut drv = d.driver.lock().map_err(|_| "drive lock poisoned")?;
            drv.snapshot_create(name)
                .and_then(|_| drv.flush())
                .map_err(|e| format!("{}: {e}", d.id))?;
        }
        Ok(Saved {
            state_bytes,
            millis: t0.elapsed().as_millis(),
        })
    })
}

/// Checks that every writable drive has `name` and the first one a VM
/// state; returns its size.
fn check_loadable(drives: &[Arc<Drive>], name: &str) -> Result<u64, String> {
    let mut size = 0;
    for (i, d) in drives.iter().enumerate() {
        let l = list(d)?;
        let s = find(&l, name)
            .ok_or_else(|| format!("Snapshot '{name}' does not exist in device '{}'", d.id))?;
        if i == 0 {
            if s.vm_state_size == 0 {
                return Err(format!("Snapshot '{name}' has no VM state"));
            }
            size = s.vm_state_size;
        }
    }
    Ok(size)
}

/// Applies the disk snapshots and reads the VM state; returns the vCPUs'
/// states. The machine is paused and quiesced.
fn restore(
    m: &Machine,
    drives: &[Arc<Drive>],
    name: &str,
    size: u64,
) -> Result<Vec<Vec<u8>>, String> {
    for d in drives {
        let r = d
            .driver
            .lock()
            .map_err(|_| "drive lock poisoned".to_string())?
            .snapshot_apply(name);
        r.map_err(|e| format!("{}: {e}", d.id))?;
        d.refresh_length();
    }
    let mut drv = drives[0].driver.lock().map_err(|_| "drive lock poisoned")?;
    let cpus = {
        let mut r = AreaReader::new(&mut **drv, size);
        machine_state::load(m, &mut r).map_err(|e: StateError| {
            format!("Error while loading VM state: {e} (the machine state may be inconsistent)")
        })?
    };
    drv.vm_state_discard(size).map_err(|e| e.to_string())?;
    Ok(cpus)
}

/// loadvm on a machine whose vCPUs run (or are paused).
pub fn loadvm(m: &Machine, name: &str) -> Result<(), String> {
    let drives = writable(m)?;
    let size = check_loadable(&drives, name)?;
    paused(m, || {
        let cpus = restore(m, &drives, name, size)?;
        for (slot, c) in m.cpu_slots.iter().zip(cpus) {
            if let Ok(mut s) = slot.lock() {
                s.saved = Some(c.clone());
                s.load = Some(c);
            }
        }
        Ok(())
    })
}

/// `-loadvm`: before the vCPU threads start; returns their states.
pub fn loadvm_at_start(m: &Machine, name: &str) -> Result<Vec<Vec<u8>>, String> {
    let drives = writable(m)?;
    let size = check_loadable(&drives, name)?;
    restore(m, &drives, name, size)
}

pub fn delvm(m: &Machine, name: &str) -> Result<(), String> {
    let drives = writable(m)?;
    let mut found = false;
    for d in &drives {
        let l = list(d)?;
        if let Some(s) = find(&l, name) {
            let id = s.name.clone();
            d.driver
                .lock()
                .map_err(|_| "drive lock poisoned")?
                .snapshot_delete(&id)
                .map_err(|e| format!("{}: {e}", d.id))?;
            found = true;
        }
    }
    if !found {
        return Err(format!("Snapshot '{name}' not found"));
    }
    Ok(())
}

/// `info snapshots`: the snapshots of the first writable drive that every
/// other writable drive has too.
pub fn info(m: &Machine) -> Result<String, String> {
    let drives = writable(m)?;
    let mut l = list(&drives[0])?;
    for d in &drives[1..] {
        let other = list(d)?;
        l.retain(|s| other.iter().any(|o| o.name == s.name));
    }
    if l.is_empty() {
        return Ok("There is no snapshot available.\n".into());
    }
    Ok(format!(
        "List of snapshots present on all disks:\n{}",
        block::img::snapshot::table_text(&l)
    ))
}
