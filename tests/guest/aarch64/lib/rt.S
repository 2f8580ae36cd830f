// Runtime for the AArch64 assembly tests: printing via the write syscall.
// Every routine preserves x0-x29, NZCV and the FP/SIMD registers (x30 is the
// caller's concern: the macros in rt.h save it).

        .text
        .global _start
_start:
        mov     x29, #0
        mov     x30, #0
        bl      main
        mov     x0, #0
        mov     x8, #94                 // exit_group(0)
        svc     #0

// save x2-x9 and NZCV; x0/x1 are arguments the macros already saved
.macro SAVE
        stp     x2, x3, [sp, #-96]!
        stp     x4, x5, [sp, #16]
        stp     x6, x7, [sp, #32]
        stp     x8, x9, [sp, #48]
        stp     x10, x30, [sp, #64]
        mrs     x9, nzcv
        str     x9, [sp, #80]
.endm
.macro RESTORE
        ldr     x9, [sp, #80]
        msr     nzcv, x9
        ldp     x10, x30, [sp, #64]
        ldp     x8, x9, [sp, #48]
        ldp     x6, x7, [sp, #32]
        ldp     x4, x5, [sp, #16]
        ldp     x2, x3, [sp], #96
.endm

// write(1, x0, strlen(x0)); clobbers x0-x2, x8
rt_write_str:
        mov     x1, x0
        mov     x2, #0
1:      ldrb    w3, [x1, x2]
        cbz     w3, 2f
        add     x2, x2, #1
        b       1b
2:      mov     x0, #1
        mov     x8, #64
        svc     #0
        ret

// write(1, &buf, n) with x1 = buf, x2 = n
rt_write_buf:
        mov     x0, #1
        mov     x8, #64
        svc     #0
        ret

        .global rt_puts
rt_puts:
        SAVE
        bl      rt_write_str
        RESTORE
        ret

// x0 = value, x1 = buffer (17 bytes): 16 hex digits, no terminator needed
rt_hex16:
        mov     x4, #60
1:      lsr     x5, x0, x4
        and     x5, x5, #15
        cmp     x5, #10
        add     x6, x5, #'0'
        add     x7, x5, #('a' - 10)
        csel    x5, x6, x7, lo
        strb    w5, [x1], #1
        subs    x4, x4, #4
        b.ge    1b
        ret

        .global rt_show
// x0 = value, x1 = name
rt_show:
        SAVE
        mov     x9, x0
        mov     x0, x1
        bl      rt_write_str
        sub     sp, sp, #32
        mov     w2, #'='
        strb    w2, [sp]
        mov     w2, #'0'
        strb    w2, [sp, #1]
        mov     w2, #'x'
        strb    w2, [sp, #2]
        mov     x0, x9
        add     x1, sp, #3
        bl      rt_hex16
        mov     w2, #'\n'
        strb    w2, [sp, #19]
        mov     x1, sp
        mov     x2, #20
        bl      rt_write_buf
        add     sp, sp, #32
        RESTORE
        ret

        .global rt_showv
// x0 = address of 16 bytes (little-endian q register image), x1 = name
rt_showv:
        SAVE
        mov     x9, x0
        mov     x0, x1
        bl      rt_write_str
        sub     sp, sp, #48
        mov     w2, #'='
        strb    w2, [sp]
        ldr     x0, [x9, #8]
        add     x1, sp, #1
        bl      rt_hex16
        mov     w2, #':'
        strb    w2, [sp, #17]
        ldr     x0, [x9]
        add     x1, sp, #18
        bl      rt_hex16
        mov     w2, #'\n'
        strb    w2, [sp, #34]
        mov     x1, sp
        mov     x2, #35
        bl      rt_write_buf
        add     sp, sp, #48
        RESTORE
        ret

        .global rt_showflags
// x1 = name; prints name=NZCV from the caller's flags
rt_showflags:
        SAVE
        ldr     x9, [sp, #80]           // the saved NZCV
        mov     x0, x1
        bl      rt_write_str
        sub     sp, sp, #16
        mov     w2, #'='
        strb    w2, [sp]
        mov     x3, #31                 // bit of N
        adr     x4, flagchars
        mov     x5, #1
1:      lsr     x6, x9, x3
        tst     x6, #1
        ldrb    w6, [x4]
        mov     w7, #'-'
        csel    w6, w6, w7, ne
        strb    w6, [sp, x5]
        add     x4, x4, #1
        add     x5, x5, #1
        sub     x3, x3, #1
        cmp     x5, #5
        b.lt    1b
        mov     w2, #'\n'
        strb    w2, [sp, #5]
        mov     x1, sp
        mov     x2, #6
        bl      rt_write_buf
        add     sp, sp, #16
        RESTORE
        ret
flagchars:
        .ascii  "NZCV"
        .balign 4
