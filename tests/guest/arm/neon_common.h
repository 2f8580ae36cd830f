/* Shared by the NEON guest programs: input vectors the compiler cannot
 * fold (globals behind a memory clobber), printing of D and Q values as
 * hex, and FPSCR.QC read-and-clear. */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OPAQUE() __asm__ volatile("" ::: "memory")

#define PD(name, v)                                                          \
    do {                                                                     \
        __typeof__(v) _v = (v);                                              \
        uint64_t _x;                                                         \
        memcpy(&_x, &_v, 8);                                                 \
        printf("%-28s %016llx\n", name, (unsigned long long)_x);            \
    } while (0)
#define PQ(name, v)                                                          \
    do {                                                                     \
        __typeof__(v) _v = (v);                                              \
        uint64_t _x[2];                                                      \
        memcpy(_x, &_v, 16);                                                 \
        printf("%-28s %016llx%016llx\n", name, (unsigned long long)_x[1],   \
               (unsigned long long)_x[0]);                                  \
    } while (0)

static inline unsigned get_fpscr(void)
{
    unsigned v;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(v));
    return v;
}
static inline void set_fpscr(unsigned v)
{
    __asm__ volatile("vmsr fpscr, %0" ::"r"(v));
}
/* Prints and clears FPSCR.QC and the cumulative FP exception flags. */
static inline void flags(const char *what)
{
    unsigned v = get_fpscr();
    printf("%-28s qc=%u exc=%02x\n", what, (v >> 27) & 1, v & 0x9f);
    set_fpscr(v & ~0x0800009fu);
}
