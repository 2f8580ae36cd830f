//! Hostile and malformed input to Mimic's NBD server, spoken byte by byte:
//! bad magic, oversized lengths, unknown options and commands, requests
//! past the end, writes to read-only exports, disconnects in the middle of
//! requests, random garbage. Each bad connection ends with one log line,
//! well-formed mistakes get the protocol's error replies, and afterwards
//! normal clients still work and no acknowledged write is lost.

mod nbd_util;

use block::nbd::proto::*;
use block::nbd::server::ExportConfig;
use nbd_util::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const SIZE: u64 = 4 << 20;

struct Raw {
    s: TcpStream,
}

#[derive(Debug)]
enum Reply {
    Simple {
        err: u32,
        cookie: u64,
        data: Vec<u8>,
    },
    Chunk {
        flags: u16,
        typ: u16,
        cookie: u64,
        payload: Vec<u8>,
    },
}

impl Raw {
    fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw { s }
    }
    fn send(&mut self, b: &[u8]) {
        self.s.write_all(b).unwrap();
    }
    /// Like send, but the server may already have closed.
    fn send_lossy(&mut self, b: &[u8]) {
        let _ = self.s.write_all(b);
    }
    fn recv(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        self.s.read_exact(&mut b).unwrap();
        b
    }
    fn hello(&mut self) -> u16 {
        let b = self.recv(18);
        assert_eq!(be64(&b[0..8]), NBDMAGIC);
        assert_eq!(be64(&b[8..16]), IHAVEOPT);
        be16(&b[16..18])
    }
    fn start(port: u16) -> Raw {
        let mut r = Raw::connect(port);
        r.hello();
        r.send(&(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES).to_be_bytes());
        r
    }
    fn opt(&mut self, opt: u32, data: &[u8]) {
        let mut b = IHAVEOPT.to_be_bytes().to_vec();
        b.extend_from_slice(&opt.to_be_bytes());
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend_from_slice(data);
        self.send(&b);
    }
    fn opt_reply(&mut self) -> (u32, u32, Vec<u8>) {
        let h = self.recv(20);
        assert_eq!(be64(&h[0..8]), OPT_REPLY_MAGIC);
        let data = self.recv(be32(&h[16..20]) as usize);
        (be32(&h[8..12]), be32(&h[12..16]), data)
    }
    /// Replies to one option up to the final one; returns (all types, final data).
    fn opt_replies(&mut self) -> (Vec<u32>, Vec<u8>) {
        let mut types = Vec::new();
        loop {
            let (_, t, d) = self.opt_reply();
            types.push(t);
            if t == REP_ACK || t & 0x8000_0000 != 0 {
                return (types, d);
            }
        }
    }
    fn meta(name: &str, queries: &[&str]) -> Vec<u8> {
        let mut d = (name.len() as u32).to_be_bytes().to_vec();
        d.extend_from_slice(name.as_bytes());
        d.extend_from_slice(&(queries.len() as u32).to_be_bytes());
        for q in queries {
            d.extend_from_slice(&(q.len() as u32).to_be_bytes());
            d.extend_from_slice(q.as_bytes());
        }
        d
    }
    fn go_data(name: &str, infos: &[u16]) -> Vec<u8> {
        let mut d = (name.len() as u32).to_be_bytes().to_vec();
        d.extend_from_slice(name.as_bytes());
        d.extend_from_slice(&(infos.len() as u16).to_be_bytes());
        for i in infos {
            d.extend_from_slice(&i.to_be_bytes());
        }
        d
    }
    /// Negotiates and enters transmission on `name`; returns (size, flags).
    fn go(port: u16, name: &str, structured: bool) -> (Raw, u64, u16) {
        let mut r = Raw::start(port);
        if structured {
            r.opt(OPT_STRUCTURED_REPLY, &[]);
            assert_eq!(r.opt_replies().0, vec![REP_ACK]);
            r.opt(
                OPT_SET_META_CONTEXT,
                &Raw::meta(name, &[CONTEXT_BASE_ALLOCATION]),
            );
            assert_eq!(r.opt_replies().0, vec![REP_META_CONTEXT, REP_ACK]);
        }
        r.opt(OPT_GO, &Raw::go_data(name, &[]));
        let mut size = None;
        let mut flags = 0;
        loop {
            let (_, t, d) = r.opt_reply();
            if t == REP_INFO && be16(&d[0..2]) == INFO_EXPORT {
                size = Some(be64(&d[2..10]));
                flags = be16(&d[10..12]);
            }
            if t == REP_ACK {
                break;
            }
            assert_eq!(t, REP_INFO, "GO failed");
        }
        (r, size.unwrap(), flags)
    }
    fn req(&mut self, flags: u16, typ: u16, cookie: u64, offset: u64, len: u32) {
        let r = Request {
            flags,
            typ,
            cookie,
            offset,
            len,
        };
        self.send(&r.encode());
    }
    /// One reply; `read_len` is the data length a simple read reply carries.
    fn reply(&mut self, read_len: usize) -> Reply {
        let m = be32(&self.recv(4));
        if m == SIMPLE_REPLY_MAGIC {
            let h = self.recv(12);
            let err = be32(&h[0..4]);
            let data = if err == 0 {
                self.recv(read_len)
            } else {
                Vec::new()
            };
            return Reply::Simple {
                err,
                cookie: be64(&h[4..12]),
                data,
            };
        }
        assert_eq!(m, STRUCTURED_REPLY_MAGIC, "reply magic");
        let h = self.recv(16);
        let payload = self.recv(be32(&h[12..16]) as usize);
        Reply::Chunk {
            flags: be16(&h[0..2]),
            typ: be16(&h[2..4]),
            cookie: be64(&h[4..12]),
            payload,
        }
    }
    fn simple_err(&mut self) -> u32 {
        match self.reply(0) {
            Reply::Simple { err, .. } => err,
            r => panic!("expected a simple reply, got {r:?}"),
        }
    }
    /// The server closed the connection (EOF or reset within the timeout).
    fn closed(&mut self) -> bool {
        let mut b = [0u8; 4096];
        let start = Instant::now();
        loop {
            match self.s.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return false
                }
                Err(_) => return true,
            }
            if start.elapsed() > Duration::from_secs(10) {
                return false;
            }
        }
    }
}

