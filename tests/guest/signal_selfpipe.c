// The self-pipe trick racing with a timer: a SIGALRM handler writes a byte
// to a pipe the main loop then waits on (read, and poll). A one-shot timer
// with a tiny, varying delay makes the signal land anywhere around the
// entry to the blocking call: before it the handler runs first (the byte
// is there), inside it the call is interrupted (EINTR, the byte is there
// for the retry). Either way no wait may sleep: a watchdog thread counts
// the waits it had to rescue (by writing the byte itself after 500 ms).
// An emulator that records the signal and only then enters a blocking
// host call without checking would stall.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 1500

static int fds[2];
static volatile unsigned long progress;
static volatile int done;
static volatile int rescued;

static void on_alarm(int sig)
{
    char c = 's';
    (void)sig;
    if (write(fds[1], &c, 1) != 1)
        _exit(3);
}

static void *watchdog(void *arg)
{
    (void)arg;
    unsigned long seen = progress;
    while (!done) {
        struct timespec ts = {0, 500 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (!done && progress == seen) {
            char c = 'w';
            rescued++;
            if (write(fds[1], &c, 1) != 1)
                _exit(4);
        }
        seen = progress;
    }
    return NULL;
}

/// Waits for the byte: with read, or with poll then read.
static int wait_byte(int use_poll)
{
    char c;
    for (;;) {
        if (use_poll) {
            struct pollfd p = {fds[0], POLLIN, 0};
            int r = poll(&p, 1, -1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r != 1)
                return -1;
        }
        ssize_t n = read(fds[0], &c, 1);
        if (n == 1)
            return c;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; // no SA_RESTART: interrupted calls see EINTR
    sigaction(SIGALRM, &sa, NULL);
    if (pipe(fds) != 0)
        return 1;
    // The watchdog never takes SIGALRM.
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &m, NULL);
    pthread_t t;
    pthread_create(&t, NULL, watchdog, NULL);
    pthread_sigmask(SIG_UNBLOCK, &m, NULL);
    int bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
        struct itimerval it = {{0, 0}, {0, 1 + (i * 7) % 60}};
        setitimer(ITIMER_REAL, &it, NULL);
        int c = wait_byte(i & 1);
        if (c < 0)
            bad++;
        progress++;
    }
    done = 1;
    pthread_join(t, NULL);
    // Bytes the watchdog wrote for waits that did not stall are still
    // queued: the count of rescues is what matters.
    printf("rounds=%d bad=%d rescued=%d\n", ROUNDS, bad, rescued);
    return 0;
}
