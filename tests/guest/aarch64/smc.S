// Self-modifying code: instructions are written into an RWX mapping,
// made visible with DC CVAU / DSB / IC IVAU / DSB / ISB, executed, then
// rewritten and executed again at the same address. Also patches the
// instruction right after the one doing the store, inside one block.
#include "lib/rt.h"

        .equ    MOVZ_X0, 0xd2800000     // movz x0, #imm16 (imm << 5)
        .equ    RET, 0xd65f03c0

        // sync a range [x0, x0 + x1) for execution
        .macro  SYNC_ICACHE addr, len
        mov     x10, \addr
        add     x11, \addr, \len
9:      dc      cvau, x10
        add     x10, x10, #4
        cmp     x10, x11
        b.lo    9b
        dsb     ish
        mov     x10, \addr
9:      ic      ivau, x10
        add     x10, x10, #4
        cmp     x10, x11
        b.lo    9b
        dsb     ish
        isb
        .endm

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        // mmap(NULL, 8192, RWX, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
        mov     x0, #0
        mov     x1, #8192
        mov     x2, #7
        mov     x3, #0x22
        mov     x4, #-1
        mov     x5, #0
        mov     x8, #222
        svc     #0
        mov     x19, x0
        cmn     x0, #4096
        cset    x1, lo
        SHOW    "mmap rwx ok", x1

        // write "movz x0, #i; ret", call, 300 times with a new i each time
        mov     x20, #0                 // i
        mov     x21, #0                 // sum of results
1:      lsl     w2, w20, #5
        mov     w3, #MOVZ_X0 & 0xffff
        movk    w3, #MOVZ_X0 >> 16, lsl #16
        orr     w2, w2, w3
        str     w2, [x19]
        mov     w3, #RET & 0xffff
        movk    w3, #RET >> 16, lsl #16
        str     w3, [x19, #4]
        SYNC_ICACHE x19, #8
        blr     x19
        add     x21, x21, x0
        add     x20, x20, #1
        cmp     x20, #300
        b.ne    1b
        SHOW    "sum of 300 patched calls", x21

        // copy a code template into the page, then patch it in the middle:
        // template: add x0, x0, #1 (x4) ; ret
        adr     x1, template
        ldp     w2, w3, [x1]
        ldp     w4, w5, [x1, #8]
        add     x22, x19, #4096
        stp     w2, w3, [x22]
        stp     w4, w5, [x22, #8]
        SYNC_ICACHE x22, #16
        mov     x0, #10
        blr     x22
        SHOW    "template result", x0
        ldr     w6, =0xd1000400         // sub x0, x0, #1
        str     w6, [x22, #4]
        SYNC_ICACHE x22, #16
        mov     x0, #10
        blr     x22
        SHOW    "patched template result", x0

        // code that rewrites an instruction further down its own block
        adr     x1, patch_site_code
        add     x23, x19, #256
        mov     x4, #0
2:      ldr     w5, [x1, x4]
        str     w5, [x23, x4]
        add     x4, x4, #4
        cmp     x4, #(patch_site_end - patch_site_code)
        b.ne    2b
        SYNC_ICACHE x23, #(patch_site_end - patch_site_code)
        ldr     w1, =0xd2800540         // movz x0, #42
        mov     x2, x23
        blr     x23
        SHOW    "patched later instruction of the same block", x0

        // munmap
        mov     x0, x19
        mov     x1, #8192
        mov     x8, #215
        svc     #0
        SHOW    "munmap", x0

        ldp     x29, x30, [sp], #16
        ret
        .ltorg

        .balign 4
template:
        add     x0, x0, #1
        add     x0, x0, #1
        add     x0, x0, #1
        ret
        // expects w1 = instruction to place at patch_target, x2 = base
patch_site_code:
        add     x3, x2, #(patch_target - patch_site_code)
        str     w1, [x3]
        dc      cvau, x3
        dsb     ish
        ic      ivau, x3
        dsb     ish
        isb
patch_target:
        movz    x0, #7
        ret
patch_site_end:
