//! The AArch64 `virt` machine: RAM at 1 GiB, GICv2 or GICv3, PL011 UART, PL031 RTC,
//! PL061 GPIO (the power button), 32 virtio-mmio transports (virtio-blk
//! disks from `-drive`/`-device`, virtio-net NICs from `-nic`/`-device`) and PSCI via HVC, laid out as QEMU's `virt` board (docs/system/arm/virt.rst)
//! so that kernels and device trees built for it work unchanged. The device
//! tree is generated from the same `Layout` that builds the memory map.

use crate::aarch64_cpu::{self, Vcpu};
use crate::devices::gic::Gic;
use crate::devices::gicv2::{GicCpuIf, GicDist, GicV2};
use crate::devices::gicv3::{self, GicV3, GicV3Dist, GicV3Redist};
use crate::devices::pl011::Pl011;
use crate::devices::pl031::Pl031;
use crate::devices::pl061::Pl061;
use crate::devices::virtio_blk::VirtioBlk;
use crate::devices::virtio_mmio::{VirtioDevice, VirtioIrq, VirtioMmio};
use crate::devices::virtio_net::{self, VirtioNet};
use crate::dma::GuestRam;
use crate::drive::{Drive, Interface};
use crate::fdt::{self, BootInfo};
use crate::filemap::FileMap;
use crate::irq::{IrqLine, IrqSink, Kick};
use crate::machine::{self, Event, Machine, Shutdown};
use crate::memory::{MemoryMap, Ram};
use crate::net::{self, NicLink};
use crate::{loader, monitor, signals, DeviceSpec, Error, Options};
use std::io::Read;
use std::sync::{Arc, Mutex};

/// The machine description: addresses, sizes, interrupt numbers.
#[derive(Debug, Clone)]
pub struct Layout {
    pub ram_base: u64,
    pub ram_size: u64,
    pub cpus: usize,
    /// 2 or 3.
    pub gic_version: u32,
    pub gicd: u64,
    /// GICv2 CPU interface frame.
    pub gicc: u64,
    /// GICv3 redistributors: one `gicv3::REDIST_STRIDE` frame pair per cpu.
    pub gicr: u64,
    pub uart: u64,
    pub uart_spi: u32,
    pub rtc: u64,
    pub rtc_spi: u32,
    pub gpio: u64,
    pub gpio_spi: u32,
    /// virtio-mmio transports: `virtio_count` of `virtio_size` bytes from
    /// `virtio_base`, transport n on SPI `virtio_spi + n`.
    pub virtio_base: u64,
    pub virtio_size: u64,
    pub virtio_count: u32,
    pub virtio_spi: u32,
}

/// Most cpus per GIC version: GICv2's 8-bit target lists; the GICv3
/// redistributor space of virt (0x080a_0000..0x0900_0000).
pub fn max_cpus(gic_version: u32) -> usize {
    if gic_version == 3 {
        (0x0900_0000 - 0x080a_0000) / gicv3::REDIST_STRIDE as usize
    } else {
        8
    }
}

impl Layout {
    /// Bytes of the redistributor region.
    pub fn gicr_size(&self) -> u64 {
        self.cpus as u64 * gicv3::REDIST_STRIDE
    }

    pub fn new(ram_size: u64, cpus: usize, gic_version: u32) -> Layout {
        Layout {
            ram_base: 0x4000_0000,
            ram_size,
            cpus,
            gic_version,
            gicd: 0x0800_0000,
            gicc: 0x0801_0000,
            gicr: 0x080a_0000,
            uart: 0x0900_0000,
            uart_spi: 1,
            rtc: 0x0901_0000,
            rtc_spi: 2,
            gpio: 0x0903_0000,
            gpio_spi: 7,
            virtio_base: 0x0a00_0000,
            virtio_size: 0x200,
            virtio_count: 32,
            virtio_spi: 16,
        }
    }
}

/// The GIC interrupt id of SPI `n`.
fn spi(n: u32) -> u32 {
    32 + n
}

/// A kernel as read: the file mapped, or its inflated contents.
enum Image {
    Mapped(FileMap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Image {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Image::Mapped(m) => m,
            Image::Owned(v) => v,
        }
    }
}

/// The boot images, kept to load them again at every reset.
struct Boot {
    kernel_name: String,
    kernel: Image,
    initrd: Option<(u64, Vec<u8>)>,
    dtb: Vec<u8>,
    dtb_addr: u64,
}

