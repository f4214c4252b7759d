/* The HTTP client: connections, the request cycle, redirects, accessors. */
#include "http_int.h"

#include "hota/error.h"
#include "hota/port.h"

#include <string.h>

void hota_http_cfg_init(hota_http_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->range_end = UINT64_MAX;
}

void hota_http_init(hota_http_t *h)
{
    memset(h, 0, sizeof *h);
    hota_conn_init(&h->conn);
}

static void apply_defaults(hota_http_cfg_t *c)
{
    if (c->connect_timeout_ms == 0)
        c->connect_timeout_ms = HOTA_HTTP_DEFAULT_TIMEOUT_MS;
    if (c->io_timeout_ms == 0)
        c->io_timeout_ms = HOTA_HTTP_DEFAULT_TIMEOUT_MS;
    if (c->close_wait_ms == 0)
        c->close_wait_ms = HOTA_HTTP_DEFAULT_CLOSE_WAIT_MS;
    if (c->max_header_bytes == 0 || c->max_header_bytes > HOTA_HTTP_HEADER_MAX)
        c->max_header_bytes = HOTA_HTTP_HEADER_MAX;
    if (c->max_redirects == 0)
        c->max_redirects = HOTA_HTTP_DEFAULT_MAX_REDIRECTS;
}

int hota_http_close(hota_http_t *h)
{
    int rc = HOTA_OK;
    if (!h || !h->cf)
        return HOTA_OK;
    if (h->cf == h->cfg.transport) {
        rc = hota_cf_shutdown(h->cf, h->cfg.close_wait_ms);
        hota_cf_close(h->cf);
        hota_cf_query(h->cf, &h->conn_info);
    } else {
        rc = hota_conn_close(&h->conn);
        hota_conn_info(&h->conn, &h->conn_info);
    }
    h->cf = NULL;
    h->reusable = 0;
    return rc;
}

void hota_http_free(hota_http_t *h)
{
    if (!h)
        return;
    hota_http_close(h);
    hota_conn_free(&h->conn);
}

/* A connection to h->url's origin: the open one when reusable, else a new one. */
static int connect_origin(hota_http_t *h, int *reused)
{
    hota_conn_cfg_t cc;
    int rc;
    *reused = h->cf && h->reusable && hota_url_is_origin(&h->origin, &h->url);
    h->reusable = 0;
    if (*reused)
        return HOTA_OK;
    h->info.connects++;
    hota_url_origin_of(&h->origin, &h->url);
    if (h->cfg.transport) { /* tests: one scripted stream stands for every connection */
        h->cf = h->cfg.transport;
        return HOTA_OK;
    }
    hota_http_close(h);
    memset(&cc, 0, sizeof cc);
    cc.host = h->origin.host;
    cc.port = h->origin.port;
    cc.use_tls = h->origin.tls;
    cc.tls = h->cfg.tls;
    cc.connect_timeout_ms = h->cfg.connect_timeout_ms;
    cc.io_timeout_ms = h->cfg.io_timeout_ms;
    cc.close_wait_ms = h->cfg.close_wait_ms;
    rc = hota_conn_open(&h->conn, &cc);
    if (rc != HOTA_OK) {
        hota_conn_close(&h->conn);
        hota_conn_info(&h->conn, &h->conn_info);
        return rc;
    }
    h->cf = hota_conn_cf(&h->conn);
    return h->cf ? HOTA_OK : HOTA_E_CLOSED;
}

static void begin_response(hota_http_t *h)
{
    h->phase = HTTP_PHASE_HEADERS;
    h->err = HOTA_OK;
    h->complete = h->leftover = h->headers_done = h->status_line_done = 0;
    h->head_cap = h->cfg.max_header_bytes;
    h->head_len = h->pend_off = h->pend_len = 0;
    memset(&h->resp, 0, sizeof h->resp);
    h->info.end = HOTA_END_NONE;
    h->info.body_bytes = 0;
    h->info.t_headers_us = h->info.t_last_body_us = h->info.t_complete_us = 0;
    http_parser_start(h);
}

/* Send the request on h->cf and read the response head. */
static int send_and_read(hota_http_t *h)
{
    int rc;
    begin_response(h);
    rc = http_send_request(h);
    if (rc == HOTA_OK)
        rc = http_read_head(h);
    if (rc == HOTA_OK && h->complete)
        h->reusable = h->resp.keep_alive && !h->leftover;
    return rc;
}

