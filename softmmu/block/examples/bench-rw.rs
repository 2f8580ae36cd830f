//! Quick throughput check: random 4 KiB writes then reads on a fresh image.
//! Usage: bench-rw FORMAT PATH [COUNT]

use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let fmt = a.get(1).map(|s| s.as_str()).unwrap_or("qcow2");
    let path = std::path::PathBuf::from(a.get(2).map(|s| s.as_str()).unwrap_or("/tmp/bench.img"));
    let n: u64 = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let size = 1u64 << 30;
    block::img::create_image(fmt, &path, size, &Default::default()).unwrap();
    let mut d = block::open_image(&path, Some(fmt), false).unwrap();
    let buf = vec![0x5au8; 4096];
    let mut x = 0x1234_5678_9abc_def1u64;
    let t = Instant::now();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        d.write((x % (size / 4096)) * 4096, &buf).unwrap();
    }
    d.flush().unwrap();
    let w = t.elapsed().as_secs_f64();
    let mut rb = vec![0u8; 4096];
    let t = Instant::now();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        d.read((x % (size / 4096)) * 4096, &mut rb).unwrap();
    }
    let r = t.elapsed().as_secs_f64();
    println!(
        "{fmt}: {n} random 4k writes {:.0} IOPS, reads {:.0} IOPS",
        n as f64 / w,
        n as f64 / r
    );
}
