/* The main request: connection hop by hop, body, how the connection ends, keep-alive. */
#include "probe_int.h"

#include "hota/error.h"

#include <string.h>

#define PROBE_MAX_HOPS 10

void probe_http_cfg(const hota_probe_t *p, hota_http_cfg_t *hc, hota_cf_t *transport)
{
    hota_http_cfg_init(hc);
    hc->url = p->url_text;
    hc->tls = p->cfg.tls;
    hc->tls.max_frag_len = 0;
    hc->connect_timeout_ms = p->cfg.timeout_ms;
    hc->io_timeout_ms = p->cfg.timeout_ms;
    hc->close_wait_ms = PROBE_CLOSE_WAIT_MS;
    hc->transport = transport;
    if (transport)
        hc->max_redirects = -1; /* hops are followed here, each on its own connection */
}

int probe_open(hota_probe_t *p, unsigned max_frag_len)
{
    hota_conn_cfg_t cc;
    memset(&cc, 0, sizeof cc);
    cc.host = p->url.host;
    cc.port = p->url.port;
    cc.use_tls = p->url.tls;
    cc.tls = p->cfg.tls;
    cc.tls.max_frag_len = max_frag_len;
    cc.connect_timeout_ms = p->cfg.timeout_ms;
    cc.io_timeout_ms = p->cfg.timeout_ms;
    cc.close_wait_ms = PROBE_CLOSE_WAIT_MS;
    return hota_conn_open(&p->conn, &cc);
}

/* Graceful end of the main connection (the HTTP handle shuts its transport down), then a
 * fresh HTTP handle for the next hop. */
static void close_main(hota_probe_t *p)
{
    hota_http_free(&p->http);
    hota_conn_free(&p->conn);
    hota_http_init(&p->http);
}

static void tls_facts(hota_probe_t *p)
{
    hota_cf_info_t ci;
    p->rep.tls = p->url.tls;
    if (!p->url.tls)
        return;
    hota_conn_info(&p->conn, &ci);
    memcpy(p->rep.tls_version, ci.tls_version, sizeof p->rep.tls_version);
    memcpy(p->rep.cipher, ci.cipher, sizeof p->rep.cipher);
    probe_peer_capture(p);
}

/* One hop: connect, send the GET, read the head. */
static int hop(hota_probe_t *p)
{
    hota_http_cfg_t hc;
    int rc = probe_open(p, 0);
    if (rc != HOTA_OK)
        return rc;
    tls_facts(p);
    probe_http_cfg(p, &hc, hota_conn_cf(&p->conn));
    return hota_http_request(&p->http, &hc);
}

static int is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Move to the Location of a redirect response. */
static int follow(hota_probe_t *p)
{
    const hota_http_resp_t *resp = hota_http_response(&p->http);
    hota_url_t next;
    int rc;
    if (p->rep.redirects >= PROBE_MAX_HOPS)
        return HOTA_E_REDIRECT_LIMIT;
    if (!resp->location[0])
        return HOTA_E_REDIRECT;
    rc = hota_url_resolve(&next, &p->url, resp->location);
    if (rc != HOTA_OK)
        return HOTA_E_REDIRECT;
    if (p->url.tls && !next.tls)
        return HOTA_E_REDIRECT_INSECURE;
    p->url = next;
    p->rep.redirects++;
    return hota_url_format(&p->url, p->url_text, sizeof p->url_text);
}

static void keep_head(hota_probe_t *p)
{
    const hota_http_resp_t *r = hota_http_response(&p->http);
    p->rep.status = r->status;
    p->rep.http_major = r->http_major;
    p->rep.http_minor = r->http_minor;
    p->rep.framing = r->framing;
    p->rep.has_length = r->has_length;
    p->rep.content_length = r->content_length;
    memcpy(p->rep.etag, r->etag, sizeof p->rep.etag);
    memcpy(p->rep.last_modified, r->last_modified, sizeof p->rep.last_modified);
    memcpy(p->rep.accept_ranges, r->accept_ranges, sizeof p->rep.accept_ranges);
    memcpy(p->rep.final_url, p->url_text, sizeof p->rep.final_url);
}

