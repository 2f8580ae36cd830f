/* A small stack-machine bytecode interpreter (switch dispatch in a loop,
 * the shape of every scripting-language VM) running a program that counts
 * primes by trial division and sums a series. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

enum op { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JZ, JMP, DUP, POP, HALT, INC, LE };
struct insn { uint8_t op; int32_t arg; };

static int64_t run(const struct insn *code, int64_t *vars)
{
    int64_t stack[64];
    int sp = 0;
    const struct insn *pc = code;
    for (;;) {
        const struct insn i = *pc++;
        switch (i.op) {
        case PUSH: stack[sp++] = i.arg; break;
        case LOAD: stack[sp++] = vars[i.arg]; break;
        case STORE: vars[i.arg] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case LE: sp--; stack[sp - 1] = stack[sp - 1] <= stack[sp]; break;
        case JZ: if (!stack[--sp]) pc = code + i.arg; break;
        case JMP: pc = code + i.arg; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case POP: sp--; break;
        case INC: vars[i.arg]++; break;
        case HALT: return sp ? stack[sp - 1] : 0;
        }
    }
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    /* vars: 0 = n, 1 = limit, 2 = d, 3 = count, 4 = isprime */
    static const struct insn prog[] = {
        /* 0 */ { PUSH, 2 }, { STORE, 0 }, { PUSH, 0 }, { STORE, 3 },
        /* 4: loop n */ { LOAD, 0 }, { LOAD, 1 }, { LT, 0 }, { JZ, 31 },
        /* 8 */ { PUSH, 2 }, { STORE, 2 }, { PUSH, 1 }, { STORE, 4 },
        /* 12: loop d while d*d <= n */ { LOAD, 2 }, { LOAD, 2 }, { MUL, 0 }, { LOAD, 0 }, { LE, 0 }, { JZ, 27 },
        /* 18 */ { LOAD, 0 }, { LOAD, 2 }, { MOD, 0 }, { JZ, 25 }, { INC, 2 }, { JMP, 12 },
        /* 24 */ { HALT, 0 },
        /* 25: divisible */ { PUSH, 0 }, { STORE, 4 },
        /* 27: after d loop */ { LOAD, 3 }, { LOAD, 4 }, { ADD, 0 }, { STORE, 3 },
        /* 31 (patched below) */ { INC, 0 }, { JMP, 4 },
        /* 33 */ { LOAD, 3 }, { HALT, 0 },
    };
    struct insn code[sizeof prog / sizeof prog[0]];
    for (unsigned i = 0; i < sizeof prog / sizeof prog[0]; i++) code[i] = prog[i];
    /* fix up: "after d loop" falls through to INC n at 31; loop exit goes to 33;
       divisible jumps to 25 which falls into 27 */
    code[7].arg = 33;
    code[17].arg = 27;
    int64_t total = 0;
    for (long r = 0; r < 3 * scale; r++) {
        int64_t vars[8] = { 0, 200000 + r, 0, 0, 0, 0, 0, 0 };
        total = total * 31 + run(code, vars);
    }
    printf("bytecode %lld\n", (long long)total);
    return 0;
}
