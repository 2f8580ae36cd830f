//! Tier 0: the IR interpreter. Starts instantly, needs no code memory, and is
//! the reference the JIT is tested against.
//!
//! A block is lowered once into `Code`: every temp operand becomes a byte
//! offset from the env pointer (globals at their field offsets, locals in
//! `CpuCommon::scratch`), labels become the index of the op after them
//! (labels are not ops), and instruction starts that could have nothing to
//! do are dropped (`kept_insns`). Execution is then one `match` per op with
//! no per-operand branching.

use crate::cpu::{exit, OFF_SCRATCH};
use crate::helper::Helper;
use crate::ir::{Cond, Insn, IrBlock, MemOp, Opcode, TempKind, Terminal, Type, NO_TEMP};

#[derive(Clone, Copy)]
pub(crate) struct Op {
    pub(crate) opc: Opcode,
    /// Calls: the result temp is 32-bit.
    pub(crate) r32: bool,
    /// Operand env offsets / constants, in `Insn::args` order.
    pub(crate) a: [u32; 6],
    pub(crate) imm: u64,
}

#[derive(Clone)]
pub(crate) enum Term {
    Jump(u64),
    Indirect(u32),
    Cond {
        cond: Cond,
        a: u32,
        b: u32,
        ty: Type,
        taken: u64,
        not_taken: u64,
    },
    Exit {
        pc: u64,
        reason: u32,
    },
}

/// A block lowered for interpretation.
pub struct Code {
    pub(crate) ops: Vec<Op>,
    pub(crate) term: Term,
    pub(crate) pc_off: u32,
    /// Memory ops go through `crate::softmmu`.
    pub(crate) softmmu: bool,
    /// Only the ops template code calls `one_op` for are left
    /// (`keep_only`): the block cannot be interpreted any more.
    template_only: bool,
}

impl Code {
    /// Keeps only the ops at `idx` (in that order), for template code that
    /// refers to them and nothing else: a block's lowered ops are most of
    /// its memory, and python3 start-up has ~37k blocks. Their new
    /// addresses are `op_addrs`.
    pub fn keep_only(&mut self, idx: impl ExactSizeIterator<Item = usize>) {
        let mut kept = Vec::with_capacity(idx.len());
        kept.extend(idx.map(|i| self.ops[i]));
        self.ops = kept;
        self.template_only = true;
    }

    /// The addresses of the ops (after `keep_only`: of the kept ones, in
    /// its order).
    pub fn op_addrs(&self) -> impl Iterator<Item = usize> + '_ {
        self.ops.iter().map(|o| o as *const Op as usize)
    }

    /// Whether the block can still be interpreted (see `keep_only`).
    pub fn interpretable(&self) -> bool {
        !self.template_only
    }
}

fn temp_off(b: &IrBlock, t: u32) -> u32 {
    match b.temps[t as usize].kind {
        TempKind::Global(off) => off,
        TempKind::Local => OFF_SCRATCH + 8 * (t - b.n_globals),
    }
}

/// Lowers an (optimized) IR block. Returns `None` if it needs more temps
/// than the scratch area holds.
pub fn lower(b: &IrBlock) -> Option<Code> {
    if b.temps.len() - b.n_globals as usize > crate::cpu::SCRATCH_SLOTS {
        return None;
    }
    // Which insns become ops, and label -> index of the op that follows it
    // (in vectors reused from block to block: every block is lowered).
    let (mut sync, mut keep, mut label_at) = SCRATCH.take();
    b.sync_starts(&mut sync);
    kept_insns(b, &sync, &mut keep);
    label_at.clear();
    label_at.resize(b.n_labels as usize, 0);
    let mut n = 0u32;
    for (insn, &k) in b.insns.iter().zip(&keep) {
        if insn.opc == Opcode::SetLabel {
            label_at[insn.c(0) as usize] = n;
        }
        n += k as u32;
    }
    let mut ops = Vec::with_capacity(n as usize);
    for (insn, (_, &sync)) in b
        .insns
        .iter()
        .zip(keep.iter().zip(&sync))
        .filter(|(_, (&k, _))| k)
    {
        let mut op = lower_insn(b, insn, &label_at);
        if insn.opc == Opcode::InsnStart {
            // Precise mode: whether this start records its pc.
            op.a[0] = sync as u32;
        }
        ops.push(op);
    }
    SCRATCH.set((sync, keep, label_at));
    let term = match &b.terminal {
        Terminal::Jump(pc) => Term::Jump(*pc),
        Terminal::Indirect(t) => Term::Indirect(temp_off(b, t.0)),
        Terminal::Cond {
            cond,
            a,
            b: bb,
            taken,
            not_taken,
        } => Term::Cond {
            cond: *cond,
            a: temp_off(b, a.0),
            b: temp_off(b, bb.0),
            ty: b.ty(*a),
            taken: *taken,
            not_taken: *not_taken,
        },
        Terminal::Exit { pc, reason } => Term::Exit {
            pc: *pc,
            reason: *reason,
        },
    };
    Some(Code {
        ops,
        term,
        pc_off: temp_off(b, b.pc_global.0),
        softmmu: b.softmmu,
        template_only: false,
    })
}

