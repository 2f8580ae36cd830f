/* Unix sockets: socketpair (stream, datagram, seqpacket), SCM_RIGHTS passing
 * a pipe end and two fds at once, a too-small control buffer (MSG_CTRUNC:
 * the fd that does not fit is not received),
 * SCM_CREDENTIALS with SO_PASSCRED, SO_PEERCRED, the abstract namespace and a
 * filesystem path with getsockname/recvfrom addresses, scatter/gather. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

static int send_fds(int s, const int *fds, int n, const char *data)
{
    char ctl[CMSG_SPACE(4 * sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = CMSG_SPACE(n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    return sendmsg(s, &m, 0);
}

static int recv_fds(int s, int *fds, int max, size_t ctlspace, char *data, int *flags)
{
    char ctl[256];
    struct iovec iov = {.iov_base = data, .iov_len = 63};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = ctlspace};
    int n = recvmsg(s, &m, 0);
    if (n < 0)
        return -1;
    data[n] = 0;
    *flags = m.msg_flags;
    int k = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (int i = 0; i < cnt && k < max; i++)
                memcpy(&fds[k++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
    }
    return k;
}

int main(void)
{
    int sv[2];
    printf("socketpair=%d\n", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int p[2];
    pipe(p);
    printf("sendmsg=%d\n", send_fds(sv[0], &p[1], 1, "take this"));
    int got[4], fl = 0;
    char data[64];
    int k = recv_fds(sv[1], got, 4, sizeof(char[CMSG_SPACE(sizeof(int))]), data, &fl);
    printf("received fds=%d data=[%s] new_fd=%d\n", k, data, k == 1 && got[0] != p[1]);
    write(got[0], "through passed fd", 17);
    char b[32] = {0};
    read(p[0], b, 17);
    printf("pipe reads [%s]\n", b);
    close(got[0]);

    int two[2] = {p[0], p[1]};
    send_fds(sv[0], two, 2, "two");
    k = recv_fds(sv[1], got, 4, 256, data, &fl);
    printf("two fds=%d ctrunc=%d\n", k, (fl & MSG_CTRUNC) != 0);
    for (int i = 0; i < k; i++)
        close(got[i]);
    send_fds(sv[0], two, 2, "cut");
    k = recv_fds(sv[1], got, 4, CMSG_LEN(sizeof(int)), data, &fl);
    printf("small control fds=%d ctrunc=%d\n", k, (fl & MSG_CTRUNC) != 0);
    for (int i = 0; i < k; i++)
        close(got[i]);

    /* credentials */
    int on = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    struct ucred uc = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
    char ctl[CMSG_SPACE(sizeof uc)];
    struct iovec iov = {.iov_base = "cred", .iov_len = 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof uc);
    memcpy(CMSG_DATA(c), &uc, sizeof uc);
    printf("send creds=%zd\n", sendmsg(sv[0], &m, 0));
    char rctl[128];
    char rb[8];
    struct iovec riov = {.iov_base = rb, .iov_len = sizeof rb};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl,
                        .msg_controllen = sizeof rctl};
    ssize_t n = recvmsg(sv[1], &rm, 0);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rm);
    struct ucred ru = {0};
    if (rc && rc->cmsg_type == SCM_CREDENTIALS)
        memcpy(&ru, CMSG_DATA(rc), sizeof ru);
    printf("recv=%zd creds pid=%d uid=%d gid=%d len_ok=%d\n", n, ru.pid == getpid(),
           ru.uid == getuid(), ru.gid == getgid(), rc && rc->cmsg_len == CMSG_LEN(sizeof ru));
    struct ucred pc;
    socklen_t pcl = sizeof pc;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &pcl);
    printf("peercred pid=%d uid=%d len=%d\n", pc.pid == getpid(), pc.uid == getuid(),
           pcl == sizeof pc);

    /* scatter/gather */
    struct iovec wv[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
    n = writev(sv[0], wv, 3);
    char x1[3] = {0}, x2[5] = {0};
    struct iovec rv[2] = {{x1, 2}, {x2, 4}};
    struct msghdr sm = {.msg_iov = rv, .msg_iovlen = 2};
    ssize_t r = recvmsg(sv[1], &sm, 0);
    printf("gather=%zd scatter=%zd [%s|%s]\n", n, r, x1, x2);
    close(sv[0]);
    close(sv[1]);

    /* abstract namespace, datagrams with the sender's address */
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    char name[64];
    snprintf(name, sizeof name, "mimic-test-%d", (int)getpid());
    memcpy(a.sun_path + 1, name, strlen(name));
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("abstract bind=%d\n", bind(srv, (struct sockaddr *)&a, alen));
    struct sockaddr_un ga;
    socklen_t galen = sizeof ga;
    getsockname(srv, (struct sockaddr *)&ga, &galen);
    printf("getsockname len_ok=%d abstract=%d name_ok=%d\n", galen == alen, ga.sun_path[0] == 0,
           memcmp(ga.sun_path + 1, name, strlen(name)) == 0);
    char tmpl[] = "/tmp/mimic-unix-XXXXXX";
    char *dir = mkdtemp(tmpl);
    struct sockaddr_un fa = {.sun_family = AF_UNIX};
    snprintf(fa.sun_path, sizeof fa.sun_path, "%s/cli.sock", dir);
    int cli = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("path bind=%d\n", bind(cli, (struct sockaddr *)&fa, sizeof fa));
    sendto(cli, "dgram", 5, 0, (struct sockaddr *)&a, alen);
    struct sockaddr_un from;
    socklen_t fromlen = sizeof from;
    char db[16] = {0};
    n = recvfrom(srv, db, sizeof db, 0, (struct sockaddr *)&from, &fromlen);
    printf("recvfrom=%zd [%s] from_path=%d\n", n, db, strcmp(from.sun_path, fa.sun_path) == 0);
    int again = socket(AF_UNIX, SOCK_DGRAM, 0);
    int e = bind(again, (struct sockaddr *)&a, alen);
    printf("abstract in use=%d\n", e < 0 && errno == EADDRINUSE);
    close(again);
    close(srv);
    close(cli);
    unlink(fa.sun_path);
    rmdir(dir);

    /* seqpacket keeps boundaries; a child talks over a stream pair */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    send(sv[0], "one", 3, 0);
    send(sv[0], "two!", 4, 0);
    n = recv(sv[1], db, sizeof db, 0);
    r = recv(sv[1], db, sizeof db, 0);
    printf("seqpacket %zd %zd\n", n, r);
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t ch = fork();
    if (ch == 0) {
        int pp[2];
        pipe(pp);
        write(pp[1], "child pipe", 10);
        close(pp[1]);
        send_fds(sv[1], &pp[0], 1, "from child");
        _exit(0);
    }
    k = recv_fds(sv[0], got, 4, 64, data, &fl);
    memset(b, 0, sizeof b);
    if (k == 1)
        read(got[0], b, sizeof b - 1);
    printf("child sent fds=%d data=[%s] pipe=[%s]\n", k, data, b);
    int st;
    waitpid(ch, &st, 0);
    return 0;
}
