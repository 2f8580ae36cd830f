//! Random-instruction differential testing against QEMU's user-mode
//! emulators: the guest-independent part.
//!
//! A guest's generator (`a64/` for AArch64, `a32/` for A32/T32) builds a *batch*: one static
//! ELF holding many test cases. Each case loads registers and flags from an
//! input block, runs a few random instructions, and stores the resulting
//! state into its output record; a fault inside a case is caught by a signal
//! handler in the program that records it and goes on with the next case.
//! At the end the program writes all records and every case's scratch
//! memory to stdout. This module runs that ELF under `mimic run` (each
//! backend) and under QEMU, compares the records field by field and the
//! scratch memory byte by byte, and excuses disagreements listed in the
//! guest's known-differences file (QEMU deviating from the architecture,
//! or results the architecture leaves UNKNOWN).
//!
//! Knobs (environment): `MIMIC_DIFFTEST_SEED` (u64, decimal or 0x-hex),
//! `MIMIC_DIFFTEST_INSNS` (random instructions in total),
//! `MIMIC_DIFFTEST_BATCH` (run only this batch index of the seed),
//! `MIMIC_DIFFTEST_BACKENDS` (default `interp,jit`), `MIMIC_DIFFTEST_KEEP`
//! (a directory to keep the ELF of a failing batch in).

#![allow(dead_code)]

pub mod a32;
pub mod a64;
pub mod elf;
pub mod known;
pub mod pattern;
pub mod values;

use crate::common;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// xorshift64* with a splitmix64-seeded state: deterministic per seed.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    /// An index into `weights`, chosen proportionally.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| w as u64).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < w as u64 {
                return i;
            }
            r -= w as u64;
        }
        weights.len() - 1
    }
}

/// A named byte range of an output record.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub offset: usize,
    pub size: usize,
}

/// One instruction of a case: its address, encoding, size in bytes, the
/// instruction set it is in (guest-defined, 0 = the guest's default; for
/// 32-bit Arm 1 = T32, whose 32-bit words hold the first halfword on top)
/// and whether it is a random one (the others set up base registers and
/// the like).
#[derive(Clone, Debug)]
pub struct Insn {
    pub addr: u64,
    pub word: u32,
    pub size: u8,
    pub mode: u8,
    pub random: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Case {
    pub insns: Vec<Insn>,
    /// The case's input state as text for reports (empty: not shown).
    pub input: String,
    /// Target-defined bytes `Target::rebuild` needs (inputs, memory).
    pub state: Vec<u8>,
}

/// One test program and what is needed to read its output.
pub struct Batch {
    pub elf: Vec<u8>,
    pub cases: Vec<Case>,
    pub fields: Vec<Field>,
    pub record_size: usize,
    /// Scratch bytes per case, written after all records.
    pub mem_size: usize,
    /// Address of case 0's scratch memory (case i: + i * mem_size).
    pub mem_base: u64,
}

impl Batch {
    pub fn random_insns(&self) -> usize {
        self.cases
            .iter()
            .map(|c| c.insns.iter().filter(|i| i.random).count())
            .sum()
    }
    fn out_len(&self) -> usize {
        self.cases.len() * (self.record_size + self.mem_size)
    }
    /// Case `i`'s field `name` in the output `out`, as a little-endian
    /// number (0 when the record has no such field).
    fn field_u64(&self, out: &[u8], i: usize, name: &str) -> u64 {
        let Some(f) = self.fields.iter().find(|f| f.name == name) else {
            return 0;
        };
        let r = i * self.record_size + f.offset;
        let mut v = [0u8; 8];
        let n = f.size.min(8);
        v[..n].copy_from_slice(&out[r..r + n]);
        u64::from_le_bytes(v)
    }
    fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }
}

/// What a guest's generator provides.
pub trait Target: Sync {
    fn name(&self) -> &'static str;
    /// A batch with about `insns` random instructions.
    fn build(&self, rng: &mut Rng, insns: usize) -> Batch;
    /// argv prefix running a program under QEMU (`qemu-aarch64 -cpu max`).
    fn qemu(&self) -> Vec<String>;
    /// One line of disassembly for an instruction.
    fn disas(&self, insn: &Insn) -> String;
    /// Formats a field's bytes for reports.
    fn show(&self, field: &str, bytes: &[u8]) -> String {
        let _ = field;
        hex(bytes)
    }
    /// The known-differences list.
    fn known(&self) -> known::KnownList;
    /// A batch holding only `case` (its instructions possibly changed),
    /// with the same inputs and memory; None when not supported.
    fn rebuild(&self, case: &Case) -> Option<Batch> {
        let _ = case;
        None
    }
    /// A no-op of the same size and mode as `insn`, used to shrink cases.
    fn nop(&self, insn: &Insn) -> Option<u32> {
        let _ = insn;
        None
    }
}

