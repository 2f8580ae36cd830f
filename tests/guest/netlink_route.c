/* NETLINK_ROUTE the way `ip link` / `ip addr` use it: RTM_GETLINK and
 * RTM_GETADDR dumps (lo is a loopback link that is up, with 127.0.0.1/8),
 * an error reply for a missing link, getifaddrs(); and the interface ioctls
 * on an inet socket: SIOCGIFINDEX (if_nametoindex), SIOCGIFNAME,
 * SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFMTU, SIOCGIFCONF.
 * Only facts about lo are printed: other interfaces differ per machine. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static char buf[65536] __attribute__((aligned(8)));

static int request(int fd, int type, int flags, int family, int index, int seq)
{
    struct {
        struct nlmsghdr h;
        struct ifinfomsg i;
    } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | flags;
    req.h.nlmsg_seq = seq;
    req.i.ifi_family = family;
    req.i.ifi_index = index;
    struct sockaddr_nl k = {.nl_family = AF_NETLINK};
    return sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&k, sizeof k);
}

int main(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    printf("socket ok=%d\n", fd >= 0);
    struct sockaddr_nl me = {.nl_family = AF_NETLINK};
    printf("bind=%d\n", bind(fd, (struct sockaddr *)&me, sizeof me));
    socklen_t ml = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &ml);
    printf("getsockname family=%d pid_set=%d len=%d\n", me.nl_family == AF_NETLINK,
           me.nl_pid != 0, ml == sizeof me);

    request(fd, RTM_GETLINK, NLM_F_DUMP, AF_UNSPEC, 0, 1);
    int lo_index = -1, lo_flags = 0, lo_mtu = 0, links = 0, done = 0, seq_ok = 1;
    while (!done) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != 1)
                seq_ok = 0;
            if (h->nlmsg_type == NLMSG_DONE) {
                done = 1;
                break;
            }
            if (h->nlmsg_type != RTM_NEWLINK)
                continue;
            links++;
            struct ifinfomsg *ifi = NLMSG_DATA(h);
            int len = IFLA_PAYLOAD(h);
            const char *name = NULL;
            int mtu = 0;
            for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (a->rta_type == IFLA_IFNAME)
                    name = RTA_DATA(a);
                if (a->rta_type == IFLA_MTU)
                    memcpy(&mtu, RTA_DATA(a), 4);
            }
            if (name && strcmp(name, "lo") == 0) {
                lo_index = ifi->ifi_index;
                lo_flags = ifi->ifi_flags;
                lo_mtu = mtu;
            }
        }
    }
    printf("link dump done=%d seq_ok=%d some=%d\n", done, seq_ok, links > 0);
    printf("found lo=%d loopback=%d up=%d mtu_set=%d\n", lo_index > 0,
           (lo_flags & IFF_LOOPBACK) != 0, (lo_flags & IFF_UP) != 0, lo_mtu > 0);

    request(fd, RTM_GETADDR, NLM_F_DUMP, AF_INET, 0, 2);
    int lo_has_127 = 0, prefix = 0;
    done = 0;
    while (!done) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = 1;
                break;
            }
            if (h->nlmsg_type != RTM_NEWADDR)
                continue;
            struct ifaddrmsg *ifa = NLMSG_DATA(h);
            int len = IFA_PAYLOAD(h);
            for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (a->rta_type == IFA_LOCAL && (int)ifa->ifa_index == lo_index) {
                    struct in_addr in;
                    memcpy(&in, RTA_DATA(a), 4);
                    if (in.s_addr == htonl(INADDR_LOOPBACK)) {
                        lo_has_127 = 1;
                        prefix = ifa->ifa_prefixlen;
                    }
                }
            }
        }
    }
    printf("addr dump done=%d found lo with 127.0.0.1=%d prefix=%d\n", done, lo_has_127, prefix);

    /* a link that does not exist: an NLMSG_ERROR with -ENODEV */
    request(fd, RTM_GETLINK, NLM_F_ACK, AF_UNSPEC, 0x7ffffff0, 3);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    struct nlmsgerr *e = NLMSG_DATA(h);
    printf("missing link error=%d enodev=%d echo_seq=%d\n", n > 0 && h->nlmsg_type == NLMSG_ERROR,
           e->error == -ENODEV, e->msg.nlmsg_seq == 3);
    close(fd);

    struct ifaddrs *ifs;
    int found = 0;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
            if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, "lo") == 0 &&
                ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
                found = 1;
        freeifaddrs(ifs);
    }
    printf("getifaddrs lo 127.0.0.1=%d\n", found);

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    unsigned idx = if_nametoindex("lo");
    printf("if_nametoindex matches=%d\n", (int)idx == lo_index);
    char nm[IF_NAMESIZE] = {0};
    printf("if_indextoname=%s\n", if_indextoname(idx, nm) ? nm : "?");
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    ioctl(s, SIOCGIFFLAGS, &r);
    printf("SIOCGIFFLAGS loopback=%d up=%d\n", (r.ifr_flags & IFF_LOOPBACK) != 0,
           (r.ifr_flags & IFF_UP) != 0);
    ioctl(s, SIOCGIFADDR, &r);
    struct sockaddr_in *sin = (struct sockaddr_in *)&r.ifr_addr;
    printf("SIOCGIFADDR family=%d addr=%s\n", sin->sin_family == AF_INET, inet_ntoa(sin->sin_addr));
    ioctl(s, SIOCGIFNETMASK, &r);
    printf("SIOCGIFNETMASK=%s\n", inet_ntoa(sin->sin_addr));
    ioctl(s, SIOCGIFMTU, &r);
    printf("SIOCGIFMTU matches=%d\n", r.ifr_mtu == lo_mtu);
    struct ifreq reqs[64];
    struct ifconf ic = {.ifc_len = sizeof reqs, .ifc_req = reqs};
    int rc = ioctl(s, SIOCGIFCONF, &ic);
    int lo_conf = 0;
    for (int i = 0; i < ic.ifc_len / (int)sizeof(struct ifreq); i++)
        if (strcmp(reqs[i].ifr_name, "lo") == 0 &&
            ((struct sockaddr_in *)&reqs[i].ifr_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
            lo_conf = 1;
    printf("SIOCGIFCONF=%d whole_entries=%d lo=%d\n", rc, ic.ifc_len % (int)sizeof(struct ifreq) == 0,
           lo_conf);
    struct ifconf q = {.ifc_len = 0, .ifc_req = NULL};
    ioctl(s, SIOCGIFCONF, &q);
    printf("SIOCGIFCONF size query multiple=%d\n", q.ifc_len > 0 && q.ifc_len % (int)sizeof(struct ifreq) == 0);
    strcpy(r.ifr_name, "nonexistent0");
    rc = ioctl(s, SIOCGIFFLAGS, &r);
    printf("missing interface enodev=%d\n", rc < 0 && errno == ENODEV);
    close(s);
    return 0;
}