/* A kept-alive connection the server closed before answering anything. */
static int went_stale(const hota_http_t *h, int rc)
{
    return h->head_len == 0 && (rc == HOTA_E_SEND || rc == HOTA_E_CONN_RESET ||
                               rc == HOTA_E_PEER_FIN || rc == HOTA_E_CLOSE_NOTIFY ||
                               rc == HOTA_E_CLOSED);
}

static int exchange(hota_http_t *h)
{
    int reused = 0;
    int rc = connect_origin(h, &reused);
    if (rc != HOTA_OK)
        return rc;
    h->info.reused += (unsigned)reused;
    rc = send_and_read(h);
    if (rc != HOTA_OK && reused && !h->cfg.transport && went_stale(h, rc)) {
        h->info.reused--;
        rc = connect_origin(h, &reused);
        if (rc == HOTA_OK)
            rc = send_and_read(h);
    }
    return rc;
}

static int is_redirect(int status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Read and drop a small framed redirect body so the connection can serve the next request. */
static void drain(hota_http_t *h)
{
    uint8_t scratch[512];
    uint64_t total = 0;
    size_t n = 1;
    h->phase = HTTP_PHASE_BODY;
    while (!hota_http_body_complete(h) && total <= HOTA_HTTP_DRAIN_MAX) {
        if (hota_http_read(h, scratch, sizeof scratch, &n) != HOTA_OK)
            break;
        total += n;
    }
    if (!hota_http_body_complete(h))
        h->reusable = 0;
}

static int follow(hota_http_t *h)
{
    hota_url_t next;
    if (!h->resp.location[0] || hota_url_resolve(&next, &h->url, h->resp.location) != HOTA_OK)
        return HOTA_E_REDIRECT;
    if (h->url.tls && !next.tls)
        return HOTA_E_REDIRECT_INSECURE;
    if (hota_url_is_origin(&h->origin, &next) && h->resp.keep_alive &&
        h->resp.framing != HOTA_HTTP_FRAMING_CLOSE)
        drain(h);
    else
        h->reusable = 0;
    h->url = next;
    return HOTA_OK;
}

int hota_http_request(hota_http_t *h, const hota_http_cfg_t *cfg)
{
    int rc;
    if (!h || !cfg || !cfg->url)
        return HOTA_E_INVALID_ARG;
    if (h->phase == HTTP_PHASE_BODY && !hota_http_body_complete(h))
        h->reusable = 0; /* the previous body was not read to its end */
    h->cfg = *cfg;
    apply_defaults(&h->cfg);
    h->info.redirects = 0;
    rc = hota_url_parse(&h->url, cfg->url);
    hota_url_origin_of(&h->first, &h->url);
    while (rc == HOTA_OK) {
        rc = exchange(h);
        if (rc != HOTA_OK || !is_redirect(h->resp.status) || h->cfg.max_redirects < 0)
            break;
        if (h->info.redirects >= (unsigned)h->cfg.max_redirects) {
            rc = HOTA_E_REDIRECT_LIMIT;
            break;
        }
        rc = follow(h);
        h->info.redirects += rc == HOTA_OK;
    }
    h->phase = rc == HOTA_OK ? HTTP_PHASE_BODY : HTTP_PHASE_FAILED;
    h->err = rc;
    if (rc != HOTA_OK)
        h->reusable = 0;
    return rc;
}

const hota_http_resp_t *hota_http_response(const hota_http_t *h)
{
    return &h->resp;
}

const char *hota_http_www_authenticate(const hota_http_t *h)
{
    return h->resp.www_authenticate[0] ? h->resp.www_authenticate : NULL;
}

const hota_url_t *hota_http_url(const hota_http_t *h)
{
    return &h->url;
}

void hota_http_get_info(const hota_http_t *h, hota_http_info_t *info)
{
    *info = h->info;
}

void hota_http_conn_info(const hota_http_t *h, hota_cf_info_t *info)
{
    if (h->cf)
        hota_cf_query(h->cf, info);
    else
        *info = h->conn_info;
}

const char *hota_http_framing_name(hota_http_framing_t f)
{
    static const char *const names[] = {"none", "content-length", "chunked", "close"};
    unsigned i = (unsigned)f;
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}
