/* POSIX sockets, listening side: bind, listen and accept for hota serve (listen.c) and the
 * loopback peers of tests. */
#define _GNU_SOURCE /* accept4 */
#include "hota/net.h"

#include "hota/error.h"
#include "hota/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Build the sockaddr for a literal ip and port; returns its length, 0 when ip is no literal. */
static socklen_t listen_addr(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        return sizeof *s4;
    }
    if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        return sizeof *s6;
    }
    return 0;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
}

int hota_net_listen(const char *ip, uint16_t port, int backlog, int *fd, uint16_t *bound)
{
    struct sockaddr_storage ss;
    int rc = HOTA_E_INVALID_ARG, one = 1, s = -1;
    socklen_t sl;
    if (!ip || !fd)
        return rc;
    *fd = -1;
    sl = listen_addr(ip, port, &ss);
    if (!sl)
        return rc;
    rc = HOTA_E_SOCKET;
    s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        goto out;
    (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&ss, sl) != 0 || listen(s, backlog) != 0)
        goto out;
    if (bound)
        *bound = bound_port(s);
    *fd = s;
    s = -1;
    rc = HOTA_OK;
out:
    hota_net_close(&s);
    return rc;
}

int hota_net_accept(int lfd, uint32_t timeout_ms, int *fd)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    if (lfd < 0 || !fd)
        return HOTA_E_INVALID_ARG;
    *fd = -1;
    for (;;) {
        int s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s >= 0) {
            *fd = s;
            return HOTA_OK;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNABORTED)
            return HOTA_E_SOCKET;
        uint64_t now = hota_now_ms();
        if (now >= deadline && errno != EINTR)
            return HOTA_E_TIMEOUT;
        struct pollfd p = {lfd, POLLIN, 0};
        int left = deadline > now ? (int)(deadline - now) : 0;
        if (poll(&p, 1, left) == 0)
            return HOTA_E_TIMEOUT;
    }
}
