/* Classic integer workloads: sieve of Eratosthenes, Collatz lengths,
 * big-number factorial and Fibonacci with base-10^9 limbs, digits of pi
 * with a spigot algorithm, integer square roots. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

static uint8_t composite[300001];

static void big_print(const uint32_t *d, int n)
{
    printf("%u", d[n - 1]);
    for (int i = n - 2; i >= 0; i--) printf("%09u", d[i]);
}

int main(void)
{
    int limit = 300000, count = 0;
    long long sum = 0;
    for (int i = 2; (long)i * i <= limit; i++)
        if (!composite[i]) for (int j = i * i; j <= limit; j += i) composite[j] = 1;
    for (int i = 2; i <= limit; i++) if (!composite[i]) { count++; sum += i; }
    printf("primes<=%d: %d sum=%lld\n", limit, count, sum);

    int best = 0, best_n = 0;
    for (int n = 1; n < 30000; n++) {
        uint64_t x = (uint64_t)n;
        int len = 1;
        while (x != 1) { x = (x & 1) ? 3 * x + 1 : x >> 1; len++; }
        if (len > best) { best = len; best_n = n; }
    }
    printf("collatz longest below 30000: n=%d len=%d\n", best_n, best);

    static uint32_t f[400];
    int fn = 1;
    f[0] = 1;
    for (uint32_t k = 2; k <= 300; k++) {
        uint64_t carry = 0;
        for (int i = 0; i < fn; i++) { uint64_t v = (uint64_t)f[i] * k + carry; f[i] = (uint32_t)(v % 1000000000); carry = v / 1000000000; }
        while (carry) { f[fn++] = (uint32_t)(carry % 1000000000); carry /= 1000000000; }
    }
    printf("300! = ");
    big_print(f, fn);
    printf("\n");

    static uint32_t a[100], b[100], c[100];
    int an = 1, bn = 1;
    a[0] = 0; b[0] = 1;
    for (int k = 2; k <= 1000; k++) {
        uint32_t carry = 0;
        int n = an > bn ? an : bn;
        for (int i = 0; i < n; i++) {
            uint32_t v = (i < an ? a[i] : 0) + (i < bn ? b[i] : 0) + carry;
            carry = v >= 1000000000;
            c[i] = carry ? v - 1000000000 : v;
        }
        if (carry) c[n++] = 1;
        memcpy(a, b, sizeof a); an = bn;
        memcpy(b, c, sizeof b); bn = n;
    }
    printf("fib(1000) = ");
    big_print(b, bn);
    printf("\n");

    /* Rabinowitz-Wagon spigot for 300 digits of pi */
    enum { DIGITS = 300, LEN = DIGITS * 10 / 3 + 1 };
    static int r[LEN];
    for (int i = 0; i < LEN; i++) r[i] = 2;
    int nines = 0, predigit = 0, first = 1;
    char out[DIGITS + 8];
    int on = 0;
    for (int j = 0; j < DIGITS; j++) {
        int q = 0;
        for (int i = LEN - 1; i >= 0; i--) {
            int x = 10 * r[i] + q * (i + 1);
            r[i] = x % (2 * i + 1);
            q = x / (2 * i + 1);
        }
        r[0] = q % 10;
        q /= 10;
        if (q == 9) nines++;
        else if (q == 10) {
            out[on++] = (char)('0' + predigit + 1);
            while (nines) { out[on++] = '0'; nines--; }
            predigit = 0;
        } else {
            if (!first) out[on++] = (char)('0' + predigit);
            first = 0;
            predigit = q;
            while (nines) { out[on++] = '9'; nines--; }
        }
    }
    out[on++] = (char)('0' + predigit);
    out[on] = 0;
    printf("pi = %.1s.%s\n", out, out + 1);

    uint64_t sq = 0;
    for (uint64_t v = 1; v < 2000000; v += 71) {
        uint64_t lo = 0, hi = v;
        while (lo < hi) { uint64_t mid = (lo + hi + 1) / 2; if (mid * mid <= v) lo = mid; else hi = mid - 1; }
        sq += lo;
    }
    printf("sum isqrt=%llu\n", (unsigned long long)sq);
    return 0;
}
