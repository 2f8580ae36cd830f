//! `-drive`, `-device` and `-qmp` of `mimic system`: QEMU's comma-separated
//! `key=value` lists (`,,` is a literal comma) mapped onto softmmu's specs.
//! Keys Mimic does not implement are rejected by name.

use block::throttle::{
    ThrottleConfig, BPS_READ, BPS_TOTAL, BPS_WRITE, OPS_READ, OPS_TOTAL, OPS_WRITE,
};
use softmmu::block_error::{ErrorPolicies, ErrorPolicy};
use softmmu::drive::{DriveSpec, Interface};
use softmmu::DeviceSpec;
use std::path::PathBuf;

/// QEMU's option list split (block::opts); a bare word is (word, "").
pub fn split_opts(s: &str) -> Vec<(String, String)> {
    block::opts::split_opts(s)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

fn on_off(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "on" | "yes" | "true" | "" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("-drive: {key}={v}: expected on or off")),
    }
}

fn number(key: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("-drive: {key}={v}: expected a number"))
}

pub fn parse_drive(s: &str, index: usize) -> Result<DriveSpec, String> {
    let mut d = DriveSpec {
        id: String::new(),
        file: PathBuf::new(),
        format: None,
        interface: Interface::Virtio,
        read_only: false,
        snapshot: false,
        serial: None,
        throttle: None,
        throttle_group: None,
        on_error: ErrorPolicies::default(),
    };
    let mut id = None;
    let mut file = None;
    let mut iface = None;
    let mut t = ThrottleConfig::default();
    let mut throttled = false;
    for (k, v) in split_opts(s) {
        let bucket = match k.as_str() {
            "throttling.bps-total" => Some(BPS_TOTAL),
            "throttling.bps-read" => Some(BPS_READ),
            "throttling.bps-write" => Some(BPS_WRITE),
            "throttling.iops-total" => Some(OPS_TOTAL),
            "throttling.iops-read" => Some(OPS_READ),
            "throttling.iops-write" => Some(OPS_WRITE),
            _ => None,
        };
        if let Some(b) = bucket {
            let n = number(&k, &v)?;
            if n > 0 {
                t.set(b, n, 0, 1);
                throttled = true;
            }
            continue;
        }
        match k.as_str() {
            "file" => file = Some(PathBuf::from(v)),
            "format" => d.format = Some(v),
            "id" => id = Some(v),
            "if" => {
                iface = Some(match v.as_str() {
                    "virtio" => Interface::Virtio,
                    "none" => Interface::None,
                    _ => {
                        return Err(format!(
                            "-drive if={v}: only if=virtio and if=none are implemented"
                        ))
                    }
                })
            }
            "readonly" | "read-only" => d.read_only = on_off(&k, &v)?,
            "snapshot" => d.snapshot = on_off(&k, &v)?,
            "serial" => d.serial = Some(v),
            "media" if v == "disk" => {}
            "werror" => {
                d.on_error.werror = ErrorPolicy::parse(&v).ok_or_else(|| {
                    format!("-drive werror={v}: expected report, ignore, stop or enospc")
                })?
            }
            "rerror" => {
                d.on_error.rerror = ErrorPolicy::parse(&v)
                    .filter(|p| *p != ErrorPolicy::Enospc)
                    .ok_or_else(|| format!("-drive rerror={v}: expected report, ignore or stop"))?
            }
            "throttling.iops-size" => t.iops_size = number(&k, &v)?,
            _ => return Err(format!("-drive: option '{k}' is not implemented")),
        }
    }
    d.file = file.ok_or("-drive: file=PATH is required")?;
    d.interface = iface.unwrap_or(Interface::Virtio);
    d.id = match id {
        Some(i) if !i.is_empty() => i,
        Some(_) => return Err("-drive: id must not be empty".into()),
        None if d.interface == Interface::None => {
            return Err("-drive if=none needs id=ID (for -device ...,drive=ID)".into())
        }
        // QEMU's names for if=virtio drives without an id.
        None => format!("virtio{index}"),
    };
    if throttled {
        t.validate().map_err(|e| format!("-drive: {e}"))?;
        d.throttle = Some(t);
    }
    Ok(d)
}

