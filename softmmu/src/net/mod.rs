//! Networking for system mode: `-netdev` backends and the link between a
//! guest NIC and its backend.
//!
//! A NIC device (`devices/virtio_net.rs`) attaches a `Port` (its queues)
//! to a `NicLink` when the driver activates it and detaches it on reset.
//! The backend runs on a thread of its own and does all the work: it
//! takes the guest's frames from the port, answers them or carries them
//! over host sockets, and gives frames to the guest while the port has
//! receive buffers. The device only wakes it (`Waker`) when the guest
//! notifies a queue, so a vCPU never waits for the network.
//!
//! The one backend is `user` (`user.rs`): QEMU's user-mode network
//! (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15),
//! one file per protocol: `ethernet.rs` (frames, ARP), `ipv4.rs`
//! (headers, checksums), `icmp.rs`, `dhcp.rs`, `dns.rs`, `udp.rs`,
//! `tcp.rs` (the guest-facing TCP state machine over host sockets),
//! `hostfwd.rs` (listeners on the host that connect into the guest).

pub mod dhcp;
pub mod dns;
pub mod ethernet;
pub mod hostfwd;
pub mod icmp;
pub mod info;
pub mod ipv4;
pub mod sock;
pub mod tcp;
pub mod udp;
pub mod user;
pub mod wake;

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
pub use wake::Waker;

/// Transport protocol of a `hostfwd` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// `hostfwd=tcp:[hostaddr]:hostport-[guestaddr]:guestport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFwd {
    pub proto: Proto,
    pub host_addr: Ipv4Addr,
    pub host_port: u16,
    /// None: the first address DHCP hands out.
    pub guest_addr: Option<Ipv4Addr>,
    pub guest_port: u16,
}

/// `-netdev user,...` (or the backend half of `-nic user,...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetdevSpec {
    pub id: String,
    /// Network address and prefix length (`net=10.0.2.0/24`).
    pub net: Ipv4Addr,
    pub prefix: u8,
    /// The gateway, which is the host as the guest sees it (`host=`).
    pub host: Option<Ipv4Addr>,
    /// The virtual DNS server (`dns=`).
    pub dns: Option<Ipv4Addr>,
    /// The first DHCP address (`dhcpstart=`).
    pub dhcp_start: Option<Ipv4Addr>,
    pub hostfwd: Vec<HostFwd>,
    /// `restrict=on`: the guest reaches only the virtual servers.
    pub restrict: bool,
}

impl NetdevSpec {
    pub fn new(id: &str) -> NetdevSpec {
        NetdevSpec {
            id: id.to_string(),
            net: Ipv4Addr::new(10, 0, 2, 0),
            prefix: 24,
            host: None,
            dns: None,
            dhcp_start: None,
            hostfwd: Vec::new(),
            restrict: false,
        }
    }
}

/// A NIC's queues as the backend uses them.
pub trait Port: Send {
    /// The next frame the guest sent, without the NIC's header.
    fn take_frame(&mut self) -> Option<Vec<u8>>;
    /// Gives a frame to the guest; false when it has no receive buffer
    /// (the backend keeps the frame and tries again on the next wakeup).
    /// `gso_size` != 0: an IPv4/TCP frame larger than the MTU whose
    /// segments would be `gso_size` bytes (only sent when `NicLink::gso`).
    fn give_frame(&mut self, frame: &[u8], gso_size: u16) -> bool;
    /// Raises the used-buffer interrupt if frames moved and the driver
    /// wants one (called after a batch).
    fn finish(&mut self);
    /// Ring positions for a snapshot (see `VirtioDevice::quiesce`).
    fn positions(&self) -> Vec<(u16, u16)>;
}

/// The link between a NIC and its backend.
pub struct NicLink {
    port: Mutex<Option<Box<dyn Port>>>,
    /// Set while a snapshot is taken: the backend leaves the queues alone.
    held: AtomicBool,
    /// The attached NIC takes TCP segments larger than the MTU.
    gso: AtomicBool,
    pub waker: Waker,
    /// `info usernet`: the monitor asks (`wanted`), the netdev thread
    /// answers with its NAT table.
    info_wanted: AtomicBool,
    info: Mutex<Option<Vec<info::NatRow>>>,
    info_cv: Condvar,
}

