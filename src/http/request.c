/* The GET request head, written into the handle's header buffer. */
#include "http_int.h"

#include "hota/error.h"
#include "hota/version.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CRED_MAX 255 /* longest user or password accepted for Basic auth */

/* Append formatted text to buf; sticky HOTA_E_BUFFER_TOO_SMALL on overflow. */
typedef struct req_buf {
    char *buf;
    size_t cap, len;
    int rc;
} req_buf_t;

__attribute__((format(printf, 2, 3))) static void put(req_buf_t *r, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (r->rc != HOTA_OK)
        return;
    va_start(ap, fmt);
    n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= r->cap - r->len)
        r->rc = HOTA_E_BUFFER_TOO_SMALL;
    else
        r->len += (size_t)n;
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
    if (h->cfg.auth_user && hota_url_same_origin(&h->first, &h->url)) {
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

static int put_auth(const hota_http_t *h, req_buf_t *r)
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
    put(r, "Authorization: Basic %s\r\n", enc);
    return HOTA_OK;
}

static int put_extra(const hota_http_t *h, req_buf_t *r)
{
    for (size_t i = 0; i < h->cfg.header_count; i++) {
        const char *hd = h->cfg.headers[i];
        const char *colon = hd ? strchr(hd, ':') : NULL;
        if (!colon || colon == hd || has_crlf(hd))
            return HOTA_E_INVALID_ARG;
        put(r, "%s\r\n", hd);
    }
    return HOTA_OK;
}

static void put_range(const hota_http_t *h, req_buf_t *r)
{
    if (!h->cfg.has_range)
        return;
    if (h->cfg.range_end == UINT64_MAX)
        put(r, "Range: bytes=%llu-\r\n", (unsigned long long)h->cfg.range_start);
    else
        put(r, "Range: bytes=%llu-%llu\r\n", (unsigned long long)h->cfg.range_start,
            (unsigned long long)h->cfg.range_end);
}

int http_build_request(hota_http_t *h, size_t *len)
{
    char host[HOTA_URL_HOST_MAX + 8];
    req_buf_t r = {(char *)h->hdr, sizeof h->hdr, 0, HOTA_OK};
    const char *ua = h->cfg.user_agent ? h->cfg.user_agent : "hota/" HOTA_VERSION_STRING;
    int rc = hota_url_host_header(&h->url, host, sizeof host);
    *len = 0;
    if (rc != HOTA_OK)
        return rc;
    if (has_crlf(ua))
        return HOTA_E_INVALID_ARG;
    put(&r, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n", h->url.path,
        host, ua);
    put_range(h, &r);
    rc = put_auth(h, &r);
    if (rc == HOTA_OK)
        rc = put_extra(h, &r);
    put(&r, "Connection: keep-alive\r\n\r\n");
    if (rc == HOTA_OK)
        rc = r.rc;
    if (rc == HOTA_OK)
        *len = r.len;
    return rc;
}
