/* Function pointers: dispatch tables, callbacks, pointers returned from
 * functions, pointers stored in structs, indirect tail calls. */
#include <stdio.h>
#include <stdint.h>

typedef long (*binop)(long, long);
static long op_add(long a, long b) { return a + b; }
static long op_sub(long a, long b) { return a - b; }
static long op_mul(long a, long b) { return a * b; }
static long op_div(long a, long b) { return b ? a / b : 0; }
static long op_mod(long a, long b) { return b ? a % b : 0; }
static long op_and(long a, long b) { return a & b; }
static long op_or(long a, long b) { return a | b; }
static long op_xor(long a, long b) { return a ^ b; }
static long op_shl(long a, long b) { return (long)((unsigned long)a << (b & 63)); }
static long op_min(long a, long b) { return a < b ? a : b; }

static const struct { const char *name; binop fn; } ops[] = {
    { "add", op_add }, { "sub", op_sub }, { "mul", op_mul }, { "div", op_div },
    { "mod", op_mod }, { "and", op_and }, { "or", op_or }, { "xor", op_xor },
    { "shl", op_shl }, { "min", op_min },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static binop pick(unsigned i) { return ops[i % NOPS].fn; }

static long fold(const long *v, int n, binop f, long init)
{
    long acc = init;
    for (int i = 0; i < n; i++) acc = f(acc, v[i]);
    return acc;
}

struct shape {
    const char *kind;
    double (*area)(const struct shape *);
    double (*perimeter)(const struct shape *);
    double a, b;
};
static double rect_area(const struct shape *s) { return s->a * s->b; }
static double rect_perim(const struct shape *s) { return 2 * (s->a + s->b); }
static double tri_area(const struct shape *s) { return s->a * s->b / 2; }
static double tri_perim(const struct shape *s) { return s->a + s->b + 5.0; }

typedef int (*pred)(int);
static int is_even(int x) { return x % 2 == 0; }
static int is_big(int x) { return x > 50; }
static int is_square(int x) { for (int i = 0; i * i <= x; i++) if (i * i == x) return 1; return 0; }
static int count_if(const int *v, int n, pred p) { int c = 0; for (int i = 0; i < n; i++) c += p(v[i]) != 0; return c; }

/* continuation-passing style with indirect tail calls */
typedef unsigned long (*kont)(unsigned long, unsigned long);
static unsigned long step_a(unsigned long n, unsigned long acc);
static unsigned long step_b(unsigned long n, unsigned long acc);
static kont next_of(unsigned long n) { return (n % 3 == 0) ? step_b : step_a; }
static unsigned long step_a(unsigned long n, unsigned long acc) { return n == 0 ? acc : next_of(n)(n - 1, acc * 3 + n); }
static unsigned long step_b(unsigned long n, unsigned long acc) { return n == 0 ? acc : next_of(n)(n - 1, acc ^ (n << 7)); }

int main(void)
{
    long v[] = { 3, 14, 15, 92, 65, 35, 89, 79, 32, 38 };
    for (unsigned i = 0; i < NOPS; i++)
        printf("%s: %ld %ld\n", ops[i].name, ops[i].fn(1000, 7), fold(v, 10, ops[i].fn, 1));
    long acc = 0;
    for (unsigned i = 0; i < 10000; i++) acc = pick(i * 7)(acc, (long)i) & 0xffffffff;
    printf("acc=%ld\n", acc);
    struct shape sh[] = { { "rect", rect_area, rect_perim, 3, 4.5 }, { "tri", tri_area, tri_perim, 6, 2.5 } };
    for (int i = 0; i < 2; i++) printf("%s area=%g perim=%g\n", sh[i].kind, sh[i].area(&sh[i]), sh[i].perimeter(&sh[i]));
    int nums[100];
    for (int i = 0; i < 100; i++) nums[i] = (i * 37) % 101;
    pred preds[] = { is_even, is_big, is_square };
    for (int i = 0; i < 3; i++) printf("count_if[%d]=%d\n", i, count_if(nums, 100, preds[i]));
    /* limit the depth: only the optimizer turns these into tail jumps */
    printf("cps=%lu\n", step_a(5000, 1));
    return 0;
}
