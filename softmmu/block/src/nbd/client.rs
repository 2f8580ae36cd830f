//! The NBD client: a [`BlockDriver`] over a connection to an export, so
//! `nbd://host:port/name` and `nbd+unix:///name?socket=PATH` open like
//! image files. Negotiates fixed newstyle with structured replies,
//! `base:allocation` (for block status, so copies skip holes) and
//! NBD_OPT_GO (falling back to NBD_OPT_EXPORT_NAME); large reads and
//! writes are split at the server's maximum block size and pipelined.

use super::proto::*;
use super::stream::{write_all_vectored, Stream};
use super::uri::{self, Addr, Target};
use crate::driver::{BlockDriver, Extent};
use crate::error::{BlockError, Result};
use std::collections::VecDeque;
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Requests kept in flight by one read or write call.
const IN_FLIGHT: usize = 8;
/// Largest piece one request carries (also bounded by the server's limit).
const CHUNK: u64 = 4 << 20;
/// Largest block-status query.
const STATUS_QUERY: u64 = 1 << 30;
/// Default socket timeout for the img tool.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

fn proto_err(msg: impl Into<String>) -> BlockError {
    BlockError::Other(format!("NBD: {}", msg.into()))
}

fn io_err(e: std::io::Error) -> BlockError {
    proto_err(format!("connection failed: {e}"))
}

/// The error a server reported for a request.
fn server_err(code: u32, msg: &str) -> BlockError {
    let errno = match code {
        EPERM => libc::EPERM,
        EIO => libc::EIO,
        ENOMEM => libc::ENOMEM,
        ENOSPC => libc::ENOSPC,
        EOVERFLOW => libc::EOVERFLOW,
        ENOTSUP => libc::ENOTSUP,
        ESHUTDOWN => libc::ESHUTDOWN,
        _ => libc::EINVAL,
    };
    let os = std::io::Error::from_raw_os_error(errno);
    if msg.is_empty() {
        BlockError::Io(os)
    } else {
        BlockError::Other(format!("{msg} ({os})"))
    }
}