/// Waits until the server logged `n` lines in total.
fn wait_log(srv: &Mimic, n: usize, what: &str) {
    let start = Instant::now();
    while srv.log.get().len() < n && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let l = srv.log.get();
    assert_eq!(l.len(), n, "after {what}: log lines {l:#?}");
}

fn setup(d: &TempDir) -> (Mimic, Vec<u8>) {
    let data = make_sparse_raw(&d.path("r.raw"), SIZE, 21);
    make_sparse_raw(&d.path("ro.raw"), SIZE, 21);
    let mut rw = ExportConfig::new("rw", d.path("r.raw"));
    rw.format = Some("raw".into());
    let mut ro = ExportConfig::new("ro", d.path("ro.raw"));
    ro.format = Some("raw".into());
    ro.read_only = true;
    (Mimic::tcp(vec![rw, ro]), data)
}

fn normal_client_works(srv: &Mimic, expect: &[u8]) {
    assert!(read_url(&srv.url("rw")) == expect, "rw export content");
}

#[test]
fn malformed_handshakes_close_only_that_connection() {
    let d = TempDir::new("hs");
    let (srv, data) = setup(&d);
    let port = srv.port.unwrap();
    let mut lines = 0;
    let mut bad = |what: &str, f: &dyn Fn(&mut Raw)| {
        let mut r = Raw::connect(port);
        f(&mut r);
        assert!(r.closed(), "{what}: server kept the connection");
        lines += 1;
        wait_log(&srv, lines, what);
    };
    bad("disconnect before client flags", &|r| {
        r.hello();
        let _ = r.s.shutdown(std::net::Shutdown::Write);
    });
    bad("unknown client flags", &|r| {
        r.hello();
        r.send(&0xffff_ffffu32.to_be_bytes());
    });
    bad("bad option magic", &|r| {
        r.hello();
        r.send(&1u32.to_be_bytes());
        r.send(b"NOTMAGIC\0\0\0\x07\0\0\0\0");
    });
    bad("huge option length", &|r| {
        r.hello();
        r.send(&1u32.to_be_bytes());
        let mut b = IHAVEOPT.to_be_bytes().to_vec();
        b.extend_from_slice(&OPT_GO.to_be_bytes());
        b.extend_from_slice(&0xffff_fff0u32.to_be_bytes());
        r.send(&b);
    });
    bad("disconnect inside option data", &|r| {
        r.hello();
        r.send(&1u32.to_be_bytes());
        let mut b = IHAVEOPT.to_be_bytes().to_vec();
        b.extend_from_slice(&OPT_GO.to_be_bytes());
        b.extend_from_slice(&100u32.to_be_bytes());
        b.extend_from_slice(&[0; 10]);
        r.send(&b);
        let _ = r.s.shutdown(std::net::Shutdown::Write);
    });
    bad("EXPORT_NAME of an unknown export", &|r| {
        r.hello();
        r.send(&1u32.to_be_bytes());
        let mut b = IHAVEOPT.to_be_bytes().to_vec();
        b.extend_from_slice(&OPT_EXPORT_NAME.to_be_bytes());
        b.extend_from_slice(&4u32.to_be_bytes());
        b.extend_from_slice(b"nope");
        r.send(&b);
    });

    // Well-formed mistakes get error replies and the haggling goes on.
    let mut r = Raw::start(port);
    r.opt(99, b"whatever");
    assert_eq!(r.opt_replies().0, vec![REP_ERR_UNSUP]);
    r.opt(OPT_STARTTLS, &[]);
    assert_eq!(r.opt_replies().0, vec![REP_ERR_UNSUP]);
    r.opt(OPT_LIST, b"x");
    assert_eq!(r.opt_replies().0, vec![REP_ERR_INVALID]);
    r.opt(
        OPT_SET_META_CONTEXT,
        &Raw::meta("rw", &[CONTEXT_BASE_ALLOCATION]),
    );
    assert_eq!(
        r.opt_replies().0,
        vec![REP_ERR_INVALID],
        "meta before structured"
    );
    r.opt(OPT_STRUCTURED_REPLY, b"junk");
    assert_eq!(r.opt_replies().0, vec![REP_ERR_INVALID]);
    r.opt(OPT_STRUCTURED_REPLY, &[]);
    assert_eq!(r.opt_replies().0, vec![REP_ACK]);
    r.opt(OPT_STRUCTURED_REPLY, &[]);
    assert_eq!(r.opt_replies().0, vec![REP_ERR_INVALID], "twice");
    let mut huge = Raw::meta("rw", &[]);
    huge.truncate(huge.len() - 4);
    huge.extend_from_slice(&0xffff_ffffu32.to_be_bytes());
    r.opt(OPT_LIST_META_CONTEXT, &huge);
    assert_eq!(r.opt_replies().0, vec![REP_ERR_INVALID], "query count");
    r.opt(OPT_LIST_META_CONTEXT, &Raw::meta("rw", &[]));
    let (types, _) = r.opt_replies();
    assert_eq!(types, vec![REP_META_CONTEXT, REP_ACK]);
    r.opt(
        OPT_LIST_META_CONTEXT,
        &Raw::meta("rw", &["qemu:dirty-bitmap:x", "base:"]),
    );
    assert_eq!(r.opt_replies().0, vec![REP_META_CONTEXT, REP_ACK]);
    r.opt(
        OPT_SET_META_CONTEXT,
        &Raw::meta("nope", &[CONTEXT_BASE_ALLOCATION]),
    );
    assert_eq!(r.opt_replies().0, vec![REP_ERR_UNKNOWN]);
    r.opt(OPT_SET_META_CONTEXT, &Raw::meta("rw", &["x-foo:bar"]));
    assert_eq!(
        r.opt_replies().0,
        vec![REP_ACK],
        "unknown namespace selects nothing"
    );
    let mut bad_go = Raw::go_data("rw", &[]);
    bad_go[3] = 200; // name longer than the option
    r.opt(OPT_GO, &bad_go);
    assert_eq!(r.opt_replies().0, vec![REP_ERR_INVALID]);
    r.opt(OPT_INFO, &Raw::go_data("missing", &[INFO_NAME]));
    assert_eq!(r.opt_replies().0, vec![REP_ERR_UNKNOWN]);
    r.opt(
        OPT_INFO,
        &Raw::go_data("ro", &[INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE, 77]),
    );
    let mut infos = Vec::new();
    loop {
        let (_, t, d) = r.opt_reply();
        if t == REP_ACK {
            break;
        }
        assert_eq!(t, REP_INFO);
        infos.push(d);
    }
    let export = infos
        .iter()
        .find(|d| be16(d) == INFO_EXPORT)
        .expect("INFO_EXPORT");
    assert_eq!(be64(&export[2..10]), SIZE);
    assert_ne!(be16(&export[10..12]) & FLAG_READ_ONLY, 0);
    let name = infos
        .iter()
        .find(|d| be16(d) == INFO_NAME)
        .expect("INFO_NAME");
    assert_eq!(&name[2..], b"ro");
    let bs = infos
        .iter()
        .find(|d| be16(d) == INFO_BLOCK_SIZE)
        .expect("INFO_BLOCK_SIZE");
    assert_eq!(be32(&bs[10..14]), MAX_PAYLOAD);
    r.opt(OPT_LIST, &[]);
    let (types, _) = r.opt_replies();
    assert_eq!(types, vec![REP_SERVER, REP_SERVER, REP_ACK]);
    r.opt(OPT_ABORT, &[]);
    assert_eq!(r.opt_reply().1, REP_ACK);
    assert!(r.closed());
    // Old-style EXPORT_NAME without NO_ZEROES gets the 124 zero bytes.
    let mut r = Raw::connect(port);
    r.hello();
    r.send(&FLAG_C_FIXED_NEWSTYLE.to_be_bytes());
    r.opt(OPT_EXPORT_NAME, b"rw");
    let b = r.recv(134);
    assert_eq!(be64(&b[0..8]), SIZE);
    assert!(b[10..].iter().all(|&x| x == 0));
    r.req(0, CMD_DISC, 0, 0, 0);
    assert!(r.closed());
    std::thread::sleep(Duration::from_millis(50));
    wait_log(&srv, lines, "clean sessions");
    normal_client_works(&srv, &data);
}

