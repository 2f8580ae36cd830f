//! The template tier: a block the interpreter has lowered (`interp::Code`)
//! turned into x86-64 code in well under a microsecond, op by op, with no
//! register allocation: every operand is loaded from and stored to its
//! env slot, exactly where the interpreter reads and writes it, so the
//! state after every op is the interpreter's. What it saves is the
//! interpreter's dispatch and operand decoding: one indirect jump and
//! several loads per op.
//!
//! Helper calls are made directly, user-mode 16-byte accesses inline. Ops
//! it has no template for (division, bit counts, softmmu or big-endian
//! 16-byte accesses) call `interp::one_op`, the interpreter's
//! own code for that op, with a pointer to the lowered op. Softmmu loads and stores look the
//! TLB up inline (as the JIT's inline lookup does) and call
//! `softmmu::load`/`store` on a miss. Labels, branches,
//! instruction starts (the exit-request check after stores), guest exits
//! and the terminal are native and return the interpreter's exit codes.
//!
//! Code shape: `extern "sysv64" fn(env, _) -> u64`; rbx holds env, r12 the
//! guest base, r13 the "stored since the last instruction start" flag, r14
//! and r15 two more pointers into the env (`bases`: env operands near them
//! take an 8-bit displacement), all five callee-saved and pushed in the
//! prologue (which also leaves the stack 16-byte aligned for calls). Host faults in guest accesses behave
//! as in the interpreter (the fault guard of precise mode leaves through
//! `guard::leave`; no frame here holds anything).
//!
//! Chaining: a direct jump whose target is template code too goes straight
//! to the target's *chained entry* once the cpu loop has linked the two
//! (`Tb::tchain`, a slot the jump loads; 0 returns to the loop). Every
//! entry counts the block's execution in `Tb::exec_count` (tier-up still
//! sees every run); the chained entry also leaves for the loop when the
//! count reaches the `auto` threshold (the block is hot: the loop compiles
//! it or runs its compiled code) or an exit is requested. A block returning
//! to the loop from a direct jump stores its `Tb` in `CpuCommon::last_tb`,
//! as JIT code does. An indirect jump probes the cpu's jump cache for a
//! block with template code and goes to its chained entry on a hit.

use super::interp::{Code, Op, Term};
use super::x64::{cc, Asm, Rm, R12, R13, R14, R15, R8, R9, RAX, RBX, RCX, RDI, RDX, RSI};
use crate::cache::Tb;
use crate::cpu::{
    exit, JmpEntry, JMP_CACHE_SIZE, OFF_CUR_FLAGS, OFF_EXIT_REQUEST, OFF_GUEST_BASE, OFF_INSN_PC,
    OFF_JMP_CACHE, OFF_LAST_TB,
};

const ENTRY_PC: u32 = std::mem::offset_of!(JmpEntry, pc) as u32;
const ENTRY_FLAGS: u32 = std::mem::offset_of!(JmpEntry, flags) as u32;
const ENTRY_TB: u32 = std::mem::offset_of!(JmpEntry, tb) as u32;
const TB_CHAINED: u32 = std::mem::offset_of!(Tb, tmpl_chained) as u32;
const _: () = assert!(std::mem::size_of::<JmpEntry>() == 32);
use crate::ir::{Cond, MemOp, Opcode, Type};

/// The prologue's pushes undone: pop r15; pop r14; pop r13; pop r12; pop rbx.
const POP_FRAME: [u8; 9] = [0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5b];

/// The env offsets r14 and r15 hold in template code, so the operands an
/// op touches most take an 8-bit displacement: r14 the first 32 scratch
/// slots (the IR's locals), r15 the guest globals around the pc (on
/// AArch64 x5-x30, pc and NZCV). The same for every block of an engine
/// (chained blocks share the registers): fixed by the layout.
fn bases(code: &Code) -> [(u8, u32); 2] {
    [
        (R14, crate::cpu::OFF_SCRATCH + 0x80),
        (R15, code.pc_off.wrapping_sub(0x58)),
    ]
}

/// How a block's template code ties in with its `Tb` (all addresses; 0
/// where there is none, as in tests that run lone blocks).
#[derive(Clone, Copy, Default)]
pub struct Link {
    /// The block's guest pc.
    pub pc: u64,
    /// The `Tb`, for `CpuCommon::last_tb`.
    pub tb: usize,
    /// Its execution counter (`Tb::exec_count`, a u32).
    pub count: usize,
    /// The chained entry leaves for the cpu loop once the count is at
    /// least the u32 at this address (`Tb::tier_up_at`, which the engine
    /// moves: later for a block waiting to compile as a region or queued
    /// for the compile thread, to 0 once compiled code is there).
    pub tier_up_at: usize,
    /// Its two chain slots (`Tb::tchain`): jump targets' chained entries.
    pub slots: [usize; 2],
    /// Its compiled code's address (`Tb::jit`, 0 while it has none) and a
    /// cell holding the JIT's entry trampoline (0 until there is a JIT):
    /// the chained entry of a block that has been compiled goes there
    /// (0 here: it returns to the loop).
    pub jit: usize,
    pub trampoline: usize,
}

/// A block's template code and where in it its chained entry is.
pub struct Emitted {
    pub code: Vec<u8>,
    /// The function entry (`enter`, the cpu loop's), an offset in `code`
    /// as are the other entries.
    pub entry: usize,
    pub chained_entry: usize,
    /// Where compiled code's chain slots enter it (`Tb::tmpl_jit_entry`).
    pub jit_entry: usize,
    /// (offset in `code` of a 64-bit immediate holding an op's address,
    /// index of that op in `Code::ops`) for each op the code hands to
    /// `interp::one_op`: `Code::keep_only` moves them and repoints these.
    pub op_refs: Vec<(usize, usize)>,
}

/// Runs template code at `code` on `env`; returns an `exit` code.
///
/// # Safety
/// `code` is template code emitted for a block of `env`'s guest, in
/// executable memory, with everything its `Link` names still alive.
pub unsafe fn enter(code: usize, env: *mut u8) -> u64 {
    // SAFETY: per the contract above; the code is a sysv64 function.
    let f: extern "sysv64" fn(*mut u8, usize) -> u64 = unsafe { std::mem::transmute(code) };
    f(env, 0)
}

