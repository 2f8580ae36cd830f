//! `-gdb tcp::PORT` / `-s` (and `-S`): system mode's side of the GDB
//! server (`mimic_gdb`). GDB threads are the vCPUs (thread id: cpu index
//! plus one); memory goes through the selected cpu's stage-1 translation
//! as it was when that cpu stopped (EL1's view; the MMU off: physical),
//! and only RAM is read or written (a write drops translated code there).
//! The guest's clock stands still while GDB holds the machine stopped.

use crate::clock::{self, GuestClock};
use crate::dma::GuestRam;
use mimic_gdb::Debugger;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use target_aarch64::gdb::{GdbAarch64, GdbRegs};
use target_aarch64::system::mmu;
use target_aarch64::system::{SysRegs, MMU_EL1};
use tcg::softmmu::Access;

/// Where GDB connects and whether the machine waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GdbSpec {
    pub host: String,
    pub port: u16,
    /// `-S`: the cpus wait for GDB's first continue.
    pub start_stopped: bool,
}

impl GdbSpec {
    /// Parses `-gdb DEV`: `tcp::PORT`, `tcp:HOST:PORT` (or a bare `:PORT`).
    pub fn parse(dev: &str) -> Result<GdbSpec, String> {
        let rest = dev.strip_prefix("tcp:").unwrap_or(dev);
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("-gdb {dev}: expected tcp::PORT or tcp:HOST:PORT"))?;
        let port = port
            .split(',')
            .next()
            .unwrap_or("")
            .parse()
            .map_err(|_| format!("-gdb {dev}: bad port"))?;
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        Ok(GdbSpec {
            host: host.to_string(),
            port,
            start_stopped: false,
        })
    }
}

/// Per cpu, the system registers it had when it last stopped for GDB.
pub type Regimes = Vec<Mutex<Option<SysRegs>>>;

/// The machine's debugger and the translation regimes of its cpus.
pub struct SystemDebug {
    pub dbg: Arc<Debugger<GdbRegs>>,
    pub regimes: Arc<Regimes>,
    /// `-S`: the cpus report to the debugger from their first instruction
    /// (otherwise from when GDB connects).
    pub start_stopped: bool,
}

struct SystemMemory {
    ram: GuestRam,
    regimes: Arc<Regimes>,
    /// The cpu index GDB's accesses are for.
    cpu: AtomicU32,
}

impl SystemMemory {
    /// The physical address of `va` for the selected cpu, and the bytes
    /// left in its page.
    fn translate(&self, va: u64) -> Option<(u64, u64)> {
        let left = 0x1000 - (va & 0xfff);
        let i = self.cpu.load(Ordering::Relaxed) as usize;
        let sys = self.regimes.get(i)?.lock().ok()?.clone();
        let Some(sys) = sys else {
            return Some((va, left));
        };
        let c = target_aarch64::CpuState {
            sys,
            ..Default::default()
        };
        let read = |pa: u64| self.ram.read_u64(pa);
        let t = mmu::walk(&c, va, Access::Read, MMU_EL1, &read).ok()?;
        Some((t.paddr, left))
    }
}

impl mimic_gdb::Memory for SystemMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        while done < buf.len() {
            let va = addr.wrapping_add(done as u64);
            let Some((pa, left)) = self.translate(va) else {
                break;
            };
            let n = (left as usize).min(buf.len() - done);
            if !self.ram.read(pa, &mut buf[done..done + n]) {
                break;
            }
            done += n;
        }
        done
    }

    fn write(&self, addr: u64, data: &[u8]) -> bool {
        let mut done = 0;
        while done < data.len() {
            let va = addr.wrapping_add(done as u64);
            let Some((pa, left)) = self.translate(va) else {
                return false;
            };
            let n = (left as usize).min(data.len() - done);
            if !self.ram.write(pa, &data[done..done + n]) {
                return false;
            }
            done += n;
        }
        true
    }

    fn select_thread(&self, tid: u32) {
        self.cpu.store(tid.saturating_sub(1), Ordering::Relaxed);
    }
}

/// Binds the port and starts the server thread. Without `-S` the guest
/// runs until GDB connects (which stops it).
pub fn start(
    spec: &GdbSpec,
    ram: GuestRam,
    cpus: usize,
    kick_all: Box<dyn Fn() + Send + Sync>,
    clock: Arc<GuestClock>,
) -> Result<SystemDebug, String> {
    let listener = std::net::TcpListener::bind((spec.host.as_str(), spec.port)).map_err(|e| {
        format!(
            "-gdb tcp:{}:{}: cannot listen for GDB: {e}",
            spec.host, spec.port
        )
    })?;
    let regimes: Arc<Regimes> = Arc::new((0..cpus).map(|_| Mutex::new(None)).collect());
    let memory = SystemMemory {
        ram,
        regimes: regimes.clone(),
        cpu: AtomicU32::new(0),
    };
    let dbg = Arc::new(Debugger::new(Box::new(memory), kick_all));
    // The generic counter stands still while GDB holds the machine
    // stopped, as for a monitor pause.
    dbg.set_world_hook(Box::new(move |stopped| {
        if stopped {
            clock.hold(clock::GDB, false);
        } else {
            clock.release(clock::GDB);
        }
    }));
    if !spec.start_stopped {
        dbg.resume();
    }
    mimic_gdb::serve::<GdbAarch64>(listener, dbg.clone())
        .map_err(|e| format!("cannot start the GDB server: {e}"))?;
    Ok(SystemDebug {
        dbg,
        regimes,
        start_stopped: spec.start_stopped,
    })
}
