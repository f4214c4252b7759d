/* The GET request head, sent through the handle's I/O buffer. */
#include "http_int.h"

#include "hota/error.h"
#include "hota/port.h"
#include "hota/version.h"

#include <stdio.h>
#include <string.h>

#define CRED_MAX 255 /* longest user or password accepted for Basic auth */

/* The request head, written twice by the same code: first only measured (every check runs,
 * nothing is sent), then copied into h->io and sent each time the buffer is full. */
typedef struct req_out {
    hota_http_t *h;
    int send;     /* 0: measure; 1: send */
    size_t total; /* bytes of the head so far */
    size_t len;   /* bytes waiting in h->io */
    int rc;       /* first send failure (sticky) */
} req_out_t;

static void flush(req_out_t *r)
{
    if (r->rc == HOTA_OK && r->len > 0)
        r->rc = hota_cf_send_all(r->h->cf, r->h->io, r->len, r->h->cfg.io_timeout_ms);
    r->len = 0;
}

static void put(req_out_t *r, const char *s)
{
    size_t n = strlen(s);
    r->total += n;
    while (r->send && r->rc == HOTA_OK && n > 0) {
        size_t room = sizeof r->h->io - r->len;
        size_t k = n < room ? n : room;
        memcpy(r->h->io + r->len, s, k);
        r->len += k;
        s += k;
        n -= k;
        if (r->len == sizeof r->h->io)
            flush(r);
    }
}

static int has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

/* Credentials for this request: cfg's on the requested origin, else the URL's userinfo. */
static int credentials(const hota_http_t *h, const char **user, const char **pass)
{
    *user = *pass = NULL;
    if (h->cfg.auth_user && hota_url_is_origin(&h->first, &h->url)) {
        *user = h->cfg.auth_user;
        *pass = h->cfg.auth_pass ? h->cfg.auth_pass : "";
    } else if (h->url.has_userinfo) {
        *user = h->url.user;
        *pass = h->url.pass;
    }
    if (!*user)
        return HOTA_OK;
    if (strlen(*user) > CRED_MAX || strlen(*pass) > CRED_MAX || has_crlf(*user) ||
        strchr(*user, ':'))
        return HOTA_E_INVALID_ARG;
    return HOTA_OK;
}

static int put_auth(const hota_http_t *h, req_out_t *r)
{
    char plain[2 * CRED_MAX + 2];
    char enc[((2 * CRED_MAX + 1) / 3 + 1) * 4 + 1];
    const char *user, *pass;
    int rc = credentials(h, &user, &pass);
    int n;
    if (rc != HOTA_OK || !user)
        return rc;
    n = snprintf(plain, sizeof plain, "%s:%s", user, pass);
    base64((const uint8_t *)plain, (size_t)n, enc);
    put(r, "Authorization: Basic ");
    put(r, enc);
    put(r, "\r\n");
    return HOTA_OK;
}

static int put_extra(const hota_http_t *h, req_out_t *r)
{
    for (size_t i = 0; i < h->cfg.header_count; i++) {
        const char *hd = h->cfg.headers[i];
        const char *colon = hd ? strchr(hd, ':') : NULL;
        if (!colon || colon == hd || has_crlf(hd))
            return HOTA_E_INVALID_ARG;
        put(r, hd);
        put(r, "\r\n");
    }
    return HOTA_OK;
}

static void put_range(const hota_http_t *h, req_out_t *r)
{
    char line[80];
    if (!h->cfg.has_range)
        return;
    if (h->cfg.range_end == UINT64_MAX)
        snprintf(line, sizeof line, "Range: bytes=%llu-\r\n",
                 (unsigned long long)h->cfg.range_start);
    else
        snprintf(line, sizeof line, "Range: bytes=%llu-%llu\r\n",
                 (unsigned long long)h->cfg.range_start, (unsigned long long)h->cfg.range_end);
    put(r, line);
}

static int put_head(hota_http_t *h, req_out_t *r)
{
    char host[HOTA_URL_HOST_MAX + 8];
    const char *ua = h->cfg.user_agent ? h->cfg.user_agent : "hota/" HOTA_VERSION_STRING;
    int rc = hota_url_host_header(&h->url, host, sizeof host);
    if (rc != HOTA_OK)
        return rc;
    if (has_crlf(ua))
        return HOTA_E_INVALID_ARG;
    put(r, "GET ");
    put(r, h->url.path);
    put(r, " HTTP/1.1\r\nHost: ");
    put(r, host);
    put(r, "\r\nUser-Agent: ");
    put(r, ua);
    put(r, "\r\nAccept: */*\r\n");
    put_range(h, r);
    rc = put_auth(h, r);
    if (rc == HOTA_OK)
        rc = put_extra(h, r);
    put(r, "Connection: keep-alive\r\n\r\n");
    return rc;
}

int http_send_request(hota_http_t *h)
{
    req_out_t r = {h, 0, 0, 0, HOTA_OK};
    int rc = put_head(h, &r); /* measured and checked: nothing is sent on a refusal */
    if (rc == HOTA_OK && r.total > HOTA_HTTP_REQUEST_MAX)
        rc = HOTA_E_BUFFER_TOO_SMALL;
    if (rc != HOTA_OK)
        return rc;
    h->info.t_request_us = hota_now_us();
    h->info.requests++;
    r = (req_out_t){h, 1, 0, 0, HOTA_OK};
    rc = put_head(h, &r);
    flush(&r);
    return rc != HOTA_OK ? rc : r.rc;
}
