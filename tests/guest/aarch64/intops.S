// Integer instructions whose corner cases C cannot express portably:
// division by zero, INT_MIN / -1, high multiplies, flag-setting arithmetic
// with carries, conditional select/compare, bit-field and bit-reverse ops,
// extended-register operands, variable shifts by >= width.
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!

        mov     x1, #1234
        mov     x2, #0
        sdiv    x3, x1, x2
        SHOW    "sdiv x by 0", x3
        udiv    w3, w1, w2
        SHOW    "udiv w by 0", x3
        mov     x1, #0x8000000000000000
        mov     x2, #-1
        sdiv    x3, x1, x2
        SHOW    "sdiv INT64_MIN/-1", x3
        mov     w1, #0x80000000
        mov     w2, #-1
        sdiv    w3, w1, w2
        SHOW    "sdiv INT32_MIN/-1", x3
        mov     x1, #-7
        mov     x2, #2
        sdiv    x3, x1, x2
        SHOW    "sdiv -7/2", x3
        udiv    x3, x1, x2
        SHOW    "udiv -7/2", x3

        ldr     x1, =0xfedcba9876543210
        ldr     x2, =0x0123456789abcdef
        umulh   x3, x1, x2
        SHOW    "umulh", x3
        smulh   x3, x1, x2
        SHOW    "smulh", x3
        madd    x3, x1, x2, x1
        SHOW    "madd", x3
        msub    x3, x1, x2, x1
        SHOW    "msub", x3
        smaddl  x3, w1, w2, x2
        SHOW    "smaddl", x3
        umsubl  x3, w1, w2, x2
        SHOW    "umsubl", x3
        mneg    w3, w1, w2
        SHOW    "mneg w", x3

        // flags
        mov     x1, #0x7fffffffffffffff
        adds    x3, x1, #1
        SHOWFLAGS "adds max+1"
        mov     x1, #-1
        adds    x3, x1, #1
        SHOWFLAGS "adds -1+1"
        mov     x5, #1
        negs    x3, x5
        SHOWFLAGS "negs 1"
        mov     w1, #0x80000000
        subs    w3, w1, #1
        SHOWFLAGS "subs w min-1"
        cmn     w1, w1
        SHOWFLAGS "cmn w min,min"
        // 128-bit add with carry chain: (2^64-1, 1) + (1, 2)
        mov     x1, #-1
        mov     x2, #1
        mov     x4, #1
        mov     x5, #2
        adds    x6, x1, x4
        adcs    x7, x2, x5
        SHOW    "adds lo", x6
        SHOW    "adcs hi", x7
        SHOWFLAGS "after adcs"
        // 128-bit subtract with borrow: (0, 5) - (1, 2)
        mov     x1, #0
        mov     x2, #5
        subs    x6, x1, x4
        sbcs    x7, x2, x5
        SHOW    "subs lo", x6
        SHOW    "sbcs hi", x7
        SHOWFLAGS "after sbcs"
        ngcs    x7, x2
        SHOW    "ngcs", x7
        adc     w7, wzr, wzr
        SHOW    "adc carry", x7
        mov     w1, #0xffffffff
        adds    w3, w1, w1
        SHOWFLAGS "adds w ff+ff"
        SHOW    "adds w result", x3
        tst     x1, #0x80000000
        SHOWFLAGS "tst"
        ands    x3, x1, #0xff00
        SHOWFLAGS "ands"
        bics    x3, x1, x1
        SHOWFLAGS "bics"

        // conditional select / compare
        mov     x1, #10
        mov     x2, #20
        cmp     x1, x2
        csel    x3, x1, x2, lt
        SHOW    "csel lt", x3
        csinc   x3, x1, x2, ge
        SHOW    "csinc ge", x3
        csinv   x3, x1, x2, ge
        SHOW    "csinv ge", x3
        csneg   x3, x1, x2, ge
        SHOW    "csneg ge", x3
        cset    x3, ne
        SHOW    "cset ne", x3
        csetm   w3, hi
        SHOW    "csetm hi", x3
        cinc    x3, x1, lo
        SHOW    "cinc lo", x3
        ccmp    x1, #10, #0b0100, eq        // eq false -> flags = nZcv
        SHOWFLAGS "ccmp not taken"
        cmp     x1, #10
        ccmp    x2, #20, #0, eq             // taken: compares 20,20
        SHOWFLAGS "ccmp taken"
        ccmn    x2, #20, #0b1000, ne        // ne false -> N
        SHOWFLAGS "ccmn not taken"

        // bit manipulation
        ldr     x1, =0x00f0000000000013
        rbit    x3, x1
        SHOW    "rbit", x3
        rev     x3, x1
        SHOW    "rev", x3
        rev16   x3, x1
        SHOW    "rev16", x3
        rev32   x3, x1
        SHOW    "rev32", x3
        rev     w3, w1
        SHOW    "rev w", x3
        clz     x3, x1
        SHOW    "clz", x3
        clz     w3, wzr
        SHOW    "clz w 0", x3
        cls     x3, x1
        SHOW    "cls", x3
        mov     x4, #-2
        cls     x3, x4
        SHOW    "cls -2", x3
        extr    x3, x1, x4, #12
        SHOW    "extr", x3
        ror     x3, x1, #60
        SHOW    "ror imm", x3
        ubfx    x3, x1, #52, #8
        SHOW    "ubfx", x3
        sbfx    x3, x1, #1, #2
        SHOW    "sbfx", x3
        mov     x3, #-1
        bfi     x3, x1, #8, #16
        SHOW    "bfi", x3
        mov     x3, #0
        bfxil   x3, x1, #52, #12
        SHOW    "bfxil", x3
        sbfiz   x3, x4, #4, #3
        SHOW    "sbfiz", x3
        ubfiz   w3, w4, #28, #4
        SHOW    "ubfiz w", x3
        sxtb    x3, w1
        SHOW    "sxtb", x3
        sxth    w3, w4
        SHOW    "sxth w", x3
        uxth    w3, w4
        SHOW    "uxth", x3

        // variable shifts use the amount modulo the width
        mov     x2, #65
        lsl     x3, x1, x2
        SHOW    "lsl 65", x3
        mov     w2, #33
        lsr     w3, w1, w2
        SHOW    "lsr w 33", x3
        mov     x2, #127
        asr     x3, x4, x2
        SHOW    "asr 127", x3
        mov     x2, #68
        ror     x3, x1, x2
        SHOW    "ror 68", x3

        // extended and shifted register operands
        mov     x1, #1000
        mov     x2, #-1
        add     x3, x1, w2, sxtw
        SHOW    "add sxtw", x3
        add     x3, x1, w2, uxtw
        SHOW    "add uxtw", x3
        add     x3, x1, w2, uxtb #2
        SHOW    "add uxtb #2", x3
        sub     x3, x1, w2, sxth #4
        SHOW    "sub sxth #4", x3
        add     x3, x1, x2, asr #60
        SHOW    "add asr", x3
        eon     x3, x1, x2, lsr #32
        SHOW    "eon lsr", x3
        orn     w3, w1, w2, ror #4
        SHOW    "orn w ror", x3
        mov     x5, sp
        add     x3, sp, #0
        sub     x3, x3, x5
        SHOW    "sp arithmetic", x3

        // wide immediates and logical immediates
        movz    x3, #0xbeef, lsl #48
        movk    x3, #0xcafe, lsl #16
        SHOW    "movz/movk", x3
        movn    x3, #0x1234, lsl #16
        SHOW    "movn", x3
        movn    w3, #0
        SHOW    "movn w", x3
        mov     x3, #0x5555555555555555
        SHOW    "mov bitmask", x3
        and     x3, x3, #0x00ff00ff00ff00ff
        SHOW    "and bitmask", x3
        eor     w3, w3, #0xfffffffe
        SHOW    "eor w bitmask", x3

        // adr / adrp
        adr     x3, main
        adrp    x4, main
        add     x4, x4, :lo12:main
        sub     x3, x3, x4
        SHOW    "adr-adrp", x3

        // tbz / tbnz / cbz / cbnz
        mov     x1, #0x100000000
        mov     x3, #0
        tbz     x1, #32, 1f
        add     x3, x3, #1
1:      tbnz    x1, #31, 2f
        add     x3, x3, #2
2:      cbz     w1, 3f
        add     x3, x3, #4
3:      cbnz    x1, 4f
        add     x3, x3, #8
4:      SHOW    "branches", x3

        ldp     x29, x30, [sp], #16
        ret
        .ltorg