thread_local! {
    /// `lower`'s sync, keep and label vectors, reused from block to block.
    #[allow(clippy::type_complexity)]
    static SCRATCH: std::cell::Cell<(Vec<bool>, Vec<bool>, Vec<u32>)> = Default::default();
}

/// The insns that need an op. Labels need none (branches go to the op
/// after them). An instruction start does work only when it is a precise
/// sync point (`sync`, from `IrBlock::sync_starts`) or when a store or
/// call ran since the previous one (`exec` then checks for an exit
/// request); otherwise it is dropped when no store or call comes between it
/// and the previous instruction start in program order and no label does
/// either (a label may be reached from a path that stored).
fn kept_insns(b: &IrBlock, sync: &[bool], keep: &mut Vec<bool>) {
    let mut may_have_stored = false;
    keep.clear();
    keep.extend(
        b.insns
            .iter()
            .zip(sync)
            .map(|(insn, &sync)| match insn.opc {
                Opcode::SetLabel => {
                    may_have_stored = true;
                    false
                }
                Opcode::InsnStart => {
                    let keep = sync || may_have_stored;
                    may_have_stored = false;
                    keep
                }
                Opcode::StI32 | Opcode::StI64 | Opcode::St2I64 | Opcode::Call => {
                    may_have_stored = true;
                    true
                }
                _ => true,
            }),
    );
}

fn lower_insn(b: &IrBlock, insn: &Insn, label_at: &[u32]) -> Op {
    let mut a = insn.args;
    if insn.opc == Opcode::Call {
        if a[0] != NO_TEMP {
            a[0] = temp_off(b, a[0]);
        }
        for slot in a.iter_mut().skip(1).take(insn.nargs as usize) {
            *slot = temp_off(b, *slot);
        }
        return Op {
            opc: insn.opc,
            r32: insn.args[0] != NO_TEMP && b.ty(insn.t(0)) == Type::I32,
            a,
            imm: insn.imm,
        };
    }
    let info = insn.info();
    let nt = info.outs.len() + info.ins.len();
    for slot in a.iter_mut().take(nt) {
        *slot = temp_off(b, *slot);
    }
    // Labels become op indices.
    let mut k = nt;
    for c in info.consts {
        match c {
            crate::ir::ConstKind::Imm => continue,
            crate::ir::ConstKind::Label => a[k] = label_at[a[k] as usize],
            _ => {}
        }
        k += 1;
    }
    Op {
        opc: insn.opc,
        r32: false,
        a,
        imm: insn.imm,
    }
}

