/* string.h over many lengths and alignments, checked against simple byte
 * loops. glibc's AArch64 versions use AdvSIMD and read whole aligned
 * chunks, so strings also end right before an inaccessible page. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 23, 24, 25,
                               31, 32, 33, 39, 40, 47, 48, 49, 55, 63, 64, 65, 79, 95, 96, 97, 127, 128, 129, 200,
                               255, 256, 257, 511, 512, 513, 1000, 4095, 4096, 4097 };
#define NL (sizeof(lens) / sizeof(lens[0]))
static const size_t dalign[] = { 0, 1, 3, 7, 8, 15 };
#define NDA (sizeof(dalign) / sizeof(dalign[0]))

static unsigned char srcbuf[8192 + 64], dstbuf[8192 + 64], refbuf[8192 + 64];
static unsigned errors;
static unsigned long checks;

static void fail(const char *what, size_t len, size_t a, size_t b)
{
    if (errors++ < 20) printf("FAIL %s len=%zu align=%zu/%zu\n", what, len, a, b);
}

static int sgn(int x) { return (x > 0) - (x < 0); }

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) { seed = seed * 1103515245u + 12345u; p[i] = (unsigned char)(seed >> 16); }
}

static void test_mem(void)
{
    for (size_t li = 0; li < NL; li++) {
        size_t len = lens[li];
        for (size_t sa = 0; sa < 16; sa++)
            for (size_t di = 0; di < NDA; di++) {
                size_t da = dalign[di];
                size_t span = len + 64; /* bytes around the operation that are checked */
                fill(srcbuf, sa + span, (unsigned)(len * 31 + sa));
                memset(dstbuf, 0xee, da + span);
                memcpy(dstbuf + da, srcbuf + sa, len);
                checks++;
                for (size_t i = 0; i < len + 40; i++) {
                    unsigned char want = i < len ? srcbuf[sa + i] : 0xee;
                    if (dstbuf[da + i] != want) { fail("memcpy", len, sa, da); break; }
                }
                if (da > 0 && dstbuf[da - 1] != 0xee) fail("memcpy-under", len, sa, da);
                /* memcmp equal, then differ at the last byte and at the first */
                if (memcmp(dstbuf + da, srcbuf + sa, len) != 0) fail("memcmp-eq", len, sa, da);
                if (len) {
                    dstbuf[da + len - 1] ^= 0x80;
                    int want = (dstbuf[da + len - 1] > srcbuf[sa + len - 1]) ? 1 : -1;
                    if (sgn(memcmp(dstbuf + da, srcbuf + sa, len)) != want) fail("memcmp-last", len, sa, da);
                    dstbuf[da] = (unsigned char)(srcbuf[sa] + 1);
                    want = (srcbuf[sa] == 0xff) ? -1 : 1;
                    if (len == 1 && srcbuf[sa] == 0xff) want = -1;
                    if (sgn(memcmp(dstbuf + da, srcbuf + sa, len)) != want) fail("memcmp-first", len, sa, da);
                }
                /* memset */
                int c = (int)(len * 7 + sa) & 0xff;
                memset(dstbuf + da, c, len);
                for (size_t i = 0; i < len; i++)
                    if (dstbuf[da + i] != (unsigned char)c) { fail("memset", len, sa, da); break; }
                if (dstbuf[da + len] == (unsigned char)c && c != 0xee) fail("memset-over", len, sa, da);
                /* memchr: find a byte planted at the end */
                fill(dstbuf, len + da + 1, 7);
                for (size_t i = 0; i < len + da; i++) if (dstbuf[i] == 0x5a) dstbuf[i] = 0x5b;
                if (len) dstbuf[da + len - 1] = 0x5a;
                void *p = memchr(dstbuf + da, 0x5a, len);
                if (len ? p != dstbuf + da + len - 1 : p != NULL) fail("memchr", len, sa, da);
                if (len && memrchr(dstbuf + da, 0x5a, len) != dstbuf + da + len - 1) fail("memrchr", len, sa, da);
            }
    }
}

static void test_memmove(void)
{
    static const int shifts[] = { -33, -17, -16, -8, -3, -1, 1, 2, 5, 8, 15, 16, 31, 64, 100 };
    for (size_t li = 0; li < NL; li++) {
        size_t len = lens[li];
        for (size_t s = 0; s < sizeof(shifts) / sizeof(shifts[0]); s++) {
            size_t src = 200, dst = (size_t)((long)src + shifts[s]);
            size_t span = len + 500; /* covers src, dst and the checked tail */
            fill(dstbuf, span, (unsigned)len);
            memcpy(refbuf, dstbuf, span);
            for (size_t i = 0; i < len; i++) refbuf[dst + i] = dstbuf[src + i]; /* reference from untouched copy */
            memmove(dstbuf + dst, dstbuf + src, len);
            checks++;
            if (memcmp(dstbuf, refbuf, len + 400) != 0) fail("memmove", len, src, dst);
        }
    }
}

