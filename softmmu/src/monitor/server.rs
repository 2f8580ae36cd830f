//! QMP sessions: the listening socket (unix or TCP), one thread per
//! client, the greeting, capabilities negotiation, command replies (with
//! the client's `id` echoed) and events to every negotiated client.
//! Malformed input gets an error reply and the session goes on.

use super::commands::{self, generic, not_found, Args, QmpError};
use super::framing::{Framer, Piece};
use super::{QmpAddr, QmpSpec};
use crate::machine::{Event, Machine, Shutdown};
use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A client that stops reading does not hold up the machine longer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) enum Listener {
    Unix(UnixListener),
    Tcp(TcpListener),
}

pub(crate) type Stream = (Box<dyn Read + Send>, Box<dyn Write + Send>);

impl Listener {
    pub(crate) fn bind(addr: &QmpAddr) -> Result<Listener, String> {
        match addr {
            QmpAddr::Unix(p) => {
                // A socket left by an earlier run is replaced (not other files).
                if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_socket()) {
                    let _ = std::fs::remove_file(p);
                }
                UnixListener::bind(p)
                    .map(Listener::Unix)
                    .map_err(|e| format!("-qmp unix:{}: {e}", p.display()))
            }
            QmpAddr::Tcp(hp) => TcpListener::bind(hp)
                .map(Listener::Tcp)
                .map_err(|e| format!("-qmp tcp:{hp}: {e}")),
        }
    }

    pub(crate) fn accept(&self) -> std::io::Result<Stream> {
        match self {
            Listener::Unix(l) => {
                let (s, _) = l.accept()?;
                s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                let r: UnixStream = s.try_clone()?;
                Ok((Box::new(r), Box::new(s)))
            }
            Listener::Tcp(l) => {
                let (s, _) = l.accept()?;
                s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                let _ = s.set_nodelay(true);
                let r: TcpStream = s.try_clone()?;
                Ok((Box::new(r), Box::new(s)))
            }
        }
    }
}

struct Client {
    out: Mutex<Box<dyn Write + Send>>,
    negotiated: AtomicBool,
}

impl Client {
    fn send(&self, v: &Value) -> bool {
        let mut line = v.to_string();
        line.push_str("\r\n");
        match self.out.lock() {
            Ok(mut o) => o.write_all(line.as_bytes()).and_then(|_| o.flush()).is_ok(),
            Err(_) => false,
        }
    }
}

/// The connected clients of one monitor.
#[derive(Default)]
struct Hub {
    clients: Mutex<Vec<Arc<Client>>>,
}

impl Hub {
    fn broadcast(&self, v: &Value) {
        if let Ok(c) = self.clients.lock() {
            for c in c.iter().filter(|c| c.negotiated.load(Ordering::SeqCst)) {
                c.send(v);
            }
        }
    }
    fn remove(&self, c: &Arc<Client>) {
        if let Ok(mut v) = self.clients.lock() {
            v.retain(|x| !Arc::ptr_eq(x, c));
        }
    }
}

fn timestamp() -> Value {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    json!({ "seconds": d.as_secs(), "microseconds": d.subsec_micros() })
}

fn event_json(e: &Event) -> Value {
    let (name, data) = match e {
        Event::Shutdown(why) => (
            "SHUTDOWN",
            Some(json!({ "guest": why.guest(), "reason": why.cause() })),
        ),
        Event::Reset(why) => (
            "RESET",
            Some(json!({ "guest": why.guest(), "reason": why.cause() })),
        ),
        Event::Stop => ("STOP", None),
        Event::Resume => ("RESUME", None),
        Event::Powerdown => ("POWERDOWN", None),
        Event::BlockIoError(f) => (
            "BLOCK_IO_ERROR",
            Some(json!({
                "device": f.device,
                "node-name": f.node_name,
                "operation": if f.write { "write" } else { "read" },
                "action": f.action.name(),
                "nospace": f.nospace,
                "reason": f.reason,
            })),
        ),
        Event::DumpCompleted(st) => {
            let mut d = json!({ "result": st.json() });
            if let (Some(err), Value::Object(o)) = (&st.error, &mut d) {
                o.insert("error".into(), json!(err));
            }
            ("DUMP_COMPLETED", Some(d))
        }
    };
    let mut v = json!({ "timestamp": timestamp(), "event": name });
    if let (Some(d), Value::Object(m)) = (data, &mut v) {
        m.insert("data".into(), d);
    }
    v
}

