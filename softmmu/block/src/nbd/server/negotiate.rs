//! The handshake: fixed newstyle negotiation and option haggling, up to the
//! moment the client enters transmission (NBD_OPT_EXPORT_NAME or a
//! successful NBD_OPT_GO), aborts, or breaks the protocol.

use super::export::Export;
use crate::nbd::proto::*;
use crate::nbd::stream::{write_all_vectored, Stream};
use std::io::{self, Read};
use std::sync::Arc;

/// What the client chose.
pub struct Negotiated {
    pub export: Arc<Export>,
    pub structured: bool,
    /// The id of `base:allocation` when the client selected it.
    pub base_allocation: Option<u32>,
}

pub enum Outcome {
    Transmit(Negotiated),
    /// NBD_OPT_ABORT: a clean end.
    Aborted,
}

/// The context id Mimic gives `base:allocation`.
const BASE_ALLOCATION_ID: u32 = 1;

/// Most options one connection may send (a client looping on options is
/// told to go away).
const MAX_OPTIONS: usize = 10_000;

/// Finds an export by name; the empty name selects the only export.
pub fn find<'a>(exports: &'a [Arc<Export>], name: &str) -> Option<&'a Arc<Export>> {
    exports.iter().find(|e| e.name == name).or(match exports {
        [only] if name.is_empty() => Some(only),
        _ => None,
    })
}

struct State<'a> {
    s: &'a Stream,
    exports: &'a [Arc<Export>],
    no_zeroes: bool,
    structured: bool,
    /// Export name and selected context id from the last SET_META_CONTEXT.
    meta: Option<(String, Option<u32>)>,
}

fn read_exact(s: &Stream, b: &mut [u8], what: &str) -> Result<(), String> {
    let mut r = s;
    r.read_exact(b).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => format!("client disconnected during {what}"),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("client timed out during {what}")
        }
        _ => format!("read error during {what}: {e}"),
    })
}

impl State<'_> {
    fn reply(&self, opt: u32, typ: u32, data: &[u8]) -> Result<(), String> {
        let h = option_reply_header(opt, typ, data.len() as u32);
        let mut w = self.s;
        write_all_vectored(&mut w, &[&h, data]).map_err(|e| format!("write error: {e}"))
    }

    fn error(&self, opt: u32, typ: u32, msg: &str) -> Result<(), String> {
        self.reply(opt, typ, msg.as_bytes())
    }

    fn info_replies(&self, opt: u32, e: &Export, requests: &[u16]) -> Result<(), String> {
        let mut d = Vec::with_capacity(12);
        d.extend_from_slice(&INFO_EXPORT.to_be_bytes());
        d.extend_from_slice(&e.size.to_be_bytes());
        d.extend_from_slice(&e.transmission_flags(self.structured).to_be_bytes());
        self.reply(opt, REP_INFO, &d)?;
        if requests.contains(&INFO_NAME) {
            let mut d = INFO_NAME.to_be_bytes().to_vec();
            d.extend_from_slice(e.name.as_bytes());
            self.reply(opt, REP_INFO, &d)?;
        }
        if requests.contains(&INFO_DESCRIPTION) && !e.description.is_empty() {
            let mut d = INFO_DESCRIPTION.to_be_bytes().to_vec();
            d.extend_from_slice(e.description.as_bytes());
            self.reply(opt, REP_INFO, &d)?;
        }
        // Always sent: it is how clients learn the 32 MiB request limit.
        let mut d = INFO_BLOCK_SIZE.to_be_bytes().to_vec();
        d.extend_from_slice(&1u32.to_be_bytes());
        d.extend_from_slice(&PREFERRED_BLOCK.to_be_bytes());
        d.extend_from_slice(&MAX_PAYLOAD.to_be_bytes());
        self.reply(opt, REP_INFO, &d)
    }

    /// NBD_OPT_INFO / NBD_OPT_GO. Returns the export when GO succeeded.
    fn info_go(&mut self, opt: u32, data: &[u8]) -> Result<Option<Arc<Export>>, String> {
        let mut c = Cursor::new(data);
        let parsed = (|| {
            let name = c.string32()?;
            let n = c.u16()? as usize;
            let mut reqs = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                reqs.push(c.u16()?);
            }
            (c.remaining() == 0).then_some((name, reqs))
        })();
        let Some((name, reqs)) = parsed else {
            self.error(opt, REP_ERR_INVALID, "malformed NBD_OPT_INFO/GO request")?;
            return Ok(None);
        };
        let Some(e) = find(self.exports, &name).cloned() else {
            self.error(
                opt,
                REP_ERR_UNKNOWN,
                &format!("export '{name}' not present"),
            )?;
            return Ok(None);
        };
        self.info_replies(opt, &e, &reqs)?;
        self.reply(opt, REP_ACK, &[])?;
        Ok((opt == OPT_GO).then_some(e))
    }

    /// NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT.
    fn meta_context(&mut self, opt: u32, data: &[u8]) -> Result<(), String> {
        let set = opt == OPT_SET_META_CONTEXT;
        if set {
            // Replaces the previous selection even when this one fails.
            self.meta = None;
        }
        if !self.structured {
            return self.error(
                opt,
                REP_ERR_INVALID,
                "structured replies must be negotiated first",
            );
        }
        let mut c = Cursor::new(data);
        let parsed = (|| {
            let name = c.string32()?;
            let n = c.u32()? as usize;
            // Each query needs at least its 4-byte length.
            if n > c.remaining() / 4 {
                return None;
            }
            let mut qs = Vec::with_capacity(n);
            for _ in 0..n {
                qs.push(c.string32()?);
            }
            (c.remaining() == 0).then_some((name, qs))
        })();
        let Some((name, queries)) = parsed else {
            return self.error(opt, REP_ERR_INVALID, "malformed meta context request");
        };
        if find(self.exports, &name).is_none() {
            return self.error(
                opt,
                REP_ERR_UNKNOWN,
                &format!("export '{name}' not present"),
            );
        }
        let mut selected = false;
        if queries.is_empty() {
            // LIST with no query lists everything; SET with none selects none.
            selected = !set;
        }
        for q in &queries {
            if !q.contains(':') {
                return self.error(opt, REP_ERR_INVALID, &format!("invalid query '{q}'"));
            }
            if q == CONTEXT_BASE_ALLOCATION || (!set && q == "base:") {
                selected = true;
            }
        }
        if selected {
            let mut d = if set {
                BASE_ALLOCATION_ID.to_be_bytes().to_vec()
            } else {
                vec![0; 4]
            };
            d.extend_from_slice(CONTEXT_BASE_ALLOCATION.as_bytes());
            self.reply(opt, REP_META_CONTEXT, &d)?;
        }
        if set {
            self.meta = Some((name, selected.then_some(BASE_ALLOCATION_ID)));
        }
        self.reply(opt, REP_ACK, &[])
    }

    fn negotiated(&self, export: Arc<Export>) -> Negotiated {
        let base_allocation = match &self.meta {
            Some((n, id)) if find(self.exports, n).is_some_and(|e| Arc::ptr_eq(e, &export)) => *id,
            _ => None,
        };
        Negotiated {
            export,
            structured: self.structured,
            base_allocation,
        }
    }
}

