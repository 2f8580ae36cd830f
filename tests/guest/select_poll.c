/* poll, ppoll, select and pselect on pipes and sockets: readiness, POLLHUP
 * and POLLNVAL, timeouts (zero and short), the remaining time select writes
 * back, fd sets above 64, and ppoll/pselect with a signal mask that lets a
 * blocked, pending signal in (EINTR after the handler ran, mask restored). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void)
{
    int p[2];
    pipe(p);
    struct pollfd f[3] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT},
                          {.fd = 999, .events = POLLIN}};
    int r = poll(f, 3, 0);
    printf("poll=%d rd=%#x wr=%#x bad=%#x\n", r, f[0].revents, f[1].revents, f[2].revents);
    write(p[1], "x", 1);
    r = poll(f, 2, 1000);
    printf("poll after write=%d rd=%#x\n", r, f[0].revents);
    close(p[1]);
    f[0].revents = 0;
    r = poll(f, 1, 1000);
    printf("poll after close=%d rd=%#x\n", r, f[0].revents);
    char c;
    read(p[0], &c, 1);
    f[0].revents = 0;
    r = poll(f, 1, 0);
    printf("poll eof=%d hup=%d\n", r, (f[0].revents & POLLHUP) != 0);
    close(p[0]);

    pipe(p);
    struct timespec ts = {0, 20 * 1000 * 1000};
    f[0].fd = p[0];
    f[0].revents = 0;
    r = ppoll(f, 1, &ts, NULL);
    printf("ppoll timeout=%d\n", r);

    fd_set rs, ws;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_SET(p[0], &rs);
    FD_SET(p[1], &ws);
    struct timeval tv = {1, 0};
    r = select(p[1] + 1, &rs, &ws, NULL, &tv);
    printf("select=%d r=%d w=%d tv_left=%d\n", r, FD_ISSET(p[0], &rs) != 0, FD_ISSET(p[1], &ws) != 0,
           tv.tv_sec == 0 ? tv.tv_usec > 0 : tv.tv_sec == 1);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    r = select(p[0] + 1, &rs, NULL, NULL, &tv);
    printf("select timeout=%d cleared=%d tv_zero=%d\n", r, FD_ISSET(p[0], &rs) == 0,
           tv.tv_sec == 0 && tv.tv_usec == 0);
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    close(p[1]);
    close(p[0]);
    tv.tv_usec = 0;
    r = select(p[0] + 1, &rs, NULL, NULL, &tv);
    printf("select closed fd ebadf=%d\n", r < 0 && errno == EBADF);

    /* high fd numbers: more than one word of fd_set */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int hi = dup2(sv[0], 100);
    int hi2 = dup2(sv[1], 70);
    write(hi2, "y", 1);
    FD_ZERO(&rs);
    FD_SET(hi, &rs);
    FD_SET(hi2, &rs);
    tv.tv_sec = 1;
    tv.tv_usec = 0;
    r = select(hi + 1, &rs, NULL, NULL, &tv);
    printf("select high fd=%d set=%d other_cleared=%d\n", r, FD_ISSET(hi, &rs) != 0,
           FD_ISSET(hi2, &rs) == 0);
    struct timespec pts = {1, 0};
    FD_ZERO(&ws);
    FD_SET(hi2, &ws);
    r = pselect(hi2 + 1, NULL, &ws, NULL, &pts, NULL);
    printf("pselect writable=%d\n", r);

    /* signal masks */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, none, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &block, NULL);
    char d;
    read(hi, &d, 1);
    raise(SIGUSR1);
    f[0].fd = hi;
    f[0].events = POLLIN;
    ts.tv_sec = 5;
    ts.tv_nsec = 0;
    r = ppoll(f, 1, &ts, &none);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("ppoll mask r=%d eintr=%d got=%d blocked_again=%d\n", r, r < 0 && errno == EINTR, (int)got,
           sigismember(&cur, SIGUSR1));
    raise(SIGUSR1);
    FD_ZERO(&rs);
    FD_SET(hi, &rs);
    pts.tv_sec = 5;
    r = pselect(hi + 1, &rs, NULL, NULL, &pts, &none);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("pselect mask r=%d eintr=%d got=%d blocked_again=%d\n", r, r < 0 && errno == EINTR,
           (int)got, sigismember(&cur, SIGUSR1));
    /* the mask blocks it: the wait times out, the signal stays pending */
    raise(SIGUSR1);
    ts.tv_sec = 0;
    ts.tv_nsec = 10 * 1000 * 1000;
    r = ppoll(f, 1, &ts, &block);
    sigset_t pend;
    sigpending(&pend);
    printf("ppoll blocked r=%d got=%d pending=%d\n", r, (int)got, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("after unblock got=%d\n", (int)got);
    return 0;
}
