//! Bounded mutation fuzzing of every format's header and metadata parsing:
//! valid images (made with a fixed seed) get random byte mutations in their
//! metadata areas; opening, reading, mapping, checking and writing them must
//! give errors, never a panic or a huge allocation. Runs a few seconds per
//! format as an ordinary test.

mod common;

use block::{BlockDriver, Fix};
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Records the largest single allocation; refuses absurd ones.
struct Guard;
static LARGEST: AtomicUsize = AtomicUsize::new(0);
const LIMIT: usize = 256 << 20;

thread_local! {
    static IN_REPORT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn report(size: usize) {
    if size > LIMIT && !IN_REPORT.with(|f| f.replace(true)) {
        eprintln!(
            "huge allocation of {size} bytes:\n{}",
            std::backtrace::Backtrace::force_capture()
        );
        IN_REPORT.with(|f| f.set(false));
    }
}

unsafe impl GlobalAlloc for Guard {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        report(l.size());
        if l.size() > 4 * LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        report(l.size());
        if l.size() > 4 * LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LARGEST.fetch_max(n, Ordering::Relaxed);
        report(n);
        if n > 4 * LIMIT {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Guard = Guard;

fn opts(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Exercises a (possibly corrupt) image through every entry point.
fn exercise(path: &Path, rng: &mut Rng) {
    if let Ok(mut d) = block::open_image(path, None, true) {
        let len = d.length();
        let mut buf = vec![0u8; 65536];
        let mut off = 0;
        while off < len.min(4 << 20) {
            let n = (len - off).min(65536) as usize;
            if d.read(off, &mut buf[..n]).is_err() {
                break;
            }
            off += n as u64;
        }
        let mut off = 0;
        for _ in 0..2000 {
            if off >= len {
                break;
            }
            match d.block_status(off, len - off) {
                Ok(e) => off += e.len.max(1),
                Err(_) => break,
            }
        }
        let _ = d.check(Fix::None);
        let _ = d.snapshot_list();
    }
    if let Ok(mut d) = block::open_image(path, None, false) {
        let len = d.length();
        if len > 0 {
            let off = rng.below(len);
            let n = (len - off).min(1 + rng.below(100_000));
            let _ = d.write(off, &vec![0xa5u8; n as usize]);
            let _ = d.write_zeroes(rng.below(len), 4096.min(len), true);
            let _ = d.discard(0, len.min(1 << 20));
        }
        let _ = d.snapshot_create("fz");
        let _ = d.check(Fix::All);
        let _ = d.close();
    }
}

fn fuzz(tag: &str, base: &Path, hot: &[(u64, u64)], seed: u64, budget: Duration) {
    let dir = TempDir::new(&format!("fuzz-{tag}"));
    let orig = std::fs::read(base).unwrap();
    let seed = seed
        ^ std::env::var("MIMIC_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0u64);
    let budget = std::env::var("MIMIC_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(budget);
    let mut rng = Rng(seed.max(1));
    let t0 = Instant::now();
    let mut iters = 0;
    let target = dir.path("f.img");
    // VMDK flat/split extents live next to the descriptor.
    while t0.elapsed() < budget || iters < 50 {
        let mut img = orig.clone();
        let n = 1 + rng.below(8);
        for _ in 0..n {
            let (s, e) = hot[rng.below(hot.len() as u64) as usize];
            let e = e.min(img.len() as u64);
            if e <= s {
                continue;
            }
            let at = (s + rng.below(e - s)) as usize;
            match rng.below(5) {
                0 => img[at] = rng.next() as u8,
                1 => img[at] ^= 1 << rng.below(8),
                2 => img[at] = 0xff,
                3 => img[at] = 0,
                _ => {
                    let v = rng.next().to_be_bytes();
                    let k = (img.len() - at).min(8);
                    img[at..at + k].copy_from_slice(&v[..k]);
                }
            }
        }
        if rng.below(10) == 0 {
            let cut = rng.below(img.len() as u64) as usize;
            img.truncate(cut);
        }
        std::fs::write(&target, &img).unwrap();
        let mut r2 = Rng(rng.next());
        let res =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exercise(&target, &mut r2)));
        if res.is_err() {
            let keep = std::env::temp_dir().join(format!("mimic-fuzz-crash-{tag}-{iters}.img"));
            std::fs::write(&keep, &img).unwrap();
            panic!(
                "{tag}: panic on mutated image (iteration {iters}); saved to {}",
                keep.display()
            );
        }
        let big = LARGEST.load(Ordering::Relaxed);
        assert!(
            big <= LIMIT,
            "{tag}: an allocation of {big} bytes on a corrupt image (iteration {iters})"
        );
        iters += 1;
    }
    eprintln!("{tag}: {iters} mutated images");
}

const BUDGET: Duration = Duration::from_secs(3);

#[test]
fn fuzz_qcow2() {
    let dir = TempDir::new("fz-qcow2");
    let img = dir.path("b.qcow2");
    block::img::create_image("qcow2", &img, 4 << 20, &opts(&[("cluster_size", "4096")])).unwrap();
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        d.write(0, &[1u8; 20000]).unwrap();
        d.snapshot_create("a").unwrap();
        d.write(3 << 20, &[2u8; 9000]).unwrap();
        d.write_compressed(1 << 20, &[3u8; 4096]).unwrap();
        d.write_zeroes(2 << 20, 8192, false).unwrap();
        d.close().unwrap();
    }
    let len = std::fs::metadata(&img).unwrap().len();
    fuzz(
        "qcow2",
        &img,
        &[(0, 512), (0, 4096 * 8), (0, len)],
        1,
        BUDGET,
    );
}

#[test]
fn fuzz_qed() {
    let dir = TempDir::new("fz-qed");
    let img = dir.path("b.qed");
    block::img::create_image(
        "qed",
        &img,
        4 << 20,
        &opts(&[("cluster_size", "4096"), ("table_size", "2")]),
    )
    .unwrap();
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        d.write(0, &[1u8; 20000]).unwrap();
        d.write_zeroes(2 << 20, 8192, false).unwrap();
        d.close().unwrap();
    }
    let len = std::fs::metadata(&img).unwrap().len();
    fuzz(
        "qed",
        &img,
        &[(0, 64), (4096, 4096 * 3), (0, len)],
        2,
        BUDGET,
    );
}

#[test]
fn fuzz_vmdk() {
    let dir = TempDir::new("fz-vmdk");
    for (i, sub) in ["monolithicSparse", "streamOptimized"].iter().enumerate() {
        let img = dir.path(&format!("b{i}.vmdk"));
        block::img::create_image("vmdk", &img, 4 << 20, &opts(&[("subformat", sub)])).unwrap();
        {
            let mut d = block::open_image(&img, None, false).unwrap();
            d.write(0, &[1u8; 70000]).unwrap();
            d.close().unwrap();
        }
        let len = std::fs::metadata(&img).unwrap().len();
        fuzz(
            sub,
            &img,
            &[(0, 80), (512, 1024), (0, 64 * 1024), (0, len)],
            3 + i as u64,
            BUDGET / 2,
        );
    }
}

#[test]
fn fuzz_vhdx() {
    let dir = TempDir::new("fz-vhdx");
    let img = dir.path("b.vhdx");
    block::img::create_image("vhdx", &img, 8 << 20, &opts(&[("block_size", "1M")])).unwrap();
    {
        let mut d = block::open_image(&img, None, false).unwrap();
        d.write(0, &[1u8; 70000]).unwrap();
        d.close().unwrap();
    }
    let len = std::fs::metadata(&img).unwrap().len();
    // Headers and region tables are checksummed: most mutations there are
    // rejected early, so the BAT and metadata regions get most of them.
    fuzz(
        "vhdx",
        &img,
        &[
            (64 << 10, (64 << 10) + 80),
            (2 << 20, (2 << 20) + 64),
            (3 << 20, (3 << 20) + 256),
            ((3 << 20) + 65536, (3 << 20) + 65600),
            (0, len),
        ],
        5,
        BUDGET,
    );
}

#[test]
fn fuzz_vhdx_log_replay() {
    // Mutate a pending log entry: replay must reject or apply it, not panic.
    let dir = TempDir::new("fz-vhdxlog");
    let img = dir.path("b.vhdx");
    block::img::create_image("vhdx", &img, 8 << 20, &opts(&[("block_size", "1M")])).unwrap();
    {
        let mut v = block::vhdx::Vhdx::open(&img, false).unwrap();
        v.crash_point = block::vhdx::CrashPoint::AfterLogWrite;
        let _ = v.write(0, &[1u8; 4096]);
    }
    fuzz("vhdx-log", &img, &[(1 << 20, (1 << 20) + 8192)], 6, BUDGET);
}
