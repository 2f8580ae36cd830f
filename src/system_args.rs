//! `mimic system` / `mimic-system-<arch>`: QEMU's system-emulator options
//! mapped onto `softmmu::Options`. Options QEMU has that Mimic does not
//! implement yet are rejected by name, never silently ignored.

use std::ffi::OsString;
use std::path::PathBuf;
use tcg::exec::BackendKind;

pub const HELP: &str = "\
usage: mimic system [OPTIONS]        (or mimic-system-aarch64 [OPTIONS])

  -M, -machine virt[,gic-version=2|3|max]  machine (default virt, GICv2)
  -cpu MODEL             cpu model (default cortex-a57; see -cpu help)
  -m SIZE                RAM in MiB, or with a K/M/G suffix (default 128M)
  -smp N                 number of cpus (default 1)
  -kernel FILE           arm64 Image or bare-metal ELF
  -initrd FILE           initial ramdisk
  -append CMDLINE        kernel command line
  -dtb FILE              use this device tree instead of the generated one
  -nographic             serial port on stdio (the only display mode)
  -serial stdio|mon:stdio|none
  -monitor stdio|none|unix:PATH,server,nowait|tcp:HOST:PORT,server,nowait
                         human monitor (help lists its commands; Tab completes
                         on a terminal; stdio takes the serial port's input)
  -display none
  -no-reboot             exit when the guest resets
  -drive file=PATH[,format=F][,if=virtio|none][,id=ID][,readonly=on][,snapshot=on]
         [,serial=S][,throttling.bps-total=N][,throttling.iops-total=N]...
                         a disk (if=virtio: a virtio-blk device of its own)
  -blockdev driver=D,node-name=N[,file.driver=file,file.filename=PATH][,read-only=on]
            or '{\"driver\": ...}'   a block node (as QMP blockdev-add): drivers
                         file, raw, qcow2, qed, vmdk, vhdx, throttle
                         (driver=throttle,throttle-group=G,file=NODE)
  -object throttle-group,id=G[,x-bps-total=N][,x-iops-total=N][,x-bps-read=N]...
                         I/O limits shared by the throttle nodes of group G
                         (-max, -max-length bursts, x-iops-size; limits.* too)
  -device virtio-blk-device,drive=ID   a virtio-blk disk for an if=none drive
                         or a -blockdev node
  -netdev user,id=ID[,net=ADDR/PREFIX][,host=ADDR][,dns=ADDR][,dhcpstart=ADDR]
          [,hostfwd=tcp|udp:[hostaddr]:hostport-[guestaddr]:guestport]...[,restrict=on][,ipv6=off]
                         user-mode network (10.0.2.0/24, gateway .2 = host's
                         127.0.0.1, DNS .3, DHCP from .15)
  -device virtio-net-device,netdev=ID[,mac=52:54:00:12:34:56]  a NIC on netdev ID
  -nic user[,mac=M][,user options]   both at once; -nic none: no NIC
  -snapshot              writes to every disk go to a temporary overlay
  -qmp unix:PATH,server,nowait | tcp:HOST:PORT,server,nowait
                         QMP monitor (wait=on, the default, waits for a client)
  -loadvm NAME           start from the snapshot NAME (savevm) of the disks
  -gdb tcp::PORT         GDB server (vCPUs are threads); -s is -gdb tcp::1234
  -S                     the cpus wait for GDB's first continue
  -d ITEMS, -D FILE      debug log (as in user mode; -d int shows exceptions)
  -perfmap               write /tmp/perf-PID.map for perf to name generated code
  --backend interp|jit|auto  execution backend; interp = tier 0 only (template code;
                             MIMIC_TEMPLATE=0: IR interpreter) [MIMIC_BACKEND]
";

pub struct Parsed {
    pub opts: softmmu::Options,
    pub log_items: Vec<String>,
    pub log_file: Option<String>,
    pub perfmap: bool,
}

pub enum Outcome {
    Run(Box<Parsed>),
    Exit(i32),
}

fn parse_size(s: &str) -> Result<u64, String> {
    let (num, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&s[..s.len() - 1], 1 << 20),
        Some('G' | 'g') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1 << 20),
    };
    let n: u64 = num.parse().map_err(|_| format!("-m: bad size '{s}'"))?;
    let bytes = n
        .checked_mul(mult)
        .ok_or_else(|| format!("-m: size '{s}' too large"))?;
    if !((16 << 20)..=(255 << 30)).contains(&bytes) || !bytes.is_multiple_of(4096) {
        return Err(format!(
            "-m: {s}: RAM must be 16 MiB to 255 GiB in whole pages"
        ));
    }
    Ok(bytes)
}

