/* A client connection: TCP filter, optionally a TLS filter on top. */
#include "hota/conn.h"

#include "hota/error.h"

#include <string.h>

void hota_conn_init(hota_conn_t *c)
{
    memset(c, 0, sizeof *c);
    hota_tcp_init(&c->tcp);
    hota_tls_init(&c->tls);
    hota_tls_session_init(&c->session);
}

static void fill_defaults(hota_conn_cfg_t *cfg)
{
    if (!cfg->connect_timeout_ms)
        cfg->connect_timeout_ms = HOTA_CONN_CONNECT_TIMEOUT_MS;
    if (!cfg->io_timeout_ms)
        cfg->io_timeout_ms = HOTA_CONN_IO_TIMEOUT_MS;
    if (!cfg->close_wait_ms)
        cfg->close_wait_ms = HOTA_CONN_CLOSE_WAIT_MS;
}

/* Add the latest connection's counters to the running totals. */
static void keep_counters(hota_conn_t *c)
{
    hota_cf_info_t now;
    if (!c->stack)
        return;
    hota_cf_query(c->stack, &now);
    c->past.handshakes += now.handshakes;
    c->past.handshakes_resumed += now.handshakes_resumed;
    c->past.bytes_in += now.bytes_in;
    c->past.bytes_out += now.bytes_out;
}

/* Fresh filters for a new connection (the previous one's counters are kept in c->past).
 * Without an earlier stack (and not freed) the filters are still as hota_conn_init() left
 * them and are not initialised a second time. */
static int build_stack(hota_conn_t *c)
{
    int rc;
    if (c->stack || !c->tls.live) {
        keep_counters(c);
        hota_tls_free(&c->tls);
        hota_tcp_free(&c->tcp);
        hota_tcp_init(&c->tcp);
        hota_tls_init(&c->tls);
    }
    c->stack = NULL;
    rc = hota_tcp_setup(&c->tcp, c->cfg.host, c->cfg.port);
    if (rc != HOTA_OK)
        return rc;
    c->stack = &c->tcp.cf;
    if (!c->cfg.use_tls)
        return HOTA_OK;
    rc = hota_tls_setup(&c->tls, &c->cfg.tls, c->cfg.host, &c->tcp.cf);
    if (rc != HOTA_OK)
        return rc;
    c->stack = &c->tls.cf;
    /* the kept session, when it was made for this origin and these settings (tls.h) */
    rc = hota_tls_session_offer(&c->tls, &c->session, c->cfg.port);
    return rc == HOTA_E_NO_MEMORY ? rc : HOTA_OK;
}

/* A failed open keeps the session only when the network failed before it could matter: the
 * server was not reached (resolve, connect, socket) or memory ran out; or the server went away
 * or stayed silent (reset, FIN, timeout) while no session was offered. A server (or a box on
 * the way) that drops resumption attempts must not see the same session on every retry: after
 * such a failure with the session offered, the next handshake is a full one. After a TLS or
 * certificate error, or a configuration one, the next handshake starts from nothing too. */
static int keeps_session(int rc, int offered)
{
    if (rc == HOTA_E_RESOLVE || rc == HOTA_E_CONNECT || rc == HOTA_E_SOCKET ||
        rc == HOTA_E_NO_MEMORY)
        return 1;
    return !offered && (rc == HOTA_E_TIMEOUT || rc == HOTA_E_PEER_FIN || rc == HOTA_E_CONN_RESET);
}

int hota_conn_open(hota_conn_t *c, const hota_conn_cfg_t *cfg)
{
    int rc = HOTA_E_INVALID_ARG;
    if (!c || !cfg || !cfg->host || !cfg->host[0] || !cfg->port)
        return rc;
    if (c->open)
        return HOTA_E_BAD_STATE;
    c->cfg = *cfg;
    fill_defaults(&c->cfg);
    rc = build_stack(c);
    if (rc == HOTA_OK)
        rc = hota_cf_connect(c->stack, c->cfg.connect_timeout_ms);
    c->cfg.host = NULL; /* the TCP filter holds a copy; the caller's string may go away */
    memset(&c->cfg.tls, 0, sizeof c->cfg.tls);
    if (rc != HOTA_OK) {
        int offered = c->stack == &c->tls.cf && c->tls.offered;
        if (c->stack)
            hota_cf_close(c->stack);
        if (!keeps_session(rc, offered))
            hota_tls_session_free(&c->session);
        return rc;
    }
    c->top = c->stack;
    c->open = 1;
    return HOTA_OK;
}

hota_cf_t *hota_conn_cf(hota_conn_t *c)
{
    return c && c->open ? c->top : NULL;
}

int hota_conn_close(hota_conn_t *c)
{
    int rc;
    if (!c || !c->open)
        return HOTA_OK;
    rc = hota_cf_shutdown(c->top, c->cfg.close_wait_ms);
    /* keep the session for the next open (replaced, or dropped after a fatal TLS error) */
    if (c->top == &c->tls.cf)
        (void)hota_tls_session_save(&c->session, &c->tls, c->cfg.port);
    hota_cf_close(c->top);
    c->top = NULL;
    c->open = 0;
    return rc;
}

void hota_conn_free(hota_conn_t *c)
{
    if (!c)
        return;
    if (c->top)
        hota_cf_close(c->top);
    hota_tls_free(&c->tls);
    hota_tcp_free(&c->tcp);
    hota_tls_session_free(&c->session);
    c->top = NULL;
    c->open = 0;
}

void hota_conn_info(const hota_conn_t *c, hota_cf_info_t *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    if (!c)
        return;
    if (c->stack)
        hota_cf_query(c->stack, info);
    info->handshakes += c->past.handshakes;
    info->handshakes_resumed += c->past.handshakes_resumed;
    info->bytes_in += c->past.bytes_in;
    info->bytes_out += c->past.bytes_out;
}
