/* The TCP filter: the bottom of the stack, on the socket port (hota/net.h). */
#include "hota/tcp.h"

#include "hota/error.h"
#include "hota/net.h"

#include <string.h>

/* Record how the peer ended; FIN and reset are final, a timeout only describes the last read. */
static void note_end(hota_tcp_t *t, int rc)
{
    if (rc == HOTA_E_PEER_FIN && t->end != HOTA_END_RESET)
        t->end = HOTA_END_FIN;
    else if (rc == HOTA_E_CONN_RESET)
        t->end = HOTA_END_RESET;
    else if (rc == HOTA_E_TIMEOUT && t->end == HOTA_END_NONE)
        t->end = HOTA_END_TIMEOUT;
}

static int tcp_connect(hota_cf_t *cf, uint32_t timeout_ms)
{
    hota_tcp_t *t = (hota_tcp_t *)cf;
    hota_net_addr_t addrs[HOTA_NET_MAX_ADDRS];
    size_t n = 0;
    int rc;
    if (t->fd >= 0 || !t->host[0])
        return HOTA_E_BAD_STATE;
    rc = hota_net_resolve(t->host, t->port, addrs, HOTA_NET_MAX_ADDRS, &n);
    if (rc != HOTA_OK)
        return rc;
    rc = hota_net_connect(addrs, n, timeout_ms, &t->fd);
    if (rc != HOTA_OK)
        return rc;
    (void)hota_net_set_nodelay(t->fd, 1);
    t->connected = 1;
    return HOTA_OK;
}

static int tcp_send(hota_cf_t *cf, const uint8_t *buf, size_t len, size_t *nwritten,
                    uint32_t timeout_ms)
{
    hota_tcp_t *t = (hota_tcp_t *)cf;
    int rc;
    *nwritten = 0;
    if (t->fd < 0)
        return HOTA_E_CLOSED;
    if (t->shut_wr)
        return HOTA_E_BAD_STATE;
    rc = hota_net_send(t->fd, buf, len, nwritten, timeout_ms);
    if (rc == HOTA_E_CONN_RESET)
        t->end = HOTA_END_RESET;
    t->bytes_out += *nwritten;
    return rc;
}

static int tcp_recv(hota_cf_t *cf, uint8_t *buf, size_t cap, size_t *nread, uint32_t timeout_ms)
{
    hota_tcp_t *t = (hota_tcp_t *)cf;
    int rc;
    *nread = 0;
    if (t->end == HOTA_END_FIN)
        return HOTA_E_PEER_FIN;
    if (t->end == HOTA_END_RESET)
        return HOTA_E_CONN_RESET;
    if (t->fd < 0)
        return HOTA_E_CLOSED;
    rc = hota_net_recv(t->fd, buf, cap, nread, timeout_ms);
    note_end(t, rc);
    if (rc == HOTA_OK) {
        t->bytes_in += *nread;
        if (t->end == HOTA_END_TIMEOUT)
            t->end = HOTA_END_NONE;
    }
    return rc;
}

static int tcp_shutdown(hota_cf_t *cf, uint32_t timeout_ms)
{
    hota_tcp_t *t = (hota_tcp_t *)cf;
    int rc;
    (void)timeout_ms;
    if (t->fd < 0)
        return HOTA_E_CLOSED;
    if (t->shut_wr)
        return HOTA_OK;
    if (t->end == HOTA_END_RESET)
        return HOTA_E_CONN_RESET;
    rc = hota_net_shutdown_wr(t->fd);
    if (rc == HOTA_OK)
        t->shut_wr = 1;
    return rc;
}

static void tcp_close(hota_cf_t *cf)
{
    hota_tcp_t *t = (hota_tcp_t *)cf;
    hota_net_close(&t->fd);
}

static void tcp_query(const hota_cf_t *cf, hota_cf_info_t *info)
{
    const hota_tcp_t *t = (const hota_tcp_t *)cf;
    if (info->end == HOTA_END_NONE)
        info->end = t->end;
    if (t->end == HOTA_END_FIN)
        info->fin_received = 1;
    info->bytes_in = t->bytes_in;
    info->bytes_out = t->bytes_out;
}

static const hota_cf_type_t tcp_type = {
    .name = "tcp",
    .connect = tcp_connect,
    .send = tcp_send,
    .recv = tcp_recv,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .query = tcp_query,
};

void hota_tcp_init(hota_tcp_t *t)
{
    memset(t, 0, sizeof *t);
    t->cf.type = &tcp_type;
    t->fd = -1;
}

int hota_tcp_setup(hota_tcp_t *t, const char *host, uint16_t port)
{
    size_t len;
    if (!t || !host || !port)
        return HOTA_E_INVALID_ARG;
    len = strlen(host);
    if (!len || len > HOTA_TCP_HOST_MAX)
        return HOTA_E_INVALID_ARG;
    if (t->fd >= 0)
        return HOTA_E_BAD_STATE;
    memcpy(t->host, host, len + 1);
    t->port = port;
    return HOTA_OK;
}

void hota_tcp_free(hota_tcp_t *t)
{
    if (t)
        hota_net_close(&t->fd);
}
