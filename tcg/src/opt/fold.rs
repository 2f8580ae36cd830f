//! Forward pass: propagates constants and copies into operands, folds ops
//! whose inputs are all constant, applies algebraic identities, and turns
//! branches with known outcomes into jumps or nothing.
//!
//! Knowledge about temps is dropped at labels (another path may arrive) and,
//! for globals, at helpers that write the env.

use crate::backend::interp::{deposit64, extract64, sextract64};
use crate::ir::{Cond, Insn, IrBlock, Opcode, Temp, Terminal, Type, MAX_ARGS, NO_TEMP};

#[derive(Copy, Clone, PartialEq, Eq)]
enum Val {
    Unknown,
    Const(u64),
    /// Same value as the temp, as long as its version is unchanged.
    Copy(u32, u32),
}

struct State {
    val: Vec<Val>,
    /// Bumped on every write of a temp (invalidates copies of it).
    version: Vec<u32>,
    /// `val` entries are valid only if `epoch[t] == cur_epoch`.
    epoch: Vec<u32>,
    cur_epoch: u32,
    n_globals: u32,
}

impl State {
    fn get(&self, t: u32) -> Val {
        if self.epoch[t as usize] != self.cur_epoch {
            return Val::Unknown;
        }
        match self.val[t as usize] {
            Val::Copy(s, v) if self.version[s as usize] != v => Val::Unknown,
            v => v,
        }
    }
    fn set(&mut self, t: u32, v: Val) {
        self.version[t as usize] = self.version[t as usize].wrapping_add(1);
        self.val[t as usize] = v;
        self.epoch[t as usize] = self.cur_epoch;
    }
    fn forget_all(&mut self) {
        self.cur_epoch += 1;
        // Copies refer to versions; bump all so none survive.
        for v in self.version.iter_mut() {
            *v = v.wrapping_add(1);
        }
    }
    fn forget_globals(&mut self) {
        for g in 0..self.n_globals {
            self.set(g, Val::Unknown);
        }
    }
    fn konst(&self, t: u32) -> Option<u64> {
        match self.get(t) {
            Val::Const(c) => Some(c),
            _ => None,
        }
    }
}

fn mask(ty: Type, v: u64) -> u64 {
    match ty {
        Type::I32 => v as u32 as u64,
        _ => v,
    }
}

/// Value of a pure op on constant inputs, or `None` if not folded here.
fn eval(opc: Opcode, ty: Type, a: &[u64], c: &[u32]) -> Option<u64> {
    use Opcode::*;
    let bits = ty.bits();
    let sh = |x: u64| x & (bits as u64 - 1);
    let sx = |x: u64| match ty {
        Type::I32 => x as u32 as i32 as i64,
        _ => x as i64,
    };
    Some(match opc {
        AddI32 | AddI64 => a[0].wrapping_add(a[1]),
        SubI32 | SubI64 => a[0].wrapping_sub(a[1]),
        MulI32 | MulI64 => a[0].wrapping_mul(a[1]),
        AndI32 | AndI64 => a[0] & a[1],
        OrI32 | OrI64 => a[0] | a[1],
        XorI32 | XorI64 => a[0] ^ a[1],
        AndcI32 | AndcI64 => a[0] & !a[1],
        OrcI32 | OrcI64 => a[0] | !a[1],
        EqvI32 | EqvI64 => !(a[0] ^ a[1]),
        ShlI32 | ShlI64 => a[0] << sh(a[1]),
        ShrI32 | ShrI64 => mask(ty, a[0]) >> sh(a[1]),
        SarI32 | SarI64 => (sx(a[0]) >> sh(a[1])) as u64,
        NegI32 | NegI64 => a[0].wrapping_neg(),
        NotI32 | NotI64 => !a[0],
        Ext8sI32 | Ext8sI64 => a[0] as i8 as i64 as u64,
        Ext8uI32 | Ext8uI64 => a[0] as u8 as u64,
        Ext16sI32 | Ext16sI64 => a[0] as i16 as i64 as u64,
        Ext16uI32 | Ext16uI64 => a[0] as u16 as u64,
        Ext32sI64 | ExtsI32I64 => a[0] as i32 as i64 as u64,
        Ext32uI64 | ExtuI32I64 | ExtrlI64I32 => a[0] as u32 as u64,
        ExtrhI64I32 => a[0] >> 32,
        ExtractI32 | ExtractI64 => extract64(mask(ty, a[0]), c[0], c[1]),
        SextractI32 | SextractI64 => sextract64(mask(ty, a[0]), c[0], c[1]),
        DepositI32 | DepositI64 => deposit64(a[0], a[1], c[0], c[1]),
        SetcondI32 => Cond::from_u32(c[0]).eval32(a[0] as u32, a[1] as u32) as u64,
        SetcondI64 => Cond::from_u32(c[0]).eval64(a[0], a[1]) as u64,
        _ => return None,
    })
}

