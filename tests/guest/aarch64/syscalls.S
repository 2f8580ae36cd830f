// Raw system calls: an unknown number returns -ENOSYS (-38) without killing
// the process; getpid/gettid agree; write returns the count; writev; the
// syscall preserves every register but x0; exit (93, not exit_group) with
// status 42.
#include "lib/rt.h"

        .text
        .global main
main:
        stp     x29, x30, [sp, #-16]!
        mov     x8, #4000               // no such syscall
        mov     x0, #1
        svc     #0
        SHOW    "syscall 4000", x0
        mov     x8, #0x7fff
        svc     #0
        SHOW    "syscall 0x7fff", x0

        // every register except x0 survives a syscall
        mov     x1, #0x1111
        mov     x2, #0x2222
        mov     x9, #0x9999
        mov     x18, #0x1818
        mov     x28, #0x2828
        fmov    d0, #1.5
        fmov    d31, #-2.0
        mov     x8, #172                // getpid
        svc     #0
        mov     x20, x0
        add     x3, x1, x2
        add     x3, x3, x9
        add     x3, x3, x18
        add     x3, x3, x28
        SHOW    "registers after svc", x3
        fadd    d1, d0, d31
        fmov    x3, d1
        SHOW    "fp registers after svc", x3
        mov     x8, #178                // gettid
        svc     #0
        cmp     x0, x20
        cset    x3, eq
        SHOW    "gettid == getpid", x3

        // write returns the byte count
        adr     x1, msg
        mov     x0, #1
        mov     x2, #(msg_end - msg)
        mov     x8, #64
        svc     #0
        SHOW    "write returned", x0
        // writev of two pieces
        adr     x1, iov
        adr     x2, msg
        str     x2, [x1]
        adr     x2, msg2
        str     x2, [x1, #16]
        mov     x0, #1
        mov     x2, #2
        mov     x8, #66
        svc     #0
        SHOW    "writev returned", x0
        // write to a bad fd: -EBADF (-9)
        mov     x0, #99
        adr     x1, msg
        mov     x2, #1
        mov     x8, #64
        svc     #0
        SHOW    "write bad fd", x0

        // exit(42): the thread exit syscall, the only thread, ends the process
        mov     x0, #42
        mov     x8, #93
        svc     #0
        PUTS    "not reached\n"
        ldp     x29, x30, [sp], #16
        ret

msg:    .ascii  "hello from svc\n"
msg_end:
msg2:   .ascii  "second piece\n"
msg2_end:
        .data
        .balign 8
iov:    .quad   0, msg_end - msg, 0, msg2_end - msg2