static void test_str(void)
{
    for (size_t li = 0; li < NL; li++) {
        size_t len = lens[li];
        for (size_t a = 0; a < 16; a++) {
            char *s = (char *)srcbuf + a;
            for (size_t i = 0; i < len; i++) s[i] = (char)('A' + (i * 7 + a) % 50);
            s[len] = 0;
            checks++;
            if (strlen(s) != len) fail("strlen", len, a, 0);
            if (strnlen(s, len / 2) != len / 2) fail("strnlen", len, a, 0);
            if (len) {
                char last = s[len - 1];
                char *want = s;
                while (*want != last) want++;
                if (strchr(s, last) != want) fail("strchr", len, a, 0);
                char *rw = s + len - 1;
                if (strrchr(s, s[0]) != (char *)memrchr(s, s[0], len)) fail("strrchr", len, a, 0);
                (void)rw;
            }
            if (strchr(s, '~') != NULL) fail("strchr-miss", len, a, 0);
            if (strchr(s, 0) != s + len) fail("strchr-nul", len, a, 0);
            char *d = (char *)dstbuf + (a * 5) % 16;
            memset(dstbuf, 'x', len + 64);
            if (strcpy(d, s) != d || strcmp(d, s) != 0) fail("strcpy/strcmp", len, a, 0);
            if (stpcpy(d, s) != d + len) fail("stpcpy", len, a, 0);
            if (len) {
                d[len - 1]++;
                if (strcmp(d, s) <= 0 || strcmp(s, d) >= 0) fail("strcmp-order", len, a, 0);
                if (strncmp(d, s, len - 1) != 0) fail("strncmp", len, a, 0);
                d[len - 1]--;
            }
            memset(d, 'y', len + 3);
            if (strncpy(d, s, len + 2) != d || d[len] != 0 || d[len + 1] != 0 || d[len + 2] != 'y') fail("strncpy", len, a, 0);
            if (len < 1000) {
                strcpy(d, "prefix:");
                strcat(d, s);
                if (strlen(d) != len + 7 || strncmp(d + 7, s, len) != 0) fail("strcat", len, a, 0);
                if (len > 4 && strstr(d, s + len - 4) != d + 7 + len - 4) {
                    /* earlier occurrence possible: check against a naive search */
                    char *n = d;
                    while (strncmp(n, s + len - 4, 4) != 0) n++;
                    if (strstr(d, s + len - 4) != n) fail("strstr", len, a, 0);
                }
            }
        }
    }
}

/* strings that end exactly at the end of a readable page */
static void test_page_end(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { printf("mmap failed\n"); return; }
    if (mprotect(m + pg, (size_t)pg, PROT_NONE) != 0) { printf("mprotect failed\n"); return; }
    unsigned char *end = m + pg;
    for (size_t len = 0; len < 80; len++) {
        char *s = (char *)end - len - 1;
        memset(s, 'q', len);
        s[len] = 0;
        checks++;
        if (strlen(s) != len) fail("page-strlen", len, 0, 0);
        if (strchr(s, 'z') != NULL) fail("page-strchr", len, 0, 0);
        if (strcmp(s, s) != 0) fail("page-strcmp", len, 0, 0);
        if (memchr(s, 'z', len + 1) != NULL) fail("page-memchr", len, 0, 0);
        if (rawmemchr(s, 0) != s + len) fail("page-rawmemchr", len, 0, 0);
        char tmp[128];
        strcpy(tmp, s);
        if (strlen(tmp) != len) fail("page-strcpy", len, 0, 0);
        if (memcmp(s, tmp, len + 1) != 0) fail("page-memcmp", len, 0, 0);
    }
    munmap(m, (size_t)pg * 2);
}

int main(void)
{
    test_mem();
    test_memmove();
    test_str();
    test_page_end();
    /* misc with printed results */
    printf("strspn=%zu strcspn=%zu strpbrk=%s\n", strspn("aabbcdef", "ab"), strcspn("hello, world", ",! "),
           strpbrk("key=value;x", "=;"));
    char tok[] = "alpha, beta,,gamma ;delta";
    char *save = NULL;
    for (char *t = strtok_r(tok, ", ;", &save); t; t = strtok_r(NULL, ", ;", &save)) printf("tok:%s\n", t);
    printf("strcasecmp=%d strncasecmp=%d\n", sgn(strcasecmp("HeLLo", "hello")), sgn(strncasecmp("abcX", "ABCy", 4)));
    char *dup = strndup("duplicate me", 9);
    printf("strndup=%s\n", dup);
    free(dup);
    printf("checks=%lu errors=%u\n", checks, errors);
    return errors != 0;
}
