/* Reading a response from the transport: the head through h->io, parsed piece by piece, the
 * body into the caller's buffer, decoded in place. This is the streaming path: no allocation. */
#include "http_int.h"

#include "hota/error.h"
#include "hota/port.h"

static int is_end(int rc)
{
    return rc == HOTA_E_CLOSE_NOTIFY || rc == HOTA_E_PEER_FIN || rc == HOTA_E_CONN_RESET;
}

static void note_end(hota_http_t *h, int rc)
{
    switch (rc) {
    case HOTA_E_CLOSE_NOTIFY:
        h->info.end = HOTA_END_CLOSE_NOTIFY;
        break;
    case HOTA_E_PEER_FIN:
        h->info.end = HOTA_END_FIN;
        break;
    case HOTA_E_CONN_RESET:
        h->info.end = HOTA_END_RESET;
        break;
    case HOTA_E_TIMEOUT:
        h->info.end = HOTA_END_TIMEOUT;
        break;
    default:
        break;
    }
}

/* The connection ended (or failed) while the head was incomplete. */
static int head_cut(hota_http_t *h, int rc)
{
    note_end(h, rc);
    if (is_end(rc) && h->head_len > 0)
        return HOTA_E_TRUNCATED;
    return rc;
}

/* Time left for the whole response head: io_timeout_ms bounds the head as a whole, so a
 * server that trickles header bytes (slowloris) cannot hold us past it. */
static uint32_t head_time_left(const hota_http_t *h, uint64_t start_ms)
{
    uint64_t spent = hota_now_ms() - start_ms;
    return spent >= h->cfg.io_timeout_ms ? 0 : (uint32_t)(h->cfg.io_timeout_ms - spent);
}

/* One transport read into h->io, at most what is left of max_header_bytes, parsed at once. The
 * bytes after the head (body, or the next response) stay in h->io as pend_off/pend_len. */
static int recv_head(hota_http_t *h, uint32_t left)
{
    size_t want = h->head_cap - h->head_len, n, used;
    int rc = hota_cf_recv(h->cf, h->io, want < sizeof h->io ? want : sizeof h->io, &n, left);
    if (rc != HOTA_OK)
        return head_cut(h, rc);
    h->head_len += n;
    rc = http_feed(h, h->io, n, &used);
    if (rc != HOTA_OK)
        return rc;
    h->pend_off = used;
    h->pend_len = n - used;
    return HOTA_OK;
}

int http_read_head(hota_http_t *h)
{
    size_t used;
    int rc;
    uint64_t start_ms = hota_now_ms();
    while (!h->headers_done) {
        uint32_t left = head_time_left(h, start_ms);
        if (h->head_len >= h->head_cap)
            return HOTA_E_HEADER_TOO_LONG;
        if (left == 0)
            return head_cut(h, HOTA_E_TIMEOUT);
        rc = recv_head(h, left);
        if (rc != HOTA_OK)
            return rc;
    }
    /* Run the parser past the head without data: a body-less response completes here. */
    rc = http_feed(h, h->io + h->pend_off, 0, &used);
    if (rc == HOTA_OK && h->complete && h->pend_len > 0)
        h->leftover = 1;
    return rc;
}

/* Body bytes that arrived with the head: at most cap of them, so the output fits. */
static int feed_pending(hota_http_t *h)
{
    size_t take = h->pend_len < h->out_cap ? h->pend_len : h->out_cap;
    size_t used;
    int rc = http_feed(h, h->io + h->pend_off, take, &used);
    if (rc != HOTA_OK)
        return rc;
    h->pend_off += used;
    h->pend_len -= used;
    if (h->complete && h->pend_len > 0)
        h->leftover = 1;
    return HOTA_OK;
}

/* The transport ended while the body was incomplete. */
static int body_cut(hota_http_t *h, int rc)
{
    note_end(h, rc);
    if (rc == HOTA_E_CLOSE_NOTIFY && h->resp.framing == HOTA_HTTP_FRAMING_CLOSE)
        return http_parser_eof(h);
    if (is_end(rc))
        return HOTA_E_TRUNCATED;
    return rc;
}

/* One transport read into the caller's buffer, decoded there. */
static int recv_body(hota_http_t *h)
{
    size_t n, used;
    int rc = hota_cf_recv(h->cf, h->out, h->out_cap, &n, h->cfg.io_timeout_ms);
    if (rc != HOTA_OK)
        return body_cut(h, rc);
    rc = http_feed(h, h->out, n, &used);
    if (rc == HOTA_OK && h->complete && used < n)
        h->leftover = 1;
    return rc;
}

int hota_http_read(hota_http_t *h, uint8_t *buf, size_t cap, size_t *n)
{
    int rc = HOTA_OK;
    if (!n)
        return HOTA_E_INVALID_ARG;
    *n = 0;
    if (!h)
        return HOTA_E_INVALID_ARG;
    if (h->err != HOTA_OK)
        return h->err;
    if (h->phase != HTTP_PHASE_BODY)
        return HOTA_E_BAD_STATE;
    if (!buf || cap == 0)
        return HOTA_E_INVALID_ARG;
    h->out = buf;
    h->out_cap = cap;
    h->out_len = 0;
    while (rc == HOTA_OK && !h->complete && h->out_len == 0)
        rc = h->pend_len > 0 ? feed_pending(h) : recv_body(h);
    h->out = NULL;
    if (rc != HOTA_OK) {
        h->err = rc;
        h->reusable = 0;
        return rc;
    }
    *n = h->out_len;
    h->info.body_bytes += h->out_len;
    if (h->complete)
        h->reusable = h->resp.keep_alive && !h->leftover && h->info.end == HOTA_END_NONE;
    return HOTA_OK;
}

int hota_http_body_complete(const hota_http_t *h)
{
    return h && h->phase == HTTP_PHASE_BODY && h->complete && h->err == HOTA_OK;
}
