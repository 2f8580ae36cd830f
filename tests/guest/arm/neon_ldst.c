// guest-cflags: -mfpu=neon
/* VLD1-4/VST1-4 in every form: multiple structures (1-4 registers, both
 * register spacings), one lane, all lanes, each element size, with the
 * alignment qualifiers and post-increment by the size and by a register;
 * an unaligned access with an alignment qualifier gets SIGBUS. */
#include "neon_common.h"
#include <setjmp.h>
#include <signal.h>

uint8_t src[128] __attribute__((aligned(32)));
uint8_t dst[128] __attribute__((aligned(32)));

static void dump(const char *name)
{
    printf("%-20s", name);
    for (int i = 0; i < 64; i++)
        printf("%02x", dst[i]);
    printf("\n");
    memset(dst, 0, sizeof dst);
}

static sigjmp_buf env;
static void on_bus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("signal %d code %d offset %d\n", sig, si->si_code, (int)((uint8_t *)si->si_addr - src));
    siglongjmp(env, 1);
}

/* One asm load/store pair: registers d0-d7 from src+off, back to dst. */
#define LDST(name, ld, st, off)                                              \
    do {                                                                     \
        const uint8_t *s = src + (off);                                      \
        uint8_t *d = dst;                                                    \
        __asm__ volatile("vmov.i8 q0, #0xa5\n vmov.i8 q1, #0xa5\n"           \
                         "vmov.i8 q2, #0xa5\n vmov.i8 q3, #0xa5\n" ld "\n"   \
                         "vst1.8 {d0-d3}, [%1]!\n vst1.8 {d4-d7}, [%1]!\n" st \
                         : "+r"(s), "+r"(d)                                  \
                         :                                                   \
                         : "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",   \
                           "memory");                                        \
        printf("%-20s +%d +%d ", name, (int)(s - src) - (off), (int)(d - dst)); \
        dump("");                                                            \
    } while (0)