/* Copy the body bytes of [at, at + 16) that lie in this piece [off, off + n). */
static void keep_window(uint8_t *w, size_t *wlen, uint64_t at, uint64_t off, const uint8_t *b,
                        size_t n)
{
    while (*wlen < HOTA_PROBE_RANGE_LEN && at + *wlen >= off && at + *wlen < off + n) {
        w[*wlen] = b[at + *wlen - off];
        (*wlen)++;
    }
}

static void take_body(hota_probe_t *p, const uint8_t *b, size_t n)
{
    uint64_t off = p->rep.body_bytes;
    uint64_t limit = p->cfg.full ? HOTA_PROBE_MAX_BODY : HOTA_PROBE_IMAGE_PEEK;
    keep_window(p->head, &p->head_len, 0, off, b, n);
    if (p->rep.has_length)
        keep_window(p->mid, &p->mid_len, p->rep.content_length / 2, off, b, n);
    if (off < limit) {
        size_t take = (size_t)(limit - off < n ? limit - off : n);
        int rc = hota_image_verifier_feed(&p->verifier, b, take);
        if (p->rep.image_rc == HOTA_OK)
            p->rep.image_rc = rc;
        p->rep.image_bytes += take;
        p->rep.image_checked = 1;
    }
    p->rep.body_bytes += n;
}

static void read_body(hota_probe_t *p)
{
    for (;;) {
        size_t n = 0;
        int rc = hota_http_read(&p->http, p->buf, sizeof p->buf, &n);
        if (rc == HOTA_OK && n == 0)
            rc = hota_http_body_complete(&p->http) ? HOTA_OK : HOTA_E_INTERNAL;
        if (rc != HOTA_OK || n == 0) {
            p->rep.body_rc = rc;
            return;
        }
        take_body(p, p->buf, n);
        if (p->rep.body_bytes >= HOTA_PROBE_MAX_BODY) {
            p->rep.body_rc = HOTA_E_BODY_TOO_LARGE;
            return;
        }
    }
}

/* Decide esp_image and, with --full, the whole-image verdict. */
static void judge_image(hota_probe_t *p)
{
    hota_probe_report_t *r = &p->rep;
    int rc = r->image_rc;
    r->image = *hota_image_verifier_info(&p->verifier);
    if (p->cfg.full && rc == HOTA_OK && r->body_rc == HOTA_OK) {
        rc = hota_image_verifier_finish(&p->verifier);
        r->image_complete = hota_image_verifier_is_complete(&p->verifier);
        r->image_rc = rc;
    }
    r->esp_image = r->image_bytes >= HOTA_IMAGE_HEADER_SIZE && rc != HOTA_E_IMAGE_MAGIC &&
                   rc != HOTA_E_IMAGE_HEADER && rc != HOTA_E_IMAGE_SEGMENT &&
                   rc != HOTA_E_IMAGE_TRUNCATED &&
                   (r->image.has_app_desc || hota_image_verifier_app_desc_ready(&p->verifier));
}

/* After a close_notify: a FIN within the bound, or TCP held. */
static hota_probe_end_t after_notify(hota_probe_t *p, hota_cf_t *below)
{
    size_t n = 0;
    int rc = below ? hota_cf_recv(below, p->buf, sizeof p->buf, &n, p->cfg.end_wait_ms)
                   : HOTA_E_TIMEOUT;
    if (rc == HOTA_E_PEER_FIN)
        return HOTA_PROBE_END_CLOSE_NOTIFY_FIN;
    if (rc == HOTA_E_CONN_RESET)
        return HOTA_PROBE_END_RESET;
    return rc == HOTA_E_TIMEOUT ? HOTA_PROBE_END_CLOSE_NOTIFY_HOLD : HOTA_PROBE_END_UNKNOWN;
}