/// `-object throttle-group,id=ID,x-bps-total=N,...` (also the
/// `limits.` spelling): the group's id and limits. Other object types are
/// rejected by name.
pub fn parse_object(s: &str) -> Result<(String, ThrottleConfig), String> {
    let mut opts = split_opts(s).into_iter();
    let kind = match opts.next() {
        Some((k, v)) if k == "qom-type" => v,
        Some((k, _)) => k,
        None => return Err("-object: expected TYPE,id=ID,...".into()),
    };
    if kind != "throttle-group" {
        return Err(format!(
            "-object {kind}: not implemented (mimic system has throttle-group)"
        ));
    }
    let mut id = None;
    let mut t = ThrottleConfig::default();
    // Per bucket: (avg, max, burst length).
    let mut limits = [(0u64, 0u64, 1u64); 6];
    for (k, v) in opts {
        if k == "id" {
            id = Some(v);
            continue;
        }
        let name = k
            .strip_prefix("x-")
            .or_else(|| k.strip_prefix("limits."))
            .ok_or_else(|| format!("-object throttle-group: property '{k}' is not implemented"))?;
        let what = |n: &str| format!("-object throttle-group: {k}={v}: expected a number{n}");
        let num: u64 = v.parse().map_err(|_| what(""))?;
        if name == "iops-size" {
            t.iops_size = num;
            continue;
        }
        let (base, field) = if let Some(b) = name.strip_suffix("-max-length") {
            (b, 2)
        } else if let Some(b) = name.strip_suffix("-max") {
            (b, 1)
        } else {
            (name, 0)
        };
        let bucket = match base {
            "bps-total" => BPS_TOTAL,
            "bps-read" => BPS_READ,
            "bps-write" => BPS_WRITE,
            "iops-total" => OPS_TOTAL,
            "iops-read" => OPS_READ,
            "iops-write" => OPS_WRITE,
            _ => {
                return Err(format!(
                    "-object throttle-group: property '{k}' is not implemented"
                ))
            }
        };
        match field {
            0 => limits[bucket].0 = num,
            1 => limits[bucket].1 = num,
            _ if num == 0 => return Err(what(" of at least 1")),
            _ => limits[bucket].2 = num,
        }
    }
    for (i, (avg, max, len)) in limits.into_iter().enumerate() {
        if avg > 0 || max > 0 {
            t.set(i, avg, max, len);
        }
    }
    t.validate()
        .map_err(|e| format!("-object throttle-group: {e}"))?;
    let id = id.ok_or("-object throttle-group: id=ID is required")?;
    if id.is_empty() {
        return Err("-object throttle-group: id must not be empty".into());
    }
    Ok((id, t))
}

pub fn parse_device(s: &str) -> Result<DeviceSpec, String> {
    let mut opts = split_opts(s).into_iter();
    let driver = opts.next().map(|(k, _)| k).unwrap_or_default();
    match driver.as_str() {
        "virtio-blk-device" | "virtio-blk" => {
            let mut drive = None;
            for (k, v) in opts {
                match k.as_str() {
                    "drive" => drive = Some(v),
                    _ => {
                        return Err(format!(
                            "-device {driver}: property '{k}' is not implemented"
                        ))
                    }
                }
            }
            Ok(DeviceSpec::VirtioBlk {
                drive: drive.ok_or_else(|| format!("-device {driver}: drive=ID is required"))?,
            })
        }
        "virtio-net-device" => crate::net_args::virtio_net_device(&driver, opts),
        "help" => Err("-device: the devices are virtio-blk-device, virtio-net-device".into()),
        _ => Err(format!(
            "-device {driver}: not implemented (mimic system has virtio-blk-device, virtio-net-device)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_options() {
        let d = parse_drive(
            "file=/a,,b.img,format=qcow2,if=none,id=d0,throttling.bps-total=1000000,throttling.iops-total=50",
            0,
        )
        .unwrap();
        assert_eq!(d.file, PathBuf::from("/a,b.img"));
        assert_eq!(d.id, "d0");
        assert_eq!(d.interface, Interface::None);
        let t = d.throttle.unwrap();
        assert_eq!(t.buckets[BPS_TOTAL].avg, 1e6);
        assert_eq!(t.buckets[OPS_TOTAL].avg, 50.0);
        let d = parse_drive("file=x.raw,snapshot=on", 2).unwrap();
        assert_eq!((d.id.as_str(), d.snapshot), ("virtio2", true));
        assert!(parse_drive("file=x,if=ide", 0).is_err());
        assert!(parse_drive("file=x,cache=none", 0).is_err());
        let d = parse_drive("file=x,werror=stop,rerror=ignore", 0).unwrap();
        assert_eq!(d.on_error.werror, ErrorPolicy::Stop);
        assert_eq!(d.on_error.rerror, ErrorPolicy::Ignore);
        let d = parse_drive("file=x", 0).unwrap();
        assert_eq!(d.on_error, ErrorPolicies::default());
        assert!(parse_drive("file=x,werror=panic", 0).is_err());
        assert!(parse_drive("file=x,rerror=enospc", 0).is_err());
        let (id, t) = parse_object("throttle-group,id=tg0,x-bps-total=1000000,x-iops-read=50,x-iops-read-max=100,x-iops-read-max-length=2").unwrap();
        assert_eq!(id, "tg0");
        assert_eq!(t.buckets[BPS_TOTAL].avg, 1e6);
        assert_eq!(t.buckets[OPS_READ].avg, 50.0);
        assert_eq!(t.buckets[OPS_READ].max, 100.0);
        assert_eq!(t.buckets[OPS_READ].burst_length, 2);
        let (_, t) = parse_object("qom-type=throttle-group,id=g,limits.iops-total=5").unwrap();
        assert_eq!(t.buckets[OPS_TOTAL].avg, 5.0);
        for bad in [
            "memory-backend-ram,id=m",
            "throttle-group,x-bps-total=1",
            "throttle-group,id=g,x-bps-total=lots",
            "throttle-group,id=g,x-foo=1",
            "throttle-group,id=g,bps-total=1",
            "throttle-group,id=g,x-bps-total=1,x-bps-read=1",
            "",
        ] {
            assert!(parse_object(bad).is_err(), "{bad}");
        }
        assert!(parse_drive("format=raw", 0).is_err());
        assert!(parse_drive("file=x,if=none", 0).is_err());
        assert!(parse_drive("file=x,throttling.bps-total=1,throttling.bps-read=1", 0).is_err());
        assert_eq!(
            parse_device("virtio-blk-device,drive=d0"),
            Ok(DeviceSpec::VirtioBlk { drive: "d0".into() })
        );
        assert!(parse_device("virtio-net-device").is_err());
        assert!(parse_device("virtio-blk-device").is_err());
    }
}
