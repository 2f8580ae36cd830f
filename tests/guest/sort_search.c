/* qsort and bsearch over ints, doubles, strings and structs; an own
 * insertion sort, merge sort and heap sort to cross-check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint32_t rng = 12345;
static uint32_t next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_int_desc(const void *a, const void *b) { return cmp_int(b, a); }
static int cmp_dbl(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct rec { char name[12]; int age; unsigned id; };
static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->age != y->age) return x->age - y->age;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return (x->id > y->id) - (x->id < y->id);
}

static void merge_sort(int *v, int *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    merge_sort(v, tmp, h);
    merge_sort(v + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, (size_t)n * sizeof *v);
}

static void sift(int *v, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && v[l] > v[m]) m = l;
        if (r < n && v[r] > v[m]) m = r;
        if (m == i) return;
        int t = v[i]; v[i] = v[m]; v[m] = t;
        i = m;
    }
}
static void heap_sort(int *v, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--) sift(v, n, i);
    for (int i = n - 1; i > 0; i--) { int t = v[0]; v[0] = v[i]; v[i] = t; sift(v, i, 0); }
}

static unsigned long hash_ints(const int *v, int n) { unsigned long h = 5381; for (int i = 0; i < n; i++) h = h * 33 ^ (unsigned)v[i]; return h; }

int main(void)
{
    enum { N = 20000 };
    static int a[N], b[N], c[N], tmp[N];
    for (int i = 0; i < N; i++) a[i] = (int)(next() % 1000000) - 500000;
    memcpy(b, a, sizeof a);
    memcpy(c, a, sizeof a);
    qsort(a, N, sizeof a[0], cmp_int);
    merge_sort(b, tmp, N);
    heap_sort(c, N);
    printf("sorted: min=%d max=%d median=%d hash=%lx merge_same=%d heap_same=%d\n", a[0], a[N - 1], a[N / 2],
           hash_ints(a, N), memcmp(a, b, sizeof a) == 0, memcmp(a, c, sizeof a) == 0);
    int found = 0, missing = 0;
    for (int k = -500000; k < 500000; k += 997) {
        int *p = bsearch(&k, a, N, sizeof a[0], cmp_int);
        if (p) { found++; if (*p != k) printf("bsearch wrong\n"); } else missing++;
    }
    printf("bsearch: found=%d missing=%d\n", found, missing);
    qsort(b, N, sizeof b[0], cmp_int_desc);
    printf("desc: first=%d last=%d\n", b[0], b[N - 1]);

    static double d[5000];
    for (int i = 0; i < 5000; i++) d[i] = (double)(int)(next() % 100000) / 7.0 - 5000.0;
    qsort(d, 5000, sizeof d[0], cmp_dbl);
    printf("doubles: %.6f %.6f %.6f\n", d[0], d[2500], d[4999]);

    static char words[2000][10];
    static char *wp[2000];
    for (int i = 0; i < 2000; i++) {
        int len = 3 + (int)(next() % 6);
        for (int j = 0; j < len; j++) words[i][j] = (char)('a' + next() % 26);
        words[i][len] = 0;
        wp[i] = words[i];
    }
    qsort(wp, 2000, sizeof wp[0], cmp_str);
    printf("words: %s %s %s %s\n", wp[0], wp[1], wp[1000], wp[1999]);
    char *key = words[77];
    char **hit = bsearch(&key, wp, 2000, sizeof wp[0], cmp_str);
    printf("word bsearch: %s\n", hit ? *hit : "(none)");

    static const char *names[] = { "ann", "bob", "cy", "dee", "eve", "fay", "gus" };
    struct rec r[300];
    for (int i = 0; i < 300; i++) {
        strcpy(r[i].name, names[next() % 7]);
        r[i].age = 20 + (int)(next() % 10);
        r[i].id = (unsigned)i;
    }
    qsort(r, 300, sizeof r[0], cmp_rec);
    for (int i = 0; i < 300; i += 37) printf("rec %s %d %u\n", r[i].name, r[i].age, r[i].id);
    /* already sorted, reverse sorted, all equal inputs */
    for (int i = 0; i < N; i++) a[i] = i;
    qsort(a, N, sizeof a[0], cmp_int_desc);
    qsort(a, N, sizeof a[0], cmp_int);
    for (int i = 0; i < N; i++) c[i] = 42;
    qsort(c, N, sizeof c[0], cmp_int);
    printf("patterns: %d %d %d %d\n", a[0], a[N - 1], c[0], c[N - 1]);
    return 0;
}
