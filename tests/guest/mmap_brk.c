/* Address-space syscalls: sbrk/brk growth and shrink, anonymous mmap
 * (private and shared), file-backed mmap with MAP_SHARED writes visible
 * through read(), munmap of a middle part, mprotect round trips, mremap
 * growth with MAYMOVE, madvise(DONTNEED) zeroing, MAP_FIXED replacement,
 * msync, and error returns. No addresses are printed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/mman.h>

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t P = (size_t)pg;

    /* stdio allocates its buffer on first use: do that before measuring
     * the break, and print nothing until the measurements are done */
    printf("page size is a power of two: %d\n", (P & (P - 1)) == 0);
    fflush(stdout);
    char *b0 = sbrk(0);
    char *b1 = sbrk(100000);
    char *b2 = sbrk(0);
    memset(b1, 0x5a, 100000);
    int okb = 1;
    for (int i = 0; i < 100000; i += 999) okb &= b1[i] == 0x5a;
    sbrk(-50000);
    char *b3 = sbrk(0);
    int brk_r = brk(b3);
    int brk_same = sbrk(0) == b3;
    printf("sbrk grow ok=%d delta=%ld\n", b1 == b0, (long)(b2 - b0));
    printf("brk memory ok=%d shrink delta=%ld\n", okb, (long)(b3 - b0));
    printf("brk(current)=%d same=%d\n", brk_r, brk_same);

    size_t len = 16 * P;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap anon ok=%d aligned=%d\n", m != MAP_FAILED, ((uintptr_t)m % P) == 0);
    int zero = 1;
    for (size_t i = 0; i < len; i += 64) zero &= m[i] == 0;
    printf("anon zero=%d\n", zero);
    for (size_t i = 0; i < len; i++) m[i] = (unsigned char)(i / P);
    printf("munmap middle=%d\n", munmap(m + 4 * P, 2 * P));
    printf("tail intact=%d head intact=%d\n", m[7 * P] == 7 && m[len - 1] == 15, m[3 * P + 5] == 3);
    printf("mprotect ro=%d\n", mprotect(m, 4 * P, PROT_READ));
    printf("read after ro=%d\n", m[P * 2]);
    printf("mprotect rw=%d\n", mprotect(m, 4 * P, PROT_READ | PROT_WRITE));
    m[0] = 99;
    printf("write after rw=%d\n", m[0]);
    printf("madvise dontneed=%d\n", madvise(m + 8 * P, 2 * P, MADV_DONTNEED));
    printf("after dontneed=%d,%d (other page %d)\n", m[8 * P], m[9 * P + 100], m[10 * P]);

    unsigned char *g = mremap(m + 10 * P, 6 * P, 32 * P, MREMAP_MAYMOVE);
    printf("mremap ok=%d kept=%d,%d\n", g != MAP_FAILED, g[0], g[5 * P]);
    memset(g + 6 * P, 0xcc, 26 * P);
    printf("mremap new area=%d\n", g[31 * P + 1]);
    munmap(g, 32 * P);
    unsigned char *s = mremap(m, 4 * P, P, 0);
    printf("mremap shrink ok=%d value=%d\n", s == m, s[0]);
    munmap(m, P);
    munmap(m + 6 * P, 4 * P);

    /* MAP_FIXED over our own mapping replaces its contents */
    unsigned char *f = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(f, 1, 4 * P);
    unsigned char *f2 = mmap(f + P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("map fixed same=%d contents=%d,%d,%d\n", f2 == f + P, f[0], f[P], f[2 * P]);
    munmap(f, 4 * P);

    /* shared anonymous */
    int *sh = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sh[10] = 1234;
    printf("shared anon=%d\n", sh[10]);
    munmap(sh, P);

    /* file-backed */
    char path[] = "/tmp/mimic-mmap-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    char data[3 * 4096];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)('A' + i % 26);
    write(fd, data, sizeof data);
    char *fm = mmap(NULL, sizeof data, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("file map private=%d first=%c last=%c same=%d\n", fm != MAP_FAILED, fm[0], fm[sizeof data - 1],
           memcmp(fm, data, sizeof data) == 0);
    munmap(fm, sizeof data);
    char *fw = mmap(NULL, sizeof data, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    memcpy(fw + 100, "SHARED-WRITE", 12);
    printf("msync=%d\n", msync(fw, sizeof data, MS_SYNC));
    char back[12];
    pread(fd, back, 12, 100);
    printf("shared write visible=%.12s\n", back);
    munmap(fw, sizeof data);
    char *fo = mmap(NULL, P, PROT_READ, MAP_PRIVATE, fd, (off_t)P);
    printf("offset map first=%c\n", fo[0]);
    munmap(fo, P);
    close(fd);

    errno = 0;
    void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap len0 failed=%d einval=%d\n", bad == MAP_FAILED, errno == EINVAL);
    errno = 0;
    bad = mmap(NULL, P, PROT_READ, MAP_PRIVATE, 12345, 0);
    printf("mmap badfd failed=%d ebadf=%d\n", bad == MAP_FAILED, errno == EBADF);
    errno = 0;
    int r = munmap((void *)((uintptr_t)m + 1), P);
    printf("munmap unaligned=%d einval=%d\n", r, errno == EINVAL);
    errno = 0;
    r = mprotect((void *)((uintptr_t)m + 1), P, PROT_READ);
    printf("mprotect unaligned=%d einval=%d\n", r, errno == EINVAL);

    /* many small maps and unmaps */
    void *maps[200];
    for (int i = 0; i < 200; i++) { maps[i] = mmap(NULL, P * (size_t)(1 + i % 5), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); ((char *)maps[i])[0] = (char)i; }
    int okm = 1;
    for (int i = 0; i < 200; i++) { okm &= ((char *)maps[i])[0] == (char)i; munmap(maps[i], P * (size_t)(1 + i % 5)); }
    printf("many maps ok=%d\n", okm);
    return 0;
}