impl NicLink {
    pub fn new() -> std::io::Result<Arc<NicLink>> {
        Ok(Arc::new(NicLink {
            port: Mutex::new(None),
            held: AtomicBool::new(false),
            gso: AtomicBool::new(false),
            waker: Waker::new()?,
            info_wanted: AtomicBool::new(false),
            info: Mutex::new(None),
            info_cv: Condvar::new(),
        }))
    }
    /// The driver activated the NIC (`gso`: it takes large TCP frames).
    pub fn attach(&self, p: Box<dyn Port>, gso: bool) {
        if let Ok(mut g) = self.port.lock() {
            *g = Some(p);
        }
        self.gso.store(gso, Ordering::SeqCst);
        self.held.store(false, Ordering::SeqCst);
        self.waker.wake();
    }
    /// The NIC was reset: the backend stops using its queues.
    pub fn detach(&self) {
        if let Ok(mut g) = self.port.lock() {
            *g = None;
        }
        self.gso.store(false, Ordering::SeqCst);
    }
    /// Whether the NIC takes TCP frames larger than the MTU.
    pub fn gso(&self) -> bool {
        self.gso.load(Ordering::SeqCst)
    }
    /// Stops the backend touching the queues (until `release`) and
    /// returns their positions.
    pub fn hold(&self) -> Vec<(u16, u16)> {
        self.held.store(true, Ordering::SeqCst);
        // Taking the lock waits for a backend step in progress.
        match self.port.lock() {
            Ok(g) => g.as_ref().map(|p| p.positions()).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
    pub fn release(&self) {
        self.held.store(false, Ordering::SeqCst);
        self.waker.wake();
    }
    /// The backend's NAT table (`info usernet`), or None if its thread
    /// did not answer within `limit`.
    pub fn nat_table(&self, limit: std::time::Duration) -> Option<Vec<info::NatRow>> {
        let mut g = self.info.lock().ok()?;
        *g = None;
        self.info_wanted.store(true, Ordering::SeqCst);
        self.waker.wake();
        let end = std::time::Instant::now() + limit;
        while g.is_none() {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                self.info_wanted.store(false, Ordering::SeqCst);
                return None;
            }
            g = self.info_cv.wait_timeout(g, left).ok()?.0;
        }
        g.take()
    }

    /// The netdev thread: answers a pending `nat_table` with `rows()`.
    pub fn answer_info(&self, rows: impl FnOnce() -> Vec<info::NatRow>) {
        if self.info_wanted.swap(false, Ordering::SeqCst) {
            if let Ok(mut g) = self.info.lock() {
                *g = Some(rows());
                self.info_cv.notify_all();
            }
        }
    }

    /// Runs `f` on the attached port, unless detached or held.
    pub fn with_port<T>(&self, f: impl FnOnce(&mut dyn Port) -> T) -> Option<T> {
        let mut g = self.port.lock().ok()?;
        if self.held.load(Ordering::SeqCst) {
            return None;
        }
        g.as_mut().map(|p| f(p.as_mut()))
    }
}

/// Starts the backend of `spec` on its own thread; the NIC attaches to
/// the returned link. Host forwarding listeners are bound here, so a
/// port in use is an error before the guest runs.
pub fn start(spec: &NetdevSpec) -> Result<Arc<NicLink>, String> {
    let link = NicLink::new().map_err(|e| format!("-netdev {}: {e}", spec.id))?;
    user::start(spec, link.clone())?;
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(u16);
    impl Port for Fake {
        fn take_frame(&mut self) -> Option<Vec<u8>> {
            None
        }
        fn give_frame(&mut self, _: &[u8], _: u16) -> bool {
            true
        }
        fn finish(&mut self) {}
        fn positions(&self) -> Vec<(u16, u16)> {
            vec![(self.0, self.0)]
        }
    }

    #[test]
    fn a_held_link_keeps_the_backend_off_the_queues() {
        let l = NicLink::new().unwrap();
        assert!(l.with_port(|_| ()).is_none(), "nothing attached");
        l.attach(Box::new(Fake(7)), true);
        assert!(l.gso());
        assert!(l.with_port(|_| ()).is_some());
        assert_eq!(l.hold(), vec![(7, 7)]);
        assert!(l.with_port(|_| ()).is_none(), "held");
        l.release();
        assert!(l.with_port(|_| ()).is_some());
        l.detach();
        assert!(l.with_port(|_| ()).is_none(), "detached");
        assert!(!l.gso());
    }
}
