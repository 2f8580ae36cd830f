//! The transmission phase of one connection: a reader (the connection's
//! thread) parses requests and hands them to a few worker threads, which
//! run them against the export and send the replies under a writer lock,
//! so many requests of one client are in flight at once. The bytes held
//! by in-flight requests are bounded.

use super::export::{Export, NbdErr, NbdResult};
use super::negotiate::Negotiated;
use crate::nbd::proto::*;
use crate::nbd::stream::{write_all_vectored, Stream};
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Condvar, Mutex};

/// Worker threads per connection.
const WORKERS: usize = 4;
/// Requests queued per connection beyond those being worked on.
const QUEUE: usize = 64;
/// Payload bytes (write data read, read data to send) in flight per
/// connection.
const BUDGET: u64 = 96 << 20;
/// Most block-status descriptors in one reply.
const MAX_EXTENTS: usize = 4096;
/// Block-status extents looked at to find holes in one structured read.
const READ_EXTENTS: usize = 256;

/// A counting semaphore over bytes.
struct Budget {
    left: Mutex<u64>,
    cv: Condvar,
}

impl Budget {
    fn acquire(&self, n: u64) -> u64 {
        let n = n.min(BUDGET);
        let mut l = self.left.lock().unwrap_or_else(|p| p.into_inner());
        while *l < n {
            l = self.cv.wait(l).unwrap_or_else(|p| p.into_inner());
        }
        *l -= n;
        n
    }
    fn release(&self, n: u64) {
        if n == 0 {
            return;
        }
        let mut l = self.left.lock().unwrap_or_else(|p| p.into_inner());
        *l += n;
        self.cv.notify_all();
    }
}

/// The sending half: replies from all workers, one at a time.
struct Writer {
    s: Mutex<Stream>,
    dead: AtomicBool,
}

impl Writer {
    fn send(&self, parts: &[&[u8]]) {
        if self.dead.load(Ordering::Acquire) {
            return;
        }
        let mut g = self.s.lock().unwrap_or_else(|p| p.into_inner());
        if write_all_vectored(&mut *g, parts).is_err() {
            self.dead.store(true, Ordering::Release);
            // Wakes the reader so the connection ends.
            g.shutdown();
        }
    }
}

struct Conn<'a> {
    export: &'a Export,
    structured: bool,
    base_allocation: Option<u32>,
    writer: Writer,
    budget: Budget,
}

struct Job {
    req: Request,
    payload: Vec<u8>,
    /// Budget bytes to give back when done.
    held: u64,
}

