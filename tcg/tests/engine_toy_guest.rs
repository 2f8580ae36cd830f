//! The cpu loop with a toy guest: a loop that must run the same on all
//! backends (so chaining and the jump cache are exercised), and code that is
//! rewritten and invalidated between runs.
//!
//! Toy ISA, 8 bytes per instruction: [op, r, _, _, imm: u32 le]
//!   1 addi r, imm      r += imm
//!   2 bnz  r, target   if r != 0 goto target (block end)
//!   3 jr   r           goto r (indirect, block end)
//!   4 exit imm         guest exit with reason imm
//!   5 subi r, imm      r -= imm

use std::sync::{Arc, Mutex};
use tcg::cpu::CpuCommon;
use tcg::exec::{BackendKind, Engine, GuestExit};
use tcg::ir::{Builder, Cond, GlobalDef, IrBlock, Terminal, Type};
use tcg::{CodeReader, Frontend};

#[repr(C)]
struct State {
    common: CpuCommon,
    r: [u64; 4],
    pc: u64,
}

const R: u32 = std::mem::offset_of!(State, r) as u32;
static GLOBALS: [GlobalDef; 5] = [
    GlobalDef {
        name: "r0",
        offset: R,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r1",
        offset: R + 8,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r2",
        offset: R + 16,
        ty: Type::I64,
    },
    GlobalDef {
        name: "r3",
        offset: R + 24,
        ty: Type::I64,
    },
    GlobalDef {
        name: "pc",
        offset: std::mem::offset_of!(State, pc) as u32,
        ty: Type::I64,
    },
];

struct Toy;

impl Frontend for Toy {
    fn name(&self) -> &'static str {
        "toy"
    }
    fn globals(&self) -> &'static [GlobalDef] {
        &GLOBALS
    }
    fn pc_global(&self) -> usize {
        4
    }
    fn translate(&self, pc: u64, flags: u32, code: &dyn CodeReader, max: usize) -> IrBlock {
        let mut b = Builder::new(&GLOBALS, 4);
        let mut at = pc;
        let mut n = 0;
        let term = loop {
            let (Some(w0), Some(imm)) = (code.read_u32(at), code.read_u32(at + 4)) else {
                break Terminal::Exit { pc: at, reason: 99 };
            };
            let (op, r) = (w0 & 0xff, (w0 >> 8 & 3) as usize);
            b.insn_start(at);
            n += 1;
            at += 8;
            let reg = b.global(r);
            match op {
                1 => b.addi_i64(reg, reg, imm as u64),
                5 => {
                    let k = b.const_i64(imm as u64);
                    b.sub_i64(reg, reg, k)
                }
                2 => {
                    let z = b.const_i64(0);
                    break Terminal::Cond {
                        cond: Cond::Ne,
                        a: reg,
                        b: z,
                        taken: imm as u64,
                        not_taken: at,
                    };
                }
                3 => break Terminal::Indirect(reg),
                4 => {
                    break Terminal::Exit {
                        pc: at,
                        reason: imm,
                    }
                }
                _ => {
                    break Terminal::Exit {
                        pc: at - 8,
                        reason: 98,
                    }
                }
            }
            if n >= max {
                break Terminal::Jump(at);
            }
        };
        b.finish(pc, flags, (at - pc).max(8) as u32, n as u32, term)
    }
    fn disas(&self, _pc: u64, _bytes: &[u8]) -> String {
        String::new()
    }
}

#[derive(Clone)]
struct Mem(Arc<Mutex<Vec<u8>>>);
impl CodeReader for Mem {
    fn read_u32(&self, a: u64) -> Option<u32> {
        let m = self.0.lock().unwrap();
        let a = a as usize;
        m.get(a..a + 4)
            .map(|s| u32::from_le_bytes(s.try_into().unwrap()))
    }
    fn read_u16(&self, _: u64) -> Option<u16> {
        None
    }
    fn read_u8(&self, a: u64) -> Option<u8> {
        self.0.lock().unwrap().get(a as usize).copied()
    }
}

