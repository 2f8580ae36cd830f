//! `-netdev`, `-nic` and `-device virtio-net-device` mapped onto
//! `softmmu::net::NetdevSpec` and `softmmu::DeviceSpec::VirtioNet`.

use crate::drive_args::split_opts;
use softmmu::net::{HostFwd, NetdevSpec, Proto};
use softmmu::DeviceSpec;
use std::net::Ipv4Addr;

const OTHER_BACKENDS: &[&str] = &[
    "tap",
    "bridge",
    "socket",
    "stream",
    "dgram",
    "vde",
    "l2tpv3",
    "vhost-user",
    "vhost-vdpa",
    "hubport",
    "af-xdp",
];

fn ip(what: &str, v: &str) -> Result<Ipv4Addr, String> {
    v.parse()
        .map_err(|_| format!("{what}: '{v}' is not an IPv4 address"))
}

fn port(what: &str, v: &str) -> Result<u16, String> {
    match v.parse::<u16>() {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(format!("{what}: bad port '{v}'")),
    }
}

/// `ADDR[/PREFIX|/MASK]` (prefix 24 when omitted).
fn net(v: &str) -> Result<(Ipv4Addr, u8), String> {
    let (a, m) = v.split_once('/').unwrap_or((v, "24"));
    let addr = ip("net", a)?;
    let prefix = match m.parse::<u8>() {
        Ok(p) if p <= 32 => p,
        Ok(_) => return Err(format!("net={v}: bad prefix length")),
        Err(_) => {
            let mask = u32::from(ip("net mask", m)?);
            if mask.leading_ones() + mask.trailing_zeros() != 32 {
                return Err(format!("net={v}: '{m}' is not a netmask"));
            }
            mask.leading_ones() as u8
        }
    };
    Ok((addr, prefix))
}

/// `[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`.
pub fn hostfwd(v: &str) -> Result<HostFwd, String> {
    let bad = |why: &str| format!("hostfwd={v}: {why}");
    let (proto, rest) = v
        .split_once(':')
        .ok_or_else(|| bad("want [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport"))?;
    let proto = match proto {
        "" | "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        p => return Err(bad(&format!("unknown protocol '{p}'"))),
    };
    let (host, guest) = rest
        .split_once('-')
        .ok_or_else(|| bad("missing '-' between the host and guest sides"))?;
    let (ha, hp) = host
        .rsplit_once(':')
        .ok_or_else(|| bad("the host side needs [addr]:port"))?;
    let (ga, gp) = guest
        .rsplit_once(':')
        .ok_or_else(|| bad("the guest side needs [addr]:port"))?;
    Ok(HostFwd {
        proto,
        host_addr: if ha.is_empty() {
            Ipv4Addr::UNSPECIFIED
        } else {
            ip("hostfwd", ha)?
        },
        host_port: port(&format!("hostfwd={v}"), hp)?,
        guest_addr: if ga.is_empty() {
            None
        } else {
            Some(ip("hostfwd", ga)?)
        },
        guest_port: port(&format!("hostfwd={v}"), gp)?,
    })
}

fn on_off(what: &str, v: &str) -> Result<bool, String> {
    match v {
        "on" | "yes" | "y" | "true" | "" => Ok(true),
        "off" | "no" | "n" | "false" => Ok(false),
        _ => Err(format!("{what}={v}: want on or off")),
    }
}

/// A user-network option into `spec`; false if the key is not one.
fn user_option(spec: &mut NetdevSpec, k: &str, v: &str) -> Result<bool, String> {
    match k {
        "net" => (spec.net, spec.prefix) = net(v)?,
        "host" => spec.host = Some(ip("host", v)?),
        "dns" => spec.dns = Some(ip("dns", v)?),
        "dhcpstart" => spec.dhcp_start = Some(ip("dhcpstart", v)?),
        "hostfwd" => spec.hostfwd.push(hostfwd(v)?),
        "restrict" => spec.restrict = on_off("restrict", v)?,
        // The user network is IPv4 only: say so rather than ignore it.
        "ipv4" if on_off("ipv4", v)? => {}
        "ipv4" => return Err("ipv4=off: the user network is IPv4 only".into()),
        "ipv6" if !on_off("ipv6", v)? => {}
        "ipv6" => return Err("ipv6=on: not implemented (the user network is IPv4 only)".into()),
        _ => return Ok(false),
    }
    Ok(true)
}

