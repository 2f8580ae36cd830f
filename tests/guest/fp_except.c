/* Floating-point exception flags: each operation's raised flags read back
 * with fetestexcept, feraiseexcept/feclearexcept, fegetenv/fesetenv,
 * feholdexcept/feupdateenv. Only clear-cut cases (no tininess edge).
 * -frounding-math keeps gcc from folding calls such as rint(2.5). */
// guest-cflags: -frounding-math
#include <stdio.h>
#include <fenv.h>
#include <math.h>

static volatile double twohalf = 2.5, minus_one = -1.0, zero = 0.0, one = 1.0, two = 2.0, three = 3.0, dmax = 1.7976931348623157e308, tiny = 1e-300;
static volatile float fone = 1.0f, fthree = 3.0f, fmax_ = 3.4e38f;

static void show(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%-22s%s%s%s%s%s%s\n", what, f ? "" : " none", (f & FE_INVALID) ? " invalid" : "",
           (f & FE_DIVBYZERO) ? " divbyzero" : "", (f & FE_OVERFLOW) ? " overflow" : "",
           (f & FE_UNDERFLOW) ? " underflow" : "", (f & FE_INEXACT) ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

static volatile double sink;
static volatile float fsink;
static volatile long lsink;

int main(void)
{
    feclearexcept(FE_ALL_EXCEPT);
    show("initial");
    sink = one + two; show("1+2");
    sink = one / three; show("1/3");
    sink = one / zero; show("1/0");
    sink = zero / zero; show("0/0");
    sink = dmax * two; show("max*2");
    sink = tiny * tiny; show("tiny*tiny");
    sink = sqrt(-one); show("sqrt(-1)");
    sink = sqrt(two * two); show("sqrt(4)");
    sink = sqrt(two); show("sqrt(2)");
    fsink = fone / fthree; show("1f/3f");
    fsink = fmax_ * (float)two; show("fmax*2");
    fsink = (float)dmax; show("(float)dmax");
    fsink = (float)(one / three); show("(float)(1/3)");
    sink = (double)(fone / fthree); show("float->double");
    lsink = lrint(twohalf); show("lrint(2.5)");
    lsink = lrint(two); show("lrint(2.0)");
    sink = rint(twohalf); show("rint(2.5)");
    sink = nearbyint(twohalf); show("nearbyint(2.5)");
    sink = log(zero); show("log(0)");
    sink = log(-one); show("log(-1)");
    sink = exp(1000.0 * one); show("exp(1000)");
    sink = fma(one, two, three); show("fma(1,2,3)");
    sink = fmod(one, zero); show("fmod(1,0)");
    sink = (double)(long)(two * 1e9); show("long->double exact");
    sink = (double)(9007199254740993LL + (long)zero); show("long->double inexact");

    feraiseexcept(FE_OVERFLOW | FE_INEXACT); show("raise overflow|inexact");
    feraiseexcept(FE_INVALID);
    fexcept_t saved;
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    fesetexceptflag(&saved, FE_ALL_EXCEPT); show("restored flag");

    fenv_t env;
    sink = one / zero;
    feholdexcept(&env); show("after hold");
    sink = one / three;
    feupdateenv(&env); show("after update");

    fesetround(FE_UPWARD);
    fegetenv(&env);
    fesetround(FE_TONEAREST);
    fesetenv(&env);
    printf("env round upward=%d\n", fegetround() == FE_UPWARD);
    fesetenv(FE_DFL_ENV);
    printf("dfl round nearest=%d\n", fegetround() == FE_TONEAREST);
    show("dfl env");
    return 0;
}