/// The vectors one `emit` fills, kept per thread from block to block:
/// every translated block is emitted, and growing fresh vectors each time
/// cost ~2% of a kernel boot in malloc and realloc.
#[derive(Default)]
struct Spare {
    code: Vec<u8>,
    op_refs: Vec<(usize, usize)>,
    op_at: Vec<usize>,
    label_fix: Vec<(usize, u32)>,
    request_fix: Vec<(usize, u64)>,
    entry_fix: Vec<(usize, u64)>,
    targets: Vec<bool>,
}

thread_local! {
    static SPARE: std::cell::Cell<Spare> = Default::default();
}

/// Gives an `Emitted`'s vectors back once its code is placed, for the
/// next `emit` on this thread to reuse.
pub fn recycle(e: Emitted) {
    let mut s = SPARE.take();
    s.code = e.code;
    s.op_refs = e.op_refs;
    SPARE.set(s);
}

/// Emits `code` as template-tier machine code (position independent:
/// every address in it is absolute).
pub fn emit(code: &Code, link: &Link) -> Emitted {
    let mut sp = SPARE.take();
    sp.code.clear();
    sp.op_refs.clear();
    sp.op_at.clear();
    sp.label_fix.clear();
    sp.request_fix.clear();
    sp.entry_fix.clear();
    // Ops that branches jump to (and the terminal, last): no register
    // holds a known value there.
    let mut targets = std::mem::take(&mut sp.targets);
    targets.clear();
    targets.resize(code.ops.len() + 1, false);
    for op in &code.ops {
        match op.opc {
            Opcode::Br => targets[op.a[0] as usize] = true,
            Opcode::BrcondI32 | Opcode::BrcondI64 => targets[op.a[3] as usize] = true,
            _ => {}
        }
    }
    let mut e = Emitter {
        a: Asm {
            buf: std::mem::take(&mut sp.code),
            bases: bases(code),
        },
        code,
        link: *link,
        op_at: std::mem::take(&mut sp.op_at),
        label_fix: std::mem::take(&mut sp.label_fix),
        request_fix: std::mem::take(&mut sp.request_fix),
        entry_fix: std::mem::take(&mut sp.entry_fix),
        op_refs: std::mem::take(&mut sp.op_refs),
        held: None,
        avail: None,
    };
    e.op_at.reserve(code.ops.len() + 1);
    e.a.buf.reserve(256 + code.ops.len() * 64);
    // The chained entry first (the code runs from it when chained, so the
    // function entries go after the cold paths, off the hot lines): leave
    // before running (and counting) the block when an exit is requested or
    // the block is hot.
    let chained_entry = e.a.pos();
    e.a.op(None, false, &[0x83], 7, env(OFF_EXIT_REQUEST as u32)); // cmp dword [req], 0
    e.a.byte(0);
    let j = e.a.jcc(cc::NE);
    e.entry_fix.push((j, exit::REQUEST));
    if e.link.count != 0 {
        if e.link.tier_up_at == e.link.count + 4 {
            // Side by side (as in `Tb`): one address for both.
            e.a.mov_imm(RAX, e.link.count as u64);
            e.a.load(false, RCX, Rm::Mem(RAX, 4)); // mov ecx, [rax + 4]
        } else {
            e.a.mov_imm(RCX, e.link.tier_up_at as u64);
            e.a.load(false, RCX, Rm::Mem(RCX, 0)); // mov ecx, [tier_up_at]
            e.a.mov_imm(RAX, e.link.count as u64);
        }
        e.a.op(None, false, &[0x39], RCX, Rm::AtRax); // cmp dword [rax], ecx
        let j = e.a.jcc(cc::AE);
        e.entry_fix.push((j, exit::INDIRECT));
        e.a.op(None, false, &[0x83], 0, Rm::AtRax); // add dword [rax], 1
        e.a.byte(1);
    }
    let body = e.a.pos();
    e.a.op(None, false, &[0x31], R13, Rm::Reg(R13)); // xor r13d, r13d
    for (i, op) in code.ops.iter().enumerate() {
        e.op_at.push(e.a.pos());
        if targets[i] {
            e.held = None;
        }
        e.op(op, i);
    }
    e.op_at.push(e.a.pos());
    if targets[code.ops.len()] {
        e.held = None;
    }
    e.avail = e.held.take();
    e.terminal();
    e.cold_paths();
    // The function entry (the cpu loop's): counts and runs the body.
    let entry = e.a.pos();
    e.prologue();
    e.count();
    let j = e.a.jmp();
    e.a.patch(j, body);
    // The entry for compiled code's chain slots: a function entry (the
    // JIT's tail calls pass env first, in rdi, as SysV does, and expect
    // the SysV callee-saved registers kept), then the chained entry's
    // checks.
    let jit_entry = e.a.pos();
    e.prologue();
    let j = e.a.jmp();
    e.a.patch(j, chained_entry);
    for &(at, target) in &e.label_fix {
        let to = e.op_at[target as usize];
        e.a.patch(at, to);
    }
    sp.op_at = e.op_at;
    sp.label_fix = e.label_fix;
    sp.request_fix = e.request_fix;
    sp.entry_fix = e.entry_fix;
    sp.targets = targets;
    SPARE.set(sp);
    Emitted {
        code: e.a.buf,
        entry,
        chained_entry,
        jit_entry,
        op_refs: e.op_refs,
    }
}

struct Emitter<'a> {
    a: Asm,
    code: &'a Code,
    link: Link,
    /// (rel32 position, exit code) of the chained entry's early exits.
    entry_fix: Vec<(usize, u64)>,
    op_refs: Vec<(usize, usize)>,
    /// Code offset of each op (and of the terminal, last).
    op_at: Vec<usize>,
    /// (rel32 position, op index) of branches to labels.
    label_fix: Vec<(usize, u32)>,
    /// (rel32 position, guest pc) of exit-request checks.
    request_fix: Vec<(usize, u64)>,
    /// The register the last op left an env slot's value in (`st`).
    held: Option<Held>,
    /// `held` as the op being emitted found it, for its first load only
    /// (`ld`): later instructions of the op may clobber the register.
    avail: Option<Held>,
}