fn backend_type(opt: &str, t: &str) -> Result<(), String> {
    match t {
        "user" => Ok(()),
        "" => Err(format!("{opt}: a backend type is required (user)")),
        t if OTHER_BACKENDS.contains(&t) => Err(format!(
            "{opt} {t}: not implemented (mimic system has the user backend)"
        )),
        t => Err(format!("{opt}: unknown network backend type '{t}'")),
    }
}

/// `-netdev user,id=ID[,...]`.
pub fn parse_netdev(s: &str) -> Result<NetdevSpec, String> {
    let mut opts = split_opts(s).into_iter();
    let kind = opts.next().map(|(k, _)| k).unwrap_or_default();
    backend_type("-netdev", &kind)?;
    let mut spec = NetdevSpec::new("");
    let mut id = None;
    for (k, v) in opts {
        if k == "id" {
            id = Some(v);
        } else if !user_option(&mut spec, &k, &v).map_err(|e| format!("-netdev user: {e}"))? {
            return Err(format!(
                "-netdev user: unknown or unimplemented option '{k}'"
            ));
        }
    }
    spec.id = id
        .filter(|i| !i.is_empty())
        .ok_or("-netdev user: id=ID is required")?;
    Ok(spec)
}

/// A MAC address `xx:xx:xx:xx:xx:xx` (unicast).
pub fn mac(v: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = v.split(':').collect();
    let mut m = [0u8; 6];
    if parts.len() != 6 {
        return Err(format!("mac={v}: want six hex bytes xx:xx:xx:xx:xx:xx"));
    }
    for (b, p) in m.iter_mut().zip(parts) {
        if p.len() != 2 {
            return Err(format!("mac={v}: want six hex bytes xx:xx:xx:xx:xx:xx"));
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| format!("mac={v}: '{p}' is not hex"))?;
    }
    if m[0] & 1 != 0 {
        return Err(format!("mac={v}: a multicast address cannot be a NIC's"));
    }
    Ok(m)
}

/// `-device virtio-net-device,netdev=ID[,mac=M][,id=NAME]` (the driver
/// name is already taken off).
pub fn virtio_net_device(
    driver: &str,
    opts: impl Iterator<Item = (String, String)>,
) -> Result<DeviceSpec, String> {
    let mut netdev = None;
    let mut m = None;
    for (k, v) in opts {
        match k.as_str() {
            "netdev" => netdev = Some(v),
            "mac" => m = Some(mac(&v).map_err(|e| format!("-device {driver}: {e}"))?),
            "id" => {}
            _ => {
                return Err(format!(
                    "-device {driver}: property '{k}' is not implemented"
                ))
            }
        }
    }
    Ok(DeviceSpec::VirtioNet {
        netdev: netdev.ok_or_else(|| format!("-device {driver}: netdev=ID is required"))?,
        mac: m,
    })
}

