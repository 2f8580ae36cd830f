/* UDP helper for tests/system_net.rs (busybox nc has no UDP):
 *   udp_echo send IP PORT MSG   sends MSG, prints "UDP-REPLY=<reply>"
 *   udp_echo serve PORT         answers one datagram with "echo:<data>"
 *                               (prints "UDP-SERVED=<data>")
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char buf[2048];
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) { perror("socket"); return 1; }
    struct timeval tv = { 10, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = { .sin_family = AF_INET };
    if (argc == 5 && !strcmp(argv[1], "send")) {
        a.sin_port = htons(atoi(argv[3]));
        inet_pton(AF_INET, argv[2], &a.sin_addr);
        if (sendto(s, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("sendto");
            return 1;
        }
        ssize_t n = recv(s, buf, sizeof buf - 1, 0);
        if (n < 0) { perror("recv"); return 1; }
        buf[n] = 0;
        printf("UDP-REPLY=%s\n", buf);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "serve")) {
        tv.tv_sec = 120;
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        a.sin_port = htons(atoi(argv[2]));
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("bind"); return 1; }
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) { perror("recvfrom"); return 1; }
        buf[n] = 0;
        char reply[2100];
        int m = snprintf(reply, sizeof reply, "echo:%s", buf);
        sendto(s, reply, m, 0, (struct sockaddr *)&from, fl);
        printf("UDP-SERVED=%s\n", buf);
        return 0;
    }
    fprintf(stderr, "usage: udp_echo send IP PORT MSG | serve PORT\n");
    return 2;
}
