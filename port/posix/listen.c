/* Server side of hota serve: listening socket and accepted connections on top of the socket
 * port (hota/net.h), plus stop signals (through signalfd, so no handler and no global state)
 * that interrupt every wait. */
#include "hota/error.h"
#include "hota/net.h"
#include "hota/port.h"
#include "hota/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(sizeof(sigset_t) <= sizeof(((hota_listener_t *)0)->saved_mask),
               "saved_mask too small for sigset_t");

void hota_listener_init(hota_listener_t *l)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->stop_fd = -1;
}

static void restore_mask(const hota_listener_t *l)
{
    sigset_t old;
    memcpy(&old, l->saved_mask, sizeof old);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static int open_stop_fd(hota_listener_t *l)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0)
        return HOTA_E_SOCKET;
    memcpy(l->saved_mask, &old, sizeof old);
    l->stop_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (l->stop_fd < 0) {
        restore_mask(l);
        return HOTA_E_SOCKET;
    }
    return HOTA_OK;
}

int hota_listener_open(hota_listener_t *l, const char *bind_addr, uint16_t port,
                       int stop_on_signals)
{
    int rc = hota_net_listen(bind_addr ? bind_addr : "127.0.0.1", port, 16, &l->fd, &l->port);
    if (rc == HOTA_OK && stop_on_signals)
        rc = open_stop_fd(l);
    if (rc != HOTA_OK)
        hota_listener_close(l);
    return rc;
}

/* Consume a pending stop signal, if any; returns 1 when one was (ever) seen. */
static int check_stop(hota_listener_t *l)
{
    struct signalfd_siginfo si;
    if (!l || l->stop_fd < 0)
        return 0;
    if (read(l->stop_fd, &si, sizeof si) == (ssize_t)sizeof si)
        l->stopped = 1;
    return l->stopped;
}

/* Wait until fd is ready for `events`. HOTA_OK, HOTA_E_TIMEOUT, HOTA_E_ABORTED, HOTA_E_SOCKET. */
static int wait_fd(hota_listener_t *l, int fd, short events, uint32_t timeout_ms)
{
    uint64_t end = hota_now_ms() + (timeout_ms == HOTA_WAIT_FOREVER ? 0 : timeout_ms);
    for (;;) {
        struct pollfd p[2] = {{fd, events, 0}, {l ? l->stop_fd : -1, POLLIN, 0}};
        int wait = -1, n;
        if (check_stop(l))
            return HOTA_E_ABORTED;
        if (timeout_ms != HOTA_WAIT_FOREVER) {
            uint64_t now = hota_now_ms();
            wait = now >= end ? 0 : (int)(end - now);
        }
        n = poll(p, 2, wait);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return HOTA_E_SOCKET;
        if (p[0].revents)
            return HOTA_OK;
        if (n == 0)
            return HOTA_E_TIMEOUT;
    }
}

/* "address:port" of the connected peer ("?:0" when the socket no longer has one). */
static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        ss.ss_family = AF_UNSPEC;
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    } else if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    }
    snprintf(out, cap, "%s:%u", ip, port);
}

int hota_listener_accept(hota_listener_t *l, hota_sconn_t *c, uint32_t timeout_ms)
{
    int rc = wait_fd(l, l->fd, POLLIN, timeout_ms);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->owner = l;
    if (rc == HOTA_OK)
        rc = hota_net_accept(l->fd, 0, &c->fd);
    if (rc != HOTA_OK)
        return rc;
    (void)hota_net_set_nodelay(c->fd, 1);
    peer_name(c->fd, c->peer, sizeof c->peer);
    return HOTA_OK;
}

void hota_listener_close(hota_listener_t *l)
{
    hota_net_close(&l->fd);
    if (l->stop_fd >= 0) {
        close(l->stop_fd);
        restore_mask(l);
    }
    l->stop_fd = -1;
}

int hota_sconn_send(hota_sconn_t *c, const uint8_t *buf, size_t len, size_t *nwritten,
                    uint32_t timeout_ms)
{
    for (;;) {
        int rc = hota_net_send(c->fd, buf, len, nwritten, 0);
        if (rc != HOTA_E_TIMEOUT)
            return rc;
        rc = wait_fd(c->owner, c->fd, POLLOUT, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
    }
}

int hota_sconn_recv(hota_sconn_t *c, uint8_t *buf, size_t cap, size_t *nread,
                    uint32_t timeout_ms)
{
    for (;;) {
        int rc = hota_net_recv(c->fd, buf, cap, nread, 0);
        if (rc != HOTA_E_TIMEOUT)
            return rc;
        rc = wait_fd(c->owner, c->fd, POLLIN, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
    }
}

int hota_sconn_shutdown_write(hota_sconn_t *c)
{
    return hota_net_shutdown_wr(c->fd);
}

/* Bytes of c not yet handed to the network: SIOCOUTQNSD (not sent), or where the kernel lacks
 * it, SIOCOUTQ (not yet acknowledged). */
static int unsent_bytes(hota_sconn_t *c, int *queued)
{
#ifdef SIOCOUTQNSD
    if (ioctl(c->fd, SIOCOUTQNSD, queued) == 0)
        return HOTA_OK;
#endif
    if (ioctl(c->fd, SIOCOUTQ, queued) == 0)
        return HOTA_OK;
    return errno == ENOTTY || errno == EINVAL ? HOTA_E_UNSUPPORTED : HOTA_E_SOCKET;
}

int hota_sconn_wait_sent(hota_sconn_t *c, uint32_t timeout_ms)
{
    uint64_t end = hota_now_ms() + timeout_ms;
    for (;;) {
        int queued = 0, rc = unsent_bytes(c, &queued);
        if (rc != HOTA_OK || queued == 0)
            return rc;
        if (hota_now_ms() >= end)
            return HOTA_E_TIMEOUT;
        hota_sleep_ms(1);
    }
}

void hota_sconn_close(hota_sconn_t *c, int reset)
{
    if (reset)
        hota_net_abort(&c->fd);
    else
        hota_net_close(&c->fd);
}
