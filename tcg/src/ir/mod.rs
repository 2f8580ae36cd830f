//! The IR: blocks of typed ops on temps, with labels, guest-state globals,
//! guest memory ops, helper calls, and a `Terminal` that says how the block
//! exits. See `ops.rs` for the op table everything is generated from.

mod builder;
mod ops;
mod print;
mod types;
mod verify;

pub use builder::{recycle, Builder};
pub use ops::{ConstKind, OpInfo, Opcode, BRANCH, CALL, ENV, EXIT, MEM, OP_INFO, PURE, SIDE};
pub use types::{Cond, Label, MemOp, Temp, Type};
pub use verify::{verify, VerifyError};

use crate::helper::Helper;

/// Maximum number of argument slots of one op (calls use one for the result
/// and up to `MAX_ARGS - 1` for inputs).
pub const MAX_ARGS: usize = 6;
/// Marks "no temp" in a call's result slot.
pub const NO_TEMP: u32 = u32::MAX;

/// One emitted op. Which slots of `args` mean what is given by the opcode's
/// `OpInfo` (outputs, then inputs, then non-`Imm` constants); `imm` holds an
/// `Imm` constant or, for calls, the `&'static Helper`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Insn {
    pub opc: Opcode,
    /// For calls: the number of inputs.
    pub nargs: u8,
    pub args: [u32; MAX_ARGS],
    pub imm: u64,
}

impl Insn {
    pub fn info(&self) -> &'static OpInfo {
        self.opc.info()
    }

    /// The temp in argument slot `i`.
    pub fn t(&self, i: usize) -> Temp {
        Temp(self.args[i])
    }

    /// Output temps of this op.
    pub fn outs(&self) -> impl Iterator<Item = Temp> + '_ {
        let n = match self.opc {
            Opcode::Call => usize::from(self.args[0] != NO_TEMP),
            _ => self.info().outs.len(),
        };
        self.args[..n].iter().map(|&t| Temp(t))
    }

    /// Input temps of this op.
    pub fn ins(&self) -> impl Iterator<Item = Temp> + '_ {
        let (start, n) = match self.opc {
            Opcode::Call => (1, self.nargs as usize),
            _ => (self.info().outs.len(), self.info().ins.len()),
        };
        self.args[start..start + n].iter().map(|&t| Temp(t))
    }

    /// Mutable input slots (for copy propagation).
    pub fn ins_mut(&mut self) -> &mut [u32] {
        let (start, n) = match self.opc {
            Opcode::Call => (1, self.nargs as usize),
            _ => (self.info().outs.len(), self.info().ins.len()),
        };
        &mut self.args[start..start + n]
    }

    /// The `k`-th non-`Imm` constant of this op.
    pub fn c(&self, k: usize) -> u32 {
        let info = self.info();
        self.args[info.outs.len() + info.ins.len() + k]
    }

    /// The helper of a call op.
    pub fn helper(&self) -> &'static Helper {
        debug_assert_eq!(self.opc, Opcode::Call);
        // SAFETY: call ops are only built by `Builder::call` from a `&'static Helper`.
        unsafe { &*(self.imm as *const Helper) }
    }
}

/// A guest-state field the IR reads and writes as a temp.
#[derive(Copy, Clone, Debug)]
pub struct GlobalDef {
    pub name: &'static str,
    /// Byte offset of the field in the guest's `#[repr(C)]` state struct.
    pub offset: u32,
    pub ty: Type,
}

/// Where a temp lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TempKind {
    /// A guest-state field at this env offset.
    Global(u32),
    /// Block-local; keeps its value across labels.
    Local,
}

#[derive(Copy, Clone, Debug)]
pub struct TempInfo {
    pub ty: Type,
    pub kind: TempKind,
}

/// How a block ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Terminal {
    /// Continue at a known guest pc (chainable).
    Jump(u64),
    /// Continue at the guest pc held in a 64-bit temp (jump cache lookup).
    Indirect(Temp),
    /// `if cond(a, b) { taken } else { not_taken }`, both known pcs.
    Cond {
        cond: Cond,
        a: Temp,
        b: Temp,
        taken: u64,
        not_taken: u64,
    },
    /// Return to the cpu loop with a guest-defined reason (syscall,
    /// undefined instruction, breakpoint...), resuming later at `pc`.
    Exit { pc: u64, reason: u32 },
}

/// One translated guest block in IR form.
#[derive(Clone, Debug)]
pub struct IrBlock {
    /// Guest pc of the first instruction.
    pub pc: u64,
    /// Decode-relevant cpu flags the block was translated under.
    pub flags: u32,
    /// Bytes of guest code covered (`pc..pc + guest_size`).
    pub guest_size: u32,
    /// Number of guest instructions.
    pub guest_insns: u32,
    pub insns: Vec<Insn>,
    pub temps: Vec<TempInfo>,
    pub n_globals: u32,
    pub n_labels: u32,
    pub terminal: Terminal,
    /// The guest's globals, for names in dumps.
    pub globals: &'static [GlobalDef],
    /// The global holding the guest pc.
    pub pc_global: Temp,
    /// Precise-fault mode: the start of every instruction that can fault
    /// (see `sync_starts`) is a sync point: all globals exact in the env,
    /// and the instruction's pc recorded in `CpuCommon::insn_pc`. An
    /// instruction that cannot fault needs neither: a later fault syncs at
    /// its own instruction's start, which covers everything before it.
    pub precise: bool,
    /// System mode: `ld`/`st` go through the softmmu TLB and slow path
    /// (`crate::softmmu`) instead of `guest_base + addr`.
    pub softmmu: bool,
    /// With `softmmu`: the JIT inlines the TLB lookup (hit path) into the
    /// block's code; otherwise every access calls `softmmu::load`/`store`
    /// (cheaper to compile; see `exec::Engine::inline_tlb`).
    pub inline_tlb: bool,
}

impl IrBlock {
    /// Guest pcs the terminal jumps to directly (a jump, or both sides of a
    /// conditional); indirect jumps and exits have none.
    pub fn direct_targets(&self) -> [Option<u64>; 2] {
        match self.terminal {
            Terminal::Jump(pc) => [Some(pc), None],
            Terminal::Cond {
                taken, not_taken, ..
            } => [Some(taken), Some(not_taken)],
            _ => [None, None],
        }
    }

    /// Precise mode's sync points: `out[i]` tells whether `insns[i]` is an
    /// `insn_start` whose instruction (its ops up to the next start) can
    /// fault or observe its own pc: a guest memory access, a helper call
    /// with effects, or an exit. All false outside precise mode.
    pub fn sync_starts(&self, out: &mut Vec<bool>) {
        out.clear();
        out.resize(self.insns.len(), false);
        if !self.precise {
            return;
        }
        let mut faults = false;
        for (i, insn) in self.insns.iter().enumerate().rev() {
            match insn.opc {
                Opcode::InsnStart => out[i] = std::mem::take(&mut faults),
                Opcode::Call => faults |= insn.helper().flags & crate::helper::NO_SIDE_EFFECTS == 0,
                _ => faults |= insn.info().has(MEM) || insn.info().has(EXIT),
            }
        }
    }

    pub fn is_global(&self, t: Temp) -> bool {
        t.0 < self.n_globals
    }
    pub fn ty(&self, t: Temp) -> Type {
        self.temps[t.index()].ty
    }
    /// Temps used by the terminal.
    pub fn terminal_uses(&self) -> Vec<Temp> {
        match self.terminal {
            Terminal::Indirect(t) => vec![t],
            Terminal::Cond { a, b, .. } => vec![a, b],
            _ => vec![],
        }
    }
}