/// What re-running single cases needs: the target, its known list, a
/// directory for the programs, and the QEMU and Mimic command lines.
struct Retry<'a> {
    t: &'a dyn Target,
    known: &'a known::KnownList,
    dir: &'a std::path::Path,
    qemu: &'a [String],
    runner: &'a [String],
}

impl Retry<'_> {
    /// Runs `case` alone under QEMU and the runner; its unexcused
    /// differences and QEMU's signal, or None when it agrees or a run fails.
    fn run(&self, case: &Case) -> Option<(Vec<FieldDiff>, u64)> {
        let b = self.t.rebuild(case)?;
        let path = self.dir.join(format!("{}-shrink.elf", self.t.name()));
        write_exec(&path, &b.elf).ok()?;
        // A shrunk case may loop (a removed instruction was its way out).
        let q = run_limited(self.qemu, &path, Duration::from_secs(20));
        let m = run_limited(self.runner, &path, Duration::from_secs(20));
        let _ = std::fs::remove_file(&path);
        let ok = |o: &common::Outcome| o.status == 0 && o.stdout.len() == b.out_len();
        if !ok(&q) || !ok(&m) {
            return None;
        }
        let diffs = compare_case(&b, 0, &m.stdout, &q.stdout);
        let sig = b.field_u64(&q.stdout, 0, "signal");
        let words: Vec<(u32, u8)> = case
            .insns
            .iter()
            .filter(|x| x.random)
            .map(|x| (x.word, x.mode))
            .collect();
        if diffs.is_empty() || self.known.excuse(&words, sig, &diffs).is_some() {
            return None;
        }
        Some((diffs, sig))
    }

    /// Shrinks a disagreeing case: replaces its random instructions one by
    /// one with no-ops (setup stays, so addresses and branch offsets do not
    /// move) and keeps each replacement after which the case still
    /// disagrees. Returns the smallest case, its differences and QEMU's
    /// signal.
    fn shrink(&self, case: &Case) -> Option<(Case, Vec<FieldDiff>, u64)> {
        let mut best = self.run(case)?;
        let mut cur = case.clone();
        for k in 0..cur.insns.len() {
            if !cur.insns[k].random {
                continue;
            }
            let Some(nop) = self.t.nop(&cur.insns[k]) else {
                continue;
            };
            let mut v = cur.clone();
            v.insns[k].word = nop;
            v.insns[k].random = false;
            if let Some(r) = self.run(&v) {
                cur = v;
                best = r;
            }
        }
        Some((cur, best.0, best.1))
    }
}

/// Writes an executable program file.
fn write_exec(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, bytes)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

pub fn hex(b: &[u8]) -> String {
    if b.len() <= 8 {
        let mut v = [0u8; 8];
        v[..b.len()].copy_from_slice(b);
        format!("{:#x}", u64::from_le_bytes(v))
    } else {
        let mut s = String::from("0x");
        for x in b.iter().rev() {
            let _ = write!(s, "{x:02x}");
        }
        s
    }
}

/// A field where one runner's result differs from QEMU's.
#[derive(Debug, Clone)]
pub struct FieldDiff {
    pub field: String,
    pub mimic: Vec<u8>,
    pub qemu: Vec<u8>,
}

/// Compares one case's record and scratch memory.
fn compare_case(b: &Batch, i: usize, mimic: &[u8], qemu: &[u8]) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    let r = i * b.record_size;
    for f in &b.fields {
        let m = &mimic[r + f.offset..r + f.offset + f.size];
        let q = &qemu[r + f.offset..r + f.offset + f.size];
        if m != q {
            out.push(FieldDiff {
                field: f.name.clone(),
                mimic: m.to_vec(),
                qemu: q.to_vec(),
            });
        }
    }
    let m0 = b.cases.len() * b.record_size + i * b.mem_size;
    let mm = &mimic[m0..m0 + b.mem_size];
    let qm = &qemu[m0..m0 + b.mem_size];
    if let Some(k) = mm.iter().zip(qm).position(|(x, y)| x != y) {
        let k = k & !7;
        let end = (k + 16).min(b.mem_size);
        out.push(FieldDiff {
            field: format!("mem@{:#x}", b.mem_base + (i * b.mem_size + k) as u64),
            mimic: mm[k..end].to_vec(),
            qemu: qm[k..end].to_vec(),
        });
    }
    out
}

