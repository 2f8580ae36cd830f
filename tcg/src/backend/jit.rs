//! Tier 1: compiles IR blocks to host code with Cranelift.
//!
//! Each block becomes a function `fn(env) -> exit` in Cranelift's `tail`
//! calling convention, so a block can tail-call the next one: direct jumps go
//! through a chain slot (patched by the cpu loop once the target is
//! compiled), indirect jumps through the per-cpu jump cache. Guest globals
//! used by a block live in Cranelift variables (host registers) and are
//! written back at exits and around helpers that touch the env.

use super::codemem::CodeMem;
use crate::cpu::{
    exit, JmpEntry, JMP_CACHE_SIZE, OFF_CUR_FLAGS, OFF_EXIT_REQUEST, OFF_JMP_CACHE, OFF_LAST_TB,
};
use crate::ir::{Cond, Insn, IrBlock, MemOp, Opcode, Temp, TempKind, Terminal, Type, NO_TEMP};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, InstBuilder, MemFlagsData, Signature, UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{control::ControlPlane, Context};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};

#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error("cranelift: {0}")]
    Codegen(String),
    #[error("code memory full")]
    Full,
    #[error("code memory: {0}")]
    Mem(#[from] std::io::Error),
}

/// What the JIT needs to know about the block's place in the cache.
#[derive(Copy, Clone, Debug)]
pub struct BlockLinks {
    /// Address of the `Tb`, stored in `last_tb` when a chain slot is empty.
    pub tb: usize,
    /// Addresses of the two chain slots (`AtomicUsize`, 0 = not chained).
    pub slots: [usize; 2],
}

pub struct Jit {
    /// Optimizing code generator (regions: code that loops).
    isa: OwnedTargetIsa,
    /// Quicker one for single blocks, which run once per entry: no egraph
    /// optimization (`MIMIC_JIT_QUICK=0` uses `isa` for all).
    quick: OwnedTargetIsa,
    ctx: Context,
    fctx: FunctionBuilderContext,
    mem: CodeMem,
    trampoline: usize,
    guest_base: u64,
    last_len: usize,
    pub compiled: u64,
}

const CODE_MEM_SIZE: usize = 512 << 20;

fn block_sig() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(types::I64));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

fn cl_type(t: Type) -> types::Type {
    match t {
        Type::I32 => types::I32,
        Type::I64 => types::I64,
        Type::V128 => types::I128,
    }
}

impl Jit {
    pub fn new(guest_base: u64) -> Result<Jit, JitError> {
        let quick_on = std::env::var("MIMIC_JIT_QUICK").map_or(true, |v| v != "0");
        let isa = Self::isa(false)?;
        let quick = Self::isa(quick_on)?;
        let mut jit = Jit {
            isa,
            quick,
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            mem: CodeMem::new(CODE_MEM_SIZE)?,
            trampoline: 0,
            guest_base,
            last_len: 0,
            compiled: 0,
        };
        jit.trampoline = jit.build_trampoline()?;
        jit.mem.keep_current();
        Ok(jit)
    }

    fn isa(quick: bool) -> Result<OwnedTargetIsa, JitError> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v).map_err(|e| JitError::Codegen(e.to_string()))
        };
        // (Cranelift's single-pass register allocator compiles faster
        // still, but its code ran python3 about twice as slow: not used.)
        set(
            &mut flags,
            "opt_level",
            if quick { "none" } else { "speed" },
        )?;
        set(
            &mut flags,
            "enable_verifier",
            if cfg!(debug_assertions) {
                "true"
            } else {
                "false"
            },
        )?;
        // Cranelift's tail calls rely on frame pointers.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        cranelift_native::builder()
            .map_err(|e| JitError::Codegen(e.to_string()))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| JitError::Codegen(e.to_string()))
    }

    /// `extern "sysv64" fn(env, code) -> u64`: enters tail-convention code.
    fn build_trampoline(&mut self) -> Result<usize, JitError> {
        self.ctx.clear();
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(types::I64));
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I64));
        self.ctx.func.signature = sig;
        self.ctx.func.name = UserFuncName::user(0, 0);
        {
            let mut fb = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let blk = fb.create_block();
            fb.append_block_params_for_function_params(blk);
            fb.switch_to_block(blk);
            let env = fb.block_params(blk)[0];
            let code = fb.block_params(blk)[1];
            let sref = fb.import_signature(block_sig());
            let call = fb.ins().call_indirect(sref, code, &[env]);
            let r = fb.inst_results(call)[0];
            fb.ins().return_(&[r]);
            fb.seal_all_blocks();
            fb.finalize(self.isa.frontend_config());
        }
        self.emit()
    }

    fn emit(&mut self) -> Result<usize, JitError> {
        let bytes = self.emit_bytes(false)?;
        self.place(&bytes)
    }

    /// Generates the machine code of the function in `ctx`. It has no
    /// relocations (every address is an immediate), so it runs wherever
    /// it is copied.
    fn emit_bytes(&mut self, quick: bool) -> Result<Vec<u8>, JitError> {
        let isa = if quick { &*self.quick } else { &*self.isa };
        let code = self
            .ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| JitError::Codegen(format!("{:?}", e.inner)))?;
        if !code.buffer.relocs().is_empty() {
            return Err(JitError::Codegen("unexpected relocations".into()));
        }
        Ok(code.code_buffer().to_vec())
    }

    /// Copies code from `compile_to_bytes` (this or another `Jit` of the same
    /// guest base) into the arena; returns its address.
    pub fn place(&mut self, bytes: &[u8]) -> Result<usize, JitError> {
        let addr = self.mem.place(bytes).ok_or(JitError::Full)?;
        self.last_len = bytes.len();
        Ok(addr)
    }

    /// Size in bytes of the code `compile` placed last.
    pub fn last_code_len(&self) -> usize {
        self.last_len
    }

    /// The SysV entry trampoline: `fn(env, code) -> exit code`.
    pub fn trampoline(&self) -> usize {
        self.trampoline
    }

    /// Runs compiled code at `code` on `env`; returns an `exit` code.
    ///
    /// # Safety
    /// `code` must come from `compile` on this `Jit` (not reset since), and
    /// `env` must be the guest state struct it was compiled for.
    pub unsafe fn enter(&self, code: usize, env: *mut u8) -> u64 {
        let f: extern "sysv64" fn(*mut u8, usize) -> u64 = std::mem::transmute(self.trampoline);
        f(env, code)
    }

    /// Drops all compiled code.
    pub fn reset(&mut self) {
        self.mem.reset();
    }

    pub fn code_bytes(&self) -> usize {
        self.mem.used()
    }

    /// Compiles one block; returns the host address of its code.
    pub fn compile(&mut self, b: &IrBlock, links: &BlockLinks) -> Result<usize, JitError> {
        self.compile_blocks(&[b], links, false)
    }

    /// Compiles a *region*: `blocks[0]` (the entry) and other blocks of the
    /// same decode flags reachable from it by direct jumps, as one host
    /// function. Jumps between members stay inside the function, so guest
    /// registers stay in host registers around loops and are written back
    /// only where the region is left. The entry's chain slots serve the
    /// first two exits by direct jump; further ones look up the jump cache.
    /// One block that jumps to itself is a region too (its loop stays inside).
    pub fn compile_region(
        &mut self,
        blocks: &[&IrBlock],
        links: &BlockLinks,
    ) -> Result<usize, JitError> {
        self.compile_blocks(blocks, links, true)
    }

    fn compile_blocks(
        &mut self,
        blocks: &[&IrBlock],
        links: &BlockLinks,
        region: bool,
    ) -> Result<usize, JitError> {
        let bytes = self.compile_to_bytes(blocks, links, region)?;
        let addr = self.place(&bytes)?;
        self.compiled += 1;
        Ok(addr)
    }

    /// Compiles a block (`region` false, one block) or a region to machine
    /// code without placing it: a background compiler's half of the job.
    pub fn compile_to_bytes(
        &mut self,
        blocks: &[&IrBlock],
        links: &BlockLinks,
        region: bool,
    ) -> Result<Vec<u8>, JitError> {
        self.ctx.clear();
        self.ctx.func.signature = block_sig();
        self.ctx.func.name = UserFuncName::user(0, 1);
        let fcfg = self.isa.frontend_config();
        {
            let fb = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
            let mut t = Translator::new(fb, blocks, self.guest_base);
            if !region {
                t.translate(links);
            } else {
                t.translate_region(links);
            }
            t.fb.seal_all_blocks();
            t.fb.finalize(fcfg);
        }
        self.emit_bytes(!region)
    }
}

