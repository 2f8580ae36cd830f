//! System mode: the memory map and MMIO bus (`memory`, `device`),
//! interrupt wiring (`irq`), devices (`devices/`, one file per part),
//! machines (`machines/`), PSCI firmware, kernel loading, the device tree,
//! and the vCPU threads that run guest code through the translation core's
//! softmmu path. Knows the guests it builds machines for (target crates),
//! not the command line (the binary maps options onto `Options`).

pub mod aarch64_cpu;
pub mod block_error;
pub mod blockdev;
pub mod clock;
pub mod device;
pub mod devices;
pub mod dma;
pub mod drive;
pub mod dump;
pub mod fdt;
pub mod filemap;
pub mod gdb;
pub mod irq;
pub mod loader;
pub mod machine;
pub mod machines;
pub mod memory;
pub mod monitor;
pub mod net;
pub mod psci;
pub mod signals;
pub mod snapshots;
pub mod unpack;
pub mod virtqueue;
pub mod vmstate;

use std::path::PathBuf;
use tcg::exec::{BackendKind, LogFlags};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(String),
    #[error("{path}: {err}", path = .0.display(), err = .1)]
    File(PathBuf, std::io::Error),
    #[error(transparent)]
    Load(#[from] loader::LoadError),
    #[error(transparent)]
    Ram(#[from] memory::RamError),
    #[error(transparent)]
    Drive(#[from] drive::DriveError),
}

/// A `-device` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// `virtio-blk-device,drive=ID`: a `-drive` id or a `-blockdev` node.
    VirtioBlk { drive: String },
    /// `virtio-net-device,netdev=ID[,mac=M]` (also what `-nic` adds).
    VirtioNet {
        netdev: String,
        mac: Option<[u8; 6]>,
    },
}

/// A machine to build and run.
#[derive(Debug, Clone)]
pub struct Options {
    pub machine: String,
    pub gic_version: u32,
    pub cpu: String,
    /// RAM bytes.
    pub mem: u64,
    pub smp: usize,
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    pub dtb: Option<PathBuf>,
    pub append: String,
    pub no_reboot: bool,
    /// Feed host stdin to the first UART.
    pub serial_stdin: bool,
    pub backend: BackendKind,
    pub log: LogFlags,
    pub drives: Vec<drive::DriveSpec>,
    /// `-blockdev` node definitions (blockdev-add's arguments), in order.
    pub blockdevs: Vec<serde_json::Map<String, serde_json::Value>>,
    /// `-object throttle-group`: id and limits.
    pub throttle_groups: Vec<(String, block::throttle::ThrottleConfig)>,
    pub devices: Vec<DeviceSpec>,
    /// `-netdev` backends (and those `-nic` creates).
    pub netdevs: Vec<net::NetdevSpec>,
    /// `-qmp` monitors.
    pub qmp: Vec<monitor::QmpSpec>,
    /// `-loadvm NAME`: restore this snapshot before the first instruction.
    pub loadvm: Option<String>,
    /// `-monitor` human monitors.
    pub monitors: Vec<monitor::hmp_server::MonitorSpec>,
    /// `-gdb`/`-s` (with `-S`): the GDB server.
    pub gdb: Option<gdb::GdbSpec>,
}

/// Builds and runs the machine; returns the exit status for the process.
pub fn run(opts: &Options) -> Result<i32, Error> {
    match opts.machine.as_str() {
        "virt" => machines::virt::run(opts),
        m => Err(Error::Config(format!(
            "unknown machine '{m}' (known: virt)"
        ))),
    }
}
