// BRK raises SIGTRAP; with no handler the process dies by that signal:
// exit status 128 + 5 = 133.
#include "lib/rt.h"

        .text
        .global main
main:
        PUTS    "before brk\n"
        brk     #0x3e8
        PUTS    "not reached\n"
        ret
