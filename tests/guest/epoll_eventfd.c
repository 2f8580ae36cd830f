/* eventfd (counter, EFD_SEMAPHORE, EAGAIN, overflow), epoll (level and edge
 * triggered, the data word round trip, modify/delete, error cases, a timeout,
 * epoll_pwait with a signal mask that lets a blocked signal in). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got++; }

int main(void)
{
    int efd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
    printf("eventfd ok=%d\n", efd >= 0);
    uint64_t v = 0;
    ssize_t n = read(efd, &v, sizeof v);
    printf("read n=%zd v=%llu\n", n, (unsigned long long)v);
    n = read(efd, &v, sizeof v);
    printf("empty read n=%zd eagain=%d\n", n, n < 0 && errno == EAGAIN);
    v = 0x100000001ULL;
    n = write(efd, &v, sizeof v);
    v = 5;
    write(efd, &v, sizeof v);
    read(efd, &v, sizeof v);
    printf("write n=%zd sum=%llu\n", n, (unsigned long long)v);
    n = read(efd, &v, 4);
    printf("short read einval=%d\n", n < 0 && errno == EINVAL);
    v = UINT64_MAX;
    n = write(efd, &v, sizeof v);
    printf("max write einval=%d\n", n < 0 && errno == EINVAL);
    v = UINT64_MAX - 1;
    write(efd, &v, sizeof v);
    v = 1;
    n = write(efd, &v, sizeof v);
    printf("overflow eagain=%d\n", n < 0 && errno == EAGAIN);
    read(efd, &v, sizeof v);
    close(efd);

    int sem = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
    eventfd_write(sem, 3);
    int reads = 0;
    eventfd_t ev;
    while (eventfd_read(sem, &ev) == 0) {
        reads++;
        if (ev != 1) printf("semaphore read %llu\n", (unsigned long long)ev);
    }
    printf("semaphore reads=%d\n", reads);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p[2];
    pipe(p);
    int e2 = eventfd(0, EFD_NONBLOCK);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
    printf("ctl add pipe=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    e.events = EPOLLIN | EPOLLET;
    e.data.u64 = 0xfedcba9876543210ULL;
    printf("ctl add eventfd=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, e2, &e));
    int r = epoll_ctl(ep, EPOLL_CTL_ADD, e2, &e);
    printf("ctl add again eexist=%d\n", r < 0 && errno == EEXIST);
    int e3 = eventfd(0, 0);
    r = epoll_ctl(ep, EPOLL_CTL_DEL, e3, NULL);
    close(e3);
    printf("ctl del unknown enoent=%d\n", r < 0 && errno == ENOENT);
    r = epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e);
    printf("ctl bad fd ebadf=%d\n", r < 0 && errno == EBADF);
    r = epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e);
    printf("ctl self einval=%d\n", r < 0 && errno == EINVAL);

    struct epoll_event out[8];
    memset(out, 0, sizeof out);
    printf("idle wait=%d\n", epoll_wait(ep, out, 8, 10));
    r = epoll_wait(ep, out, 0, 0);
    printf("maxevents 0 einval=%d\n", r < 0 && errno == EINVAL);

    write(p[1], "x", 1);
    eventfd_write(e2, 7);
    int k = epoll_wait(ep, out, 8, 1000);
    int seen_pipe = 0, seen_ev = 0;
    for (int i = 0; i < k; i++) {
        if (out[i].data.u64 == 0x1122334455667788ULL && (out[i].events & EPOLLIN)) seen_pipe++;
        if (out[i].data.u64 == 0xfedcba9876543210ULL && (out[i].events & EPOLLIN)) seen_ev++;
    }
    printf("ready=%d pipe=%d eventfd=%d\n", k, seen_pipe, seen_ev);
    /* level-triggered pipe stays ready, edge-triggered eventfd does not */
    k = epoll_wait(ep, out, 8, 0);
    printf("again ready=%d data_is_pipe=%d\n", k, k == 1 && out[0].data.u64 == 0x1122334455667788ULL);
    char c;
    read(p[0], &c, 1);
    e.events = EPOLLOUT;
    e.data.fd = p[1];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &e);
    k = epoll_wait(ep, out, 8, 0);
    printf("writable ready=%d fd_ok=%d out=%d\n", k, k == 1 && out[0].data.fd == p[1],
           k == 1 && (out[0].events & EPOLLOUT) != 0);
    e.events = 0;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e);
    printf("after mod ready=%d\n", epoll_wait(ep, out, 8, 0));
    epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL);
    close(p[1]);
    k = epoll_wait(ep, out, 8, 0);
    printf("hangup ready=%d hup=%d\n", k, k == 1 && (out[0].events & EPOLLHUP) != 0);
    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);

    /* epoll_pwait: SIGUSR1 is blocked and pending; the wait's mask lets it in */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    printf("before pwait got=%d\n", (int)got);
    r = epoll_pwait(ep, out, 8, 1000, &none);
    printf("pwait r=%d eintr=%d got=%d\n", r, r < 0 && errno == EINTR, (int)got);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("mask restored=%d\n", sigismember(&cur, SIGUSR1));
    r = epoll_pwait(ep, out, 8, 0, &none);
    printf("pwait nothing=%d\n", r);
    close(ep);
    return 0;
}
