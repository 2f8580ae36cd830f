// Load/store addressing modes: unsigned offset, unscaled (LDUR), pre- and
// post-index, register offset with LSL/UXTW/SXTW extension, pairs (LDP,
// LDPSW, STP pre/post), sign-extending loads into w and x, literal loads,
// non-temporal pairs, unaligned accesses, PRFM, and a store/load of every
// size at every alignment in a 16-byte window.
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        adrp    x19, mem
        add     x19, x19, :lo12:mem      // 0x80, 0x81, ... (64 bytes)

        ldr     x1, [x19, #8]
        SHOW    "ldr [x,#8]", x1
        ldur    x1, [x19, #3]
        SHOW    "ldur [x,#3]", x1
        add     x2, x19, #32
        ldur    w1, [x2, #-5]
        SHOW    "ldur w [x,#-5]", x1
        ldrsb   x1, [x19]
        SHOW    "ldrsb x", x1
        ldrsb   w1, [x19]
        SHOW    "ldrsb w", x1
        ldrsh   x1, [x19, #2]
        SHOW    "ldrsh x", x1
        ldrsh   w1, [x19, #2]
        SHOW    "ldrsh w", x1
        ldrsw   x1, [x19, #4]
        SHOW    "ldrsw", x1
        ldrb    w1, [x19, #63]
        SHOW    "ldrb", x1
        ldrh    w1, [x19, #62]
        SHOW    "ldrh", x1

        // pre/post index
        mov     x2, x19
        ldr     x1, [x2, #16]!
        sub     x3, x2, x19
        SHOW    "pre-index value", x1
        SHOW    "pre-index base", x3
        ldr     w1, [x2], #-12
        sub     x3, x2, x19
        SHOW    "post-index value", x1
        SHOW    "post-index base", x3
        ldrb    w1, [x2, #1]!
        SHOW    "ldrb pre", x1

        // register offsets
        mov     x4, #3
        ldr     x1, [x19, x4, lsl #3]
        SHOW    "ldr [x,x,lsl#3]", x1
        mov     w4, #-2
        add     x2, x19, #32
        ldrh    w1, [x2, w4, sxtw #1]
        SHOW    "ldrh [x,w,sxtw#1]", x1
        mov     w4, #5
        ldr     w1, [x19, w4, uxtw #2]
        SHOW    "ldr w [x,w,uxtw#2]", x1
        mov     x4, #-1
        ldrsb   x1, [x2, x4]
        SHOW    "ldrsb [x,x]", x1

        // pairs
        ldp     x1, x3, [x19, #16]
        SHOW    "ldp x lo", x1
        SHOW    "ldp x hi", x3
        ldp     w1, w3, [x19, #-0]
        SHOW    "ldp w lo", x1
        ldpsw   x1, x3, [x19]
        SHOW    "ldpsw lo", x1
        SHOW    "ldpsw hi", x3
        ldnp    q1, q2, [x19]
        SHOWV   "ldnp q1", 1
        SHOWV   "ldnp q2", 2
        ldp     d1, d2, [x19, #8]
        SHOWV   "ldp d1 (upper cleared)", 1

        // stores into a scratch area, then read back
        adrp    x20, scratch
        add     x20, x20, :lo12:scratch
        mov     x21, x20
        ldr     x1, =0x1122334455667788
        ldr     x3, =0x99aabbccddeeff00
        stp     x1, x3, [x21, #16]!
        stp     w3, w1, [x21], #8
        str     x1, [x21, #8]!
        strh    w3, [x21, #-3]
        stur    w1, [x21, #-9]
        stnp    x3, x1, [x20, #48]
        str     q1, [x20, #64]
        strb    w1, [x20, #80]
        sub     x4, x21, x20
        SHOW    "store base moved", x4
        mov     x4, #0
1:      ldr     x1, [x20, x4]
        SHOW    "scratch", x1
        add     x4, x4, #8
        cmp     x4, #88
        b.ne    1b

        // literal pool loads, prefetch hints
        ldr     x1, lit64
        SHOW    "ldr literal", x1
        ldrsw   x1, lit32
        SHOW    "ldrsw literal", x1
        ldr     s1, lit32
        fmov    w1, s1
        SHOW    "ldr s literal", x1
        prfm    pldl1keep, [x19]
        prfm    pstl2strm, [x19, #64]
        prfum   pldl3keep, [x19, #-7]
        prfm    pldl1keep, lit64

        // every size at every alignment in a 16-byte window
        mov     x5, #0                  // checksum
        mov     x6, #0                  // offset
2:      add     x7, x20, #96
        add     x7, x7, x6
        ldr     x1, =0x0102030405060708
        str     xzr, [x20, #96]
        str     xzr, [x20, #104]
        str     xzr, [x20, #112]
        str     x1, [x7]
        ldr     x2, [x7]
        eor     x5, x5, x2
        ldur    w2, [x7, #1]
        add     x5, x5, x2
        ldrh    w2, [x7, #3]
        add     x5, x5, x2, lsl #7
        ldp     x2, x3, [x20, #96]
        eor     x5, x5, x2, ror #13
        eor     x5, x5, x3
        ror     x5, x5, #7
        add     x6, x6, #1
        cmp     x6, #16
        b.ne    2b
        SHOW    "unaligned checksum", x5

        ldp     x29, x30, [sp], #16
        ret
        .balign 8
lit64:  .quad   0xfedcba9876543210
lit32:  .word   0x80000001
        .ltorg

        .data
        .balign 64
mem:
        .irp i, 0x80,0x81,0x82,0x83,0x84,0x85,0x86,0x87,0x88,0x89,0x8a,0x8b,0x8c,0x8d,0x8e,0x8f
        .byte   \i, \i - 0x70, \i ^ 0xff, \i + 0x20
        .endr
        .bss
        .balign 64
scratch: .space 128