/// Runs the handshake on a fresh connection. `Err` carries the reason the
/// connection must be closed (for the log line).
pub fn negotiate(s: &Stream, exports: &[Arc<Export>]) -> Result<Outcome, String> {
    let mut hello = Vec::with_capacity(18);
    hello.extend_from_slice(&NBDMAGIC.to_be_bytes());
    hello.extend_from_slice(&IHAVEOPT.to_be_bytes());
    hello.extend_from_slice(&(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES).to_be_bytes());
    {
        let mut w = s;
        write_all_vectored(&mut w, &[&hello]).map_err(|e| format!("write error: {e}"))?;
    }
    let mut cf = [0u8; 4];
    read_exact(s, &mut cf, "the handshake")?;
    let cflags = u32::from_be_bytes(cf);
    if cflags & !(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES) != 0 {
        return Err(format!("unknown client flags {cflags:#x}"));
    }
    let mut st = State {
        s,
        exports,
        no_zeroes: cflags & FLAG_C_NO_ZEROES != 0,
        structured: false,
        meta: None,
    };
    for _ in 0..MAX_OPTIONS {
        let mut h = [0u8; 16];
        read_exact(s, &mut h, "option haggling")?;
        if be64(&h[0..8]) != IHAVEOPT {
            return Err(format!("bad option magic {:#x}", be64(&h[0..8])));
        }
        let opt = be32(&h[8..12]);
        let len = be32(&h[12..16]);
        if len > MAX_OPTION_LEN {
            return Err(format!("option {opt} length {len} is too large"));
        }
        let mut data = vec![0u8; len as usize];
        read_exact(s, &mut data, "option haggling")?;
        match opt {
            OPT_EXPORT_NAME => {
                let name = String::from_utf8_lossy(&data).into_owned();
                let Some(e) = find(exports, &name).cloned() else {
                    return Err(format!("client asked for unknown export '{name}'"));
                };
                let mut d = Vec::with_capacity(134);
                d.extend_from_slice(&e.size.to_be_bytes());
                d.extend_from_slice(&e.transmission_flags(st.structured).to_be_bytes());
                if !st.no_zeroes {
                    d.extend_from_slice(&[0u8; 124]);
                }
                let mut w = s;
                write_all_vectored(&mut w, &[&d]).map_err(|e| format!("write error: {e}"))?;
                return Ok(Outcome::Transmit(st.negotiated(e)));
            }
            OPT_ABORT => {
                let _ = st.reply(opt, REP_ACK, &[]);
                return Ok(Outcome::Aborted);
            }
            OPT_LIST => {
                if !data.is_empty() {
                    st.error(opt, REP_ERR_INVALID, "NBD_OPT_LIST takes no data")?;
                    continue;
                }
                for e in exports {
                    let mut d = (e.name.len() as u32).to_be_bytes().to_vec();
                    d.extend_from_slice(e.name.as_bytes());
                    d.extend_from_slice(e.description.as_bytes());
                    st.reply(opt, REP_SERVER, &d)?;
                }
                st.reply(opt, REP_ACK, &[])?;
            }
            OPT_INFO | OPT_GO => {
                if let Some(e) = st.info_go(opt, &data)? {
                    return Ok(Outcome::Transmit(st.negotiated(e)));
                }
            }
            OPT_STRUCTURED_REPLY => {
                if !data.is_empty() {
                    st.error(
                        opt,
                        REP_ERR_INVALID,
                        "NBD_OPT_STRUCTURED_REPLY takes no data",
                    )?;
                } else if st.structured {
                    st.error(
                        opt,
                        REP_ERR_INVALID,
                        "structured replies already negotiated",
                    )?;
                } else {
                    st.structured = true;
                    st.reply(opt, REP_ACK, &[])?;
                }
            }
            OPT_LIST_META_CONTEXT | OPT_SET_META_CONTEXT => st.meta_context(opt, &data)?,
            OPT_STARTTLS => st.error(opt, REP_ERR_UNSUP, "TLS is not supported")?,
            _ => st.error(
                opt,
                REP_ERR_UNSUP,
                &format!("option {opt} is not supported"),
            )?,
        }
    }
    Err("too many options".into())
}