/// A cpu state at pc 0 with every register 0.
fn fresh_state() -> Box<State> {
    Box::new(State {
        common: CpuCommon::default(),
        r: [0; 4],
        pc: 0,
    })
}

fn put(m: &Mem, at: usize, op: u32, r: u32, imm: u32) {
    let mut v = m.0.lock().unwrap();
    v[at..at + 4].copy_from_slice(&(op | r << 8).to_le_bytes());
    v[at + 4..at + 8].copy_from_slice(&imm.to_le_bytes());
}

fn program(m: &Mem, iterations: u32) {
    // r0 = counter, r1 = accumulator, r2 = return address for jr
    put(m, 0, 1, 0, iterations); // 0: addi r0, iterations
    put(m, 8, 1, 1, 3); //         8: addi r1, 3        <- loop
    put(m, 16, 1, 2, 40); //      16: addi r2, 40 (r2 = 40 + ...)
    put(m, 24, 5, 2, 0); //       24: subi r2, 0
    put(m, 32, 3, 2, 0); //       32: jr r2 (-> 40 first time)
    put(m, 40, 5, 2, 40); //      40: subi r2, 40 (back to 0)
    put(m, 48, 5, 0, 1); //       48: subi r0, 1
    put(m, 56, 2, 0, 8); //       56: bnz r0, 8
    put(m, 64, 4, 0, 7); //       64: exit 7
}

fn run(kind: BackendKind) -> (u64, Engine, Box<State>, Mem) {
    run_n(kind, 100_000, false)
}

/// The loop program with `iterations` iterations; `background`: `auto`
/// compiles on the compile thread (otherwise inline, so what gets compiled
/// does not depend on timing).
fn run_n(kind: BackendKind, iterations: u32, background: bool) -> (u64, Engine, Box<State>, Mem) {
    let mem = Mem(Arc::new(Mutex::new(vec![0u8; 4096])));
    program(&mem, iterations);
    let mut e = Engine::new(Box::new(Toy), kind, Box::new(mem.clone()));
    e.set_background(background);
    let mut s = fresh_state();
    let env = &mut *s as *mut State as *mut u8;
    assert_eq!(e.run(env), GuestExit::Guest(7));
    (s.r[1], e, s, mem)
}

/// With the compile thread, template code chained into a loop keeps
/// running while the loop is compiled, and still comes back to the cpu
/// loop to take the compiled code (`Tb::tier_up_at`): the rest of the
/// iterations run compiled.
#[test]
fn background_compile_reaches_a_running_template_loop() {
    let (acc, e, _, _) = run_n(BackendKind::Auto, 3_000_000, true);
    assert_eq!(acc, 9_000_000);
    assert!(e.stats.compiled > 0, "compiled nothing");
    assert!(e.stats.jit_entries > 0, "never ran compiled code");
}

#[test]
fn loop_runs_the_same_on_every_backend() {
    for kind in [BackendKind::Interp, BackendKind::Jit, BackendKind::Auto] {
        let (acc, e, s, _) = run(kind);
        assert_eq!(acc, 300_000, "{kind:?}");
        assert_eq!(s.r[0], 0);
        assert_eq!(s.pc, 72);
        assert!(e.stats.chained > 0, "{kind:?} chained nothing");
        if kind != BackendKind::Interp {
            assert!(e.stats.compiled > 0, "{kind:?} compiled nothing");
        } else {
            // Template code chained to template code, directly and
            // through the jump cache: the loop's 100k iterations do not
            // come back to the cpu loop each time.
            // Blocks get template code on their second run: all but the
            // two that run once (the entry at 0, the exit at 64).
            assert_eq!(e.stats.templates, e.stats.translated - 2);
            assert!(
                e.stats.interp_execs < 1000,
                "{} tier-0 entries",
                e.stats.interp_execs
            );
        }
        if kind == BackendKind::Jit {
            // Chained and jump-cached code must not come back to the loop
            // on every iteration.
            assert!(
                e.stats.jit_entries < 1000,
                "{} jit entries",
                e.stats.jit_entries
            );
        }
    }
}