impl Boot {
    /// Writes the images into RAM; returns the kernel's entry point.
    fn place(&self, ram: &Ram) -> Result<u64, Error> {
        if let Image::Mapped(m) = &self.kernel {
            if !m.intact() {
                return Err(Error::Config(format!(
                    "{}: the kernel file shrank while the machine ran",
                    self.kernel_name
                )));
            }
        }
        let k = loader::load_kernel(ram, &self.kernel_name, &self.kernel)?;
        if let Some((at, d)) = &self.initrd {
            ram.write(*at, d);
        }
        ram.write(self.dtb_addr, &self.dtb);
        Ok(k.entry)
    }
}

/// Reads the images, places the initrd and builds (or reads) the DTB.
fn prepare_boot(opts: &Options, layout: &Layout, ram: &Ram, cpu: &str) -> Result<Boot, Error> {
    let kname = opts.kernel.display().to_string();
    let kfile = |e| Error::File(opts.kernel.clone(), e);
    let kdata = match FileMap::open(&opts.kernel).map_err(kfile)? {
        Some(m) if crate::unpack::compression(&m).is_none() => Image::Mapped(m),
        _ => {
            let d = std::fs::read(&opts.kernel).map_err(kfile)?;
            Image::Owned(crate::unpack::unpack(&kname, d, layout.ram_size)?)
        }
    };
    let kernel = loader::kernel_extent(ram, &kname, &kdata)?;
    let ram_end = layout.ram_base + layout.ram_size;
    let mut initrd = None;
    if let Some(p) = &opts.initrd {
        let d = std::fs::read(p).map_err(|e| Error::File(p.clone(), e))?;
        // Past the kernel, 2 MiB aligned, at least half-way into small RAM.
        let start = ((kernel.end + 0x1f_ffff) & !0x1f_ffff)
            .max(layout.ram_base + (layout.ram_size / 2).min(128 << 20));
        if !ram.contains(start, d.len() as u64) {
            return Err(Error::Config(format!(
                "{}: initrd of {} bytes does not fit in {} MiB of RAM",
                p.display(),
                d.len(),
                layout.ram_size >> 20
            )));
        }
        initrd = Some((start, d));
    }
    let range = initrd.as_ref().map(|(s, d)| (*s, s + d.len() as u64));
    let dtb = match &opts.dtb {
        Some(p) => std::fs::read(p).map_err(|e| Error::File(p.clone(), e))?,
        None => fdt::build(
            layout,
            &BootInfo {
                cpu_compatible: &format!("arm,{cpu}"),
                bootargs: &opts.append,
                initrd: range,
            },
        )
        .map_err(|e| Error::Config(format!("device tree: {e}")))?,
    };
    if dtb.len() > 2 << 20 {
        return Err(Error::Config("device tree larger than 2 MiB".into()));
    }
    // The DTB goes to the last 2 MiB of RAM.
    let dtb_addr = (ram_end - (2 << 20)) & !7;
    if range.is_some_and(|(_, e)| e > dtb_addr) || kernel.end > dtb_addr {
        return Err(Error::Config(
            "kernel and initrd leave no room for the device tree".into(),
        ));
    }
    Ok(Boot {
        kernel_name: kname,
        kernel: kdata,
        initrd,
        dtb,
        dtb_addr,
    })
}

/// What sits on a virtio-mmio transport.
enum VirtioSlot {
    Disk(Arc<Drive>),
    Nic { link: Arc<NicLink>, mac: [u8; 6] },
}

/// Every opened drive, the block nodes, and the virtio devices in
/// transport order.
struct Devices {
    drives: Vec<Arc<Drive>>,
    nodes: crate::blockdev::Nodes,
    /// Each netdev's id and link (the monitor's `info usernet`).
    netdevs: Vec<(String, Arc<NicLink>)>,
    virtio: Vec<VirtioSlot>,
}

/// Opens the drives, starts the netdevs and puts the virtio devices on
/// the transports in order: each `if=virtio` drive, then each `-device`
/// (and `-nic`) in command-line order.
fn virtio_devices(opts: &Options) -> Result<Devices, Error> {
    let mut drives: Vec<Arc<Drive>> = Vec::new();
    for spec in &opts.drives {
        if drives.iter().any(|d| d.id == spec.id) {
            return Err(Error::Config(format!("-drive: duplicate ID '{}'", spec.id)));
        }
        drives.push(Arc::new(Drive::open(spec)?));
    }
    // -object throttle-group, then -blockdev (as blockdev-add).
    let nodes = crate::blockdev::Nodes::default();
    for (id, cfg) in &opts.throttle_groups {
        let g = block::throttle::ThrottleGroup::new(id, cfg.clone())
            .map_err(|e| Error::Config(format!("-object throttle-group,id={id}: {e}")))?;
        nodes
            .add_group(g)
            .map_err(|e| Error::Config(format!("-object throttle-group,id={id}: {e}")))?;
    }
    for b in &opts.blockdevs {
        let taken = |n: &str| drives.iter().any(|d| d.id == n);
        nodes
            .add(b.clone(), &taken)
            .map_err(|e| Error::Config(format!("-blockdev: {e}")))?;
    }
    for (i, n) in opts.netdevs.iter().enumerate() {
        if opts.netdevs[..i].iter().any(|m| m.id == n.id) {
            return Err(Error::Config(format!("-netdev: duplicate ID '{}'", n.id)));
        }
    }
    // Which netdev each NIC uses, checked before any backend starts.
    let mut nic_of: Vec<Option<usize>> = Vec::new();
    let mut used = vec![false; opts.netdevs.len()];
    for dev in &opts.devices {
        nic_of.push(match dev {
            DeviceSpec::VirtioNet { netdev, .. } => {
                let Some(i) = opts.netdevs.iter().position(|n| &n.id == netdev) else {
                    return Err(Error::Config(format!(
                        "-device virtio-net-device: netdev '{netdev}' not found"
                    )));
                };
                if std::mem::replace(&mut used[i], true) {
                    return Err(Error::Config(format!(
                        "-device virtio-net-device: netdev '{netdev}' is already in use"
                    )));
                }
                Some(i)
            }
            DeviceSpec::VirtioBlk { .. } => None,
        });
    }
    let mut links = Vec::new();
    for n in &opts.netdevs {
        links.push(net::start(n).map_err(Error::Config)?);
    }
    for (n, used) in opts.netdevs.iter().zip(&used) {
        if !used {
            eprintln!("mimic: warning: netdev {} has no NIC", n.id);
        }
    }
    let mut slots: Vec<VirtioSlot> = opts
        .drives
        .iter()
        .zip(&drives)
        .filter(|(s, _)| s.interface == Interface::Virtio)
        .map(|(_, d)| VirtioSlot::Disk(d.clone()))
        .collect();
    let mut nics = 0;
    for (dev, nic) in opts.devices.iter().zip(nic_of) {
        match dev {
            DeviceSpec::VirtioBlk { drive } => {
                let by_id = opts
                    .drives
                    .iter()
                    .zip(&drives)
                    .find(|(s, _)| &s.id == drive)
                    .map(|(_, d)| d.clone());
                let node = match by_id {
                    Some(_) => None,
                    None => nodes
                        .attach(drive)
                        .map_err(|e| Error::Config(format!("-device virtio-blk-device: {e}")))?,
                };
                let Some(d) = by_id.or(node) else {
                    return Err(Error::Config(format!(
                        "-device virtio-blk-device: drive '{drive}' not found"
                    )));
                };
                let d = &d;
                if slots
                    .iter()
                    .any(|x| matches!(x, VirtioSlot::Disk(x) if Arc::ptr_eq(x, d)))
                {
                    return Err(Error::Config(format!(
                        "-device virtio-blk-device: drive '{drive}' is already in use"
                    )));
                }
                slots.push(VirtioSlot::Disk(d.clone()));
            }
            DeviceSpec::VirtioNet { mac, .. } => {
                let Some(i) = nic else { continue };
                // As QEMU: only NICs without mac= count for the default.
                let mac = mac.unwrap_or_else(|| {
                    nics += 1;
                    virtio_net::default_mac(nics - 1)
                });
                slots.push(VirtioSlot::Nic {
                    link: links[i].clone(),
                    mac,
                });
            }
        }
    }
    let netdevs = opts
        .netdevs
        .iter()
        .map(|n| n.id.clone())
        .zip(links)
        .collect();
    Ok(Devices {
        drives,
        nodes,
        netdevs,
        virtio: slots,
    })
}

