/* setjmp/longjmp: jumps out of nested calls, repeated jumps to the same
 * buffer, volatile locals preserved, sigsetjmp without signal mask. */
#include <stdio.h>
#include <setjmp.h>

static jmp_buf env;
static int depth_reached;

__attribute__((noinline)) static void dive(int n, int limit)
{
    volatile char pad[64];
    pad[n % 64] = (char)n;
    depth_reached = n + pad[n % 64] * 0;
    if (n == limit) longjmp(env, limit);
    dive(n + 1, limit);
}

static jmp_buf loop_env;
static int loops;

__attribute__((noinline)) static double fp_work(double x)
{
    /* callee-saved FP registers (d8-d15 on AArch64) must be restored */
    double a = x * 2, b = x * 3, c = x * 4, d = x * 5;
    if (loops < 3) { loops++; longjmp(loop_env, loops); }
    return a + b + c + d;
}

int main(void)
{
    int r = setjmp(env);
    if (r == 0) {
        dive(0, 1000);
        printf("not reached\n");
    } else {
        printf("longjmp returned %d, depth %d\n", r, depth_reached);
    }
    volatile int counter = 0;
    volatile double keep = 1.5;
    register double live = 2.25;
    int v = setjmp(loop_env);
    counter++;
    keep *= 2;
    printf("setjmp=%d counter=%d keep=%g live=%g\n", v, counter, keep, live);
    if (v < 3) {
        double res = fp_work(keep);
        printf("unexpected %g\n", res);
    }
    loops = 99;
    printf("fp_work=%g\n", fp_work(1.0));

    sigjmp_buf senv;
    volatile int tries = 0;
    if (sigsetjmp(senv, 0) < 5) {
        tries++;
        siglongjmp(senv, tries);
    }
    printf("sigsetjmp tries=%d\n", tries);

    /* longjmp with value 0 makes setjmp return 1 */
    jmp_buf zenv;
    volatile int first = 1;
    int z = setjmp(zenv);
    if (first) { first = 0; longjmp(zenv, 0); }
    printf("longjmp(0) -> %d\n", z);
    return 0;
}
