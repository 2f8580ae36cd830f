/* TCP and UDP over loopback, IPv4 and IPv6: bind to port 0, getsockname /
 * getpeername, accept4, send/recv, shutdown, socket options (SO_REUSEADDR,
 * TCP_NODELAY, IPV6_V6ONLY, SO_RCVTIMEO with a timeout, SO_LINGER, SO_TYPE,
 * SO_ERROR, SO_RCVBUF), FIONREAD/SIOCOUTQ, MSG_PEEK/MSG_DONTWAIT, and the
 * errors a refused connection, a taken port and bad options give. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

static int port_of(const struct sockaddr_storage *s)
{
    return s->ss_family == AF_INET ? ntohs(((struct sockaddr_in *)s)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)s)->sin6_port);
}

static void tcp(int family)
{
    const char *name = family == AF_INET ? "v4" : "v6";
    int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0) {
        printf("%s: no socket (%d)\n", name, errno == EAFNOSUPPORT);
        return;
    }
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    socklen_t alen;
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&a;
        s->sin_family = AF_INET;
        s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        alen = sizeof *s;
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;
        s->sin6_family = AF_INET6;
        s->sin6_addr = in6addr_loopback;
        alen = sizeof *s;
        int v6only = 1;
        setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        int got = 0;
        socklen_t gl = sizeof got;
        getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &got, &gl);
        printf("%s: v6only=%d len=%d\n", name, got, (int)gl);
    }
    if (bind(l, (struct sockaddr *)&a, alen) != 0) {
        printf("%s: no loopback (%d)\n", name, errno == EADDRNOTAVAIL);
        close(l);
        return;
    }
    listen(l, 4);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(l, (struct sockaddr *)&bound, &blen);
    printf("%s: bound family_ok=%d port_set=%d len_ok=%d\n", name, bound.ss_family == family,
           port_of(&bound) != 0, blen == alen);
    int c = socket(family, SOCK_STREAM, 0);
    int r = connect(c, (struct sockaddr *)&bound, blen);
    printf("%s: connect=%d\n", name, r);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int s = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
    struct sockaddr_storage cl;
    socklen_t cllen = sizeof cl;
    getsockname(c, (struct sockaddr *)&cl, &cllen);
    printf("%s: accept ok=%d nonblock=%d peer_is_client=%d\n", name, s >= 0,
           (fcntl(s, F_GETFL) & O_NONBLOCK) != 0, port_of(&peer) == port_of(&cl));
    struct sockaddr_storage pp;
    socklen_t pplen = sizeof pp;
    getpeername(c, (struct sockaddr *)&pp, &pplen);
    printf("%s: getpeername matches=%d\n", name, port_of(&pp) == port_of(&bound));
    /* a short address buffer: truncated, full length reported */
    socklen_t tiny = 4;
    getpeername(c, (struct sockaddr *)&pp, &tiny);
    printf("%s: short buffer len=%d\n", name, tiny == alen);

    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int nd = 0;
    socklen_t ndl = sizeof nd;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nd, &ndl);
    printf("%s: nodelay=%d\n", name, nd);
    int ty = 0;
    socklen_t tyl = sizeof ty;
    getsockopt(c, SOL_SOCKET, SO_TYPE, &ty, &tyl);
    printf("%s: type_stream=%d\n", name, ty == SOCK_STREAM);

    char msg[] = "hello over tcp";
    ssize_t n = send(c, msg, sizeof msg, 0);
    struct pollfd pf = {.fd = s, .events = POLLIN};
    poll(&pf, 1, 2000);
    int avail = 0;
    ioctl(s, FIONREAD, &avail);
    char buf[64];
    ssize_t pk = recv(s, buf, 5, MSG_PEEK);
    ssize_t got = recv(s, buf, sizeof buf, 0);
    printf("%s: sent=%zd avail=%d peek=%zd recv=%zd [%s]\n", name, n, avail, pk, got, buf);
    got = recv(s, buf, sizeof buf, MSG_DONTWAIT);
    printf("%s: empty eagain=%d\n", name, got < 0 && errno == EAGAIN);
    int outq = -1;
    ioctl(c, TIOCOUTQ, &outq);
    printf("%s: outq_ok=%d\n", name, outq >= 0);

    /* SO_RCVTIMEO: a blocking receive gives up */
    struct timeval tv = {0, 50000};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timeval tg = {0, 0};
    socklen_t tgl = sizeof tg;
    getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tg, &tgl);
    printf("%s: rcvtimeo sec=%ld usec_ok=%d len=%d\n", name, (long)tg.tv_sec,
           tg.tv_usec >= 40000 && tg.tv_usec <= 60000, tgl == sizeof tg);
    got = recv(c, buf, sizeof buf, 0);
    printf("%s: timed out=%d\n", name, got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));

    struct linger lg = {1, 3}, lg2;
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    socklen_t lgl = sizeof lg2;
    getsockopt(c, SOL_SOCKET, SO_LINGER, &lg2, &lgl);
    printf("%s: linger on=%d secs=%d\n", name, lg2.l_onoff != 0, lg2.l_linger);
    int rb = 0;
    socklen_t rbl = sizeof rb;
    getsockopt(c, SOL_SOCKET, SO_RCVBUF, &rb, &rbl);
    printf("%s: rcvbuf positive=%d\n", name, rb > 0);

    shutdown(c, SHUT_WR);
    pf.revents = 0;
    poll(&pf, 1, 2000);
    got = recv(s, buf, sizeof buf, 0);
    printf("%s: after shutdown recv=%zd\n", name, got);
    send(s, "back", 4, 0);
    got = recv(c, buf, sizeof buf, 0);
    printf("%s: half-open reply=%zd\n", name, got);
    close(s);
    close(c);

    /* the port is taken while the listener lives */
    int d = socket(family, SOCK_STREAM, 0);
    r = bind(d, (struct sockaddr *)&bound, blen);
    printf("%s: second bind eaddrinuse=%d\n", name, r < 0 && errno == EADDRINUSE);
    close(d);
    close(l);
    /* nobody listens any more */
    c = socket(family, SOCK_STREAM, 0);
    r = connect(c, (struct sockaddr *)&bound, blen);
    printf("%s: refused=%d\n", name, r < 0 && errno == ECONNREFUSED);
    int err = -1;
    socklen_t el = sizeof err;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
    printf("%s: so_error=%d\n", name, err);
    close(c);

    /* UDP */
    int u1 = socket(family, SOCK_DGRAM, 0), u2 = socket(family, SOCK_DGRAM, 0);
    bind(u1, (struct sockaddr *)&a, alen);
    struct sockaddr_storage ua;
    socklen_t ualen = sizeof ua;
    getsockname(u1, (struct sockaddr *)&ua, &ualen);
    bind(u2, (struct sockaddr *)&a, alen);
    struct sockaddr_storage u2a;
    socklen_t u2alen = sizeof u2a;
    getsockname(u2, (struct sockaddr *)&u2a, &u2alen);
    n = sendto(u2, "datagram", 8, 0, (struct sockaddr *)&ua, ualen);
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    got = recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    printf("%s: udp sent=%zd got=%zd [%.8s] from_sender=%d\n", name, n, got, buf,
           port_of(&from) == port_of(&u2a) && from.ss_family == family);
    sendto(u2, "0123456789", 10, 0, (struct sockaddr *)&ua, ualen);
    got = recv(u1, buf, 4, MSG_TRUNC);
    printf("%s: truncated datagram=%zd\n", name, got);
    close(u1);
    close(u2);
}

int main(void)
{
    tcp(AF_INET);
    tcp(AF_INET6);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int v = 1;
    int r = setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v);
    printf("bad option enoprotoopt=%d\n", r < 0 && errno == ENOPROTOOPT);
    r = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2);
    printf("short optlen einval=%d\n", r < 0 && errno == EINVAL);
    r = socket(12345, SOCK_STREAM, 0);
    printf("bad family eafnosupport=%d\n", r < 0 && errno == EAFNOSUPPORT);
    r = connect(s, NULL, 0);
    printf("null address einval=%d\n", r < 0 && errno == EINVAL);
    r = bind(s, (struct sockaddr *)8, 16);
    printf("bad pointer efault=%d\n", r < 0 && errno == EFAULT);
    r = send(s, "x", 1, MSG_NOSIGNAL);
    printf("unconnected send epipe=%d\n", r < 0 && errno == EPIPE);
    close(s);
    return 0;
}