/// A register that holds the value an op just stored to an env slot:
/// the next op's first load of that slot becomes a register move (or
/// nothing), so a chain of ops passes values in registers instead of
/// through a store and a load each (store-to-load forwarding costs ~5
/// cycles per link). The stores stay: the env is the state.
#[derive(Clone, Copy)]
struct Held {
    reg: u8,
    slot: u32,
    /// Stored as 64 bits (else only the low 32 bits are the slot's).
    w64: bool,
}

fn x86_cc(c: Cond) -> u8 {
    match c {
        Cond::Eq | Cond::TstEq => cc::E,
        Cond::Ne | Cond::TstNe => cc::NE,
        Cond::Lt => cc::L,
        Cond::Ge => cc::GE,
        Cond::Le => cc::LE,
        Cond::Gt => cc::G,
        Cond::Ltu => cc::B,
        Cond::Geu => cc::AE,
        Cond::Leu => cc::BE,
        Cond::Gtu => cc::A,
        Cond::Never | Cond::Always => unreachable!("constant conditions are not compared"),
    }
}

fn env(o: u32) -> Rm {
    Rm::Env(o)
}

impl Emitter<'_> {
    /// `mov reg, [slot]` (32 bits unless `w`), from the register the
    /// previous op left the slot's value in when it can: the first load
    /// an op makes only.
    fn ld(&mut self, w: bool, reg: u8, slot: u32) {
        if let Some(h) = self.avail.take() {
            if h.slot == slot && (h.w64 || !w) {
                if h.reg != reg || !w {
                    self.a.store(w, h.reg, Rm::Reg(reg)); // mov reg, h.reg
                }
                return;
            }
        }
        self.a.load(w, reg, env(slot));
    }

    /// `mov [slot], reg` as an op's last instruction: `reg` holds the
    /// slot's value for the next op.
    fn st(&mut self, w: bool, reg: u8, slot: u32) {
        self.a.store(w, reg, env(slot));
        self.held = Some(Held { reg, slot, w64: w });
    }

    fn prologue(&mut self) {
        let a = &mut self.a;
        // push rbx; push r12; push r13; push r14; push r15
        a.bytes(&[0x53, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57]);
        a.store(true, RDI, Rm::Reg(RBX)); // mov rbx, rdi
        a.load(true, R12, env(OFF_GUEST_BASE as u32));
        // The env bases of short operands (`bases`): lea r14/r15, [rbx + at].
        for (r, at) in a.bases {
            a.op(None, true, &[0x8d], r, Rm::Mem(RBX, at));
        }
    }

    /// Counts an execution (leaves the counter's address in rax).
    fn count(&mut self) {
        if self.link.count != 0 {
            self.a.mov_imm(RAX, self.link.count as u64);
            self.a.op(None, false, &[0x83], 0, Rm::AtRax); // add dword [rax], 1
            self.a.byte(1);
        }
    }

    /// Leaves through direct-jump slot `slot` to `pc`: to the chained
    /// target if the slot is linked, else back to the cpu loop.
    fn jump_out(&mut self, slot: usize, pc: u64) {
        self.set_pc(pc);
        if self.link.slots[slot] != 0 && self.code.softmmu && (self.link.pc ^ pc) >> 12 != 0 {
            // System mode links blocks only within a page: a jump to
            // another page probes the jump cache instead.
            self.a.mov_imm(RAX, pc);
            self.probe_jump_cache();
            self.ret(exit::INDIRECT);
            return;
        }
        if self.link.slots[slot] != 0 {
            let a = &mut self.a;
            a.mov_imm(RAX, self.link.slots[slot] as u64);
            a.load(true, RAX, Rm::AtRax);
            a.op(None, true, &[0x85], RAX, Rm::Reg(RAX)); // test rax, rax
            a.bytes(&[0x74, 2]); // jz over the jmp
            a.jmp_rax();
        }
        if self.link.tb != 0 {
            self.a
                .store_imm64(env(OFF_LAST_TB as u32), self.link.tb as u64);
        }
        self.ret(if slot == 0 { exit::JUMP0 } else { exit::JUMP1 });
    }

    /// Returns `rax` to the caller.
    fn epilogue(&mut self) {
        self.a.bytes(&POP_FRAME);
        self.a.byte(0xc3); // ret
    }

    fn ret(&mut self, v: u64) {
        self.a.mov_imm(RAX, v);
        self.epilogue();
    }

    fn set_pc(&mut self, pc: u64) {
        let off = self.code.pc_off;
        self.a.store_imm64(env(off), pc);
    }

    fn set_stored(&mut self) {
        self.a.mov_imm(R13, 1);
    }

    /// Compares `a` with `b` (32 or 64 bits) for `c`; false for constant
    /// conditions (the caller handles those).
    fn compare(&mut self, w: bool, a: u32, b: u32, c: Cond) {
        self.ld(w, RAX, a);
        if matches!(c, Cond::TstEq | Cond::TstNe) {
            self.a.op(None, w, &[0x85], RAX, env(b)); // test [b], rax
        } else {
            self.a.op(None, w, &[0x3b], RAX, env(b)); // cmp rax, [b]
        }
    }

    /// `rm` (a load from the env or guest memory) into rcx as `m` says:
    /// size, sign and byte order, zero- or sign-extended to 64 bits.
    fn load_mem(&mut self, rm: Rm, m: MemOp) {
        let a = &mut self.a;
        let signed = m.is_signed();
        match m.log2() {
            0 => a.op(
                None,
                true,
                &[0x0f, if signed { 0xbe } else { 0xb6 }],
                RCX,
                rm,
            ),
            1 if !m.is_be() => a.op(
                None,
                true,
                &[0x0f, if signed { 0xbf } else { 0xb7 }],
                RCX,
                rm,
            ),
            1 => {
                a.op(None, false, &[0x0f, 0xb7], RCX, rm); // movzx ecx, word
                a.bswap(false, RCX);
                if signed {
                    a.shift_imm(false, 7, Rm::Reg(RCX), 16); // sar ecx, 16
                    a.op(None, true, &[0x63], RCX, Rm::Reg(RCX)); // movsxd rcx, ecx
                } else {
                    a.shift_imm(false, 5, Rm::Reg(RCX), 16); // shr ecx, 16
                }
            }
            2 if !m.is_be() => {
                if signed {
                    a.op(None, true, &[0x63], RCX, rm);
                } else {
                    a.load(false, RCX, rm);
                }
            }
            2 => {
                a.load(false, RCX, rm);
                a.bswap(false, RCX);
                if signed {
                    a.op(None, true, &[0x63], RCX, Rm::Reg(RCX));
                }
            }
            _ => {
                a.load(true, RCX, rm);
                if m.is_be() {
                    a.bswap(true, RCX);
                }
            }
        }
    }

    /// Stores rcx to `rm` as `m` says (size and byte order; clobbers rcx).
    fn store_mem(&mut self, rm: Rm, m: MemOp) {
        let a = &mut self.a;
        match m.log2() {
            0 => a.op(None, false, &[0x88], RCX, rm),
            1 => {
                if m.is_be() {
                    a.op(Some(0x66), false, &[0xc1], 0, Rm::Reg(RCX)); // rol cx, 8
                    a.byte(8);
                }
                a.op(Some(0x66), false, &[0x89], RCX, rm);
            }
            2 => {
                if m.is_be() {
                    a.bswap(false, RCX);
                }
                a.store(false, RCX, rm);
            }
            _ => {
                if m.is_be() {
                    a.bswap(true, RCX);
                }
                a.store(true, RCX, rm);
            }
        }
    }

    /// The softmmu TLB lookup for an access of `m` at the vaddr in rsi
    /// (kept): on a hit rax holds the host address; returns the rel32 of
    /// the jump taken on a miss. The same tags as `softmmu::tlb_cmp` and
    /// entries as `softmmu::tlb_offset`.
    fn tlb_lookup(&mut self, m: MemOp, mmu_idx: u32, write: bool) -> usize {
        use crate::softmmu::{
            MMU_INDICES, PAGE_BITS, PAGE_MASK, TLB_ADDEND, TLB_ENTRY_BITS, TLB_READ, TLB_SIZE,
            TLB_WRITE,
        };
        let a = &mut self.a;
        let last = m.bytes() as u64 - 1;
        // rdx = the tag to compare
        if m.is_aligned() {
            a.mov_imm(RDX, PAGE_MASK | last);
            a.op(None, true, &[0x23], RDX, Rm::Reg(RSI)); // and rdx, rsi
        } else {
            a.op(None, true, &[0x8d], RDX, Rm::Mem(RSI, last as u32)); // lea rdx, [rsi + last]
            a.op(None, true, &[0x81], 4, Rm::Reg(RDX)); // and rdx, PAGE_MASK (sign-extended)
            a.u32(PAGE_MASK as u32);
        }
        // rcx = the entry
        a.store(true, RSI, Rm::Reg(RCX)); // mov rcx, rsi
        a.shift_imm(true, 5, Rm::Reg(RCX), PAGE_BITS as u8);
        a.op(None, false, &[0x81], 4, Rm::Reg(RCX)); // and ecx, TLB_SIZE - 1
        a.u32(TLB_SIZE as u32 - 1);
        a.shift_imm(true, 4, Rm::Reg(RCX), TLB_ENTRY_BITS as u8);
        a.op(None, true, &[0x03], RCX, env(crate::cpu::OFF_TLB as u32)); // add rcx, [tlb]
        let base = (((mmu_idx as usize & (MMU_INDICES - 1)) * TLB_SIZE) << TLB_ENTRY_BITS) as u32;
        let tag = if write { TLB_WRITE } else { TLB_READ } as u32;
        a.op(None, true, &[0x3b], RDX, Rm::Mem(RCX, base + tag)); // cmp rdx, [entry].tag
        let miss = a.jcc(cc::NE);
        a.store(true, RSI, Rm::Reg(RAX)); // mov rax, rsi
        a.op(
            None,
            true,
            &[0x03],
            RAX,
            Rm::Mem(RCX, base + TLB_ADDEND as u32),
        ); // add rax, [entry].addend
        miss
    }

    /// rax = host address of the guest address in env slot `addr`, and a
    /// branch taken when it is not 16-byte aligned (returned for patching).
    fn host16(&mut self, addr: u32) -> usize {
        let a = &mut self.a;
        a.load(true, RAX, env(addr));
        a.op(None, true, &[0x8d], RAX, Rm::Guest); // lea rax, [r12 + rax]
        a.bytes(&[0xa8, 15]); // test al, 15
        a.jcc(cc::NE)
    }

    /// `ld2_i64` (user mode, little-endian) as the interpreter does it
    /// (`guest_load2`): one MOVDQA when the host address is 16-byte aligned
    /// (single-copy atomic), else two 8-byte loads.
    fn load16(&mut self, lo: u32, hi: u32, addr: u32) {
        let split = self.host16(addr);
        let a = &mut self.a;
        a.op(Some(0x66), false, &[0x0f, 0x6f], 0, Rm::AtRax); // movdqa xmm0, [rax]
        a.op(Some(0x66), false, &[0x0f, 0xd6], 0, env(lo)); // movq [lo], xmm0
        a.op(None, false, &[0x0f, 0x17], 0, env(hi)); // movhps [hi], xmm0
        let done = a.jmp();
        let here = a.pos();
        a.patch(split, here);
        a.load(true, RCX, Rm::AtRax); // mov rcx, [rax]
        a.load(true, RDX, Rm::Mem(RAX, 8)); // mov rdx, [rax + 8]
        a.store(true, RCX, env(lo));
        a.store(true, RDX, env(hi));
        let here = a.pos();
        a.patch(done, here);
    }

    /// `st2_i64` (user mode, little-endian), as `guest_store2`: one MOVDQA
    /// when aligned, else the low half then the high half.
    fn store16(&mut self, lo: u32, hi: u32, addr: u32) {
        let split = self.host16(addr);
        let a = &mut self.a;
        a.op(Some(0xf3), false, &[0x0f, 0x7e], 0, env(lo)); // movq xmm0, [lo]
        a.op(None, false, &[0x0f, 0x16], 0, env(hi)); // movhps xmm0, [hi]
        a.op(Some(0x66), false, &[0x0f, 0x7f], 0, Rm::AtRax); // movdqa [rax], xmm0
        let done = a.jmp();
        let here = a.pos();
        a.patch(split, here);
        a.load(true, RCX, env(lo));
        a.store(true, RCX, Rm::AtRax); // mov [rax], rcx
        a.load(true, RCX, env(hi));
        a.store(true, RCX, Rm::Mem(RAX, 8)); // mov [rax + 8], rcx
        let here = a.pos();
        a.patch(done, here);
    }

    /// A helper call, made directly (not through `interp::one_op`): env and
    /// the arguments, read from their env slots, in the SysV argument
    /// registers; the result stored as the interpreter stores it (4 bytes
    /// for an i32 result). Guest state is in the env all along, so no
    /// effect flag needs syncing.
    fn call_helper(&mut self, op: &Op) {
        // SAFETY: a call op's immediate is a `&'static Helper` (`Builder::call`).
        let h = unsafe { &*(op.imm as *const crate::helper::Helper) };
        const ARGS: [u8; 5] = [RSI, RDX, RCX, R8, R9];
        let a = &mut self.a;
        a.store(true, RBX, Rm::Reg(RDI)); // mov rdi, rbx
        for (k, &r) in ARGS.iter().enumerate().take(h.nargs as usize) {
            self.ld(true, r, op.a[k + 1]);
        }
        self.a.mov_imm(RAX, h.addr() as u64);
        self.a.call_rax();
        if op.a[0] != crate::ir::NO_TEMP {
            self.st(!op.r32, RAX, op.a[0]);
        }
    }

    /// Calls `interp::one_op` for op `i`.
    fn slow(&mut self, i: usize) {
        let op: *const Op = &self.code.ops[i];
        let a = &mut self.a;
        a.store(true, RBX, Rm::Reg(RDI)); // mov rdi, rbx
                                          // Always the 10-byte form: the address may be patched.
        a.byte(0x48);
        a.byte(0xb8 + RSI);
        self.op_refs.push((a.pos(), i));
        a.bytes(&(op as u64).to_le_bytes());
        a.mov_imm(RDX, self.code.softmmu as u64);
        a.mov_imm(RAX, super::interp::one_op as *const () as u64);
        a.call_rax();
    }

    /// rax = [x] op [y] for the ALU ops with an `op r, r/m` form.
    fn alu(&mut self, w: bool, opc: &[u8], d: u32, x: u32, y: u32) {
        // add, and, or, xor, imul commute: start from y when the last op
        // left it in a register.
        let commutes = matches!(opc, [0x03] | [0x23] | [0x0b] | [0x33] | [0x0f, 0xaf]);
        let (x, y) = match self.avail {
            Some(h) if commutes && h.slot == y && h.slot != x => (y, x),
            _ => (x, y),
        };
        self.ld(w, RAX, x);
        self.a.op(None, w, opc, RAX, env(y));
        self.st(w, RAX, d);
    }

    /// d = [x] op ~[y] (andc, orc) or ~([x] op [y]) (eqv), with `op r, r/m`
    /// opcodes.
    fn alu_not(&mut self, w: bool, opc: &[u8], d: u32, x: u32, y: u32, not_result: bool) {
        self.ld(w, RAX, x);
        let a = &mut self.a;
        a.load(w, RCX, env(y));
        if !not_result {
            a.op(None, w, &[0xf7], 2, Rm::Reg(RCX)); // not rcx
        }
        a.op(None, w, opc, RAX, Rm::Reg(RCX));
        if not_result {
            a.op(None, w, &[0xf7], 2, Rm::Reg(RAX)); // not rax
        }
        self.st(w, RAX, d);
    }

    fn shift(&mut self, w: bool, ext: u8, d: u32, x: u32, y: u32) {
        self.ld(w, RAX, x);
        self.a.load(false, RCX, env(y));
        self.a.shift_cl(w, ext, Rm::Reg(RAX));
        self.st(w, RAX, d);
    }

    /// d = f(rm) for a one-operand instruction `opc /ext` on rax.
    fn unary(&mut self, w: bool, opc: &[u8], ext: u8, d: u32, x: u32) {
        self.ld(w, RAX, x);
        self.a.op(None, w, opc, ext, Rm::Reg(RAX));
        self.st(w, RAX, d);
    }

    /// d (width `wd`) = extension of x by `opc` (movzx/movsx/movsxd form).
    fn extend(&mut self, w_op: bool, opc: &[u8], wd: bool, d: u32, x: u32) {
        // It reads at most the low 32 bits, which the register holds
        // whatever width the slot was stored with.
        let src = match self.avail.take() {
            Some(h) if h.slot == x => Rm::Reg(h.reg),
            _ => env(x),
        };
        self.a.op(None, w_op, opc, RAX, src);
        self.st(wd, RAX, d);
    }

    /// Masks rax to its low `len` bits (1..=64).
    fn mask_rax(&mut self, len: u32) {
        let a = &mut self.a;
        match len {
            64 => {}
            32 => a.store(false, RAX, Rm::Reg(RAX)), // mov eax, eax
            1..=31 => {
                a.op(None, false, &[0x81], 4, Rm::Reg(RAX)); // and eax, imm32
                a.u32(((1u64 << len) - 1) as u32);
            }
            _ => {
                a.mov_imm(RCX, u64::MAX >> (64 - len));
                a.op(None, true, &[0x21], RCX, Rm::Reg(RAX)); // and rax, rcx
            }
        }
    }

    fn fp(&mut self, prefix: u8, opc: u8, d: u32, x: u32, y: u32) {
        let a = &mut self.a;
        a.op(Some(prefix), false, &[0x0f, 0x10], 0, env(x)); // movsd/movss xmm0, [x]
        a.op(Some(prefix), false, &[0x0f, opc], 0, env(y)); // op xmm0, [y]
        if prefix == 0xf2 {
            a.op(Some(0xf2), false, &[0x0f, 0x11], 0, env(d)); // movsd [d], xmm0
        } else {
            a.op(Some(0x66), false, &[0x0f, 0x7e], 0, Rm::Reg(RAX)); // movd eax, xmm0
            a.store(true, RAX, env(d));
        }
    }

    fn op(&mut self, op: &Op, i: usize) {
        use Opcode::*;
        self.avail = self.held.take();
        let x = &op.a;
        let softmmu = self.code.softmmu;
        match op.opc {
            MovI32 | MovI64 => {
                let w = op.opc == MovI64;
                self.ld(w, RAX, x[1]);
                self.st(w, RAX, x[0]);
            }
            MoviI32 => {
                self.a.op(None, false, &[0xc7], 0, env(x[0]));
                self.a.u32(op.imm as u32);
            }
            MoviI64 => self.a.store_imm64(env(x[0]), op.imm),

            AddI32 | AddI64 => self.alu(op.opc == AddI64, &[0x03], x[0], x[1], x[2]),
            SubI32 | SubI64 => self.alu(op.opc == SubI64, &[0x2b], x[0], x[1], x[2]),
            AndI32 | AndI64 => self.alu(op.opc == AndI64, &[0x23], x[0], x[1], x[2]),
            OrI32 | OrI64 => self.alu(op.opc == OrI64, &[0x0b], x[0], x[1], x[2]),
            XorI32 | XorI64 => self.alu(op.opc == XorI64, &[0x33], x[0], x[1], x[2]),
            MulI32 | MulI64 => self.alu(op.opc == MulI64, &[0x0f, 0xaf], x[0], x[1], x[2]),
            AndcI32 | AndcI64 => self.alu_not(op.opc == AndcI64, &[0x23], x[0], x[1], x[2], false),
            OrcI32 | OrcI64 => self.alu_not(op.opc == OrcI64, &[0x0b], x[0], x[1], x[2], false),
            EqvI32 | EqvI64 => self.alu_not(op.opc == EqvI64, &[0x33], x[0], x[1], x[2], true),
            ShlI32 | ShlI64 => self.shift(op.opc == ShlI64, 4, x[0], x[1], x[2]),
            ShrI32 | ShrI64 => self.shift(op.opc == ShrI64, 5, x[0], x[1], x[2]),
            SarI32 | SarI64 => self.shift(op.opc == SarI64, 7, x[0], x[1], x[2]),
            RotlI32 | RotlI64 => self.shift(op.opc == RotlI64, 0, x[0], x[1], x[2]),
            RotrI32 | RotrI64 => self.shift(op.opc == RotrI64, 1, x[0], x[1], x[2]),
            MulhsI64 | MulhuI64 => {
                self.ld(true, RAX, x[1]);
                // imul / mul qword [y]: rdx:rax = rax * [y]
                self.a.op(
                    None,
                    true,
                    &[0xf7],
                    if op.opc == MulhsI64 { 5 } else { 4 },
                    env(x[2]),
                );
                self.st(true, RDX, x[0]);
            }
            NegI32 | NegI64 => self.unary(op.opc == NegI64, &[0xf7], 3, x[0], x[1]),
            NotI32 | NotI64 => self.unary(op.opc == NotI64, &[0xf7], 2, x[0], x[1]),

            Ext8sI32 => self.extend(false, &[0x0f, 0xbe], false, x[0], x[1]),
            Ext8uI32 => self.extend(false, &[0x0f, 0xb6], false, x[0], x[1]),
            Ext16sI32 => self.extend(false, &[0x0f, 0xbf], false, x[0], x[1]),
            Ext16uI32 => self.extend(false, &[0x0f, 0xb7], false, x[0], x[1]),
            Ext8sI64 => self.extend(true, &[0x0f, 0xbe], true, x[0], x[1]),
            Ext8uI64 => self.extend(false, &[0x0f, 0xb6], true, x[0], x[1]),
            Ext16sI64 => self.extend(true, &[0x0f, 0xbf], true, x[0], x[1]),
            Ext16uI64 => self.extend(false, &[0x0f, 0xb7], true, x[0], x[1]),
            Ext32sI64 | ExtsI32I64 => self.extend(true, &[0x63], true, x[0], x[1]),
            Ext32uI64 | ExtuI32I64 => self.extend(false, &[0x8b], true, x[0], x[1]),
            ExtrlI64I32 => self.extend(false, &[0x8b], false, x[0], x[1]),
            ExtrhI64I32 => self.extend(false, &[0x8b], false, x[0], x[1] + 4),

            Bswap16I32 | Bswap16I64 => {
                let a = &mut self.a;
                a.op(None, false, &[0x0f, 0xb7], RAX, env(x[1])); // movzx eax, word [x]
                a.bswap(false, RAX);
                a.shift_imm(false, 5, Rm::Reg(RAX), 16); // shr eax, 16
                self.st(op.opc == Bswap16I64, RAX, x[0]);
            }
            Bswap32I32 | Bswap32I64 => {
                self.ld(false, RAX, x[1]);
                self.a.bswap(false, RAX);
                self.st(op.opc == Bswap32I64, RAX, x[0]);
            }
            Bswap64I64 => {
                self.ld(true, RAX, x[1]);
                self.a.bswap(true, RAX);
                self.st(true, RAX, x[0]);
            }

            ExtractI32 | ExtractI64 if (1..=64).contains(&x[3]) && x[2] < 64 => {
                let w = op.opc == ExtractI64;
                self.ld(w, RAX, x[1]);
                if x[2] != 0 {
                    self.a.shift_imm(true, 5, Rm::Reg(RAX), x[2] as u8);
                }
                self.mask_rax(x[3]);
                self.st(w, RAX, x[0]);
            }
            SextractI32 | SextractI64 if (1..=64).contains(&x[3]) && x[2] < 64 => {
                let w = op.opc == SextractI64;
                self.ld(w, RAX, x[1]);
                let a = &mut self.a;
                if x[2] != 0 {
                    a.shift_imm(true, 5, Rm::Reg(RAX), x[2] as u8);
                }
                if x[3] != 64 {
                    a.shift_imm(true, 4, Rm::Reg(RAX), (64 - x[3]) as u8);
                    a.shift_imm(true, 7, Rm::Reg(RAX), (64 - x[3]) as u8);
                }
                self.st(w, RAX, x[0]);
            }
            DepositI32 | DepositI64 if (1..=64).contains(&x[4]) && x[3] < 64 => {
                let w = op.opc == DepositI64;
                let mask = (u64::MAX >> (64 - x[4])) << x[3];
                self.ld(w, RAX, x[1]);
                let a = &mut self.a;
                a.load(w, RCX, env(x[2]));
                if x[3] != 0 {
                    a.shift_imm(true, 4, Rm::Reg(RCX), x[3] as u8);
                }
                a.mov_imm(RDX, mask);
                a.op(None, true, &[0x21], RDX, Rm::Reg(RCX)); // and rcx, rdx
                a.op(None, true, &[0xf7], 2, Rm::Reg(RDX)); // not rdx
                a.op(None, true, &[0x21], RDX, Rm::Reg(RAX)); // and rax, rdx
                a.op(None, true, &[0x09], RCX, Rm::Reg(RAX)); // or rax, rcx
                self.st(w, RAX, x[0]);
            }
            SetcondI32 | SetcondI64 => {
                let w = op.opc == SetcondI64;
                match Cond::from_u32(x[3]) {
                    c @ (Cond::Never | Cond::Always) => {
                        self.a.mov_imm(RAX, (c == Cond::Always) as u64)
                    }
                    c => {
                        self.compare(w, x[1], x[2], c);
                        self.a.setcc_eax(x86_cc(c));
                    }
                }
                self.st(w, RAX, x[0]);
            }
            MovcondI32 | MovcondI64 => {
                let w = op.opc == MovcondI64;
                match Cond::from_u32(x[5]) {
                    c @ (Cond::Never | Cond::Always) => {
                        let src = if c == Cond::Always { x[3] } else { x[4] };
                        self.ld(w, RAX, src);
                    }
                    c => {
                        self.compare(w, x[1], x[2], c);
                        self.a.load(w, RAX, env(x[4]));
                        // cmovcc rax, [v1]
                        self.a
                            .op(None, w, &[0x0f, 0x40 | x86_cc(c)], RAX, env(x[3]));
                    }
                }
                self.st(w, RAX, x[0]);
            }

            FaddF64 => self.fp(0xf2, 0x58, x[0], x[1], x[2]),
            FsubF64 => self.fp(0xf2, 0x5c, x[0], x[1], x[2]),
            FmulF64 => self.fp(0xf2, 0x59, x[0], x[1], x[2]),
            FdivF64 => self.fp(0xf2, 0x5e, x[0], x[1], x[2]),
            FaddF32 => self.fp(0xf3, 0x58, x[0], x[1], x[2]),
            FsubF32 => self.fp(0xf3, 0x5c, x[0], x[1], x[2]),
            FmulF32 => self.fp(0xf3, 0x59, x[0], x[1], x[2]),
            FdivF32 => self.fp(0xf3, 0x5e, x[0], x[1], x[2]),

            SetLabel => {}
            InsnStart => {
                if op.a[0] != 0 {
                    // Through rdi, which never holds a value (`held`).
                    self.a.mov_imm(RDI, op.imm);
                    self.a.store(true, RDI, env(OFF_INSN_PC as u32));
                }
                // Touches no register a value is held in.
                self.held = self.avail;
                let a = &mut self.a;
                a.op(None, false, &[0x85], R13, Rm::Reg(R13)); // test r13d, r13d
                a.bytes(&[0x74, 0]); // jz over the check
                let skip = a.pos();
                a.op(None, false, &[0x31], R13, Rm::Reg(R13)); // xor r13d, r13d
                a.op(None, false, &[0x83], 7, env(OFF_EXIT_REQUEST as u32)); // cmp dword [req], 0
                a.byte(0);
                let j = a.jcc(cc::NE);
                self.request_fix.push((j, op.imm));
                let len = self.a.pos() - skip;
                self.a.buf[skip - 1] = len as u8;
            }
            Br => {
                let j = self.a.jmp();
                self.label_fix.push((j, x[0]));
            }
            BrcondI32 | BrcondI64 => match Cond::from_u32(x[2]) {
                Cond::Never => {}
                Cond::Always => {
                    let j = self.a.jmp();
                    self.label_fix.push((j, x[3]));
                }
                c => {
                    self.compare(op.opc == BrcondI64, x[0], x[1], c);
                    let j = self.a.jcc(x86_cc(c));
                    self.label_fix.push((j, x[3]));
                }
            },
            Exit => self.ret(exit::guest(op.imm as u32)),

            LdI32 | LdI64 if !softmmu => {
                self.ld(true, RAX, x[1]);
                self.load_mem(Rm::Guest, MemOp(x[2] as u16));
                self.st(op.opc == LdI64, RCX, x[0]);
            }
            StI32 | StI64 if !softmmu => {
                self.ld(true, RAX, x[1]);
                self.a.load(op.opc == StI64, RCX, env(x[0]));
                self.store_mem(Rm::Guest, MemOp(x[2] as u16));
                self.set_stored();
            }
            LdEnvI32 | LdEnvI64 => {
                // The env is host memory: no byte swap (as `env_load`).
                self.load_mem(env(x[1]), MemOp(x[2] as u16 & !0x10));
                self.st(op.opc == LdEnvI64, RCX, x[0]);
            }
            StEnvI32 | StEnvI64 => {
                self.ld(op.opc == StEnvI64, RCX, x[0]);
                self.store_mem(env(x[1]), MemOp(x[2] as u16 & !0x10));
            }
            LdI32 | LdI64 => {
                // softmmu: TLB hit inline, else `softmmu::load(env, vaddr, oi)`.
                let (m, w) = (MemOp(x[2] as u16), op.opc == LdI64);
                self.ld(true, RSI, x[1]);
                let miss = self.tlb_lookup(m, x[3], false);
                self.load_mem(Rm::AtRax, m);
                self.a.store(w, RCX, env(x[0]));
                let done = self.a.jmp();
                let here = self.a.pos();
                self.a.patch(miss, here);
                let a = &mut self.a;
                a.store(true, RBX, Rm::Reg(RDI)); // mov rdi, rbx
                a.mov_imm(RDX, crate::softmmu::pack_oi(m, x[3]));
                a.mov_imm(RAX, crate::softmmu::load as *const () as u64);
                a.call_rax();
                a.store(true, RAX, Rm::Reg(RCX)); // mov rcx, rax
                a.store(w, RCX, env(x[0]));
                let here = a.pos();
                a.patch(done, here);
                // rcx holds the value on both paths.
                self.held = Some(Held {
                    reg: RCX,
                    slot: x[0],
                    w64: w,
                });
            }
            StI32 | StI64 if softmmu => {
                let (m, w) = (MemOp(x[2] as u16), op.opc == StI64);
                self.ld(true, RSI, x[1]);
                let miss = self.tlb_lookup(m, x[3], true);
                self.a.load(w, RCX, env(x[0]));
                self.store_mem(Rm::AtRax, m);
                let done = self.a.jmp();
                let here = self.a.pos();
                self.a.patch(miss, here);
                let a = &mut self.a;
                a.store(true, RBX, Rm::Reg(RDI)); // mov rdi, rbx
                a.load(w, RDX, env(x[0]));
                a.mov_imm(RCX, crate::softmmu::pack_oi(m, x[3]));
                a.mov_imm(RAX, crate::softmmu::store as *const () as u64);
                a.call_rax();
                let here = a.pos();
                a.patch(done, here);
                self.set_stored();
            }
            Call => {
                self.call_helper(op);
                self.set_stored();
            }
            Ld2I64 if !softmmu && !MemOp(x[3] as u16).is_be() => self.load16(x[0], x[1], x[2]),
            St2I64 if !softmmu && !MemOp(x[3] as u16).is_be() => {
                self.store16(x[0], x[1], x[2]);
                self.set_stored();
            }
            StI32 | StI64 | St2I64 => {
                self.slow(i);
                self.set_stored();
            }
            _ => self.slow(i),
        }
    }

    fn terminal(&mut self) {
        match self.code.term.clone() {
            Term::Jump(pc) => self.jump_out(0, pc),
            Term::Indirect(t) => {
                self.ld(true, RAX, t);
                self.a.store(true, RAX, env(self.code.pc_off));
                if self.link.slots[0] != 0 {
                    self.probe_jump_cache();
                }
                self.ret(exit::INDIRECT);
            }
            Term::Cond {
                cond,
                a,
                b,
                ty,
                taken,
                not_taken,
            } => match cond {
                Cond::Always => self.jump_out(0, taken),
                Cond::Never => self.jump_out(1, not_taken),
                c => {
                    self.compare(ty != Type::I32, a, b, c);
                    let j = self.a.jcc(x86_cc(c));
                    self.jump_out(1, not_taken);
                    let here = self.a.pos();
                    self.a.patch(j, here);
                    self.jump_out(0, taken);
                }
            },
            Term::Exit { pc, reason } => {
                self.set_pc(pc);
                self.ret(exit::guest(reason));
            }
        }
    }

    /// With the target pc in rax: jumps to the chained entry of the block
    /// the jump cache holds for it (pc and flags equal, template code
    /// present), or falls through on a miss.
    fn probe_jump_cache(&mut self) {
        let a = &mut self.a;
        a.store(true, RAX, Rm::Reg(RCX)); // mov rcx, rax
        a.shift_imm(true, 5, Rm::Reg(RCX), 2); // shr rcx, 2
        a.op(None, false, &[0x81], 4, Rm::Reg(RCX)); // and ecx, size - 1
        a.u32(JMP_CACHE_SIZE as u32 - 1);
        a.shift_imm(true, 4, Rm::Reg(RCX), 5); // shl rcx, 5 (32-byte entries)
        a.op(None, true, &[0x03], RCX, env(OFF_JMP_CACHE as u32)); // add rcx, [jmp_cache]
        let mut miss = Vec::new();
        a.op(None, true, &[0x3b], RAX, Rm::Mem(RCX, ENTRY_PC)); // cmp rax, [rcx].pc
        miss.push(a.jcc(cc::NE));
        a.load(false, RAX, env(OFF_CUR_FLAGS as u32)); // mov eax, [cur_flags]
        a.op(None, true, &[0x3b], RAX, Rm::Mem(RCX, ENTRY_FLAGS)); // cmp rax, [rcx].flags
        miss.push(a.jcc(cc::NE));
        a.load(true, RAX, Rm::Mem(RCX, ENTRY_TB)); // mov rax, [rcx].tb
        a.op(None, true, &[0x85], RAX, Rm::Reg(RAX)); // test rax, rax
        miss.push(a.jcc(cc::E));
        a.load(true, RAX, Rm::Mem(RAX, TB_CHAINED)); // mov rax, [tb].tmpl_chained
        a.op(None, true, &[0x85], RAX, Rm::Reg(RAX)); // test rax, rax
        miss.push(a.jcc(cc::E));
        a.jmp_rax();
        let here = a.pos();
        for j in miss {
            a.patch(j, here);
        }
    }

    /// The exits taken when an exit request is seen after a store, and the
    /// chained entry's exits (hot block, exit request) at the block's start.
    fn cold_paths(&mut self) {
        let mut fixes = std::mem::take(&mut self.entry_fix);
        for &(at, code) in &fixes {
            let here = self.a.pos();
            self.a.patch(at, here);
            if code == exit::INDIRECT {
                self.enter_compiled();
            }
            self.set_pc(self.link.pc);
            self.ret(code);
        }
        fixes.clear();
        self.entry_fix = fixes;
        let mut fixes = std::mem::take(&mut self.request_fix);
        for &(at, pc) in &fixes {
            let here = self.a.pos();
            self.a.patch(at, here);
            self.set_pc(pc);
            self.ret(exit::REQUEST);
        }
        fixes.clear();
        self.request_fix = fixes;
    }

    /// The chained entry of a block whose count reached `tier_up_at`: when
    /// the block has compiled code by now, leaves this frame and tail-calls
    /// the JIT's entry trampoline with it (`fn(env, code)`, as the cpu loop
    /// would call it next), instead of returning to the loop only for it to
    /// do that; falls through otherwise (the loop compiles the block). A
    /// boot went through the loop ~1.4M times from template code, largely
    /// for this.
    fn enter_compiled(&mut self) {
        if self.link.jit == 0 || self.link.trampoline == 0 {
            return;
        }
        let a = &mut self.a;
        a.mov_imm(RSI, self.link.jit as u64);
        a.load(true, RSI, Rm::Mem(RSI, 0)); // mov rsi, [tb.jit]
        a.op(None, true, &[0x85], RSI, Rm::Reg(RSI)); // test rsi, rsi
        let no_code = a.jcc(cc::E);
        a.mov_imm(RCX, self.link.trampoline as u64);
        a.load(true, RCX, Rm::Mem(RCX, 0)); // mov rcx, [trampoline]
        a.op(None, true, &[0x85], RCX, Rm::Reg(RCX)); // test rcx, rcx
        let no_jit = a.jcc(cc::E);
        a.store(true, RBX, Rm::Reg(RDI)); // mov rdi, rbx
        a.bytes(&POP_FRAME);
        a.bytes(&[0xff, 0xe1]); // jmp rcx
        let here = a.pos();
        a.patch(no_code, here);
        a.patch(no_jit, here);
    }
}
