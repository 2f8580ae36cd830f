/* Recursion: fibonacci, ackermann, mutual recursion, deep recursion that
 * uses a lot of stack, permutations by backtracking, n-queens. */
#include <stdio.h>
#include <stdint.h>

__attribute__((noinline)) static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static unsigned long ack(unsigned long m, unsigned long n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* not a tail call: the frame must survive; uses a local array to eat stack */
__attribute__((noinline)) static long deep(int n)
{
    volatile long pad[8];
    for (int i = 0; i < 8; i++) pad[i] = n + i;
    if (n == 0) return 0;
    long r = deep(n - 1);
    return r + pad[n & 7] - n;
}

static int queens_count;
static void queens(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n) { queens_count++; return; }
    unsigned avail = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (avail) {
        unsigned bit = avail & -avail;
        avail ^= bit;
        queens(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
}

static char perm_buf[8];
static int perm_count;
static unsigned long perm_hash;
static void permute(int k, int n)
{
    if (k == n) {
        perm_count++;
        for (int i = 0; i < n; i++) perm_hash = perm_hash * 131 + (unsigned long)perm_buf[i];
        if (perm_count <= 6 || perm_count == 5040) printf("perm %d: %.*s\n", perm_count, n, perm_buf);
        return;
    }
    for (int i = k; i < n; i++) {
        char t = perm_buf[k]; perm_buf[k] = perm_buf[i]; perm_buf[i] = t;
        permute(k + 1, n);
        t = perm_buf[k]; perm_buf[k] = perm_buf[i]; perm_buf[i] = t;
    }
}

static unsigned long hanoi(int n, int from, int to, int via, unsigned long *sig)
{
    if (n == 0) return 0;
    unsigned long c = hanoi(n - 1, from, via, to, sig);
    *sig = *sig * 3 + (unsigned long)(from * 3 + to);
    return c + 1 + hanoi(n - 1, via, to, from, sig);
}

int main(void)
{
    for (unsigned n = 0; n <= 24; n += 3) printf("fib(%u)=%llu\n", n, (unsigned long long)fib(n));
    printf("ack(2,3)=%lu ack(3,4)=%lu\n", ack(2, 3), ack(3, 4));
    printf("even(1001)=%d odd(777)=%d\n", is_even(1001), is_odd(777));
    printf("deep(50000)=%ld\n", deep(50000));
    for (int n = 1; n <= 9; n++) {
        queens_count = 0;
        queens(n, 0, 0, 0, 0);
        printf("queens(%d)=%d\n", n, queens_count);
    }
    for (int i = 0; i < 7; i++) perm_buf[i] = (char)('a' + i);
    permute(0, 7);
    printf("perms=%d hash=%lu\n", perm_count, perm_hash);
    unsigned long sig = 0;
    unsigned long moves = hanoi(16, 0, 2, 1, &sig);
    printf("hanoi(16)=%lu sig=%lu\n", moves, sig);
    return 0;
}
