/* Process facts that are stable across machines: ids are positive and
 * consistent, uname's sysname, getrlimit/prlimit, sysconf page size is a
 * power of two, sched_getaffinity has a CPU, getrandom fills buffers,
 * sysinfo works, getcwd/chdir. Values themselves are not printed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sched.h>
#include <sys/utsname.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <stdlib.h>

int main(void)
{
    pid_t pid = getpid(), ppid = getppid();
    long tid = syscall(SYS_gettid);
    printf("pid>0=%d ppid>0=%d tid==pid=%d pgid consistent=%d sid consistent=%d\n", pid > 0, ppid > 0, tid == pid, getpgid(0) == getpgrp(),
           getsid(0) == getsid(pid));
    printf("uid==euid=%d gid==egid=%d\n", getuid() == geteuid(), getgid() == getegid());
    gid_t groups[64];
    int ng = getgroups(64, groups);
    printf("getgroups>=0=%d\n", ng >= 0);
    struct utsname u;
    int r = uname(&u);
    printf("uname=%d sysname=%s release_nonempty=%d machine_nonempty=%d\n", r, u.sysname, u.release[0] != 0,
           u.machine[0] != 0);
    char host[256];
    printf("gethostname=%d\n", gethostname(host, sizeof host));
    long pg = sysconf(_SC_PAGESIZE);
    printf("pagesize pow2=%d >=4096=%d getpagesize_same=%d\n", pg > 0 && (pg & (pg - 1)) == 0, pg >= 4096,
           getpagesize() == pg);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("ncpu>=1=%d\n", ncpu >= 1);
    cpu_set_t set;
    CPU_ZERO(&set);
    r = sched_getaffinity(0, sizeof set, &set);
    printf("sched_getaffinity=%d count>=1=%d\n", r, CPU_COUNT(&set) >= 1);
    printf("sched_yield=%d\n", sched_yield());
    struct rlimit rl;
    r = getrlimit(RLIMIT_STACK, &rl);
    printf("getrlimit stack=%d cur>0=%d cur<=max=%d\n", r, rl.rlim_cur > 0,
           rl.rlim_max == RLIM_INFINITY || rl.rlim_cur <= rl.rlim_max);
    r = getrlimit(RLIMIT_NOFILE, &rl);
    printf("getrlimit nofile=%d cur>=64=%d\n", r, rl.rlim_cur >= 64);
    struct rlimit old;
    r = prlimit(0, RLIMIT_CORE, NULL, &old);
    printf("prlimit=%d\n", r);
    struct rusage ru;
    printf("getrusage=%d\n", getrusage(RUSAGE_SELF, &ru));
    struct sysinfo si;
    r = sysinfo(&si);
    printf("sysinfo=%d totalram>0=%d\n", r, si.totalram > 0);

    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    ssize_t g1 = getrandom(a, sizeof a, 0);
    ssize_t g2 = getrandom(b, sizeof b, GRND_NONBLOCK);
    int nz = 0;
    for (int i = 0; i < 64; i++) nz += a[i] != 0;
    printf("getrandom=%zd,%zd differ=%d mostly_nonzero=%d\n", g1, g2, memcmp(a, b, 64) != 0, nz > 32);
    int ge = getentropy(a, 32);
    printf("getentropy=%d\n", ge);

    char cwd[4096], cwd2[4096];
    char *c1 = getcwd(cwd, sizeof cwd);
    printf("getcwd ok=%d absolute=%d\n", c1 != NULL, cwd[0] == '/');
    r = chdir("/");
    char *c2 = getcwd(cwd2, sizeof cwd2);
    printf("chdir=%d cwd=%s\n", r, c2 ? cwd2 : "(null)");
    errno = 0;
    r = chdir("/nonexistent-dir-for-mimic-test");
    printf("chdir missing=%d enoent=%d\n", r, errno == ENOENT);
    printf("isatty(devnull stdin)=%d\n", isatty(0));
    mode_t old_mask = umask(077);
    mode_t cur_mask = umask(old_mask);
    printf("umask roundtrip=%o\n", cur_mask);
    int prio = getpriority(PRIO_PROCESS, 0);
    printf("getpriority in range=%d\n", prio >= -20 && prio <= 19);
    return 0;
}