/// Builds the machine, loads the guest and runs it to shutdown; returns
/// the process exit status.
pub fn run(opts: &Options) -> Result<i32, Error> {
    if opts.gic_version != 2 && opts.gic_version != 3 {
        return Err(Error::Config(format!(
            "gic-version={}: virt has GICv2 and GICv3",
            opts.gic_version
        )));
    }
    let most = max_cpus(opts.gic_version);
    if opts.smp == 0 || opts.smp > most {
        return Err(Error::Config(format!(
            "-smp {}: the GICv{} of virt supports 1 to {most} cpus",
            opts.smp, opts.gic_version
        )));
    }
    let model = target_aarch64::model::find(&opts.cpu).ok_or_else(|| {
        let names: Vec<&str> = target_aarch64::model::MODELS
            .iter()
            .map(|m| m.name)
            .collect();
        Error::Config(format!(
            "unknown -cpu '{}' (known: {})",
            opts.cpu,
            names.join(", ")
        ))
    })?;
    target_aarch64::system::regs::set_model(model);
    let layout = Layout::new(opts.mem, opts.smp, opts.gic_version);
    signals::block();

    let states: Vec<&'static mut target_aarch64::CpuState> =
        (0..opts.smp).map(|_| aarch64_cpu::new_state()).collect();
    let kicks: Vec<Arc<Kick>> = states
        .iter()
        .map(|s| {
            // SAFETY-free: the states are leaked, so the reference is 'static.
            let r: &'static std::sync::atomic::AtomicU32 =
                // SAFETY: `s` points at a leaked (never freed) CpuState.
                unsafe { &*(&s.common.exit_request as *const _) };
            Arc::new(Kick::new(r))
        })
        .collect();
    let code_pages = machine::code_pages(&kicks);

    let mut map = MemoryMap::default();
    let gic: Arc<dyn Gic> = if layout.gic_version == 3 {
        let gic = GicV3::new(kicks.clone());
        if !gicv3::CpuIf::install(&gic) {
            return Err(Error::Config(
                "GICv3: the cpu interface registers are taken (one machine per process)".into(),
            ));
        }
        map.add_mmio(
            layout.gicd,
            0x10000,
            Arc::new(Mutex::new(GicV3Dist(gic.clone()))),
        );
        map.add_mmio(
            layout.gicr,
            layout.gicr_size(),
            Arc::new(Mutex::new(GicV3Redist(gic.clone()))),
        );
        gic
    } else {
        let gic = GicV2::new(kicks.clone());
        map.add_mmio(
            layout.gicd,
            0x10000,
            Arc::new(Mutex::new(GicDist(gic.clone()))),
        );
        map.add_mmio(
            layout.gicc,
            0x10000,
            Arc::new(Mutex::new(GicCpuIf(gic.clone()))),
        );
        gic
    };
    let sink: Arc<dyn IrqSink> = gic.clone();
    let ram = Arc::new(Ram::new(layout.ram_base, layout.ram_size)?);
    let boot = prepare_boot(opts, &layout, &ram, model.name)?;
    map.add_ram(ram.clone());
    let line = |spi_n: u32| IrqLine {
        sink: sink.clone(),
        intid: spi(spi_n),
    };

    let uart = Arc::new(Mutex::new(Pl011::new(
        Box::new(std::io::stdout()),
        line(layout.uart_spi),
    )));
    map.add_mmio(layout.uart, 0x1000, uart.clone());
    map.add_mmio(
        layout.rtc,
        0x1000,
        Arc::new(Mutex::new(Pl031::new(line(layout.rtc_spi)))),
    );
    let gpio = Arc::new(Mutex::new(Pl061::new(line(layout.gpio_spi))));
    map.add_mmio(layout.gpio, 0x1000, gpio.clone());

    let Devices {
        drives,
        nodes,
        netdevs,
        virtio: slots,
    } = virtio_devices(opts)?;
    if slots.len() > layout.virtio_count as usize {
        return Err(Error::Config(format!(
            "{} virtio devices, but virt has {} transports",
            slots.len(),
            layout.virtio_count
        )));
    }
    let mem = GuestRam::new(ram.clone(), code_pages.clone());
    for n in 0..layout.virtio_count {
        let irq = VirtioIrq::new(line(layout.virtio_spi + n));
        let dev: Option<Box<dyn VirtioDevice>> = match slots.get(n as usize) {
            Some(VirtioSlot::Disk(d)) => Some(Box::new(VirtioBlk::new(d.clone(), irq.clone()))),
            Some(VirtioSlot::Nic { link, mac }) => {
                Some(Box::new(VirtioNet::new(*mac, link.clone(), irq.clone())))
            }
            None => None,
        };
        map.add_mmio(
            layout.virtio_base + n as u64 * layout.virtio_size,
            layout.virtio_size,
            Arc::new(Mutex::new(VirtioMmio::new(dev, irq, mem.clone()))),
        );
    }

    let mut machine = Machine::new(Arc::new(map), gic, kicks, code_pages);
    machine.drives = drives;
    machine.blockdevs = nodes;
    machine.netdevs = netdevs;
    machine.power_button = Some((gpio, fdt::POWER_BUTTON_LINE));
    machine.no_reboot = opts.no_reboot;
    if let Some(spec) = &opts.gdb {
        let all = machine.kicks.clone();
        let kick_all = Box::new(move || all.iter().for_each(|k| k.kick()));
        machine.debug = Some(
            crate::gdb::start(spec, mem.clone(), opts.smp, kick_all, machine.clock.clone())
                .map_err(Error::Config)?,
        );
    }
    let machine = Arc::new(machine);
    machine.watch_drive_errors();
    let _monitors = opts
        .qmp
        .iter()
        .map(|q| monitor::start(&machine, q))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Config)?;
    let _hmps = opts
        .monitors
        .iter()
        .map(|s| monitor::hmp_server::start(&machine, s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Config)?;
    let stdio_monitor = opts
        .monitors
        .contains(&monitor::hmp_server::MonitorSpec::Stdio);
    signals::spawn_handler(&machine);
    if opts.serial_stdin && !stdio_monitor {
        spawn_stdin(uart);
    }

    let mut vcpus: Vec<Vcpu> = states
        .into_iter()
        .enumerate()
        .map(|(i, s)| Vcpu::new(i, s, model, opts.backend, opts.log, machine.clone()))
        .collect();
    // -loadvm: the snapshot's state instead of a boot (a reset boots).
    let mut restored = match &opts.loadvm {
        Some(name) => {
            let cpus = crate::snapshots::loadvm_at_start(&machine, name)
                .map_err(|e| Error::Config(format!("-loadvm {name}: {e}")))?;
            for (v, c) in vcpus.iter_mut().zip(&cpus) {
                v.restore(c);
            }
            true
        }
        None => false,
    };
    let result = loop {
        if !std::mem::take(&mut restored) {
            let entry = boot.place(&ram)?;
            vcpus[0].boot(entry, boot.dtb_addr);
        }
        match run_vcpus(&machine, vcpus) {
            Ok(v) => vcpus = v,
            Err(e) => break Err(e),
        }
        match machine.shutdown_reason() {
            Some(why) if why.is_reset() && !opts.no_reboot => {
                machine.emit(Event::Reset(why));
                machine.reset();
                for v in &mut vcpus {
                    v.reset();
                }
            }
            _ => {
                // The process ends after this: no point freeing every
                // cpu's blocks.
                for v in &mut vcpus {
                    v.forget_cache();
                }
                break Ok(0);
            }
        }
    };
    if let Some(d) = &machine.debug {
        d.dbg.process_exit(mimic_gdb::control::Event::Exited(0));
    }
    machine.bus.reset_devices();
    for d in &machine.drives {
        if let Err(e) = d.close() {
            eprintln!("mimic: {e}");
        }
    }
    for e in machine.blockdevs.close_all() {
        eprintln!("mimic: {e}");
    }
    result
}

