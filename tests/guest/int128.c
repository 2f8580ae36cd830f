// guest-32bit: skip (no __int128 on 32-bit targets)
/* 128-bit integers: add/sub with carries, multiply (umulh/smulh), divide
 * and modulo (libgcc's __udivti3/__divti3), shifts, comparisons, printing. */
#include <stdio.h>
#include <stdint.h>

typedef unsigned __int128 u128;
typedef __int128 s128;

static void put_u128(u128 v)
{
    char buf[48]; int n = 0;
    do { buf[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    while (n) putchar(buf[--n]);
}
static void put_s128(s128 v)
{
    if (v < 0) { putchar('-'); put_u128(-(u128)v); } else put_u128((u128)v);
}
static void put_hex(u128 v) { printf("%016llx%016llx", (unsigned long long)(v >> 64), (unsigned long long)v); }

__attribute__((noinline)) static uint64_t mulhi(uint64_t a, uint64_t b) { return (uint64_t)(((u128)a * b) >> 64); }
__attribute__((noinline)) static int64_t smulhi(int64_t a, int64_t b) { return (int64_t)(((s128)a * b) >> 64); }

int main(void)
{
    u128 f = 1;
    for (int i = 1; i <= 34; i++) {
        f *= (u128)i;
        if (i >= 20) { printf("%d! = ", i); put_u128(f); printf(" = 0x"); put_hex(f); printf("\n"); }
    }
    u128 max = ~(u128)0;
    printf("max = "); put_u128(max); printf("\n");
    s128 smin = (s128)((u128)1 << 127);
    printf("smin = "); put_s128(smin); printf("\n");
    printf("smin+1 = "); put_s128(smin + 1); printf("\n");

    uint64_t vals[] = { 0, 1, 3, 0xffffffffULL, 0x100000000ULL, 0x8000000000000000ULL, 0xffffffffffffffffULL, 0x123456789abcdef0ULL };
    unsigned long long acc = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            acc = acc * 1000003 ^ mulhi(vals[i], vals[j]);
            acc = acc * 1000003 ^ (unsigned long long)smulhi((int64_t)vals[i], (int64_t)vals[j]);
        }
    printf("mulhi acc = %llx\n", acc);

    u128 a = ((u128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    u128 b = ((u128)0x1111ULL << 64) | 0x2222ULL;
    printf("a+b=0x"); put_hex(a + b); printf("\na-b=0x"); put_hex(a - b);
    printf("\na*b=0x"); put_hex(a * b); printf("\na/b="); put_u128(a / b);
    printf("\na%%b="); put_u128(a % b); printf("\na/7="); put_u128(a / 7);
    printf("\na%%1000000007="); put_u128(a % 1000000007);
    printf("\n");
    s128 sa = -(s128)a, sb = (s128)b;
    printf("sa/sb="); put_s128(sa / sb); printf(" sa%%sb="); put_s128(sa % sb);
    printf(" sa>>70="); put_s128(sa >> 70); printf("\n");
    for (int sh = 0; sh < 128; sh += 19) {
        printf("a<<%d=0x", sh); put_hex(a << sh); printf(" a>>%d=0x", sh); put_hex(a >> sh); printf("\n");
    }
    printf("cmp: %d %d %d %d\n", a < b, a > b, sa < sb, (s128)max < 0);
    /* 128-bit accumulate of products */
    u128 sum = 0;
    for (uint64_t i = 1; i <= 10000; i++) sum += (u128)(i * 0x9e3779b97f4a7c15ULL) * i;
    printf("sum="); put_u128(sum); printf("\n");
    /* overflow builtins */
    long long r;
    int o1 = __builtin_mul_overflow(3037000500LL, 3037000500LL, &r);
    int o2 = __builtin_add_overflow(9223372036854775800LL, 7LL, &r);
    unsigned ur;
    int o3 = __builtin_sub_overflow(5u, 6u, &ur);
    printf("overflow: %d %d %d %u\n", o1, o2, o3, ur);
    return 0;
}