#[test]
fn rewritten_code_runs_after_invalidation() {
    for kind in [BackendKind::Interp, BackendKind::Jit, BackendKind::Auto] {
        let (_, mut e, mut s, mem) = run(kind);
        // Change "addi r1, 3" into "addi r1, 5" and run again.
        put(&mem, 8, 1, 1, 5);
        e.invalidate(8, 16);
        s.r = [0; 4];
        s.pc = 0;
        let env = &mut *s as *mut State as *mut u8;
        assert_eq!(e.run(env), GuestExit::Guest(7));
        assert_eq!(s.r[1], 500_000, "{kind:?}");
        assert!(e.stats.invalidated > 0);
    }
}

#[test]
fn exit_request_stops_chained_code() {
    for kind in [BackendKind::Jit, BackendKind::Interp] {
        exit_request_stops(kind);
    }
}

fn exit_request_stops(kind: BackendKind) {
    let mem = Mem(Arc::new(Mutex::new(vec![0u8; 4096])));
    // An endless loop: 0: addi r0,1 ; 8: bnz r0, 0 (r0 never returns to 0 in time)
    put(&mem, 0, 1, 0, 1);
    put(&mem, 8, 2, 0, 0);
    let mut e = Engine::new(Box::new(Toy), kind, Box::new(mem));
    let mut s = fresh_state();
    let flag: *const CpuCommon = &s.common;
    let addr = flag as usize;
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        // SAFETY: the state outlives the thread (joined below).
        unsafe { (*(addr as *const CpuCommon)).request_exit() };
    });
    let env = &mut *s as *mut State as *mut u8;
    assert_eq!(e.run(env), GuestExit::Interrupted, "{kind:?}");
    t.join().unwrap();
    assert!(s.r[0] > 1000, "{kind:?}");
    if kind == BackendKind::Interp {
        assert!(e.stats.chained > 0, "{kind:?}");
    }
}

/// `auto` with inline compiles: a one-block loop (a region: it jumps to
/// itself) compiles at the threshold with a region factor of 1 and only
/// after factor x threshold interpreted runs with a factor of 4, with the
/// same result.
#[test]
fn loop_heads_wait_for_the_region_factor() {
    let mut execs = Vec::new();
    for factor in [1, 4] {
        let mem = Mem(Arc::new(Mutex::new(vec![0u8; 4096])));
        put(&mem, 0, 1, 0, 100_000); // 0: addi r0, 100000
        put(&mem, 8, 1, 1, 3); //       8: addi r1, 3     <- loop
        put(&mem, 16, 5, 0, 1); //     16: subi r0, 1
        put(&mem, 24, 2, 0, 8); //     24: bnz r0, 8
        put(&mem, 32, 4, 0, 7); //     32: exit 7
        let mut e = Engine::new(Box::new(Toy), BackendKind::Auto, Box::new(mem));
        e.set_background(false);
        e.set_regions(true);
        e.set_tiering(100, factor);
        // Every tier-0 run through the cpu loop, so its count is exact.
        e.set_template_chaining(false);
        let mut s = fresh_state();
        let env = &mut *s as *mut State as *mut u8;
        assert_eq!(e.run(env), GuestExit::Guest(7));
        assert_eq!(s.r[1], 300_000, "factor {factor}");
        assert!(e.stats.regions > 0, "factor {factor}: no regions");
        execs.push(e.stats.interp_execs);
    }
    // The loop block's runs plus the first and the exit block.
    assert_eq!(execs, [102, 402]);
}