/// `op a, b == op b, a`.
fn commutative(opc: Opcode) -> bool {
    use Opcode::*;
    matches!(
        opc,
        AddI32 | AddI64 | OrI32 | OrI64 | XorI32 | XorI64 | AndI32 | AndI64 | MulI32 | MulI64
    )
}

/// The input that makes `op x, k` equal to `x` (right identity), if any.
fn right_identity(opc: Opcode, k: u64, ty: Type) -> bool {
    use Opcode::*;
    let ones = mask(ty, u64::MAX);
    match opc {
        AddI32 | AddI64 | SubI32 | SubI64 | OrI32 | OrI64 | XorI32 | XorI64 | ShlI32 | ShlI64
        | ShrI32 | ShrI64 | SarI32 | SarI64 | RotlI32 | RotlI64 | RotrI32 | RotrI64 | AndcI32
        | AndcI64 => k == 0,
        AndI32 | AndI64 | OrcI32 | OrcI64 => mask(ty, k) == ones,
        MulI32 | MulI64 => k == 1,
        _ => false,
    }
}

fn mov_op(ty: Type) -> Opcode {
    if ty == Type::I32 {
        Opcode::MovI32
    } else {
        Opcode::MovI64
    }
}
fn movi_op(ty: Type) -> Opcode {
    if ty == Type::I32 {
        Opcode::MoviI32
    } else {
        Opcode::MoviI64
    }
}

fn mk(opc: Opcode, d: u32, a: Option<u32>, imm: u64) -> Insn {
    let mut args = [0u32; MAX_ARGS];
    args[0] = d;
    if let Some(a) = a {
        args[1] = a;
    }
    Insn {
        opc,
        nargs: 0,
        args,
        imm,
    }
}

thread_local! {
    /// `State`'s vectors, reused from block to block (every translated
    /// block runs this pass; allocating them was a visible part of
    /// translation time).
    static SCRATCH: std::cell::Cell<(Vec<Val>, Vec<u32>, Vec<u32>)> = Default::default();
}

pub fn fold(b: &mut IrBlock) {
    let n = b.temps.len();
    let (mut val, mut version, mut epoch) = SCRATCH.take();
    val.clear();
    val.resize(n, Val::Unknown);
    version.clear();
    version.resize(n, 0);
    epoch.clear();
    epoch.resize(n, 0);
    let mut st = State {
        val,
        version,
        epoch,
        cur_epoch: 1,
        n_globals: b.n_globals,
    };
    run(b, &mut st);
    SCRATCH.set((st.val, st.version, st.epoch));
}