int main(void)
{
    for (int i = 0; i < 128; i++)
        src[i] = (uint8_t)(i * 7 + 1);
    OPAQUE();
    LDST("vld1.8 x1", "vld1.8 {d0}, [%0]!", "", 3);
    LDST("vld1.16 x2 @128", "vld1.16 {d0-d1}, [%0:128]!", "", 16);
    LDST("vld1.32 x3 @64", "vld1.32 {d0-d2}, [%0:64]!", "", 8);
    LDST("vld1.64 x4 @256", "vld1.64 {d0-d3}, [%0:256]", "", 32);
    LDST("vld2.8", "vld2.8 {d0-d1}, [%0]!", "", 1);
    LDST("vld2.16 spaced", "vld2.16 {d0,d2}, [%0]!", "", 2);
    LDST("vld2.32 x4", "vld2.32 {d0-d3}, [%0:128]!", "", 16);
    LDST("vld3.8", "vld3.8 {d0-d2}, [%0]!", "", 5);
    LDST("vld3.16 spaced", "vld3.16 {d0,d2,d4}, [%0:64]!", "", 8);
    LDST("vld3.32", "vld3.32 {d1-d3}, [%0]", "", 0);
    LDST("vld4.8", "vld4.8 {d0-d3}, [%0]!", "", 7);
    LDST("vld4.16 spaced", "vld4.16 {d0,d2,d4,d6}, [%0:256]!", "", 32);
    LDST("vld4.32", "vld4.32 {d2-d5}, [%0:128]!", "", 16);
    LDST("vld1.8 lane", "vld1.8 {d0[5]}, [%0]!", "", 9);
    LDST("vld1.16 lane @16", "vld1.16 {d1[3]}, [%0:16]!", "", 2);
    LDST("vld1.32 lane @32", "vld1.32 {d2[1]}, [%0:32]!", "", 4);
    LDST("vld2.8 lane", "vld2.8 {d0[7],d1[7]}, [%0]!", "", 3);
    LDST("vld2.16 lane sp", "vld2.16 {d0[2],d2[2]}, [%0:32]!", "", 4);
    LDST("vld2.32 lane @64", "vld2.32 {d3[1],d4[1]}, [%0:64]!", "", 8);
    LDST("vld3.8 lane", "vld3.8 {d0[1],d1[1],d2[1]}, [%0]!", "", 11);
    LDST("vld3.16 lane sp", "vld3.16 {d0[3],d2[3],d4[3]}, [%0]!", "", 6);
    LDST("vld3.32 lane", "vld3.32 {d1[0],d2[0],d3[0]}, [%0]!", "", 4);
    LDST("vld4.8 lane @32", "vld4.8 {d0[4],d1[4],d2[4],d3[4]}, [%0:32]!", "", 4);
    LDST("vld4.16 lane sp", "vld4.16 {d0[1],d2[1],d4[1],d6[1]}, [%0:64]!", "", 8);
    LDST("vld4.32 lane @128", "vld4.32 {d0[1],d1[1],d2[1],d3[1]}, [%0:128]!", "", 16);
    LDST("vld1.8 dup", "vld1.8 {d0[]}, [%0]!", "", 13);
    LDST("vld1.16 dup x2", "vld1.16 {d0[],d1[]}, [%0:16]!", "", 2);
    LDST("vld1.32 dup", "vld1.32 {d3[]}, [%0:32]!", "", 4);
    LDST("vld2.8 dup", "vld2.8 {d0[],d1[]}, [%0:16]!", "", 2);
    LDST("vld2.32 dup sp", "vld2.32 {d0[],d2[]}, [%0]!", "", 1);
    LDST("vld3.16 dup", "vld3.16 {d0[],d1[],d2[]}, [%0]!", "", 6);
    LDST("vld3.8 dup sp", "vld3.8 {d0[],d2[],d4[]}, [%0]!", "", 1);
    LDST("vld4.8 dup @32", "vld4.8 {d0[],d1[],d2[],d3[]}, [%0:32]!", "", 4);
    LDST("vld4.16 dup sp", "vld4.16 {d0[],d2[],d4[],d6[]}, [%0:64]!", "", 8);
    LDST("vld4.32 dup @128", "vld4.32 {d0[],d1[],d2[],d3[]}, [%0:128]!", "", 16);
    LDST("vld4.32 dup @64", "vld4.32 {d0[],d1[],d2[],d3[]}, [%0:64]!", "", 8);
    /* stores: load d0-d7 from src, then store in each form to dst */
#define ST(name, st)                                                          \
    do {                                                                     \
        uint8_t *d = dst + 3;                                                \
        int step = 5;                                                        \
        __asm__ volatile("vld1.8 {d0-d3}, [%2]!\n vld1.8 {d4-d7}, [%2]\n" st \
                         : "+r"(d)                                           \
                         : "r"(step), "r"(src)                               \
                         : "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",   \
                           "memory");                                        \
        printf("%-20s +%d ", name, (int)(d - dst) - 3);                     \
        dump("");                                                            \
    } while (0)
    ST("vst1.8 x3", "vst1.8 {d1-d3}, [%0]!");
    ST("vst1.64 x4 reg", "vst1.64 {d4-d7}, [%0], %1");
    ST("vst2.8", "vst2.8 {d0-d1}, [%0]!");
    ST("vst2.16 spaced", "vst2.16 {d1,d3}, [%0], %1");
    ST("vst2.32 x4", "vst2.32 {d0-d3}, [%0]!");
    ST("vst3.8", "vst3.8 {d0-d2}, [%0]!");
    ST("vst3.16 spaced", "vst3.16 {d1,d3,d5}, [%0]");
    ST("vst4.8", "vst4.8 {d0-d3}, [%0]!");
    ST("vst4.32 spaced", "vst4.32 {d0,d2,d4,d6}, [%0]!");
    ST("vst1.8 lane", "vst1.8 {d3[6]}, [%0]!");
    ST("vst1.32 lane", "vst1.32 {d5[1]}, [%0], %1");
    ST("vst2.16 lane", "vst2.16 {d2[1],d3[1]}, [%0]!");
    ST("vst3.32 lane sp", "vst3.32 {d0[1],d2[1],d4[1]}, [%0]!");
    ST("vst4.8 lane", "vst4.8 {d4[7],d5[7],d6[7],d7[7]}, [%0]!");
    ST("vst4.16 lane sp", "vst4.16 {d0[0],d2[0],d4[0],d6[0]}, [%0]!");
    /* alignment faults */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGBUS, &sa, 0);
    static const char *what[] = {"vld1 @128 at +8", "vst2 @64 at +4", "vld4 lane @32 at +2",
                                 "vld1 dup @16 at +1"};
    for (int k = 0; k < 4; k++) {
        if (sigsetjmp(env, 1) == 0) {
            const uint8_t *p = src;
            switch (k) {
            case 0:
                p += 8;
                __asm__ volatile("vld1.8 {d0-d1}, [%0:128]" ::"r"(p) : "d0", "d1", "memory");
                break;
            case 1:
                p += 4;
                __asm__ volatile("vst2.8 {d0-d1}, [%0:64]" ::"r"(p) : "memory");
                break;
            case 2:
                p += 2;
                __asm__ volatile("vld4.8 {d0[1],d1[1],d2[1],d3[1]}, [%0:32]" ::"r"(p)
                                 : "d0", "d1", "d2", "d3", "memory");
                break;
            default:
                p += 1;
                __asm__ volatile("vld1.16 {d0[]}, [%0:16]" ::"r"(p) : "d0", "memory");
                break;
            }
            printf("%s: no fault\n", what[k]);
        } else {
            printf("%s: faulted\n", what[k]);
        }
    }
    return 0;
}