struct Translator<'a> {
    fb: FunctionBuilder<'a>,
    /// The block being translated (a region translates its members in turn).
    b: &'a IrBlock,
    /// Region members (one entry for a plain block).
    members: &'a [&'a IrBlock],
    /// Per member: the host block that checks `exit_request` and then runs
    /// the member (region mode only).
    member_entry: Vec<Block>,
    vars: Vec<Option<Variable>>,
    env: Value,
    guest_base: u64,
    labels: Vec<Block>,
    /// Globals read or written in the block (loaded at entry).
    used_globals: Vec<u32>,
    /// Globals written in the block (stored at exits).
    written_globals: Vec<u32>,
    /// A store or call since the last instruction start (see `insn_start`).
    stored: bool,
    /// Per global: its variable differs from the env field (store at syncs).
    dirty: Vec<bool>,
    /// Per global: a helper may have changed the env field since the
    /// variable was loaded (reload at the next use).
    stale: Vec<bool>,
    /// Precise mode: per op of `b`, whether it is an instruction start that
    /// syncs (`IrBlock::sync_starts`).
    sync: Vec<bool>,
    /// Index in `b.insns` of the op being translated.
    at: usize,
    /// `lazy_sync` of the block being translated.
    lazy: bool,
    /// Lazy sync: the pc of the instruction being translated when it can
    /// fault, and the values its dirty globals had at its start; the slow
    /// paths that can fault store them (`store_snapshot`).
    snap_pc: Option<u64>,
    snap: Vec<(u32, Value)>,
}

/// Whether precise state is synced lazily in `b`: only on the paths that
/// can fault (system mode's TLB-miss calls, helpers), with the values
/// the globals had at the instruction's start, instead of storing every
/// dirty global before each instruction that accesses memory. Needs the
/// inline TLB (the fast path cannot fault) and straight-line ops (no
/// label between an instruction's start and its access, so the start's
/// values dominate the slow path). User mode's accesses fault in host
/// code, where no slow path can store: it syncs eagerly.
fn lazy_sync(b: &IrBlock) -> bool {
    b.precise && b.softmmu && b.inline_tlb && !b.insns.iter().any(|i| i.opc == Opcode::SetLabel)
}

/// Region mode: per member, the globals that may be dirty (changed in
/// their variable, not yet stored to the env) when it starts, as a fixed
/// point over the region's internal edges. The translator's rules, run
/// ahead: every op that writes a global makes it dirty, a label makes
/// everything the region writes dirty (`join_point`), and an eager
/// precise sync point (see `lazy_sync`) or a helper that touches the env
/// stores them all. The region's
/// entry from outside has everything stored. Before this every member
/// started with everything the region writes dirty, and in precise mode
/// (system mode) the first sync point of each loop iteration stored all
/// of it again.
fn entry_dirty(members: &[&IrBlock], written: &[u32]) -> Vec<Vec<bool>> {
    let ng = members[0].n_globals as usize;
    let mut d_in = vec![vec![false; ng]; members.len()];
    let mut sync = Vec::new();
    let mut d = vec![false; ng];
    loop {
        let mut changed = false;
        for (m, b) in members.iter().enumerate() {
            d.copy_from_slice(&d_in[m]);
            b.sync_starts(&mut sync);
            let eager = !lazy_sync(b);
            for (i, insn) in b.insns.iter().enumerate() {
                match insn.opc {
                    Opcode::SetLabel => written.iter().for_each(|&g| d[g as usize] = true),
                    Opcode::InsnStart if sync[i] && eager => d.fill(false),
                    Opcode::Call => {
                        let h = insn.helper();
                        if h.reads_env() || h.writes_env() {
                            d.fill(false);
                        }
                    }
                    _ => {}
                }
                for t in insn.outs() {
                    if b.is_global(t) {
                        d[t.index()] = true;
                    }
                }
            }
            for pc in b.direct_targets().into_iter().flatten() {
                if let Some(k) = members.iter().position(|x| x.pc == pc) {
                    for (to, &from) in d_in[k].iter_mut().zip(&d) {
                        if from && !*to {
                            *to = true;
                            changed = true;
                        }
                    }
                }
            }
        }
        if !changed {
            return d_in;
        }
    }
}

/// Where a jump-cache entry keeps its block (`JmpEntry::tb`).
const ENTRY_TB: i32 = std::mem::offset_of!(JmpEntry, tb) as i32;

fn intcc(c: Cond) -> IntCC {
    match c {
        Cond::Eq => IntCC::Equal,
        Cond::Ne => IntCC::NotEqual,
        Cond::Lt => IntCC::SignedLessThan,
        Cond::Ge => IntCC::SignedGreaterThanOrEqual,
        Cond::Le => IntCC::SignedLessThanOrEqual,
        Cond::Gt => IntCC::SignedGreaterThan,
        Cond::Ltu => IntCC::UnsignedLessThan,
        Cond::Geu => IntCC::UnsignedGreaterThanOrEqual,
        Cond::Leu => IntCC::UnsignedLessThanOrEqual,
        Cond::Gtu => IntCC::UnsignedGreaterThan,
        // Handled by callers.
        Cond::Never | Cond::Always | Cond::TstEq | Cond::TstNe => IntCC::Equal,
    }
}

