/* timerfd (relative and absolute one-shot timers, periodic expirations,
 * gettime, disarm, non-blocking EAGAIN) and signalfd (blocked signals read
 * as records: raise, sigqueue with a value, kill from a child; a poll on the
 * signalfd; an updated mask; SIGCHLD with the child's status). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

int main(void)
{
    int r;
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    printf("timerfd ok=%d\n", t >= 0);
    struct itimerspec its = {.it_value = {100, 0}};
    printf("settime=%d\n", timerfd_settime(t, 0, &its, NULL));
    struct itimerspec cur;
    timerfd_gettime(t, &cur);
    printf("armed=%d interval_zero=%d\n", cur.it_value.tv_sec > 90 && cur.it_value.tv_sec <= 100,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0);
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 20 * 1000 * 1000;
    timerfd_settime(t, 0, &its, NULL);
    uint64_t exp = 0;
    ssize_t n = read(t, &exp, sizeof exp);
    printf("read n=%zd expirations=%llu\n", n, (unsigned long long)exp);
    timerfd_gettime(t, &cur);
    printf("disarmed=%d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* absolute time in the past fires at once */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    its.it_value = now;
    its.it_value.tv_sec -= 1;
    timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
    n = read(t, &exp, sizeof exp);
    printf("abs past n=%zd expirations=%llu\n", n, (unsigned long long)exp);

    /* periodic: 5 ms period; after 40 ms at least 3 expirations, one read */
    its.it_value.tv_sec = 0;
    its.it_value.tv_nsec = 5 * 1000 * 1000;
    its.it_interval = its.it_value;
    struct itimerspec old;
    timerfd_settime(t, 0, &its, &old);
    struct timespec d = {0, 40 * 1000 * 1000};
    nanosleep(&d, NULL);
    read(t, &exp, sizeof exp);
    printf("periodic many=%d\n", exp >= 3);
    memset(&its, 0, sizeof its);
    timerfd_settime(t, 0, &its, &old);
    printf("old interval=%ld\n", (long)old.it_interval.tv_nsec);
    int fl = TFD_NONBLOCK;
    int t2 = timerfd_create(CLOCK_REALTIME, fl);
    n = read(t2, &exp, sizeof exp);
    printf("unarmed eagain=%d\n", n < 0 && errno == EAGAIN);
    n = read(t2, &exp, 4);
    printf("short einval=%d\n", n < 0 && errno == EINVAL);
    int bad = timerfd_create(12345, 0);
    printf("bad clock einval=%d\n", bad < 0 && errno == EINVAL);
    its.it_value.tv_nsec = 2000000000L;
    r = timerfd_settime(t2, 0, &its, NULL);
    printf("bad nsec einval=%d\n", r < 0 && errno == EINVAL);
    close(t);
    close(t2);

    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd ok=%d\n", sfd >= 0);
    struct signalfd_siginfo si;
    n = read(sfd, &si, sizeof si);
    printf("empty eagain=%d\n", n < 0 && errno == EAGAIN);
    raise(SIGUSR1);
    struct pollfd pf = {.fd = sfd, .events = POLLIN};
    r = poll(&pf, 1, 1000);
    printf("poll=%d in=%d\n", r, (pf.revents & POLLIN) != 0);
    memset(&si, 0, sizeof si);
    n = read(sfd, &si, sizeof si);
    printf("read n=%zd signo_usr1=%d code_tkill=%d pid_ok=%d uid_ok=%d\n", n,
           si.ssi_signo == SIGUSR1, si.ssi_code == SI_TKILL, si.ssi_pid == (uint32_t)getpid(),
           si.ssi_uid == getuid());
    union sigval sv = {.sival_int = 4242};
    sigqueue(getpid(), SIGRTMIN, sv);
    sigqueue(getpid(), SIGRTMIN, sv);
    struct signalfd_siginfo two[2];
    n = read(sfd, two, sizeof two);
    printf("rt n=%zd rtmin=%d value=%d queue=%d\n", n, two[0].ssi_signo == (uint32_t)SIGRTMIN,
           two[0].ssi_int, two[1].ssi_code == SI_QUEUE);
    n = read(sfd, &si, sizeof si - 1);
    printf("small buffer einval=%d\n", n < 0 && errno == EINVAL);

    /* update the mask to SIGCHLD and reap a child's status from it */
    sigset_t c;
    sigemptyset(&c);
    sigaddset(&c, SIGCHLD);
    sigprocmask(SIG_BLOCK, &c, NULL);
    printf("update same fd=%d\n", signalfd(sfd, &c, 0) == sfd);
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    pf.revents = 0;
    poll(&pf, 1, 5000);
    memset(&si, 0, sizeof si);
    n = read(sfd, &si, sizeof si);
    printf("chld n=%zd signo=%d pid_ok=%d code_exited=%d status=%d\n", n,
           si.ssi_signo == SIGCHLD, si.ssi_pid == (uint32_t)child, si.ssi_code == CLD_EXITED,
           si.ssi_status);
    int st;
    waitpid(child, &st, 0);
    /* a child's kill while we block the signal */
    sigaddset(&c, SIGUSR2);
    sigprocmask(SIG_BLOCK, &c, NULL);
    signalfd(sfd, &c, 0);
    child = fork();
    if (child == 0) {
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    int fl2 = 0;
    for (int i = 0; i < 2; i++) {
        pf.revents = 0;
        poll(&pf, 1, 5000);
        n = read(sfd, &si, sizeof si);
        if (n == sizeof si && si.ssi_signo == SIGUSR2)
            fl2 = si.ssi_pid == (uint32_t)child && si.ssi_code == SI_USER;
        if (fl2)
            break;
    }
    printf("usr2 from child=%d\n", fl2);
    waitpid(child, &st, 0);
    r = signalfd(-1, &m, 0x7fff0000);
    printf("bad flags einval=%d\n", r < 0 && errno == EINVAL);
    close(sfd);
    return 0;
}
