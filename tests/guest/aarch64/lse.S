// ARMv8.1 LSE atomics: every LD<op> in 8/16/32/64-bit with each ordering
// suffix, ST<op> aliases, SWP, CAS (success and failure), CASP.
// Each line shows the old value returned and the memory afterwards.
#include "lib/rt.h"
        .arch   armv8.1-a

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        adrp    x19, cell
        add     x19, x19, :lo12:cell

// OPX insn, init, operand: 64-bit
        .macro  OPX insn, init, operand
        ldr     x1, =\init
        str     x1, [x19]
        ldr     x2, =\operand
        \insn   x2, x3, [x19]
        ldr     x4, [x19]
        SHOW    "\insn old", x3
        SHOW    "\insn mem", x4
        .endm
        .macro  OPW insn, init, operand
        ldr     x1, =0xaaaaaaaaaaaaaaaa
        str     x1, [x19]
        ldr     w1, =\init
        str     w1, [x19]
        ldr     w2, =\operand
        \insn   w2, w3, [x19]
        ldr     x4, [x19]
        SHOW    "\insn old", x3
        SHOW    "\insn mem", x4
        .endm
        .macro  OPH insn, init, operand
        ldr     x1, =0xaaaaaaaaaaaaaaaa
        str     x1, [x19]
        ldr     w1, =\init
        strh    w1, [x19]
        ldr     w2, =\operand
        \insn   w2, w3, [x19]
        ldr     x4, [x19]
        SHOW    "\insn old", x3
        SHOW    "\insn mem", x4
        .endm
        .macro  OPB insn, init, operand
        ldr     x1, =0xaaaaaaaaaaaaaaaa
        str     x1, [x19]
        ldr     w1, =\init
        strb    w1, [x19]
        ldr     w2, =\operand
        \insn   w2, w3, [x19]
        ldr     x4, [x19]
        SHOW    "\insn old", x3
        SHOW    "\insn mem", x4
        .endm

        OPX     ldadd, 0x7ffffffffffffff0, 0x20
        OPX     ldadda, 1, -1
        OPX     ldaddal, 0x1234, 0x1111
        OPX     ldaddl, 5, 6
        OPX     ldclr, 0xffff0000ffff0000, 0x0ff00ff00ff00ff0
        OPX     ldeor, 0xffff0000ffff0000, 0x0ff00ff00ff00ff0
        OPX     ldset, 0xffff0000ffff0000, 0x0ff00ff00ff00ff0
        OPX     ldsmax, -5, 3
        OPX     ldsmin, -5, 3
        OPX     ldumax, -5, 3
        OPX     ldumin, -5, 3
        OPX     swp, 0x1111, 0x2222
        OPX     swpal, 0x3333, 0x4444
        OPW     ldadd, 0xfffffff0, 0x20
        OPW     ldsmax, 0x80000000, 0x7fffffff
        OPW     ldsminl, 0x80000000, 0x7fffffff
        OPW     lduminal, 0x80000000, 0x7fffffff
        OPW     ldclra, 0xffffffff, 0x0000ffff
        OPW     swpa, 0x12345678, 0x9abcdef0
        OPH     ldaddh, 0xfff0, 0x20
        OPH     ldsmaxh, 0x8000, 0x7fff
        OPH     ldsminh, 0x8000, 0x7fff
        OPH     ldumaxalh, 0x8000, 0x7fff
        OPH     ldeorlh, 0xf0f0, 0xffff
        OPH     swph, 0xbeef, 0xcafe
        OPB     ldaddb, 0xf0, 0x20
        OPB     ldsmaxb, 0x80, 0x7f
        OPB     ldsminab, 0x80, 0x7f
        OPB     lduminb, 0x80, 0x7f
        OPB     ldsetlb, 0x0f, 0xf0
        OPB     swpalb, 0x11, 0x22

        // ST<op>: no result register
        mov     x1, #100
        str     x1, [x19]
        mov     x2, #23
        stadd   x2, [x19]
        mov     w2, #0x40
        stset   w2, [x19]
        ldr     x4, [x19]
        SHOW    "stadd+stset mem", x4

        // CAS: success then failure
        mov     x1, #77
        str     x1, [x19]
        mov     x5, #77                 // expected
        mov     x6, #88                 // new
        casal   x5, x6, [x19]
        ldr     x4, [x19]
        SHOW    "cas success old", x5
        SHOW    "cas success mem", x4
        mov     x5, #77
        mov     x6, #99
        cas     x5, x6, [x19]
        ldr     x4, [x19]
        SHOW    "cas failure old", x5
        SHOW    "cas failure mem", x4
        mov     w5, #88
        mov     w6, #0x55
        casab   w5, w6, [x19]
        ldr     x4, [x19]
        SHOW    "casab old", x5
        SHOW    "casab mem", x4
        mov     w5, #0x55
        mov     w6, #0xabcd
        caslh   w5, w6, [x19]
        ldr     x4, [x19]
        SHOW    "caslh old", x5
        SHOW    "caslh mem", x4

        // CASP: 128-bit compare and swap of a pair
        add     x20, x19, #16
        ldr     x1, =0x1111111111111111
        ldr     x2, =0x2222222222222222
        stp     x1, x2, [x20]
        mov     x6, x1                  // expected pair x6:x7
        mov     x7, x2
        ldr     x8, =0x3333333333333333 // new pair x8:x9
        ldr     x9, =0x4444444444444444
        caspal  x6, x7, x8, x9, [x20]
        ldp     x1, x2, [x20]
        SHOW    "casp success old lo", x6
        SHOW    "casp success mem lo", x1
        SHOW    "casp success mem hi", x2
        mov     x6, #0
        mov     x7, #0
        casp    x6, x7, x8, x9, [x20]
        SHOW    "casp failure old lo", x6
        SHOW    "casp failure old hi", x7
        mov     w6, #0x33333333
        mov     w7, #0x33333333
        mov     w8, #1
        mov     w9, #2
        caspl   w6, w7, w8, w9, [x20]
        ldp     x1, x2, [x20]
        SHOW    "casp w mem lo", x1

        ldp     x29, x30, [sp], #16
        ret
        .ltorg

        .data
        .balign 16
cell:   .quad   0, 0, 0, 0