pub fn start(m: Arc<Machine>, spec: &QmpSpec) -> Result<(), String> {
    let listener = Listener::bind(&spec.addr)?;
    let hub = Arc::new(Hub::default());
    let h = hub.clone();
    m.listen(Box::new(move |e| h.broadcast(&event_json(e))));
    if spec.wait {
        let s = listener
            .accept()
            .map_err(|e| format!("-qmp: waiting for a client: {e}"))?;
        spawn_session(&m, &hub, s);
    }
    std::thread::Builder::new()
        .name("qmp".into())
        .spawn(move || loop {
            match listener.accept() {
                Ok(s) => spawn_session(&m, &hub, s),
                Err(e) => {
                    tracing::warn!(target: "unimp", "qmp: accept: {e}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
        .map_err(|e| format!("-qmp: cannot start the monitor thread: {e}"))?;
    Ok(())
}

fn spawn_session(m: &Arc<Machine>, hub: &Arc<Hub>, (reader, writer): Stream) {
    let client = Arc::new(Client {
        out: Mutex::new(writer),
        negotiated: AtomicBool::new(false),
    });
    if let Ok(mut c) = hub.clients.lock() {
        c.push(client.clone());
    }
    let (m, hub) = (m.clone(), hub.clone());
    let r = std::thread::Builder::new()
        .name("qmp-session".into())
        .spawn(move || {
            session(&m, &client, reader);
            hub.remove(&client);
        });
    if let Err(e) = r {
        tracing::warn!(target: "unimp", "qmp: cannot start a session thread: {e}");
    }
}

fn greeting() -> Value {
    let v: Vec<u64> = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|x| x.parse().unwrap_or(0))
        .chain(std::iter::repeat(0))
        .take(3)
        .collect();
    json!({ "QMP": {
        "version": {
            "qemu": { "major": v[0], "minor": v[1], "micro": v[2] },
            "package": format!("mimic {}", env!("CARGO_PKG_VERSION")),
        },
        "capabilities": [],
    }})
}

fn session(m: &Arc<Machine>, c: &Arc<Client>, mut reader: Box<dyn Read + Send>) {
    if !c.send(&greeting()) {
        return;
    }
    let mut framer = Framer::default();
    let mut buf = [0u8; 4096];
    let mut first = true;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if first {
            // Commands see a machine whose vCPUs run (a `-qmp ...,wait=on`
            // client connects before they start).
            m.wait_started();
            first = false;
        }
        for piece in framer.push(&buf[..n]) {
            let (reply, after) = handle(m, c, piece);
            if !c.send(&reply) {
                return;
            }
            if let Some(cmd) = after {
                commands::after_reply(m, &cmd);
            }
        }
    }
}

fn error_reply(e: QmpError, id: Option<Value>) -> Value {
    let mut v = json!({ "error": { "class": e.class, "desc": e.desc } });
    if let (Some(id), Value::Object(o)) = (id, &mut v) {
        o.insert("id".into(), id);
    }
    v
}

/// One request: the reply, and the command to finish after replying.
fn handle(m: &Arc<Machine>, c: &Client, piece: Piece) -> (Value, Option<String>) {
    let text = match piece {
        Piece::Text(t) => t,
        Piece::Error(e) => return (error_reply(generic(e), None), None),
    };
    let obj = match serde_json::from_slice::<Value>(&text) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return (
                error_reply(generic("QMP input must be a JSON object"), None),
                None,
            )
        }
        Err(e) => {
            return (
                error_reply(generic(format!("JSON parse error, {e}")), None),
                None,
            )
        }
    };
    let mut obj = obj;
    let id = obj.remove("id");
    match request(m, c, obj) {
        Ok((ret, name)) => {
            let mut v = json!({ "return": ret });
            if let (Some(id), Value::Object(o)) = (id, &mut v) {
                o.insert("id".into(), id);
            }
            (v, Some(name))
        }
        Err(e) => (error_reply(e, id), None),
    }
}

fn request(
    m: &Arc<Machine>,
    c: &Client,
    mut obj: Map<String, Value>,
) -> Result<(Value, String), QmpError> {
    if obj.contains_key("exec-oob") {
        return Err(generic(
            "QMP input member 'exec-oob' is not allowed: out-of-band is not enabled",
        ));
    }
    let name = match obj.remove("execute") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(generic("QMP input member 'execute' must be a string")),
        None => return Err(generic("QMP input lacks member 'execute'")),
    };
    let args = match obj.remove("arguments") {
        None => Map::new(),
        Some(Value::Object(a)) => a,
        Some(_) => return Err(generic("QMP input member 'arguments' must be an object")),
    };
    if let Some(k) = obj.keys().next() {
        return Err(generic(format!("QMP input member '{k}' is unexpected")));
    }
    let mut args = Args::new(args);
    if name == "qmp_capabilities" {
        if c.negotiated.load(Ordering::SeqCst) {
            return Err(not_found(
                "Capabilities negotiation is already complete, command ignored",
            ));
        }
        if let Some(cap) = args.opt_str_list("enable")?.first() {
            return Err(generic(format!("Capability '{cap}' not available")));
        }
        args.finish()?;
        c.negotiated.store(true, Ordering::SeqCst);
        return Ok((json!({}), name));
    }
    if !c.negotiated.load(Ordering::SeqCst) {
        return Err(not_found(
            "Expecting capabilities negotiation with 'qmp_capabilities'",
        ));
    }
    if name == "quit" && m.shutdown_reason() == Some(Shutdown::Quit) {
        return Err(generic("The machine is already shutting down"));
    }
    let (r, after) = commands::execute(m, &name, args)?;
    Ok((r, after.unwrap_or_default().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::gicv2::GicV2;
    use crate::irq::Kick;
    use crate::memory::MemoryMap;

    fn machine() -> Arc<Machine> {
        let flag: &'static std::sync::atomic::AtomicU32 = Box::leak(Box::default());
        let kicks = vec![Arc::new(Kick::new(flag))];
        let gic = GicV2::new(kicks.clone());
        let cp = crate::machine::code_pages(&kicks);
        Arc::new(Machine::new(Arc::new(MemoryMap::default()), gic, kicks, cp))
    }

    /// Feeds random JSON-ish input (commands with random arguments, cut
    /// at random places, with garbage between): every text gets exactly
    /// one reply, a `return` or an `error` with a class and description.
    #[test]
    fn random_input_gets_replies_never_a_panic() {
        let m = machine();
        let c = Client {
            out: Mutex::new(Box::new(std::io::sink())),
            negotiated: AtomicBool::new(false),
        };
        let names = [
            "qmp_capabilities",
            "query-status",
            "query-block",
            "query-version",
            "query-cpus-fast",
            "query-commands",
            "block_resize",
            "quit",
            "system_reset",
            "blockdev-add",
            "blockdev-del",
            "query-named-block-nodes",
            "dump-guest-memory",
            "query-dump",
            "nope",
        ];
        let values = [
            "1",
            "-5",
            "1.5",
            "\"x\"",
            "null",
            "true",
            "[]",
            "{}",
            "[\"oob\"]",
            "1e999",
        ];
        let keys = [
            "device",
            "size",
            "enable",
            "node-name",
            "id",
            "x",
            "driver",
            "file",
            "paging",
            "protocol",
            "format",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut f = Framer::default();
        let mut replies = 0;
        for _ in 0..3000 {
            let mut t = String::new();
            match rnd(6) {
                // Garbage that ends by itself (an unbalanced text would
                // swallow what follows up to the size limit, as in QEMU).
                0 => t.push_str(["} ", "] ", "{\"a\" 1}", "[1,}", "nul ", "\"s\" "][rnd(6)]),
                1 => t.push_str(&format!("{} ", values[rnd(values.len())])),
                _ => {
                    t.push_str(&format!("{{\"execute\": \"{}\"", names[rnd(names.len())]));
                    if rnd(2) == 0 {
                        t.push_str(", \"arguments\": {");
                        for i in 0..rnd(3) {
                            if i > 0 {
                                t.push(',');
                            }
                            t.push_str(&format!(
                                "\"{}\": {}",
                                keys[rnd(keys.len())],
                                values[rnd(values.len())]
                            ));
                        }
                        t.push('}');
                    }
                    if rnd(4) == 0 {
                        t.push_str(", \"id\": 7");
                    }
                    t.push('}');
                }
            }
            let bytes = t.as_bytes();
            let cut = rnd(bytes.len() + 1);
            for part in [&bytes[..cut], &bytes[cut..]] {
                for piece in f.push(part) {
                    let (r, _) = handle(&m, &c, piece);
                    replies += 1;
                    let ok = r.get("return").is_some()
                        || (r["error"]["class"].is_string()
                            && r["error"]["desc"].as_str().is_some_and(|d| !d.is_empty()));
                    assert!(ok, "bad reply {r} to {t:?}");
                }
            }
        }
        assert!(replies > 1000, "only {replies} replies");
        assert!(c.negotiated.load(Ordering::SeqCst));
    }
}
