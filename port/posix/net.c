/* POSIX sockets, client side: resolve, non-blocking connect with a bound, timed send/recv. */
#include "hota/net.h"

#include "hota/error.h"
#include "hota/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Milliseconds left until deadline (0 when passed), as poll() wants them. */
static int ms_left(uint64_t deadline)
{
    uint64_t now = hota_now_ms();
    uint64_t left = deadline > now ? deadline - now : 0;
    return left > 0x7fffffffu ? 0x7fffffff : (int)left;
}

/* Wait for events on fd until deadline. 1: ready, 0: timed out, -1: poll failed. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, ms_left(deadline));
        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static void addr_from_ai(const struct addrinfo *ai, uint16_t port, hota_net_addr_t *a)
{
    memset(a, 0, sizeof *a);
    a->port = port;
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)ai->ai_addr;
        a->family = 4;
        memcpy(a->ip, &s->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
        a->family = 6;
        memcpy(a->ip, &s->sin6_addr, 16);
        a->scope_id = s->sin6_scope_id;
    }
}

int hota_net_resolve(const char *host, uint16_t port, hota_net_addr_t *addrs, size_t cap,
                     size_t *n)
{
    struct addrinfo hints, *res = NULL, *ai;
    if (!host || !*host || !addrs || !cap || !n)
        return HOTA_E_INVALID_ARG;
    *n = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return HOTA_E_RESOLVE;
    for (ai = res; ai && *n < cap; ai = ai->ai_next)
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            addr_from_ai(ai, port, &addrs[(*n)++]);
    freeaddrinfo(res);
    return *n ? HOTA_OK : HOTA_E_RESOLVE;
}

/* Fill a sockaddr for a; returns its length. */
static socklen_t to_sockaddr(const hota_net_addr_t *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->family == 4) {
        struct sockaddr_in *s = (struct sockaddr_in *)(void *)ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(a->port);
        memcpy(&s->sin_addr, a->ip, 4);
        return sizeof *s;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    s6->sin6_scope_id = a->scope_id;
    return sizeof *s6;
}

/* A new non-blocking, close-on-exec TCP socket, or -1. */
static int new_socket(int family)
{
    int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    IPPROTO_TCP);
    return fd;
}

/* One connect attempt; HOTA_OK with *fd set, else HOTA_E_CONNECT / TIMEOUT / SOCKET. */
static int connect_one(const hota_net_addr_t *a, uint64_t deadline, int *fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(a, &ss);
    int err = 0, rc = HOTA_E_SOCKET, r;
    socklen_t el = sizeof err;
    int s = new_socket(a->family);
    if (s < 0)
        return HOTA_E_SOCKET;
    if (connect(s, (struct sockaddr *)&ss, sl) == 0) {
        rc = HOTA_OK;
        goto out;
    }
    rc = HOTA_E_CONNECT;
    if (errno != EINPROGRESS && errno != EINTR)
        goto out;
    r = wait_fd(s, POLLOUT, deadline);
    rc = r == 0 ? HOTA_E_TIMEOUT : HOTA_E_CONNECT;
    if (r <= 0)
        goto out;
    if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
        rc = HOTA_OK;
out:
    if (rc == HOTA_OK)
        *fd = s;
    else
        close(s);
    return rc;
}

int hota_net_connect(const hota_net_addr_t *addrs, size_t n, uint32_t timeout_ms, int *fd)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    int rc = HOTA_E_CONNECT, timed_out = 0;
    if (!addrs || !n || !fd)
        return HOTA_E_INVALID_ARG;
    *fd = -1;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && hota_now_ms() >= deadline)
            break;
        rc = connect_one(&addrs[i], deadline, fd);
        if (rc == HOTA_OK)
            return HOTA_OK;
        if (rc == HOTA_E_TIMEOUT)
            timed_out = 1;
    }
    return timed_out ? HOTA_E_TIMEOUT : rc;
}

int hota_net_send(int fd, const uint8_t *buf, size_t len, size_t *nwritten, uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    if (fd < 0 || (!buf && len) || !nwritten || !len)
        return HOTA_E_INVALID_ARG;
    *nwritten = 0;
    for (;;) {
        ssize_t r = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            *nwritten = (size_t)r;
            return HOTA_OK;
        }
        if (r < 0 && (errno == ECONNRESET || errno == EPIPE))
            return HOTA_E_CONN_RESET;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return HOTA_E_SEND;
        if (r < 0 && errno == EINTR)
            continue;
        int w = wait_fd(fd, POLLOUT, deadline);
        if (w == 0)
            return HOTA_E_TIMEOUT;
        if (w < 0)
            return HOTA_E_SEND;
    }
}

int hota_net_recv(int fd, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    if (fd < 0 || !buf || !cap || !nread)
        return HOTA_E_INVALID_ARG;
    *nread = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, cap, MSG_DONTWAIT);
        if (r > 0) {
            *nread = (size_t)r;
            return HOTA_OK;
        }
        if (r == 0)
            return HOTA_E_PEER_FIN;
        if (errno == ECONNRESET || errno == EPIPE)
            return HOTA_E_CONN_RESET;
        if (errno == ETIMEDOUT)
            return HOTA_E_TIMEOUT;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return HOTA_E_SOCKET;
        int w = wait_fd(fd, POLLIN, deadline);
        if (w == 0)
            return HOTA_E_TIMEOUT;
        if (w < 0)
            return HOTA_E_SOCKET;
    }
}

int hota_net_shutdown_wr(int fd)
{
    if (fd < 0)
        return HOTA_E_INVALID_ARG;
    if (shutdown(fd, SHUT_WR) == 0)
        return HOTA_OK;
    return errno == ENOTCONN || errno == ECONNRESET ? HOTA_E_CONN_RESET : HOTA_E_SOCKET;
}

int hota_net_set_nodelay(int fd, int on)
{
    int v = on ? 1 : 0;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0 ? HOTA_OK : HOTA_E_SOCKET;
}

void hota_net_close(int *fd)
{
    if (fd && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

void hota_net_abort(int *fd)
{
    struct linger lg = {1, 0};
    if (!fd || *fd < 0)
        return;
    (void)setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    hota_net_close(fd);
}

int hota_net_parse_ip(const char *s, uint8_t ip[16], size_t *len)
{
    if (!s || !ip || !len)
        return HOTA_E_INVALID_ARG;
    if (inet_pton(AF_INET, s, ip) == 1) {
        *len = 4;
        return HOTA_OK;
    }
    if (inet_pton(AF_INET6, s, ip) == 1) {
        *len = 16;
        return HOTA_OK;
    }
    return HOTA_E_INVALID_ARG;
}
