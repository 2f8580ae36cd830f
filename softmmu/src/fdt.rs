//! The `virt` machine's device tree, generated from the same layout that
//! builds its memory map (`machines::virt::Layout`).

use crate::machines::virt::Layout;
use vm_fdt::{Error, FdtWriter};

const PHANDLE_GIC: u32 = 1;
const PHANDLE_CLK: u32 = 2;
const PHANDLE_GPIO: u32 = 3;
/// Linux's KEY_POWER input code (the power button on GPIO line 3).
const KEY_POWER: u32 = 116;
pub const POWER_BUTTON_LINE: u32 = 3;
/// GIC interrupt specifier types.
const SPI: u32 = 0;
const PPI: u32 = 1;
const LEVEL_HIGH: u32 = 4;

/// What the boot loader passes besides the layout.
pub struct BootInfo<'a> {
    pub cpu_compatible: &'a str,
    pub bootargs: &'a str,
    pub initrd: Option<(u64, u64)>,
}

pub fn build(l: &Layout, b: &BootInfo) -> Result<Vec<u8>, Error> {
    let mut f = FdtWriter::new()?;
    let root = f.begin_node("")?;
    f.property_string("compatible", "linux,dummy-virt")?;
    f.property_u32("#address-cells", 2)?;
    f.property_u32("#size-cells", 2)?;
    f.property_u32("interrupt-parent", PHANDLE_GIC)?;
    f.property_string("model", "mimic virt")?;

    let chosen = f.begin_node("chosen")?;
    f.property_string("bootargs", b.bootargs)?;
    f.property_string("stdout-path", &format!("/pl011@{:x}", l.uart))?;
    if let Some((start, end)) = b.initrd {
        f.property_u64("linux,initrd-start", start)?;
        f.property_u64("linux,initrd-end", end)?;
    }
    f.end_node(chosen)?;

    let mem = f.begin_node(&format!("memory@{:x}", l.ram_base))?;
    f.property_string("device_type", "memory")?;
    f.property_array_u64("reg", &[l.ram_base, l.ram_size])?;
    f.end_node(mem)?;

    let cpus = f.begin_node("cpus")?;
    f.property_u32("#address-cells", 1)?;
    f.property_u32("#size-cells", 0)?;
    for i in 0..l.cpus {
        let c = f.begin_node(&format!("cpu@{i}"))?;
        f.property_string("device_type", "cpu")?;
        f.property_string("compatible", b.cpu_compatible)?;
        f.property_u32("reg", i as u32)?;
        f.property_string("enable-method", "psci")?;
        f.end_node(c)?;
    }
    f.end_node(cpus)?;

    let psci = f.begin_node("psci")?;
    f.property_string_list(
        "compatible",
        vec![
            "arm,psci-1.0".into(),
            "arm,psci-0.2".into(),
            "arm,psci".into(),
        ],
    )?;
    f.property_string("method", "hvc")?;
    f.property_u32("cpu_suspend", 0xc400_0001)?;
    f.property_u32("cpu_off", 0x8400_0002)?;
    f.property_u32("cpu_on", 0xc400_0003)?;
    f.property_u32("migrate", 0xc400_0005)?;
    f.end_node(psci)?;

    // PPI flags: bits 15:8 are the cpu mask (GICv2 only), then the
    // trigger type.
    let ppi_flags = if l.gic_version == 3 {
        LEVEL_HIGH
    } else {
        ((1u32 << l.cpus) - 1) << 8 | LEVEL_HIGH
    };
    let timer = f.begin_node("timer")?;
    f.property_string_list(
        "compatible",
        vec!["arm,armv8-timer".into(), "arm,armv7-timer".into()],
    )?;
    f.property_array_u32(
        "interrupts",
        &[
            PPI, 13, ppi_flags, PPI, 14, ppi_flags, PPI, 11, ppi_flags, PPI, 10, ppi_flags,
        ],
    )?;
    f.property_null("always-on")?;
    f.end_node(timer)?;

    let gic = f.begin_node(&format!("intc@{:x}", l.gicd))?;
    if l.gic_version == 3 {
        f.property_string("compatible", "arm,gic-v3")?;
        f.property_u32("#redistributor-regions", 1)?;
        f.property_array_u64("reg", &[l.gicd, 0x10000, l.gicr, l.gicr_size()])?;
    } else {
        f.property_string("compatible", "arm,cortex-a15-gic")?;
        f.property_array_u64("reg", &[l.gicd, 0x10000, l.gicc, 0x10000])?;
    }
    f.property_u32("#interrupt-cells", 3)?;
    f.property_null("interrupt-controller")?;
    f.property_u32("phandle", PHANDLE_GIC)?;
    f.end_node(gic)?;

    let clk = f.begin_node("apb-pclk")?;
    f.property_string("compatible", "fixed-clock")?;
    f.property_u32("#clock-cells", 0)?;
    f.property_u32("clock-frequency", 24_000_000)?;
    f.property_string("clock-output-names", "clk24mhz")?;
    f.property_u32("phandle", PHANDLE_CLK)?;
    f.end_node(clk)?;

    let uart = f.begin_node(&format!("pl011@{:x}", l.uart))?;
    f.property_string_list(
        "compatible",
        vec!["arm,pl011".into(), "arm,primecell".into()],
    )?;
    f.property_array_u64("reg", &[l.uart, 0x1000])?;
    f.property_array_u32("interrupts", &[SPI, l.uart_spi, LEVEL_HIGH])?;
    f.property_array_u32("clocks", &[PHANDLE_CLK, PHANDLE_CLK])?;
    f.property_string_list("clock-names", vec!["uartclk".into(), "apb_pclk".into()])?;
    f.end_node(uart)?;

    let rtc = f.begin_node(&format!("pl031@{:x}", l.rtc))?;
    f.property_string_list(
        "compatible",
        vec!["arm,pl031".into(), "arm,primecell".into()],
    )?;
    f.property_array_u64("reg", &[l.rtc, 0x1000])?;
    f.property_array_u32("interrupts", &[SPI, l.rtc_spi, LEVEL_HIGH])?;
    f.property_u32("clocks", PHANDLE_CLK)?;
    f.property_string("clock-names", "apb_pclk")?;
    f.end_node(rtc)?;

    let gpio = f.begin_node(&format!("pl061@{:x}", l.gpio))?;
    f.property_string_list(
        "compatible",
        vec!["arm,pl061".into(), "arm,primecell".into()],
    )?;
    f.property_array_u64("reg", &[l.gpio, 0x1000])?;
    f.property_array_u32("interrupts", &[SPI, l.gpio_spi, LEVEL_HIGH])?;
    f.property_null("gpio-controller")?;
    f.property_u32("#gpio-cells", 2)?;
    f.property_u32("clocks", PHANDLE_CLK)?;
    f.property_string("clock-names", "apb_pclk")?;
    f.property_u32("phandle", PHANDLE_GPIO)?;
    f.end_node(gpio)?;

    let keys = f.begin_node("gpio-keys")?;
    f.property_string("compatible", "gpio-keys")?;
    let key = f.begin_node("poweroff")?;
    f.property_string("label", "GPIO Key Poweroff")?;
    f.property_u32("linux,code", KEY_POWER)?;
    f.property_array_u32("gpios", &[PHANDLE_GPIO, POWER_BUTTON_LINE, 0])?;
    f.end_node(key)?;
    f.end_node(keys)?;

    for n in 0..l.virtio_count {
        let base = l.virtio_base + n as u64 * l.virtio_size;
        let v = f.begin_node(&format!("virtio_mmio@{base:x}"))?;
        f.property_string("compatible", "virtio,mmio")?;
        f.property_array_u64("reg", &[base, l.virtio_size])?;
        f.property_array_u32("interrupts", &[SPI, l.virtio_spi + n, LEVEL_HIGH])?;
        f.property_null("dma-coherent")?;
        f.end_node(v)?;
    }

    f.end_node(root)?;
    f.finish()
}
