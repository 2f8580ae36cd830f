// Exclusive load/store: LDXR/STXR increment loops in every size,
// acquire/release forms, LDXP/STXP pairs, CLREX making the next store
// exclusive fail, LDAR/STLR and LDAXR/STLXR.
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        adrp    x19, data
        add     x19, x19, :lo12:data

        // 1000 increments of a 64-bit counter, counting failed stores
        mov     x20, #1000
        mov     x21, #0                 // failures
1:      ldxr    x1, [x19]
        add     x1, x1, #3
        stxr    w2, x1, [x19]
        add     x21, x21, x2
        cbnz    w2, 1b
        subs    x20, x20, #1
        b.ne    1b
        ldr     x1, [x19]
        SHOW    "ldxr/stxr x counter", x1
        cmp     x21, #100               // a handful of spurious failures is allowed
        cset    x21, lo
        SHOW    "few failures", x21

        // 32-bit, 16-bit and 8-bit, with acquire/release
        add     x23, x19, #8
        add     x24, x19, #12
        add     x25, x19, #14
        mov     x20, #300
2:      ldaxr   w1, [x23]
        add     w1, w1, #1
        stlxr   w2, w1, [x23]
        cbnz    w2, 2b
3:      ldaxrh  w1, [x24]
        add     w1, w1, #7
        stxrh   w2, w1, [x24]
        cbnz    w2, 3b
4:      ldxrb   w1, [x25]
        add     w1, w1, #1
        stlxrb  w2, w1, [x25]
        cbnz    w2, 4b
        subs    x20, x20, #1
        b.ne    2b
        ldr     w1, [x19, #8]
        SHOW    "w counter", x1
        ldrh    w1, [x19, #12]
        SHOW    "h counter (wraps)", x1
        ldrb    w1, [x19, #14]
        SHOW    "b counter (wraps)", x1
        ldrb    w1, [x19, #15]
        SHOW    "neighbour byte untouched", x1

        // pair exclusive: swap two 64-bit words atomically
        add     x22, x19, #16
5:      ldxp    x1, x2, [x22]
        stxp    w3, x2, x1, [x22]
        cbnz    w3, 5b
        ldp     x1, x2, [x22]
        SHOW    "ldxp/stxp lo", x1
        SHOW    "ldxp/stxp hi", x2
6:      ldaxp   w1, w2, [x22]
        add     w1, w1, #1
        stlxp   w3, w1, w2, [x22]
        cbnz    w3, 6b
        ldr     x1, [x22]
        SHOW    "ldaxp/stlxp w", x1

        // CLREX: the monitor is open, so the store-exclusive must fail and
        // leave memory unchanged
        ldxr    x1, [x19]
        clrex
        mov     x4, #0x5555
        stxr    w2, x4, [x19]
        SHOW    "stxr after clrex status", x2
        ldr     x1, [x19]
        SHOW    "memory after failed stxr", x1
        // a store-exclusive with no load-exclusive at all also fails
        mov     x4, #0x6666
        add     x26, x19, #32
        stxr    w2, x4, [x26]
        SHOW    "stxr without ldxr status", x2

        // load-acquire / store-release, including the RCpc-free forms
        add     x26, x19, #40
        mov     x1, #0x1234
        stlr    x1, [x26]
        ldar    x2, [x26]
        SHOW    "stlr/ldar", x2
        mov     w1, #0xab
        add     x26, x19, #48
        stlrb   w1, [x26]
        ldarb   w2, [x26]
        SHOW    "stlrb/ldarb", x2
        mov     w1, #0xbeef
        add     x26, x19, #50
        stlrh   w1, [x26]
        ldarh   w2, [x26]
        SHOW    "stlrh/ldarh", x2
        dmb     ish
        dsb     sy
        isb

        ldp     x29, x30, [sp], #16
        ret

        .data
        .balign 64
data:
        .quad   100                     // 0: x counter
        .word   5                       // 8: w counter
        .hword  0xfff0                  // 12: h counter
        .byte   0xf0                    // 14: b counter
        .byte   0x77                    // 15: neighbour
        .quad   0x1111111111111111      // 16: pair lo
        .quad   0x2222222222222222      // 24: pair hi
        .quad   0                       // 32
        .quad   0                       // 40
        .quad   0                       // 48
        .quad   0
