//! `snapshot`: list, create, apply and delete internal snapshots.

use super::{size_to_str, Args};
use crate::driver::SnapshotInfo;
use crate::error::{BlockError, Result};

pub(crate) fn run(args: &[String]) -> Result<i32> {
    let a = Args::parse(
        args,
        "la:c:d:f:qU",
        &["object=", "image-opts", "force-share"],
    )?;
    let Some(path) = a.pos.first() else {
        return Err(BlockError::Other("Expecting one image file name".into()));
    };
    let ops = ["l", "a", "c", "d"].iter().filter(|o| a.has(o)).count();
    if ops > 1 {
        return Err(BlockError::Other(
            "Cannot mix '-l', '-a', '-c', '-d'".into(),
        ));
    }
    let ro = ops == 0 || a.has("l");
    let _share = crate::lock::ForceShare::scope(a.force_share());
    let mut d = super::open(path, a.get("f").as_deref(), ro)?;
    if let Some(n) = a.get("c") {
        d.snapshot_create(&n)
            .map_err(|e| BlockError::Other(format!("Could not create snapshot '{n}': {e}")))?;
    } else if let Some(n) = a.get("a") {
        d.snapshot_apply(&n)
            .map_err(|e| BlockError::Other(format!("Could not apply snapshot '{n}': {e}")))?;
    } else if let Some(n) = a.get("d") {
        d.snapshot_delete(&n)
            .map_err(|e| BlockError::Other(format!("Could not delete snapshot '{n}': {e}")))?;
    } else {
        let l = d.snapshot_list()?;
        if !l.is_empty() {
            print!("Snapshot list:\n{}", table_text(&l));
        }
    }
    d.close()?;
    Ok(0)
}

fn local_date(sec: u32) -> String {
    let t = sec as libc::time_t;
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&t, &mut tm) };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// qemu's snapshot table (header line and one line per snapshot).
pub fn table_text(l: &[SnapshotInfo]) -> String {
    let mut o = format!(
        "{:<7} {:<16} {:>8} {:>19} {:>15} {:>10}\n",
        "ID", "TAG", "VM_SIZE", "DATE", "VM_CLOCK", "ICOUNT"
    );
    for s in l {
        let ns = s.vm_clock_nsec;
        let secs = ns / 1_000_000_000;
        let clock = format!(
            "{:04}:{:02}:{:02}.{:03}",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60,
            (ns / 1_000_000) % 1000
        );
        let ic = s.icount.map(|i| i.to_string()).unwrap_or_default();
        o += &format!(
            "{:<7} {:<16} {:>8} {:>19} {:>15} {:>10}\n",
            s.id,
            s.name,
            size_to_str(s.vm_state_size),
            local_date(s.date_sec),
            clock,
            ic
        );
    }
    o
}
