//! Test-side helpers for system-mode guests: the serial console collected
//! from the child's stdout, and a QMP client over a unix socket.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The guest's serial output, collected by a thread as it arrives.
pub struct Console(Arc<Mutex<String>>);

impl Console {
    pub fn start(child: &mut Child) -> Console {
        let text = Arc::new(Mutex::new(String::new()));
        let t = text.clone();
        let mut out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                t.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Console(text)
    }
    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
    pub fn wait_for(&self, what: &str, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if self.text().contains(what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

/// A QMP client: replies in order, events collected on the side.
pub struct Qmp {
    out: UnixStream,
    lines: BufReader<UnixStream>,
    pub events: Vec<Value>,
}

impl Qmp {
    pub fn connect(path: &Path, limit: Duration) -> Result<Qmp, String> {
        let end = Instant::now() + limit;
        loop {
            match UnixStream::connect(path) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
                    let r = s.try_clone().map_err(|e| e.to_string())?;
                    return Ok(Qmp {
                        out: s,
                        lines: BufReader::new(r),
                        events: Vec::new(),
                    });
                }
                Err(e) if Instant::now() > end => return Err(format!("connect: {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    pub fn read(&mut self) -> Result<Value, String> {
        let mut l = String::new();
        match self.lines.read_line(&mut l) {
            Ok(0) => Err("monitor closed the connection".into()),
            Ok(_) => serde_json::from_str(&l).map_err(|e| format!("bad JSON {l:?}: {e}")),
            Err(e) => Err(format!("read: {e}")),
        }
    }
    /// Sends raw text and returns the next reply (not an event).
    pub fn raw(&mut self, text: &str) -> Result<Value, String> {
        self.out
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string())?;
        loop {
            let v = self.read()?;
            if v.get("event").is_some() {
                self.events.push(v);
            } else {
                return Ok(v);
            }
        }
    }
    pub fn cmd(&mut self, c: Value) -> Result<Value, String> {
        self.raw(&format!("{c}\n"))
    }
    pub fn event(&mut self, name: &str, limit: Duration) -> Result<Value, String> {
        let end = Instant::now() + limit;
        loop {
            if let Some(i) = self.events.iter().position(|e| e["event"] == name) {
                return Ok(self.events.remove(i));
            }
            if Instant::now() > end {
                return Err(format!("no {name} event; got {:?}", self.events));
            }
            let v = self.read()?;
            self.events.push(v);
        }
    }
}