impl Conn<'_> {
    fn error_reply(&self, cookie: u64, e: &NbdErr) {
        let code = if e.code == 0 { EIO } else { e.code };
        if self.structured {
            let msg = &e.msg.as_bytes()[..e.msg.len().min(MAX_STRING)];
            let mut p = Vec::with_capacity(6 + msg.len());
            p.extend_from_slice(&code.to_be_bytes());
            p.extend_from_slice(&(msg.len() as u16).to_be_bytes());
            p.extend_from_slice(msg);
            let h = chunk_header(REPLY_FLAG_DONE, REPLY_TYPE_ERROR, cookie, p.len() as u32);
            self.writer.send(&[&h, &p]);
        } else {
            self.writer.send(&[&simple_reply(code, cookie)]);
        }
    }

    fn ok_reply(&self, cookie: u64) {
        self.writer.send(&[&simple_reply(0, cookie)]);
    }

    fn check_flags(&self, r: &Request) -> NbdResult<()> {
        let allowed = CMD_FLAG_FUA
            | match r.typ {
                CMD_READ if self.structured => CMD_FLAG_DF,
                CMD_WRITE_ZEROES => CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO,
                CMD_BLOCK_STATUS => CMD_FLAG_REQ_ONE,
                _ => 0,
            };
        if r.flags & !allowed != 0 {
            return Err(NbdErr::new(
                EINVAL,
                format!("invalid flags {:#x} for {}", r.flags, cmd_name(r.typ)),
            ));
        }
        Ok(())
    }

    fn run(&self, job: Job) {
        let r = job.req;
        let fua = r.flags & CMD_FLAG_FUA != 0;
        let res = self.check_flags(&r).and_then(|()| match r.typ {
            CMD_READ => self.read(&r).map(|()| false),
            CMD_WRITE => self
                .export
                .write(r.offset, &job.payload, fua)
                .map(|()| true),
            CMD_FLUSH => self.export.flush().map(|()| true),
            CMD_TRIM => self.export.trim(r.offset, r.len as u64, fua).map(|()| true),
            CMD_WRITE_ZEROES => self
                .export
                .write_zeroes(
                    r.offset,
                    r.len as u64,
                    r.flags & CMD_FLAG_NO_HOLE != 0,
                    r.flags & CMD_FLAG_FAST_ZERO != 0,
                    fua,
                )
                .map(|()| true),
            CMD_CACHE => self.export.cache(r.offset, r.len as u64).map(|()| true),
            CMD_BLOCK_STATUS => self.block_status(&r).map(|()| false),
            t => Err(NbdErr::new(EINVAL, format!("unknown command {t}"))),
        });
        match res {
            Ok(true) => self.ok_reply(r.cookie),
            Ok(false) => {}
            Err(e) => self.error_reply(r.cookie, &e),
        }
        drop(job.payload);
        self.budget.release(job.held);
    }

    fn read(&self, r: &Request) -> NbdResult<()> {
        let len = r.len as u64;
        if r.len > MAX_PAYLOAD {
            return Err(NbdErr::new(
                EINVAL,
                format!("read of {len} bytes is too large"),
            ));
        }
        if r.offset
            .checked_add(len)
            .is_none_or(|e| e > self.export.size)
        {
            return Err(NbdErr::new(EINVAL, "read beyond the end of the export"));
        }
        if !self.structured {
            let mut buf = vec![0u8; r.len as usize];
            self.export.read(r.offset, &mut buf)?;
            self.writer.send(&[&simple_reply(0, r.cookie), &buf]);
            return Ok(());
        }
        if len == 0 {
            let h = chunk_header(REPLY_FLAG_DONE, REPLY_TYPE_NONE, r.cookie, 0);
            self.writer.send(&[&h]);
            return Ok(());
        }
        // Holes (ranges known to read as zero) are sent as hole chunks
        // unless the client asked for one piece.
        let extents = if r.flags & CMD_FLAG_DF != 0 {
            Vec::new()
        } else {
            self.export
                .block_status(r.offset, len, READ_EXTENTS)
                .unwrap_or_default()
        };
        let mut spans: Vec<(u64, u64, bool)> = Vec::new(); // (offset, len, hole)
        let mut off = r.offset;
        for e in &extents {
            let n = e.len.min(r.offset + len - off);
            if n == 0 {
                break;
            }
            let hole = e.flags & STATE_ZERO != 0;
            match spans.last_mut() {
                Some(l) if l.2 == hole => l.1 += n,
                _ => spans.push((off, n, hole)),
            }
            off += n;
        }
        if off < r.offset + len {
            match spans.last_mut() {
                Some(l) if !l.2 => l.1 += r.offset + len - off,
                _ => spans.push((off, r.offset + len - off, false)),
            }
        }
        let mut buf = vec![0u8; r.len as usize];
        for &(o, n, hole) in &spans {
            if !hole {
                let s = (o - r.offset) as usize;
                self.export.read(o, &mut buf[s..s + n as usize])?;
            }
        }
        let mut heads: Vec<Vec<u8>> = Vec::with_capacity(spans.len());
        for (i, &(o, n, hole)) in spans.iter().enumerate() {
            let flags = if i + 1 == spans.len() {
                REPLY_FLAG_DONE
            } else {
                0
            };
            let mut h = Vec::with_capacity(32);
            if hole {
                h.extend_from_slice(&chunk_header(flags, REPLY_TYPE_OFFSET_HOLE, r.cookie, 12));
                h.extend_from_slice(&o.to_be_bytes());
                h.extend_from_slice(&(n as u32).to_be_bytes());
            } else {
                let clen = 8 + n as u32;
                h.extend_from_slice(&chunk_header(flags, REPLY_TYPE_OFFSET_DATA, r.cookie, clen));
                h.extend_from_slice(&o.to_be_bytes());
            }
            heads.push(h);
        }
        let mut parts: Vec<&[u8]> = Vec::with_capacity(spans.len() * 2);
        for (h, &(o, n, hole)) in heads.iter().zip(&spans) {
            parts.push(h);
            if !hole {
                let s = (o - r.offset) as usize;
                parts.push(&buf[s..s + n as usize]);
            }
        }
        self.writer.send(&parts);
        Ok(())
    }

    fn block_status(&self, r: &Request) -> NbdResult<()> {
        let Some(id) = self.base_allocation.filter(|_| self.structured) else {
            return Err(NbdErr::new(EINVAL, "no metadata context was negotiated"));
        };
        if r.len == 0 {
            return Err(NbdErr::new(EINVAL, "block status of an empty range"));
        }
        let max = if r.flags & CMD_FLAG_REQ_ONE != 0 {
            1
        } else {
            MAX_EXTENTS
        };
        let ext = self.export.block_status(r.offset, r.len as u64, max)?;
        let mut p = Vec::with_capacity(4 + 8 * ext.len());
        p.extend_from_slice(&id.to_be_bytes());
        for e in &ext {
            p.extend_from_slice(&(e.len as u32).to_be_bytes());
            p.extend_from_slice(&e.flags.to_be_bytes());
        }
        let h = chunk_header(
            REPLY_FLAG_DONE,
            REPLY_TYPE_BLOCK_STATUS,
            r.cookie,
            p.len() as u32,
        );
        self.writer.send(&[&h, &p]);
        Ok(())
    }
}

