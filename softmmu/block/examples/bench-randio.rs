//! Replays a qemu-io command script through Mimic's block layer, so that
//! `scripts/bench-block` can time the very same random I/O load issued by
//! `qemu-io -f FMT IMAGE < SCRIPT` and by Mimic.
//!
//! Usage: bench-randio FORMAT IMAGE < SCRIPT
//!
//! Understood commands (one per line, the subset bench-block generates):
//!   writev [-q] [-P PATTERN] OFFSET LEN   (pattern defaults to 0xcd, as qemu-io)
//!   write  [-q] [-P PATTERN] OFFSET LEN
//!   readv  [-q] OFFSET LEN
//!   read   [-q] OFFSET LEN
//!   flush
//! Each request is issued synchronously, one at a time, like qemu-io's
//! `writev`/`readv`. The image is flushed and closed at the end (qemu-io
//! flushes on close too). Prints the number of requests and the seconds
//! spent issuing them (open and close excluded) to stderr.

use std::io::Read;
use std::time::Instant;

#[derive(Clone, Copy)]
enum Op {
    Write(u64, u32, u8),
    Read(u64, u32),
    Flush,
}

fn num(s: &str) -> u64 {
    let (n, mul) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let v = if let Some(h) = n.strip_prefix("0x") {
        u64::from_str_radix(h, 16)
    } else {
        n.parse()
    };
    v.unwrap_or_else(|_| panic!("bench-randio: bad number {s:?}")) * mul
}

fn parse(line: &str) -> Option<Op> {
    let mut w = line.split_whitespace();
    let cmd = w.next()?;
    if cmd == "flush" {
        return Some(Op::Flush);
    }
    let mut pat = 0xcdu8;
    let mut args = Vec::new();
    while let Some(t) = w.next() {
        match t {
            "-q" => {}
            "-P" => pat = num(w.next().expect("-P needs a value")) as u8,
            _ => args.push(num(t)),
        }
    }
    assert!(
        args.len() == 2,
        "bench-randio: expected OFFSET LEN in {line:?}"
    );
    Some(match cmd {
        "write" | "writev" => Op::Write(args[0], args[1] as u32, pat),
        "read" | "readv" => Op::Read(args[0], args[1] as u32),
        _ => panic!("bench-randio: unsupported command {cmd:?}"),
    })
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 3 {
        eprintln!("usage: bench-randio FORMAT IMAGE < SCRIPT");
        std::process::exit(2);
    }
    let mut text = String::new();
    std::io::stdin().lock().read_to_string(&mut text).unwrap();
    let ops: Vec<Op> = text.lines().filter_map(parse).collect();

    let mut d =
        block::open_image(std::path::Path::new(&a[2]), Some(&a[1]), false).unwrap_or_else(|e| {
            eprintln!("bench-randio: {}: {e}", a[2]);
            std::process::exit(1);
        });
    let mut buf = Vec::new();
    let mut sum = 0u8;
    let t = Instant::now();
    for &op in &ops {
        match op {
            Op::Write(off, len, pat) => {
                buf.clear();
                buf.resize(len as usize, pat);
                d.write(off, &buf).unwrap();
            }
            Op::Read(off, len) => {
                buf.resize(len as usize, 0);
                d.read(off, &mut buf).unwrap();
                sum ^= buf[0];
            }
            Op::Flush => d.flush().unwrap(),
        }
    }
    d.flush().unwrap();
    let secs = t.elapsed().as_secs_f64();
    drop(d);
    eprintln!(
        "bench-randio: {} requests in {secs:.3}s (check {sum})",
        ops.len()
    );
}