fn run(b: &mut IrBlock, st: &mut State) {
    // In place: every op read gives at most one op out, so the write index
    // never passes the read index (no second vector per block).
    let mut w = 0usize;
    macro_rules! out {
        ($e:expr) => {{
            let v = $e;
            b.insns[w] = v;
            w += 1;
        }};
    }
    for r in 0..b.insns.len() {
        let mut insn = b.insns[r];
        // Substitute copies into inputs.
        let ty_of = |t: u32| b.temps[t as usize].ty;
        for slot in insn.ins_mut() {
            if let Val::Copy(s, _) = st.get(*slot) {
                if ty_of(s) == ty_of(*slot) {
                    *slot = s;
                }
            }
        }
        let info = insn.info();
        match insn.opc {
            Opcode::SetLabel => {
                st.forget_all();
                out!(insn);
                continue;
            }
            Opcode::BrcondI32 | Opcode::BrcondI64 => {
                let (x, y) = (st.konst(insn.args[0]), st.konst(insn.args[1]));
                if let (Some(x), Some(y)) = (x, y) {
                    let c = Cond::from_u32(insn.c(0));
                    let taken = if insn.opc == Opcode::BrcondI32 {
                        c.eval32(x as u32, y as u32)
                    } else {
                        c.eval64(x, y)
                    };
                    if taken {
                        let mut args = [0u32; MAX_ARGS];
                        args[0] = insn.c(1);
                        out!(Insn {
                            opc: Opcode::Br,
                            nargs: 0,
                            args,
                            imm: 0,
                        });
                    }
                    continue;
                }
                out!(insn);
                continue;
            }
            Opcode::Call => {
                let h = insn.helper();
                if h.writes_env() {
                    st.forget_globals();
                }
                if insn.args[0] != NO_TEMP {
                    st.set(insn.args[0], Val::Unknown);
                }
                out!(insn);
                continue;
            }
            _ => {}
        }
        if info.outs.len() != 1 {
            let (mut outs, mut n) = ([0u32; MAX_ARGS], 0);
            for t in insn.outs() {
                outs[n] = t.0;
                n += 1;
            }
            for &t in &outs[..n] {
                st.set(t, Val::Unknown);
            }
            out!(insn);
            continue;
        }
        let d = insn.args[0];
        let ty = info.outs[0];
        // (Fixed arrays, not Vecs: this runs for every op of every block.)
        let (mut ins_buf, mut consts_buf, mut nin) = ([0u32; MAX_ARGS], [None; MAX_ARGS], 0);
        for t in insn.ins() {
            ins_buf[nin] = t.0;
            consts_buf[nin] = st.konst(t.0);
            nin += 1;
        }
        let (ins, consts) = (&ins_buf[..nin], &consts_buf[..nin]);
        // mov / movi.
        match insn.opc {
            Opcode::MoviI32 | Opcode::MoviI64 => {
                let v = mask(ty, insn.imm);
                st.set(d, Val::Const(v));
                out!(insn);
                continue;
            }
            Opcode::MovI32 | Opcode::MovI64 => {
                let s = ins[0];
                if s == d {
                    continue;
                }
                match consts[0] {
                    Some(k) => {
                        st.set(d, Val::Const(k));
                        out!(mk(movi_op(ty), d, None, k));
                    }
                    None => {
                        let ver = st.version[s as usize];
                        st.set(d, Val::Unknown);
                        // Only track the copy if `s` is not `d` (handled) and
                        // knowledge of `s` is current.
                        st.val[d as usize] = Val::Copy(s, ver);
                        out!(insn);
                    }
                }
                continue;
            }
            _ => {}
        }
        if info.is_pure() && !ins.is_empty() && consts.iter().all(|c| c.is_some()) {
            let mut a = [0u64; MAX_ARGS];
            for (x, c) in a.iter_mut().zip(consts) {
                *x = c.unwrap_or(0);
            }
            let nc = info
                .consts
                .iter()
                .filter(|k| **k != crate::ir::ConstKind::Imm)
                .count();
            let mut c = [0u32; MAX_ARGS];
            for (k, x) in c.iter_mut().enumerate().take(nc) {
                *x = insn.c(k);
            }
            if let Some(v) = eval(insn.opc, ty, &a[..nin], &c[..nc]) {
                let v = mask(ty, v);
                st.set(d, Val::Const(v));
                out!(mk(movi_op(ty), d, None, v));
                continue;
            }
        }
        // x op identity -> x, and identity op x -> x for commutative ops
        // (`mov xd, xm` is `orr xd, xzr, xm` on AArch64).
        if info.is_pure() && ins.len() == 2 && info.ins[0] == ty {
            let (k, s) = match (consts[0], consts[1]) {
                (_, Some(k)) => (Some(k), ins[0]),
                (Some(k), None) if commutative(insn.opc) => (Some(k), ins[1]),
                _ => (None, 0),
            };
            if let Some(k) = k {
                if right_identity(insn.opc, k, ty) {
                    if s == d {
                        st.set(d, Val::Unknown);
                        continue;
                    }
                    let ver = st.version[s as usize];
                    st.set(d, Val::Unknown);
                    st.val[d as usize] = Val::Copy(s, ver);
                    out!(mk(mov_op(ty), d, Some(s), 0));
                    continue;
                }
                if matches!(
                    insn.opc,
                    Opcode::AndI32 | Opcode::AndI64 | Opcode::MulI32 | Opcode::MulI64
                ) && k == 0
                {
                    st.set(d, Val::Const(0));
                    out!(mk(movi_op(ty), d, None, 0));
                    continue;
                }
            }
        }
        st.set(d, Val::Unknown);
        out!(insn);
    }
    b.insns.truncate(w);
    // A conditional terminal with known operands becomes a jump.
    if let Terminal::Cond {
        cond,
        a,
        b: bb,
        taken,
        not_taken,
    } = b.terminal
    {
        if let (Some(x), Some(y)) = (st.konst(a.0), st.konst(bb.0)) {
            let t = if b.ty(a) == Type::I32 {
                cond.eval32(x as u32, y as u32)
            } else {
                cond.eval64(x, y)
            };
            b.terminal = Terminal::Jump(if t { taken } else { not_taken });
        }
    }
    // Copies into the terminal's operands.
    match &mut b.terminal {
        Terminal::Indirect(t) => {
            if let Val::Copy(s, _) = st.get(t.0) {
                *t = Temp(s);
            }
        }
        Terminal::Cond { a, b: bb, .. } => {
            if let Val::Copy(s, _) = st.get(a.0) {
                *a = Temp(s);
            }
            if let Val::Copy(s, _) = st.get(bb.0) {
                *bb = Temp(s);
            }
        }
        _ => {}
    }
}