/// Reads until `buf` is full or the peer closes; returns the bytes read.
fn read_full(s: &Stream, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    let mut r = s;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn worker(conn: &Conn, rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let g = rx.lock().unwrap_or_else(|p| p.into_inner());
            g.recv()
        };
        match job {
            Ok(j) => conn.run(j),
            Err(_) => return,
        }
    }
}

/// Serves one negotiated connection until NBD_CMD_DISC, a disconnect or a
/// protocol violation. `Ok` for a clean end; `Err` carries the reason for
/// the log line. In-flight requests complete and written data is flushed
/// before this returns.
pub fn serve(s: Stream, n: Negotiated, stop: &AtomicBool) -> Result<(), String> {
    let reader = s
        .try_clone()
        .map_err(|e| format!("cannot clone socket: {e}"))?;
    let conn = Conn {
        export: &n.export,
        structured: n.structured,
        base_allocation: n.base_allocation,
        writer: Writer {
            s: Mutex::new(s),
            dead: AtomicBool::new(false),
        },
        budget: Budget {
            left: Mutex::new(BUDGET),
            cv: Condvar::new(),
        },
    };
    let (tx, rx) = sync_channel::<Job>(QUEUE);
    let rx = Mutex::new(rx);
    let result = std::thread::scope(|sc| {
        for _ in 0..WORKERS {
            sc.spawn(|| worker(&conn, &rx));
        }
        let r = read_loop(&reader, &conn, &tx, stop);
        if r.is_err() {
            // Replies to a client being dropped are useless: unblock any
            // worker waiting to send one (the I/O itself still completes).
            reader.shutdown();
        }
        drop(tx);
        r
    });
    let flushed = n.export.flush_if_dirty();
    reader.shutdown();
    result?;
    flushed.map_err(|e| format!("flush on disconnect failed: {}", e.msg))
}

fn read_loop(
    s: &Stream,
    conn: &Conn,
    tx: &std::sync::mpsc::SyncSender<Job>,
    stop: &AtomicBool,
) -> Result<(), String> {
    loop {
        let mut h = [0u8; REQUEST_LEN];
        let got = read_full(s, &mut h).map_err(|e| {
            if conn.writer.dead.load(Ordering::Acquire) {
                "client stopped reading replies".to_string()
            } else {
                format!("read error: {e}")
            }
        })?;
        if stop.load(Ordering::Acquire) {
            return Ok(());
        }
        if got == 0 {
            if conn.writer.dead.load(Ordering::Acquire) {
                return Err("client stopped reading replies".into());
            }
            return Err("client disconnected without NBD_CMD_DISC".into());
        }
        if got < REQUEST_LEN {
            return Err(format!(
                "client disconnected in the middle of a request header ({got} of {REQUEST_LEN} bytes)"
            ));
        }
        let Some(req) = Request::decode(&h) else {
            return Err(format!("bad request magic {:#x}", be32(&h[0..4])));
        };
        match req.typ {
            CMD_DISC => return Ok(()),
            CMD_WRITE => {
                if req.len > MAX_PAYLOAD {
                    return Err(format!(
                        "write of {} bytes exceeds the {MAX_PAYLOAD}-byte limit",
                        req.len
                    ));
                }
                let held = conn.budget.acquire(req.len as u64);
                let mut payload = vec![0u8; req.len as usize];
                let got = read_full(s, &mut payload).map_err(|e| format!("read error: {e}"));
                match got {
                    Ok(g) if g == payload.len() => {}
                    Ok(g) => {
                        conn.budget.release(held);
                        return Err(format!(
                            "client disconnected in the middle of a write payload ({g} of {} bytes)",
                            req.len
                        ));
                    }
                    Err(e) => {
                        conn.budget.release(held);
                        return Err(e);
                    }
                }
                send(tx, Job { req, payload, held })?;
            }
            CMD_READ => {
                let held = if req.len <= MAX_PAYLOAD {
                    conn.budget.acquire(req.len as u64)
                } else {
                    0
                };
                send(
                    tx,
                    Job {
                        req,
                        payload: Vec::new(),
                        held,
                    },
                )?;
            }
            _ => send(
                tx,
                Job {
                    req,
                    payload: Vec::new(),
                    held: 0,
                },
            )?,
        }
    }
}

fn send(tx: &std::sync::mpsc::SyncSender<Job>, j: Job) -> Result<(), String> {
    tx.send(j)
        .map_err(|_| "worker threads are gone".to_string())
}