/// Runs a lowered block on `env` in the interpreter; returns an `exit` code.
///
/// # Safety
/// `env` must point to the guest state struct the block was translated for,
/// whose `CpuCommon::guest_base` maps every guest address the block touches.
pub unsafe fn exec(code: &Code, env: *mut u8) -> u64 {
    debug_assert!(code.interpretable(), "interpreting a template-only block");
    if let Some(r) = run_ops(&code.ops, code.softmmu, code.pc_off, env) {
        return r;
    }
    // SAFETY: the terminal's offsets were computed like the ops'.
    match &code.term {
        Term::Jump(pc) => {
            wr64(env, code.pc_off, *pc);
            exit::JUMP0
        }
        Term::Indirect(t) => {
            wr64(env, code.pc_off, rd64(env, *t));
            exit::INDIRECT
        }
        Term::Cond {
            cond,
            a,
            b,
            ty,
            taken,
            not_taken,
        } => {
            let c = match ty {
                Type::I32 => cond.eval32(rd32(env, *a), rd32(env, *b)),
                _ => cond.eval64(rd64(env, *a), rd64(env, *b)),
            };
            if c {
                wr64(env, code.pc_off, *taken);
                exit::JUMP0
            } else {
                wr64(env, code.pc_off, *not_taken);
                exit::JUMP1
            }
        }
        Term::Exit { pc, reason } => {
            wr64(env, code.pc_off, *pc);
            exit::guest(*reason)
        }
    }
}

/// Runs one data op (not a label, branch, instruction start or exit) for
/// template code: how it does what it does not emit itself. `softmmu` is
/// the block's `Code::softmmu`.
///
/// # Safety
/// `op` points into the `ops` of a live `Code` built for `env`'s guest.
pub(crate) unsafe extern "sysv64" fn one_op(env: *mut u8, op: *const Op, softmmu: u64) {
    run_ops(std::slice::from_raw_parts(op, 1), softmmu != 0, 0, env);
}

#[inline(always)]
unsafe fn rd64(env: *mut u8, o: u32) -> u64 {
    (env.add(o as usize) as *const u64).read_unaligned()
}
#[inline(always)]
unsafe fn rd32(env: *mut u8, o: u32) -> u32 {
    (env.add(o as usize) as *const u32).read_unaligned()
}
#[inline(always)]
unsafe fn wr64(env: *mut u8, o: u32, v: u64) {
    (env.add(o as usize) as *mut u64).write_unaligned(v)
}

