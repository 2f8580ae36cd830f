// hello.S: the smallest useful AArch64 Linux program.
// write(1, "Hello from AArch64!\n", 20); exit_group(0). No libc.
//
// The assembled binary `hello` is committed (384 bytes). To rebuild it (needs
// Debian's binutils-aarch64-linux-gnu): make -C examples/aarch64 hello
// which runs:
//   aarch64-linux-gnu-as -o hello.o hello.S
//   aarch64-linux-gnu-ld -static -s -o hello hello.o

        .text
        .global _start
_start:
        mov     x0, #1                  // fd = stdout
        adr     x1, msg                 // buf
        mov     x2, #(msg_end - msg)    // count
        mov     x8, #64                 // __NR_write
        svc     #0
        mov     x0, #0                  // status
        mov     x8, #94                 // __NR_exit_group
        svc     #0

msg:
        .ascii  "Hello from AArch64!\n"
msg_end:
