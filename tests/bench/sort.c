/* Sorting: an own quicksort and merge sort over 1M ints, and qsort with a
 * comparator (indirect calls), repeated with fresh data. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static uint32_t seed = 12345;
static uint32_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }

static void quick(int32_t *v, long lo, long hi)
{
    while (lo < hi) {
        int32_t p = v[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) { int32_t t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quick(v, lo, j); lo = i; } else { quick(v, i, hi); hi = j; }
    }
}

static void msort(int32_t *v, int32_t *tmp, long n)
{
    if (n < 16) {
        for (long i = 1; i < n; i++) { int32_t x = v[i]; long j = i; while (j > 0 && v[j - 1] > x) { v[j] = v[j - 1]; j--; } v[j] = x; }
        return;
    }
    long h = n / 2;
    msort(v, tmp, h);
    msort(v + h, tmp, n - h);
    long i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, (size_t)n * sizeof *v);
}

static int cmp(const void *a, const void *b) { int32_t x = *(const int32_t *)a, y = *(const int32_t *)b; return (x > y) - (x < y); }

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    enum { N = 1 << 20 };
    int32_t *v = malloc(N * sizeof *v), *tmp = malloc(N * sizeof *v);
    uint64_t h = 0;
    for (long r = 0; r < 2 * scale; r++) {
        for (long i = 0; i < N; i++) v[i] = (int32_t)rnd();
        quick(v, 0, N - 1);
        h = h * 31 + (uint32_t)v[N / 3];
        for (long i = 0; i < N; i++) v[i] = (int32_t)(rnd() % 100000);
        msort(v, tmp, N);
        h = h * 31 + (uint32_t)v[N / 2];
        for (long i = 0; i < N / 4; i++) v[i] = (int32_t)rnd();
        qsort(v, N / 4, sizeof *v, cmp);
        h = h * 31 + (uint32_t)v[N / 8];
    }
    printf("sort %llu\n", (unsigned long long)h);
    free(v);
    free(tmp);
    return 0;
}
