#!/usr/bin/env python3
"""Generates dp_random.txt: random A64 integer data-processing instructions
with random inputs, and the results qemu-aarch64 (-cpu max) computes for
them. QEMU is only the oracle that produced the checked-in expectations;
tests/insn.rs replays them without it.

usage: gen_dp.py [count] [seed] > dp_random.txt
Needs aarch64-linux-gnu-as/ld/objdump and qemu-aarch64.
"""
import random, subprocess, sys, tempfile, os, struct

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1200
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)

def r(zr_ok=True):
    """A register number: 0..7, or 31 (XZR/WZR) when allowed."""
    if zr_ok and rnd.random() < 0.1:
        return 31
    return rnd.randrange(8)

def b(n):
    return rnd.getrandbits(n)

def gen():
    k = rnd.randrange(22)
    sf = b(1)
    if k == 0:  # add/sub imm; S=0 uses SP for 31: keep registers 0..7
        s = b(1)
        return sf << 31 | b(1) << 30 | s << 29 | 0b100010 << 23 | b(1) << 22 | b(12) << 10 | r(False) << 5 | r(s == 1)
    if k == 1:  # logical imm (reserved encodings filtered by objdump)
        opc = b(2)
        n = b(1) if sf else 0
        return sf << 31 | opc << 29 | 0b100100 << 23 | n << 22 | b(6) << 16 | b(6) << 10 | r() << 5 | r(opc == 3)
    if k == 2:  # move wide
        opc = rnd.choice([0, 2, 3])
        hw = b(2) if sf else b(1)
        return sf << 31 | opc << 29 | 0b100101 << 23 | hw << 21 | b(16) << 5 | r(False)
    if k == 3:  # bitfield
        w = 64 if sf else 32
        return sf << 31 | rnd.randrange(3) << 29 | 0b100110 << 23 | sf << 22 | rnd.randrange(w) << 16 | rnd.randrange(w) << 10 | r() << 5 | r()
    if k == 4:  # extr
        w = 64 if sf else 32
        return sf << 31 | 0b00100111 << 23 | sf << 22 | r() << 16 | rnd.randrange(w) << 10 | r() << 5 | r()
    if k == 5:  # logical shifted register
        w = 64 if sf else 32
        return sf << 31 | b(2) << 29 | 0b01010 << 24 | b(2) << 22 | b(1) << 21 | r() << 16 | rnd.randrange(w) << 10 | r() << 5 | r()
    if k == 6:  # add/sub shifted register
        w = 64 if sf else 32
        return sf << 31 | b(2) << 29 | 0b01011 << 24 | rnd.randrange(3) << 22 | r() << 16 | rnd.randrange(w) << 10 | r() << 5 | r()
    if k == 7:  # add/sub extended register (rn, and rd when S=0, would be SP)
        s = b(1)
        return sf << 31 | b(1) << 30 | s << 29 | 0b01011001 << 21 | r() << 16 | b(3) << 13 | rnd.randrange(5) << 10 | r(False) << 5 | r(s == 1)
    if k == 8:  # adc/sbc(s)
        return sf << 31 | b(2) << 29 | 0b11010000 << 21 | r() << 16 | r() << 5 | r()
    if k == 9:  # ccmp/ccmn register or immediate
        return sf << 31 | b(1) << 30 | 1 << 29 | 0b11010010 << 21 | b(5) << 16 | b(4) << 12 | b(1) << 11 | r() << 5 | b(4)
    if k == 10:  # conditional select
        return sf << 31 | b(1) << 30 | 0b011010100 << 21 | r() << 16 | b(4) << 12 | b(1) << 10 | r() << 5 | r()
    if k == 11:  # udiv/sdiv/shifts
        op = rnd.choice([2, 3, 8, 9, 10, 11])
        return sf << 31 | 0b0011010110 << 21 | r() << 16 | op << 10 | r() << 5 | r()
    if k == 12:  # crc32
        sz = b(2)
        return (sz == 3) << 31 | 0b0011010110 << 21 | r() << 16 | (0b010000 | b(1) << 2 | sz) << 10 | r() << 5 | r()
    if k == 13:  # 1-source
        op = rnd.choice([0, 1, 2, 3, 4, 5]) if sf else rnd.choice([0, 1, 2, 4, 5])
        return sf << 31 | 0b1011010110 << 21 | op << 10 | r() << 5 | r()
    if k == 14:  # 3-source
        op = rnd.choice([(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (5, 0), (5, 1), (6, 0)]) if sf else rnd.choice([(0, 0), (0, 1)])
        return sf << 31 | 0b0011011 << 24 | op[0] << 21 | r() << 16 | op[1] << 15 | r() << 10 | r() << 5 | r()
    if k == 15:  # rmif
        return 0b10111010000 << 21 | b(6) << 15 | 0b00001 << 10 | r() << 5 | b(4)
    if k == 16:  # setf8/16
        return 0b00111010000 << 21 | b(1) << 14 | 0b0010 << 10 | r() << 5 | 0b01101
    if k == 17:  # cfinv/xaflag/axflag
        return 0xd500401f | rnd.randrange(3) << 5
    if k == 18:  # more conditional compares (ADR/ADRP would depend on the pc)
        return sf << 31 | b(1) << 30 | 1 << 29 | 0b11010010 << 21 | b(5) << 16 | b(4) << 12 | b(1) << 11 | r() << 5 | b(4)
    # more flag-setting arithmetic, the riskiest part
    if k == 19:
        w = 64 if sf else 32
        return sf << 31 | b(1) << 30 | 1 << 29 | 0b01011 << 24 | rnd.randrange(3) << 22 | r() << 16 | rnd.randrange(w) << 10 | r() << 5 | r()
    if k == 20:
        return sf << 31 | b(1) << 30 | 1 << 29 | 0b11010000 << 21 | r() << 16 | r() << 5 | r()
    return sf << 31 | b(1) << 30 | 1 << 29 | 0b100010 << 23 | b(1) << 22 | b(12) << 10 | r(False) << 5 | r()

SPECIAL = [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
           0x8000000000000000, 0xffffffffffffffff, 0xffffffff80000000, 0x00000000ffff0000]

def val():
    x = rnd.random()
    if x < 0.35:
        return rnd.choice(SPECIAL)
    if x < 0.5:
        return b(8)
    if x < 0.6:
        return (1 << 64) - b(8) - 1
    return b(64)

d = tempfile.mkdtemp()
words = []
while len(words) < count * 2:
    words.append(gen())
# Drop what the assembler's disassembler calls undefined.
with open(d + "/w.s", "w") as f:
    f.write(".text\n" + "".join(f".inst {w:#x}\n" for w in words))
subprocess.run(["aarch64-linux-gnu-as", "-march=armv8.5-a+crc+flagm", "-o", d + "/w.o", d + "/w.s"], check=True)
dis = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "-M", "no-aliases", d + "/w.o"], capture_output=True, text=True, check=True).stdout
ok = {}
for line in dis.splitlines():
    p = line.split("\t")
    if len(p) >= 3 and p[0].strip().endswith(":"):
        w = int(p[1].strip(), 16)
        text = " ".join(p[2:]).strip()
        if "undefined" not in text and ".inst" not in text:
            ok[w] = text
