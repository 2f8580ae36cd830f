//! Building IR blocks. The per-op emit methods (`add_i64`, `ld_i64`, ...) are
//! generated from the op table in `ops.rs`; this file holds temps, labels,
//! calls, constants and a few conveniences.

use super::{
    GlobalDef, Insn, IrBlock, Label, Opcode, Temp, TempInfo, TempKind, Terminal, Type, MAX_ARGS,
    NO_TEMP,
};
use crate::helper::Helper;

thread_local! {
    /// The vectors of a block dropped after lowering (`recycle`), for the
    /// next `Builder` on this thread: a block's op vector starts at 256 ops
    /// (~10 KiB), and allocating and freeing it for each of the tens of
    /// thousands of blocks a start-up or boot translates showed in
    /// profiles.
    static SPARE: std::cell::Cell<(Vec<Insn>, Vec<TempInfo>)> = Default::default();
}

/// Hands a block's vectors to the next `Builder::new` on this thread (a
/// block that is not kept after lowering).
pub fn recycle(b: IrBlock) {
    // (A huge block's vectors are not worth holding on to.)
    if b.insns.capacity() <= 4096 && b.temps.capacity() <= 4096 {
        SPARE.set((b.insns, b.temps));
    }
}

/// Accumulates the ops of one block.
pub struct Builder {
    pub(crate) insns: Vec<Insn>,
    pub(crate) temps: Vec<TempInfo>,
    globals: &'static [GlobalDef],
    pc_global: Temp,
    n_labels: u32,
}

impl Builder {
    /// Starts a block for a guest with these globals; `pc_global` is the index
    /// of the global that holds the guest pc.
    pub fn new(globals: &'static [GlobalDef], pc_global: usize) -> Builder {
        let (mut insns, mut temps) = SPARE.take();
        insns.clear();
        insns.reserve(256);
        temps.clear();
        temps.extend(globals.iter().map(|g| TempInfo {
            ty: g.ty,
            kind: TempKind::Global(g.offset),
        }));
        Builder {
            insns,
            temps,
            globals,
            pc_global: Temp(pc_global as u32),
            n_labels: 0,
        }
    }

    /// The temp of global number `i` (the guest's own numbering).
    pub fn global(&self, i: usize) -> Temp {
        debug_assert!(i < self.globals.len());
        Temp(i as u32)
    }

    pub fn pc_global(&self) -> Temp {
        self.pc_global
    }

    /// Number of ops emitted so far.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Number of temps (globals included) so far.
    pub fn n_temps(&self) -> usize {
        self.temps.len()
    }

    pub fn temp(&mut self, ty: Type) -> Temp {
        self.temps.push(TempInfo {
            ty,
            kind: TempKind::Local,
        });
        Temp(self.temps.len() as u32 - 1)
    }
    pub fn temp_i32(&mut self) -> Temp {
        self.temp(Type::I32)
    }
    pub fn temp_i64(&mut self) -> Temp {
        self.temp(Type::I64)
    }

    pub fn ty(&self, t: Temp) -> Type {
        self.temps[t.index()].ty
    }

    /// A new temp holding a 64-bit constant.
    pub fn const_i64(&mut self, v: u64) -> Temp {
        let t = self.temp_i64();
        self.movi_i64(t, v);
        t
    }
    /// A new temp holding a 32-bit constant.
    pub fn const_i32(&mut self, v: u32) -> Temp {
        let t = self.temp_i32();
        self.movi_i32(t, v as u64);
        t
    }

    pub fn new_label(&mut self) -> Label {
        self.n_labels += 1;
        Label(self.n_labels - 1)
    }

    pub(crate) fn push(&mut self, opc: Opcode, args: [u32; MAX_ARGS], imm: u64) {
        self.insns.push(Insn {
            opc,
            nargs: 0,
            args,
            imm,
        });
    }

    /// Calls `helper(env, args...)`; its 64-bit result (truncated for an i32
    /// `out`) goes to `out` if given.
    pub fn call(&mut self, helper: &'static Helper, out: Option<Temp>, args: &[Temp]) {
        assert!(
            args.len() < MAX_ARGS,
            "helper {} has too many args",
            helper.name
        );
        debug_assert_eq!(args.len(), helper.nargs as usize, "helper {}", helper.name);
        let mut a = [0u32; MAX_ARGS];
        a[0] = out.map_or(NO_TEMP, |t| t.0);
        for (i, t) in args.iter().enumerate() {
            a[i + 1] = t.0;
        }
        self.insns.push(Insn {
            opc: Opcode::Call,
            nargs: args.len() as u8,
            args: a,
            imm: helper as *const Helper as u64,
        });
    }

    // ---- conveniences with an immediate operand

    pub fn addi_i64(&mut self, d: Temp, a: Temp, imm: u64) {
        if imm == 0 {
            self.mov_i64(d, a);
        } else {
            let c = self.const_i64(imm);
            self.add_i64(d, a, c);
        }
    }
    pub fn andi_i64(&mut self, d: Temp, a: Temp, imm: u64) {
        let c = self.const_i64(imm);
        self.and_i64(d, a, c);
    }
    pub fn shli_i64(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i64(sh as u64);
        self.shl_i64(d, a, c);
    }
    pub fn shri_i64(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i64(sh as u64);
        self.shr_i64(d, a, c);
    }
    pub fn sari_i64(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i64(sh as u64);
        self.sar_i64(d, a, c);
    }
    pub fn rotri_i64(&mut self, d: Temp, a: Temp, sh: u32) {
        let c = self.const_i64(sh as u64);
        self.rotr_i64(d, a, c);
    }
    pub fn brcondi_i64(&mut self, cond: super::Cond, a: Temp, imm: u64, l: Label) {
        let c = self.const_i64(imm);
        self.brcond_i64(a, c, cond, l);
    }
    pub fn setcondi_i64(&mut self, d: Temp, a: Temp, imm: u64, cond: super::Cond) {
        let c = self.const_i64(imm);
        self.setcond_i64(d, a, c, cond);
    }

    /// Whether any op from index `start` on may have changed one of `temps`:
    /// writes them, joins control flow (a label), or calls a helper that
    /// writes the env. Lets frontends reuse facts about earlier ops safely.
    pub fn written_since(&self, start: usize, temps: &[Temp]) -> bool {
        self.insns
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .any(|i| match i.opc {
                super::Opcode::SetLabel => true,
                super::Opcode::Call => {
                    i.helper().writes_env() || i.outs().any(|t| temps.contains(&t))
                }
                _ => i.outs().any(|t| temps.contains(&t)),
            })
    }

    /// Marks the current end of the block so a failed instruction can be
    /// taken back with `rollback`.
    pub fn checkpoint(&self) -> (usize, usize, u32) {
        (self.insns.len(), self.temps.len(), self.n_labels)
    }

    /// Drops everything emitted since `checkpoint`.
    pub fn rollback(&mut self, cp: (usize, usize, u32)) {
        self.insns.truncate(cp.0);
        self.temps.truncate(cp.1);
        self.n_labels = cp.2;
    }

    /// Finishes the block.
    pub fn finish(
        self,
        pc: u64,
        flags: u32,
        guest_size: u32,
        guest_insns: u32,
        terminal: Terminal,
    ) -> IrBlock {
        IrBlock {
            pc,
            flags,
            guest_size,
            guest_insns,
            insns: self.insns,
            n_globals: self.globals.len() as u32,
            temps: self.temps,
            n_labels: self.n_labels,
            terminal,
            globals: self.globals,
            pc_global: self.pc_global,
            precise: false,
            softmmu: false,
            inline_tlb: false,
        }
    }
}
