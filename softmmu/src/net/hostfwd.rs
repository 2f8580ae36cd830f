//! `hostfwd=`: listeners on the host whose connections (TCP) or
//! datagrams (UDP) go into the guest. A TCP connection accepted on the
//! host becomes a guest connection from the gateway address (with the
//! host peer's port) to `guestaddr:guestport` (guestaddr defaults to the
//! first DHCP address); `tcp.rs` runs it from there.

use super::udp::Forward;
use super::{HostFwd, Proto};
use std::net::{SocketAddrV4, TcpListener, UdpSocket};

/// The rule as QEMU writes it, for messages.
pub fn describe(r: &HostFwd) -> String {
    format!(
        "{}:{}:{}-{}:{}",
        match r.proto {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        },
        r.host_addr,
        r.host_port,
        r.guest_addr.map(|a| a.to_string()).unwrap_or_default(),
        r.guest_port
    )
}

/// A `hostfwd=tcp:` listener and its rule.
pub type Listener = (TcpListener, HostFwd);

/// Binds every rule's listener (before the guest runs, so a port in use
/// is an error at start-up, as in QEMU).
pub fn bind(id: &str, rules: &[HostFwd]) -> Result<(Vec<Listener>, Vec<Forward>), String> {
    let mut tcp = Vec::new();
    let mut udp = Vec::new();
    for r in rules {
        let at = SocketAddrV4::new(r.host_addr, r.host_port);
        let err = |e: std::io::Error| {
            format!(
                "-netdev {id}: could not set up host forwarding rule '{}': {e}",
                describe(r)
            )
        };
        match r.proto {
            Proto::Tcp => {
                let l = TcpListener::bind(at).map_err(err)?;
                l.set_nonblocking(true).map_err(err)?;
                tcp.push((l, r.clone()));
            }
            Proto::Udp => {
                let s = UdpSocket::bind(at).map_err(err)?;
                s.set_nonblocking(true).map_err(err)?;
                udp.push(Forward {
                    sock: s,
                    rule: r.clone(),
                });
            }
        }
    }
    Ok((tcp, udp))
}