/// Runs `ops` in order (following branches); `Some(exit)` when one leaves
/// the block, `None` when control falls off the end (to the terminal).
#[inline(always)]
unsafe fn run_ops(ops: &[Op], softmmu: bool, pc_off: u32, env: *mut u8) -> Option<u64> {
    // SAFETY (whole function): operand offsets were computed from the guest's
    // globals and the scratch area, all inside the env struct.
    macro_rules! r64 {
        ($o:expr) => {
            (env.add($o as usize) as *const u64).read_unaligned()
        };
    }
    macro_rules! r32 {
        ($o:expr) => {
            (env.add($o as usize) as *const u32).read_unaligned()
        };
    }
    macro_rules! w64 {
        ($o:expr, $v:expr) => {
            (env.add($o as usize) as *mut u64).write_unaligned($v)
        };
    }
    macro_rules! w32 {
        ($o:expr, $v:expr) => {
            (env.add($o as usize) as *mut u32).write_unaligned($v)
        };
    }
    let common = &*(env as *const crate::cpu::CpuCommon);
    let base = common.guest_base as *mut u8;
    let mut ip = 0usize;
    // A store or call since the last instruction start (see `insn_start`).
    let mut stored = false;
    while ip < ops.len() {
        let op = ops.get_unchecked(ip);
        ip += 1;
        let a = &op.a;
        use Opcode::*;
        match op.opc {
            MovI32 => w32!(a[0], r32!(a[1])),
            MovI64 => w64!(a[0], r64!(a[1])),
            MoviI32 => w32!(a[0], op.imm as u32),
            MoviI64 => w64!(a[0], op.imm),

            AddI32 => w32!(a[0], r32!(a[1]).wrapping_add(r32!(a[2]))),
            SubI32 => w32!(a[0], r32!(a[1]).wrapping_sub(r32!(a[2]))),
            MulI32 => w32!(a[0], r32!(a[1]).wrapping_mul(r32!(a[2]))),
            AndI32 => w32!(a[0], r32!(a[1]) & r32!(a[2])),
            OrI32 => w32!(a[0], r32!(a[1]) | r32!(a[2])),
            XorI32 => w32!(a[0], r32!(a[1]) ^ r32!(a[2])),
            AndcI32 => w32!(a[0], r32!(a[1]) & !r32!(a[2])),
            OrcI32 => w32!(a[0], r32!(a[1]) | !r32!(a[2])),
            EqvI32 => w32!(a[0], !(r32!(a[1]) ^ r32!(a[2]))),
            ShlI32 => w32!(a[0], r32!(a[1]) << (r32!(a[2]) & 31)),
            ShrI32 => w32!(a[0], r32!(a[1]) >> (r32!(a[2]) & 31)),
            SarI32 => w32!(a[0], ((r32!(a[1]) as i32) >> (r32!(a[2]) & 31)) as u32),
            RotlI32 => w32!(a[0], r32!(a[1]).rotate_left(r32!(a[2]) & 31)),
            RotrI32 => w32!(a[0], r32!(a[1]).rotate_right(r32!(a[2]) & 31)),
            DivsI32 => w32!(a[0], sdiv32(r32!(a[1]), r32!(a[2]))),
            DivuI32 => w32!(a[0], r32!(a[1]).checked_div(r32!(a[2])).unwrap_or(0)),
            RemsI32 => w32!(a[0], srem32(r32!(a[1]), r32!(a[2]))),
            RemuI32 => w32!(
                a[0],
                r32!(a[1]).checked_rem(r32!(a[2])).unwrap_or(r32!(a[1]))
            ),
            NegI32 => w32!(a[0], r32!(a[1]).wrapping_neg()),
            NotI32 => w32!(a[0], !r32!(a[1])),
            ClzI32 => w32!(a[0], r32!(a[1]).leading_zeros()),
            CtzI32 => w32!(a[0], r32!(a[1]).trailing_zeros()),
            CtpopI32 => w32!(a[0], r32!(a[1]).count_ones()),
            Bswap16I32 => w32!(a[0], (r32!(a[1]) as u16).swap_bytes() as u32),
            Bswap32I32 => w32!(a[0], r32!(a[1]).swap_bytes()),
            Ext8sI32 => w32!(a[0], r32!(a[1]) as i8 as i32 as u32),
            Ext8uI32 => w32!(a[0], r32!(a[1]) as u8 as u32),
            Ext16sI32 => w32!(a[0], r32!(a[1]) as i16 as i32 as u32),
            Ext16uI32 => w32!(a[0], r32!(a[1]) as u16 as u32),
            ExtractI32 => w32!(a[0], extract64(r32!(a[1]) as u64, a[2], a[3]) as u32),
            SextractI32 => w32!(a[0], sextract64(r32!(a[1]) as u64, a[2], a[3]) as u32),
            DepositI32 => w32!(
                a[0],
                deposit64(r32!(a[1]) as u64, r32!(a[2]) as u64, a[3], a[4]) as u32
            ),
            SetcondI32 => w32!(
                a[0],
                Cond::from_u32(a[3]).eval32(r32!(a[1]), r32!(a[2])) as u32
            ),
            MovcondI32 => {
                let c = Cond::from_u32(a[5]).eval32(r32!(a[1]), r32!(a[2]));
                w32!(a[0], if c { r32!(a[3]) } else { r32!(a[4]) })
            }

            AddI64 => w64!(a[0], r64!(a[1]).wrapping_add(r64!(a[2]))),
            SubI64 => w64!(a[0], r64!(a[1]).wrapping_sub(r64!(a[2]))),
            MulI64 => w64!(a[0], r64!(a[1]).wrapping_mul(r64!(a[2]))),
            MulhsI64 => w64!(
                a[0],
                ((r64!(a[1]) as i64 as i128 * r64!(a[2]) as i64 as i128) >> 64) as u64
            ),
            MulhuI64 => w64!(
                a[0],
                ((r64!(a[1]) as u128 * r64!(a[2]) as u128) >> 64) as u64
            ),
            AndI64 => w64!(a[0], r64!(a[1]) & r64!(a[2])),
            OrI64 => w64!(a[0], r64!(a[1]) | r64!(a[2])),
            XorI64 => w64!(a[0], r64!(a[1]) ^ r64!(a[2])),
            AndcI64 => w64!(a[0], r64!(a[1]) & !r64!(a[2])),
            OrcI64 => w64!(a[0], r64!(a[1]) | !r64!(a[2])),
            EqvI64 => w64!(a[0], !(r64!(a[1]) ^ r64!(a[2]))),
            ShlI64 => w64!(a[0], r64!(a[1]) << (r64!(a[2]) & 63)),
            ShrI64 => w64!(a[0], r64!(a[1]) >> (r64!(a[2]) & 63)),
            SarI64 => w64!(a[0], ((r64!(a[1]) as i64) >> (r64!(a[2]) & 63)) as u64),
            RotlI64 => w64!(a[0], r64!(a[1]).rotate_left((r64!(a[2]) & 63) as u32)),
            RotrI64 => w64!(a[0], r64!(a[1]).rotate_right((r64!(a[2]) & 63) as u32)),
            DivsI64 => w64!(a[0], sdiv64(r64!(a[1]), r64!(a[2]))),
            DivuI64 => w64!(a[0], r64!(a[1]).checked_div(r64!(a[2])).unwrap_or(0)),
            RemsI64 => w64!(a[0], srem64(r64!(a[1]), r64!(a[2]))),
            RemuI64 => w64!(
                a[0],
                r64!(a[1]).checked_rem(r64!(a[2])).unwrap_or(r64!(a[1]))
            ),
            NegI64 => w64!(a[0], r64!(a[1]).wrapping_neg()),
            NotI64 => w64!(a[0], !r64!(a[1])),
            ClzI64 => w64!(a[0], r64!(a[1]).leading_zeros() as u64),
            CtzI64 => w64!(a[0], r64!(a[1]).trailing_zeros() as u64),
            CtpopI64 => w64!(a[0], r64!(a[1]).count_ones() as u64),
            Bswap16I64 => w64!(a[0], (r64!(a[1]) as u16).swap_bytes() as u64),
            Bswap32I64 => w64!(a[0], (r64!(a[1]) as u32).swap_bytes() as u64),
            Bswap64I64 => w64!(a[0], r64!(a[1]).swap_bytes()),
            Ext8sI64 => w64!(a[0], r64!(a[1]) as i8 as i64 as u64),
            Ext8uI64 => w64!(a[0], r64!(a[1]) as u8 as u64),
            Ext16sI64 => w64!(a[0], r64!(a[1]) as i16 as i64 as u64),
            Ext16uI64 => w64!(a[0], r64!(a[1]) as u16 as u64),
            Ext32sI64 => w64!(a[0], r64!(a[1]) as i32 as i64 as u64),
            Ext32uI64 => w64!(a[0], r64!(a[1]) as u32 as u64),
            ExtractI64 => w64!(a[0], extract64(r64!(a[1]), a[2], a[3])),
            SextractI64 => w64!(a[0], sextract64(r64!(a[1]), a[2], a[3])),
            DepositI64 => w64!(a[0], deposit64(r64!(a[1]), r64!(a[2]), a[3], a[4])),
            SetcondI64 => w64!(
                a[0],
                Cond::from_u32(a[3]).eval64(r64!(a[1]), r64!(a[2])) as u64
            ),
            MovcondI64 => {
                let c = Cond::from_u32(a[5]).eval64(r64!(a[1]), r64!(a[2]));
                w64!(a[0], if c { r64!(a[3]) } else { r64!(a[4]) })
            }

            FaddF64 => w64!(a[0], (f64b(r64!(a[1])) + f64b(r64!(a[2]))).to_bits()),
            FsubF64 => w64!(a[0], (f64b(r64!(a[1])) - f64b(r64!(a[2]))).to_bits()),
            FmulF64 => w64!(a[0], (f64b(r64!(a[1])) * f64b(r64!(a[2]))).to_bits()),
            FdivF64 => w64!(a[0], (f64b(r64!(a[1])) / f64b(r64!(a[2]))).to_bits()),
            FaddF32 => w64!(a[0], (f32b(r64!(a[1])) + f32b(r64!(a[2]))).to_bits() as u64),
            FsubF32 => w64!(a[0], (f32b(r64!(a[1])) - f32b(r64!(a[2]))).to_bits() as u64),
            FmulF32 => w64!(a[0], (f32b(r64!(a[1])) * f32b(r64!(a[2]))).to_bits() as u64),
            FdivF32 => w64!(a[0], (f32b(r64!(a[1])) / f32b(r64!(a[2]))).to_bits() as u64),

            ExtrlI64I32 => w32!(a[0], r64!(a[1]) as u32),
            ExtrhI64I32 => w32!(a[0], (r64!(a[1]) >> 32) as u32),
            ExtuI32I64 => w64!(a[0], r32!(a[1]) as u64),
            ExtsI32I64 => w64!(a[0], r32!(a[1]) as i32 as i64 as u64),

            SetLabel => {}
            InsnStart => {
                if op.a[0] != 0 {
                    w64!(crate::cpu::OFF_INSN_PC, op.imm);
                }
                if stored {
                    stored = false;
                    if common
                        .exit_request
                        .load(std::sync::atomic::Ordering::Relaxed)
                        != 0
                    {
                        w64!(pc_off, op.imm);
                        return Some(exit::REQUEST);
                    }
                }
            }
            Br => ip = a[0] as usize,
            BrcondI32 => {
                if Cond::from_u32(a[2]).eval32(r32!(a[0]), r32!(a[1])) {
                    ip = a[3] as usize;
                }
            }
            BrcondI64 => {
                if Cond::from_u32(a[2]).eval64(r64!(a[0]), r64!(a[1])) {
                    ip = a[3] as usize;
                }
            }
            Exit => return Some(exit::guest(op.imm as u32)),

            LdI32 | LdI64 if softmmu => {
                let v = crate::softmmu::load_inline(env, r64!(a[1]), MemOp(a[2] as u16), a[3]);
                if op.opc == LdI32 {
                    w32!(a[0], v as u32)
                } else {
                    w64!(a[0], v)
                }
            }
            StI32 | StI64 if softmmu => {
                let v = if op.opc == StI32 {
                    r32!(a[0]) as u64
                } else {
                    r64!(a[0])
                };
                crate::softmmu::store_inline(env, r64!(a[1]), v, MemOp(a[2] as u16), a[3]);
                stored = true;
            }
            LdI32 => w32!(
                a[0],
                guest_load(base, r64!(a[1]), MemOp(a[2] as u16)) as u32
            ),
            LdI64 => w64!(a[0], guest_load(base, r64!(a[1]), MemOp(a[2] as u16))),
            StI32 => {
                guest_store(base, r64!(a[1]), r32!(a[0]) as u64, MemOp(a[2] as u16));
                stored = true;
            }
            StI64 => {
                guest_store(base, r64!(a[1]), r64!(a[0]), MemOp(a[2] as u16));
                stored = true;
            }
            Ld2I64 if softmmu => {
                let (m, idx) = (MemOp(a[3] as u16), a[4]);
                let addr = r64!(a[2]);
                let lo = crate::softmmu::load_inline(env, addr, m, idx);
                let hi = crate::softmmu::load_inline(env, addr.wrapping_add(8), m, idx);
                w64!(a[0], lo);
                w64!(a[1], hi);
            }
            St2I64 if softmmu => {
                let (m, idx) = (MemOp(a[3] as u16), a[4]);
                let addr = r64!(a[2]);
                crate::softmmu::store_inline(env, addr, r64!(a[0]), m, idx);
                crate::softmmu::store_inline(env, addr.wrapping_add(8), r64!(a[1]), m, idx);
                stored = true;
            }
            Ld2I64 => {
                let (lo, hi) = guest_load2(base, r64!(a[2]), MemOp(a[3] as u16));
                w64!(a[0], lo);
                w64!(a[1], hi);
            }
            St2I64 => {
                guest_store2(base, r64!(a[2]), r64!(a[0]), r64!(a[1]), MemOp(a[3] as u16));
                stored = true;
            }

            LdEnvI32 => w32!(a[0], env_load(env, a[1], MemOp(a[2] as u16)) as u32),
            LdEnvI64 => w64!(a[0], env_load(env, a[1], MemOp(a[2] as u16))),
            StEnvI32 => env_store(env, a[1], r32!(a[0]) as u64, MemOp(a[2] as u16)),
            StEnvI64 => env_store(env, a[1], r64!(a[0]), MemOp(a[2] as u16)),

            Call => {
                stored = true;
                let h = &*(op.imm as *const Helper);
                let mut args = [0u64; 5];
                for (i, v) in args.iter_mut().enumerate().take(h.nargs as usize) {
                    *v = r64!(a[i + 1]);
                }
                let r = h.invoke(env, &args);
                if a[0] != NO_TEMP {
                    if op.r32 {
                        w32!(a[0], r as u32);
                    } else {
                        w64!(a[0], r);
                    }
                }
            }
        }
    }
    None
}

