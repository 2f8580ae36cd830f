//! Backward pass: removes pure ops whose results are never read, including
//! guest flag computations overwritten before any reader.
//!
//! Liveness is per block and conservative at control flow: at a label or a
//! branch every temp counts as live. All globals are live at the block's end,
//! at `exit` ops, at helpers that touch the env, and at instruction starts
//! that follow a store (possible exits, see `insn_start`). Guest memory ops
//! themselves are not sync points; in precise-fault mode (`IrBlock::precise`)
//! the start of every instruction that can fault is (`IrBlock::sync_starts`),
//! so a faulting access sees the exact state as of its instruction's start.

use crate::helper::NO_SIDE_EFFECTS;
use crate::ir::{IrBlock, Opcode, NO_TEMP};

thread_local! {
    /// The liveness, exit-point and keep vectors, reused from block to
    /// block (every translated block runs this pass).
    static SCRATCH: std::cell::Cell<[Vec<bool>; 3]> = Default::default();
}

pub fn dce(b: &mut IrBlock) {
    let [mut live, mut exit_point, mut keep] = SCRATCH.take();
    run(b, &mut live, &mut exit_point, &mut keep);
    SCRATCH.set([live, exit_point, keep]);
}

fn run(b: &mut IrBlock, live: &mut Vec<bool>, exit_point: &mut Vec<bool>, keep: &mut Vec<bool>) {
    let n = b.temps.len();
    let ng = b.n_globals as usize;
    live.clear();
    live.resize(n, false);
    live[..ng].fill(true);
    for t in b.terminal_uses() {
        live[t.index()] = true;
    }
    // Instruction starts after a store or call may exit with exact state,
    // and in precise mode those of instructions that can fault.
    b.sync_starts(exit_point);
    let mut stored = false;
    for (i, insn) in b.insns.iter().enumerate() {
        match insn.opc {
            Opcode::InsnStart => exit_point[i] |= std::mem::take(&mut stored),
            Opcode::StI32 | Opcode::StI64 | Opcode::St2I64 | Opcode::Call => stored = true,
            _ => {}
        }
    }
    keep.clear();
    keep.resize(b.insns.len(), true);
    for (i, insn) in b.insns.iter().enumerate().rev() {
        let info = insn.info();
        let removable = match insn.opc {
            Opcode::Call => insn.helper().flags & NO_SIDE_EFFECTS != 0,
            _ => info.is_pure(),
        };
        if removable {
            let any_live = insn.outs().any(|t| live[t.index()]);
            if !any_live {
                keep[i] = false;
                continue;
            }
        }
        match insn.opc {
            Opcode::SetLabel | Opcode::Br | Opcode::BrcondI32 | Opcode::BrcondI64 => {
                live.fill(true);
            }
            Opcode::Exit => live[..ng].fill(true),
            Opcode::InsnStart if exit_point[i] => live[..ng].fill(true),
            Opcode::Call => {
                if insn.args[0] != NO_TEMP {
                    live[insn.args[0] as usize] = false;
                }
                let h = insn.helper();
                if h.reads_env() || h.writes_env() {
                    live[..ng].fill(true);
                }
            }
            _ => {
                for t in insn.outs() {
                    live[t.index()] = false;
                }
            }
        }
        for t in insn.ins() {
            live[t.index()] = true;
        }
    }
    let mut i = 0;
    b.insns.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}
