//! `info usernet`: the user network's NAT table as the human monitor
//! shows it (QEMU's layout: protocol and state, source and destination
//! address/port, queued bytes; Mimic has no fd column to show, so it
//! prints "-"). The netdev thread builds the rows when the monitor asks
//! (`NicLink::nat_table`), so the table costs nothing otherwise.

/// One NAT table entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatRow {
    /// "TCP" or "UDP".
    pub proto: &'static str,
    /// TCP: HOST_FORWARD, SYN_SENT, ESTABLISHED, ...; UDP: HOST_FORWARD
    /// or the seconds left before an idle binding closes ("42 sec").
    pub state: String,
    /// Address and port, "*" for any.
    pub src: (String, String),
    pub dst: (String, String),
    /// Bytes from the host not yet acknowledged by the guest.
    pub recv_q: usize,
    /// Bytes from the guest not yet written to the host socket.
    pub send_q: usize,
}

/// A host or guest end as the table shows it.
pub fn end(addr: impl std::fmt::Display, port: u16) -> (String, String) {
    (addr.to_string(), port.to_string())
}

/// The table of netdev `id`.
pub fn format(id: &str, rows: &[NatRow]) -> String {
    let mut o = format!("Hub -1 ({id}):\n");
    o.push_str(&format!(
        "  {:<19} {:>3} {:>15} {:>5} {:>15} {:>5} {:>5} {:>5}\n",
        "Protocol[State]",
        "FD",
        "Source Address",
        "Port",
        "Dest. Address",
        "Port",
        "RecvQ",
        "SendQ"
    ));
    for r in rows {
        o.push_str(&format!(
            "  {:<19} {:>3} {:>15} {:>5} {:>15} {:>5} {:>5} {:>5}\n",
            format!("{}[{}]", r.proto, r.state),
            "-",
            r.src.0,
            r.src.1,
            r.dst.0,
            r.dst.1,
            r.recv_q,
            r.send_q
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn rows_line_up_under_the_header() {
        let rows = [
            NatRow {
                proto: "TCP",
                state: "HOST_FORWARD".into(),
                src: ("*".into(), "2222".into()),
                dst: end(Ipv4Addr::new(10, 0, 2, 15), 22),
                recv_q: 0,
                send_q: 0,
            },
            NatRow {
                proto: "UDP",
                state: "58 sec".into(),
                src: end(Ipv4Addr::new(10, 0, 2, 15), 40000),
                dst: ("*".into(), "*".into()),
                recv_q: 0,
                send_q: 12,
            },
        ];
        let t = format("net0", &rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "Hub -1 (net0):");
        assert_eq!(
            lines[1],
            "  Protocol[State]      FD  Source Address  Port   Dest. Address  Port RecvQ SendQ"
        );
        assert_eq!(
            lines[2],
            "  TCP[HOST_FORWARD]     -               *  2222       10.0.2.15    22     0     0"
        );
        assert_eq!(
            lines[3],
            "  UDP[58 sec]           -       10.0.2.15 40000               *     *     0    12"
        );
        assert_eq!(lines.len(), 4);
    }
}
