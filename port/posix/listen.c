/* Server-side POSIX calls for hota serve: listening socket, accepted connections, stop signals
 * (through signalfd, so no handler and no global state) and read-only files. */
#include "hota/error.h"
#include "hota/port.h"
#include "hota/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(sigset_t) <= sizeof(((hota_listener_t *)0)->saved_mask),
               "saved_mask too small for sigset_t");

void hota_listener_init(hota_listener_t *l)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->stop_fd = -1;
}

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                      socklen_t *len)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof *v4;
        return HOTA_OK;
    }
    if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof *v6;
        return HOTA_OK;
    }
    return HOTA_E_INVALID_ARG;
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

static int bound_port(int fd, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return HOTA_E_SOCKET;
    if (ss.ss_family == AF_INET6)
        *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return HOTA_OK;
}

int hota_listener_open(hota_listener_t *l, const char *bind_addr, uint16_t port,
                       int stop_on_signals)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    int rc = parse_addr(bind_addr ? bind_addr : "127.0.0.1", port, &ss, &len);
    if (rc != HOTA_OK)
        return rc;
    rc = HOTA_E_SOCKET;
    l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l->fd < 0)
        goto out;
    setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l->fd, (struct sockaddr *)&ss, len) != 0 || listen(l->fd, 16) != 0)
        goto out;
    if (bound_port(l->fd, &l->port) != HOTA_OK)
        goto out;
    rc = stop_on_signals ? open_stop_fd(l) : HOTA_OK;
out:
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

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    }
    snprintf(out, cap, "%s:%u", ip, port);
}

int hota_listener_accept(hota_listener_t *l, hota_sconn_t *c, uint32_t timeout_ms)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int one = 1;
    int rc = wait_fd(l, l->fd, POLLIN, timeout_ms);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->owner = l;
    if (rc != HOTA_OK)
        return rc;
    c->fd = accept(l->fd, (struct sockaddr *)&ss, &len);
    if (c->fd < 0)
        return errno == EAGAIN || errno == ECONNABORTED ? HOTA_E_TIMEOUT : HOTA_E_SOCKET;
    fcntl(c->fd, F_SETFD, FD_CLOEXEC);
    if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0) {
        hota_sconn_close(c, 0);
        return HOTA_E_SOCKET;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    peer_name(&ss, c->peer, sizeof c->peer);
    return HOTA_OK;
}

void hota_listener_close(hota_listener_t *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
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
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        int rc;
        if (n > 0) {
            *nwritten = (size_t)n;
            return HOTA_OK;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == EPIPE || errno == ECONNRESET ? HOTA_E_CONN_RESET : HOTA_E_SEND;
        rc = wait_fd(c->owner, c->fd, POLLOUT, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
    }
}

int hota_sconn_recv(hota_sconn_t *c, uint8_t *buf, size_t cap, size_t *nread,
                    uint32_t timeout_ms)
{
    for (;;) {
        ssize_t n = recv(c->fd, buf, cap, 0);
        int rc;
        if (n > 0) {
            *nread = (size_t)n;
            return HOTA_OK;
        }
        if (n == 0)
            return HOTA_E_PEER_FIN;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return HOTA_E_CONN_RESET;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return HOTA_E_SOCKET;
        rc = wait_fd(c->owner, c->fd, POLLIN, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
    }
}

int hota_sconn_shutdown_write(hota_sconn_t *c)
{
    return shutdown(c->fd, SHUT_WR) == 0 ? HOTA_OK : HOTA_E_SOCKET;
}

int hota_sconn_wait_sent(hota_sconn_t *c, uint32_t timeout_ms)
{
    uint64_t end = hota_now_ms() + timeout_ms;
    for (;;) {
        int queued = 0;
        if (ioctl(c->fd, SIOCOUTQ, &queued) != 0)
            return errno == ENOTTY || errno == EINVAL ? HOTA_E_UNSUPPORTED : HOTA_E_SOCKET;
        if (queued == 0)
            return HOTA_OK;
        if (hota_now_ms() >= end)
            return HOTA_E_TIMEOUT;
        hota_sleep_ms(5);
    }
}

void hota_sconn_close(hota_sconn_t *c, int reset)
{
    if (c->fd < 0)
        return;
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    c->fd = -1;
}

int hota_sfile_open(hota_sfile_t *f, const char *path)
{
    struct stat st;
    f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f->fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? HOTA_E_NOT_FOUND : HOTA_E_FILE_OPEN;
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hota_sfile_close(f);
        return HOTA_E_NOT_FOUND;
    }
    f->size = (uint64_t)st.st_size;
    f->mtime = (int64_t)st.st_mtime;
    return HOTA_OK;
}

int hota_sfile_pread(const hota_sfile_t *f, uint64_t offset, uint8_t *buf, size_t cap, size_t *nread)
{
    for (;;) {
        ssize_t n = pread(f->fd, buf, cap, (off_t)offset);
        if (n >= 0) {
            *nread = (size_t)n;
            return HOTA_OK;
        }
        if (errno != EINTR)
            return HOTA_E_IO;
    }
}

void hota_sfile_close(hota_sfile_t *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}
