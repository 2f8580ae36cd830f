// An undefined instruction (UDF) raises SIGILL; with no handler the
// process dies by that signal: exit status 128 + 4 = 132.
#include "lib/rt.h"

        .text
        .global main
main:
        PUTS    "before udf\n"
        udf     #0
        PUTS    "not reached\n"
        ret