#[inline(always)]
fn f64b(v: u64) -> f64 {
    f64::from_bits(v)
}
#[inline(always)]
fn f32b(v: u64) -> f32 {
    f32::from_bits(v as u32)
}

#[inline(always)]
fn sdiv32(a: u32, b: u32) -> u32 {
    if b == 0 {
        0
    } else {
        (a as i32).wrapping_div(b as i32) as u32
    }
}
#[inline(always)]
fn srem32(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        (a as i32).wrapping_rem(b as i32) as u32
    }
}
#[inline(always)]
fn sdiv64(a: u64, b: u64) -> u64 {
    if b == 0 {
        0
    } else {
        (a as i64).wrapping_div(b as i64) as u64
    }
}
#[inline(always)]
fn srem64(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        (a as i64).wrapping_rem(b as i64) as u64
    }
}

#[inline(always)]
pub fn extract64(v: u64, pos: u32, len: u32) -> u64 {
    (v >> pos) & (u64::MAX >> (64 - len))
}
#[inline(always)]
pub fn sextract64(v: u64, pos: u32, len: u32) -> u64 {
    (((v >> pos) << (64 - len)) as i64 >> (64 - len)) as u64
}
#[inline(always)]
pub fn deposit64(a: u64, b: u64, pos: u32, len: u32) -> u64 {
    let mask = (u64::MAX >> (64 - len)) << pos;
    (a & !mask) | ((b << pos) & mask)
}

