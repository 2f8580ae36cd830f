//! ICMP (RFC 792): the gateway and the DNS address answer echo requests.

use super::ipv4;

const ECHO_REPLY: u8 = 0;
const ECHO_REQUEST: u8 = 8;

/// The echo reply to an ICMP message, if it is a valid echo request.
pub fn echo_reply(msg: &[u8]) -> Option<Vec<u8>> {
    if msg.len() < 8 || msg[0] != ECHO_REQUEST || msg[1] != 0 || ipv4::checksum(msg) != 0 {
        return None;
    }
    let mut r = msg.to_vec();
    r[0] = ECHO_REPLY;
    r[2] = 0;
    r[3] = 0;
    let c = ipv4::checksum(&r);
    r[2..4].copy_from_slice(&c.to_be_bytes());
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_echo_requests_only() {
        let mut req = vec![ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 1, b'h', b'i'];
        let c = ipv4::checksum(&req);
        req[2..4].copy_from_slice(&c.to_be_bytes());
        let r = echo_reply(&req).expect("a reply");
        assert_eq!(r[0], ECHO_REPLY);
        assert_eq!(&r[4..], &req[4..]);
        assert_eq!(ipv4::checksum(&r), 0);
        let mut bad = req.clone();
        bad[9] ^= 1;
        assert!(echo_reply(&bad).is_none(), "bad checksum");
        assert!(echo_reply(&r).is_none(), "a reply is not answered");
    }
}