/* The transport result that ended (or did not end) the body. */
static int end_result(hota_probe_t *p, hota_cf_t *top)
{
    hota_http_info_t info;
    size_t n = 0;
    if (p->rep.body_rc == HOTA_OK && p->rep.framing != HOTA_HTTP_FRAMING_CLOSE)
        return hota_cf_recv(top, p->buf, sizeof p->buf, &n, p->cfg.end_wait_ms);
    hota_http_get_info(&p->http, &info);
    switch (info.end) {
    case HOTA_END_CLOSE_NOTIFY:
        return HOTA_E_CLOSE_NOTIFY;
    case HOTA_END_FIN:
        return HOTA_E_PEER_FIN;
    case HOTA_END_RESET:
        return HOTA_E_CONN_RESET;
    default:
        return HOTA_E_INTERNAL;
    }
}

/* Our close_notify (and FIN) after a hold: does the server close TCP right after? */
static void check_waits(hota_probe_t *p, hota_cf_t *top)
{
    size_t n = 0;
    int rc;
    hota_cf_shutdown(top, PROBE_CLOSE_WAIT_MS);
    rc = hota_cf_recv(top->next ? top->next : top, p->buf, sizeof p->buf, &n,
                      p->cfg.end_wait_ms);
    p->rep.waits_for_close_notify = rc == HOTA_E_PEER_FIN || rc == HOTA_E_CONN_RESET;
}

static void observe_end(hota_probe_t *p)
{
    hota_cf_t *top = hota_conn_cf(&p->conn);
    int rc;
    if (!top)
        return;
    rc = end_result(p, top);
    if (rc == HOTA_E_TIMEOUT && p->rep.body_rc == HOTA_OK)
        p->rep.end = HOTA_PROBE_END_KEEP_ALIVE;
    else if (rc == HOTA_E_CLOSE_NOTIFY)
        p->rep.end = after_notify(p, top->next);
    else if (rc == HOTA_E_PEER_FIN)
        p->rep.end = HOTA_PROBE_END_FIN;
    else if (rc == HOTA_E_CONN_RESET)
        p->rep.end = HOTA_PROBE_END_RESET;
    if (p->rep.end == HOTA_PROBE_END_CLOSE_NOTIFY_HOLD)
        check_waits(p, top);
}

/* The connection stayed open: a second request on it (bytes=0-15, reused as a range test). */
static void keep_alive_check(hota_probe_t *p)
{
    hota_probe_range_t *r = &p->rep.range_first;
    hota_http_cfg_t hc;
    int rc;
    probe_http_cfg(p, &hc, hota_conn_cf(&p->conn));
    hc.has_range = 1;
    hc.range_start = r->start = 0;
    hc.range_end = r->end = HOTA_PROBE_RANGE_LEN - 1;
    p->rep.keep_alive_tried = 1;
    rc = hota_http_request(&p->http, &hc);
    p->rep.keep_alive_reuse = rc == HOTA_OK && hota_http_response(&p->http)->status > 0;
    probe_range_eval(p, &p->http, r, rc, p->head, p->head_len);
}

int probe_main(hota_probe_t *p)
{
    int rc = hop(p);
    while (rc == HOTA_OK && is_redirect(hota_http_response(&p->http)->status)) {
        rc = follow(p);
        close_main(p);
        if (rc == HOTA_OK)
            rc = hop(p);
    }
    if (rc != HOTA_OK) {
        close_main(p);
        return rc;
    }
    keep_head(p);
    if (p->rep.status < 200 || p->rep.status > 299) {
        close_main(p);
        return HOTA_E_HTTP_STATUS;
    }
    read_body(p);
    judge_image(p);
    observe_end(p);
    if (p->rep.end == HOTA_PROBE_END_KEEP_ALIVE)
        keep_alive_check(p);
    close_main(p);
    return HOTA_OK;
}