#[inline(always)]
unsafe fn guest_load(base: *mut u8, addr: u64, m: MemOp) -> u64 {
    let p = base.wrapping_add(addr as usize);
    let v = match m.log2() {
        0 => p.read() as u64,
        1 => {
            let v = (p as *const u16).read_unaligned();
            (if m.is_be() { v.swap_bytes() } else { v }) as u64
        }
        2 => {
            let v = (p as *const u32).read_unaligned();
            (if m.is_be() { v.swap_bytes() } else { v }) as u64
        }
        _ => {
            let v = (p as *const u64).read_unaligned();
            if m.is_be() {
                v.swap_bytes()
            } else {
                v
            }
        }
    };
    if m.is_signed() {
        let sh = 64 - 8 * m.bytes();
        ((v << sh) as i64 >> sh) as u64
    } else {
        v
    }
}

#[inline(always)]
unsafe fn guest_store(base: *mut u8, addr: u64, v: u64, m: MemOp) {
    let p = base.wrapping_add(addr as usize);
    match m.log2() {
        0 => p.write(v as u8),
        1 => {
            let v = v as u16;
            (p as *mut u16).write_unaligned(if m.is_be() { v.swap_bytes() } else { v })
        }
        2 => {
            let v = v as u32;
            (p as *mut u32).write_unaligned(if m.is_be() { v.swap_bytes() } else { v })
        }
        _ => (p as *mut u64).write_unaligned(if m.is_be() { v.swap_bytes() } else { v }),
    }
}

/// `ld2_i64`: one 16-byte access (single-copy atomic when aligned: an SSE
/// aligned load, atomic on every x86-64 CPU with AVX) or, misaligned, two
/// 8-byte ones.
#[inline(always)]
unsafe fn guest_load2(base: *mut u8, addr: u64, m: MemOp) -> (u64, u64) {
    let p = base.wrapping_add(addr as usize);
    #[cfg(target_arch = "x86_64")]
    if p as usize & 15 == 0 {
        // One MOVDQA, in asm so the compiler cannot split it into two
        // 8-byte loads.
        let v: std::arch::x86_64::__m128i;
        std::arch::asm!(
            "movdqa {v}, xmmword ptr [{p}]",
            v = out(xmm_reg) v,
            p = in(reg) p,
            options(nostack, readonly, preserves_flags),
        );
        let [lo, hi]: [u64; 2] = std::mem::transmute(v);
        return if m.is_be() {
            (lo.swap_bytes(), hi.swap_bytes())
        } else {
            (lo, hi)
        };
    }
    (
        guest_load(base, addr, m),
        guest_load(base, addr.wrapping_add(8), m),
    )
}

/// `st2_i64`: the store counterpart of `guest_load2`.
#[inline(always)]
unsafe fn guest_store2(base: *mut u8, addr: u64, lo: u64, hi: u64, m: MemOp) {
    let p = base.wrapping_add(addr as usize);
    #[cfg(target_arch = "x86_64")]
    if p as usize & 15 == 0 {
        use std::arch::x86_64::*;
        let (lo, hi) = if m.is_be() {
            (lo.swap_bytes(), hi.swap_bytes())
        } else {
            (lo, hi)
        };
        let v = _mm_set_epi64x(hi as i64, lo as i64);
        std::arch::asm!(
            "movdqa xmmword ptr [{p}], {v}",
            v = in(xmm_reg) v,
            p = in(reg) p,
            options(nostack, preserves_flags),
        );
        return;
    }
    guest_store(base, addr, lo, m);
    guest_store(base, addr.wrapping_add(8), hi, m);
}

