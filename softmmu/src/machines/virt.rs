//! The AArch64 `virt` machine: RAM at 1 GiB, GICv2, PL011 UART, PL031 RTC
//! and PSCI via HVC, laid out as QEMU's `virt` board (docs/system/arm/virt.rst)
//! so that kernels and device trees built for it work unchanged. The device
//! tree is generated from the same `Layout` that builds the memory map.

use crate::aarch64_cpu::{self, Vcpu};
use crate::devices::gicv2::{GicCpuIf, GicDist, GicV2};
use crate::devices::pl011::Pl011;
use crate::devices::pl031::Pl031;
use crate::fdt::{self, BootInfo};
use crate::irq::{IrqLine, IrqSink, Kick};
use crate::machine::{Machine, Shutdown};
use crate::memory::{MemoryMap, Ram};
use crate::{loader, Error, Options};
use std::io::Read;
use std::sync::{Arc, Mutex};

/// The machine description: addresses, sizes, interrupt numbers.
#[derive(Debug, Clone)]
pub struct Layout {
    pub ram_base: u64,
    pub ram_size: u64,
    pub cpus: usize,
    pub gicd: u64,
    pub gicc: u64,
    pub uart: u64,
    pub uart_spi: u32,
    pub rtc: u64,
    pub rtc_spi: u32,
}

impl Layout {
    pub fn new(ram_size: u64, cpus: usize) -> Layout {
        Layout {
            ram_base: 0x4000_0000,
            ram_size,
            cpus,
            gicd: 0x0800_0000,
            gicc: 0x0801_0000,
            uart: 0x0900_0000,
            uart_spi: 1,
            rtc: 0x0901_0000,
            rtc_spi: 2,
        }
    }
}

/// The GIC interrupt id of SPI `n`.
fn spi(n: u32) -> u32 {
    32 + n
}

/// Builds the machine, loads the guest and runs it to shutdown; returns
/// the process exit status.
pub fn run(opts: &Options) -> Result<i32, Error> {
    if opts.smp == 0 || opts.smp > 8 {
        return Err(Error::Config(format!(
            "-smp {}: the GICv2 of virt supports 1 to 8 cpus",
            opts.smp
        )));
    }
    if opts.gic_version != 2 {
        return Err(Error::Config(format!(
            "gic-version={}: only GICv2 is implemented so far",
            opts.gic_version
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
    let layout = Layout::new(opts.mem, opts.smp);

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
    let gic = GicV2::new(kicks.clone());
    let sink: Arc<dyn IrqSink> = gic.clone();

    let mut map = MemoryMap::default();
    let ram = Ram::new(layout.ram_base, layout.ram_size)?;
    // Guest images.
    let kdata = std::fs::read(&opts.kernel).map_err(|e| Error::File(opts.kernel.clone(), e))?;
    let kname = opts.kernel.display().to_string();
    let kernel = loader::load_kernel(&ram, &kname, &kdata)?;
    let ram_end = layout.ram_base + layout.ram_size;
    let mut initrd = None;
    if let Some(p) = &opts.initrd {
        let d = std::fs::read(p).map_err(|e| Error::File(p.clone(), e))?;
        // Past the kernel, 2 MiB aligned, at least half-way into small RAM.
        let start = ((kernel.end + 0x1f_ffff) & !0x1f_ffff)
            .max(layout.ram_base + (layout.ram_size / 2).min(128 << 20));
        if !ram.write(start, &d) {
            return Err(Error::Config(format!(
                "{}: initrd of {} bytes does not fit in {} MiB of RAM",
                p.display(),
                d.len(),
                layout.ram_size >> 20
            )));
        }
        initrd = Some((start, start + d.len() as u64));
    }
    let dtb = match &opts.dtb {
        Some(p) => std::fs::read(p).map_err(|e| Error::File(p.clone(), e))?,
        None => fdt::build(
            &layout,
            &BootInfo {
                cpu_compatible: &format!("arm,{}", model.name),
                bootargs: &opts.append,
                initrd,
            },
        )
        .map_err(|e| Error::Config(format!("device tree: {e}")))?,
    };
    if dtb.len() > 2 << 20 {
        return Err(Error::Config("device tree larger than 2 MiB".into()));
    }
    // The DTB goes to the last 2 MiB of RAM.
    let dtb_addr = (ram_end - (2 << 20)) & !7;
    if initrd.is_some_and(|(_, e)| e > dtb_addr) || kernel.end > dtb_addr {
        return Err(Error::Config(
            "kernel and initrd leave no room for the device tree".into(),
        ));
    }
    ram.write(dtb_addr, &dtb);
    map.add_ram(ram);

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
    let uart = Arc::new(Mutex::new(Pl011::new(
        Box::new(std::io::stdout()),
        IrqLine {
            sink: sink.clone(),
            intid: spi(layout.uart_spi),
        },
    )));
    map.add_mmio(layout.uart, 0x1000, uart.clone());
    map.add_mmio(
        layout.rtc,
        0x1000,
        Arc::new(Mutex::new(Pl031::new(IrqLine {
            sink: sink.clone(),
            intid: spi(layout.rtc_spi),
        }))),
    );
    let machine = Arc::new(Machine::new(Arc::new(map), gic, kicks));
    if opts.serial_stdin {
        spawn_stdin(uart);
    }

    let mut vcpus: Vec<Vcpu> = states
        .into_iter()
        .enumerate()
        .map(|(i, s)| Vcpu::new(i, s, model, opts.backend, opts.log, machine.clone()))
        .collect();
    vcpus[0].boot(kernel.entry, dtb_addr);
    let ticker = machine.spawn_ticker();
    let mut threads = Vec::new();
    for v in vcpus {
        let name = format!("vcpu{}", v.index);
        let t = std::thread::Builder::new()
            .name(name)
            .stack_size(16 << 20)
            .spawn(move || v.run())
            .map_err(|e| Error::Config(format!("cannot start a vcpu thread: {e}")))?;
        threads.push(t);
    }
    for t in threads {
        if t.join().is_err() {
            machine.request_shutdown(Shutdown::Quit);
            let _ = ticker.join();
            return Err(Error::Config("a vcpu thread panicked".into()));
        }
    }
    let _ = ticker.join();
    Ok(match machine.shutdown_reason() {
        Some(Shutdown::Reset) if !opts.no_reboot => {
            eprintln!(
                "mimic: the guest asked for a reset; rebooting is not implemented yet, exiting"
            );
            0
        }
        _ => 0,
    })
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