#[test]
fn malformed_requests_get_errors_or_close_the_connection() {
    let d = TempDir::new("req");
    let (srv, mut data) = setup(&d);
    let port = srv.port.unwrap();

    for structured in [false, true] {
        let (mut r, size, flags) = Raw::go(port, "rw", structured);
        assert_eq!(size, SIZE);
        assert_eq!(flags & FLAG_READ_ONLY, 0);
        let err = |r: &mut Raw| -> u32 {
            match r.reply(0) {
                Reply::Simple { err, .. } => err,
                Reply::Chunk {
                    typ,
                    payload,
                    flags,
                    ..
                } => {
                    assert_eq!(typ, REPLY_TYPE_ERROR);
                    assert_ne!(flags & REPLY_FLAG_DONE, 0);
                    be32(&payload[0..4])
                }
            }
        };
        r.req(0, CMD_READ, 1, SIZE - 10, 20);
        assert_eq!(err(&mut r), EINVAL, "read past the end");
        r.req(0, CMD_READ, 2, 0, 64 << 20);
        assert_eq!(err(&mut r), EINVAL, "read over the limit");
        r.req(0, CMD_READ, 3, u64::MAX - 5, 10);
        assert_eq!(err(&mut r), EINVAL, "offset overflow");
        r.req(0, CMD_WRITE, 4, SIZE - 2, 4);
        r.send(&[1, 2, 3, 4]);
        assert_eq!(err(&mut r), ENOSPC, "write past the end");
        r.req(0, 99, 5, 0, 0);
        assert_eq!(err(&mut r), EINVAL, "unknown command");
        r.req(1 << 9, CMD_FLUSH, 6, 0, 0);
        assert_eq!(err(&mut r), EINVAL, "unknown flag");
        r.req(CMD_FLAG_NO_HOLE, CMD_WRITE, 7, 0, 1);
        r.send(&[9]);
        assert_eq!(err(&mut r), EINVAL, "flag of another command");
        r.req(0, CMD_WRITE_ZEROES, 8, SIZE, 1);
        assert_eq!(err(&mut r), ENOSPC, "zeroes past the end");
        r.req(0, CMD_TRIM, 9, SIZE - 1, 2);
        assert_eq!(err(&mut r), EINVAL, "trim past the end");
        if !structured {
            r.req(0, CMD_READ, 14, 65536 - 100, 5000);
            match r.reply(5000) {
                Reply::Simple {
                    err: 0,
                    cookie: 14,
                    data: got,
                } => {
                    assert!(got[..] == data[65536 - 100..65536 + 4900])
                }
                x => panic!("{x:?}"),
            }
            r.req(0, CMD_BLOCK_STATUS, 10, 0, 4096);
            assert_eq!(err(&mut r), EINVAL, "block status without a context");
            r.req(CMD_FLAG_DF, CMD_READ, 11, 0, 4096);
            assert_eq!(err(&mut r), EINVAL, "DF without structured replies");
        }
        // A FUA write that is acknowledged is on disk.
        let off = 3 * 65536 + 100 + structured as u64;
        r.req(CMD_FLAG_FUA, CMD_WRITE, 12, off, 3);
        r.send(b"abc");
        assert_eq!(err(&mut r), 0);
        data[off as usize..off as usize + 3].copy_from_slice(b"abc");
        r.req(0, CMD_DISC, 13, 0, 0);
        assert!(r.closed());
    }

    // Read-only export: every kind of write is EPERM.
    let (mut r, _, flags) = Raw::go(port, "ro", true);
    assert_ne!(flags & FLAG_READ_ONLY, 0);
    r.req(0, CMD_WRITE, 1, 0, 4);
    r.send(b"nope");
    r.req(0, CMD_WRITE_ZEROES, 2, 0, 4096);
    r.req(0, CMD_TRIM, 3, 0, 4096);
    let mut seen = Vec::new();
    for _ in 0..3 {
        match r.reply(0) {
            Reply::Chunk {
                typ,
                payload,
                cookie,
                ..
            } => {
                assert_eq!(typ, REPLY_TYPE_ERROR);
                seen.push((cookie, be32(&payload[0..4])));
            }
            Reply::Simple { err, cookie, .. } => seen.push((cookie, err)),
        }
    }
    seen.sort();
    assert_eq!(seen, vec![(1, EPERM), (2, EPERM), (3, EPERM)]);
    r.req(0, CMD_FLUSH, 4, 0, 0);
    assert_eq!(r.simple_err(), 0);
    r.req(0, CMD_DISC, 5, 0, 0);
    assert!(r.closed());
    assert!(srv.log.get().is_empty(), "{:?}", srv.log.get());

    // Violations that end the connection, one log line each.
    let mut lines = 0;
    let mut bad = |what: &str, f: &dyn Fn(&mut Raw)| {
        let (mut r, _, _) = Raw::go(port, "rw", true);
        f(&mut r);
        assert!(r.closed(), "{what}: server kept the connection");
        lines += 1;
        wait_log(&srv, lines, what);
    };
    bad("bad request magic", &|r| r.send(&[0xde; 28]));
    bad("huge write length", &|r| {
        r.req(0, CMD_WRITE, 1, 0, 0xffff_ffff)
    });
    bad("write just over the limit", &|r| {
        r.req(0, CMD_WRITE, 1, 0, MAX_PAYLOAD + 1)
    });
    bad("disconnect inside a request header", &|r| {
        r.send(
            &Request {
                flags: 0,
                typ: CMD_READ,
                cookie: 1,
                offset: 0,
                len: 512,
            }
            .encode()[..11],
        );
        let _ = r.s.shutdown(std::net::Shutdown::Write);
    });
    bad("disconnect without DISC", &|r| {
        let _ = r.s.shutdown(std::net::Shutdown::Write);
    });
    let d2 = data.clone();
    let acked = std::sync::Mutex::new(d2);
    bad("disconnect inside a write payload", &|r| {
        // One acknowledged write, then a write cut short.
        r.req(0, CMD_WRITE, 1, 5 * 65536, 4);
        r.send(b"WXYZ");
        match r.reply(0) {
            Reply::Simple { err, .. } => assert_eq!(err, 0),
            x => panic!("{x:?}"),
        }
        acked.lock().unwrap()[5 * 65536..5 * 65536 + 4].copy_from_slice(b"WXYZ");
        r.req(0, CMD_WRITE, 2, 0, 65536);
        r.send_lossy(&[7; 1000]);
        let _ = r.s.shutdown(std::net::Shutdown::Write);
    });
    let data = acked.into_inner().unwrap();
    normal_client_works(&srv, &data);
    drop(srv);
    assert!(
        std::fs::read(d.path("r.raw")).unwrap() == data,
        "acknowledged writes"
    );
}

