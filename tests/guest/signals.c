/* Signal delivery: handlers with siginfo, masks and pending sets,
 * sigsuspend, sigtimedwait, queued real-time signals with values,
 * an alternate stack, SA_RESTART versus EINTR, SA_RESETHAND, SIGCHLD from
 * a child, SIGPIPE, a timer interrupting a loop without syscalls, a
 * signal to another thread, and a synchronous SIGILL caught and left with
 * siglongjmp. Prints only facts. */
// guest-cflags: -pthread
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hits, last_sig, last_code, last_value, on_alt;
static volatile pid_t last_pid;
static char altstack[65536];

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    last_sig = sig;
    last_code = si->si_code;
    last_pid = si->si_pid;
    if (si->si_code == SI_QUEUE)
        last_value = si->si_value.sival_int;
    char here;
    on_alt = (&here >= altstack && &here < altstack + sizeof altstack);
}

static void plain_handler(int sig) { hits++; last_sig = sig; }

static void install(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("sigaction %d failed\n", sig);
}

static void install_plain(int sig, void (*h)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static volatile sig_atomic_t timer_fired;
static void timer_handler(int sig) { (void)sig; timer_fired = 1; }

static sigjmp_buf jb;
static volatile sig_atomic_t ill_code;
static void ill_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    ill_code = si->si_signo;
    siglongjmp(jb, 1);
}

static atomic_int thread_got, thread_ready;
static void usr2_thread_handler(int sig) { (void)sig; atomic_store(&thread_got, 1); }
static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&thread_ready, 1);
    /* Spin without syscalls until the signal arrives. */
    while (!atomic_load(&thread_got))
        ;
    return NULL;
}