impl<'a> Translator<'a> {
    fn new(fb: FunctionBuilder<'a>, members: &'a [&'a IrBlock], guest_base: u64) -> Self {
        let b = members[0];
        let mut used = vec![false; b.n_globals as usize];
        let mut written = vec![false; b.n_globals as usize];
        for m in members {
            for insn in &m.insns {
                for t in insn.ins() {
                    if m.is_global(t) {
                        used[t.index()] = true;
                    }
                }
                for t in insn.outs() {
                    if m.is_global(t) {
                        used[t.index()] = true;
                        written[t.index()] = true;
                    }
                }
            }
            for t in m.terminal_uses() {
                if m.is_global(t) {
                    used[t.index()] = true;
                }
            }
        }
        let max_temps = members.iter().map(|m| m.temps.len()).max().unwrap_or(0);
        let idx = |v: Vec<bool>| {
            v.iter()
                .enumerate()
                .filter(|(_, &u)| u)
                .map(|(i, _)| i as u32)
                .collect()
        };
        Translator {
            fb,
            b,
            members,
            member_entry: Vec::new(),
            vars: vec![None; max_temps],
            env: Value::from_u32(0),
            guest_base,
            labels: Vec::new(),
            used_globals: idx(used),
            written_globals: idx(written),
            stored: false,
            dirty: vec![false; b.n_globals as usize],
            stale: vec![false; b.n_globals as usize],
            sync: Vec::new(),
            at: 0,
            lazy: lazy_sync(b),
            snap_pc: None,
            snap: Vec::new(),
        }
    }

    fn var(&mut self, t: Temp) -> Variable {
        if let Some(v) = self.vars[t.index()] {
            return v;
        }
        let v = self.fb.declare_var(cl_type(self.b.ty(t)));
        self.vars[t.index()] = Some(v);
        v
    }
    fn get(&mut self, t: Temp) -> Value {
        if self.b.is_global(t) && self.stale[t.index()] {
            self.reload(t.0);
        }
        let v = self.var(t);
        self.fb.use_var(v)
    }
    fn set(&mut self, t: Temp, val: Value) {
        if self.b.is_global(t) {
            let g = t.index();
            self.stale[g] = false;
            self.dirty[g] = true;
        }
        let v = self.var(t);
        self.fb.def_var(v, val);
    }
    fn reload(&mut self, g: u32) {
        let ty = cl_type(self.b.temps[g as usize].ty);
        let off = self.global_off(g);
        let v = self
            .fb
            .ins()
            .load(ty, MemFlagsData::trusted(), self.env, off);
        self.stale[g as usize] = false;
        let var = self.var(Temp(g));
        self.fb.def_var(var, v);
    }
    /// Before control flow: every variable must hold the current value on
    /// all paths into a label.
    fn refresh_stale(&mut self) {
        for i in 0..self.used_globals.len() {
            let g = self.used_globals[i];
            if self.stale[g as usize] {
                self.reload(g);
            }
        }
    }
    /// At a label other paths join (backward branches included): any
    /// global the block writes may be dirty.
    fn join_point(&mut self) {
        for i in 0..self.written_globals.len() {
            self.dirty[self.written_globals[i] as usize] = true;
        }
    }
    fn global_off(&self, g: u32) -> i32 {
        match self.b.temps[g as usize].kind {
            TempKind::Global(off) => off as i32,
            TempKind::Local => unreachable!("not a global"),
        }
    }
    /// Block entry: globals are loaded from the env at their first read
    /// (globals the block only writes are never loaded).
    fn load_globals(&mut self) {
        self.mark_stale();
    }
    /// A helper may have written the env: reload lazily at the next use.
    fn mark_stale(&mut self) {
        for i in 0..self.used_globals.len() {
            let g = self.used_globals[i] as usize;
            self.stale[g] = true;
        }
    }
    /// Writes dirty globals back to the env (they stay in variables).
    fn store_globals(&mut self) {
        for i in 0..self.written_globals.len() {
            let g = self.written_globals[i];
            if !self.dirty[g as usize] {
                continue;
            }
            let off = self.global_off(g);
            let v = self.get(Temp(g));
            self.fb
                .ins()
                .store(MemFlagsData::trusted(), v, self.env, off);
            self.dirty[g as usize] = false;
        }
    }
    /// Like `store_globals` on a path that leaves the block, without
    /// changing what the continuing path believes.
    fn store_globals_for_exit(&mut self) {
        let (dirty, stale) = (self.dirty.clone(), self.stale.clone());
        self.store_globals();
        self.dirty = dirty;
        self.stale = stale;
    }
    fn iconst(&mut self, ty: Type, v: u64) -> Value {
        match ty {
            Type::I32 => self.fb.ins().iconst(types::I32, v as u32 as i32 as i64),
            _ => self.fb.ins().iconst(types::I64, v as i64),
        }
    }
    fn cmp(&mut self, c: Cond, a: Value, b: Value) -> Value {
        match c {
            Cond::Always => self.fb.ins().iconst(types::I8, 1),
            Cond::Never => self.fb.ins().iconst(types::I8, 0),
            Cond::TstEq => {
                let x = self.fb.ins().band(a, b);
                self.fb.ins().icmp_imm_s(IntCC::Equal, x, 0)
            }
            Cond::TstNe => {
                let x = self.fb.ins().band(a, b);
                self.fb.ins().icmp_imm_s(IntCC::NotEqual, x, 0)
            }
            _ => self.fb.ins().icmp(intcc(c), a, b),
        }
    }
    /// Starts a fresh (possibly unreachable) block after a terminator.
    fn fresh_block(&mut self) {
        let blk = self.fb.create_block();
        self.fb.switch_to_block(blk);
    }

    fn translate(&mut self, links: &BlockLinks) {
        let entry = self.fb.create_block();
        self.fb.append_block_params_for_function_params(entry);
        self.fb.switch_to_block(entry);
        self.env = self.fb.block_params(entry)[0];
        // Leave at once if the cpu loop asked (signals, invalidation).
        let req = self.fb.ins().load(
            types::I32,
            MemFlagsData::trusted(),
            self.env,
            OFF_EXIT_REQUEST,
        );
        let body = self.fb.create_block();
        let bail = self.fb.create_block();
        self.fb.ins().brif(req, bail, &[], body, &[]);
        self.fb.switch_to_block(bail);
        // Chained jumps do not store the pc; this block knows its own.
        let pc_off = self.global_off(self.b.pc_global.0);
        let pcv = self.fb.ins().iconst(types::I64, self.b.pc as i64);
        self.fb
            .ins()
            .store(MemFlagsData::trusted(), pcv, self.env, pc_off);
        let code = self.fb.ins().iconst(types::I64, exit::REQUEST as i64);
        self.fb.ins().return_(&[code]);
        self.fb.switch_to_block(body);
        self.labels = (0..self.b.n_labels)
            .map(|_| self.fb.create_block())
            .collect();
        self.load_globals();
        self.b.sync_starts(&mut self.sync);
        for (i, insn) in self.b.insns.iter().enumerate() {
            self.at = i;
            self.insn(insn);
        }
        self.terminal(links);
    }

    /// Region mode: every member starts at `member_entry[m]` in a canonical
    /// state (all used globals loaded into variables, the globals
    /// `entry_dirty` finds possibly dirty), checks `exit_request`, then
    /// runs its ops.
    fn translate_region(&mut self, links: &BlockLinks) {
        let entry = self.fb.create_block();
        self.fb.append_block_params_for_function_params(entry);
        self.fb.switch_to_block(entry);
        self.env = self.fb.block_params(entry)[0];
        self.member_entry = (0..self.members.len())
            .map(|_| self.fb.create_block())
            .collect();
        for i in 0..self.used_globals.len() {
            let g = self.used_globals[i];
            self.reload(g);
        }
        self.fb.ins().jump(self.member_entry[0], &[]);
        let members = self.members;
        let entry_dirty = entry_dirty(members, &self.written_globals);
        for (m, mb) in members.iter().enumerate() {
            self.b = mb;
            self.lazy = lazy_sync(mb);
            self.snap_pc = None;
            for v in self.vars[mb.n_globals as usize..].iter_mut() {
                *v = None;
            }
            self.stored = false;
            self.fb.switch_to_block(self.member_entry[m]);
            self.stale.iter_mut().for_each(|s| *s = false);
            self.dirty.copy_from_slice(&entry_dirty[m]);
            let req = self.fb.ins().load(
                types::I32,
                MemFlagsData::trusted(),
                self.env,
                OFF_EXIT_REQUEST,
            );
            let body = self.fb.create_block();
            let bail = self.fb.create_block();
            self.fb.set_cold_block(bail);
            self.fb.ins().brif(req, bail, &[], body, &[]);
            self.fb.switch_to_block(bail);
            self.store_globals_for_exit();
            let pc_off = self.global_off(mb.pc_global.0);
            let pcv = self.fb.ins().iconst(types::I64, mb.pc as i64);
            self.fb
                .ins()
                .store(MemFlagsData::trusted(), pcv, self.env, pc_off);
            let code = self.fb.ins().iconst(types::I64, exit::REQUEST as i64);
            self.fb.ins().return_(&[code]);
            self.fb.switch_to_block(body);
            self.labels = (0..mb.n_labels).map(|_| self.fb.create_block()).collect();
            mb.sync_starts(&mut self.sync);
            for (i, insn) in mb.insns.iter().enumerate() {
                self.at = i;
                self.insn(insn);
            }
            self.region_terminal(links);
        }
    }

    fn region_terminal(&mut self, links: &BlockLinks) {
        match self.b.terminal.clone() {
            Terminal::Jump(pc) => self.region_edge(pc, 0, links),
            Terminal::Cond {
                cond,
                a,
                b,
                taken,
                not_taken,
            } => {
                let (av, bv) = (self.get(a), self.get(b));
                let c = self.cmp(cond, av, bv);
                // Both arms start from the same (fully loaded) state.
                self.refresh_stale();
                let t = self.fb.create_block();
                let f = self.fb.create_block();
                self.fb.ins().brif(c, t, &[], f, &[]);
                self.fb.switch_to_block(t);
                self.region_edge(taken, 0, links);
                self.fb.switch_to_block(f);
                self.region_edge(not_taken, 1, links);
            }
            Terminal::Indirect(t) => {
                self.store_globals();
                let pc = self.get(t);
                self.jump_cache_exit(pc);
            }
            Terminal::Exit { pc, reason } => {
                self.store_globals();
                let pc_off = self.global_off(self.b.pc_global.0);
                let pcv = self.fb.ins().iconst(types::I64, pc as i64);
                self.fb
                    .ins()
                    .store(MemFlagsData::trusted(), pcv, self.env, pc_off);
                let r = self.fb.ins().iconst(types::I64, exit::guest(reason) as i64);
                self.fb.ins().return_(&[r]);
            }
        }
    }

    /// A direct jump to `pc` from a region member: inside the region, or
    /// out. The entry block's own exits use its chain slots with the slot
    /// numbers the interpreter uses for that block (`slot`: 0 for a jump or
    /// a taken branch, 1 for not taken), because the cpu loop chains a slot
    /// by what the block's previous run returned; other members' exits look
    /// up the jump cache.
    fn region_edge(&mut self, pc: u64, slot: usize, links: &BlockLinks) {
        if let Some(m) = self.members.iter().position(|b| b.pc == pc) {
            self.refresh_stale();
            self.fb.ins().jump(self.member_entry[m], &[]);
            return;
        }
        let (dirty, stale) = (self.dirty.clone(), self.stale.clone());
        self.store_globals();
        if std::ptr::eq(self.b, self.members[0]) {
            self.chain_exit(slot, pc, links);
        } else {
            let pcv = self.fb.ins().iconst(types::I64, pc as i64);
            self.jump_cache_exit(pcv);
        }
        self.dirty = dirty;
        self.stale = stale;
    }

    fn chain_exit(&mut self, slot: usize, pc: u64, links: &BlockLinks) {
        // System mode chains only within a page (the cpu loop would never
        // fill this slot): probe the jump cache instead of going back to
        // the loop every time.
        if self.b.softmmu && (self.b.pc ^ pc) >> 12 != 0 {
            let pcv = self.fb.ins().iconst(types::I64, pc as i64);
            self.jump_cache_exit(pcv);
            return;
        }
        let pc_off = self.global_off(self.b.pc_global.0);
        let slot_addr = self.fb.ins().iconst(types::I64, links.slots[slot] as i64);
        let target = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), slot_addr, 0);
        let go = self.fb.create_block();
        let out = self.fb.create_block();
        self.fb.ins().brif(target, go, &[], out, &[]);
        self.fb.switch_to_block(go);
        let sref = self.fb.import_signature(block_sig());
        self.fb
            .ins()
            .return_call_indirect(sref, target, &[self.env]);
        self.fb.switch_to_block(out);
        let pcv = self.fb.ins().iconst(types::I64, pc as i64);
        self.fb
            .ins()
            .store(MemFlagsData::trusted(), pcv, self.env, pc_off);
        let tb = self.fb.ins().iconst(types::I64, links.tb as i64);
        self.fb
            .ins()
            .store(MemFlagsData::trusted(), tb, self.env, OFF_LAST_TB);
        let code = self.fb.ins().iconst(types::I64, slot as i64);
        self.fb.ins().return_(&[code]);
    }

    fn terminal(&mut self, links: &BlockLinks) {
        self.store_globals();
        let pc_off = self.global_off(self.b.pc_global.0);
        match self.b.terminal.clone() {
            Terminal::Jump(pc) => self.chain_exit(0, pc, links),
            Terminal::Cond {
                cond,
                a,
                b,
                taken,
                not_taken,
            } => {
                let (av, bv) = (self.get(a), self.get(b));
                let c = self.cmp(cond, av, bv);
                let t = self.fb.create_block();
                let f = self.fb.create_block();
                self.fb.ins().brif(c, t, &[], f, &[]);
                self.fb.switch_to_block(t);
                self.chain_exit(0, taken, links);
                self.fb.switch_to_block(f);
                self.chain_exit(1, not_taken, links);
            }
            Terminal::Indirect(t) => {
                let pc = self.get(t);
                self.jump_cache_exit(pc);
            }
            Terminal::Exit { pc, reason } => {
                let pcv = self.fb.ins().iconst(types::I64, pc as i64);
                self.fb
                    .ins()
                    .store(MemFlagsData::trusted(), pcv, self.env, pc_off);
                let r = self.fb.ins().iconst(types::I64, exit::guest(reason) as i64);
                self.fb.ins().return_(&[r]);
            }
        }
    }

    /// Leaves to guest address `pc` (a value): stores it, then tail-calls
    /// the target's code if the jump cache knows it, else returns to the cpu
    /// loop with `exit::INDIRECT`. Dirty globals must be stored already.
    fn jump_cache_exit(&mut self, pc: Value) {
        let pc_off = self.global_off(self.b.pc_global.0);
        self.fb
            .ins()
            .store(MemFlagsData::trusted(), pc, self.env, pc_off);
        // Jump cache: entry = jmp_cache[(pc >> 2) & (N - 1)].
        let jc = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), self.env, OFF_JMP_CACHE);
        let idx = self.fb.ins().ushr_imm_s(pc, 2);
        let idx = self.fb.ins().band_imm_s(idx, (JMP_CACHE_SIZE - 1) as i64);
        let off = self
            .fb
            .ins()
            .imul_imm_s(idx, std::mem::size_of::<JmpEntry>() as i64);
        let e = self.fb.ins().iadd(jc, off);
        let epc = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), e, 0);
        let eflags = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), e, 8);
        let code = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), e, 16);
        let flags = self
            .fb
            .ins()
            .uload32(MemFlagsData::trusted(), self.env, OFF_CUR_FLAGS);
        let m1 = self.fb.ins().icmp(IntCC::Equal, epc, pc);
        let m2 = self.fb.ins().icmp(IntCC::Equal, eflags, flags);
        let m = self.fb.ins().band(m1, m2);
        let hit = self.fb.create_block();
        let go = self.fb.create_block();
        let target = self.fb.append_block_param(go, types::I64);
        let no_code = self.fb.create_block();
        let out = self.fb.create_block();
        self.fb.ins().brif(m, hit, &[], out, &[]);
        self.fb.switch_to_block(hit);
        self.fb.ins().brif(code, go, &[code.into()], no_code, &[]);
        // The block has no compiled code: its template code's entry for
        // compiled code (`Tb::tmpl_jit_entry`, 0 without one), as a chain
        // slot would hold it. Without this every return from compiled code
        // into template-tier code went through the cpu loop (~0.9M times
        // in a kernel boot).
        self.fb.switch_to_block(no_code);
        self.fb.set_cold_block(no_code);
        let tb = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), e, ENTRY_TB);
        let tb_ok = self.fb.create_block();
        self.fb.ins().brif(tb, tb_ok, &[], out, &[]);
        self.fb.switch_to_block(tb_ok);
        let entry = self.fb.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            tb,
            std::mem::offset_of!(crate::cache::Tb, tmpl_jit_entry) as i32,
        );
        self.fb.ins().brif(entry, go, &[entry.into()], out, &[]);
        self.fb.switch_to_block(go);
        let sref = self.fb.import_signature(block_sig());
        self.fb
            .ins()
            .return_call_indirect(sref, target, &[self.env]);
        self.fb.switch_to_block(out);
        let r = self.fb.ins().iconst(types::I64, exit::INDIRECT as i64);
        self.fb.ins().return_(&[r]);
    }

    fn store_insn_pc(&mut self, pc: u64) {
        let pcv = self.fb.ins().iconst(types::I64, pc as i64);
        self.fb.ins().store(
            MemFlagsData::trusted(),
            pcv,
            self.env,
            crate::cpu::OFF_INSN_PC,
        );
    }

    /// Lazy sync (`lazy_sync`), on a path that can fault: the env gets
    /// the state at the start of the instruction, and its pc. Does not
    /// change what the translator believes is dirty.
    fn store_snapshot(&mut self) {
        let Some(pc) = self.snap_pc else { return };
        for i in 0..self.snap.len() {
            let (g, v) = self.snap[i];
            let off = self.global_off(g);
            self.fb
                .ins()
                .store(MemFlagsData::trusted(), v, self.env, off);
        }
        self.store_insn_pc(pc);
    }

    /// Leaves with exact state at instruction `pc` if an exit was requested.
    fn exit_point(&mut self, pc: u64) {
        let req = self.fb.ins().load(
            types::I32,
            MemFlagsData::trusted(),
            self.env,
            OFF_EXIT_REQUEST,
        );
        let out = self.fb.create_block();
        let next = self.fb.create_block();
        self.fb.set_cold_block(out);
        self.fb.ins().brif(req, out, &[], next, &[]);
        self.fb.switch_to_block(out);
        self.store_globals_for_exit();
        let pc_off = self.global_off(self.b.pc_global.0);
        let pcv = self.fb.ins().iconst(types::I64, pc as i64);
        self.fb
            .ins()
            .store(MemFlagsData::trusted(), pcv, self.env, pc_off);
        let r = self.fb.ins().iconst(types::I64, exit::REQUEST as i64);
        self.fb.ins().return_(&[r]);
        self.fb.switch_to_block(next);
    }

    fn host_addr(&mut self, addr: Value) -> Value {
        let base = self.fb.ins().iconst(types::I64, self.guest_base as i64);
        self.fb.ins().iadd(base, addr)
    }

    fn load_mem(&mut self, ty: Type, p: Value, off: i32, m: MemOp, flags: MemFlagsData) -> Value {
        let ins = self.fb.ins();
        let raw = match m.log2() {
            0 => ins.uload8(types::I32, flags, p, off),
            1 => ins.uload16(types::I32, flags, p, off),
            2 => ins.load(types::I32, flags, p, off),
            _ => ins.load(types::I64, flags, p, off),
        };
        let raw = if m.is_be() && m.log2() > 0 {
            match m.log2() {
                1 => {
                    let n = self.fb.ins().ireduce(types::I16, raw);
                    let s = self.fb.ins().bswap(n);
                    self.fb.ins().uextend(types::I32, s)
                }
                _ => self.fb.ins().bswap(raw),
            }
        } else {
            raw
        };
        // Now `raw` is i32 (sizes 1..4) or i64 (size 8), zero-extended.
        let want = cl_type(ty);
        match m.log2() {
            3 => {
                if want == types::I32 {
                    self.fb.ins().ireduce(types::I32, raw)
                } else {
                    raw
                }
            }
            sz => {
                let v = if m.is_signed() && sz < 2 {
                    let narrow = if sz == 0 { types::I8 } else { types::I16 };
                    let n = self.fb.ins().ireduce(narrow, raw);
                    self.fb.ins().sextend(types::I32, n)
                } else {
                    raw
                };
                if want == types::I64 {
                    if m.is_signed() {
                        self.fb.ins().sextend(types::I64, v)
                    } else {
                        self.fb.ins().uextend(types::I64, v)
                    }
                } else {
                    v
                }
            }
        }
    }

    fn store_mem(&mut self, v: Value, p: Value, off: i32, m: MemOp, flags: MemFlagsData) {
        let vt = self.fb.func.dfg.value_type(v);
        let narrow = match m.log2() {
            0 => types::I8,
            1 => types::I16,
            2 => types::I32,
            _ => types::I64,
        };
        let mut x = if narrow.bits() < vt.bits() {
            self.fb.ins().ireduce(narrow, v)
        } else {
            v
        };
        if m.is_be() && m.log2() > 0 {
            x = self.fb.ins().bswap(x);
        }
        self.fb.ins().store(flags, x, p, off);
    }

    fn insn(&mut self, insn: &Insn) {
        use Opcode::*;
        let b = self.b;
        let t = |i: usize| insn.t(i);
        macro_rules! bin {
            ($m:ident) => {{
                let (x, y) = (self.get(t(1)), self.get(t(2)));
                let r = self.fb.ins().$m(x, y);
                self.set(t(0), r);
            }};
        }
        macro_rules! un {
            ($m:ident) => {{
                let x = self.get(t(1));
                let r = self.fb.ins().$m(x);
                self.set(t(0), r);
            }};
        }
        match insn.opc {
            MovI32 | MovI64 => {
                let v = self.get(t(1));
                self.set(t(0), v);
            }
            MoviI32 | MoviI64 => {
                let v = self.iconst(b.ty(t(0)), insn.imm);
                self.set(t(0), v);
            }
            AddI32 | AddI64 => bin!(iadd),
            SubI32 | SubI64 => bin!(isub),
            MulI32 | MulI64 => bin!(imul),
            MulhsI64 => bin!(smulhi),
            MulhuI64 => bin!(umulhi),
            AndI32 | AndI64 => bin!(band),
            OrI32 | OrI64 => bin!(bor),
            XorI32 | XorI64 => bin!(bxor),
            AndcI32 | AndcI64 => bin!(band_not),
            OrcI32 | OrcI64 => bin!(bor_not),
            EqvI32 | EqvI64 => bin!(bxor_not),
            ShlI32 | ShlI64 => bin!(ishl),
            ShrI32 | ShrI64 => bin!(ushr),
            SarI32 | SarI64 => bin!(sshr),
            RotlI32 | RotlI64 => bin!(rotl),
            RotrI32 | RotrI64 => bin!(rotr),
            DivsI32 | DivsI64 | RemsI32 | RemsI64 | DivuI32 | DivuI64 | RemuI32 | RemuI64 => {
                self.division(insn)
            }
            NegI32 | NegI64 => un!(ineg),
            NotI32 | NotI64 => un!(bnot),
            ClzI32 | ClzI64 => un!(clz),
            CtzI32 | CtzI64 => un!(ctz),
            CtpopI32 | CtpopI64 => un!(popcnt),
            Bswap16I32 | Bswap16I64 | Bswap32I64 => {
                let x = self.get(t(1));
                let narrow = if insn.opc == Bswap32I64 {
                    types::I32
                } else {
                    types::I16
                };
                let n = self.fb.ins().ireduce(narrow, x);
                let s = self.fb.ins().bswap(n);
                let r = self.fb.ins().uextend(cl_type(b.ty(t(0))), s);
                self.set(t(0), r);
            }
            Bswap32I32 | Bswap64I64 => un!(bswap),
            Ext8sI32 | Ext8uI32 | Ext16sI32 | Ext16uI32 | Ext8sI64 | Ext8uI64 | Ext16sI64
            | Ext16uI64 | Ext32sI64 | Ext32uI64 => {
                let (narrow, signed) = match insn.opc {
                    Ext8sI32 | Ext8sI64 => (types::I8, true),
                    Ext8uI32 | Ext8uI64 => (types::I8, false),
                    Ext16sI32 | Ext16sI64 => (types::I16, true),
                    Ext16uI32 | Ext16uI64 => (types::I16, false),
                    Ext32sI64 => (types::I32, true),
                    _ => (types::I32, false),
                };
                let x = self.get(t(1));
                let n = self.fb.ins().ireduce(narrow, x);
                let ty = cl_type(b.ty(t(0)));
                let r = if signed {
                    self.fb.ins().sextend(ty, n)
                } else {
                    self.fb.ins().uextend(ty, n)
                };
                self.set(t(0), r);
            }
            ExtractI32 | ExtractI64 | SextractI32 | SextractI64 => {
                let bits = b.ty(t(0)).bits();
                let (pos, len) = (insn.c(0), insn.c(1));
                let x = self.get(t(1));
                let r = if matches!(insn.opc, ExtractI32 | ExtractI64) {
                    let s = self.fb.ins().ushr_imm_s(x, pos as i64);
                    if pos + len == bits {
                        s
                    } else {
                        let mask = if len == 64 {
                            u64::MAX
                        } else {
                            (1u64 << len) - 1
                        };
                        let m = self.iconst(b.ty(t(0)), mask);
                        self.fb.ins().band(s, m)
                    }
                } else {
                    let s = self.fb.ins().ishl_imm_s(x, (bits - pos - len) as i64);
                    self.fb.ins().sshr_imm_s(s, (bits - len) as i64)
                };
                self.set(t(0), r);
            }
            DepositI32 | DepositI64 => {
                let (pos, len) = (insn.c(0), insn.c(1));
                let bits = b.ty(t(0)).bits();
                let fmask = if len == 64 {
                    u64::MAX
                } else {
                    (1u64 << len) - 1
                };
                let mask = if bits == 32 {
                    (fmask << pos) as u32 as u64
                } else {
                    fmask << pos
                };
                let (x, y) = (self.get(t(1)), self.get(t(2)));
                let ty = b.ty(t(0));
                let km = self.iconst(ty, !mask);
                let keep = self.fb.ins().band(x, km);
                let sh = self.fb.ins().ishl_imm_s(y, pos as i64);
                let im = self.iconst(ty, mask);
                let ins = self.fb.ins().band(sh, im);
                let r = self.fb.ins().bor(keep, ins);
                self.set(t(0), r);
            }
            SetcondI32 | SetcondI64 => {
                let (x, y) = (self.get(t(1)), self.get(t(2)));
                let c = self.cmp(Cond::from_u32(insn.c(0)), x, y);
                let r = self.fb.ins().uextend(cl_type(b.ty(t(0))), c);
                self.set(t(0), r);
            }
            MovcondI32 | MovcondI64 => {
                let (c1, c2) = (self.get(t(1)), self.get(t(2)));
                let (v1, v2) = (self.get(t(3)), self.get(t(4)));
                let c = self.cmp(Cond::from_u32(insn.c(0)), c1, c2);
                let r = self.fb.ins().select(c, v1, v2);
                self.set(t(0), r);
            }
            FaddF64 | FsubF64 | FmulF64 | FdivF64 | FaddF32 | FsubF32 | FmulF32 | FdivF32 => {
                self.float_binop(insn)
            }
            ExtrlI64I32 => {
                let x = self.get(t(1));
                let r = self.fb.ins().ireduce(types::I32, x);
                self.set(t(0), r);
            }
            ExtrhI64I32 => {
                let x = self.get(t(1));
                let s = self.fb.ins().ushr_imm_s(x, 32);
                let r = self.fb.ins().ireduce(types::I32, s);
                self.set(t(0), r);
            }
            ExtuI32I64 => {
                let x = self.get(t(1));
                let r = self.fb.ins().uextend(types::I64, x);
                self.set(t(0), r);
            }
            ExtsI32I64 => {
                let x = self.get(t(1));
                let r = self.fb.ins().sextend(types::I64, x);
                self.set(t(0), r);
            }
            SetLabel => {
                self.refresh_stale();
                let l = self.labels[insn.c(0) as usize];
                self.fb.ins().jump(l, &[]);
                self.fb.switch_to_block(l);
                self.join_point();
            }
            Br => {
                self.refresh_stale();
                let l = self.labels[insn.c(0) as usize];
                self.fb.ins().jump(l, &[]);
                self.fresh_block();
            }
            BrcondI32 | BrcondI64 => {
                self.refresh_stale();
                let (x, y) = (self.get(t(0)), self.get(t(1)));
                let c = self.cmp(Cond::from_u32(insn.c(0)), x, y);
                let l = self.labels[insn.c(1) as usize];
                let next = self.fb.create_block();
                self.fb.ins().brif(c, l, &[], next, &[]);
                self.fb.switch_to_block(next);
            }
            Exit => {
                self.store_globals_for_exit();
                if let Some(pc) = self.snap_pc {
                    self.store_insn_pc(pc);
                }
                let r = self
                    .fb
                    .ins()
                    .iconst(types::I64, exit::guest(insn.imm as u32) as i64);
                self.fb.ins().return_(&[r]);
                self.fresh_block();
            }
            InsnStart => {
                if std::mem::take(&mut self.stored) {
                    self.exit_point(insn.imm);
                }
                self.snap_pc = None;
                if self.sync[self.at] && self.lazy {
                    // Precise faults, lazily: remember the state at the
                    // start for the paths that can fault.
                    self.snap.clear();
                    for i in 0..self.written_globals.len() {
                        let g = self.written_globals[i];
                        if self.dirty[g as usize] {
                            let v = self.get(Temp(g));
                            self.snap.push((g, v));
                        }
                    }
                    self.snap_pc = Some(insn.imm);
                } else if self.sync[self.at] {
                    // Precise faults: the env is exact at the start of an
                    // instruction that can fault, with its pc recorded.
                    self.store_globals();
                    self.store_insn_pc(insn.imm);
                }
            }
            LdI32 | LdI64 if b.softmmu => {
                let a = self.get(t(1));
                let v = self.soft_load(b.ty(t(0)), a, MemOp(insn.c(0) as u16), insn.c(1));
                self.set(t(0), v);
            }
            StI32 | StI64 if b.softmmu => {
                self.stored = true;
                let (v, a) = (self.get(t(0)), self.get(t(1)));
                self.soft_store(v, a, MemOp(insn.c(0) as u16), insn.c(1));
            }
            LdI32 | LdI64 => {
                let a = self.get(t(1));
                let p = self.host_addr(a);
                let v = self.load_mem(
                    b.ty(t(0)),
                    p,
                    0,
                    MemOp(insn.c(0) as u16),
                    MemFlagsData::new(),
                );
                self.set(t(0), v);
            }
            StI32 | StI64 => {
                self.stored = true;
                let (v, a) = (self.get(t(0)), self.get(t(1)));
                let p = self.host_addr(a);
                self.store_mem(v, p, 0, MemOp(insn.c(0) as u16), MemFlagsData::new());
            }
            Ld2I64 if b.softmmu => {
                let a = self.get(t(2));
                let (m, idx) = (MemOp(insn.c(0) as u16), insn.c(1));
                let lo = self.soft_load(Type::I64, a, m, idx);
                let a8 = self.fb.ins().iadd_imm_s(a, 8);
                let hi = self.soft_load(Type::I64, a8, m, idx);
                self.set(t(0), lo);
                self.set(t(1), hi);
            }
            St2I64 if b.softmmu => {
                self.stored = true;
                let (lo, hi, a) = (self.get(t(0)), self.get(t(1)), self.get(t(2)));
                let (m, idx) = (MemOp(insn.c(0) as u16), insn.c(1));
                self.soft_store(lo, a, m, idx);
                let a8 = self.fb.ins().iadd_imm_s(a, 8);
                self.soft_store(hi, a8, m, idx);
            }
            Ld2I64 => {
                // One 16-byte vector load: single-copy atomic when aligned
                // (x86-64 CPUs with AVX make aligned 16-byte SSE accesses
                // atomic), two halves' worth otherwise.
                let a = self.get(t(2));
                let p = self.host_addr(a);
                let v = self.fb.ins().load(types::I64X2, MemFlagsData::new(), p, 0);
                let m = MemOp(insn.c(0) as u16);
                for (k, out) in [(0u8, t(0)), (1, t(1))] {
                    let mut x = self.fb.ins().extractlane(v, k);
                    if m.is_be() {
                        x = self.fb.ins().bswap(x);
                    }
                    self.set(out, x);
                }
            }
            St2I64 => {
                self.stored = true;
                let (mut lo, mut hi, a) = (self.get(t(0)), self.get(t(1)), self.get(t(2)));
                if MemOp(insn.c(0) as u16).is_be() {
                    lo = self.fb.ins().bswap(lo);
                    hi = self.fb.ins().bswap(hi);
                }
                let v = self.fb.ins().scalar_to_vector(types::I64X2, lo);
                let v = self.fb.ins().insertlane(v, hi, 1);
                let p = self.host_addr(a);
                self.fb.ins().store(MemFlagsData::new(), v, p, 0);
            }
            LdEnvI32 | LdEnvI64 => {
                let m = MemOp(insn.c(1) as u16 & !0x10);
                let v = self.load_mem(
                    b.ty(t(0)),
                    self.env,
                    insn.c(0) as i32,
                    m,
                    MemFlagsData::trusted(),
                );
                self.set(t(0), v);
            }
            StEnvI32 | StEnvI64 => {
                let m = MemOp(insn.c(1) as u16 & !0x10);
                let v = self.get(t(0));
                self.store_mem(v, self.env, insn.c(0) as i32, m, MemFlagsData::trusted());
            }
            Call => {
                self.stored = true;
                self.call(insn)
            }
        }
    }

    fn float_binop(&mut self, insn: &Insn) {
        use Opcode::*;
        let wide = matches!(insn.opc, FaddF64 | FsubF64 | FmulF64 | FdivF64);
        let (x, y) = (self.get(insn.t(1)), self.get(insn.t(2)));
        let flags = MemFlagsData::new();
        let (ity, fty) = if wide {
            (types::I64, types::F64)
        } else {
            (types::I32, types::F32)
        };
        let (x, y) = if wide {
            (x, y)
        } else {
            (
                self.fb.ins().ireduce(types::I32, x),
                self.fb.ins().ireduce(types::I32, y),
            )
        };
        let fx = self.fb.ins().bitcast(fty, flags, x);
        let fy = self.fb.ins().bitcast(fty, flags, y);
        let fr = match insn.opc {
            FaddF64 | FaddF32 => self.fb.ins().fadd(fx, fy),
            FsubF64 | FsubF32 => self.fb.ins().fsub(fx, fy),
            FmulF64 | FmulF32 => self.fb.ins().fmul(fx, fy),
            _ => self.fb.ins().fdiv(fx, fy),
        };
        let r = self.fb.ins().bitcast(ity, flags, fr);
        let r = if wide {
            r
        } else {
            self.fb.ins().uextend(types::I64, r)
        };
        self.set(insn.t(0), r);
    }

    fn division(&mut self, insn: &Insn) {
        use Opcode::*;
        let ty = cl_type(self.b.ty(insn.t(0)));
        let (x, y) = (self.get(insn.t(1)), self.get(insn.t(2)));
        let zero = self.fb.ins().iconst(ty, 0);
        let one = self.fb.ins().iconst(ty, 1);
        let y_is_zero = self.fb.ins().icmp_imm_s(IntCC::Equal, y, 0);
        let signed = matches!(insn.opc, DivsI32 | DivsI64 | RemsI32 | RemsI64);
        // A divisor that cannot trap: 1 for zero, and for MIN / -1.
        let mut safe = self.fb.ins().select(y_is_zero, one, y);
        if signed {
            let min = if ty == types::I32 {
                i32::MIN as i64
            } else {
                i64::MIN
            };
            let x_min = self.fb.ins().icmp_imm_s(IntCC::Equal, x, min);
            let y_m1 = self.fb.ins().icmp_imm_s(IntCC::Equal, y, -1);
            let ovf = self.fb.ins().band(x_min, y_m1);
            safe = self.fb.ins().select(ovf, one, safe);
            if matches!(insn.opc, RemsI32 | RemsI64) {
                // MIN % -1 == 0; with divisor 1 the remainder is 0 too.
            }
        }
        let r = match insn.opc {
            DivsI32 | DivsI64 => {
                let q = self.fb.ins().sdiv(x, safe);
                self.fb.ins().select(y_is_zero, zero, q)
            }
            DivuI32 | DivuI64 => {
                let q = self.fb.ins().udiv(x, safe);
                self.fb.ins().select(y_is_zero, zero, q)
            }
            RemsI32 | RemsI64 => {
                let q = self.fb.ins().srem(x, safe);
                self.fb.ins().select(y_is_zero, x, q)
            }
            _ => {
                let q = self.fb.ins().urem(x, safe);
                self.fb.ins().select(y_is_zero, x, q)
            }
        };
        self.set(insn.t(0), r);
    }

    /// The inline TLB lookup of a system-mode access (`softmmu::tlb_cmp`,
    /// `softmmu::tlb_offset`): branches to a new block on a hit, where it
    /// leaves the builder and returns the host address, and to the returned
    /// cold block on a miss.
    fn tlb_lookup(&mut self, addr: Value, m: MemOp, mmu_idx: u32, write: bool) -> (Value, Block) {
        use crate::softmmu::{
            PAGE_BITS, PAGE_MASK, TLB_ADDEND, TLB_ENTRY_BITS, TLB_READ, TLB_SIZE, TLB_WRITE,
        };
        let tlb = self.fb.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            self.env,
            crate::cpu::OFF_TLB,
        );
        let sh = self
            .fb
            .ins()
            .ushr_imm_s(addr, (PAGE_BITS - TLB_ENTRY_BITS) as i64);
        let off = self
            .fb
            .ins()
            .band_imm_s(sh, ((TLB_SIZE as i64) - 1) << TLB_ENTRY_BITS);
        let ent = self.fb.ins().iadd(tlb, off);
        // Constant part: the MMU index's table.
        let base = (crate::softmmu::tlb_offset(0, mmu_idx)) as i32;
        let tag_off = base + if write { TLB_WRITE } else { TLB_READ };
        let tag = self
            .fb
            .ins()
            .load(types::I64, MemFlagsData::trusted(), ent, tag_off);
        let last = m.bytes() as i64 - 1;
        let cmp = if m.is_aligned() {
            self.fb.ins().band_imm_s(addr, PAGE_MASK as i64 | last)
        } else {
            let e = self.fb.ins().iadd_imm_s(addr, last);
            self.fb.ins().band_imm_s(e, PAGE_MASK as i64)
        };
        let eq = self.fb.ins().icmp(IntCC::Equal, tag, cmp);
        let hit = self.fb.create_block();
        let miss = self.fb.create_block();
        self.fb.set_cold_block(miss);
        self.fb.ins().brif(eq, hit, &[], miss, &[]);
        self.fb.switch_to_block(hit);
        let addend =
            self.fb
                .ins()
                .load(types::I64, MemFlagsData::trusted(), ent, base + TLB_ADDEND);
        let host = self.fb.ins().iadd(addr, addend);
        (host, miss)
    }

    /// A system-mode load: inline TLB hit, `softmmu::load` on a miss.
    fn soft_load(&mut self, ty: Type, addr: Value, m: MemOp, mmu_idx: u32) -> Value {
        if !self.b.inline_tlb {
            return self.soft_load_call(ty, addr, m, mmu_idx);
        }
        let (host, miss) = self.tlb_lookup(addr, m, mmu_idx, false);
        let done = self.fb.create_block();
        let res = self.fb.append_block_param(done, cl_type(ty));
        let v = self.load_mem(ty, host, 0, m, MemFlagsData::new());
        self.fb.ins().jump(done, &[v.into()]);
        self.fb.switch_to_block(miss);
        self.store_snapshot();
        let v = self.soft_load_call(ty, addr, m, mmu_idx);
        self.fb.ins().jump(done, &[v.into()]);
        self.fb.switch_to_block(done);
        res
    }

    fn soft_load_call(&mut self, ty: Type, addr: Value, m: MemOp, mmu_idx: u32) -> Value {
        let oi = crate::softmmu::pack_oi(m, mmu_idx);
        let f = crate::softmmu::load as *const () as usize;
        let v = self.call_raw(f, &[addr], oi, true);
        if ty == Type::I32 {
            self.fb.ins().ireduce(types::I32, v)
        } else {
            v
        }
    }

    /// A system-mode store: inline TLB hit (write tags are never set for
    /// code pages), `softmmu::store` on a miss.
    fn soft_store(&mut self, v: Value, addr: Value, m: MemOp, mmu_idx: u32) {
        if !self.b.inline_tlb {
            return self.soft_store_call(v, addr, m, mmu_idx);
        }
        let (host, miss) = self.tlb_lookup(addr, m, mmu_idx, true);
        let done = self.fb.create_block();
        self.store_mem(v, host, 0, m, MemFlagsData::new());
        self.fb.ins().jump(done, &[]);
        self.fb.switch_to_block(miss);
        self.store_snapshot();
        self.soft_store_call(v, addr, m, mmu_idx);
        self.fb.ins().jump(done, &[]);
        self.fb.switch_to_block(done);
    }

    fn soft_store_call(&mut self, v: Value, addr: Value, m: MemOp, mmu_idx: u32) {
        let v = if self.fb.func.dfg.value_type(v) == types::I32 {
            self.fb.ins().uextend(types::I64, v)
        } else {
            v
        };
        let oi = crate::softmmu::pack_oi(m, mmu_idx);
        let f = crate::softmmu::store as *const () as usize;
        self.call_raw(f, &[addr, v], oi, false);
    }

    /// Calls a SysV `fn(env, args..., last) -> u64` (or without result)
    /// that touches no globals: the softmmu slow paths.
    fn call_raw(&mut self, f: usize, args: &[Value], last: u64, ret: bool) -> Value {
        let mut sig = Signature::new(CallConv::SystemV);
        for _ in 0..args.len() + 2 {
            sig.params.push(AbiParam::new(types::I64));
        }
        if ret {
            sig.returns.push(AbiParam::new(types::I64));
        }
        let sref = self.fb.import_signature(sig);
        let mut all = vec![self.env];
        all.extend_from_slice(args);
        all.push(self.fb.ins().iconst(types::I64, last as i64));
        let fv = self.fb.ins().iconst(types::I64, f as i64);
        let call = self.fb.ins().call_indirect(sref, fv, &all);
        if ret {
            self.fb.inst_results(call)[0]
        } else {
            fv
        }
    }

    fn call(&mut self, insn: &Insn) {
        let h = insn.helper();
        let touches_env = h.reads_env() || h.writes_env();
        if touches_env {
            self.store_globals();
            if let Some(pc) = self.snap_pc {
                self.store_insn_pc(pc);
            }
        } else if h.flags & crate::helper::NO_SIDE_EFFECTS == 0 {
            self.store_snapshot();
        }
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(types::I64));
        for _ in 0..h.nargs {
            sig.params.push(AbiParam::new(types::I64));
        }
        sig.returns.push(AbiParam::new(types::I64));
        let sref = self.fb.import_signature(sig);
        let mut args = vec![self.env];
        for a in insn.ins() {
            let v = self.get(a);
            let v = if self.b.ty(a) == Type::I32 {
                self.fb.ins().uextend(types::I64, v)
            } else {
                v
            };
            args.push(v);
        }
        let f = self.fb.ins().iconst(types::I64, h.addr() as i64);
        let call = self.fb.ins().call_indirect(sref, f, &args);
        let r = self.fb.inst_results(call)[0];
        if h.writes_env() {
            self.mark_stale();
        }
        if insn.args[0] != NO_TEMP {
            let out = insn.t(0);
            let r = if self.b.ty(out) == Type::I32 {
                self.fb.ins().ireduce(types::I32, r)
            } else {
                r
            };
            self.set(out, r);
        }
    }
}