#[test]
fn structured_reads_block_status_and_many_requests_in_flight() {
    let d = TempDir::new("sr");
    let (srv, data) = setup(&d);
    let port = srv.port.unwrap();
    let (mut r, _, flags) = Raw::go(port, "rw", true);
    assert_ne!(flags & FLAG_SEND_DF, 0);
    // A read across data and holes: chunks cover the range exactly once.
    let assemble = |r: &mut Raw, cookie: u64, off: u64, len: usize| -> (Vec<u8>, usize) {
        let mut got = vec![0xaau8; len];
        let mut covered = vec![false; len];
        let mut holes = 0;
        loop {
            match r.reply(0) {
                Reply::Chunk {
                    flags,
                    typ,
                    cookie: c,
                    payload,
                } => {
                    assert_eq!(c, cookie);
                    match typ {
                        REPLY_TYPE_OFFSET_DATA => {
                            let o = (be64(&payload) - off) as usize;
                            let n = payload.len() - 8;
                            got[o..o + n].copy_from_slice(&payload[8..]);
                            assert!(covered[o..o + n].iter().all(|c| !c));
                            covered[o..o + n].fill(true);
                        }
                        REPLY_TYPE_OFFSET_HOLE => {
                            let o = (be64(&payload) - off) as usize;
                            let n = be32(&payload[8..]) as usize;
                            got[o..o + n].fill(0);
                            assert!(covered[o..o + n].iter().all(|c| !c));
                            covered[o..o + n].fill(true);
                            holes += 1;
                        }
                        REPLY_TYPE_NONE => {}
                        t => panic!("chunk type {t}"),
                    }
                    if flags & REPLY_FLAG_DONE != 0 {
                        break;
                    }
                }
                s => panic!("simple reply to a structured read: {s:?}"),
            }
        }
        assert!(covered.iter().all(|&c| c));
        (got, holes)
    };
    r.req(0, CMD_READ, 1, 0, SIZE as u32);
    let (got, holes) = assemble(&mut r, 1, 0, SIZE as usize);
    assert!(got == data);
    assert!(holes > 0, "holes are sent as hole chunks");
    r.req(CMD_FLAG_DF, CMD_READ, 2, 1000, 300_000);
    let (got, holes) = assemble(&mut r, 2, 1000, 300_000);
    assert!(got[..] == data[1000..301_000]);
    assert_eq!(holes, 0);
    // Block status: whole-range descriptors agree with the file.
    r.req(0, CMD_BLOCK_STATUS, 3, 0, SIZE as u32);
    let want: Vec<(u64, u32)> = file_allocation(&d.path("r.raw"))
        .into_iter()
        .map(|(_, l, data)| (l, if data { 0 } else { STATE_HOLE | STATE_ZERO }))
        .collect();
    match r.reply(0) {
        Reply::Chunk {
            typ,
            payload,
            flags,
            ..
        } => {
            assert_eq!(typ, REPLY_TYPE_BLOCK_STATUS);
            assert_ne!(flags & REPLY_FLAG_DONE, 0);
            assert_eq!(be32(&payload), 1);
            let got: Vec<(u64, u32)> = payload[4..]
                .chunks(8)
                .map(|c| (be32(c) as u64, be32(&c[4..])))
                .collect();
            assert_eq!(got, want);
        }
        x => panic!("{x:?}"),
    }
    r.req(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 4, 0, SIZE as u32);
    match r.reply(0) {
        Reply::Chunk { payload, .. } => assert_eq!(payload.len(), 12),
        x => panic!("{x:?}"),
    }
    // Fast zero and zeroes without holes, then CACHE.
    r.req(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 5, 65536, 65536);
    let e = r.simple_err();
    assert!(e == 0 || e == ENOTSUP, "fast zero: {e}");
    r.req(
        CMD_FLAG_NO_HOLE | CMD_FLAG_FUA,
        CMD_WRITE_ZEROES,
        6,
        2 * 65536,
        65536,
    );
    assert_eq!(r.simple_err(), 0);
    r.req(0, CMD_CACHE, 7, 0, SIZE as u32);
    assert_eq!(r.simple_err(), 0);
    let mut data = data;
    data[2 * 65536..3 * 65536].fill(0);
    if e == 0 {
        data[65536..2 * 65536].fill(0);
    }
    // 200 requests in flight: writes and reads of distinct blocks, replies
    // matched by cookie in whatever order they come.
    let mut rng = Rng(77);
    let mut expect = std::collections::HashMap::new();
    for i in 0..100u64 {
        let off = 8 * 65536 + i * 8192;
        let mut b = vec![0u8; 8192];
        rng.fill(&mut b);
        r.req(0, CMD_WRITE, 1000 + i, off, 8192);
        r.send(&b);
        data[off as usize..off as usize + 8192].copy_from_slice(&b);
    }
    for i in 0..100u64 {
        let off = 40 * 65536 + i * 4096;
        r.req(0, CMD_READ, 2000 + i, off, 4096);
        expect.insert(2000 + i, data[off as usize..off as usize + 4096].to_vec());
    }
    let mut done = 0;
    while done < 200 {
        match r.reply(0) {
            Reply::Simple { err, cookie, .. } => {
                assert_eq!(err, 0);
                assert!((1000..1100).contains(&cookie));
                done += 1;
            }
            Reply::Chunk {
                cookie,
                typ,
                payload,
                flags,
            } => {
                let want = expect.get_mut(&cookie).expect("known cookie");
                match typ {
                    REPLY_TYPE_OFFSET_DATA => {
                        let off = 40 * 65536 + (cookie - 2000) * 4096;
                        let o = (be64(&payload) - off) as usize;
                        assert!(payload[8..] == want[o..o + payload.len() - 8]);
                    }
                    REPLY_TYPE_OFFSET_HOLE => {
                        let off = 40 * 65536 + (cookie - 2000) * 4096;
                        let o = (be64(&payload) - off) as usize;
                        let n = be32(&payload[8..]) as usize;
                        assert!(want[o..o + n].iter().all(|&b| b == 0));
                    }
                    t => panic!("type {t}"),
                }
                if flags & REPLY_FLAG_DONE != 0 {
                    done += 1;
                }
            }
        }
    }
    r.req(0, CMD_FLUSH, 9, 0, 0);
    assert_eq!(r.simple_err(), 0);
    r.req(0, CMD_DISC, 0, 0, 0);
    assert!(r.closed());
    normal_client_works(&srv, &data);
    assert!(srv.log.get().is_empty(), "{:?}", srv.log.get());
}

#[test]
fn random_garbage_never_hurts_the_server() {
    let d = TempDir::new("fuzz");
    let (srv, data) = setup(&d);
    let port = srv.port.unwrap();
    let mut rng = Rng(2024);
    let start = Instant::now();
    for round in 0..300u64 {
        let mut r = Raw::connect(port);
        let phase = round % 3;
        if phase > 0 {
            r.hello();
            r.send(&(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES).to_be_bytes());
        }
        if phase == 2 {
            // Valid options with random contents first, then go to "ro".
            for _ in 0..rng.below(4) {
                let opt = 1 + rng.below(12) as u32;
                if opt == OPT_EXPORT_NAME || opt == OPT_GO || opt == OPT_ABORT {
                    continue;
                }
                let mut b = vec![0u8; rng.below(64) as usize];
                rng.fill(&mut b);
                r.opt(opt, &b);
                let _ = r.opt_replies();
            }
            r.opt(OPT_GO, &Raw::go_data("ro", &[]));
            let _ = r.opt_replies();
        }
        // Random bytes, sometimes shaped like requests with random fields.
        for _ in 0..1 + rng.below(8) {
            let mut b = vec![0u8; rng.below(200) as usize];
            rng.fill(&mut b);
            if phase == 2 && rng.below(2) == 0 {
                let req = Request {
                    flags: rng.next() as u16,
                    typ: rng.below(10) as u16,
                    cookie: rng.next(),
                    offset: if rng.below(2) == 0 {
                        rng.below(SIZE)
                    } else {
                        rng.next()
                    },
                    len: if rng.below(2) == 0 {
                        rng.below(70000) as u32
                    } else {
                        rng.next() as u32
                    },
                };
                b = req.encode().to_vec();
            }
            r.send_lossy(&b);
        }
        drop(r);
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "fuzz took too long"
        );
    }
    normal_client_works(&srv, &data);
    let (mut r, _, _) = Raw::go(port, "rw", true);
    r.req(0, CMD_READ, 1, 0, 512);
    match r.reply(0) {
        Reply::Chunk { .. } => {}
        x => panic!("{x:?}"),
    }
    drop(r);
    drop(srv);
    assert!(
        std::fs::read(d.path("ro.raw")).unwrap() == data,
        "ro export unchanged"
    );
}