int main(void)
{
    pid_t me = getpid();

    /* raise: a thread-directed signal, SI_TKILL. */
    install(SIGUSR1, info_handler, 0);
    raise(SIGUSR1);
    printf("raise: hits=%d sig=%d code_is_tkill=%d pid_ok=%d\n", hits, last_sig,
           last_code == SI_TKILL, last_pid == me);

    /* kill: process-directed, SI_USER. */
    hits = 0;
    kill(me, SIGUSR1);
    printf("kill: hits=%d code_is_user=%d\n", hits, last_code == SI_USER);

    /* Blocked signals stay pending until unblocked. */
    hits = 0;
    block(SIGUSR1, SIG_BLOCK);
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("blocked: hits=%d pending=%d\n", hits, sigismember(&pend, SIGUSR1));
    block(SIGUSR1, SIG_UNBLOCK);
    sigpending(&pend);
    printf("unblocked: hits=%d pending=%d\n", hits, sigismember(&pend, SIGUSR1));

    /* sigtimedwait takes a blocked signal without running the handler. */
    hits = 0;
    block(SIGUSR1, SIG_BLOCK);
    kill(me, SIGUSR1);
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR1);
    siginfo_t si;
    struct timespec ts = {1, 0};
    int r = sigtimedwait(&w, &si, &ts);
    printf("sigtimedwait: r=%d signo=%d code_is_user=%d hits=%d\n", r, si.si_signo,
           si.si_code == SI_USER, hits);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000000;
    r = sigtimedwait(&w, &si, &ts);
    printf("sigtimedwait empty: r=%d eagain=%d\n", r, errno == EAGAIN);
    block(SIGUSR1, SIG_UNBLOCK);

    /* Real-time signals queue, with their values. */
    int rt = SIGRTMIN + 2;
    install(rt, info_handler, 0);
    block(rt, SIG_BLOCK);
    for (int i = 1; i <= 3; i++) {
        union sigval v = {.sival_int = 40 + i};
        sigqueue(me, rt, v);
    }
    hits = 0;
    block(rt, SIG_UNBLOCK);
    printf("rt queue: hits=%d last_value=%d code_is_queue=%d\n", hits, last_value,
           last_code == SI_QUEUE);

    /* Alternate stack. */
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    install(SIGUSR2, info_handler, SA_ONSTACK);
    on_alt = 0;
    raise(SIGUSR2);
    printf("altstack: handler on alt stack=%d\n", on_alt);
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("altstack: not on it now=%d\n", (cur.ss_flags & SS_ONSTACK) == 0);

    /* SA_RESETHAND: the second raise takes the default (ignore for SIGURG). */
    hits = 0;
    install_plain(SIGURG, plain_handler, SA_RESETHAND);
    raise(SIGURG);
    raise(SIGURG);
    struct sigaction old;
    sigaction(SIGURG, NULL, &old);
    printf("resethand: hits=%d reset=%d\n", hits, old.sa_handler == SIG_DFL);

    /* sigsuspend with a timer. */
    install_plain(SIGALRM, timer_handler, 0);
    block(SIGALRM, SIG_BLOCK);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    sigset_t none;
    sigemptyset(&none);
    timer_fired = 0;
    r = sigsuspend(&none);
    printf("sigsuspend: r=%d eintr=%d fired=%d\n", r, errno == EINTR, timer_fired);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("sigsuspend: mask restored=%d\n", sigismember(&now, SIGALRM));
    block(SIGALRM, SIG_UNBLOCK);

    /* A timer interrupts a loop that makes no syscalls. */
    timer_fired = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    unsigned long spins = 0;
    while (!timer_fired)
        spins++;
    printf("spin loop interrupted: %d\n", timer_fired);

    /* SA_RESTART versus EINTR on a blocking read. The child keeps
     * signalling (so one lands while the read blocks, however slow the
     * parent is to get there) until the parent reports back, or, with
     * SA_RESTART, signals a few times and then writes. */
    for (int restart = 0; restart < 2; restart++) {
        int fds[2], back[2];
        if (pipe(fds) != 0 || pipe(back) != 0)
            return 1;
        hits = 0;
        install_plain(SIGUSR1, plain_handler, restart ? SA_RESTART : 0);
        pid_t c = fork();
        if (c == 0) {
            struct pollfd pf = {.fd = back[0], .events = POLLIN};
            for (int i = 0; i < 500; i++) {
                kill(getppid(), SIGUSR1);
                if (poll(&pf, 1, 20) > 0)
                    break;
                if (restart && i == 3) {
                    if (write(fds[1], "x", 1) != 1)
                        _exit(1);
                }
            }
            _exit(0);
        }
        char ch;
        errno = 0;
        ssize_t n = read(fds[0], &ch, 1);
        int e = errno;
        if (write(back[1], "d", 1) != 1)
            return 1;
        waitpid(c, NULL, 0);
        printf("read with%s SA_RESTART: n=%zd eintr=%d handled=%d\n", restart ? "" : "out", n,
               e == EINTR, hits > 0);
        close(fds[0]);
        close(fds[1]);
        close(back[0]);
        close(back[1]);
    }

    /* SIGCHLD with the child's status. */
    install(SIGCHLD, info_handler, 0);
    hits = 0;
    block(SIGCHLD, SIG_BLOCK);
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    sigemptyset(&w);
    sigaddset(&w, SIGCHLD);
    r = sigwaitinfo(&w, &si);
    printf("sigchld: r=%d pid_ok=%d code_exited=%d status=%d\n", r, si.si_pid == c,
           si.si_code == CLD_EXITED, si.si_status);
    waitpid(c, NULL, 0);
    block(SIGCHLD, SIG_UNBLOCK);
    signal(SIGCHLD, SIG_DFL);

    /* SIGPIPE: ignored gives EPIPE; caught runs the handler and gives EPIPE. */
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    r = (int)write(fds[1], "x", 1);
    printf("sigpipe ignored: r=%d epipe=%d\n", r, errno == EPIPE);
    hits = 0;
    install_plain(SIGPIPE, plain_handler, 0);
    errno = 0;
    r = (int)write(fds[1], "x", 1);
    printf("sigpipe caught: r=%d epipe=%d hits=%d sig=%d\n", r, errno == EPIPE, hits, last_sig);
    close(fds[1]);

    /* A signal sent to another thread spinning without syscalls. */
    install_plain(SIGUSR2, usr2_thread_handler, 0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    while (!atomic_load(&thread_ready))
        sched_yield();
    pthread_kill(t, SIGUSR2);
    pthread_join(t, NULL);
    printf("thread signal: %d\n", atomic_load(&thread_got));

    /* A synchronous SIGILL, left with siglongjmp. */
    install(SIGILL, ill_handler, 0);
    if (sigsetjmp(jb, 1) == 0) {
#if defined(__aarch64__)
        __asm__ volatile(".inst 0x00000000");
#elif defined(__x86_64__)
        __asm__ volatile("ud2");
#endif
        printf("no SIGILL\n");
    }
    printf("sigill caught: %d\n", ill_code);

    fflush(stdout);
    /* Death by an uncaught signal: the exit status shows it. */
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    printf("still alive\n");
    return 0;
}
