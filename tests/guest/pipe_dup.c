/* pipe/pipe2, dup/dup2/dup3, redirecting stdout into a pipe and back,
 * non-blocking reads (EAGAIN), EOF after the writer closes, EPIPE with
 * SIGPIPE ignored, fcntl flags, poll on a pipe. Output via stdio is flushed
 * before raw writes to keep the order deterministic. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <poll.h>

int main(void)
{
    int p[2];
    int r = pipe(p);
    printf("pipe=%d distinct=%d\n", r, p[0] != p[1]);
    ssize_t w = write(p[1], "hello pipe", 10);
    char buf[128];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("write=%zd read=%zd [%.*s]\n", w, n, (int)n, buf);

    /* many small writes then one big read */
    for (int i = 0; i < 100; i++) write(p[1], "0123456789", 10);
    size_t total = 0;
    while (total < 1000) {
        n = read(p[0], buf, sizeof buf);
        if (n <= 0) break;
        total += (size_t)n;
    }
    printf("bulk total=%zu\n", total);

    /* redirect stdout to the pipe with dup/dup2, then restore */
    fflush(stdout);
    int saved = dup(1);
    printf("dup ok=%d\n", saved > 2);
    fflush(stdout);
    dup2(p[1], 1);
    printf("this goes into the pipe %d\n", 42);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    n = read(p[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("captured %zd: %s", n, buf);

    /* write(1) directly, interleaved with flushed stdio */
    fflush(stdout);
    write(1, "raw write to fd 1\n", 18);
    printf("after raw\n");
    fflush(stdout);

    /* non-blocking empty pipe */
    int fl = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
    errno = 0;
    n = read(p[0], buf, 1);
    printf("nonblock read=%zd eagain=%d\n", n, errno == EAGAIN);
    struct pollfd pf = { p[0], POLLIN, 0 };
    printf("poll empty=%d\n", poll(&pf, 1, 0));
    write(p[1], "x", 1);
    pf.revents = 0;
    int pr = poll(&pf, 1, 1000);
    printf("poll ready=%d pollin=%d\n", pr, (pf.revents & POLLIN) != 0);
    n = read(p[0], buf, 10);
    printf("read=%zd\n", n);

    /* EOF when the write end is closed */
    close(p[1]);
    n = read(p[0], buf, 10);
    printf("eof read=%zd\n", n);
    close(p[0]);

    /* EPIPE when the read end is closed */
    signal(SIGPIPE, SIG_IGN);
    int q[2];
    pipe(q);
    close(q[0]);
    errno = 0;
    n = write(q[1], "z", 1);
    printf("write to closed pipe=%zd epipe=%d\n", n, errno == EPIPE);
    close(q[1]);

    /* pipe2 with flags, dup3 with O_CLOEXEC */
    int c[2];
    r = pipe2(c, O_CLOEXEC | O_NONBLOCK);
    printf("pipe2=%d cloexec=%d nonblock=%d\n", r, (fcntl(c[0], F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(c[1], F_GETFL) & O_NONBLOCK) != 0);
    int d = dup3(c[0], 20, O_CLOEXEC);
    printf("dup3=%d cloexec=%d\n", d, (fcntl(20, F_GETFD) & FD_CLOEXEC) != 0);
    errno = 0;
    r = dup3(c[0], c[0], 0);
    printf("dup3 same=%d einval=%d\n", r, errno == EINVAL);
    errno = 0;
    r = dup2(99, 21);
    printf("dup2 bad=%d ebadf=%d\n", r, errno == EBADF);
    /* fill a non-blocking pipe until it is full */
    static char chunk[4096];
    size_t filled = 0;
    for (;;) {
        n = write(c[1], chunk, sizeof chunk);
        if (n < 0) break;
        filled += (size_t)n;
    }
    printf("pipe capacity>=4096=%d eagain=%d\n", filled >= 4096, errno == EAGAIN);
    close(c[0]); close(c[1]); close(d);
    return 0;
}
