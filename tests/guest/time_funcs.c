/* Time: clock_gettime on several clocks succeeds and is monotonic,
 * clock_getres, gettimeofday, time(), nanosleep/clock_nanosleep sleep at
 * least as asked, and calendar conversions of fixed timestamps (gmtime_r,
 * timegm, mktime/localtime with TZ=UTC0, strftime, difftime). Only facts
 * that do not depend on the current time are printed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>
#include <stdint.h>

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

int main(void)
{
    static const struct { clockid_t id; const char *name; } clocks[] = {
        { CLOCK_REALTIME, "REALTIME" }, { CLOCK_MONOTONIC, "MONOTONIC" }, { CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" },
        { CLOCK_BOOTTIME, "BOOTTIME" }, { CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME" },
        { CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME" }, { CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
        { CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" },
    };
    for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        struct timespec a, b, res;
        int r1 = clock_gettime(clocks[i].id, &a);
        volatile unsigned long spin = 0;
        for (int k = 0; k < 100000; k++) spin += (unsigned long)k;
        int r2 = clock_gettime(clocks[i].id, &b);
        int r3 = clock_getres(clocks[i].id, &res);
        printf("%-16s gettime=%d,%d nsec_ok=%d nondecreasing=%d getres=%d res_ok=%d\n", clocks[i].name, r1, r2,
               a.tv_nsec >= 0 && a.tv_nsec < 1000000000, ns(b) >= ns(a), r3,
               res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 100000000);
    }
    struct timespec m0, m1, r0;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    clock_gettime(CLOCK_REALTIME, &r0);
    printf("realtime after 2020: %d\n", r0.tv_sec > 1577836800);
    struct timeval tv;
    int g = gettimeofday(&tv, NULL);
    printf("gettimeofday=%d usec_ok=%d close_to_realtime=%d\n", g, tv.tv_usec >= 0 && tv.tv_usec < 1000000,
           tv.tv_sec - r0.tv_sec >= 0 && tv.tv_sec - r0.tv_sec < 5);
    // time() reads the coarse realtime clock, which may lag CLOCK_REALTIME
    // by a tick: just after a second boundary it can be one second behind.
    time_t t = time(NULL);
    printf("time close=%d\n", t - r0.tv_sec >= -1 && t - r0.tv_sec < 5);
    struct timespec req = { 0, 20 * 1000 * 1000 }, rem = { 0, 0 };
    int s = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    printf("nanosleep=%d slept_enough=%d\n", s, ns(m1) - ns(m0) >= 20000000);
    struct timespec before, after, rel = { 0, 5 * 1000 * 1000 };
    clock_gettime(CLOCK_MONOTONIC, &before);
    int cn = clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    struct timespec abs_t = after;
    abs_t.tv_nsec += 5000000;
    if (abs_t.tv_nsec >= 1000000000) { abs_t.tv_sec++; abs_t.tv_nsec -= 1000000000; }
    int ca = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_t, NULL);
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("clock_nanosleep rel=%d ok=%d abs=%d ok=%d\n", cn, ns(after) - ns(before) >= 5000000, ca, ns(end) >= ns(abs_t));
    struct tms tm_;
    clock_t ck = times(&tm_);
    printf("times ok=%d clock ok=%d clk_tck=%ld\n", ck != (clock_t)-1, clock() != (clock_t)-1, sysconf(_SC_CLK_TCK));

    /* calendar arithmetic on fixed instants */
    setenv("TZ", "UTC0", 1);
    tzset();
    time_t fixed[] = { 0, 951782400 /* 2000-02-29 */, 1234567890, 2147483647, 2147483648LL, 4102444800LL, -86400 };
    for (unsigned i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        struct tm tmv, lt;
        gmtime_r(&fixed[i], &tmv);
        localtime_r(&fixed[i], &lt);
        char buf[128];
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a %b %j %U %u %Z", &tmv);
        time_t back = timegm(&tmv), back2 = mktime(&lt);
        printf("%lld -> %s wday=%d yday=%d isdst=%d timegm=%lld mktime=%lld\n", (long long)fixed[i], buf, tmv.tm_wday,
               tmv.tm_yday, lt.tm_isdst, (long long)back, (long long)back2);
    }
    struct tm norm = { .tm_year = 123, .tm_mon = 13, .tm_mday = 35, .tm_hour = 25, .tm_min = 61, .tm_sec = 61 };
    time_t nt = timegm(&norm);
    printf("normalized: %lld %04d-%02d-%02d %02d:%02d:%02d\n", (long long)nt, norm.tm_year + 1900, norm.tm_mon + 1,
           norm.tm_mday, norm.tm_hour, norm.tm_min, norm.tm_sec);
    char abuf[64];
    struct tm ex;
    gmtime_r(&fixed[2], &ex);
    asctime_r(&ex, abuf);
    printf("asctime: %s", abuf);
    printf("difftime=%g\n", difftime(fixed[3], fixed[2]));
    return 0;
}