/// Runs the vCPUs on their threads until the machine stops; hands them
/// back for a reboot.
fn run_vcpus(machine: &Arc<Machine>, vcpus: Vec<Vcpu>) -> Result<Vec<Vcpu>, Error> {
    let ticker = machine.spawn_ticker();
    let mut threads = Vec::new();
    for v in vcpus {
        let name = format!("vcpu{}", v.index);
        match std::thread::Builder::new()
            .name(name)
            .stack_size(16 << 20)
            .spawn(move || v.run())
        {
            Ok(t) => threads.push(t),
            Err(e) => {
                machine.request_shutdown(Shutdown::Quit);
                return Err(Error::Config(format!("cannot start a vcpu thread: {e}")));
            }
        }
    }
    machine.mark_started();
    let mut back = Vec::new();
    let mut panicked = false;
    for t in threads {
        match t.join() {
            Ok(v) => back.push(v),
            Err(_) => {
                panicked = true;
                machine.request_shutdown(Shutdown::Quit);
            }
        }
    }
    let _ = ticker.join();
    if panicked {
        return Err(Error::Config("a vcpu thread panicked".into()));
    }
    Ok(back)
}

/// Feeds host stdin to the UART.
fn spawn_stdin(uart: Arc<Mutex<Pl011>>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 1];
        loop {
            match stdin.read(&mut buf) {
                Ok(1) => loop {
                    let Ok(mut u) = uart.lock() else { return };
                    if u.can_receive() {
                        u.receive(buf[0]);
                        break;
                    }
                    drop(u);
                    std::thread::sleep(std::time::Duration::from_millis(1));
                },
                _ => return,
            }
        }
    });
}