/// The settings of one run.
pub struct Config {
    pub seed: u64,
    pub insns: usize,
    pub batch_insns: usize,
    pub only_batch: Option<usize>,
    pub backends: Vec<String>,
    pub keep: Option<PathBuf>,
    /// Detailed reports printed at most.
    pub max_reports: usize,
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

impl Config {
    /// Defaults overridden by the `MIMIC_DIFFTEST_*` variables.
    pub fn from_env(seed: u64, insns: usize) -> Config {
        Config {
            seed: env_u64("MIMIC_DIFFTEST_SEED").unwrap_or(seed),
            insns: env_u64("MIMIC_DIFFTEST_INSNS").map_or(insns, |n| n as usize),
            batch_insns: 6000,
            only_batch: env_u64("MIMIC_DIFFTEST_BATCH").map(|n| n as usize),
            backends: std::env::var("MIMIC_DIFFTEST_BACKENDS")
                .unwrap_or_else(|_| "interp,jit".into())
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            keep: std::env::var_os("MIMIC_DIFFTEST_KEEP").map(PathBuf::from),
            max_reports: 6,
        }
    }
}

/// Totals of a run.
#[derive(Default, Debug)]
pub struct Summary {
    pub batches: usize,
    pub cases: usize,
    pub random_insns: usize,
    /// Random instructions per instruction set (`Insn::mode` 0 and 1).
    pub per_mode: [usize; 2],
    /// Random instructions before the end or the fault of their case.
    pub executed: usize,
    pub faulting_cases: usize,
    /// Disagreements excused by the known-differences list, per entry.
    pub known_hits: Vec<(String, usize)>,
    /// Unexplained disagreements (cases) and failed runs.
    pub failures: usize,
    pub report: String,
    pub elapsed: Duration,
}

fn run_one(argv: &[String], elf: &std::path::Path) -> common::Outcome {
    run_limited(argv, elf, Duration::from_secs(600))
}

fn run_limited(argv: &[String], elf: &std::path::Path, limit: Duration) -> common::Outcome {
    let mut a = argv.to_vec();
    a.push(elf.to_string_lossy().into_owned());
    let dir = elf.parent().unwrap().to_path_buf();
    common::run(&a, &dir, None, limit)
}

/// Runs `cfg.insns` random instructions in batches; returns the summary.
pub fn run(t: &dyn Target, cfg: &Config) -> Summary {
    let start = Instant::now();
    let known = t.known();
    let mut s = Summary {
        known_hits: known.entries.iter().map(|e| (e.name.clone(), 0)).collect(),
        ..Summary::default()
    };
    let n_batches = cfg.insns.div_ceil(cfg.batch_insns).max(1);
    let dir = common::temp_dir(&format!("difftest-{}", t.name()));
    let mut runners: Vec<(String, Vec<String>)> = vec![("qemu".into(), t.qemu())];
    for b in &cfg.backends {
        runners.push((
            b.clone(),
            vec![
                common::mimic_bin().to_string_lossy().into_owned(),
                "run".into(),
                "--backend".into(),
                b.clone(),
            ],
        ));
    }
    for bi in 0..n_batches {
        if cfg.only_batch.is_some_and(|o| o != bi) {
            continue;
        }
        let mut rng = Rng::new(cfg.seed ^ (bi as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let per = cfg.batch_insns.min(cfg.insns - bi * cfg.batch_insns);
        let batch = t.build(&mut rng, per);
        let path = dir.join(format!("{}-{:x}-{bi}.elf", t.name(), cfg.seed));
        write_exec(&path, &batch.elf).expect("write test ELF");
        let outs = common::parallel_map(&runners, runners.len(), |(_, argv)| run_one(argv, &path));
        s.batches += 1;
        s.cases += batch.cases.len();
        s.random_insns += batch.random_insns();
        for x in batch
            .cases
            .iter()
            .flat_map(|c| &c.insns)
            .filter(|x| x.random)
        {
            s.per_mode[usize::from(x.mode.min(1))] += 1;
        }
        let mut batch_failed = false;
        let mut bad_run = false;
        for ((label, _), o) in runners.iter().zip(&outs) {
            if o.status != 0 || o.stdout.len() != batch.out_len() {
                bad_run = true;
                let _ = writeln!(
                    s.report,
                    "seed {:#x} batch {bi}: {label} exited with {} after {} of {} output bytes{}",
                    cfg.seed,
                    o.status,
                    o.stdout.len(),
                    batch.out_len(),
                    common::stderr_tail(&o.stderr, 8)
                );
            }
        }
        if bad_run {
            s.failures += 1;
            batch_failed = true;
        } else {
            let q = &outs[0].stdout;
            // The signal that ended each case under QEMU (0: none).
            let qsig = |i: usize| batch.field_u64(q, i, "signal");
            s.faulting_cases += (0..batch.cases.len()).filter(|&i| qsig(i) != 0).count();
            // Random instructions reached: all of a case's, or those before
            // the faulting one (branches may skip some either way).
            for (i, c) in batch.cases.iter().enumerate() {
                let fault_pc = if qsig(i) == 0 || !batch.has_field("fault_pc") {
                    u64::MAX
                } else {
                    batch.field_u64(q, i, "fault_pc")
                };
                s.executed += c
                    .insns
                    .iter()
                    .filter(|x| x.random && x.addr < fault_pc)
                    .count();
            }
            for (k, (label, _)) in runners.iter().enumerate().skip(1) {
                let m = &outs[k].stdout;
                for i in 0..batch.cases.len() {
                    let diffs = compare_case(&batch, i, m, q);
                    if diffs.is_empty() {
                        continue;
                    }
                    let words: Vec<(u32, u8)> = batch.cases[i]
                        .insns
                        .iter()
                        .filter(|x| x.random)
                        .map(|x| (x.word, x.mode))
                        .collect();
                    if let Some(es) = known.excuse(&words, qsig(i), &diffs) {
                        for e in es {
                            s.known_hits[e].1 += 1;
                        }
                        continue;
                    }
                    s.failures += 1;
                    batch_failed = true;
                    if s.failures <= cfg.max_reports {
                        let case = &batch.cases[i];
                        let shrunk = Retry {
                            t,
                            known: &known,
                            dir: &dir,
                            qemu: &runners[0].1,
                            runner: &runners[k].1,
                        }
                        .shrink(case);
                        let (case, diffs, sig, note) = match &shrunk {
                            Some((c, d, sg)) => {
                                (c, d.clone(), *sg, "shrunk: removed instructions are NOPs")
                            }
                            None => (case, diffs, qsig(i), "as generated"),
                        };
                        let _ = writeln!(
                            s.report,
                            "seed {:#x} batch {bi} case {i}: {label} differs from QEMU ({note})",
                            cfg.seed
                        );
                        for x in &case.insns {
                            if shrunk.is_some() && !x.random && t.nop(x) == Some(x.word) {
                                continue;
                            }
                            let _ = writeln!(
                                s.report,
                                "    {} {}",
                                if x.random { "*" } else { " " },
                                t.disas(x)
                            );
                        }
                        for line in case.input.lines() {
                            let _ = writeln!(s.report, "    in: {line}");
                        }
                        if sig != 0 && shrunk.is_none() {
                            let f = |n: &str| batch.field_u64(q, i, n);
                            let _ = writeln!(
                                s.report,
                                "    QEMU: signal {} si_code {} at pc {:#x}, si_addr {:#x}",
                                qsig(i),
                                f("si_code"),
                                f("fault_pc"),
                                f("si_addr")
                            );
                        } else if sig != 0 {
                            let _ = writeln!(s.report, "    QEMU: signal {sig}");
                        }
                        for d in &diffs {
                            let _ = writeln!(
                                s.report,
                                "    {:>8}: mimic {}  qemu {}",
                                d.field,
                                t.show(&d.field, &d.mimic),
                                t.show(&d.field, &d.qemu)
                            );
                        }
                    }
                }
            }
        }
        if batch_failed {
            if let Some(k) = &cfg.keep {
                let _ = std::fs::create_dir_all(k);
                let _ = std::fs::copy(&path, k.join(path.file_name().unwrap()));
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
    s.elapsed = start.elapsed();
    s
}
