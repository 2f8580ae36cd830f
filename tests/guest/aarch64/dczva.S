// DC ZVA zeroes one naturally aligned block of the size DCZID_EL0 gives,
// even when the address is not aligned; bytes outside stay untouched.
// Only facts that hold for every block size are printed.
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        mrs     x1, dczid_el0
        and     x1, x1, #15
        mov     x20, #4
        lsl     x20, x20, x1            // block size in bytes
        adrp    x19, buf
        add     x19, x19, :lo12:buf     // 4096-aligned, 8 KiB

        .macro  FILL
        mov     x2, #0
        mov     w3, #0xff
9:      strb    w3, [x19, x2]
        add     x2, x2, #1
        cmp     x2, #8192
        b.ne    9b
        .endm

        // count zero bytes, the first zero's offset and the last zero's
        // offset + 1 into x5, x6, x7
        .macro  SCAN
        mov     x2, #0
        mov     x5, #0
        mov     x6, #-1
        mov     x7, #0
9:      ldrb    w3, [x19, x2]
        cbnz    w3, 8f
        add     x5, x5, #1
        cmn     x6, #1
        csel    x6, x2, x6, eq
        add     x7, x2, #1
8:      add     x2, x2, #1
        cmp     x2, #8192
        b.ne    9b
        .endm

        // aligned: zero the block at offset 2048
        FILL
        add     x1, x19, #2048
        dc      zva, x1
        SCAN
        cmp     x5, x20
        cset    x8, eq
        SHOW    "aligned: zeroed == block size", x8
        cmp     x6, #2048
        cset    x8, eq
        SHOW    "aligned: first zero at address", x8
        sub     x9, x7, x6
        cmp     x9, x20
        cset    x8, eq
        SHOW    "aligned: contiguous", x8

        // unaligned: address 2048 + block - 1 zeroes the block containing it
        FILL
        add     x1, x19, #2048
        add     x1, x1, x20
        sub     x1, x1, #1
        dc      zva, x1
        SCAN
        cmp     x5, x20
        cset    x8, eq
        SHOW    "unaligned: zeroed == block size", x8
        cmp     x6, #2048
        cset    x8, eq
        SHOW    "unaligned: block aligned down", x8

        // a loop of DC ZVA clearing 4 KiB, as memset(0) does
        FILL
        mov     x1, x19
        add     x2, x19, #4096
1:      dc      zva, x1
        add     x1, x1, x20
        cmp     x1, x2
        b.lo    1b
        SCAN
        SHOW    "loop: zero bytes", x5
        SHOW    "loop: first", x6
        SHOW    "loop: end", x7

        ldp     x29, x30, [sp], #16
        ret

        .bss
        .balign 4096
buf:    .space  8192