words = [w for w in dict.fromkeys(words) if w in ok][:count]

cases = []
for w in words:
    regs = [val() for _ in range(8)]
    cases.append((w, regs, rnd.randrange(16)))

BLK = 160
asm = [".text", ".global _start", "_start:"]
for i, (w, regs, nzcv) in enumerate(cases):
    asm += [f"adrp x9, blk+{i*BLK}", f"add x9, x9, :lo12:blk+{i*BLK}", "mov sp, x9",
            "ldr x9, [sp, #64]", "msr nzcv, x9",
            "ldp x0, x1, [sp]", "ldp x2, x3, [sp, #16]", "ldp x4, x5, [sp, #32]", "ldp x6, x7, [sp, #48]",
            f".inst {w:#x}",
            "stp x0, x1, [sp, #80]", "stp x2, x3, [sp, #96]", "stp x4, x5, [sp, #112]", "stp x6, x7, [sp, #128]",
            "mrs x9, nzcv", "str x9, [sp, #144]"]
asm += ["mov x0, #1", "adrp x1, blk", "add x1, x1, :lo12:blk", f"ldr x2, ={len(cases)*BLK}",
        "mov x8, #64", "svc #0", "mov x0, #0", "mov x8, #93", "svc #0", ".ltorg", ".data", ".balign 16", "blk:"]
for w, regs, nzcv in cases:
    asm.append(".quad " + ", ".join(hex(v) for v in regs) + f", {nzcv << 28:#x}, 0" + ", 0" * 10)
with open(d + "/t.s", "w") as f:
    f.write("\n".join(asm) + "\n")
subprocess.run(["aarch64-linux-gnu-as", "-march=armv8.5-a+crc+flagm", "-o", d + "/t.o", d + "/t.s"], check=True)
subprocess.run(["aarch64-linux-gnu-ld", "-static", "-o", d + "/t", d + "/t.o"], check=True)
out = subprocess.run(["qemu-aarch64", "-cpu", "max", d + "/t"], capture_output=True, check=True).stdout
assert len(out) == len(cases) * BLK, len(out)
print("# word in:x0..x7 nzcv -> out:x0..x7 nzcv   (generated by gen_dp.py; oracle: qemu-aarch64 -cpu max)")
for i, (w, regs, nzcv) in enumerate(cases):
    q = struct.unpack_from("<20Q", out, i * BLK)
    res = q[10:18]
    onz = q[18] >> 28
    print(f"{w:08x} " + " ".join(f"{v:x}" for v in regs) + f" {nzcv:x} " + " ".join(f"{v:x}" for v in res) + f" {onz:x}  # {ok[w]}")
