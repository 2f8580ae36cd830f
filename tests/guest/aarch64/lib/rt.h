// Macros for the AArch64 assembly tests. Include with: #include "lib/rt.h"
// Every macro preserves all general registers, all FP/SIMD registers and
// NZCV (rt.S saves what it touches), so tests can print anywhere.

// SHOW "name", xN     prints "name=0x<16 hex digits>\n"
.macro SHOW name:req, reg:req
        stp     x0, x1, [sp, #-32]!
        str     x30, [sp, #16]
        mov     x0, \reg
        .pushsection .rodata.rtstr, "a"
997:    .asciz  "\name"
        .popsection
        adrp    x1, 997b
        add     x1, x1, :lo12:997b
        bl      rt_show
        ldr     x30, [sp, #16]
        ldp     x0, x1, [sp], #32
.endm

// SHOWV "name", vN    prints "name=<hi 64 bits hex>:<lo 64 bits hex>\n"
.macro SHOWV name:req, vreg:req
        stp     x0, x1, [sp, #-48]!
        str     x30, [sp, #16]
        str     q\vreg, [sp, #32]
        .pushsection .rodata.rtstr, "a"
997:    .asciz  "\name"
        .popsection
        adrp    x1, 997b
        add     x1, x1, :lo12:997b
        add     x0, sp, #32
        bl      rt_showv
        ldr     x30, [sp, #16]
        ldp     x0, x1, [sp], #48
.endm

// SHOWFLAGS "name"    prints "name=NZCV" with - for clear flags, e.g. "-Z C-"
.macro SHOWFLAGS name:req
        stp     x0, x1, [sp, #-32]!
        str     x30, [sp, #16]
        .pushsection .rodata.rtstr, "a"
997:    .asciz  "\name"
        .popsection
        adrp    x1, 997b
        add     x1, x1, :lo12:997b
        bl      rt_showflags
        ldr     x30, [sp, #16]
        ldp     x0, x1, [sp], #32
.endm

// PUTS "text"         prints text as is (use \n for newlines)
.macro PUTS text:req
        stp     x0, x1, [sp, #-32]!
        str     x30, [sp, #16]
        .pushsection .rodata.rtstr, "a"
997:    .asciz  "\text"
        .popsection
        adrp    x0, 997b
        add     x0, x0, :lo12:997b
        bl      rt_puts
        ldr     x30, [sp, #16]
        ldp     x0, x1, [sp], #32
.endm

// EXIT n              exit_group(n)
.macro EXIT code:req
        mov     x0, #\code
        mov     x8, #94
        svc     #0
.endm

// Entry point boilerplate: tests define `main` (called with a 16-byte
// aligned stack) and return to exit_group(0) by `ret`.