/// A fake server for the client: a valid handshake when `valid`, then
/// replies built from random bytes (sometimes well-formed headers with
/// random fields) to whatever the client sends.
fn hostile_server(mut s: TcpStream, seed: u64, valid: bool) {
    let mut rng = Rng(seed);
    let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
    let _ = s.set_write_timeout(Some(Duration::from_millis(300)));
    let junk = |rng: &mut Rng, n: usize| {
        let mut b = vec![0u8; n];
        rng.fill(&mut b);
        b
    };
    if !valid && rng.below(3) == 0 {
        let _ = s.write_all(&junk(&mut rng, 64));
        return;
    }
    let mut hello = NBDMAGIC.to_be_bytes().to_vec();
    hello.extend_from_slice(&IHAVEOPT.to_be_bytes());
    hello.extend_from_slice(&3u16.to_be_bytes());
    if s.write_all(&hello).is_err() {
        return;
    }
    let mut cf = [0u8; 4];
    if s.read_exact(&mut cf).is_err() {
        return;
    }
    let reply = |s: &mut TcpStream, opt: u32, typ: u32, d: &[u8]| {
        let mut b = option_reply_header(opt, typ, d.len() as u32).to_vec();
        b.extend_from_slice(d);
        s.write_all(&b).is_ok()
    };
    loop {
        let mut h = [0u8; 16];
        if s.read_exact(&mut h).is_err() {
            return;
        }
        let opt = be32(&h[8..12]);
        let mut d = vec![0u8; (be32(&h[12..16]) as usize).min(1 << 16)];
        if s.read_exact(&mut d).is_err() {
            return;
        }
        if !valid {
            let ok = match rng.below(3) {
                0 => s.write_all(&junk(&mut rng, 40)).is_ok(),
                1 => {
                    let typ =
                        [REP_ACK, REP_INFO, REP_META_CONTEXT, REP_ERR_UNSUP][rng.below(4) as usize];
                    let n = rng.below(20) as usize;
                    reply(&mut s, opt, typ, &junk(&mut rng, n))
                }
                _ => {
                    let mut b = option_reply_header(opt, REP_INFO, rng.next() as u32).to_vec();
                    b.extend_from_slice(&junk(&mut rng, 8));
                    s.write_all(&b).is_ok()
                }
            };
            if !ok {
                return;
            }
            continue;
        }
        match opt {
            OPT_STRUCTURED_REPLY => {
                reply(&mut s, opt, REP_ACK, &[]);
            }
            OPT_SET_META_CONTEXT => {
                let mut m = 1u32.to_be_bytes().to_vec();
                m.extend_from_slice(CONTEXT_BASE_ALLOCATION.as_bytes());
                reply(&mut s, opt, REP_META_CONTEXT, &m);
                reply(&mut s, opt, REP_ACK, &[]);
            }
            OPT_GO => {
                let mut i = INFO_EXPORT.to_be_bytes().to_vec();
                i.extend_from_slice(&(1u64 << 20).to_be_bytes());
                i.extend_from_slice(
                    &(FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES)
                        .to_be_bytes(),
                );
                reply(&mut s, opt, REP_INFO, &i);
                reply(&mut s, opt, REP_ACK, &[]);
                break;
            }
            _ => {
                reply(&mut s, opt, REP_ERR_UNSUP, &[]);
            }
        }
    }
    // Transmission: answer every request header with random replies.
    for _ in 0..50 {
        let mut h = [0u8; REQUEST_LEN];
        if s.read_exact(&mut h).is_err() {
            return;
        }
        let cookie = be64(&h[8..16]);
        let typ = be16(&h[6..8]);
        if typ == CMD_WRITE {
            let mut p = vec![0u8; (be32(&h[24..28]) as usize).min(MAX_PAYLOAD as usize)];
            if s.read_exact(&mut p).is_err() {
                return;
            }
        }
        let b = match rng.below(4) {
            0 => {
                let n = 1 + rng.below(64) as usize;
                junk(&mut rng, n)
            }
            1 => simple_reply(rng.below(3) as u32 * EIO, cookie).to_vec(),
            _ => {
                let ctype = [
                    REPLY_TYPE_OFFSET_DATA,
                    REPLY_TYPE_OFFSET_HOLE,
                    REPLY_TYPE_BLOCK_STATUS,
                    REPLY_TYPE_ERROR,
                    REPLY_TYPE_NONE,
                    77,
                ][rng.below(6) as usize];
                let plen = if rng.below(2) == 0 {
                    rng.below(40) as u32
                } else {
                    rng.next() as u32
                };
                let mut b = chunk_header(rng.below(2) as u16, ctype, cookie, plen).to_vec();
                let n = rng.below(48) as usize;
                b.extend_from_slice(&junk(&mut rng, n));
                b
            }
        };
        if s.write_all(&b).is_err() {
            return;
        }
    }
}

