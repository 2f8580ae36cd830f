// guest-32bit: skip (case labels beyond 32 bits: 64-bit long)
/* Switch statements: dense (jump tables), sparse (binary search trees of
 * compares), switch on chars in a tiny lexer, and a state machine. */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static int dense(int x)
{
    switch (x) {
    case 0: return 11;
    case 1: return 22;
    case 2: return 35;
    case 3: return 47;
    case 4: return 51;
    case 5: return 68;
    case 6: return 72;
    case 7: return 89;
    case 8: return 93;
    case 9: return 104;
    case 10: return 111;
    case 11: return 125;
    case 12: return 131;
    case 13: return 149;
    case 15: return 150;
    default: return -1;
    }
}

__attribute__((noinline)) static const char *sparse(long x)
{
    switch (x) {
    case -100000: return "minus-100k";
    case -5: return "minus-five";
    case 0: return "zero";
    case 17: return "seventeen";
    case 1000: return "thousand";
    case 65537: return "f4";
    case 1L << 33: return "2^33";
    case 123456789: return "123456789";
    default: return "other";
    }
}

/* a switch whose cases fall through */
__attribute__((noinline)) static unsigned fallthrough(unsigned n)
{
    unsigned r = 0;
    switch (n & 7) {
    case 7: r += 7; /* fall through */
    case 6: r += 6; /* fall through */
    case 5: r += 5; /* fall through */
    case 4: r += 4; break;
    case 3: r += 3; /* fall through */
    case 2: r += 2; /* fall through */
    case 1: r += 1; /* fall through */
    case 0: r += 100;
    }
    return r;
}

/* tokenizer over a string */
static void lex(const char *s)
{
    int nums = 0, idents = 0, ops = 0, spaces = 0, other = 0;
    long sum = 0;
    while (*s) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9': {
            long v = 0;
            while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
            sum += v; nums++;
            continue;
        }
        case 'a' ... 'z': case 'A' ... 'Z': case '_':
            while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
                   (*s >= '0' && *s <= '9'))
                s++;
            idents++;
            continue;
        case '+': case '-': case '*': case '/': case '=': case '<': case '>':
            ops++; break;
        case ' ': case '\t': case '\n':
            spaces++; break;
        default:
            other++; break;
        }
        s++;
    }
    printf("lex: nums=%d sum=%ld idents=%d ops=%d spaces=%d other=%d\n", nums, sum, idents, ops, spaces, other);
}

enum state { S_START, S_SIGN, S_INT, S_DOT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_ERR };

static int is_number(const char *s)
{
    enum state st = S_START;
    for (; *s; s++) {
        char c = *s;
        int digit = c >= '0' && c <= '9';
        switch (st) {
        case S_START: st = (c == '+' || c == '-') ? S_SIGN : digit ? S_INT : S_ERR; break;
        case S_SIGN: st = digit ? S_INT : S_ERR; break;
        case S_INT: st = digit ? S_INT : c == '.' ? S_DOT : (c == 'e' || c == 'E') ? S_EXP : S_ERR; break;
        case S_DOT: st = digit ? S_FRAC : S_ERR; break;
        case S_FRAC: st = digit ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_ERR; break;
        case S_EXP: st = (c == '+' || c == '-') ? S_EXPSIGN : digit ? S_EXPINT : S_ERR; break;
        case S_EXPSIGN: st = digit ? S_EXPINT : S_ERR; break;
        case S_EXPINT: st = digit ? S_EXPINT : S_ERR; break;
        case S_ERR: return 0;
        }
    }
    return st == S_INT || st == S_FRAC || st == S_EXPINT;
}

int main(void)
{
    long total = 0;
    for (int i = -3; i < 20; i++) {
        int d = dense(i);
        total += d * i;
        printf("dense(%d)=%d\n", i, d);
    }
    long sp[] = { -100000, -5, 0, 17, 1000, 65537, 1L << 33, 123456789, 4, -1 };
    for (unsigned i = 0; i < sizeof(sp) / sizeof(sp[0]); i++)
        printf("sparse(%ld)=%s\n", sp[i], sparse(sp[i]));
    for (unsigned i = 0; i < 10; i++)
        printf("fallthrough(%u)=%u\n", i, fallthrough(i));
    for (int i = 0; i < 100000; i++) total += dense(i % 17) ^ (long)fallthrough((unsigned)i);
    printf("total=%ld\n", total);
    lex("x1 = 42 + foo_bar*7 - (y / 3) <= 1000000; /* ok */ z9=0\n\tend");
    const char *cands[] = { "0", "-12", "+3.25", "1e10", "2.5E-3", ".5", "5.", "1e", "abc", "--1", "12x", "007" };
    for (unsigned i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
        printf("is_number(\"%s\")=%d\n", cands[i], is_number(cands[i]));
    return 0;
}