/// `-nic user[,model=virtio-net-device][,mac=M][,user options]` or
/// `-nic none`: the netdev and the NIC it implies (the `n`th -nic).
pub fn parse_nic(s: &str, n: usize) -> Result<Option<(NetdevSpec, DeviceSpec)>, String> {
    let mut opts = split_opts(s).into_iter();
    let kind = opts.next().map(|(k, _)| k).unwrap_or_default();
    if kind == "none" {
        return Ok(None);
    }
    backend_type("-nic", &kind)?;
    let id = format!("__nic{n}");
    let mut spec = NetdevSpec::new(&id);
    let mut m = None;
    for (k, v) in opts {
        match k.as_str() {
            "model" => match v.as_str() {
                "virtio-net-device" | "virtio" | "virtio-net" => {}
                "help" => return Err("-nic: the NIC model is virtio-net-device".into()),
                _ => {
                    return Err(format!(
                        "-nic: model '{v}' is not implemented (mimic system has virtio-net-device)"
                    ))
                }
            },
            "mac" => m = Some(mac(&v).map_err(|e| format!("-nic: {e}"))?),
            "id" => {}
            _ => {
                if !user_option(&mut spec, &k, &v).map_err(|e| format!("-nic user: {e}"))? {
                    return Err(format!("-nic user: unknown or unimplemented option '{k}'"));
                }
            }
        }
    }
    Ok(Some((spec, DeviceSpec::VirtioNet { netdev: id, mac: m })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netdev_and_nic_options() {
        let s = parse_netdev(
            "user,id=n0,net=192.168.7.0/255.255.255.0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-10.0.2.9:53,restrict=on",
        )
        .unwrap();
        assert_eq!(s.id, "n0");
        assert_eq!((s.net, s.prefix), (Ipv4Addr::new(192, 168, 7, 0), 24));
        assert!(s.restrict);
        assert_eq!(
            s.hostfwd,
            vec![
                HostFwd {
                    proto: Proto::Tcp,
                    host_addr: Ipv4Addr::LOCALHOST,
                    host_port: 2222,
                    guest_addr: None,
                    guest_port: 22
                },
                HostFwd {
                    proto: Proto::Udp,
                    host_addr: Ipv4Addr::UNSPECIFIED,
                    host_port: 5353,
                    guest_addr: Some(Ipv4Addr::new(10, 0, 2, 9)),
                    guest_port: 53
                }
            ]
        );
        for (bad, want) in [
            ("user", "id=ID is required"),
            ("user,id=a,bogus=1", "'bogus'"),
            ("tap,id=a", "not implemented"),
            ("frob,id=a", "unknown network backend type 'frob'"),
            ("user,id=a,net=10.0.2.0/33", "prefix"),
            ("user,id=a,net=10.0.2.0/255.0.255.0", "netmask"),
            ("user,id=a,host=10.0.2.x", "not an IPv4"),
            ("user,id=a,hostfwd=tcp:127.0.0.1:99999-:22", "bad port"),
            ("user,id=a,hostfwd=sctp::1-:2", "protocol 'sctp'"),
            ("user,id=a,hostfwd=tcp::22", "missing '-'"),
            ("user,id=a,restrict=maybe", "on or off"),
            ("user,id=a,ipv6=on", "IPv4 only"),
        ] {
            match parse_netdev(bad) {
                Err(e) => assert!(e.contains(want), "{bad}: {e}"),
                Ok(_) => panic!("{bad} was accepted"),
            }
        }
        let (n, d) = parse_nic("user,mac=52:54:00:aa:bb:cc,hostfwd=tcp::8080-:80", 1)
            .unwrap()
            .unwrap();
        assert_eq!(n.id, "__nic1");
        assert_eq!(n.hostfwd.len(), 1);
        assert_eq!(
            d,
            DeviceSpec::VirtioNet {
                netdev: "__nic1".into(),
                mac: Some([0x52, 0x54, 0, 0xaa, 0xbb, 0xcc])
            }
        );
        assert!(parse_nic("none", 0).unwrap().is_none());
        assert!(parse_netdev("user,id=a,ipv6=off,ipv4=on").is_ok());
        assert!(parse_nic("user,model=e1000", 0)
            .unwrap_err()
            .contains("e1000"));
        assert!(mac("01:00:5e:00:00:01").unwrap_err().contains("multicast"));
        assert!(mac("52:54:00:12:34").is_err());
    }
}