#[test]
fn mimic_client_survives_hostile_servers() {
    let start = Instant::now();
    for round in 0..150u64 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let valid = round % 2 == 0;
        let t = std::thread::spawn(move || {
            if let Ok((s, _)) = l.accept() {
                hostile_server(s, 1000 + round, valid);
            }
        });
        let target = block::nbd::uri::Target {
            addr: block::nbd::uri::Addr::Tcp("127.0.0.1".into(), port),
            export: "x".into(),
        };
        if let Ok(mut c) =
            block::nbd::NbdClient::connect(&target, false, Duration::from_millis(300))
        {
            use block::BlockDriver;
            let mut b = vec![0u8; 100_000];
            let _ = c.read(0, &mut b);
            let _ = c.block_status(0, 1 << 20);
            let _ = c.write(4096, &b[..5000]);
            let _ = c.write_zeroes(0, 65536, false);
            let _ = c.read(500_000, &mut b);
            let _ = c.flush();
        }
        t.join().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "hostile server rounds took too long"
        );
    }
}

#[test]
fn dense_file_block_status_notices_new_holes() {
    let d = TempDir::new("dense");
    let mut data = vec![0u8; 1 << 20];
    Rng(5).fill(&mut data);
    std::fs::write(d.path("dense.raw"), &data).unwrap();
    let mut c = ExportConfig::new("d", d.path("dense.raw"));
    c.format = Some("raw".into());
    let srv = Mimic::tcp(vec![c]);
    let (mut r, _, _) = Raw::go(srv.port.unwrap(), "d", true);
    let status = |r: &mut Raw, cookie: u64| -> Vec<(u32, u32)> {
        r.req(0, CMD_BLOCK_STATUS, cookie, 0, 1 << 20);
        match r.reply(0) {
            Reply::Chunk { payload, .. } => payload[4..]
                .chunks(8)
                .map(|c| (be32(c), be32(&c[4..])))
                .collect(),
            x => panic!("{x:?}"),
        }
    };
    assert_eq!(status(&mut r, 1), vec![(1 << 20, 0)]);
    r.req(0, CMD_TRIM, 2, 65536, 131072);
    assert_eq!(r.simple_err(), 0);
    let after = status(&mut r, 3);
    let want: Vec<(u32, u32)> = file_allocation(&d.path("dense.raw"))
        .into_iter()
        .map(|(_, l, data)| (l as u32, if data { 0 } else { STATE_HOLE | STATE_ZERO }))
        .collect();
    assert_eq!(after, want);
    assert!(after.len() > 1, "the trimmed range is a hole: {after:?}");
    // Reads see zeroes there, data elsewhere.
    r.req(0, CMD_DISC, 4, 0, 0);
    data[65536..196608].fill(0);
    assert!(read_url(&srv.url("d")) == data);
}
