// System registers EL0 may touch: TPIDR_EL0 (read/write), TPIDRRO_EL0
// (reads 0 under Linux), NZCV via MRS/MSR, FPCR (rounding mode, FZ, DN
// bits read back and acting on arithmetic), FPSR cumulative flags,
// CNTVCT_EL0 monotonic, CNTFRQ_EL0 non-zero, DCZID_EL0, and the ID
// registers Linux emulates for EL0 (MIDR_EL1, ID_AA64PFR0_EL1).
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!

        mrs     x1, tpidr_el0
        SHOW    "tpidr_el0 initial", x1
        ldr     x2, =0x123456789abcdef0
        msr     tpidr_el0, x2
        mrs     x1, tpidr_el0
        SHOW    "tpidr_el0 written", x1
        mrs     x1, tpidrro_el0
        SHOW    "tpidrro_el0", x1

        // NZCV
        mov     x1, #0
        cmp     x1, #1                  // N, borrow -> C clear
        mrs     x2, nzcv
        SHOW    "nzcv after cmp 0,1", x2
        mov     x3, #0x60000000         // Z and C
        msr     nzcv, x3
        mov     x4, #0
        b.ne    1f
        b.cc    1f
        mov     x4, #1
1:      SHOW    "msr nzcv Z|C honoured", x4
        mrs     x2, nzcv
        SHOW    "nzcv read back", x2

        // FPCR: default is 0 for a new process
        mrs     x1, fpcr
        SHOW    "fpcr initial", x1
        // 1/3 in each rounding mode (RMode bits 23:22)
        fmov    d1, #1.0
        fmov    d2, #3.0
        mov     x5, #0
2:      lsl     x6, x5, #22
        msr     fpcr, x6
        mrs     x7, fpcr
        fdiv    d3, d1, d2
        fneg    d4, d1
        fdiv    d4, d4, d2
        fmov    x8, d3
        fmov    x9, d4
        SHOW    "fpcr", x7
        SHOW    "  1/3", x8
        SHOW    "  -1/3", x9
        add     x5, x5, #1
        cmp     x5, #4
        b.ne    2b
        msr     fpcr, xzr

        // FPCR.FZ (bit 24): subnormal results flush to zero
        ldr     x1, =0x0010000000000000 // DBL_MIN
        fmov    d1, x1
        fmov    d2, #0.5
        fmul    d3, d1, d2
        fmov    x3, d3
        SHOW    "DBL_MIN*0.5", x3
        mov     x6, #(1 << 24)
        msr     fpcr, x6
        fmul    d3, d1, d2
        fmov    x3, d3
        SHOW    "DBL_MIN*0.5 with FZ", x3
        // FPCR.DN (bit 25): NaN results are the default NaN
        ldr     x1, =0x7ff8000000000123
        fmov    d1, x1
        fmov    d2, #1.0
        msr     fpcr, xzr
        fadd    d3, d1, d2
        fmov    x3, d3
        SHOW    "qnan payload propagated", x3
        mov     x6, #(1 << 25)
        msr     fpcr, x6
        fadd    d3, d1, d2
        fmov    x3, d3
        SHOW    "qnan with DN", x3
        msr     fpcr, xzr

        // FPSR cumulative flags: IOC 0, DZC 1, OFC 2, UFC 3, IXC 4
        msr     fpsr, xzr
        fmov    d1, #1.0
        movi    d2, #0
        fdiv    d3, d1, d2
        mrs     x1, fpsr
        SHOW    "fpsr after 1/0", x1
        msr     fpsr, xzr
        fsub    d3, d2, d2
        fdiv    d3, d2, d2
        mrs     x1, fpsr
        SHOW    "fpsr after 0/0", x1
        msr     fpsr, xzr
        fmov    d2, #3.0
        fdiv    d3, d1, d2
        mrs     x1, fpsr
        SHOW    "fpsr after 1/3", x1
        ldr     x2, =0x7fefffffffffffff
        fmov    d2, x2
        fadd    d3, d2, d2
        mrs     x1, fpsr
        SHOW    "fpsr after overflow (cumulative)", x1
        msr     fpsr, xzr
        mrs     x1, fpsr
        SHOW    "fpsr cleared", x1

        // generic timer
        mrs     x1, cntfrq_el0
        cmp     x1, #0
        cset    x2, ne
        SHOW    "cntfrq nonzero", x2
        mrs     x10, cntvct_el0
        mov     x11, #1
        mov     x12, #20000
3:      isb
        mrs     x13, cntvct_el0
        cmp     x13, x10
        csel    x11, xzr, x11, lo
        mov     x10, x13
        subs    x12, x12, #1
        b.ne    3b
        SHOW    "cntvct monotonic", x11

        // DCZID_EL0: DZP (bit 4) clear, BS gives a block of 16..2048 bytes
        mrs     x1, dczid_el0
        ubfx    x2, x1, #4, #1
        SHOW    "dczid DZP", x2
        and     x3, x1, #15
        cmp     x3, #2
        cset    x4, ge
        cmp     x3, #9
        cset    x5, le
        and     x4, x4, x5
        SHOW    "dczid BS in range", x4

        // ID registers emulated by the kernel for EL0
        mrs     x1, midr_el1
        SHOW    "mrs midr_el1 did not trap", xzr
        mrs     x1, id_aa64pfr0_el1
        and     x2, x1, #0xf            // EL0 field: 1 or 2
        cmp     x2, #0
        cset    x3, ne
        SHOW    "id_aa64pfr0 EL0 implemented", x3
        mrs     x1, id_aa64isar0_el1
        SHOW    "mrs id_aa64isar0_el1 did not trap", xzr

        ldp     x29, x30, [sp], #16
        ret
        .ltorg