pub fn parse(args: &[OsString]) -> Result<Outcome, String> {
    let mut o = softmmu::Options {
        machine: "virt".into(),
        gic_version: 2,
        cpu: "cortex-a57".into(),
        mem: 128 << 20,
        smp: 1,
        kernel: PathBuf::new(),
        initrd: None,
        dtb: None,
        append: String::new(),
        no_reboot: false,
        serial_stdin: true,
        backend: match std::env::var("MIMIC_BACKEND") {
            Ok(v) => v.parse()?,
            Err(_) => BackendKind::Auto,
        },
        log: Default::default(),
        drives: Vec::new(),
        blockdevs: Vec::new(),
        throttle_groups: Vec::new(),
        devices: Vec::new(),
        netdevs: Vec::new(),
        qmp: Vec::new(),
        loadvm: None,
        monitors: Vec::new(),
        gdb: None,
    };
    let mut start_stopped = false;
    let mut snapshot = false;
    let mut nics = 0;
    let mut log_items = Vec::new();
    let mut perfmap = false;
    let mut log_file = None;
    let mut kernel = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a
            .to_str()
            .ok_or_else(|| format!("argument is not UTF-8: {a:?}"))?;
        let name = a.trim_start_matches('-');
        if !a.starts_with('-') {
            return Err(format!("unexpected argument '{a}' (see mimic system -h)"));
        }
        let mut value = |what: &str| -> Result<String, String> {
            it.next()
                .and_then(|v| v.to_str())
                .map(str::to_string)
                .ok_or_else(|| format!("-{what} needs a value"))
        };
        match name {
            "h" | "help" => {
                println!("{HELP}");
                return Ok(Outcome::Exit(0));
            }
            "M" | "machine" => {
                let v = value(name)?;
                let mut parts = v.split(',');
                o.machine = parts.next().unwrap_or("").to_string();
                for p in parts {
                    match p.split_once('=') {
                        Some(("gic-version", g)) => {
                            o.gic_version = match g {
                                "2" => 2,
                                "3" | "max" => 3,
                                _ => {
                                    return Err(format!(
                                        "-machine: gic-version '{g}' (virt has 2, 3 and max)"
                                    ))
                                }
                            }
                        }
                        _ => return Err(format!("-machine: unknown property '{p}'")),
                    }
                }
            }
            "cpu" => {
                let v = value(name)?;
                if v == "help" {
                    for m in target_aarch64::model::MODELS {
                        println!("{}", m.name);
                    }
                    return Ok(Outcome::Exit(0));
                }
                o.cpu = v;
            }
            "m" => o.mem = parse_size(value(name)?.trim_start_matches("size="))?,
            "smp" => {
                let v = value(name)?;
                let n = v.split(',').next().unwrap_or("");
                let n = n.strip_prefix("cpus=").unwrap_or(n);
                o.smp = n
                    .parse()
                    .map_err(|_| format!("-smp: bad cpu count '{v}'"))?;
            }
            "kernel" => kernel = Some(PathBuf::from(value(name)?)),
            "initrd" => o.initrd = Some(PathBuf::from(value(name)?)),
            "dtb" => o.dtb = Some(PathBuf::from(value(name)?)),
            "append" => o.append = value(name)?,
            "nographic" => {}
            "no-reboot" => o.no_reboot = true,
            "serial" => match value(name)?.as_str() {
                "stdio" | "mon:stdio" => o.serial_stdin = true,
                "none" | "null" => o.serial_stdin = false,
                v => return Err(format!("-serial {v}: only stdio and none are implemented")),
            },
            "monitor" => {
                if let Some(m) = softmmu::monitor::hmp_server::MonitorSpec::parse(&value(name)?)? {
                    o.monitors.push(m);
                }
            }
            "display" => match value(name)?.as_str() {
                "none" => {}
                v => return Err(format!("-{name} {v}: only 'none' is implemented")),
            },
            "d" => log_items.extend(value(name)?.split(',').map(str::to_string)),
            "D" => log_file = Some(value(name)?),
            "perfmap" => perfmap = true,
            "backend" => o.backend = value(name)?.parse()?,
            "drive" => {
                let v = value(name)?;
                let n = o.drives.len();
                o.drives.push(crate::drive_args::parse_drive(&v, n)?);
            }
            "blockdev" => o
                .blockdevs
                .push(softmmu::blockdev::parse_cli(&value(name)?)?),
            "object" => o
                .throttle_groups
                .push(crate::drive_args::parse_object(&value(name)?)?),
            "device" => o
                .devices
                .push(crate::drive_args::parse_device(&value(name)?)?),
            "qmp" => o.qmp.push(softmmu::monitor::QmpSpec::parse(&value(name)?)?),
            "snapshot" => snapshot = true,
            "loadvm" => o.loadvm = Some(value(name)?),
            "netdev" => o
                .netdevs
                .push(crate::net_args::parse_netdev(&value(name)?)?),
            "nic" => {
                let v = value(name)?;
                if let Some((n, d)) = crate::net_args::parse_nic(&v, nics)? {
                    o.netdevs.push(n);
                    o.devices.push(d);
                }
                nics += 1;
            }
            "s" => o.gdb = Some(softmmu::gdb::GdbSpec::parse("tcp::1234")?),
            "gdb" => {
                let v = value(name)?;
                o.gdb = match v.as_str() {
                    "none" => None,
                    _ => Some(softmmu::gdb::GdbSpec::parse(&v)?),
                }
            }
            "S" => start_stopped = true,
            _ => return Err(format!("unknown option '{a}' (see mimic system -h)")),
        }
    }
    o.kernel = kernel.ok_or("mimic system: -kernel FILE is required")?;
    match &mut o.gdb {
        Some(g) => g.start_stopped = start_stopped,
        // QEMU's -S without a debugger waits for the monitor's `cont`.
        None if start_stopped => {
            return Err("-S without -s or -gdb: only with a GDB server for now".into())
        }
        None => {}
    }
    for d in &mut o.drives {
        d.snapshot |= snapshot;
    }
    Ok(Outcome::Run(Box::new(Parsed {
        opts: o,
        log_items,
        perfmap,
        log_file,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn disks_monitor_and_global_snapshot() {
        let Ok(Outcome::Run(p)) = parse(&args(&[
            "-kernel",
            "k",
            "-drive",
            "file=a.qcow2,format=qcow2",
            "-snapshot",
            "-drive",
            "file=b.raw,if=none,id=b",
            "-device",
            "virtio-blk-device,drive=b",
            "-qmp",
            "unix:/tmp/m.sock,server,nowait",
        ])) else {
            panic!("parse failed");
        };
        let o = &p.opts;
        assert_eq!(o.drives.len(), 2);
        assert!(
            o.drives.iter().all(|d| d.snapshot),
            "-snapshot applies to every drive"
        );
        assert_eq!(o.drives[0].id, "virtio0");
        assert_eq!(
            o.devices,
            vec![softmmu::DeviceSpec::VirtioBlk { drive: "b".into() }]
        );
        assert_eq!(o.qmp.len(), 1);
        assert!(parse(&args(&["-kernel", "k", "-drive", "if=virtio"])).is_err());
    }
}

#[cfg(test)]
mod gic_and_gdb_tests {
    use super::*;

    fn opts(a: &[&str]) -> Result<softmmu::Options, String> {
        let v: Vec<OsString> = a.iter().map(OsString::from).collect();
        match parse(&v)? {
            Outcome::Run(p) => Ok(p.opts),
            Outcome::Exit(_) => Err("exit".into()),
        }
    }

    #[test]
    fn gic_versions() {
        for (m, want) in [
            ("virt", 2),
            ("virt,gic-version=2", 2),
            ("virt,gic-version=3", 3),
        ] {
            assert_eq!(opts(&["-M", m, "-kernel", "k"]).unwrap().gic_version, want);
        }
        let max = opts(&["-machine", "virt,gic-version=max", "-kernel", "k"]);
        assert_eq!(max.unwrap().gic_version, 3);
        let bad = opts(&["-M", "virt,gic-version=4", "-kernel", "k"]).unwrap_err();
        assert!(bad.contains("gic-version '4'"), "{bad}");
        assert!(opts(&["-M", "virt,gic-version=host", "-kernel", "k"]).is_err());
    }

    #[test]
    fn gdb_server_options() {
        let s = opts(&["-s", "-kernel", "k"]).unwrap().gdb.unwrap();
        assert_eq!((s.port, s.start_stopped), (1234, false));
        let g = opts(&["-gdb", "tcp::4321", "-S", "-kernel", "k"]).unwrap();
        let g = g.gdb.unwrap();
        assert_eq!(
            (g.host.as_str(), g.port, g.start_stopped),
            ("0.0.0.0", 4321, true)
        );
        let h = opts(&["-gdb", "tcp:127.0.0.1:99", "-kernel", "k"]).unwrap();
        assert_eq!(h.gdb.unwrap().host, "127.0.0.1");
        assert!(opts(&["-gdb", "none", "-kernel", "k"])
            .unwrap()
            .gdb
            .is_none());
        assert!(opts(&["-gdb", "tcp::x", "-kernel", "k"]).is_err());
        assert!(opts(&["-gdb", "serial", "-kernel", "k"]).is_err());
        assert!(
            opts(&["-S", "-kernel", "k"]).is_err(),
            "-S needs a GDB server"
        );
    }
}