fn connect(addr: &Addr, timeout: Duration) -> Result<Stream> {
    let s = match addr {
        Addr::Tcp(h, p) => {
            let addrs: Vec<_> = (h.as_str(), *p)
                .to_socket_addrs()
                .map_err(|e| proto_err(format!("cannot resolve {h}: {e}")))?
                .collect();
            let mut last = None;
            let mut got = None;
            for a in addrs {
                match TcpStream::connect_timeout(&a, timeout) {
                    Ok(s) => {
                        got = Some(s);
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            match got {
                Some(s) => Stream::Tcp(s),
                None => {
                    return Err(proto_err(format!(
                        "Failed to connect to '{h}:{p}': {}",
                        last.map(|e| e.to_string())
                            .unwrap_or_else(|| "no address".into())
                    )))
                }
            }
        }
        Addr::Unix(p) => Stream::Unix(
            UnixStream::connect(p)
                .map_err(|e| proto_err(format!("Failed to connect to '{}': {e}", p.display())))?,
        ),
    };
    s.set_nodelay();
    s.set_read_timeout(Some(timeout)).map_err(io_err)?;
    s.set_write_timeout(Some(timeout)).map_err(io_err)?;
    Ok(s)
}

/// One option reply.
struct OptReply {
    typ: u32,
    data: Vec<u8>,
}

/// The handshake's result, before transmission.
struct Handshake {
    s: Stream,
    fixed: bool,
    no_zeroes: bool,
}

impl Handshake {
    fn start(s: Stream) -> Result<Handshake> {
        let mut h = [0u8; 18];
        (&s).read_exact(&mut h).map_err(io_err)?;
        if be64(&h[0..8]) != NBDMAGIC {
            return Err(proto_err("not an NBD server (bad magic)"));
        }
        if be64(&h[8..16]) != IHAVEOPT {
            return Err(proto_err("server does not speak newstyle negotiation"));
        }
        let sflags = be16(&h[16..18]);
        let fixed = sflags & FLAG_FIXED_NEWSTYLE != 0;
        let no_zeroes = sflags & FLAG_NO_ZEROES != 0;
        let mut cflags = 0u32;
        if fixed {
            cflags |= FLAG_C_FIXED_NEWSTYLE;
        }
        if no_zeroes {
            cflags |= FLAG_C_NO_ZEROES;
        }
        write_all_vectored(&mut &s, &[&cflags.to_be_bytes()]).map_err(io_err)?;
        Ok(Handshake {
            s,
            fixed,
            no_zeroes,
        })
    }

    fn send_opt(&self, opt: u32, data: &[u8]) -> Result<()> {
        let mut h = Vec::with_capacity(16);
        h.extend_from_slice(&IHAVEOPT.to_be_bytes());
        h.extend_from_slice(&opt.to_be_bytes());
        h.extend_from_slice(&(data.len() as u32).to_be_bytes());
        write_all_vectored(&mut &self.s, &[&h, data]).map_err(io_err)
    }

    fn read_reply(&self, opt: u32) -> Result<OptReply> {
        let mut h = [0u8; 20];
        (&self.s).read_exact(&mut h).map_err(io_err)?;
        if be64(&h[0..8]) != OPT_REPLY_MAGIC {
            return Err(proto_err("bad option reply magic"));
        }
        if be32(&h[8..12]) != opt {
            return Err(proto_err("option reply for the wrong option"));
        }
        let typ = be32(&h[12..16]);
        let len = be32(&h[16..20]);
        if len > MAX_OPTION_LEN {
            return Err(proto_err(format!(
                "option reply of {len} bytes is too large"
            )));
        }
        let mut data = vec![0u8; len as usize];
        (&self.s).read_exact(&mut data).map_err(io_err)?;
        Ok(OptReply { typ, data })
    }

    /// Reads replies up to the final one (ACK or an error).
    fn replies(&self, opt: u32) -> Result<(Vec<OptReply>, OptReply)> {
        let mut v = Vec::new();
        for _ in 0..100_000 {
            let r = self.read_reply(opt)?;
            if r.typ == REP_ACK || r.typ & 0x8000_0000 != 0 {
                return Ok((v, r));
            }
            v.push(r);
        }
        Err(proto_err("too many option replies"))
    }
}

fn rep_err_text(r: &OptReply) -> String {
    let what = match r.typ {
        REP_ERR_UNSUP => "unsupported",
        REP_ERR_POLICY => "denied by policy",
        REP_ERR_INVALID => "invalid",
        REP_ERR_PLATFORM => "unsupported on this platform",
        REP_ERR_TLS_REQD => "TLS required",
        REP_ERR_UNKNOWN => "export not available",
        REP_ERR_SHUTDOWN => "server shutting down",
        REP_ERR_BLOCK_SIZE_REQD => "block size required",
        REP_ERR_TOO_BIG => "too big",
        _ => "error",
    };
    let msg = String::from_utf8_lossy(&r.data);
    if msg.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {msg}")
    }
}

fn name_and_queries(name: &str, queries: &[&str]) -> Vec<u8> {
    let mut d = (name.len() as u32).to_be_bytes().to_vec();
    d.extend_from_slice(name.as_bytes());
    d.extend_from_slice(&(queries.len() as u32).to_be_bytes());
    for q in queries {
        d.extend_from_slice(&(q.len() as u32).to_be_bytes());
        d.extend_from_slice(q.as_bytes());
    }
    d
}

/// Lists a server's exports: (name, description).
pub fn list_exports(addr: &Addr, timeout: Duration) -> Result<Vec<(String, String)>> {
    let hs = Handshake::start(connect(addr, timeout)?)?;
    if !hs.fixed {
        return Err(proto_err("server cannot list exports (not fixed newstyle)"));
    }
    hs.send_opt(OPT_LIST, &[])?;
    let (items, fin) = hs.replies(OPT_LIST)?;
    let _ = hs.send_opt(OPT_ABORT, &[]);
    if fin.typ != REP_ACK {
        return Err(proto_err(format!(
            "listing exports: {}",
            rep_err_text(&fin)
        )));
    }
    let mut out = Vec::new();
    for r in items.iter().filter(|r| r.typ == REP_SERVER) {
        let mut c = Cursor::new(&r.data);
        let name = c
            .string32()
            .ok_or_else(|| proto_err("malformed NBD_REP_SERVER"))?;
        out.push((name, String::from_utf8_lossy(c.rest()).into_owned()));
    }
    Ok(out)
}

/// A cached block-status extent.
#[derive(Debug, Clone, Copy)]
struct Cached {
    start: u64,
    len: u64,
    flags: u32,
}

/// A request in flight.
struct Op {
    typ: u16,
    flags: u16,
    offset: u64,
    len: u32,
    /// Where the op's data lies in the caller's buffer.
    buf_off: usize,
}

struct Pending {
    cookie: u64,
    op: usize,
}

pub struct NbdClient {
    s: Stream,
    desc: String,
    size: u64,
    flags: u16,
    structured: bool,
    meta: Option<u32>,
    max_block: u64,
    next_cookie: u64,
    read_only: bool,
    status: VecDeque<Cached>,
    /// The connection is out of step with the server; refuse further I/O.
    broken: bool,
}

impl NbdClient {
    /// Opens an NBD URL for the block layer. `format` must be raw (or
    /// absent): formats are applied on the server side.
    pub fn open_url(url: &str, format: Option<&str>, read_only: bool) -> Result<NbdClient> {
        if let Some(f) = format {
            if f != "raw" {
                return Err(BlockError::Unsupported(format!(
                    "format '{f}' over NBD (Mimic serves exports as raw)"
                )));
            }
        }
        let t = uri::parse(url)?;
        NbdClient::connect(&t, read_only, DEFAULT_TIMEOUT).map(|mut c| {
            c.desc = url.to_string();
            c
        })
    }

    /// Connects to an export.
    pub fn connect(t: &Target, read_only: bool, timeout: Duration) -> Result<NbdClient> {
        let hs = Handshake::start(connect(&t.addr, timeout)?)?;
        let mut structured = false;
        let mut meta = None;
        let mut size = None;
        let mut flags = 0u16;
        let mut max_block = MAX_PAYLOAD as u64;
        if hs.fixed {
            hs.send_opt(OPT_STRUCTURED_REPLY, &[])?;
            let (_, fin) = hs.replies(OPT_STRUCTURED_REPLY)?;
            structured = fin.typ == REP_ACK;
            if structured {
                let d = name_and_queries(&t.export, &[CONTEXT_BASE_ALLOCATION]);
                hs.send_opt(OPT_SET_META_CONTEXT, &d)?;
                let (items, fin) = hs.replies(OPT_SET_META_CONTEXT)?;
                if fin.typ == REP_ACK {
                    for r in items.iter().filter(|r| r.typ == REP_META_CONTEXT) {
                        if r.data.len() >= 4 && &r.data[4..] == CONTEXT_BASE_ALLOCATION.as_bytes() {
                            meta = Some(be32(&r.data[0..4]));
                        }
                    }
                }
            }
            let mut d = (t.export.len() as u32).to_be_bytes().to_vec();
            d.extend_from_slice(t.export.as_bytes());
            d.extend_from_slice(&1u16.to_be_bytes());
            d.extend_from_slice(&INFO_BLOCK_SIZE.to_be_bytes());
            hs.send_opt(OPT_GO, &d)?;
            let (items, fin) = hs.replies(OPT_GO)?;
            if fin.typ == REP_ACK {
                for r in &items {
                    let mut c = Cursor::new(&r.data);
                    match (r.typ, c.u16()) {
                        (REP_INFO, Some(INFO_EXPORT)) => {
                            let s = c.u64().ok_or_else(|| proto_err("short NBD_INFO_EXPORT"))?;
                            flags = c.u16().ok_or_else(|| proto_err("short NBD_INFO_EXPORT"))?;
                            size = Some(s);
                        }
                        (REP_INFO, Some(INFO_BLOCK_SIZE)) => {
                            let _min = c.u32();
                            let _pref = c.u32();
                            if let Some(m) = c.u32() {
                                max_block = (m as u64).clamp(512, MAX_PAYLOAD as u64);
                            }
                        }
                        _ => {}
                    }
                }
                if size.is_none() {
                    return Err(proto_err("server sent no NBD_INFO_EXPORT"));
                }
            } else if fin.typ != REP_ERR_UNSUP {
                return Err(proto_err(format!(
                    "cannot open export '{}': {}",
                    t.export,
                    rep_err_text(&fin)
                )));
            }
        }
        if size.is_none() {
            // Old servers: NBD_OPT_EXPORT_NAME (no error reporting).
            hs.send_opt(OPT_EXPORT_NAME, t.export.as_bytes())?;
            let mut b = vec![0u8; if hs.no_zeroes { 10 } else { 134 }];
            (&hs.s).read_exact(&mut b).map_err(|e| {
                proto_err(format!(
                    "server closed the connection (unknown export '{}'?): {e}",
                    t.export
                ))
            })?;
            size = Some(be64(&b[0..8]));
            flags = be16(&b[8..10]);
        }
        let read_only = read_only || flags & FLAG_READ_ONLY != 0;
        Ok(NbdClient {
            s: hs.s,
            desc: String::new(),
            size: size.unwrap_or(0),
            flags,
            structured,
            meta,
            max_block,
            next_cookie: 1,
            read_only,
            status: VecDeque::new(),
            broken: false,
        })
    }

    /// The transmission flags the server sent.
    pub fn transmission_flags(&self) -> u16 {
        self.flags
    }

    /// Whether `base:allocation` was negotiated.
    pub fn has_block_status(&self) -> bool {
        self.meta.is_some()
    }

    /// Sends NBD_CMD_DISC and closes.
    pub fn disconnect(mut self) {
        self.disc();
    }

    fn disc(&mut self) {
        if !self.broken {
            let r = Request {
                flags: 0,
                typ: CMD_DISC,
                cookie: 0,
                offset: 0,
                len: 0,
            };
            let _ = write_all_vectored(&mut &self.s, &[&r.encode()]);
            self.broken = true;
        }
        self.s.shutdown();
    }

    fn check_open(&self) -> Result<()> {
        if self.broken {
            return Err(proto_err("the connection to the server was lost"));
        }
        Ok(())
    }

    /// Runs `ops`, keeping up to IN_FLIGHT of them outstanding. Read data
    /// lands in `rbuf`, write data comes from `wbuf` (both indexed by each
    /// op's `buf_off`).
    fn run_ops(
        &mut self,
        ops: &[Op],
        mut rbuf: Option<&mut [u8]>,
        wbuf: Option<&[u8]>,
    ) -> Result<()> {
        self.check_open()?;
        let mut pending: Vec<Pending> = Vec::new();
        let mut next = 0;
        let mut first_err: Option<BlockError> = None;
        while next < ops.len() || !pending.is_empty() {
            while first_err.is_none() && next < ops.len() && pending.len() < IN_FLIGHT {
                let op = &ops[next];
                let cookie = self.next_cookie;
                self.next_cookie = self.next_cookie.wrapping_add(1);
                let r = Request {
                    flags: op.flags,
                    typ: op.typ,
                    cookie,
                    offset: op.offset,
                    len: op.len,
                };
                let h = r.encode();
                let res = match (op.typ, wbuf) {
                    (CMD_WRITE, Some(w)) => write_all_vectored(
                        &mut &self.s,
                        &[&h, &w[op.buf_off..op.buf_off + op.len as usize]],
                    ),
                    _ => write_all_vectored(&mut &self.s, &[&h]),
                };
                if let Err(e) = res {
                    self.broken = true;
                    return Err(io_err(e));
                }
                pending.push(Pending { cookie, op: next });
                next += 1;
            }
            if pending.is_empty() {
                break;
            }
            match self.read_reply(ops, &mut pending, rbuf.as_deref_mut()) {
                Ok(Some(e)) => {
                    first_err.get_or_insert(e);
                }
                Ok(None) => {}
                Err(e) => {
                    self.broken = true;
                    self.s.shutdown();
                    return Err(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads one reply message. `Err` = the stream is unusable; `Ok(Some)`
    /// = the request failed (the server said so).
    fn read_reply(
        &mut self,
        ops: &[Op],
        pending: &mut Vec<Pending>,
        rbuf: Option<&mut [u8]>,
    ) -> Result<Option<BlockError>> {
        let mut m = [0u8; 4];
        (&self.s).read_exact(&mut m).map_err(io_err)?;
        let magic = be32(&m);
        let find = |pending: &Vec<Pending>, cookie: u64| {
            pending
                .iter()
                .position(|p| p.cookie == cookie)
                .ok_or_else(|| proto_err(format!("reply for unknown cookie {cookie:#x}")))
        };
        if magic == SIMPLE_REPLY_MAGIC {
            let mut h = [0u8; 12];
            (&self.s).read_exact(&mut h).map_err(io_err)?;
            let err = be32(&h[0..4]);
            let i = find(pending, be64(&h[4..12]))?;
            let op = &ops[pending[i].op];
            pending.swap_remove(i);
            if err != 0 {
                return Ok(Some(server_err(err, "")));
            }
            if op.typ == CMD_READ {
                if self.structured {
                    return Err(proto_err("simple reply to a read after structured replies"));
                }
                let b = rbuf.ok_or_else(|| proto_err("unexpected read data"))?;
                (&self.s)
                    .read_exact(&mut b[op.buf_off..op.buf_off + op.len as usize])
                    .map_err(io_err)?;
            }
            return Ok(None);
        }
        if magic != STRUCTURED_REPLY_MAGIC || !self.structured {
            return Err(proto_err(format!("bad reply magic {magic:#x}")));
        }
        let mut h = [0u8; 16];
        (&self.s).read_exact(&mut h).map_err(io_err)?;
        let flags = be16(&h[0..2]);
        let typ = be16(&h[2..4]);
        let cookie = be64(&h[4..12]);
        let len = be32(&h[12..16]);
        let i = find(pending, cookie)?;
        let op = &ops[pending[i].op];
        if len > MAX_PAYLOAD + 64 {
            return Err(proto_err(format!(
                "reply chunk of {len} bytes is too large"
            )));
        }
        let done = flags & REPLY_FLAG_DONE != 0;
        let mut result = None;
        match typ {
            REPLY_TYPE_NONE if len == 0 => {}
            REPLY_TYPE_OFFSET_DATA if op.typ == CMD_READ && len >= 8 => {
                let mut o = [0u8; 8];
                (&self.s).read_exact(&mut o).map_err(io_err)?;
                let off = be64(&o);
                let n = (len - 8) as u64;
                if off < op.offset
                    || off
                        .checked_add(n)
                        .is_none_or(|e| e > op.offset + op.len as u64)
                {
                    return Err(proto_err("read data chunk outside the request"));
                }
                let b = rbuf.ok_or_else(|| proto_err("unexpected read data"))?;
                let s = op.buf_off + (off - op.offset) as usize;
                (&self.s)
                    .read_exact(&mut b[s..s + n as usize])
                    .map_err(io_err)?;
            }
            REPLY_TYPE_OFFSET_HOLE if op.typ == CMD_READ && len == 12 => {
                let mut p = [0u8; 12];
                (&self.s).read_exact(&mut p).map_err(io_err)?;
                let off = be64(&p[0..8]);
                let n = be32(&p[8..12]) as u64;
                if off < op.offset
                    || off
                        .checked_add(n)
                        .is_none_or(|e| e > op.offset + op.len as u64)
                {
                    return Err(proto_err("read hole chunk outside the request"));
                }
                let b = rbuf.ok_or_else(|| proto_err("unexpected read hole"))?;
                let s = op.buf_off + (off - op.offset) as usize;
                b[s..s + n as usize].fill(0);
            }
            REPLY_TYPE_BLOCK_STATUS
                if op.typ == CMD_BLOCK_STATUS && len >= 12 && (len - 4).is_multiple_of(8) =>
            {
                let mut p = vec![0u8; len as usize];
                (&self.s).read_exact(&mut p).map_err(io_err)?;
                if Some(be32(&p[0..4])) == self.meta {
                    let mut at = op.offset;
                    self.status.clear();
                    for d in p[4..].chunks_exact(8) {
                        let l = be32(&d[0..4]) as u64;
                        if l == 0 || at >= self.size {
                            break;
                        }
                        let l = l.min(self.size - at);
                        self.status.push_back(Cached {
                            start: at,
                            len: l,
                            flags: be32(&d[4..8]),
                        });
                        at += l;
                    }
                }
            }
            t if t & 0x8000 != 0 && len >= 6 => {
                let mut p = vec![0u8; len as usize];
                (&self.s).read_exact(&mut p).map_err(io_err)?;
                let code = be32(&p[0..4]);
                let ml = (be16(&p[4..6]) as usize).min(p.len() - 6);
                let msg = String::from_utf8_lossy(&p[6..6 + ml]).into_owned();
                result = Some(server_err(code, &msg));
            }
            _ => {
                return Err(proto_err(format!(
                    "unexpected reply chunk type {typ} ({len} bytes)"
                )))
            }
        }
        if done {
            pending.swap_remove(i);
        }
        Ok(result)
    }

    /// Splits `[offset, offset+len)` into requests of at most the chunk size.
    fn split(&self, typ: u16, flags: u16, offset: u64, len: u64, chunk: u64) -> Vec<Op> {
        let mut v = Vec::new();
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(chunk);
            v.push(Op {
                typ,
                flags,
                offset: offset + done,
                len: n as u32,
                buf_off: done as usize,
            });
            done += n;
        }
        v
    }

    fn check_range(&self, offset: u64, len: u64) -> Result<()> {
        crate::driver::check_range(offset, len, self.size)
    }

    fn check_write(&self) -> Result<()> {
        if self.read_only {
            return Err(BlockError::ReadOnly);
        }
        Ok(())
    }

    fn data_chunk(&self) -> u64 {
        self.max_block.min(CHUNK)
    }
}

impl BlockDriver for NbdClient {
    fn format_name(&self) -> &'static str {
        "raw"
    }
    fn length(&self) -> u64 {
        self.size
    }
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.check_range(offset, buf.len() as u64)?;
        let ops = self.split(CMD_READ, 0, offset, buf.len() as u64, self.data_chunk());
        self.run_ops(&ops, Some(buf), None)
    }
    fn write(&mut self, offset: u64, buf: &[u8]) -> Result<()> {
        self.check_range(offset, buf.len() as u64)?;
        self.check_write()?;
        self.status.clear();
        let ops = self.split(CMD_WRITE, 0, offset, buf.len() as u64, self.data_chunk());
        self.run_ops(&ops, None, Some(buf))
    }
    fn flush(&mut self) -> Result<()> {
        if self.read_only || self.flags & FLAG_SEND_FLUSH == 0 {
            return Ok(());
        }
        let ops = [Op {
            typ: CMD_FLUSH,
            flags: 0,
            offset: 0,
            len: 0,
            buf_off: 0,
        }];
        self.run_ops(&ops, None, None)
    }
    fn discard(&mut self, offset: u64, len: u64) -> Result<()> {
        self.check_range(offset, len)?;
        self.check_write()?;
        if self.flags & FLAG_SEND_TRIM == 0 {
            return Ok(());
        }
        self.status.clear();
        let ops = self.split(CMD_TRIM, 0, offset, len, 1 << 30);
        self.run_ops(&ops, None, None)
    }
    fn write_zeroes(&mut self, offset: u64, len: u64, may_unmap: bool) -> Result<()> {
        self.check_range(offset, len)?;
        self.check_write()?;
        self.status.clear();
        if self.flags & FLAG_SEND_WRITE_ZEROES == 0 {
            let chunk = self.data_chunk();
            let zeroes = vec![0u8; len.min(chunk) as usize];
            let mut done = 0;
            while done < len {
                let n = (len - done).min(chunk);
                self.write(offset + done, &zeroes[..n as usize])?;
                done += n;
            }
            return Ok(());
        }
        let flags = if may_unmap { 0 } else { CMD_FLAG_NO_HOLE };
        let ops = self.split(CMD_WRITE_ZEROES, flags, offset, len, 1 << 30);
        self.run_ops(&ops, None, None)
    }
    fn block_status(&mut self, offset: u64, len: u64) -> Result<Extent> {
        self.check_range(offset, len)?;
        let data = |len| Extent {
            len,
            allocated: true,
            data: true,
            zero: false,
            compressed: false,
            offset: Some(offset),
        };
        if self.meta.is_none() || len == 0 {
            return Ok(data(len));
        }
        while self
            .status
            .front()
            .is_some_and(|c| c.start + c.len <= offset || c.start > offset)
        {
            self.status.pop_front();
        }
        if self.status.is_empty() {
            let q = len.min(STATUS_QUERY) as u32;
            let ops = [Op {
                typ: CMD_BLOCK_STATUS,
                flags: 0,
                offset,
                len: q,
                buf_off: 0,
            }];
            self.run_ops(&ops, None, None)?;
        }
        let Some(c) = self
            .status
            .front()
            .copied()
            .filter(|c| c.start == offset || (c.start < offset && c.start + c.len > offset))
        else {
            // A server that answered nothing usable: claim data.
            return Ok(data(len.min(self.max_block)));
        };
        let n = (c.start + c.len - offset).min(len);
        // As qemu reports an NBD export: present everywhere, data unless
        // the server says hole.
        Ok(Extent {
            len: n,
            allocated: true,
            data: c.flags & STATE_HOLE == 0,
            zero: c.flags & STATE_ZERO != 0,
            compressed: false,
            offset: Some(offset),
        })
    }
    fn resize(&mut self, _new_len: u64, _allow_shrink: bool) -> Result<()> {
        Err(BlockError::Unsupported("resizing an NBD export".into()))
    }
    /// The URL, which qemu shows where a file name would be (`map`).
    fn file_path(&self) -> Option<std::path::PathBuf> {
        (!self.desc.is_empty()).then(|| std::path::PathBuf::from(&self.desc))
    }
    fn close(&mut self) -> Result<()> {
        let r = self.flush();
        self.disc();
        r
    }
}

impl Drop for NbdClient {
    fn drop(&mut self) {
        if !self.broken && !self.read_only {
            let _ = self.flush();
        }
        self.disc();
    }
}

impl std::fmt::Debug for NbdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NbdClient({}, {} bytes)", self.desc, self.size)
    }
}

/// `info`'s JSON for an NBD export, as qemu-img prints it: a raw format
/// node over an `nbd` protocol node, no disk size.
pub fn info_json(url: &str, size: u64) -> crate::json::Json {
    use crate::json::Json;
    let child = Json::obj()
        .with("children", Json::Arr(vec![]))
        .with("virtual-size", size)
        .with("filename", url)
        .with("format", "nbd");
    Json::obj()
        .with(
            "children",
            Json::Arr(vec![Json::obj().with("name", "file").with("info", child)]),
        )
        .with("virtual-size", size)
        .with("filename", url)
        .with("format", "raw")
}

/// "Creating" an image on an NBD export (`create`, `convert` without -n):
/// the export exists already, so check that it is large enough and make it
/// read as zeroes, which is what a new image reads as.
pub fn create_on_export(url: &str, fmt: &str, size: u64) -> Result<()> {
    if fmt != "raw" {
        return Err(BlockError::Unsupported(format!(
            "creating a {fmt} image on an NBD export"
        )));
    }
    let mut c = NbdClient::open_url(url, None, false)?;
    if c.length() < size {
        return Err(BlockError::Other(format!(
            "Could not create '{url}': the export is smaller ({} bytes) than the image ({size} bytes)",
            c.length()
        )));
    }
    let len = c.length();
    c.write_zeroes(0, len, true)?;
    c.close()
}
