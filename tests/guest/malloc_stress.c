/* malloc/calloc/realloc/free stress: many sizes from bytes to megabytes
 * (brk heap and mmap'd chunks), random free order, realloc growth and
 * shrink with content checks, posix_memalign/aligned_alloc alignment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static uint64_t s = 88172645463325252ULL;
static uint64_t rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }

/* blocks over 1 KiB: touch the first and last 128 bytes and one byte per 512 */
#define FOR_TOUCHED(i, n, body) do { \
    if ((n) <= 1024) { for (size_t i = 0; i < (n); i++) { body; } break; } \
    for (size_t i = 0; i < 128; i++) { body; } \
    for (size_t i = 128; i < (n) - 128; i += 512) { body; } \
    for (size_t i = (n) - 128; i < (n); i++) { body; } \
} while (0)
static void fill(unsigned char *p, size_t n, unsigned tag) { FOR_TOUCHED(i, n, p[i] = (unsigned char)(tag + i * 13)); }
static int check(const unsigned char *p, size_t n, unsigned tag) { FOR_TOUCHED(i, n, if (p[i] != (unsigned char)(tag + i * 13)) return 0); return 1; }
static int check_zero(const unsigned char *p, size_t n) { FOR_TOUCHED(i, n, if (p[i]) return 0); return 1; }
/* after realloc: only the bytes every fill() writes whatever the size */
static int check_kept(const unsigned char *p, size_t n, size_t oldn, unsigned tag)
{
#define K(i) do { if ((i) < n && p[i] != (unsigned char)(tag + (i) * 13)) return 0; } while (0)
    if (oldn <= 1024) { for (size_t i = 0; i < n; i++) K(i); return 1; }
    for (size_t i = 0; i < 128; i++) K(i);
    for (size_t i = 128; i < oldn - 128 && i < n; i += 512) K(i);
    for (size_t i = oldn - 128; i < oldn && i < n; i++) K(i);
    return 1;
#undef K
}

int main(void)
{
    enum { SLOTS = 512 };
    static unsigned char *ptr[SLOTS];
    static size_t size[SLOTS];
    static unsigned tag[SLOTS];
    unsigned bad = 0, allocs = 0, frees = 0, reallocs = 0;
    for (int round = 0; round < 3000; round++) {
        unsigned i = (unsigned)(rnd() % SLOTS);
        if (ptr[i]) {
            if (!check(ptr[i], size[i], tag[i])) bad++;
            if (rnd() % 3 == 0) {
                size_t ns = (size_t)(rnd() % 3 ? rnd() % 4096 : rnd() % 100000) + 1;
                unsigned char *np = realloc(ptr[i], ns);
                if (!np) { printf("realloc failed\n"); return 1; }
                size_t keep = ns < size[i] ? ns : size[i];
                if (!check_kept(np, keep, size[i], tag[i])) bad++;
                fill(np, ns, tag[i]);
                ptr[i] = np; size[i] = ns; reallocs++;
            } else {
                free(ptr[i]); ptr[i] = NULL; frees++;
            }
        } else {
            size_t n;
            switch (rnd() % 8) {
            case 0: n = rnd() % 16 + 1; break;
            case 1: case 2: case 3: n = rnd() % 512 + 1; break;
            case 4: case 5: n = rnd() % 8192 + 1; break;
            case 6: n = rnd() % 200000 + 1; break;
            default: n = (size_t)(rnd() % 3 + 1) << 20; break; /* 1-3 MiB: mmap threshold */
            }
            if (rnd() % 4 == 0) {
                ptr[i] = calloc(1, n);
                if (ptr[i] && !check_zero(ptr[i], n)) bad++;
            } else {
                ptr[i] = malloc(n);
            }
            if (!ptr[i]) { printf("malloc(%zu) failed\n", n); return 1; }
            if (((uintptr_t)ptr[i] & 15) != 0) bad++;
            tag[i] = (unsigned)rnd();
            size[i] = n;
            fill(ptr[i], n, tag[i]);
            allocs++;
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (ptr[i] && !check(ptr[i], size[i], tag[i])) bad++;
        free(ptr[i]);
    }
    printf("allocs=%u frees=%u reallocs=%u bad=%u\n", allocs, frees, reallocs, bad);

    /* realloc growth one byte at a time, then shrink */
    char *str = NULL;
    size_t len = 0;
    for (int i = 0; i < 5000; i++) {
        str = realloc(str, len + 2);
        str[len++] = (char)('a' + i % 26);
        str[len] = 0;
    }
    unsigned long h = 0;
    for (size_t i = 0; i < len; i++) h = h * 31 + (unsigned char)str[i];
    str = realloc(str, 11);
    str[10] = 0;
    printf("grown len=%zu hash=%lu head=%s\n", len, h, str);
    free(str);

    /* alignment APIs */
    unsigned misaligned = 0;
    for (size_t al = 16; al <= 65536; al *= 4) {
        void *p = NULL;
        if (posix_memalign(&p, al, 1000) != 0 || ((uintptr_t)p % al) != 0) misaligned++;
        free(p);
        p = aligned_alloc(al, al * 2);
        if (!p || ((uintptr_t)p % al) != 0) misaligned++;
        free(p);
    }
    printf("misaligned=%u\n", misaligned);
    /* a big calloc that must come back zeroed (mmap path) and be writable */
    size_t big = 8u << 20;
    unsigned char *bp = calloc(big, 1);
    unsigned long nz = 0;
    for (size_t i = 0; i < big; i += 4096) nz += bp[i];
    for (size_t i = 0; i < big; i += 4096) bp[i] = (unsigned char)i;
    bp = realloc(bp, big * 2);
    for (size_t i = 0; i < big; i += 4096) nz += bp[i] != (unsigned char)i;
    free(bp);
    printf("big nonzero=%lu\n", nz);
    return bad != 0;
}
