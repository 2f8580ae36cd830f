// State for debuggers and dumps to look at (see README.md): reads the
// generic counter twice at `sampled` (tests/system_gdbstub.rs holds the
// machine stopped in between), puts patterns in V7 and FPCR, then spins
// for about two seconds of counter time (tests/system_qmp.rs dumps the
// machine meanwhile) and checks they held.
        .equ UART,      0x09000000

        .macro puts label
        adr     x0, \label
        bl      print
        .endm

        .section .text.boot
        .global _start
_start:
        ldr     x0, =stack_top
        mov     sp, x0
        puts    msg_hello

        // FP/SIMD at EL1 (CPACR_EL1.FPEN = 3).
        mov     x0, #(3 << 20)
        msr     cpacr_el1, x0
        isb

        // Two counter samples; a debugger stops the machine at `sampled`.
        mov     x3, #0
sample_loop:
        mrs     x1, cntvct_el0
        mrs     x2, cntpct_el0
        .global sampled
sampled:
        add     x3, x3, #1
        cmp     x3, #2
        b.lo    sample_loop
        cbz     x1, fail
        puts    msg_counter

        // V7 = 0xfedcba9876543210_0123456789abcdef, FPCR.DN and RMode
        // toward zero (0x02c00000).
        ldr     x0, =0x0123456789abcdef
        ldr     x1, =0xfedcba9876543210
        fmov    d7, x0
        mov     v7.d[1], x1
        ldr     x0, =0x02c00000
        msr     fpcr, x0
        puts    msg_simd

        // Spin for 2e9 ticks (CNTFRQ is 1 GHz).
        mrs     x4, cntvct_el0
        ldr     x5, =2000000000
        add     x4, x4, x5
1:      mrs     x6, cntvct_el0
        cmp     x6, x4
        b.lo    1b

        fmov    x0, d7
        ldr     x1, =0x0123456789abcdef
        cmp     x0, x1
        b.ne    fail
        mov     x0, v7.d[1]
        ldr     x1, =0xfedcba9876543210
        cmp     x0, x1
        b.ne    fail
        mrs     x0, fpcr
        ldr     x1, =0x02c00000
        cmp     x0, x1
        b.ne    fail
        puts    msg_ok
        b       off

fail:
        puts    msg_fail
off:
        ldr     x0, =0x84000008         // PSCI SYSTEM_OFF
        hvc     #0
        b       .

print:                                  // x0 = NUL-terminated string
        ldr     x1, =UART
1:      ldrb    w2, [x0], #1
        cbz     w2, 2f
        strb    w2, [x1]
        b       1b
2:      ret

        .section .rodata
msg_hello:   .asciz "freeze\n"
msg_counter: .asciz "counter ok\n"
msg_simd:    .asciz "simd set\n"
msg_ok:      .asciz "ALL OK\n"
msg_fail:    .asciz "FAIL\n"
