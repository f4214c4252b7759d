/* How a connection ends: after the last response, by the configured ending (one function per
 * ending, in a table); or after the peer ended it, by answering in kind. */
#include "serve_int.h"

#include "hota/error.h"

/* Wait after our FIN for the peer's end (so unread input cannot turn our FIN into a RST). */
#define DRAIN_MS 2000u
/* Cap of the wait for the kernel to hand every byte to the peer before a RST. */
#define RESET_FLUSH_MS 2000u

/* Read and discard until the peer ends or timeout_ms passes; returns the ending code. */
static int wait_peer_end(hota_server_t *s, uint32_t timeout_ms)
{
    for (;;) {
        size_t n = 0;
        int rc = serve_tls_read(s, s->io, sizeof s->io, &n, timeout_ms);
        if (rc != HOTA_OK)
            return rc;
    }
}

static const char *peer_end_name(int rc)
{
    switch (rc) {
    case HOTA_E_CLOSE_NOTIFY:
        return "peer_close_notify";
    case HOTA_E_PEER_FIN:
        return "peer_fin";
    case HOTA_E_CONN_RESET:
        return "peer_reset";
    case HOTA_E_TIMEOUT:
        return "idle_timeout";
    case HOTA_E_ABORTED:
        return "stopped";
    default:
        return "error";
    }
}

static uint32_t drain_ms(const hota_server_t *s)
{
    return s->cfg.hold_timeout_ms < DRAIN_MS ? s->cfg.hold_timeout_ms : DRAIN_MS;
}

/* close_notify, then hold TCP open until the peer's close_notify (as openssl s_server -WWW). */
static void end_close_notify(hota_server_t *s)
{
    int rc = serve_tls_close_notify(s);
    if (rc == HOTA_OK)
        rc = wait_peer_end(s, s->cfg.hold_timeout_ms);
    s->rep.ended = rc == HOTA_E_CLOSE_NOTIFY ? "close_notify_exchanged"
                   : rc == HOTA_E_TIMEOUT    ? "hold_timeout"
                                             : peer_end_name(rc);
    hota_sconn_close(&s->conn, 0);
}

static void fin_and_drain(hota_server_t *s)
{
    if (hota_sconn_shutdown_write(&s->conn) == HOTA_OK)
        (void)wait_peer_end(s, drain_ms(s));
    hota_sconn_close(&s->conn, 0);
}

static void end_close_notify_fin(hota_server_t *s)
{
    int rc = serve_tls_close_notify(s);
    s->rep.ended = rc == HOTA_OK ? "close_notify+fin" : peer_end_name(rc);
    fin_and_drain(s);
}

static void end_fin(hota_server_t *s)
{
    s->rep.ended = "fin";
    fin_and_drain(s);
}

static void end_reset(hota_server_t *s)
{
    (void)hota_sconn_wait_sent(&s->conn, RESET_FLUSH_MS);
    s->rep.ended = "reset";
    hota_sconn_close(&s->conn, 1);
}

/* Keep-alive leaves the request loop only when the peer ends or goes idle: see peer_ended. */
static void end_keep_alive(hota_server_t *s)
{
    end_close_notify_fin(s);
}

static void (*const endings[])(hota_server_t *s) = {
    [HOTA_SERVE_END_CLOSE_NOTIFY] = end_close_notify,
    [HOTA_SERVE_END_CLOSE_NOTIFY_FIN] = end_close_notify_fin,
    [HOTA_SERVE_END_FIN] = end_fin,
    [HOTA_SERVE_END_RESET] = end_reset,
    [HOTA_SERVE_END_KEEP_ALIVE] = end_keep_alive,
};

/* The peer ended (or went idle, or broke the protocol): answer a close_notify with ours, end an
 * idle connection politely, and otherwise just close. */
static void peer_ended(hota_server_t *s, int rc)
{
    s->rep.ended = peer_end_name(rc);
    if (rc == HOTA_E_CLOSE_NOTIFY || rc == HOTA_E_TIMEOUT) {
        (void)serve_tls_close_notify(s);
        fin_and_drain(s);
        return;
    }
    hota_sconn_close(&s->conn, 0);
}

void serve_finish(hota_server_t *s, int rc)
{
    if (rc == HOTA_OK && (unsigned)s->cfg.ending < sizeof endings / sizeof endings[0])
        endings[s->cfg.ending](s);
    else
        peer_ended(s, rc);
}