/// Compiled code's indirect jumps go on into template code through the
/// jump cache (`Tb::tmpl_jit_entry`): a hot block ends with `jr` to one of
/// two blocks that each run half as often, below the threshold, so they
/// stay template code while the `jr` block is compiled.
#[test]
fn compiled_code_jumps_indirectly_into_template_code() {
    const OUTER: u32 = 1500;
    let mem = Mem(Arc::new(Mutex::new(vec![0u8; 4096])));
    put(&mem, 0, 1, 2, OUTER); //   0: addi r2, OUTER
    put(&mem, 8, 1, 3, 64); //      8: addi r3, 64
    put(&mem, 16, 1, 0, 10); //    16: addi r0, 10     <- outer loop
    put(&mem, 24, 1, 1, 3); //     24: addi r1, 3      <- inner loop
    put(&mem, 32, 5, 0, 1); //     32: subi r0, 1
    put(&mem, 40, 2, 0, 24); //    40: bnz r0, 24
    put(&mem, 48, 3, 3, 0); //     48: jr r3 (64, 80, 64, ...)
    put(&mem, 56, 4, 0, 9); //     56: exit 9 (not reached)
    put(&mem, 64, 1, 3, 16); //    64: addi r3, 16     (next time 80)
    put(&mem, 72, 2, 2, 96); //    72: bnz r2, 96
    put(&mem, 80, 5, 3, 16); //    80: subi r3, 16     (next time 64)
    put(&mem, 88, 2, 2, 96); //    88: bnz r2, 96
    put(&mem, 96, 5, 2, 1); //     96: subi r2, 1
    put(&mem, 104, 2, 2, 16); //  104: bnz r2, 16
    put(&mem, 112, 4, 0, 7); //   112: exit 7
    let loop_trips = run_nested_loops(mem, OUTER, 1000);
    assert!(
        loop_trips < 100,
        "{loop_trips} entries from the cpu loop for {OUTER} outer iterations"
    );
}

/// Runs a program of `outer` iterations of a 10-iteration inner loop that
/// adds 3 to r1 each time and exits with 7, `auto` compiling inline at
/// `threshold`; returns the entries from the cpu loop.
fn run_nested_loops(mem: Mem, outer: u32, threshold: u32) -> u64 {
    let mut e = Engine::new(Box::new(Toy), BackendKind::Auto, Box::new(mem));
    e.set_background(false);
    e.set_regions(true);
    e.set_tiering(threshold, 1);
    let mut s = fresh_state();
    let env = &mut *s as *mut State as *mut u8;
    assert_eq!(e.run(env), GuestExit::Guest(7));
    assert_eq!(s.r[1], 3 * 10 * outer as u64);
    assert!(e.stats.compiled > 0, "nothing was compiled");
    e.stats.jit_entries + e.stats.interp_execs
}

/// Compiled code jumps straight into template code and template code into
/// compiled code: a hot inner loop (compiled) leaves to an outer loop that
/// stays below the threshold (template code), which jumps back into the
/// inner loop, all without returning to the cpu loop for each transition.
#[test]
fn compiled_and_template_code_chain_both_ways() {
    const OUTER: u32 = 1500;
    let mem = Mem(Arc::new(Mutex::new(vec![0u8; 4096])));
    put(&mem, 0, 1, 2, OUTER); //   0: addi r2, OUTER
    put(&mem, 8, 1, 0, 10); //      8: addi r0, 10     <- outer loop
    put(&mem, 16, 1, 1, 3); //     16: addi r1, 3      <- inner loop
    put(&mem, 24, 5, 0, 1); //     24: subi r0, 1
    put(&mem, 32, 2, 0, 16); //    32: bnz r0, 16
    put(&mem, 40, 5, 2, 1); //     40: subi r2, 1
    put(&mem, 48, 2, 2, 8); //     48: bnz r2, 8
    put(&mem, 56, 4, 0, 7); //     56: exit 7
    let loop_trips = run_nested_loops(mem, OUTER, 2000);
    assert!(
        loop_trips < OUTER as u64 / 2,
        "{loop_trips} entries from the cpu loop for {OUTER} outer iterations"
    );
}