#[inline(always)]
unsafe fn env_load(env: *mut u8, off: u32, m: MemOp) -> u64 {
    guest_load(env, off as u64, MemOp(m.0 & !0x10))
}
#[inline(always)]
unsafe fn env_store(env: *mut u8, off: u32, v: u64, m: MemOp) {
    guest_store(env, off as u64, v, MemOp(m.0 & !0x10))
}

#[cfg(test)]
mod tests {
    use super::kept_insns;
    use crate::ir::{Builder, GlobalDef, MemOp, Opcode, Terminal, Type};

    static GLOBALS: [GlobalDef; 2] = [
        GlobalDef {
            name: "r0",
            offset: 4096 * 8 + 64,
            ty: Type::I64,
        },
        GlobalDef {
            name: "pc",
            offset: 4096 * 8 + 72,
            ty: Type::I64,
        },
    ];

    /// Instruction starts survive lowering exactly where a store, a call or
    /// a label comes before them (or, in precise mode, where their
    /// instruction can fault); labels never become ops.
    #[test]
    fn instruction_starts_kept_only_after_stores_and_labels() {
        let mut b = Builder::new(&GLOBALS, 1);
        let r0 = b.global(0);
        let l = b.new_label();
        b.insn_start(0); // 0: block start, dropped
        b.movi_i64(r0, 1); // 1
        b.insn_start(4); // 2: nothing stored, dropped
        b.st_i64(r0, r0, MemOp(3), 0); // 3
        b.insn_start(8); // 4: after a store, kept
        b.set_label(l); // 5: no op
        b.insn_start(12); // 6: after a label, kept
        b.insn_start(16); // 7: dropped
        let mut ir = b.finish(0, 0, 20, 1, Terminal::Jump(20));
        let opcs: Vec<Opcode> = ir.insns.iter().map(|i| i.opc).collect();
        assert_eq!(opcs[5], Opcode::SetLabel);
        let mut sync = Vec::new();
        ir.sync_starts(&mut sync);
        let mut keep = Vec::new();
        kept_insns(&ir, &sync, &mut keep);
        assert_eq!(
            keep,
            vec![false, true, false, true, true, false, true, false]
        );
        ir.precise = true;
        ir.sync_starts(&mut sync);
        // Only the start of the storing instruction is a sync point.
        assert_eq!(
            sync,
            vec![false, false, true, false, false, false, false, false]
        );
        kept_insns(&ir, &sync, &mut keep);
        assert_eq!(
            keep,
            vec![false, true, true, true, true, false, true, false]
        );
        // Lowered, only that start records its pc.
        let code = super::lower(&ir).unwrap();
        let records: Vec<(u64, u32)> = code
            .ops
            .iter()
            .filter(|o| o.opc == Opcode::InsnStart)
            .map(|o| (o.imm, o.a[0]))
            .collect();
        assert_eq!(records, vec![(4, 1), (8, 0), (12, 0)]);
    }
}
