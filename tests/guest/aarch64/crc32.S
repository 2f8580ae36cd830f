// CRC32 and CRC32C instructions (ARMv8.0 optional, mandatory from 8.1):
// the check value of "123456789" byte by byte, and a 64-byte buffer
// processed with the b, h, w and x forms, which must agree.
#include "lib/rt.h"
        .arch   armv8-a+crc

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        adrp    x19, check
        add     x19, x19, :lo12:check

        // byte at a time, CRC-32 (poly 0x04c11db7 reflected) and CRC-32C
        mov     w1, #-1
        mov     w2, #-1
        mov     x3, #0
1:      ldrb    w4, [x19, x3]
        crc32b  w1, w1, w4
        crc32cb w2, w2, w4
        add     x3, x3, #1
        cmp     x3, #9
        b.ne    1b
        mvn     w1, w1
        mvn     w2, w2
        SHOW    "crc32(123456789)", x1
        SHOW    "crc32c(123456789)", x2

        // buffer of 64 bytes: i * 37 + 11
        adrp    x20, buf
        add     x20, x20, :lo12:buf
        mov     x3, #0
2:      mov     w4, #37
        mul     w4, w3, w4
        add     w4, w4, #11
        strb    w4, [x20, x3]
        add     x3, x3, #1
        cmp     x3, #64
        b.ne    2b

        .macro  CRCLOOP insn, cinsn, ld, step, reg
        mov     w1, #-1
        mov     w2, #-1
        mov     x3, #0
3:      \ld     \reg\()4, [x20, x3]
        \insn   w1, w1, \reg\()4
        \cinsn  w2, w2, \reg\()4
        add     x3, x3, #\step
        cmp     x3, #64
        b.ne    3b
        mvn     w1, w1
        mvn     w2, w2
        .endm

        CRCLOOP crc32b, crc32cb, ldrb, 1, w
        SHOW    "crc32b buf", x1
        SHOW    "crc32cb buf", x2
        CRCLOOP crc32h, crc32ch, ldrh, 2, w
        SHOW    "crc32h buf", x1
        SHOW    "crc32ch buf", x2
        CRCLOOP crc32w, crc32cw, ldr, 4, w
        SHOW    "crc32w buf", x1
        SHOW    "crc32cw buf", x2
        CRCLOOP crc32x, crc32cx, ldr, 8, x
        SHOW    "crc32x buf", x1
        SHOW    "crc32cx buf", x2

        // the upper bits of the w accumulator source are ignored; result is 32-bit
        mov     x1, #0xffffffff00000000
        mov     x4, #0x12
        crc32b  w5, w1, w4
        SHOW    "crc32b from 0", x5

        ldp     x29, x30, [sp], #16
        ret

        .section .rodata
check:  .ascii  "123456789"
        .bss
        .balign 16
buf:    .space  64
